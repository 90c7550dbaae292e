//! What every handler is handed: the running service ([`App`], the use cases' context) and the
//! web layer's own CSRF settings.

use std::ops::Deref;
use std::sync::Arc;

use crate::usecases::App;

#[derive(Clone)]
pub struct AppState {
    app: Arc<App>,
    /// CSRF tokens for every form: a random token in a cookie, its HMAC in the form.
    pub csrf: axum_csrf::CsrfConfig,
}

impl AppState {
    pub fn new(app: Arc<App>) -> AppState {
        let csrf = csrf_config(app.is_https());
        AppState { app, csrf }
    }

    /// The service itself, for work that outlives a request (the e-mail worker).
    pub fn app(&self) -> Arc<App> {
        self.app.clone()
    }
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
        &self.app
    }
}
