//! Database schema migrations, applied by `dxready migrate` and at the start of `dxready serve`.
//! One file per change; never edit a migration that has shipped.

pub use sea_orm_migration::MigrationStatus;
pub use sea_orm_migration::prelude::*;

mod m20261122_000001_responses;
mod m20261122_000002_accounts;
mod m20261122_000003_outbox;
mod m20261122_000004_questionnaire_source;
mod m20261204_100001_secrets_at_rest;
mod m20261204_100002_first_password_change;
mod m20261204_100003_totp;
mod m20261204_200001_app_secret;
mod m20261204_200002_submit_limit;
mod m20261204_300001_reassessment;
mod m20261208_100001_aggregates;
mod m20261208_100002_practices;
mod m20261208_200001_firm;
mod m20261208_200002_cases;
mod m20261208_300001_reassessment_links;
mod m20261208_400001_compact_response;
mod m20261208_400002_support_offers;

pub use m20261208_200001_firm::back_fill_firms;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_responses::Migration),
            Box::new(m20261122_000002_accounts::Migration),
            Box::new(m20261122_000003_outbox::Migration),
            Box::new(m20261122_000004_questionnaire_source::Migration),
            Box::new(m20261204_100001_secrets_at_rest::Migration),
            Box::new(m20261204_100002_first_password_change::Migration),
            Box::new(m20261204_100003_totp::Migration),
            Box::new(m20261204_200001_app_secret::Migration),
            Box::new(m20261204_200002_submit_limit::Migration),
            Box::new(m20261204_300001_reassessment::Migration),
            Box::new(m20261208_100001_aggregates::Migration),
            Box::new(m20261208_200001_firm::Migration),
            Box::new(m20261208_200002_cases::Migration),
            Box::new(m20261208_300001_reassessment_links::Migration),
            Box::new(m20261208_400001_compact_response::Migration),
            Box::new(m20261208_400002_support_offers::Migration),
            Box::new(m20261208_100002_practices::Migration),
        ]
    }
}
