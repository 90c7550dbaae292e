//! The public submission limit shared by every instance on one PostgreSQL database: per client
//! address, the "theoretical arrival time" of the generic cell rate algorithm (the same rule as
//! the in-memory limit SQLite keeps, since it runs one instance).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SubmitLimit {
    Table,
    Client,
    Tat,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SubmitLimit::Table)
                .col(
                    ColumnDef::new(SubmitLimit::Client)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(SubmitLimit::Tat)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(SubmitLimit::Table).to_owned())
            .await
    }
}
