//! Agencies' cases: one per firm and agency, changed only through [`update`], which checks the
//! version the form was made from (optimistic concurrency) and writes the change and its event
//! in one transaction. A firm without a case row is a "new" case at version 0.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use uuid::Uuid;

use super::Result;
use super::audit::Actor;
use super::entities::{app_user, case_event, followup_case};
use crate::domain::case::{NotAllowed, Status};

/// A case as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub id: Option<i64>,
    pub firm_id: Uuid,
    pub agency_id: i64,
    pub status: Status,
    pub assignee_id: Option<i64>,
    pub next_action: Option<NaiveDate>,
    /// 0 until the case is first changed.
    pub version: i32,
}

impl Case {
    /// The case of a lead nobody at the agency has touched yet.
    pub fn untouched(firm_id: Uuid, agency_id: i64) -> Case {
        Case {
            id: None,
            firm_id,
            agency_id,
            status: Status::New,
            assignee_id: None,
            next_action: None,
            version: 0,
        }
    }

    pub(super) fn from_row(row: followup_case::Model) -> Case {
        Case {
            id: Some(row.id),
            firm_id: row.firm_id,
            agency_id: row.agency_id,
            status: Status::parse(&row.status).unwrap_or(Status::New),
            assignee_id: row.assignee_id,
            next_action: row.next_action,
            version: row.version,
        }
    }
}

/// One change, as the history shows it.
#[derive(Debug, Clone)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub from: Option<Status>,
    pub to: Status,
    pub change: Option<String>,
    pub note: Option<String>,
}

/// What an agency user asks for: the whole state the form shows, plus a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub status: Status,
    pub assignee_id: Option<i64>,
    pub next_action: Option<NaiveDate>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Saved(Case),
    /// Someone changed the case since the form was made: nothing was written; here is the
    /// case as it is now.
    Stale(Case),
    NotAllowed(NotAllowed),
}

pub async fn find(db: &impl ConnectionTrait, firm_id: Uuid, agency_id: i64) -> Result<Case> {
    Ok(followup_case::Entity::find()
        .filter(followup_case::Column::FirmId.eq(firm_id))
        .filter(followup_case::Column::AgencyId.eq(agency_id))
        .one(db)
        .await?
        .map_or_else(|| Case::untouched(firm_id, agency_id), Case::from_row))
}

/// Every agency's case of a firm (admins see them all).
pub async fn of_firm(db: &DatabaseConnection, firm_id: Uuid) -> Result<Vec<Case>> {
    Ok(followup_case::Entity::find()
        .filter(followup_case::Column::FirmId.eq(firm_id))
        .order_by_asc(followup_case::Column::AgencyId)
        .all(db)
        .await?
        .into_iter()
        .map(Case::from_row)
        .collect())
}

/// A case's history, oldest first.
pub async fn events(db: &DatabaseConnection, case_id: i64) -> Result<Vec<Event>> {
    Ok(case_event::Entity::find()
        .filter(case_event::Column::CaseId.eq(case_id))
        .order_by_asc(case_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| Event {
            at: e.at,
            actor: e.actor,
            from: e.from_status.as_deref().and_then(Status::parse),
            to: Status::parse(&e.to_status).unwrap_or(Status::New),
            change: e.change,
            note: e.note,
        })
        .collect())
}

/// The accounts of an agency (who a case can be assigned to), by e-mail.
pub async fn colleagues(db: &DatabaseConnection, agency_id: i64) -> Result<Vec<(i64, String)>> {
    Ok(app_user::Entity::find()
        .filter(app_user::Column::AgencyId.eq(agency_id))
        .filter(app_user::Column::Disabled.eq(false))
        .order_by_asc(app_user::Column::Email)
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect())
}

