//! The e-mail outbox: messages written in the same transaction as their cause and delivered by
//! the worker in `crate::email::worker`.
//!
//! Life cycle: `pending` → (claimed) `sending` → `sent`, or back to `pending` with a later
//! `next_attempt_at`, or `failed` for good (an admin may put it back to `pending`). A claim sets
//! a lease, which the live worker renews (`renew`); a row still `sending` after its lease
//! expired (the worker died between claim and recording the outcome) is claimed again. On
//! PostgreSQL several workers claim with `FOR UPDATE SKIP LOCKED` (in a CTE), so no row is
//! handed to two of them; SQLite has a single writer, so its one UPDATE is atomic.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
    TransactionTrait,
};
use uuid::Uuid;

use super::Result;
use super::entities::outbox::{self, Column};
use super::entities::response;
use crate::domain::Lang;

pub use outbox::Model as OutboxMessage;

/// What a message is; decides its template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The result summary and roadmap PDF after a submission.
    RoadmapReport,
    /// A link to continue a saved draft.
    ResumeLink,
    /// An agency invites the firm to re-take the check (`crate::db::reassessment`).
    Invitation,
    /// Six months after the firm's last assessment, a reminder to re-take it.
    ReassessReminder,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::RoadmapReport => "roadmap_report",
            Kind::ResumeLink => "resume_link",
            Kind::Invitation => "reassess_invitation",
            Kind::ReassessReminder => "reassess_reminder",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [
            Kind::RoadmapReport,
            Kind::ResumeLink,
            Kind::Invitation,
            Kind::ReassessReminder,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Sending,
    Sent,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Pending,
            Status::Sending,
            Status::Sent,
            Status::Failed,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub kind: Kind,
    pub response_id: Option<Uuid>,
    pub recipient: String,
    pub lang: Lang,
    /// The plaintext link token the message carries.
    pub token: Option<String>,
}

/// Queues a message; pass the submission's transaction so both commit or neither does.
pub async fn enqueue(conn: &impl ConnectionTrait, msg: NewMessage) -> Result<i64> {
    let res = outbox::Entity::insert(new_row(msg, Utc::now()))
        .exec(conn)
        .await?;
    Ok(res.last_insert_id)
}

/// The row that queues `msg`, due at once (submissions insert these in batches).
pub fn new_row(msg: NewMessage, now: DateTime<Utc>) -> outbox::ActiveModel {
    outbox::ActiveModel {
        kind: Set(msg.kind.as_str().into()),
        response_id: Set(msg.response_id),
        recipient: Set(msg.recipient),
        lang: Set(msg.lang.code().into()),
        token: Set(msg.token),
        status: Set(Status::Pending.as_str().into()),
        attempts: Set(0),
        next_attempt_at: Set(now),
        lease_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        message_id: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        ..Default::default()
    }
}

/// Queues the "continue your assessment" link for a saved draft.
pub async fn enqueue_resume_link(
    db: &impl ConnectionTrait,
    response_id: Uuid,
    to: &str,
    lang: Lang,
    resume_token: &str,
) -> Result<i64> {
    enqueue(
        db,
        NewMessage {
            kind: Kind::ResumeLink,
            response_id: Some(response_id),
            recipient: to.to_string(),
            lang,
            token: Some(resume_token.to_string()),
        },
    )
    .await
}

