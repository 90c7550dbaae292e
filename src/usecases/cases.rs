//! The agency's case workflow: who sees which leads, changing a case (claim, assign, status,
//! next action, note) with its audit entry, and the moves nobody types: a re-assessment of the
//! firm, a withdrawn consent.

use chrono::NaiveDate;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{App, Error, Result};
use crate::db;
use crate::db::accounts::Account;
use crate::db::audit::{Actor, action};
use crate::db::cases::{Change, Moved, Outcome};
use crate::db::leads::{LeadDetail, Scope};
use crate::domain::case::Status;
use crate::domain::{Role, Text};

/// Longest note kept (a paragraph or two; the history is not a document store).
pub const NOTE_MAX_CHARS: usize = 4_000;

/// Which leads this account may see: all for admins, its agency's for agency accounts (an
/// agency account without an agency sees none).
pub async fn scope_of(db: &DatabaseConnection, account: &Account) -> Result<Scope> {
    if account.role == Role::Admin {
        return Ok(Scope::All);
    }
    let agency = match account.agency_id {
        Some(id) => db::accounts::find_agency(db, id).await?,
        None => None,
    };
    Ok(match agency {
        Some(a) => Scope::Agency {
            id: a.id,
            provinces: a.provinces,
            barriers: a.barriers,
        },
        None => Scope::Agency {
            id: -1,
            provinces: Vec::new(),
            barriers: Vec::new(),
        },
    })
}

/// The lead of response `id`'s firm within `scope`, or not found.
pub async fn lead(db: &DatabaseConnection, scope: &Scope, id: Uuid) -> Result<LeadDetail> {
    db::leads::find(db, scope, id).await?.ok_or(Error::NotFound)
}

/// What the case form asks for.
#[derive(Debug, Clone)]
pub struct CaseForm {
    pub version: i32,
    pub status: Status,
    pub assignee_id: Option<i64>,
    pub next_action: Option<NaiveDate>,
    pub note: Option<String>,
}

/// Changes the case of lead `id` at the account's agency. `Ok(Outcome::Stale)` when a colleague
/// changed it first (nothing written); a change the workflow forbids, or an assignee from
/// another agency, is refused.
pub async fn change_case(
    app: &App,
    account: &Account,
    actor: &Actor,
    id: Uuid,
    form: CaseForm,
) -> Result<Outcome> {
    let scope = scope_of(&app.db, account).await?;
    let lead = lead(&app.db, &scope, id).await?;
    let Some(agency) = scope.agency_id() else {
        return Err(Error::Refused(Text::new(
            "Chỉ đơn vị hỗ trợ mới xử lý hồ sơ.",
            "Only a support agency works on cases.",
        )));
    };
    if let Some(assignee) = form.assignee_id {
        let colleagues = db::cases::colleagues(&app.db, agency).await?;
        if !colleagues.iter().any(|(i, _)| *i == assignee) {
            return Err(Error::Refused(Text::new(
                "Chỉ giao được cho người của đơn vị mình.",
                "A case can only be assigned to someone of your own agency.",
            )));
        }
    }
    let note = form
        .note
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > NOTE_MAX_CHARS)
    {
        return Err(Error::Refused(Text::new(
            "Ghi chú quá dài (tối đa 4.000 ký tự).",
            "The note is too long (4,000 characters at most).",
        )));
    }
    let change = Change {
        status: form.status,
        assignee_id: form.assignee_id,
        next_action: form.next_action,
        note,
    };
    let firm = lead.lead.firm_id;
    let outcome = db::cases::update(
        &app.db,
        firm,
        agency,
        form.version,
        &change,
        actor,
        app.clock.now(),
    )
    .await?;
    match &outcome {
        Outcome::Saved(case) => {
            actor
                .record(
                    &app.db,
                    action::CASE_CHANGED,
                    case.id.map(|c| format!("case {c}")),
                    Some(format!(
                        "firm {firm}: {} (version {})",
                        change.status.as_str(),
                        case.version
                    )),
                )
                .await?;
        }
        Outcome::NotAllowed(e) => {
            return Err(Error::Refused(Text::new(
                format!(
                    "Không thể chuyển từ «{}» sang «{}».",
                    e.from.title().vi,
                    e.to.title().vi
                ),
                format!(
                    "A case cannot go from “{}” to “{}”.",
                    e.from.title().en,
                    e.to.title().en
                ),
            )));
        }
        Outcome::Stale(_) => {}
    }
    Ok(outcome)
}

async fn audit_moves(
    db: &DatabaseConnection,
    actor: &Actor,
    firm: Uuid,
    moved: &[Moved],
    why: &str,
) -> Result<()> {
    for m in moved {
        actor
            .record(
                db,
                action::CASE_CHANGED,
                Some(format!("case {}", m.case_id)),
                Some(format!(
                    "firm {firm}, agency {}: {} → {} ({why})",
                    m.agency_id,
                    m.from.as_str(),
                    m.to.as_str()
                )),
            )
            .await?;
    }
    Ok(())
}

/// After response `id` was stored: if it re-assesses a firm whose help is under way, its cases
/// move to re-assessed. Returns how many moved.
pub async fn on_submitted(app: &App, id: Uuid) -> Result<usize> {
    let Some(firm) = db::leads::firm_of(&app.db, id).await? else {
        return Ok(0);
    };
    if firm == id {
        // A first assessment: no case can exist yet.
        return Ok(0);
    }
    let why = "re-assessed by the firm";
    let actor = Actor::anonymous("system", None);
    let moved = db::cases::move_firm_cases(
        &app.db,
        firm,
        &Status::UNDER_WAY,
        Status::Reassessed,
        why,
        &actor,
        app.clock.now(),
    )
    .await?;
    audit_moves(&app.db, &actor, firm, &moved, why).await?;
    Ok(moved.len())
}

/// The firm withdrew its follow-up consent (or erased its data): its open cases close, with
/// the reason in their history.
pub async fn close_for_withdrawal(
    db: &DatabaseConnection,
    actor: &Actor,
    firm: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize> {
    let why = "consent withdrawn";
    let open: Vec<Status> = Status::ALL.into_iter().filter(|s| s.is_open()).collect();
    let moved =
        db::cases::move_firm_cases(db, firm, &open, Status::Closed, why, actor, now).await?;
    audit_moves(db, actor, firm, &moved, why).await?;
    Ok(moved.len())
}
