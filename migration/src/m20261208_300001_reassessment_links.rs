//! Re-assessment links sent by e-mail: an agency's invitation or the six-month reminder. Each
//! link is single-use and expires; only hashes of its tokens are stored (the re-take token, and
//! the withdraw token derived from it, so the e-mail can link to the withdraw page). A reminder
//! is queued at most once per response: `reassess_reminder`'s primary key makes a second
//! enqueue (another instance, a second run of the job) insert nothing.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReassessLink {
    Table,
    Id,
    ResponseId,
    Kind,
    TokenHash,
    WithdrawTokenHash,
    CreatedBy,
    SenderName,
    OutboxId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    DraftId,
}

#[derive(DeriveIden)]
enum ReassessReminder {
    Table,
    ResponseId,
    QueuedAt,
}

#[derive(DeriveIden)]
enum Response {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ReassessLink::Table)
                .col(
                    ColumnDef::new(ReassessLink::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                // The earlier response the new assessment will re-take.
                .col(ColumnDef::new(ReassessLink::ResponseId).uuid().not_null())
                // invitation | reminder
                .col(ColumnDef::new(ReassessLink::Kind).string_len(16).not_null())
                .col(
                    ColumnDef::new(ReassessLink::TokenHash)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(ReassessLink::WithdrawTokenHash)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                // The account that sent an invitation (none for reminders).
                .col(ColumnDef::new(ReassessLink::CreatedBy).big_integer().null())
                // Who the e-mail says invites the firm (an agency's name).
                .col(
                    ColumnDef::new(ReassessLink::SenderName)
                        .string_len(200)
                        .null(),
                )
                .col(ColumnDef::new(ReassessLink::OutboxId).big_integer().null())
                .col(
                    ColumnDef::new(ReassessLink::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ReassessLink::ExpiresAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ReassessLink::UsedAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new(ReassessLink::DraftId).uuid().null())
                .foreign_key(
                    ForeignKey::create()
                        .from(ReassessLink::Table, ReassessLink::ResponseId)
                        .to(Response::Table, Response::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_reassess_link_response")
                .table(ReassessLink::Table)
                .col(ReassessLink::ResponseId)
                .col(ReassessLink::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ReassessReminder::Table)
                .col(
                    ColumnDef::new(ReassessReminder::ResponseId)
                        .uuid()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(ReassessReminder::QueuedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ReassessReminder::Table, ReassessReminder::ResponseId)
                        .to(Response::Table, Response::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ReassessReminder::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(ReassessLink::Table).to_owned())
            .await
    }
}
