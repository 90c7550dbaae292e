//! The page language: `?lang=en` switches and is remembered in a cookie; otherwise the cookie;
//! otherwise Vietnamese.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::CookieJar;

use crate::domain::Lang;

pub const COOKIE: &str = "lang";

fn from_query(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("lang=").and_then(Lang::parse))
}

/// The language of this request.
#[derive(Debug, Clone, Copy)]
pub struct PageLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        if let Some(lang) = from_query(parts.uri.query()) {
            return Ok(PageLang(lang));
        }
        let jar = CookieJar::from_headers(&parts.headers);
        Ok(PageLang(
            jar.get(COOKIE)
                .and_then(|c| Lang::parse(c.value()))
                .unwrap_or_default(),
        ))
    }
}

/// Sets the language cookie when `?lang=` picks a language, so the choice sticks.
pub async fn remember_language(req: Request, next: Next) -> Response {
    let chosen = from_query(req.uri().query());
    let mut res = next.run(req).await;
    if let Some(lang) = chosen {
        let cookie = format!(
            "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang.code()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}