/// Claims up to `batch` messages that are due (or whose lease expired) for `worker_id`, for
/// `lease`. Each claim counts as an attempt, so a message that crashes its worker still runs out
/// of attempts.
pub async fn claim(
    db: &DatabaseConnection,
    worker_id: &str,
    batch: u64,
    lease: Duration,
) -> Result<Vec<OutboxMessage>> {
    let now = Utc::now();
    let lease_until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
    let due = Condition::any()
        .add(
            Condition::all()
                .add(Column::Status.eq(Status::Pending.as_str()))
                .add(Column::NextAttemptAt.lte(now)),
        )
        .add(
            Condition::all()
                .add(Column::Status.eq(Status::Sending.as_str()))
                .add(Column::LeaseUntil.lt(now)),
        );
    let mut claimed = if db.get_database_backend() == DbBackend::Postgres {
        // A CTE, not `WHERE id IN (SELECT … SKIP LOCKED LIMIT n)`: PostgreSQL may run such a
        // subquery more than once, and each run skips the rows the last one locked, so one
        // claim could take more than `batch` rows. The lock re-checks the WHERE clause on the
        // newest row version, so a row another worker just claimed is skipped.
        let sql = r#"
            WITH due AS MATERIALIZED (
                SELECT id FROM outbox
                WHERE (status = 'pending' AND next_attempt_at <= $1)
                   OR (status = 'sending' AND lease_until < $1)
                ORDER BY next_attempt_at, id
                LIMIT $2
                FOR UPDATE SKIP LOCKED
            )
            UPDATE outbox
            SET status = 'sending', lease_until = $3, locked_by = $4, attempts = outbox.attempts + 1
            FROM due
            WHERE outbox.id = due.id
            RETURNING outbox.*"#;
        let values = [
            now.into(),
            i64::try_from(batch).unwrap_or(i64::MAX).into(),
            lease_until.into(),
            worker_id.into(),
        ];
        outbox::Entity::find()
            .from_raw_sql(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                values,
            ))
            .all(db)
            .await?
    } else {
        // SQLite has one writer, so this single UPDATE is atomic; its subquery runs once.
        let ids = outbox::Entity::find()
            .select_only()
            .column(Column::Id)
            .filter(due.clone())
            .order_by_asc(Column::NextAttemptAt)
            .order_by_asc(Column::Id)
            .limit(batch)
            .into_query();
        outbox::Entity::update_many()
            .col_expr(Column::Status, Expr::value(Status::Sending.as_str()))
            .col_expr(Column::LeaseUntil, Expr::value(Some(lease_until)))
            .col_expr(Column::LockedBy, Expr::value(Some(worker_id.to_string())))
            .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
            .filter(Column::Id.in_subquery(ids))
            .filter(due)
            .exec_with_returning(db)
            .await?
    };
    claimed.sort_by_key(|m| m.id);
    Ok(claimed)
}

