//! Secrets the service generates once and every instance shares (the CSRF signing key), so a
//! form served by one instance, or before a restart, is accepted by any instance afterwards.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppSecret {
    Table,
    Name,
    Value,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AppSecret::Table)
                .col(
                    ColumnDef::new(AppSecret::Name)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(AppSecret::Value).text().not_null())
                .col(
                    ColumnDef::new(AppSecret::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AppSecret::Table).to_owned())
            .await
    }
}
