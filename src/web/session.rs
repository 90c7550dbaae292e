//! Extractors that guard routes. Pages take [`SignedIn`] (anonymous visitors are sent to the
//! sign-in page and come back afterwards); the JSON API takes [`ApiUser`] (anonymous callers
//! get `401`). Both then check the role with `require`, and queries are scoped by the account.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;

use crate::auth::backend::{ABSOLUTE_TIMEOUT, AuthSession};
use crate::auth::session_keys;
use crate::db::accounts::Account;
use crate::domain::Role;
use crate::web::{ApiError, AppError};

fn auth_session(parts: &Parts) -> Result<AuthSession, AppError> {
    parts
        .extensions
        .get::<AuthSession>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the session layer is missing")))
}

/// A signed-in account, for pages.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub account: Account,
    pub auth: AuthSession,
}

impl SignedIn {
    /// `403` unless the account's role passes `allowed` (e.g. [`Role::sees_leads`]).
    pub fn require(&self, allowed: fn(Role) -> bool) -> Result<(), AppError> {
        if allowed(self.account.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let auth = auth_session(parts).map_err(IntoResponse::into_response)?;
        match auth.user.clone() {
            Some(account) => Ok(SignedIn { account, auth }),
            // Only a page can be returned to; after a form post, sign-in starts afresh.
            None if parts.method == Method::GET => {
                Err(Redirect::to(&login_url(&parts.uri)).into_response())
            }
            None => Err(Redirect::to("/login").into_response()),
        }
    }
}

/// A signed-in account, for the JSON API.
#[derive(Debug, Clone)]
pub struct ApiUser(pub Account);

impl ApiUser {
    pub fn require(&self, allowed: fn(Role) -> bool) -> Result<(), ApiError> {
        if allowed(self.0.role) {
            Ok(())
        } else {
            Err(ApiError(AppError::Forbidden))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match auth_session(parts)?.user {
            Some(account) => Ok(ApiUser(account)),
            None => Err(ApiError(AppError::Unauthorized)),
        }
    }
}

/// `/login?next=<this page>`.
pub fn login_url(uri: &Uri) -> String {
    let here = uri.path_and_query().map_or("/", |p| p.as_str());
    format!("/login?next={}", percent_encode(here))
}

/// Where to go after signing in: only a path on this site, never `//other.host` or a URL.
pub fn safe_next(next: Option<&str>) -> Option<&str> {
    let next = next?;
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\')
        && next.len() <= 512;
    ok.then_some(next)
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Ends sessions older than the absolute lifetime, however active they were; the idle timeout
/// is the store's expiry date. Runs inside the session layer on every request.
pub async fn enforce_session_lifetime(mut req: Request, next: Next) -> Response {
    let auth = req.extensions().get::<AuthSession>().cloned();
    if let Some(mut auth) = auth.filter(|a| a.user.is_some()) {
        let signed_in_at: Option<i64> = auth
            .session
            .get(session_keys::SIGNED_IN_AT)
            .await
            .ok()
            .flatten();
        let fresh = signed_in_at
            .is_some_and(|t| Utc::now().timestamp() - t < ABSOLUTE_TIMEOUT.num_seconds());
        if !fresh {
            if let Err(e) = auth.logout().await {
                tracing::warn!(error = %e, "could not end an expired session");
            }
            req.extensions_mut().insert(auth);
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(safe_next(Some("/dashboard?x=1")), Some("/dashboard?x=1"));
        assert_eq!(safe_next(Some("//evil.example")), None);
        assert_eq!(safe_next(Some("/\\evil.example")), None);
        assert_eq!(safe_next(Some("https://evil.example")), None);
        assert_eq!(safe_next(Some("javascript:alert(1)")), None);
        assert_eq!(safe_next(None), None);
    }

    #[test]
    fn login_url_carries_the_page() {
        let uri = Uri::from_static("/followup/abc?sort=level&x=1");
        assert_eq!(
            login_url(&uri),
            "/login?next=/followup/abc%3Fsort%3Dlevel%26x%3D1"
        );
    }
}