/// Extends the lease of those of `ids` that `worker_id` still holds (the worker's heartbeat).
/// Answers how many it still holds.
pub async fn renew(
    db: &DatabaseConnection,
    worker_id: &str,
    ids: &[i64],
    lease: Duration,
) -> Result<u64> {
    let lease_until =
        Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
    let res = outbox::Entity::update_many()
        .col_expr(Column::LeaseUntil, Expr::value(Some(lease_until)))
        .filter(Column::Id.is_in(ids.iter().copied()))
        .filter(Column::LockedBy.eq(worker_id))
        .filter(Column::Status.eq(Status::Sending.as_str()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// The SMTP server accepted the message: forget the link token.
pub async fn mark_sent(
    db: &DatabaseConnection,
    id: i64,
    worker_id: &str,
    message_id: &str,
) -> Result<bool> {
    let res = outbox::Entity::update_many()
        .col_expr(Column::Status, Expr::value(Status::Sent.as_str()))
        .col_expr(Column::SentAt, Expr::value(Some(Utc::now())))
        .col_expr(Column::MessageId, Expr::value(Some(message_id.to_string())))
        .col_expr(Column::Token, Expr::value(Option::<String>::None))
        .col_expr(
            Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(Column::LastError, Expr::value(Option::<String>::None))
        .filter(Column::Id.eq(id))
        .filter(Column::LockedBy.eq(worker_id))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// A transient failure: try again at `next_at`.
pub async fn mark_retry(
    db: &DatabaseConnection,
    id: i64,
    worker_id: &str,
    next_at: DateTime<Utc>,
    error: &str,
) -> Result<bool> {
    let res = outbox::Entity::update_many()
        .col_expr(Column::Status, Expr::value(Status::Pending.as_str()))
        .col_expr(Column::NextAttemptAt, Expr::value(next_at))
        .col_expr(
            Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(Column::LastError, Expr::value(Some(truncate(error))))
        .filter(Column::Id.eq(id))
        .filter(Column::LockedBy.eq(worker_id))
        .filter(Column::Status.eq(Status::Sending.as_str()))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Gives up: a permanent SMTP error or the last attempt failed. The link token is dropped, so
/// failed rows do not keep working links for ever; an admin's [`retry`] issues a new one.
pub async fn mark_failed(
    db: &DatabaseConnection,
    id: i64,
    worker_id: &str,
    error: &str,
) -> Result<bool> {
    let res = outbox::Entity::update_many()
        .col_expr(Column::Status, Expr::value(Status::Failed.as_str()))
        .col_expr(Column::Token, Expr::value(Option::<String>::None))
        .col_expr(
            Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(Column::LastError, Expr::value(Some(truncate(error))))
        .filter(Column::Id.eq(id))
        .filter(Column::LockedBy.eq(worker_id))
        .filter(Column::Status.eq(Status::Sending.as_str()))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Hands back a claimed message that was not tried (the worker is stopping): it is due again
/// at once and the claim does not count as an attempt.
pub async fn release(db: &DatabaseConnection, id: i64, worker_id: &str) -> Result<bool> {
    let res = outbox::Entity::update_many()
        .col_expr(Column::Status, Expr::value(Status::Pending.as_str()))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).sub(1))
        .col_expr(
            Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.eq(id))
        .filter(Column::LockedBy.eq(worker_id))
        .filter(Column::Status.eq(Status::Sending.as_str()))
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Messages, newest first, optionally only those with one status (for the admin page).
pub async fn list(
    db: &DatabaseConnection,
    status: Option<Status>,
    limit: u64,
) -> Result<Vec<OutboxMessage>> {
    let mut query = outbox::Entity::find()
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .limit(limit);
    if let Some(status) = status {
        query = query.filter(Column::Status.eq(status.as_str()));
    }
    Ok(query.all(db).await?)
}

pub async fn find(db: &DatabaseConnection, id: i64) -> Result<Option<OutboxMessage>> {
    Ok(outbox::Entity::find_by_id(id).one(db).await?)
}

/// Admin action: a failed message goes back to the queue with fresh attempts. Answers whether
/// there was such a failed message. Its link token was dropped when it failed, so the response
/// gets a new one (the old link, resume or result, ends) and the message carries that.
pub async fn retry(db: &DatabaseConnection, id: i64) -> Result<bool> {
    let txn = db.begin().await?;
    let Some(msg) = outbox::Entity::find_by_id(id)
        .filter(Column::Status.eq(Status::Failed.as_str()))
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    let token = match (Kind::parse(&msg.kind), msg.response_id, msg.token) {
        (_, _, Some(kept)) => Some(kept),
        (Some(Kind::Invitation | Kind::ReassessReminder), _, None) => {
            super::reassessment::reissue(&txn, id).await?
        }
        (Some(kind), Some(response_id), None) => {
            let token = super::tokens::new_token();
            let hash = Expr::value(Some(super::tokens::hash_token(&token)));
            let column = match kind {
                Kind::ResumeLink => response::Column::ResumeTokenHash,
                _ => response::Column::ResultTokenHash,
            };
            response::Entity::update_many()
                .col_expr(column, hash)
                .filter(response::Column::Id.eq(response_id))
                .exec(&txn)
                .await?;
            Some(token)
        }
        _ => None,
    };
    outbox::Entity::update_many()
        .col_expr(Column::Status, Expr::value(Status::Pending.as_str()))
        .col_expr(Column::Attempts, Expr::value(0))
        .col_expr(Column::NextAttemptAt, Expr::value(Utc::now()))
        .col_expr(Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(Column::Token, Expr::value(token))
        .filter(Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(true)
}

/// Messages waiting to go out (pending or being sent), for metrics and health.
pub async fn depth(db: &DatabaseConnection) -> Result<u64> {
    Ok(outbox::Entity::find()
        .filter(Column::Status.is_in([Status::Pending.as_str(), Status::Sending.as_str()]))
        .count(db)
        .await?)
}

/// SMTP errors can be long (multi-line replies); keep the first 1000 characters.
fn truncate(error: &str) -> String {
    error.chars().take(1000).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn db() -> (DatabaseConnection, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = crate::db::connect(&url).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        (db, dir)
    }

    async fn queue(db: &DatabaseConnection, n: usize) {
        for i in 0..n {
            enqueue(
                db,
                NewMessage {
                    kind: Kind::ResumeLink,
                    response_id: None,
                    recipient: format!("o{i}@example.vn"),
                    lang: Lang::Vi,
                    token: Some(format!("token{i}")),
                },
            )
            .await
            .unwrap();
        }
    }

    #[tokio::test]
    async fn claims_respect_the_batch_and_never_overlap() {
        let (db, _dir) = db().await;
        queue(&db, 5).await;
        let lease = Duration::from_secs(60);
        let a = claim(&db, "a", 2, lease).await.unwrap();
        let b = claim(&db, "b", 10, lease).await.unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(b.len(), 3);
        assert!(a.iter().all(|m| m.status == "sending" && m.attempts == 1));
        assert!(claim(&db, "c", 10, lease).await.unwrap().is_empty());
        assert_eq!(depth(&db).await.unwrap(), 5);

        // Only the holder of the claim records the outcome.
        assert!(!mark_sent(&db, a[0].id, "b", "<x@y>").await.unwrap());
        assert!(mark_sent(&db, a[0].id, "a", "<x@y>").await.unwrap());
        let sent = find(&db, a[0].id).await.unwrap().unwrap();
        assert_eq!(sent.status, "sent");
        assert_eq!(sent.token, None);
        assert_eq!(sent.message_id.as_deref(), Some("<x@y>"));

        // A retry is not due before its time; a release is due at once and costs no attempt.
        let later = Utc::now() + chrono::Duration::hours(1);
        assert!(
            mark_retry(&db, a[1].id, "a", later, "421 busy")
                .await
                .unwrap()
        );
        assert!(release(&db, b[0].id, "b").await.unwrap());
        let again = claim(&db, "c", 10, lease).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].id, b[0].id);
        assert_eq!(again[0].attempts, 1);

        // Failed messages wait for an admin.
        assert!(
            mark_failed(&db, b[1].id, "b", "550 no such user")
                .await
                .unwrap()
        );
        assert!(!retry(&db, a[0].id).await.unwrap(), "only failed messages");
        assert_eq!(list(&db, Some(Status::Failed), 10).await.unwrap().len(), 1);
        assert!(retry(&db, b[1].id).await.unwrap());
        let retried = claim(&db, "c", 10, lease).await.unwrap();
        assert_eq!(retried.len(), 1);
        assert_eq!(retried[0].attempts, 1);
        assert_eq!(
            find(&db, b[1].id).await.unwrap().unwrap().token,
            None,
            "a failed row keeps no link token"
        );
        assert_eq!(
            retried[0].token, None,
            "no response to issue a new link for"
        );
    }

    #[tokio::test]
    async fn an_expired_lease_is_claimed_again() {
        let (db, _dir) = db().await;
        queue(&db, 1).await;
        let first = claim(&db, "dead", 1, Duration::from_millis(1))
            .await
            .unwrap();
        assert_eq!(first.len(), 1);
        tokio::time::sleep(Duration::from_millis(20)).await;
        let second = claim(&db, "alive", 1, Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].attempts, 2);
        assert_eq!(second[0].locked_by.as_deref(), Some("alive"));
        assert!(!mark_sent(&db, first[0].id, "dead", "<x@y>").await.unwrap());
    }

    /// A live worker's heartbeat keeps its claim past the first lease; only the holder renews.
    #[tokio::test]
    async fn a_renewed_lease_is_not_claimed_again() {
        let (db, _dir) = db().await;
        queue(&db, 1).await;
        let held = claim(&db, "alive", 1, Duration::from_millis(1))
            .await
            .unwrap();
        let ids = [held[0].id];
        assert_eq!(
            renew(&db, "other", &ids, Duration::from_secs(60))
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            renew(&db, "alive", &ids, Duration::from_secs(60))
                .await
                .unwrap(),
            1
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            claim(&db, "other", 1, Duration::from_secs(60))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(mark_sent(&db, ids[0], "alive", "<x@y>").await.unwrap());
        assert_eq!(
            renew(&db, "alive", &ids, Duration::from_secs(60))
                .await
                .unwrap(),
            0,
            "sent"
        );
    }
}
