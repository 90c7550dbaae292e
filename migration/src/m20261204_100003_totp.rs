//! A second factor: an account may turn on time-based one-time codes. `totp_last_step` is the
//! last 30-second step whose code was used, so a code cannot be used twice.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppUser {
    Table,
    TotpSecret,
    TotpLastStep,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AppUser::Table)
                .add_column(ColumnDef::new(AppUser::TotpSecret).string().null())
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AppUser::Table)
                .add_column(ColumnDef::new(AppUser::TotpLastStep).big_integer().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [AppUser::TotpLastStep, AppUser::TotpSecret] {
            m.alter_table(
                Table::alter()
                    .table(AppUser::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
