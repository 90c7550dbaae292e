//! Accounts, roles and sessions: Argon2id passwords ([`password`]), a database-backed
//! tower-sessions store ([`session_store`]), the axum-login backend ([`backend`]), sign-in
//! throttling ([`throttle`]), checks on account and agency input ([`accounts`]).
//! The extractors that guard routes are the web layer's (`crate::web::session`).

pub mod accounts;
pub mod backend;
pub mod password;
pub mod session_store;
pub mod sign_in;
pub mod throttle;
pub mod totp;

pub use crate::domain::Role;
pub use backend::{AuthSession, Backend, Credentials, layer};

/// Session keys written at sign-in.
pub mod session_keys {
    /// The account id, copied into `http_session.user_id` by the store.
    pub const USER_ID: &str = "dxready.user_id";
    /// Unix seconds of the sign-in, for the absolute lifetime.
    pub const SIGNED_IN_AT: &str = "dxready.signed_in_at";
    /// A TOTP secret shown on the account page, not yet confirmed with a code.
    pub const TOTP_PENDING: &str = "dxready.totp_pending";
}
