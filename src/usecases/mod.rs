//! What the service does, once for every channel: the pages, the JSON API, the command line and
//! `seed-demo` all call these functions, so a rule written here holds everywhere.
//!
//! - [`assess`]: check, score and store a submitted response (contact and consent checks
//!   included);
//! - [`accounts`]: create or update an account or agency, with its audit entry;
//! - [`cases`]: the agencies' cases: who sees which leads, changes with their audit entry;
//! - [`consent`]: withdraw consent or delete a firm's personal data, with its audit entry;
//! - [`demo`]: `seed-demo`'s synthetic firms, assessed and stored like real ones;
//! - [`drafts`]: the "save and finish later" e-mail;
//! - [`invitations`], [`reminders`]: re-assessment links by e-mail, from an agency or six
//!   months on;
//! - [`clock`]: today's date as the domain is given it.
//!
//! The layer sits between the web (and CLI) above and the database and domain below; it
//! imports neither axum nor maud.

pub mod accounts;
pub mod assess;
pub mod cases;
pub mod clock;
pub mod consent;
pub mod dashboard;
pub mod demo;
pub mod drafts;
mod error;
pub mod invitations;
pub mod reminders;

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

pub use clock::Clock;
pub use error::{Error, Result};

use crate::config::ServeSettings;
use crate::db::submissions::SubmissionQueue;
use crate::domain::questionnaire::LoadedDir;

/// The running service: what every use case, handler and the e-mail worker reach for.
pub struct App {
    pub db: DatabaseConnection,
    /// The one writer of submissions (group commit, see `db::submissions`).
    pub submissions: SubmissionQueue,
    pub questionnaires: LoadedDir,
    pub settings: ServeSettings,
    /// Public base URL without a trailing slash, for links in e-mails.
    pub base_url: String,
    /// Wakes the e-mail worker when a submission queued a message.
    pub outbox_wakeup: Arc<Notify>,
    pub clock: Clock,
}

impl App {
    /// Links are https-only cookies when the site is served over https.
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}
