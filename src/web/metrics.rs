//! Prometheus metrics in the text format: requests and latencies by route and status (counted
//! by a middleware), and gauges read from the database when scraped (submitted responses, the
//! e-mail outbox depth). `/metrics` needs an admin session, unless `DXREADY_METRICS_ADDR` is
//! set: then it is served there only, for a scraper on a private network.
//!
//! Requests are recorded with the `metrics` crate into `metrics-exporter-prometheus`, whose
//! atomic counters and histograms take no process-wide lock per request.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::{AppResult, AppState};
use crate::domain::Role;
use crate::web::session::SignedIn;

const REQUESTS: &str = "dxready_http_requests_total";
const DURATION: &str = "dxready_http_request_duration_seconds";

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How often histogram samples are folded into their buckets between scrapes, so memory stays
/// bounded when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// One recorder per process (the `metrics` crate allows one global recorder): every router
/// built in this process counts into it.
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder on the first call; later calls return the same handle.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(DURATION.to_string()), &BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics shows no requests");
        }
        metrics::describe_counter!(REQUESTS, "HTTP requests by method, route and status.");
        metrics::describe_histogram!(DURATION, "Time to answer, by method, route and status.");
        let upkeep = handle.clone();
        // A thread, not a task: it outlives any one runtime (each test has its own).
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "no metrics upkeep thread; histograms drain only when scraped");
        }
        handle
    })
}

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
    let labels = [
        ("method", method),
        ("route", route),
        ("status", res.status().as_u16().to_string()),
    ];
    metrics::counter!(REQUESTS, &labels).increment(1);
    metrics::histogram!(DURATION, &labels).record(seconds);
    res
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> Option<i64> {
    let stmt = Statement::from_string(db.get_database_backend(), sql);
    let row = db.query_one_raw(stmt).await.ok()??;
    row.try_get_by_index::<i64>(0).ok()
}

/// The database gauges, in a recorder of their own: they belong to this database, not to the
/// process (tests run several apps, each with its own database, in one process).
async fn database_gauges(db: &DatabaseConnection) -> String {
    let submissions = scalar(
        db,
        "SELECT COUNT(*) FROM response WHERE status = 'submitted'",
    )
    .await;
    // The outbox arrives with the e-mail work; until its table exists this gauge is left out.
    let outbox = scalar(
        db,
        "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')",
    )
    .await;
    let recorder = PrometheusBuilder::new().build_recorder();
    metrics::with_local_recorder(&recorder, || {
        if let Some(n) = submissions {
            metrics::describe_gauge!("dxready_submissions", "Submitted responses stored.");
            metrics::gauge!("dxready_submissions").set(n as f64);
        }
        if let Some(n) = outbox {
            metrics::describe_gauge!("dxready_outbox_depth", "E-mails waiting to be sent.");
            metrics::gauge!("dxready_outbox_depth").set(n as f64);
        }
    });
    recorder.handle().render()
}

/// The whole exposition.
pub async fn render(db: &DatabaseConnection) -> String {
    let mut out = install().render();
    out.push_str(&database_gauges(db).await);
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
