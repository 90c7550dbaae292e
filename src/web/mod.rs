//! HTTP: routes, pages and the JSON API. Handlers are thin: parse, call a use case
//! (`crate::usecases`), render. Every route is registered in [`router`].

pub mod api;
pub mod dates;
pub mod error;
pub mod export;
pub mod lang;
pub mod metrics;
pub mod pages;
pub mod security;
pub mod session;
pub mod state;
pub mod views;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::routing::get;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use crate::usecases::App;
pub use error::{ApiError, AppError, AppResult};
pub use state::AppState;

/// Largest request body accepted anywhere (a full submission is a few KB).
pub const BODY_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let https = state.is_https();
    // Pages and API see the signed-in account; static files and health checks need no session.
    let with_sessions = Router::new()
        .merge(pages::router(&state.settings))
        .nest("/api/v1", api::router(&state.settings))
        .layer(axum::middleware::from_fn(session::enforce_session_lifetime))
        .layer(crate::auth::layer(state.db.clone(), https));
    Router::new()
        .merge(with_sessions)
        .route("/healthz", get(pages::health::healthz))
        .nest_service("/static", ServeDir::new(static_dir()))
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(axum::middleware::from_fn_with_state(
            security::ClientContext {
                trusted_proxies: state.settings.trusted_proxies.clone().into(),
                // PostgreSQL may serve several instances: they share one count.
                shared_limit: (!crate::db::is_sqlite(&state.db) && state.settings.submit_rate > 0)
                    .then(|| state.db.clone()),
            },
            security::client_context,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(lang::remember_language))
        .layer(axum::middleware::from_fn_with_state(
            security::Https(https),
            security::security_headers,
        ))
        .layer(cross_origin_protection(&state.base_url))
        .layer(CompressionLayer::new())
        .layer(
            // Logs route, status and latency, never query strings (they may hold tokens).
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    let route = req
                        .extensions()
                        .get::<axum::extract::MatchedPath>()
                        .map_or_else(|| "-".to_string(), |p| p.as_str().to_string());
                    tracing::info_span!("request", method = %req.method(), route, request_id = id)
                })
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Millis),
                ),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .with_state(state)
}

/// Refuses state-changing requests that a browser marks as cross-site (`Sec-Fetch-Site`) or
/// whose `Origin` is neither this host nor the configured base URL. Form tokens come on top.
fn cross_origin_protection(base_url: &str) -> tower_http::csrf::CsrfLayer {
    let layer = tower_http::csrf::CsrfLayer::new();
    match layer.clone().add_trusted_origin(base_url) {
        Ok(with_base) => with_base,
        Err(e) => {
            tracing::warn!(error = ?e, "the base URL is not a valid origin; trusting the Host header only");
            layer
        }
    }
}

/// `static/` beside the binary's working directory, or the source tree's (tests, `cargo run`).
fn static_dir() -> std::path::PathBuf {
    let local = std::path::PathBuf::from("static");
    if local.is_dir() {
        local
    } else {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static")
    }
}
