use sea_orm::entity::prelude::*;

/// A signed-in user of the service: admin, staff or agency.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_user")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub email: String,
    pub password_hash: String,
    /// What sessions are checked against (axum-login's auth hash); replaced with the password.
    pub session_secret: String,
    /// Set when someone else chose the password; cleared when the owner changes it.
    pub must_change_password: bool,
    /// Base32 TOTP secret once the second factor is on.
    pub totp_secret: Option<String>,
    /// The last TOTP step used, so a code works once.
    pub totp_last_step: Option<i64>,
    pub role: String,
    pub agency_id: Option<i64>,
    pub province: Option<String>,
    pub disabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
