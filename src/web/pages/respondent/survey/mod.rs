//! The questionnaire as pages: start, one step per page (business profile, each section, contact
//! and consent), check your answers, submit. Every step is saved on the server; the browser keeps
//! only the resume token in a cookie, and the resume link brings the draft to any device.

mod form;
mod steps;
mod views;

pub use steps::*;

use std::sync::Arc;

use axum::http::HeaderValue;
use axum_csrf::CsrfToken;
use axum_extra::extract::CookieJar;

use crate::db::responses::{self, Draft};
use crate::db::tokens::looks_like_token;
use crate::domain::{Definition, Text};
use crate::web::{AppError, AppResult, AppState};

use form::*;
use views::*;

pub const RESUME_COOKIE: &str = "dxready_resume";
pub const RESULT_COOKIE: &str = "dxready_result";

pub const STEP_BUSINESS: &str = "business";
pub const STEP_CONTACT: &str = "contact";

type Pairs = Vec<(String, String)>;

/// The pages in order: the business profile, each section, then contact and consent.
pub fn steps(def: &Definition) -> Vec<String> {
    let mut steps = vec![STEP_BUSINESS.to_string()];
    steps.extend(def.sections.iter().map(|s| s.id.clone()));
    steps.push(STEP_CONTACT.to_string());
    steps
}

pub(super) fn step_title(def: &Definition, step: &str) -> Text {
    match step {
        STEP_BUSINESS => Text::new("Thông tin doanh nghiệp", "About your business"),
        STEP_CONTACT => Text::new("Liên hệ và đồng ý", "Contact and consent"),
        s => def
            .sections
            .iter()
            .find(|x| x.id == s)
            .map(|x| x.title.clone())
            .unwrap_or_default(),
    }
}

pub(super) fn definition(state: &AppState, id: &str) -> AppResult<Arc<Definition>> {
    state.questionnaires.latest_of(id).ok_or(AppError::NotFound)
}

pub(super) fn cookie(name: &str, value: &str, max_age: i64, https: bool) -> HeaderValue {
    let secure = if https { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The draft this browser is working on, if its resume cookie points at one of `def`.
pub(super) async fn current_draft(
    state: &AppState,
    jar: &CookieJar,
    def: &Definition,
) -> AppResult<Option<(Draft, String)>> {
    let Some(token) = jar.get(RESUME_COOKIE).map(|c| c.value().to_string()) else {
        return Ok(None);
    };
    if !looks_like_token(&token) {
        return Ok(None);
    }
    Ok(responses::find_by_resume_token(&state.db, &token)
        .await?
        .filter(|d| d.questionnaire_id == def.id)
        .map(|d| (d, token)))
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    csrf_token: String,
    /// On the start form: the earlier result's token, for a re-assessment.
    #[serde(default)]
    previous: Option<String>,
    /// On the start form: an invitation's or reminder's re-take token (single use).
    #[serde(default)]
    invite: Option<String>,
}

pub(super) fn check_csrf(csrf: &CsrfToken, token: Option<&str>) -> AppResult<()> {
    match token {
        Some(t) if csrf.verify(t).is_ok() => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

pub(super) fn pair<'a>(pairs: &'a Pairs, name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
