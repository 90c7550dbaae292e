//! Re-assessment by e-mail: an agency's invitation and the six-month reminder.
//!
//! Both carry a *re-take link*: a single-use, expiring token (stored hashed, like every link)
//! that starts a draft linked to the earlier response and pre-filled with its profile, exactly
//! as the result token's `?previous=` does. An agency never holds the firm's result token, so
//! it cannot build that link itself. The e-mail also links to the withdraw page with a second
//! token derived from the first ([`withdraw_token_for`]): the outbox keeps one plaintext token
//! per message, and the withdraw token gives nothing of the re-take token away.
//!
//! A link ends when it is used, when it expires, and when the firm erases its data (erasure
//! clears the result token, which every lookup here requires).

use chrono::{DateTime, Months, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Result;
use super::entities::{consent, contact, reassess_link, reassess_reminder, response};
use super::outbox::{self, Kind, NewMessage};
use super::responses::{PreviousResult, STATUS_SUBMITTED, previous_result};
use super::tokens::{hash_token, new_token};
use crate::domain::Lang;
use crate::domain::questionnaire::ConsentPurpose;

/// How long an invitation's re-take link works.
pub const INVITATION_LIFETIME: chrono::Duration = chrono::Duration::days(30);
/// How long a reminder's re-take link works (a reminder may wait in an inbox longer).
pub const REMINDER_LIFETIME: chrono::Duration = chrono::Duration::days(60);
/// At most one invitation per lead in this long.
pub const INVITATION_INTERVAL: chrono::Duration = chrono::Duration::days(7);
/// A reminder goes this long after the firm's last assessment.
pub const REMINDER_AFTER: Months = Months::new(6);
/// Longest chain of earlier assessments followed (a guard, not a limit anyone reaches).
const MAX_CHAIN: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    Invitation,
    Reminder,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Invitation => "invitation",
            LinkKind::Reminder => "reminder",
        }
    }
}

/// The withdraw-page token of a message whose re-take token is `retake`: one-way, so a
/// forwarded withdraw link cannot start a re-assessment; 22 URL-safe characters like every token.
pub fn withdraw_token_for(retake: &str) -> String {
    use base64::Engine;
    let digest = Sha256::new()
        .chain_update(b"dxready withdraw link\0")
        .chain_update(retake.as_bytes())
        .finalize();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// Responses not erased (erasure clears the result token): the only ones a link may reach.
fn not_erased() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(response::Column::Id)
        .from(response::Entity)
        .and_where(Expr::col(response::Column::Status).eq(STATUS_SUBMITTED))
        .and_where(Expr::col(response::Column::ResultTokenHash).is_not_null())
        .to_owned()
}

/// Whether `purpose` is in force for `response_id`.
pub async fn consent_in_force(
    db: &impl ConnectionTrait,
    response_id: Uuid,
    purpose: ConsentPurpose,
) -> Result<bool> {
    Ok(consent::Entity::find()
        .filter(consent::Column::ResponseId.eq(response_id))
        .filter(consent::Column::Purpose.eq(purpose.as_str()))
        .filter(consent::Column::WithdrawnAt.is_null())
        .count(db)
        .await?
        > 0)
}

/// The earlier assessments `response_id` re-assesses, oldest first (T0, T1, …), without it.
pub async fn earlier_results(
    db: &DatabaseConnection,
    response_id: Uuid,
) -> Result<Vec<PreviousResult>> {
    let mut chain = Vec::new();
    let mut next = previous_of(db, response_id).await?;
    while let Some(id) = next {
        if chain.len() >= MAX_CHAIN {
            break;
        }
        let Some(result) = previous_result(db, id).await? else {
            break;
        };
        chain.push(result);
        next = previous_of(db, id).await?;
    }
    chain.reverse();
    Ok(chain)
}

async fn previous_of(db: &DatabaseConnection, id: Uuid) -> Result<Option<Uuid>> {
    let previous: Option<Option<Uuid>> = response::Entity::find_by_id(id)
        .select_only()
        .column(response::Column::PreviousResponseId)
        .into_tuple()
        .one(db)
        .await?;
    Ok(previous.flatten())
}

