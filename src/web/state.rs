//! Shared application state handed to every handler.

use std::ops::Deref;
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::config::ServeSettings;
use crate::db::submissions::SubmissionQueue;
use crate::domain::questionnaire::LoadedDir;

#[derive(Clone)]
pub struct AppState(pub Arc<App>);

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
    /// CSRF tokens for every form: a random token in a cookie, its HMAC in the form.
    pub csrf: axum_csrf::CsrfConfig,
}

impl axum::extract::FromRef<AppState> for axum_csrf::CsrfConfig {
    fn from_ref(state: &AppState) -> Self {
        state.csrf.clone()
    }
}

/// The CSRF settings: HttpOnly, SameSite=Lax, Secure under https.
pub fn csrf_config(https: bool) -> axum_csrf::CsrfConfig {
    axum_csrf::CsrfConfig::default()
        .with_cookie_name("dxready_csrf")
        .with_http_only(true)
        .with_secure(https)
        .with_cookie_same_site(axum_csrf::SameSite::Lax)
        .with_lifetime(time::Duration::days(1))
}

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}

impl App {
    /// Links are https-only cookies when the site is served over https.
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}
