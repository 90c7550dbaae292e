//! Drafts being filled in: starting one (a re-assessment starts from the earlier result),
//! the "save and finish later" e-mail, and picking a draft up from its link.
//!
//! Anyone can type any address, and the e-mail comes from the official sender, so resume
//! e-mails are limited: one per draft and address an hour, three per address a day, ten per
//! client an hour. The counters live in the database (the sign-in throttle's table), so the
//! limits hold across app instances. Addresses are counted under their hash.

use std::net::IpAddr;

use chrono::Utc;
use uuid::Uuid;

use super::{App, Error, Result};
use crate::db::accounts::{ThrottleWindow, count_attempt};
use crate::db::responses;
use crate::db::tokens::hash_token;
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

fn per_draft_and_address() -> ThrottleWindow {
    ThrottleWindow {
        window: chrono::Duration::hours(1),
        limit: 1,
    }
}

fn per_address() -> ThrottleWindow {
    ThrottleWindow {
        window: chrono::Duration::days(1),
        limit: 3,
    }
}

fn per_client() -> ThrottleWindow {
    ThrottleWindow {
        window: chrono::Duration::hours(1),
        limit: 10,
    }
}

/// Queues the resume link for `to` and wakes the e-mail worker, unless a limit says no.
/// Returns whether it was queued; the link is on the page either way.
pub async fn send_resume_link(
    app: &App,
    response_id: Uuid,
    to: &str,
    lang: Lang,
    resume_token: &str,
    client: Option<IpAddr>,
) -> Result<bool> {
    let now = Utc::now();
    let address = hash_token(&to.trim().to_lowercase());
    let client = client.map_or_else(|| "unknown".to_string(), |a| a.to_string());
    let limits = [
        (
            format!("resume-mail:draft:{response_id}:{address}"),
            per_draft_and_address(),
        ),
        (format!("resume-mail:client:{client}"), per_client()),
        (format!("resume-mail:to:{address}"), per_address()),
    ];
    for (key, policy) in limits {
        if count_attempt(&app.db, &key, policy, now).await? > policy.limit {
            return Ok(false);
        }
    }
    crate::db::outbox::enqueue_resume_link(&app.db, response_id, to, lang, resume_token).await?;
    app.outbox_wakeup.notify_one();
    Ok(true)
}
