//! Submitting a response: the one path shared by the pages and the JSON API. Check it against
//! the questionnaire and the contact rules, assess it as of today, store it all in one
//! transaction.

use chrono::NaiveDate;
use uuid::Uuid;

use super::{App, Error, Result};
use crate::db::submissions::{self, NewSubmission};
use crate::domain::assessment::{Assessment, assess};
use crate::domain::contact::contact_errors;
use crate::domain::questionnaire::ConsentPurpose;
use crate::domain::validate::{FieldError, Scope, validate};
use crate::domain::{Contact, Definition, Lang, Roadmap, ScoreResult, Submission};

pub struct Submitted {
    pub response_id: Uuid,
    pub token: String,
    pub result: ScoreResult,
    pub roadmap: Roadmap,
}

/// Every problem with a whole response: its answers, and how the firm may be reached.
pub fn response_errors(
    def: &Definition,
    submission: &Submission,
    contact: &Contact,
    today: NaiveDate,
) -> Vec<FieldError> {
    let mut errors = validate(def, submission, Scope::Everything, today);
    errors.extend(contact_errors(contact, &submission.consents));
    errors
}

/// `draft`: the web draft being submitted; `None` for the API (a new response).
pub async fn submit_response(
    app: &App,
    def: &Definition,
    draft: Option<Uuid>,
    submission: &Submission,
    contact: &Contact,
    lang: Lang,
    channel: &str,
) -> Result<Submitted> {
    let now = app.clock.now();
    let today = app.clock.today();
    let errors = response_errors(def, submission, contact, today);
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let Assessment {
        submission,
        result,
        roadmap,
        size_class,
    } = assess(def, submission, today);
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
    app.submissions.submit(rows).await?;
    if email_report_to.is_some() {
        app.outbox_wakeup.notify_one();
    }
    Ok(Submitted {
        response_id,
        token,
        result,
        roadmap,
    })
}
