//! Submitted responses one page at a time, for the admin's response-level export: no personal
//! data is read (the `contact` table never is), and pages follow the time-ordered id so a
//! million rows stream in constant memory.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::Result;
use super::entities::{assessment_result, response};
use super::responses::STATUS_SUBMITTED;
use crate::domain::scoring::DimensionScore;

/// One submitted response as exported: where, what kind of firm, when, and how it scored.
#[derive(Debug, Clone)]
pub struct ResponseRow {
    pub id: Uuid,
    pub submitted_at: Option<DateTime<Utc>>,
    pub questionnaire_version: String,
    pub province: Option<String>,
    pub former_province: Option<String>,
    pub sector: Option<String>,
    pub size_class: Option<String>,
    pub channel: String,
    pub overall: Option<f64>,
    pub level: Option<i16>,
    pub dimensions: Vec<DimensionScore>,
}

/// Up to `limit` submitted responses after `after` (by id), in id order.
pub async fn response_page(
    db: &DatabaseConnection,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<ResponseRow>> {
    let mut query = response::Entity::find()
        .filter(response::Column::Status.eq(STATUS_SUBMITTED))
        .order_by_asc(response::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(response::Column::Id.gt(after));
    }
    let rows = query.all(db).await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut results: HashMap<Uuid, assessment_result::Model> = assessment_result::Entity::find()
        .filter(assessment_result::Column::ResponseId.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.response_id, r))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let result = results.remove(&r.id);
            ResponseRow {
                id: r.id,
                submitted_at: r.submitted_at,
                questionnaire_version: r.questionnaire_version,
                province: r.province,
                former_province: r.former_province,
                sector: r.sector,
                size_class: r.size_class,
                channel: r.channel,
                overall: result.as_ref().map(|x| x.overall),
                level: result.as_ref().map(|x| x.level),
                dimensions: result
                    .and_then(|x| serde_json::from_str(&x.dimensions).ok())
                    .unwrap_or_default(),
            }
        })
        .collect())
}