/// A link row with its plaintext re-take token (shown once, in the e-mail).
fn new_link(
    kind: LinkKind,
    response_id: Uuid,
    created_by: Option<i64>,
    sender_name: Option<String>,
    now: DateTime<Utc>,
) -> (reassess_link::ActiveModel, String) {
    let token = new_token();
    let lifetime = match kind {
        LinkKind::Invitation => INVITATION_LIFETIME,
        LinkKind::Reminder => REMINDER_LIFETIME,
    };
    let row = reassess_link::ActiveModel {
        response_id: Set(response_id),
        kind: Set(kind.as_str().into()),
        token_hash: Set(hash_token(&token)),
        withdraw_token_hash: Set(hash_token(&withdraw_token_for(&token))),
        created_by: Set(created_by),
        sender_name: Set(sender_name.map(|s| s.chars().take(200).collect())),
        outbox_id: Set(None),
        created_at: Set(now),
        expires_at: Set(now + lifetime),
        used_at: Set(None),
        draft_id: Set(None),
        ..Default::default()
    };
    (row, token)
}

/// Inserts the link and queues its message, tying them together (an admin's retry of the
/// message issues the link a new token).
async fn insert_and_queue(
    txn: &DatabaseTransaction,
    row: reassess_link::ActiveModel,
    message: NewMessage,
) -> Result<i64> {
    let link = reassess_link::Entity::insert(row).exec(txn).await?;
    let outbox_id = outbox::enqueue(txn, message).await?;
    reassess_link::Entity::update_many()
        .col_expr(
            reassess_link::Column::OutboxId,
            Expr::value(Some(outbox_id)),
        )
        .filter(reassess_link::Column::Id.eq(link.last_insert_id))
        .exec(txn)
        .await?;
    Ok(outbox_id)
}

/// The language and questionnaire of a response, for its e-mail.
async fn lang_of(db: &impl ConnectionTrait, response_id: Uuid) -> Result<Option<Lang>> {
    let lang: Option<String> = response::Entity::find_by_id(response_id)
        .select_only()
        .column(response::Column::Lang)
        .into_tuple()
        .one(db)
        .await?;
    Ok(lang.map(|l| Lang::parse(&l).unwrap_or_default()))
}

/// What became of an invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invitation {
    Queued {
        outbox_id: i64,
    },
    /// One was sent within [`INVITATION_INTERVAL`]; the next may go at `next_at`.
    TooSoon {
        last_at: DateTime<Utc>,
        next_at: DateTime<Utc>,
    },
}

/// Queues an invitation to re-assess `response_id`, sent to `to` (the address the firm shared
/// with agencies), unless one went within [`INVITATION_INTERVAL`]. Race-safe across instances:
/// on PostgreSQL the response row is locked for the check; on SQLite the insert comes first and
/// takes the one write lock, so the count that follows sees every other invitation.
pub async fn invite(
    db: &DatabaseConnection,
    response_id: Uuid,
    to: &str,
    created_by: Option<i64>,
    sender_name: Option<String>,
    now: DateTime<Utc>,
) -> Result<Invitation> {
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        response::Entity::find_by_id(response_id)
            .select_only()
            .column(response::Column::Id)
            .lock_exclusive()
            .into_tuple::<Uuid>()
            .one(&txn)
            .await?;
    }
    let lang = lang_of(&txn, response_id)
        .await?
        .ok_or(super::Error::NotFound)?;
    let (row, token) = new_link(
        LinkKind::Invitation,
        response_id,
        created_by,
        sender_name,
        now,
    );
    let message = NewMessage {
        kind: Kind::Invitation,
        response_id: Some(response_id),
        recipient: to.to_string(),
        lang,
        token: Some(token),
    };
    let outbox_id = insert_and_queue(&txn, row, message).await?;
    let recent = invitations_since(&txn, response_id, now - INVITATION_INTERVAL).await?;
    if recent.len() > 1 {
        txn.rollback().await?;
        let last_at = last_invitation(db, response_id).await?.unwrap_or(now);
        return Ok(Invitation::TooSoon {
            last_at,
            next_at: last_at + INVITATION_INTERVAL,
        });
    }
    txn.commit().await?;
    Ok(Invitation::Queued { outbox_id })
}

