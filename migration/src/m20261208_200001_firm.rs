//! A firm across its assessments: every response carries the id of its firm, so the follow-up
//! can show one firm's assessments together and an agency's case follows the firm, not one
//! response. A first assessment's firm id is its own id; a re-assessment (previous_response_id)
//! takes the earlier one's. Existing rows are back-filled by following previous_response_id.
//!
//! The column stays nullable in the schema because SQLite cannot add a NOT NULL column without
//! a constant default; every writer sets it and the back-fill leaves no row without one.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Response {
    Table,
    FirmId,
}

/// Links are followed one step per statement; a chain longer than this (hundreds of
/// re-assessments of one firm) would be a data error, and its rest becomes firms of their own.
const MAX_CHAIN: usize = 1_000;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Response::Table)
                .add_column(ColumnDef::new(Response::FirmId).uuid().null())
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE response SET firm_id = id WHERE previous_response_id IS NULL",
        )
        .await?;
        for _ in 0..MAX_CHAIN {
            let done = db
                .execute_unprepared(
                    "UPDATE response SET firm_id = (SELECT p.firm_id FROM response p \
                     WHERE p.id = response.previous_response_id) \
                     WHERE firm_id IS NULL AND EXISTS (SELECT 1 FROM response p \
                     WHERE p.id = response.previous_response_id AND p.firm_id IS NOT NULL)",
                )
                .await?;
            if done.rows_affected() == 0 {
                break;
            }
        }
        // A link to a response that is gone (or a cycle): the rest stands on its own.
        db.execute_unprepared("UPDATE response SET firm_id = id WHERE firm_id IS NULL")
            .await?;
        m.create_index(
            Index::create()
                .name("idx_response_firm")
                .table(Response::Table)
                .col(Response::FirmId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_response_firm")
                .table(Response::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Response::Table)
                .drop_column(Response::FirmId)
                .to_owned(),
        )
        .await
    }
}
