//! Drafts being filled in: the "save and finish later" e-mail.

use uuid::Uuid;

use super::{App, Result};
use crate::domain::Lang;

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
