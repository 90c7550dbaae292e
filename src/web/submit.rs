//! Submitting a response: the one path shared by the pages and the JSON API. Validate against the
//! definition, drop answers to irrelevant questions, score, choose the roadmap, store it all in
//! one transaction.

use chrono::Utc;
use uuid::Uuid;

use crate::db::submissions::{self, NewSubmission};
use crate::domain::facts::Derived;
use crate::domain::questionnaire::ConsentPurpose;
use crate::domain::validate::{Scope, clean, validate};
use crate::domain::{Contact, Definition, Lang, Roadmap, ScoreResult, Submission, roadmap, score};
use crate::web::{AppError, AppResult, AppState};

pub struct Submitted {
    pub response_id: Uuid,
    pub token: String,
    pub result: ScoreResult,
    pub roadmap: Roadmap,
}

/// `draft`: the web draft being submitted; `None` for the API (a new response).
pub async fn submit_response(
    state: &AppState,
    def: &Definition,
    draft: Option<Uuid>,
    submission: &Submission,
    contact: &Contact,
    lang: Lang,
    channel: &str,
) -> AppResult<Submitted> {
    let now = Utc::now();
    let today = now.date_naive();
    let errors = validate(def, submission, Scope::Everything, today);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let submission = clean(def, submission);
    let result = score(def, &submission);
    let roadmap = roadmap(def, &submission, &result, today);
    let size_class = Derived::compute(def, &submission, today).size_class;
    let email_report_to = contact
        .email
        .clone()
        .filter(|_| submission.consents.contains(&ConsentPurpose::EmailReport));
    let (rows, token) = submissions::prepare(
        draft,
        NewSubmission {
            def,
            lang,
            submission: &submission,
            contact,
            result: &result,
            roadmap: &roadmap,
            size_class,
            channel,
            now,
            email_report_to: email_report_to.clone(),
        },
    );
    let response_id = rows.id;
    state.submissions.submit(rows).await?;
    if email_report_to.is_some() {
        state.outbox_wakeup.notify_one();
    }
    Ok(Submitted {
        response_id,
        token,
        result,
        roadmap,
    })
}
