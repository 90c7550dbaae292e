//! Follow-up leads: firms whose latest submitted assessment carries a standing consent that
//! support agencies contact them (`followup`, not withdrawn). A lead is shown by that latest
//! assessment. Every query takes the viewer's [`Scope`], so a lead outside it is simply not
//! found.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::Result;
use super::cases::Case;
use super::entities::{
    assessment_result, consent, contact, followup_case, response, result_barrier, result_dimension,
};
use super::responses::STATUS_SUBMITTED;
use crate::domain::case::{
    CANDIDATE_FLAGS, LOW_LEVEL_MAX, Priority, RISK_FLAGS, SEVERAL_BARRIERS, Status,
};
use crate::domain::questionnaire::ConsentPurpose;

/// Whose leads a viewer may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Admins: every lead (and no case of their own).
    All,
    /// An agency: leads in the provinces it serves having any of its barriers (all leads there
    /// when it names none).
    Agency {
        id: i64,
        provinces: Vec<String>,
        barriers: Vec<String>,
    },
}

impl Scope {
    pub fn agency_id(&self) -> Option<i64> {
        match self {
            Scope::All => None,
            Scope::Agency { id, .. } => Some(*id),
        }
    }
}

/// Whose cases to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignee {
    Nobody,
    Account(i64),
}

/// The list's filters (all optional; the case filters need an agency).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub barrier: Option<String>,
    pub level: Option<i16>,
    pub sector: Option<String>,
    pub size: Option<String>,
    pub province: Option<String>,
    pub status: Option<Status>,
    pub assignee: Option<Assignee>,
    /// Only open cases whose next action is before `today`.
    pub overdue: bool,
}

/// A lead as listed.
#[derive(Debug, Clone)]
pub struct Lead {
    /// Its latest assessment.
    pub id: Uuid,
    pub firm_id: Uuid,
    pub business_name: Option<String>,
    /// How to reach the firm, as it consented to share with agencies.
    pub email: Option<String>,
    pub phone: Option<String>,
    pub province: Option<String>,
    pub sector: Option<String>,
    pub size_class: Option<String>,
    pub overall: Option<f64>,
    pub level: Option<i16>,
    pub barriers: Vec<String>,
    pub agency_flags: Vec<String>,
    pub priority: Priority,
    pub submitted_at: Option<DateTime<Utc>>,
    /// The viewing agency's case (untouched: status new, version 0); `None` for admins.
    pub case: Option<Case>,
}

/// A page of leads and how many there are in all.
#[derive(Debug, Clone)]
pub struct LeadPage {
    pub leads: Vec<Lead>,
    pub total: u64,
}

/// A lead's case file.
#[derive(Debug, Clone)]
pub struct LeadDetail {
    pub lead: Lead,
    pub dimensions: BTreeMap<String, f64>,
    pub consent_granted_at: DateTime<Utc>,
}

/// Responses with a standing follow-up consent.
fn consenting() -> SelectStatement {
    Query::select()
        .column(consent::Column::ResponseId)
        .from(consent::Entity)
        .and_where(Expr::col(consent::Column::Purpose).eq(ConsentPurpose::Followup.as_str()))
        .and_where(Expr::col(consent::Column::WithdrawnAt).is_null())
        .to_owned()
}

/// Responses with a later submitted assessment of the same firm.
fn superseded() -> SelectStatement {
    let later = Alias::new("later");
    Query::select()
        .expr(Expr::val(1))
        .from_as(response::Entity, later.clone())
        .and_where(
            Expr::col((later.clone(), response::Column::FirmId))
                .equals((response::Entity, response::Column::FirmId)),
        )
        .and_where(Expr::col((later.clone(), response::Column::Status)).eq(STATUS_SUBMITTED))
        .and_where(
            Expr::col((later.clone(), response::Column::SubmittedAt))
                .gt(Expr::col((response::Entity, response::Column::SubmittedAt)))
                .or(Expr::col((later.clone(), response::Column::SubmittedAt))
                    .eq(Expr::col((response::Entity, response::Column::SubmittedAt)))
                    .and(
                        Expr::col((later, response::Column::Id))
                            .gt(Expr::col((response::Entity, response::Column::Id))),
                    )),
        )
        .to_owned()
}

