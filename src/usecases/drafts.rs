//! Drafts being filled in: starting one (a re-assessment starts from the earlier result), and
//! the "save and finish later" e-mail.

use uuid::Uuid;

use super::{App, Error, Result};
use crate::db::responses;
use crate::domain::{Definition, Lang};

/// Starts a draft and returns its resume token. With the token of an earlier result of the
/// firm, the draft re-assesses it: linked to it, and pre-filled with its profile. An unknown
/// token is not found: no firm can link to a result it does not hold the link of.
pub async fn start_draft(
    app: &App,
    def: &Definition,
    lang: Lang,
    previous_token: Option<&str>,
) -> Result<String> {
    let previous = match previous_token {
        Some(token) => Some(
            responses::find_earlier(&app.db, token)
                .await?
                .ok_or(Error::NotFound)?,
        ),
        None => None,
    };
    let (_, token) = responses::create_draft(&app.db, def, lang, previous.as_ref()).await?;
    Ok(token)
}

/// Queues the resume link for `to` and wakes the e-mail worker.
pub async fn send_resume_link(
    app: &App,
    response_id: Uuid,
    to: &str,
    lang: Lang,
    resume_token: &str,
) -> Result<()> {
    crate::db::outbox::enqueue_resume_link(&app.db, response_id, to, lang, resume_token).await?;
    app.outbox_wakeup.notify_one();
    Ok(())
}
