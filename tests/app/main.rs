//! The integration suite: one binary (faster to link), one module per area. Every test drives the
//! real app over HTTP on a random port, on a fresh SQLite file and, when
//! `DXREADY_TEST_POSTGRES_URL` is set, again on a fresh PostgreSQL database.

mod helpers;

mod api;
mod auth;
mod browser;
mod cli;
mod dashboard;
mod email;
mod fixtures;
mod followup;
mod health;
mod operations;
mod pages;
mod reminders;
mod submissions;