fn with_barrier(barriers: Vec<String>) -> SelectStatement {
    Query::select()
        .column(result_barrier::Column::ResponseId)
        .from(result_barrier::Entity)
        .and_where(Expr::col(result_barrier::Column::BarrierId).is_in(barriers))
        .to_owned()
}

fn scoped(scope: &Scope) -> sea_orm::Select<response::Entity> {
    let query = response::Entity::find()
        .filter(response::Column::Status.eq(STATUS_SUBMITTED))
        .filter(response::Column::Id.in_subquery(consenting()))
        .filter(Expr::exists(superseded()).not());
    match scope {
        Scope::All => query,
        Scope::Agency {
            provinces,
            barriers,
            ..
        } => {
            let query = query.filter(response::Column::Province.is_in(provinces.iter().cloned()));
            if barriers.is_empty() {
                query
            } else {
                query.filter(response::Column::Id.in_subquery(with_barrier(barriers.clone())))
            }
        }
    }
}

/// Firms whose case at `agency` matches `condition`.
fn cases_where(agency: i64, condition: Expr) -> SelectStatement {
    Query::select()
        .column(followup_case::Column::FirmId)
        .from(followup_case::Entity)
        .and_where(Expr::col(followup_case::Column::AgencyId).eq(agency))
        .and_where(condition)
        .to_owned()
}

fn filtered(
    scope: &Scope,
    filters: &Filters,
    today: NaiveDate,
) -> sea_orm::Select<response::Entity> {
    let mut query = scoped(scope);
    if let Some(b) = &filters.barrier {
        query = query.filter(response::Column::Id.in_subquery(with_barrier(vec![b.clone()])));
    }
    if let Some(level) = filters.level {
        query = query.filter(
            response::Column::Id.in_subquery(
                Query::select()
                    .column(assessment_result::Column::ResponseId)
                    .from(assessment_result::Entity)
                    .and_where(Expr::col(assessment_result::Column::Level).eq(level))
                    .to_owned(),
            ),
        );
    }
    if let Some(v) = &filters.sector {
        query = query.filter(response::Column::Sector.eq(v.clone()));
    }
    if let Some(v) = &filters.size {
        query = query.filter(response::Column::SizeClass.eq(v.clone()));
    }
    if let Some(v) = &filters.province {
        query = query.filter(response::Column::Province.eq(v.clone()));
    }
    let Some(agency) = scope.agency_id() else {
        return query;
    };
    let firm = response::Column::FirmId;
    match filters.status {
        // A lead nobody touched has no case row and is new.
        Some(Status::New) => {
            query = query.filter(firm.not_in_subquery(cases_where(
                agency,
                Expr::col(followup_case::Column::Status).ne(Status::New.as_str()),
            )));
        }
        Some(s) => {
            query = query.filter(firm.in_subquery(cases_where(
                agency,
                Expr::col(followup_case::Column::Status).eq(s.as_str()),
            )));
        }
        None => {}
    }
    match filters.assignee {
        Some(Assignee::Nobody) => {
            query = query.filter(firm.not_in_subquery(cases_where(
                agency,
                Expr::col(followup_case::Column::AssigneeId).is_not_null(),
            )));
        }
        Some(Assignee::Account(id)) => {
            query = query.filter(firm.in_subquery(cases_where(
                agency,
                Expr::col(followup_case::Column::AssigneeId).eq(id),
            )));
        }
        None => {}
    }
    if filters.overdue {
        let open: Vec<&str> = Status::ALL
            .iter()
            .filter(|s| s.is_open())
            .map(|s| s.as_str())
            .collect();
        query = query.filter(
            firm.in_subquery(cases_where(
                agency,
                Expr::col(followup_case::Column::NextAction)
                    .lt(today)
                    .and(Expr::col(followup_case::Column::Status).is_in(open)),
            )),
        );
    }
    query
}

