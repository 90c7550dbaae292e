use sea_orm::entity::prelude::*;

/// An agency's case for one firm (see `crate::domain::case` for its statuses).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "followup_case")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub firm_id: Uuid,
    pub agency_id: i64,
    pub status: String,
    pub assignee_id: Option<i64>,
    pub next_action: Option<Date>,
    /// Raised by every change; an update naming an older version changes nothing.
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
