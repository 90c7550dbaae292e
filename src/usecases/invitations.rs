//! An agency (or an admin) invites a firm it follows up to re-take the check: an e-mail to the
//! address the firm shared with agencies, carrying a single-use re-take link
//! (`db::reassessment`). Only for leads in the viewer's scope (anything else is not found), at
//! most one per lead every seven days, audited. Also: starting a draft from such a link.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::cases::scope_of;
use super::{App, Error, Result};
use crate::db;
use crate::db::accounts::Account;
use crate::db::audit::{Actor, action};
use crate::db::leads;
use crate::db::reassessment::{self, Invitation};
use crate::db::responses;
use crate::domain::{Definition, Lang, Text};

/// Who the invitation says it comes from.
async fn sender_name(app: &App, account: &Account) -> Result<Option<String>> {
    Ok(match account.agency_id {
        Some(id) => db::accounts::find_agency(&app.db, id)
            .await?
            .map(|a| a.name),
        None => None,
    })
}

/// What the lead page shows about invitations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationState {
    /// Where the invitation would go (None: the firm shared no address).
    pub email: Option<String>,
    pub last_sent: Option<DateTime<Utc>>,
    /// Before this, another invitation is refused.
    pub next_allowed: Option<DateTime<Utc>>,
}

/// The invitation state of lead `lead_id` for `account`; not found outside its scope.
pub async fn state_of(app: &App, account: &Account, lead_id: Uuid) -> Result<InvitationState> {
    let scope = scope_of(&app.db, account).await?;
    let lead = leads::find(&app.db, &scope, lead_id)
        .await?
        .ok_or(Error::NotFound)?;
    let last_sent = reassessment::last_invitation(&app.db, lead_id).await?;
    let now = app.clock.now();
    Ok(InvitationState {
        email: lead.lead.email,
        last_sent,
        next_allowed: last_sent
            .map(|at| at + reassessment::INVITATION_INTERVAL)
            .filter(|next| *next > now),
    })
}

/// Queues the invitation for lead `lead_id`; answers what became of it. Not found outside the
/// account's scope; refused when the firm shared no e-mail address.
pub async fn send_invitation(
    app: &App,
    actor: &Actor,
    account: &Account,
    lead_id: Uuid,
) -> Result<Invitation> {
    let scope = scope_of(&app.db, account).await?;
    let lead = leads::find(&app.db, &scope, lead_id)
        .await?
        .ok_or(Error::NotFound)?;
    let Some(email) = lead.lead.email else {
        return Err(Error::Refused(Text::new(
            "Doanh nghiệp không chia sẻ e-mail nên không thể gửi lời mời.",
            "The firm shared no e-mail address, so no invitation can be sent.",
        )));
    };
    let sender = sender_name(app, account).await?;
    let outcome = reassessment::invite(
        &app.db,
        lead_id,
        &email,
        Some(account.id),
        sender,
        app.clock.now(),
    )
    .await?;
    if let Invitation::Queued { outbox_id } = outcome {
        // The address is not written: the lead id finds it while the firm keeps its data.
        actor
            .record(
                &app.db,
                action::INVITATION_SENT,
                Some(lead_id.to_string()),
                Some(format!("message {outbox_id}")),
            )
            .await?;
        app.outbox_wakeup.notify_one();
    }
    Ok(outcome)
}

/// Whether `token` is an open re-take link (to show the start page, or say it has ended).
pub async fn link_is_open(app: &App, token: &str) -> Result<bool> {
    Ok(reassessment::open_link(&app.db, token, app.clock.now())
        .await?
        .is_some())
}

/// Starts the re-assessment an invitation or reminder link offers, once: a draft linked to the
/// earlier response and pre-filled with its profile, as the result token's `previous` does.
/// Answers the draft's resume token; not found when the link is unknown, used or expired.
pub async fn start_from_link(
    app: &App,
    def: &Definition,
    lang: Lang,
    token: &str,
) -> Result<String> {
    let link = reassessment::use_link(&app.db, token, app.clock.now())
        .await?
        .ok_or(Error::NotFound)?;
    let earlier = responses::find_earlier_by_id(&app.db, link.response_id)
        .await?
        .ok_or(Error::NotFound)?;
    let (draft_id, resume_token) =
        responses::create_draft(&app.db, def, lang, Some(&earlier)).await?;
    reassessment::record_draft(&app.db, link.id, draft_id).await?;
    Ok(resume_token)
}
