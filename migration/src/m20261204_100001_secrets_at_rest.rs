//! Secrets at rest (issue 15): sessions no longer hold a copy of the password hash but a
//! per-account secret, replaced whenever the password changes; session ids are stored hashed.
//! Every stored session is dropped, since each holds a password hash and an unhashed id: the
//! staff sign in again once.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppUser {
    Table,
    SessionSecret,
}

#[derive(DeriveIden)]
enum HttpSession {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AppUser::Table)
                .add_column(
                    ColumnDef::new(AppUser::SessionSecret)
                        .string()
                        .not_null()
                        .default(""),
                )
                .to_owned(),
        )
        .await?;
        // A random secret for every existing account, from each database's own CSPRNG.
        let fill = match m.get_database_backend() {
            DbBackend::Sqlite => "UPDATE app_user SET session_secret = lower(hex(randomblob(32)))",
            _ => {
                "UPDATE app_user SET session_secret = \
                 replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')"
            }
        };
        m.get_connection().execute_unprepared(fill).await?;
        m.exec_stmt(Query::delete().from_table(HttpSession::Table).to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.exec_stmt(Query::delete().from_table(HttpSession::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(AppUser::Table)
                .drop_column(AppUser::SessionSecret)
                .to_owned(),
        )
        .await
    }
}
