//! Prometheus metrics in the text format: requests and latencies by route and status (counted
//! by a middleware), and gauges read from the database when scraped (submitted responses, the
//! e-mail outbox depth). `/metrics` needs an admin session, unless `DXREADY_METRICS_ADDR` is
//! set: then it is served there only, for a scraper on a private network.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::{AppResult, AppState};
use crate::domain::Role;
use crate::web::session::SignedIn;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default, Clone)]
struct Series {
    count: u64,
    sum_seconds: f64,
    /// Cumulative per bucket, as Prometheus wants them.
    buckets: [u64; BUCKETS.len()],
}

/// (method, route pattern, status)
type Key = (String, String, u16);

/// One registry per process, like Prometheus clients' default registry: every router built in
/// this process counts into it.
static REQUESTS: LazyLock<Mutex<BTreeMap<Key, Series>>> = LazyLock::new(Default::default);

/// Counts every request by its route pattern (never the raw path: it may hold tokens).
pub async fn track(req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let started = Instant::now();
    let res = next.run(req).await;
    let seconds = started.elapsed().as_secs_f64();
    let key = (method, route, res.status().as_u16());
    if let Ok(mut map) = REQUESTS.lock() {
        let series = map.entry(key).or_default();
        series.count += 1;
        series.sum_seconds += seconds;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                series.buckets[i] += 1;
            }
        }
    }
    res
}

fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> Option<i64> {
    let stmt = Statement::from_string(db.get_database_backend(), sql);
    let row = db.query_one_raw(stmt).await.ok()??;
    row.try_get_by_index::<i64>(0).ok()
}

/// The whole exposition.
pub async fn render(db: &DatabaseConnection) -> String {
    let mut out = String::new();
    let series: Vec<(Key, Series)> = REQUESTS
        .lock()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    out.push_str("# HELP dxready_http_requests_total HTTP requests by method, route and status.\n");
    out.push_str("# TYPE dxready_http_requests_total counter\n");
    for ((method, route, status), s) in &series {
        let _ = writeln!(
            out,
            "dxready_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {}",
            label(method),
            label(route),
            s.count
        );
    }
    out.push_str("# HELP dxready_http_request_duration_seconds Time to answer, by method, route and status.\n");
    out.push_str("# TYPE dxready_http_request_duration_seconds histogram\n");
    for ((method, route, status), s) in &series {
        let labels = format!(
            "method=\"{}\",route=\"{}\",status=\"{status}\"",
            label(method),
            label(route)
        );
        for (bound, n) in BUCKETS.iter().zip(s.buckets) {
            let _ = writeln!(
                out,
                "dxready_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "dxready_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
            s.count
        );
        let _ = writeln!(
            out,
            "dxready_http_request_duration_seconds_sum{{{labels}}} {}",
            s.sum_seconds
        );
        let _ = writeln!(
            out,
            "dxready_http_request_duration_seconds_count{{{labels}}} {}",
            s.count
        );
    }
    if let Some(n) = scalar(
        db,
        "SELECT COUNT(*) FROM response WHERE status = 'submitted'",
    )
    .await
    {
        out.push_str("# HELP dxready_submissions Submitted responses stored.\n");
        out.push_str("# TYPE dxready_submissions gauge\n");
        let _ = writeln!(out, "dxready_submissions {n}");
    }
    // The outbox arrives with the e-mail work; until its table exists this gauge is left out.
    if let Some(n) = scalar(
        db,
        "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')",
    )
    .await
    {
        out.push_str("# HELP dxready_outbox_depth E-mails waiting to be sent.\n");
        out.push_str("# TYPE dxready_outbox_depth gauge\n");
        let _ = writeln!(out, "dxready_outbox_depth {n}");
    }
    out
}

fn exposition(body: String) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
        .into_response()
}

/// `/metrics` on the public router: admins only, and not at all when a separate address is set.
pub async fn protected_metrics(
    State(state): State<AppState>,
    user: SignedIn,
) -> AppResult<Response> {
    if state.settings.metrics_addr.is_some() {
        return Err(super::AppError::NotFound);
    }
    user.require(Role::administers)?;
    Ok(exposition(render(&state.db).await))
}

async fn open_metrics(State(state): State<AppState>) -> Response {
    exposition(render(&state.db).await)
}

/// The router for `DXREADY_METRICS_ADDR`: `/metrics` without a session (bind it privately).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(open_metrics))
        .with_state(state)
}