/// The domain's [`Priority`] as SQL, so the database orders and pages: a smaller rank first.
fn priority_rank() -> Expr {
    let flag_test = |flags: &[&str]| {
        flags
            .iter()
            .map(|f| format!("ar.agency_flags LIKE '%\"{f}\"%'"))
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    let id = "\"response\".\"id\"";
    Expr::cust(format!(
        "CASE \
         WHEN EXISTS (SELECT 1 FROM assessment_result ar WHERE ar.response_id = {id} AND ({risk})) THEN 0 \
         WHEN EXISTS (SELECT 1 FROM assessment_result ar WHERE ar.response_id = {id} AND ar.level <= {low}) \
          AND (SELECT COUNT(*) FROM result_barrier rb WHERE rb.response_id = {id}) >= {several} THEN 1 \
         WHEN EXISTS (SELECT 1 FROM assessment_result ar WHERE ar.response_id = {id} AND ({candidate})) THEN 2 \
         ELSE 3 END",
        risk = flag_test(&RISK_FLAGS),
        candidate = flag_test(&CANDIDATE_FLAGS),
        low = LOW_LEVEL_MAX,
        several = SEVERAL_BARRIERS,
    ))
}

/// Page `page` (from 0) of `per_page` leads within `scope` matching `filters`, most urgent
/// first (see [`Priority`]), then newest.
pub async fn list(
    db: &DatabaseConnection,
    scope: &Scope,
    filters: &Filters,
    today: NaiveDate,
    page: u64,
    per_page: u64,
) -> Result<LeadPage> {
    let total = filtered(scope, filters, today).count(db).await?;
    let rows = filtered(scope, filters, today)
        .order_by(priority_rank(), Order::Asc)
        .order_by_desc(response::Column::SubmittedAt)
        .order_by_desc(response::Column::Id)
        .offset(page * per_page)
        .limit(per_page)
        .all(db)
        .await?;
    Ok(LeadPage {
        leads: complete(db, scope, rows).await?,
        total,
    })
}

/// Every lead within `scope` matching `filters`, in the list's order (the caseload export).
pub async fn all(
    db: &DatabaseConnection,
    scope: &Scope,
    filters: &Filters,
    today: NaiveDate,
) -> Result<Vec<Lead>> {
    const CHUNK: u64 = 500;
    let mut out = Vec::new();
    for page in 0.. {
        let got = list(db, scope, filters, today, page, CHUNK).await?;
        let done = (got.leads.len() as u64) < CHUNK;
        out.extend(got.leads);
        if done {
            break;
        }
    }
    Ok(out)
}

/// Adds each row's result, contact, barriers and case.
async fn complete(
    db: &DatabaseConnection,
    scope: &Scope,
    rows: Vec<response::Model>,
) -> Result<Vec<Lead>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let results: HashMap<Uuid, assessment_result::Model> = assessment_result::Entity::find()
        .filter(assessment_result::Column::ResponseId.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.response_id, r))
        .collect();
    let mut contacts: HashMap<Uuid, contact::Model> = contact::Entity::find()
        .filter(contact::Column::ResponseId.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.response_id, c))
        .collect();
    let mut barriers: HashMap<Uuid, Vec<String>> = HashMap::new();
    for b in result_barrier::Entity::find()
        .filter(result_barrier::Column::ResponseId.is_in(ids))
        .order_by_asc(result_barrier::Column::BarrierId)
        .all(db)
        .await?
    {
        barriers
            .entry(b.response_id)
            .or_default()
            .push(b.barrier_id);
    }
    let mut cases: HashMap<Uuid, Case> = HashMap::new();
    if let Some(agency) = scope.agency_id() {
        let firms: Vec<Uuid> = rows.iter().map(|r| r.firm_id).collect();
        for c in followup_case::Entity::find()
            .filter(followup_case::Column::AgencyId.eq(agency))
            .filter(followup_case::Column::FirmId.is_in(firms))
            .all(db)
            .await?
        {
            cases.insert(c.firm_id, Case::from_row(c));
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let result = results.get(&r.id);
            let contact = contacts.remove(&r.id);
            let barriers = barriers.remove(&r.id).unwrap_or_default();
            let agency_flags: Vec<String> = result
                .and_then(|x| serde_json::from_str(&x.agency_flags).ok())
                .unwrap_or_default();
            let level = result.map(|x| x.level);
            Lead {
                id: r.id,
                firm_id: r.firm_id,
                business_name: contact.as_ref().and_then(|c| c.business_name.clone()),
                email: contact.as_ref().and_then(|c| c.email.clone()),
                phone: contact.and_then(|c| c.phone),
                province: r.province,
                sector: r.sector,
                size_class: r.size_class,
                overall: result.map(|x| x.overall),
                priority: Priority::of(&agency_flags, level.unwrap_or(0), barriers.len()),
                level,
                barriers,
                agency_flags,
                submitted_at: r.submitted_at,
                case: scope.agency_id().map(|agency| {
                    cases
                        .remove(&r.firm_id)
                        .unwrap_or_else(|| Case::untouched(r.firm_id, agency))
                }),
            }
        })
        .collect())
}

