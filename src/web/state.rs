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
    /// `csrf_secret` is shared by every instance of the database (`db::secrets`), so a form
    /// from one instance, or from before a restart, posts fine to any instance.
    pub fn new(app: Arc<App>, csrf_secret: &str) -> AppState {
        let csrf = csrf_config(app.is_https(), csrf_secret);
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

/// The CSRF settings: HttpOnly, SameSite=Lax, Secure under https; the cookie's encryption key
/// and the form token's HMAC key are both derived from `secret` (separately, so neither gives
/// the other away).
pub fn csrf_config(https: bool, secret: &str) -> axum_csrf::CsrfConfig {
    use sha2::{Digest, Sha256, Sha512};
    let cookie_key = Sha512::new()
        .chain_update(b"dxready csrf cookie key\0")
        .chain_update(secret.as_bytes())
        .finalize();
    let token_key = Sha256::new()
        .chain_update(b"dxready csrf token key\0")
        .chain_update(secret.as_bytes())
        .finalize();
    axum_csrf::CsrfConfig::default()
        .with_key(Some(axum_csrf::Key::from(&cookie_key)))
        .with_salt(hex::encode(token_key))
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
