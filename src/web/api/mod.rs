//! The JSON API under `/api/v1`, as in the contract. Routes are registered through utoipa's
//! `OpenApiRouter`, so `/api/v1/openapi.json` is generated from the same handlers that serve them.

pub mod model;
mod questionnaires;
mod responses;
pub mod stats;

use axum::Json;
use axum::Router;
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
    router.route("/openapi.json", get(move || async move { Json(doc) }))
}
