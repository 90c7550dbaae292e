//! dxready: a digital-transformation readiness self-assessment for Vietnamese SMEs.
//!
//! - [`domain`]: questionnaire files, scoring and roadmap rules; plain Rust, no HTTP or database.
//! - [`auth`]: accounts, roles, sessions and sign-in protection.
//! - [`db`]: sea-orm entities and the queries the rest of the app uses.
//! - [`usecases`]: what the service does (assess, accounts, consent, demo data), once for pages, API and CLI.
//! - [`web`]: axum routes, pages (maud) and the JSON API; thin: parse, call a use case, render.
//! - [`cli`] and [`config`]: the `dxready` command and its settings.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod email;
pub mod startup;
pub mod telemetry;
pub mod usecases;
pub mod web;