async fn invitations_since(
    db: &impl ConnectionTrait,
    response_id: Uuid,
    since: DateTime<Utc>,
) -> Result<Vec<reassess_link::Model>> {
    Ok(reassess_link::Entity::find()
        .filter(reassess_link::Column::ResponseId.eq(response_id))
        .filter(reassess_link::Column::Kind.eq(LinkKind::Invitation.as_str()))
        .filter(reassess_link::Column::CreatedAt.gt(since))
        .all(db)
        .await?)
}

/// When the last invitation to re-assess `response_id` was sent.
pub async fn last_invitation(
    db: &impl ConnectionTrait,
    response_id: Uuid,
) -> Result<Option<DateTime<Utc>>> {
    Ok(reassess_link::Entity::find()
        .select_only()
        .column(reassess_link::Column::CreatedAt)
        .filter(reassess_link::Column::ResponseId.eq(response_id))
        .filter(reassess_link::Column::Kind.eq(LinkKind::Invitation.as_str()))
        .order_by_desc(reassess_link::Column::CreatedAt)
        .into_tuple()
        .one(db)
        .await?)
}

/// Responses due a reminder at `now`: submitted at least [`REMINDER_AFTER`] ago, the firm's last
/// assessment (no submitted response re-assesses it), a reminder consent in force, an address
/// to send to, not erased, and no reminder queued yet. At most `limit`, oldest first.
pub async fn due_reminders(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Uuid>> {
    let Some(cutoff) = now.checked_sub_months(REMINDER_AFTER) else {
        return Ok(Vec::new());
    };
    let re_assessed = Query::select()
        .column(response::Column::PreviousResponseId)
        .from(response::Entity)
        .and_where(Expr::col(response::Column::Status).eq(STATUS_SUBMITTED))
        .and_where(Expr::col(response::Column::PreviousResponseId).is_not_null())
        .to_owned();
    let reminded = Query::select()
        .column(reassess_reminder::Column::ResponseId)
        .from(reassess_reminder::Entity)
        .to_owned();
    let consenting = Query::select()
        .column(consent::Column::ResponseId)
        .from(consent::Entity)
        .and_where(
            Expr::col(consent::Column::Purpose).eq(ConsentPurpose::ReassessReminder.as_str()),
        )
        .and_where(Expr::col(consent::Column::WithdrawnAt).is_null())
        .to_owned();
    let reachable = Query::select()
        .column(contact::Column::ResponseId)
        .from(contact::Entity)
        .and_where(Expr::col(contact::Column::Email).is_not_null())
        .to_owned();
    Ok(response::Entity::find()
        .select_only()
        .column(response::Column::Id)
        .filter(response::Column::Status.eq(STATUS_SUBMITTED))
        .filter(response::Column::ResultTokenHash.is_not_null())
        .filter(response::Column::SubmittedAt.lte(cutoff))
        .filter(response::Column::Id.not_in_subquery(re_assessed))
        .filter(response::Column::Id.not_in_subquery(reminded))
        .filter(response::Column::Id.in_subquery(consenting))
        .filter(response::Column::Id.in_subquery(reachable))
        .order_by_asc(response::Column::SubmittedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?)
}

/// Queues the reminder for `response_id` unless one was queued already (by this instance or
/// another) or it is no longer due. The reminder row and the message commit together, and the
/// row's primary key lets only one of two racing instances insert it. Answers whether this
/// call queued it.
pub async fn queue_reminder(
    db: &DatabaseConnection,
    response_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool> {
    let txn = db.begin().await?;
    let marker = reassess_reminder::ActiveModel {
        response_id: Set(response_id),
        queued_at: Set(now),
    };
    let inserted = reassess_reminder::Entity::insert(marker)
        .on_conflict(
            OnConflict::column(reassess_reminder::Column::ResponseId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    if inserted == 0 {
        return Ok(false);
    }
    // Checked again here, after the marker's lock: a consent withdrawn meanwhile stops it.
    let email = contact::Entity::find_by_id(response_id)
        .one(&txn)
        .await?
        .and_then(|c| c.email);
    let still_due = consent_in_force(&txn, response_id, ConsentPurpose::ReassessReminder).await?;
    let (Some(email), true, Some(lang)) = (email, still_due, lang_of(&txn, response_id).await?)
    else {
        txn.rollback().await?;
        return Ok(false);
    };
    let (row, token) = new_link(LinkKind::Reminder, response_id, None, None, now);
    let message = NewMessage {
        kind: Kind::ReassessReminder,
        response_id: Some(response_id),
        recipient: email,
        lang,
        token: Some(token),
    };
    insert_and_queue(&txn, row, message).await?;
    txn.commit().await?;
    Ok(true)
}

/// The link an outbox message carries.
pub async fn link_of_message(
    db: &DatabaseConnection,
    outbox_id: i64,
) -> Result<Option<reassess_link::Model>> {
    Ok(reassess_link::Entity::find()
        .filter(reassess_link::Column::OutboxId.eq(outbox_id))
        .one(db)
        .await?)
}

/// Gives the link of message `outbox_id` a new token (an admin retries a failed message, whose
/// token was dropped); answers the plaintext, or None when the message has no link.
pub(super) async fn reissue(txn: &DatabaseTransaction, outbox_id: i64) -> Result<Option<String>> {
    let token = new_token();
    let done = reassess_link::Entity::update_many()
        .col_expr(
            reassess_link::Column::TokenHash,
            Expr::value(hash_token(&token)),
        )
        .col_expr(
            reassess_link::Column::WithdrawTokenHash,
            Expr::value(hash_token(&withdraw_token_for(&token))),
        )
        .filter(reassess_link::Column::OutboxId.eq(outbox_id))
        .exec(txn)
        .await?;
    Ok((done.rows_affected == 1).then_some(token))
}

/// The open link `token` names at `now` (unused, unexpired, its response not erased).
pub async fn open_link(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<reassess_link::Model>> {
    Ok(reassess_link::Entity::find()
        .filter(reassess_link::Column::TokenHash.eq(hash_token(token)))
        .filter(reassess_link::Column::UsedAt.is_null())
        .filter(reassess_link::Column::ExpiresAt.gt(now))
        .filter(reassess_link::Column::ResponseId.in_subquery(not_erased()))
        .one(db)
        .await?)
}

/// Uses the link `token` names, once: a single conditional UPDATE, so of two clicks at once
/// only one wins. Answers the link as it was, or None when it is not open.
pub async fn use_link(
    db: &DatabaseConnection,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<reassess_link::Model>> {
    let hash = hash_token(token);
    let done = reassess_link::Entity::update_many()
        .col_expr(reassess_link::Column::UsedAt, Expr::value(Some(now)))
        .filter(reassess_link::Column::TokenHash.eq(hash.clone()))
        .filter(reassess_link::Column::UsedAt.is_null())
        .filter(reassess_link::Column::ExpiresAt.gt(now))
        .filter(reassess_link::Column::ResponseId.in_subquery(not_erased()))
        .exec(db)
        .await?;
    if done.rows_affected != 1 {
        return Ok(None);
    }
    Ok(reassess_link::Entity::find()
        .filter(reassess_link::Column::TokenHash.eq(hash))
        .one(db)
        .await?)
}

/// Records the draft a used link started.
pub async fn record_draft(db: &DatabaseConnection, link_id: i64, draft_id: Uuid) -> Result<()> {
    reassess_link::Entity::update_many()
        .col_expr(reassess_link::Column::DraftId, Expr::value(Some(draft_id)))
        .filter(reassess_link::Column::Id.eq(link_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The response whose e-mail carried withdraw token `token` (it works as long as the firm's
/// data is kept, like the result link).
pub async fn response_of_withdraw_token(
    db: &DatabaseConnection,
    token: &str,
) -> Result<Option<Uuid>> {
    Ok(reassess_link::Entity::find()
        .select_only()
        .column(reassess_link::Column::ResponseId)
        .filter(reassess_link::Column::WithdrawTokenHash.eq(hash_token(token)))
        .filter(reassess_link::Column::ResponseId.in_subquery(not_erased()))
        .into_tuple()
        .one(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_withdraw_token_is_a_token_of_its_own() {
        let retake = new_token();
        let withdraw = withdraw_token_for(&retake);
        assert!(super::super::tokens::looks_like_token(&withdraw));
        assert_ne!(withdraw, retake);
        assert_eq!(withdraw, withdraw_token_for(&retake));
        assert_ne!(withdraw, withdraw_token_for(&new_token()));
    }
}
