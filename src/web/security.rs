//! Protection that applies to every response or to public submissions: security headers, the
//! client address (proxy-aware), and the per-address limit on public submissions
//! (`DXREADY_SUBMIT_RATE`), shared by every instance on PostgreSQL.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::Route;
use sea_orm::DatabaseConnection;
use tower::{Layer, Service};

use crate::auth::backend::session_cookie;
use crate::config::{IpRange, ServeSettings};

/// No inline script or style anywhere, no framing, forms only to ourselves.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

/// The address of the client: the TCP peer, or, when the peer is a trusted reverse proxy
/// (`DXREADY_TRUSTED_PROXIES`), the nearest address in `X-Forwarded-For` that is not a trusted
/// proxy. A header from any other peer is ignored, so a client cannot forge its address.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Resolved once per request by `client_context`; the peer where that layer is absent.
        Ok(match parts.extensions.get::<ClientAddr>() {
            Some(resolved) => *resolved,
            None => ClientAddr(
                parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ConnectInfo(addr)| addr.ip()),
            ),
        })
    }
}

fn peer(req: &Request) -> Option<IpAddr> {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// What [`client_context`] needs: the trusted proxies, and the database when the submission
/// limit is counted there (PostgreSQL).
#[derive(Clone)]
pub struct ClientContext {
    pub trusted_proxies: Arc<[IpRange]>,
    pub shared_limit: Option<DatabaseConnection>,
}

/// The database that counts public submissions for every instance (see `submit_rate_limit`).
#[derive(Clone)]
struct SharedSubmitLimit(DatabaseConnection);

/// Resolves the client's address once for the request (see [`ClientAddr`]) and hands the
/// shared submission counter to the submission limit.
pub async fn client_context(
    State(context): State<ClientContext>,
    mut req: Request,
    next: Next,
) -> Response {
    let client = client_addr(peer(&req), req.headers(), &context.trusted_proxies);
    req.extensions_mut().insert(ClientAddr(client));
    if let Some(db) = &context.shared_limit {
        req.extensions_mut().insert(SharedSubmitLimit(db.clone()));
    }
    next.run(req).await
}

/// The client behind `peer`: `peer` itself unless it is a trusted proxy; then, reading
/// `X-Forwarded-For` from the right (the hop nearest to us), the first address that is not a
/// trusted proxy. Entries left of it were written by the client and are never believed; an
/// unreadable entry ends the walk at the last trusted hop.
pub fn client_addr(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted: &[IpRange],
) -> Option<IpAddr> {
    let peer = peer?;
    let is_trusted = |ip: IpAddr| trusted.iter().any(|range| range.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in forwarded.iter().rev() {
        let Some(ip) = parse_hop(hop) else { break };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    Some(client)
}

/// An `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
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
/// up to the whole minute's allowance, then one every `60 s / rate`), or `None` when the
/// setting is `0`. Apply it to the submission routes only, e.g. `.route_layer(layer)` or
/// `tower::util::option_layer`. Over the limit the answer is `429` with `Retry-After`.
///
/// On PostgreSQL ([`client_context`] hands the database to it) the state is kept in the
/// database, so N instances allow the setting, not N times it (`db::submit_limit`); on SQLite,
/// which runs one instance, in memory, by the same rule.
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
    let rule = Arc::new(InProcessLimit::new(per_minute));
    Some(axum::middleware::from_fn(
        move |req: Request, next: Next| {
            let rule = rule.clone();
            async move { limit_submission(&rule, req, next).await }
        },
    ))
}

/// The allowance is a minute's worth.
const WINDOW: Duration = Duration::from_secs(60);

/// The generic cell rate algorithm in memory, per address (see `db::submit_limit`).
struct InProcessLimit {
    interval: Duration,
    /// Each address's theoretical arrival time; the last sweep of passed ones.
    tats: Mutex<(HashMap<IpAddr, Instant>, Instant)>,
}

impl InProcessLimit {
    fn new(per_minute: u32) -> Self {
        InProcessLimit {
            interval: WINDOW / per_minute.max(1),
            tats: Mutex::new((HashMap::new(), Instant::now())),
        }
    }

    /// Counts a submission at `now` if allowed (`None`); otherwise how long until it would be.
    fn admit(&self, client: IpAddr, now: Instant) -> Option<Duration> {
        let mut guard = self
            .tats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (tats, last_sweep) = &mut *guard;
        if now.saturating_duration_since(*last_sweep) >= WINDOW {
            // A passed TAT is as good as none: keep the map to the recently active addresses.
            tats.retain(|_, tat| *tat > now);
            *last_sweep = now;
        }
        let tat = tats.get(&client).copied().unwrap_or(now).max(now) + self.interval;
        if tat.saturating_duration_since(now) > WINDOW {
            return Some(tat.saturating_duration_since(now) - WINDOW);
        }
        tats.insert(client, tat);
        None
    }
}

async fn limit_submission(rule: &InProcessLimit, req: Request, next: Next) -> Response {
    let client = match req.extensions().get::<ClientAddr>() {
        Some(ClientAddr(client)) => *client,
        None => peer(&req),
    };
    // Without an address there is nothing to count by (not served over TCP).
    let Some(client) = client else {
        return next.run(req).await;
    };
    let wait = match req.extensions().get::<SharedSubmitLimit>() {
        Some(SharedSubmitLimit(db)) => {
            let now = chrono::Utc::now();
            forget_passed(db, now);
            let admitted =
                crate::db::submit_limit::admit(db, &client.to_string(), now, rule.interval, WINDOW)
                    .await;
            admitted.unwrap_or_else(|e| {
                // The submission itself needs the database: let it fail there, or succeed.
                tracing::warn!(error = %e, "cannot count the submission; not limiting it");
                None
            })
        }
        None => rule.admit(client, Instant::now()),
    };
    let Some(wait) = wait else {
        return next.run(req).await;
    };
    let mut res = Response::new(Body::from(
        r#"{"error":"too many submissions from this address; try again in a minute"}"#,
    ));
    *res.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    res
}

/// About once a minute per instance, in the background, drops the rows whose TAT has passed.
fn forget_passed(db: &DatabaseConnection, now: chrono::DateTime<chrono::Utc>) {
    static LAST_MINUTE: AtomicI64 = AtomicI64::new(i64::MIN);
    let minute = now.timestamp().div_euclid(60);
    if LAST_MINUTE.swap(minute, Ordering::Relaxed) == minute {
        return;
    }
    let db = db.clone();
    tokio::spawn(async move {
        if let Err(e) = crate::db::submit_limit::forget_before(&db, now).await {
            tracing::warn!(error = %e, "cannot drop passed submission limits");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        headers
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn only_a_trusted_proxy_is_believed_and_only_for_its_own_hop() {
        let proxies = [
            IpRange::parse("10.0.0.1").unwrap(),
            IpRange::parse("192.168.0.0/16").unwrap(),
        ];
        let from_proxy = ip("10.0.0.1");
        // No trusted proxies, or a peer that is not one: the header is ignored.
        let forged = forwarded(&["203.0.113.9"]);
        assert_eq!(
            client_addr(ip("198.51.100.7"), &forged, &[]),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_addr(ip("198.51.100.7"), &forged, &proxies),
            ip("198.51.100.7")
        );
        // Through the proxy: the address it saw.
        assert_eq!(
            client_addr(from_proxy, &forged, &proxies),
            ip("203.0.113.9")
        );
        // A client that sends its own header: the proxy appends the real address; the forged
        // one to its left is not believed.
        let appended = forwarded(&["1.2.3.4, 203.0.113.9"]);
        assert_eq!(
            client_addr(from_proxy, &appended, &proxies),
            ip("203.0.113.9")
        );
        // Two trusted hops, over two header lines, with a port.
        let chain = forwarded(&["1.2.3.4, 203.0.113.9:5123", "192.168.4.4"]);
        assert_eq!(client_addr(from_proxy, &chain, &proxies), ip("203.0.113.9"));
        // An unreadable hop ends the walk at the last trusted one.
        let junk = forwarded(&["203.0.113.9, nonsense"]);
        assert_eq!(client_addr(from_proxy, &junk, &proxies), from_proxy);
        // Nothing forwarded: the proxy itself.
        assert_eq!(
            client_addr(from_proxy, &HeaderMap::new(), &proxies),
            from_proxy
        );
        assert_eq!(client_addr(None, &forged, &proxies), None);
    }

    #[test]
    fn the_in_process_limit_allows_a_minutes_burst_then_one_per_interval() {
        let limit = InProcessLimit::new(3);
        let a = ip("192.0.2.1").unwrap();
        let b = ip("192.0.2.2").unwrap();
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limit.admit(a, start), None);
        }
        assert_eq!(limit.admit(a, start), Some(Duration::from_secs(20)));
        assert_eq!(limit.admit(b, start), None, "per address");
        let later = start + Duration::from_secs(20);
        assert_eq!(limit.admit(a, later), None, "one interval later, one more");
        assert!(limit.admit(a, later).is_some());
        // Quiet addresses are forgotten at the next sweep.
        assert_eq!(limit.admit(b, start + Duration::from_secs(200)), None);
        assert_eq!(limit.tats.lock().unwrap().0.len(), 1);
    }
}
