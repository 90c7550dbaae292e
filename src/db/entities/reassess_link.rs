use sea_orm::entity::prelude::*;

/// A re-assessment link sent by e-mail (an invitation or a reminder); see
/// `crate::db::reassessment`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reassess_link")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub response_id: Uuid,
    pub kind: String,
    pub token_hash: String,
    pub withdraw_token_hash: String,
    pub created_by: Option<i64>,
    pub sender_name: Option<String>,
    pub outbox_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub draft_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
