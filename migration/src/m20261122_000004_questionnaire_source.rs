//! Keeps each questionnaire version's file in the database. A result stores only which rules
//! fired; their texts come from the version it was made with, which must therefore outlive the
//! file's removal from the questionnaires folder.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Questionnaire {
    Table,
    Source,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Questionnaire::Table)
                .add_column(ColumnDef::new(Questionnaire::Source).text().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Questionnaire::Table)
                .drop_column(Questionnaire::Source)
                .to_owned(),
        )
        .await
    }
}
