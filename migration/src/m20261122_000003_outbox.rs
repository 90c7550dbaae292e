//! The e-mail outbox. A message is written in the same transaction as whatever caused it (a
//! submission), and a worker delivers it later, so a crash between commit and send loses
//! nothing. Workers claim rows with a lease (`lease_until`, `locked_by`); an expired lease is
//! claimable again.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Kind,
    ResponseId,
    Recipient,
    Lang,
    Token,
    Status,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    LockedBy,
    LastError,
    MessageId,
    CreatedAt,
    SentAt,
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
                .table(Outbox::Table)
                .col(
                    ColumnDef::new(Outbox::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                // roadmap_report | resume_link
                .col(ColumnDef::new(Outbox::Kind).string_len(32).not_null())
                .col(ColumnDef::new(Outbox::ResponseId).uuid().null())
                .col(ColumnDef::new(Outbox::Recipient).string_len(254).not_null())
                .col(ColumnDef::new(Outbox::Lang).string_len(2).not_null())
                // The link token in plain text (only its hash is stored elsewhere); cleared
                // once the message is sent or has failed for good.
                .col(ColumnDef::new(Outbox::Token).string_len(64).null())
                // pending | sending | sent | failed
                .col(ColumnDef::new(Outbox::Status).string_len(16).not_null())
                .col(
                    ColumnDef::new(Outbox::Attempts)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(Outbox::NextAttemptAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Outbox::LeaseUntil)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(ColumnDef::new(Outbox::LockedBy).string_len(64).null())
                .col(ColumnDef::new(Outbox::LastError).text().null())
                .col(ColumnDef::new(Outbox::MessageId).string_len(255).null())
                .col(
                    ColumnDef::new(Outbox::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Outbox::SentAt)
                        .timestamp_with_time_zone()
                        .null(),
                )
                // Deleting a response (consent withdrawn) deletes its queued mail too.
                .foreign_key(
                    ForeignKey::create()
                        .from(Outbox::Table, Outbox::ResponseId)
                        .to(Response::Table, Response::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_outbox_status_next_attempt")
                .table(Outbox::Table)
                .col(Outbox::Status)
                .col(Outbox::NextAttemptAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_outbox_response")
                .table(Outbox::Table)
                .col(Outbox::ResponseId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}
