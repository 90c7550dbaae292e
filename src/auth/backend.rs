//! The axum-login backend: who an account is, how a password is checked, what a role may do,
//! and the session layer with its cookie and lifetimes.

use std::collections::HashSet;

use axum_login::{AuthManagerLayer, AuthManagerLayerBuilder, AuthUser, AuthnBackend, AuthzBackend};
use sea_orm::DatabaseConnection;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use super::Role;
use super::password;
use super::session_store::SeaOrmStore;
use crate::db;
use crate::db::accounts::Account;

/// Sessions end after this long without a request.
pub const IDLE_TIMEOUT: time::Duration = time::Duration::minutes(30);
/// …and this long after sign-in, however busy.
pub const ABSOLUTE_TIMEOUT: chrono::Duration = chrono::Duration::hours(12);
pub const SESSION_COOKIE: &str = "dxready_session";
/// The name under https: browsers take a `__Host-` cookie only when it is `Secure`, has
/// `Path=/` and no `Domain`, so neither a sibling subdomain nor plain http can plant or
/// overwrite it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-dxready_session";

/// The session cookie's name for a site served over https or not.
pub fn session_cookie(https: bool) -> &'static str {
    if https {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

impl AuthUser for Account {
    type Id = i64;

    fn id(&self) -> i64 {
        self.id
    }

    /// The account's session secret, not its password hash (sessions are stored): the secret
    /// is replaced with the password, so a change ends every other session at its next request.
    fn session_auth_hash(&self) -> &[u8] {
        self.session_secret.as_bytes()
    }
}

#[derive(Clone, Debug)]
pub struct Backend {
    db: DatabaseConnection,
}

impl Backend {
    pub fn new(db: DatabaseConnection) -> Self {
        Backend { db }
    }
}

/// What the sign-in form gives.
#[derive(Clone)]
pub struct Credentials {
    pub email: String,
    pub password: String,
    /// The authenticator code, asked of accounts that turned the second factor on.
    pub code: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .field("password", &"…")
            .field("code", &"…")
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct BackendError(#[from] db::Error);

impl AuthnBackend for Backend {
    type User = Account;
    type Credentials = Credentials;
    type Error = BackendError;

    /// The same work whether the e-mail is unknown, the password wrong or the account disabled:
    /// one lookup and one Argon2 verification, then `None`.
    async fn authenticate(&self, creds: Credentials) -> Result<Option<Account>, BackendError> {
        let email = super::accounts::normalise_email(&creds.email);
        let account = db::accounts::find_account_by_email(&self.db, &email).await?;
        let mut password = creds.password;
        password.truncate(password.floor_char_boundary(password::MAX_LENGTH));
        let matches =
            password::verify(password, account.as_ref().map(|a| a.password_hash.clone())).await;
        Ok(account.filter(|a| matches && !a.disabled))
    }

    /// Disabled accounts have no sessions: they are signed out at their next request.
    async fn get_user(&self, id: &i64) -> Result<Option<Account>, BackendError> {
        Ok(db::accounts::find_account(&self.db, *id)
            .await?
            .filter(|a| !a.disabled))
    }
}

impl AuthzBackend for Backend {
    type Permission = Role;

    async fn get_user_permissions(&self, user: &Account) -> Result<HashSet<Role>, BackendError> {
        Ok(user.role.permissions())
    }
}

pub type AuthSession = axum_login::AuthSession<Backend>;

/// The session and login layers: cookie `HttpOnly`, `SameSite=Lax`, `Secure` under https, an
/// idle timeout refreshed by every request (`always_save`; only signed-in sessions are ever
/// stored, so anonymous visitors cost nothing).
pub fn layer(db: DatabaseConnection, https: bool) -> AuthManagerLayer<Backend, SeaOrmStore> {
    let sessions = SessionManagerLayer::new(SeaOrmStore::new(db.clone()))
        .with_name(session_cookie(https))
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(https)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(IDLE_TIMEOUT))
        .with_always_save(true);
    AuthManagerLayerBuilder::new(Backend::new(db), sessions).build()
}
