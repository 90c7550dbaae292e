//! Server-rendered pages (maud). They work without JavaScript.

pub mod admin;
pub mod auth;
pub mod console;
pub mod dashboard;
pub mod followup;
pub mod health;
pub mod landing;
pub mod mail_queue;
pub mod results;
pub mod survey;

use axum::Router;
use axum::routing::{get, post};

use super::AppState;

pub fn router(settings: &crate::config::ServeSettings) -> Router<AppState> {
    // Starting and submitting are what a flood would hit: limited per client address.
    let limited = Router::new()
        .route("/s/{id}/start", post(survey::start))
        .route("/s/{id}/submit", post(survey::submit))
        .route_layer(tower::util::option_layer(
            super::security::submit_rate_limit(settings),
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
        .route("/login", get(auth::login_form).post(auth::login))
        .route("/logout", post(auth::logout))
        .route(
            "/account/password",
            get(auth::account_page).post(auth::change_password),
        )
        .route(
            "/account/sign-out-everywhere",
            post(auth::sign_out_everywhere),
        )
        .route("/dashboard", get(dashboard::dashboard))
        .route("/followup", get(followup::list_leads))
        .route("/followup/{id}", get(followup::show_lead))
        .route("/admin", get(admin::admin_page))
        .route("/admin/accounts", post(admin::create_account))
        .route("/admin/accounts/{id}/role", post(admin::change_role))
        .route("/admin/accounts/{id}/disable", post(admin::disable_account))
        .route("/admin/accounts/{id}/enable", post(admin::enable_account))
        .route("/admin/agencies", post(admin::save_agency))
        .route("/admin/audit", get(admin::audit_page))
        .route("/admin/mail", get(mail_queue::mail_queue))
        .route("/admin/mail/{id}/retry", post(mail_queue::retry_mail))
        .route("/metrics", get(super::metrics::protected_metrics))
}
