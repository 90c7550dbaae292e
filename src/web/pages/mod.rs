//! Server-rendered pages (maud), by audience: [`respondent`] (the business owner: landing,
//! questionnaire, result) and [`console`] (signed-in staff, agencies and admins). They work
//! without JavaScript.

pub mod console;
pub mod health;
pub mod respondent;

use axum::Router;

use super::AppState;

pub fn router(settings: &crate::config::ServeSettings) -> Router<AppState> {
    Router::new()
        .merge(respondent::router(settings))
        .merge(console::router())
}
