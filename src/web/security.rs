//! Protection that applies to every response or to public submissions: security headers, the
//! client address, and the per-address limit on public submissions (`DXREADY_SUBMIT_RATE`).

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::Route;
use tower::{Layer, Service};
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;

use crate::auth::backend::session_cookie;
use crate::config::ServeSettings;

/// No inline script or style anywhere, no framing, forms only to ourselves.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The address of the client (the TCP peer). Behind a reverse proxy this is the proxy, so the
/// proxy must do its own per-client limiting; forwarded headers are not trusted.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| addr.ip()),
        ))
    }
}

/// Whether the site runs under https (HSTS, `Secure` cookies).
#[derive(Debug, Clone, Copy)]
pub struct Https(pub bool);

/// Adds the security headers to every response (a handler may set its own first). Responses to
/// signed-in requests are not stored by browsers or proxies: they may hold personal data.
pub async fn security_headers(
    State(Https(https)): State<Https>,
    req: Request,
    next: Next,
) -> Response {
    let has_session = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.split(';')
                .any(|c| c.trim_start().starts_with(session_cookie(https)))
        });
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            header::HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
    ];
    for (name, value) in fixed {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    if https {
        headers
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static(
                "max-age=31536000; includeSubDomains",
            ));
    }
    // Pages, API answers, reports and exports may show a firm's name or contact (a result page
    // opened by its link has no session cookie): no shared or back-button cache keeps them.
    // Only static files (styles, scripts, fonts, images) may be cached.
    let generated = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| {
            [
                "text/html",
                "application/json",
                "application/pdf",
                "text/csv",
                "text/plain",
            ]
            .iter()
            .any(|kind| t.starts_with(kind))
        });
    if has_session || generated {
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    res
}

/// A limit of `DXREADY_SUBMIT_RATE` public submissions per minute per client address (bursts
/// up to the whole minute's allowance), or `None` when the setting is `0`. Apply it to the
/// submission routes only, e.g. `.route_layer(layer)` or `tower::util::option_layer`. Over the
/// limit the answer is `429` with `Retry-After`.
pub fn submit_rate_limit(
    settings: &ServeSettings,
) -> Option<
    impl Layer<
        Route,
        Service: Service<
            Request,
            Response = Response,
            Error = Infallible,
            Future: Send + 'static,
        > + Clone
                     + Send
                     + Sync
                     + 'static,
    > + Clone
    + Send
    + Sync
    + 'static,
> {
    let per_minute = settings.submit_rate;
    if per_minute == 0 {
        return None;
    }
    let config = GovernorConfigBuilder::default()
        .period(Duration::from_secs(60) / per_minute)
        .burst_size(per_minute)
        .finish()?;
    // Forget addresses that have been quiet for a while, so the map stays small; stops when
    // the layer is dropped.
    let limiter = Arc::downgrade(config.limiter());
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                match limiter.upgrade() {
                    Some(l) => l.retain_recent(),
                    None => break,
                }
            }
        });
    }
    Some(
        GovernorLayer::<_, _, Body>::new(config).error_handler(|error| {
            let mut res = error.into_response().map(Body::from);
            if res.status() == axum::http::StatusCode::TOO_MANY_REQUESTS {
                *res.body_mut() = Body::from(
                    r#"{"error":"too many submissions from this address; try again in a minute"}"#,
                );
                res.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
            }
            res
        }),
    )
}
