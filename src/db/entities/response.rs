use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "response")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub questionnaire_id: String,
    pub questionnaire_version: String,
    pub content_hash: String,
    pub lang: String,
    pub status: String,
    pub resume_token_hash: Option<String>,
    pub result_token_hash: Option<String>,
    pub current_section: Option<String>,
    pub profile: String,
    pub consents: String,
    pub province: Option<String>,
    pub former_province: Option<String>,
    pub sector: Option<String>,
    pub size_class: Option<String>,
    pub channel: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub submitted_at: Option<DateTimeUtc>,
    /// The earlier response of the same firm this one re-assesses (its result token was shown).
    pub previous_response_id: Option<Uuid>,
    /// The firm across its assessments: a first assessment's own id, a re-assessment's earlier
    /// one's firm (nullable in the schema only because SQLite cannot add it NOT NULL).
    pub firm_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
