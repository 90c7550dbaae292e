//! A response's answers move from one `answer` row per question into one JSON column on the
//! response (`{"question_id": answer, …}`), as they are always read and written whole.
//!
//! With ~38 answers per response the rows cost ~3.4 KB (each row repeats the 16-byte response
//! id and the question id, and its primary-key index repeats them again); the column holds the
//! same answers in ~0.5 KB. Per-answer points go: nothing read them, and they follow from the
//! answers and the questionnaire version. Existing answers are copied over verbatim (each
//! value's JSON text as stored), then the table is dropped.
//!
//! The response's copy of its questionnaire's content hash goes too: `questionnaire` holds it
//! once per version (and refuses a changed file), so 64 bytes per response said nothing new.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Response {
    Table,
    Answers,
    ContentHash,
}

#[derive(DeriveIden)]
enum Answer {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Response::Table)
                .add_column(
                    ColumnDef::new(Response::Answers)
                        .text()
                        .not_null()
                        .default("{}"),
                )
                .to_owned(),
        )
        .await?;
        // Each stored value is already compact JSON; only the keys need quoting.
        let copy = match m.get_database_backend() {
            DbBackend::Postgres => {
                "UPDATE response SET answers = a.object FROM ( \
                   SELECT response_id, \
                          '{' || string_agg(to_json(question_id)::text || ':' || value, ',' ORDER BY question_id) || '}' AS object \
                   FROM answer GROUP BY response_id) a \
                 WHERE a.response_id = response.id"
            }
            _ => {
                "UPDATE response SET answers = ( \
                   SELECT '{' || group_concat(json_quote(question_id) || ':' || value, ',') || '}' \
                   FROM answer WHERE answer.response_id = response.id) \
                 WHERE EXISTS (SELECT 1 FROM answer WHERE answer.response_id = response.id)"
            }
        };
        m.get_connection().execute_unprepared(copy).await?;
        m.drop_table(Table::drop().table(Answer::Table).to_owned())
            .await?;
        m.alter_table(
            Table::alter()
                .table(Response::Table)
                .drop_column(Response::ContentHash)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, _: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "migrations only move forward (see src/db/schema.rs)".into(),
        ))
    }
}
