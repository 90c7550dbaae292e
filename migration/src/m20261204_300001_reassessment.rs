//! Re-assessment: a response may follow an earlier result of the same firm (its token proved
//! it), so progress can be shown from one assessment to the next.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Response {
    Table,
    PreviousResponseId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Response::Table)
                .add_column(ColumnDef::new(Response::PreviousResponseId).uuid().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_response_previous")
                .table(Response::Table)
                .col(Response::PreviousResponseId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_response_previous")
                .table(Response::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Response::Table)
                .drop_column(Response::PreviousResponseId)
                .to_owned(),
        )
        .await
    }
}