/// The firm a response belongs to.
pub async fn firm_of(db: &DatabaseConnection, response_id: Uuid) -> Result<Option<Uuid>> {
    Ok(response::Entity::find_by_id(response_id)
        .one(db)
        .await?
        .map(|r| r.firm_id))
}

/// The lead of the firm that response `id` belongs to (any of its assessments), or `None` when
/// there is none *or* it is outside `scope` (the caller answers 404 either way, so ids of other
/// agencies' leads cannot be probed).
pub async fn find(db: &DatabaseConnection, scope: &Scope, id: Uuid) -> Result<Option<LeadDetail>> {
    let Some(firm) = firm_of(db, id).await? else {
        return Ok(None);
    };
    let Some(row) = scoped(scope)
        .filter(response::Column::FirmId.eq(firm))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let lead_id = row.id;
    let Some(consent) = consent::Entity::find()
        .filter(consent::Column::ResponseId.eq(lead_id))
        .filter(consent::Column::Purpose.eq(ConsentPurpose::Followup.as_str()))
        .filter(consent::Column::WithdrawnAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let dimensions = result_dimension::Entity::find()
        .filter(result_dimension::Column::ResponseId.eq(lead_id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.dimension_id, d.score))
        .collect();
    let Some(lead) = complete(db, scope, vec![row]).await?.pop() else {
        return Ok(None);
    };
    Ok(Some(LeadDetail {
        lead,
        dimensions,
        consent_granted_at: consent.granted_at,
    }))
}

/// One of a firm's assessments, as it scored.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub response_id: Uuid,
    pub submitted_at: DateTime<Utc>,
    pub overall: f64,
    pub level: i16,
    pub dimensions: BTreeMap<String, f64>,
}

/// Every submitted assessment of a firm, oldest first (T0, T1, …).
pub async fn assessments(db: &DatabaseConnection, firm_id: Uuid) -> Result<Vec<Assessment>> {
    let rows = response::Entity::find()
        .filter(response::Column::FirmId.eq(firm_id))
        .filter(response::Column::Status.eq(STATUS_SUBMITTED))
        .order_by_asc(response::Column::SubmittedAt)
        .order_by_asc(response::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let results: HashMap<Uuid, assessment_result::Model> = assessment_result::Entity::find()
        .filter(assessment_result::Column::ResponseId.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.response_id, r))
        .collect();
    let mut dimensions: HashMap<Uuid, BTreeMap<String, f64>> = HashMap::new();
    for d in result_dimension::Entity::find()
        .filter(result_dimension::Column::ResponseId.is_in(ids))
        .all(db)
        .await?
    {
        dimensions
            .entry(d.response_id)
            .or_default()
            .insert(d.dimension_id, d.score);
    }
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let result = results.get(&r.id)?;
            Some(Assessment {
                response_id: r.id,
                submitted_at: r.submitted_at.unwrap_or(r.updated_at),
                overall: result.overall,
                level: result.level,
                dimensions: dimensions.remove(&r.id).unwrap_or_default(),
            })
        })
        .collect())
}

/// Withdraws the follow-up consent on every assessment of the firm: the firm asked not to be
/// contacted, whichever of its result links it used. Returns how many were in force.
pub async fn withdraw_followup(
    db: &DatabaseConnection,
    firm_id: Uuid,
    now: DateTime<Utc>,
) -> Result<u64> {
    let of_firm = Query::select()
        .column(response::Column::Id)
        .from(response::Entity)
        .and_where(Expr::col(response::Column::FirmId).eq(firm_id))
        .to_owned();
    let done = consent::Entity::update_many()
        .col_expr(consent::Column::WithdrawnAt, Expr::value(Some(now)))
        .filter(consent::Column::ResponseId.in_subquery(of_firm))
        .filter(consent::Column::Purpose.eq(ConsentPurpose::Followup.as_str()))
        .filter(consent::Column::WithdrawnAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected)
}
