//! Follow-up leads: submitted responses whose owner agreed that support agencies contact them
//! (consent `followup`, not withdrawn). Every query takes the viewer's [`Scope`], so a lead
//! outside it is simply not found.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::Result;
use super::entities::{
    assessment_result, consent, contact, response, result_barrier, result_dimension,
};
use super::responses::STATUS_SUBMITTED;
use crate::domain::questionnaire::ConsentPurpose;

/// Whose leads a viewer may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Admins: every lead.
    All,
    /// An agency: leads in the provinces it serves.
    Provinces(Vec<String>),
}

/// A lead as listed.
#[derive(Debug, Clone)]
pub struct Lead {
    pub id: Uuid,
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
    pub submitted_at: Option<DateTime<Utc>>,
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

fn scoped(scope: &Scope) -> sea_orm::Select<response::Entity> {
    let query = response::Entity::find()
        .filter(response::Column::Status.eq(STATUS_SUBMITTED))
        .filter(response::Column::Id.in_subquery(consenting()));
    match scope {
        Scope::All => query,
        Scope::Provinces(provinces) => {
            query.filter(response::Column::Province.is_in(provinces.iter().cloned()))
        }
    }
}

/// The newest `limit` leads within `scope`.
pub async fn list(db: &DatabaseConnection, scope: &Scope, limit: u64) -> Result<Vec<Lead>> {
    let rows = scoped(scope)
        .order_by_desc(response::Column::SubmittedAt)
        .limit(limit)
        .all(db)
        .await?;
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
    Ok(rows
        .into_iter()
        .map(|r| {
            let result = results.get(&r.id);
            let contact = contacts.remove(&r.id);
            Lead {
                id: r.id,
                business_name: contact.as_ref().and_then(|c| c.business_name.clone()),
                email: contact.as_ref().and_then(|c| c.email.clone()),
                phone: contact.and_then(|c| c.phone),
                province: r.province,
                sector: r.sector,
                size_class: r.size_class,
                overall: result.map(|x| x.overall),
                level: result.map(|x| x.level),
                barriers: barriers.remove(&r.id).unwrap_or_default(),
                submitted_at: r.submitted_at,
            }
        })
        .collect())
}

/// One lead, or `None` when it does not exist *or* is outside `scope` (the caller answers 404
/// either way, so ids of other agencies' leads cannot be probed).
pub async fn find(db: &DatabaseConnection, scope: &Scope, id: Uuid) -> Result<Option<LeadDetail>> {
    let Some(row) = scoped(scope)
        .filter(response::Column::Id.eq(id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(consent) = consent::Entity::find()
        .filter(consent::Column::ResponseId.eq(id))
        .filter(consent::Column::Purpose.eq(ConsentPurpose::Followup.as_str()))
        .filter(consent::Column::WithdrawnAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let result = assessment_result::Entity::find_by_id(id).one(db).await?;
    let contact = contact::Entity::find_by_id(id).one(db).await?;
    let barriers = result_barrier::Entity::find()
        .filter(result_barrier::Column::ResponseId.eq(id))
        .order_by_asc(result_barrier::Column::BarrierId)
        .all(db)
        .await?
        .into_iter()
        .map(|b| b.barrier_id)
        .collect();
    let dimensions = result_dimension::Entity::find()
        .filter(result_dimension::Column::ResponseId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.dimension_id, d.score))
        .collect();
    let (business_name, email, phone) = match contact {
        Some(c) => (c.business_name, c.email, c.phone),
        None => (None, None, None),
    };
    Ok(Some(LeadDetail {
        lead: Lead {
            id: row.id,
            business_name,
            email,
            phone,
            province: row.province,
            sector: row.sector,
            size_class: row.size_class,
            overall: result.as_ref().map(|r| r.overall),
            level: result.as_ref().map(|r| r.level),
            barriers,
            submitted_at: row.submitted_at,
        },
        dimensions,
        consent_granted_at: consent.granted_at,
    }))
}
