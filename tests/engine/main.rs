//! The questionnaire engine suite: loader, scoring and roadmap as plain functions (no HTTP, no
//! database), against small inline questionnaires, fixtures and the real `dxready-sme@1.0.0`.
//! Every roadmap is computed on a fixed date (see `common::today`).

mod common;

mod fuzz_loader;
mod golden;
mod levels;
mod loader_errors;
mod practices;
mod properties;
mod question_types;
mod roadmap_rules;
mod targets;
mod v1_1;
mod warnings;
