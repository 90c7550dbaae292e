//! A password set by someone else (an admin creating the account) must be replaced by its
//! owner before anything else: the admin knows it, and it may have travelled by chat or mail.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppUser {
    Table,
    MustChangePassword,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AppUser::Table)
                .add_column(
                    ColumnDef::new(AppUser::MustChangePassword)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AppUser::Table)
                .drop_column(AppUser::MustChangePassword)
                .to_owned(),
        )
        .await
    }
}
