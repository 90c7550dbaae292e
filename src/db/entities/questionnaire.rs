use sea_orm::entity::prelude::*;

/// A questionnaire version as first loaded; its content hash must never change afterwards.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "questionnaire")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub questionnaire_id: String,
    pub version: String,
    pub content_hash: String,
    pub first_loaded_at: DateTimeUtc,
    /// The questionnaire file itself, so results of a version whose file was removed from the
    /// folder can still be shown.
    pub source: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