/// What changed besides the status, in words without the firm's data.
fn describe(before: &Case, change: &Change, names: &dyn Fn(i64) -> String) -> Option<String> {
    let mut parts = Vec::new();
    if before.assignee_id != change.assignee_id {
        parts.push(match change.assignee_id {
            Some(id) => format!("assigned to {}", names(id)),
            None => "unassigned".to_string(),
        });
    }
    if before.next_action != change.next_action {
        parts.push(match change.next_action {
            Some(d) => format!("next action {d}"),
            None => "no next action".to_string(),
        });
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Applies `change` to the firm's case at this agency if it is still at `version`.
///
/// The case is read before the transaction and written only where its version is still the one
/// read, so what was checked is what is changed; the transaction starts with its write, so on
/// SQLite two colleagues queue on the write lock instead of failing a read-then-write upgrade.
pub async fn update(
    db: &DatabaseConnection,
    firm_id: Uuid,
    agency_id: i64,
    version: i32,
    change: &Change,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let names: Vec<(i64, String)> = colleagues(db, agency_id).await?;
    let name = |id: i64| {
        names
            .iter()
            .find(|(i, _)| *i == id)
            .map_or_else(|| format!("account {id}"), |(_, e)| e.clone())
    };
    let before = find(db, firm_id, agency_id).await?;
    if before.version != version {
        return Ok(Outcome::Stale(before));
    }
    let status = match before.status.change_to(change.status) {
        Ok(s) => s,
        Err(e) => return Ok(Outcome::NotAllowed(e)),
    };
    let txn = db.begin().await?;
    let case_id = match before.id {
        None => {
            let row = followup_case::ActiveModel {
                firm_id: Set(firm_id),
                agency_id: Set(agency_id),
                status: Set(status.as_str().into()),
                assignee_id: Set(change.assignee_id),
                next_action: Set(change.next_action),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            // A colleague may have opened the case at the same moment: theirs stands.
            let inserted = followup_case::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([
                        followup_case::Column::FirmId,
                        followup_case::Column::AgencyId,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .try_insert()
                .exec(&txn)
                .await?;
            match inserted {
                sea_orm::TryInsertResult::Inserted(r) => r.last_insert_id,
                _ => {
                    txn.rollback().await?;
                    return Ok(Outcome::Stale(find(db, firm_id, agency_id).await?));
                }
            }
        }
        Some(id) => {
            let done = followup_case::Entity::update_many()
                .col_expr(followup_case::Column::Status, Expr::value(status.as_str()))
                .col_expr(
                    followup_case::Column::AssigneeId,
                    Expr::value(change.assignee_id),
                )
                .col_expr(
                    followup_case::Column::NextAction,
                    Expr::value(change.next_action),
                )
                .col_expr(followup_case::Column::Version, Expr::value(version + 1))
                .col_expr(followup_case::Column::UpdatedAt, Expr::value(now))
                .filter(followup_case::Column::Id.eq(id))
                .filter(followup_case::Column::Version.eq(version))
                .exec(&txn)
                .await?;
            if done.rows_affected == 0 {
                txn.rollback().await?;
                return Ok(Outcome::Stale(find(db, firm_id, agency_id).await?));
            }
            id
        }
    };
    insert_event(
        &txn,
        case_id,
        actor,
        now,
        (version > 0).then_some(before.status),
        status,
        describe(&before, change, &name),
        change.note.clone(),
    )
    .await?;
    let after = find(&txn, firm_id, agency_id).await?;
    txn.commit().await?;
    Ok(Outcome::Saved(after))
}

#[expect(
    clippy::too_many_arguments,
    reason = "one event row, each column given"
)]
async fn insert_event(
    db: &impl ConnectionTrait,
    case_id: i64,
    actor: &Actor,
    now: DateTime<Utc>,
    from: Option<Status>,
    to: Status,
    change: Option<String>,
    note: Option<String>,
) -> Result<()> {
    let row = case_event::ActiveModel {
        case_id: Set(case_id),
        at: Set(now),
        user_id: Set(actor.user_id),
        actor: Set(actor.name.chars().take(254).collect()),
        from_status: Set(from.map(|s| s.as_str().to_string())),
        to_status: Set(to.as_str().into()),
        change: Set(change),
        note: Set(note),
        ..Default::default()
    };
    case_event::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A case moved without anyone filling the form (a re-assessment, a withdrawn consent).
#[derive(Debug, Clone)]
pub struct Moved {
    pub case_id: i64,
    pub agency_id: i64,
    pub from: Status,
    pub to: Status,
}

/// Moves the firm's cases that are in one of `from` to `to`, each with an event saying `why`;
/// returns those moved. A case a colleague changes at the same moment keeps their change.
pub async fn move_firm_cases(
    db: &DatabaseConnection,
    firm_id: Uuid,
    from: &[Status],
    to: Status,
    why: &str,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<Moved>> {
    let cases = followup_case::Entity::find()
        .filter(followup_case::Column::FirmId.eq(firm_id))
        .filter(followup_case::Column::Status.is_in(from.iter().map(|s| s.as_str())))
        .all(db)
        .await?;
    let mut moved = Vec::new();
    for row in cases {
        // Each case on its own, write first (see `update`).
        let txn = db.begin().await?;
        let done = followup_case::Entity::update_many()
            .col_expr(followup_case::Column::Status, Expr::value(to.as_str()))
            .col_expr(followup_case::Column::Version, Expr::value(row.version + 1))
            .col_expr(followup_case::Column::UpdatedAt, Expr::value(now))
            .filter(followup_case::Column::Id.eq(row.id))
            .filter(followup_case::Column::Version.eq(row.version))
            .exec(&txn)
            .await?;
        if done.rows_affected == 0 {
            txn.rollback().await?;
            continue;
        }
        let before = Status::parse(&row.status).unwrap_or(Status::New);
        insert_event(
            &txn,
            row.id,
            actor,
            now,
            Some(before),
            to,
            Some(why.to_string()),
            None,
        )
        .await?;
        txn.commit().await?;
        moved.push(Moved {
            case_id: row.id,
            agency_id: row.agency_id,
            from: before,
            to,
        });
    }
    Ok(moved)
}

/// Drops the text agencies typed about a firm (its notes may name people); the events stay,
/// with who, when and which status, so the history is still true.
pub async fn erase_notes(db: &DatabaseConnection, firm_id: Uuid) -> Result<u64> {
    let cases = sea_orm::sea_query::Query::select()
        .column(followup_case::Column::Id)
        .from(followup_case::Entity)
        .and_where(Expr::col(followup_case::Column::FirmId).eq(firm_id))
        .to_owned();
    let done = case_event::Entity::update_many()
        .col_expr(
            case_event::Column::Note,
            Expr::value(Option::<String>::None),
        )
        .filter(case_event::Column::CaseId.in_subquery(cases))
        .filter(case_event::Column::Note.is_not_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
