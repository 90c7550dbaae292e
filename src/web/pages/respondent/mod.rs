//! The respondent's pages: what the check is, the questionnaire step by step, and the result
//! with its PDF and the firm's rights over its data. No sign-in; a draft is found by its resume
//! token, a result by its result token.

pub mod landing;
pub mod results;
pub mod survey;

use axum::Router;
use axum::routing::{get, post};

use crate::config::ServeSettings;
use crate::web::AppState;

pub fn router(settings: &ServeSettings) -> Router<AppState> {
    // Starting and submitting are what a flood would hit: limited per client address.
    let limited = Router::new()
        .route("/s/{id}/start", post(survey::start))
        .route("/s/{id}/submit", post(survey::submit))
        .route_layer(tower::util::option_layer(
            crate::web::security::submit_rate_limit(settings),
        ));
    Router::new()
        .merge(limited)
        .route("/", get(landing::landing))
        .route("/privacy", get(landing::privacy))
        .route("/s/resume/{token}", get(survey::resume))
        .route("/s/{id}", get(survey::start_page))
        .route(
            "/s/{id}/step/{step}",
            get(survey::show_step).post(survey::save_step),
        )
        .route("/s/{id}/saved", get(survey::saved))
        .route("/s/{id}/review", get(survey::review))
        .route("/r/{token}", get(results::show_result))
        .route("/r/{token}/pdf", get(results::download_pdf))
        .route(
            "/r/{token}/withdraw",
            get(results::withdraw_page).post(results::withdraw),
        )
}
