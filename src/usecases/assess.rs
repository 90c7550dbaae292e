//! Submitting a response: the one path shared by the pages and the JSON API. Check it against
//! the questionnaire and the contact rules, assess it as of today, store it all in one
//! transaction.

use chrono::NaiveDate;
use uuid::Uuid;

use super::{App, Error, Result};
use crate::db::responses::{self, PreviousResult};
use crate::db::submissions::{self, NewSubmission};
use crate::db::tokens::looks_like_token;
use crate::domain::assessment::{Assessment, assess};
use crate::domain::contact::contact_errors;
use crate::domain::questionnaire::ConsentPurpose;
use crate::domain::validate::{Field, FieldError, Scope, validate};
use crate::domain::{Contact, Definition, Lang, Roadmap, ScoreResult, Submission, Text};

pub struct Submitted {
    pub response_id: Uuid,
    pub token: String,
    pub result: ScoreResult,
    pub roadmap: Roadmap,
    /// The earlier assessment this one re-takes, when the request named one.
    pub previous: Option<PreviousResult>,
}

/// The earlier response a re-assessment names by its result token, with its scores; an
/// unknown token is a field error on `previous`.
async fn earlier(
    app: &App,
    token: Option<&str>,
) -> Result<std::result::Result<Option<(responses::Earlier, Option<PreviousResult>)>, FieldError>> {
    let Some(token) = token else {
        return Ok(Ok(None));
    };
    let found = if looks_like_token(token) {
        responses::find_earlier(&app.db, token).await?
    } else {
        None
    };
    Ok(match found {
        Some(e) => {
            let previous = responses::previous_result(&app.db, e.response_id).await?;
            Ok(Some((e, previous)))
        }
        None => Err(FieldError {
            field: Field::Other("previous".into()),
            message: Text::new(
                "Không có kết quả nào với mã này",
                "no result has this token",
            ),
        }),
    })
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

/// `draft`: the web draft being submitted (it carries its own link to an earlier result);
/// `None` for the API (a new response, re-assessing the result whose token is `previous`).
#[expect(
    clippy::too_many_arguments,
    reason = "one submission, as each channel hands it over"
)]
pub async fn submit_response(
    app: &App,
    def: &Definition,
    draft: Option<Uuid>,
    submission: &Submission,
    contact: &Contact,
    previous: Option<&str>,
    lang: Lang,
    channel: &str,
) -> Result<Submitted> {
    let now = app.clock.now();
    let today = app.clock.today();
    let mut errors = response_errors(def, submission, contact, today);
    let earlier = match earlier(app, previous).await? {
        Ok(found) => found,
        Err(e) => {
            errors.push(e);
            None
        }
    };
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let (earlier, previous) = earlier.map_or((None, None), |(e, p)| (Some(e), p));
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
    let rows = rows.re_assessing(earlier.as_ref());
    let response_id = rows.id;
    app.submissions.submit(rows).await?;
    if earlier.is_some() || draft.is_some() {
        // The submission is stored either way; a case left unmoved shows on the lead page.
        if let Err(e) = super::cases::on_submitted(app, response_id).await {
            tracing::warn!(error = %e, "could not move the firm's cases after its re-assessment");
        }
    }
    if email_report_to.is_some() {
        app.outbox_wakeup.notify_one();
    }
    Ok(Submitted {
        response_id,
        token,
        result,
        roadmap,
        previous,
    })
}
