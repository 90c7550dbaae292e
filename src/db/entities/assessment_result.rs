use sea_orm::entity::prelude::*;

/// The result exactly as computed at submission (scores, level, barriers, roadmap as JSON).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "assessment_result")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub response_id: Uuid,
    pub overall: f64,
    pub level: i16,
    pub band: Option<String>,
    pub dimensions: String,
    pub barriers: String,
    pub roadmap: String,
    pub agency_flags: String,
    pub engine_version: String,
    pub computed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
