//! The JSON API under `/api/v1`, as in the contract. Routes are registered through utoipa's
//! `OpenApiRouter`, so `/api/v1/openapi.json` is generated from the same handlers that serve them.

pub mod model;
mod questionnaires;
mod responses;
pub mod stats;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use crate::config::ServeSettings;

#[derive(OpenApi)]
#[openapi(
    info(title = "dxready API", version = "1", description = "Digital-readiness self-assessment for Vietnamese SMEs"),
    servers((url = "/api/v1"))
)]
struct ApiDoc;

/// The API routes and the OpenAPI document describing exactly them.
pub fn routes_and_doc(settings: &ServeSettings) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(responses::create_response))
        // route_layer covers only the routes added above it: public submissions are rate-limited.
        .route_layer(tower::util::option_layer(
            super::security::submit_rate_limit(settings),
        ))
        .routes(routes!(questionnaires::list_questionnaires))
        .routes(routes!(questionnaires::get_questionnaire))
        .routes(routes!(responses::get_result))
        .routes(routes!(stats::stats))
        .split_for_parts()
}

pub fn router(settings: &ServeSettings) -> Router<AppState> {
    let (router, doc) = routes_and_doc(settings);
    let doc = serde_json::to_value(&doc).unwrap_or_default();
    router
        .route("/openapi.json", get(move || async move { Json(doc) }))
        .layer(axum::middleware::map_response(framework_errors_as_json))
}

/// Rejections that axum and tower answer before a handler runs (413 body too large, 405, a
/// bad extractor) are plain text; an API client gets every error as `{"error": …}`, like the
/// handlers' own.
async fn framework_errors_as_json(res: Response) -> Response {
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // These bodies are short messages written by the framework.
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let error = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_lowercase()
    } else {
        text
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = serde_json::json!({ "error": error }).to_string();
    Response::from_parts(parts, Body::from(body))
}
