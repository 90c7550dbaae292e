//! Accounts for staff, agencies and admins; support agencies; database-backed sessions (so
//! several app instances share them); the audit log; and sign-in throttling.
//!
//! Throttling lives in the database rather than in memory so that a lock holds across
//! instances; it costs one or two small writes per failed sign-in and nothing otherwise.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Agency {
    Table,
    Id,
    Slug,
    Name,
    Provinces,
    Barriers,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
    Email,
    PasswordHash,
    Role,
    AgencyId,
    Province,
    Disabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum HttpSession {
    Table,
    Id,
    Data,
    ExpiryDate,
    UserId,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    UserId,
    Actor,
    Action,
    Object,
    Detail,
    ClientAddr,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    Failures,
    LastFailureAt,
    LockedUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Agency::Table)
                .col(
                    ColumnDef::new(Agency::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Agency::Slug)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Agency::Name).string_len(200).not_null())
                // JSON lists of province slugs and barrier ids.
                .col(ColumnDef::new(Agency::Provinces).text().not_null())
                .col(ColumnDef::new(Agency::Barriers).text().not_null())
                .col(
                    ColumnDef::new(Agency::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Agency::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AppUser::Table)
                .col(
                    ColumnDef::new(AppUser::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                // Stored lowercased, so the unique key is case-insensitive in effect.
                .col(
                    ColumnDef::new(AppUser::Email)
                        .string_len(254)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(AppUser::PasswordHash)
                        .string_len(255)
                        .not_null(),
                )
                // admin | staff | agency
                .col(ColumnDef::new(AppUser::Role).string_len(16).not_null())
                .col(ColumnDef::new(AppUser::AgencyId).big_integer().null())
                // A staff account limited to one province.
                .col(ColumnDef::new(AppUser::Province).string_len(64).null())
                .col(
                    ColumnDef::new(AppUser::Disabled)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(AppUser::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AppUser::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(AppUser::Table, AppUser::AgencyId)
                        .to(Agency::Table, Agency::Id),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(HttpSession::Table)
                .col(
                    ColumnDef::new(HttpSession::Id)
                        .string_len(32)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(HttpSession::Data).text().not_null())
                .col(
                    ColumnDef::new(HttpSession::ExpiryDate)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                // Copied out of the data so "sign out everywhere" is one DELETE.
                .col(ColumnDef::new(HttpSession::UserId).big_integer().null())
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("ix_http_session_user", HttpSession::UserId),
            ("ix_http_session_expiry", HttpSession::ExpiryDate),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(HttpSession::Table)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(
                    ColumnDef::new(AuditLog::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(AuditLog::At)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                // No foreign key: the log outlives whatever it talks about.
                .col(ColumnDef::new(AuditLog::UserId).big_integer().null())
                .col(ColumnDef::new(AuditLog::Actor).string_len(254).not_null())
                .col(ColumnDef::new(AuditLog::Action).string_len(64).not_null())
                .col(ColumnDef::new(AuditLog::Object).string_len(200).null())
                .col(ColumnDef::new(AuditLog::Detail).text().null())
                .col(ColumnDef::new(AuditLog::ClientAddr).string_len(64).null())
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("ix_audit_log_at", AuditLog::At),
            ("ix_audit_log_actor", AuditLog::Actor),
            ("ix_audit_log_action", AuditLog::Action),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(AuditLog::Table)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }

        m.create_table(
            Table::create()
                .table(LoginThrottle::Table)
                // `addr:<ip>` or `account:<email>`.
                .col(
                    ColumnDef::new(LoginThrottle::Key)
                        .string_len(300)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(LoginThrottle::Failures)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(LoginThrottle::LastFailureAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(LoginThrottle::LockedUntil)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LoginThrottle::Table.into_iden(),
            AuditLog::Table.into_iden(),
            HttpSession::Table.into_iden(),
            AppUser::Table.into_iden(),
            Agency::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
