//! What the pages ask of the e-mail outbox.

use uuid::Uuid;

use crate::domain::Lang;
use crate::web::{AppResult, AppState};

/// Queues the resume link for `to` and wakes the worker; true when a message was queued.
pub async fn send_resume_link(
    state: &AppState,
    response_id: Uuid,
    to: &str,
    lang: Lang,
    resume_token: &str,
) -> AppResult<bool> {
    crate::db::outbox::enqueue_resume_link(&state.db, response_id, to, lang, resume_token).await?;
    state.outbox_wakeup.notify_one();
    Ok(true)
}
