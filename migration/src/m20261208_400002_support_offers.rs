//! Support programmes as offered, stored once instead of inside every result.
//!
//! A stored roadmap kept each programme it offered in full, in both languages (about 4.5 KB of a
//! 6.5 KB roadmap): the same few dozen texts, repeated in every result. Now each distinct offer
//! (a programme's words exactly as shown that day) is a row of `support_offer`, keyed by a digest
//! of its JSON, and a result lists the digests it offered (`"offers"`). An offer whose words
//! change is a new row; old results keep pointing at the words they showed.
//!
//! Existing results are converted here: each programme's JSON text is moved verbatim into
//! `support_offer` and replaced by its digest. The digest is the first 16 hex digits of the
//! SHA-256 of that text, the same as `crate::db::submissions` computes for new results.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement};
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SupportOffer {
    Table,
    Digest,
    Body,
}

/// Results converted per read.
const PAGE: u64 = 1_000;

/// A roadmap as stored before: only `programmes` changes, the rest is copied as it is.
#[derive(Deserialize)]
struct Before<'a> {
    #[serde(borrow)]
    items: &'a RawValue,
    #[serde(borrow)]
    programmes: Vec<&'a RawValue>,
    #[serde(borrow)]
    agency_flags: &'a RawValue,
}

fn digest(body: &str) -> String {
    Sha256::digest(body.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(SupportOffer::Table)
                .col(
                    ColumnDef::new(SupportOffer::Digest)
                        .string_len(16)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(SupportOffer::Body).text().not_null())
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let backend = m.get_database_backend();
        // Pages by a key both databases can compare as text or integer: SQLite's rowid, the
        // uuid as text on PostgreSQL.
        let (page_sql, update_sql) = match backend {
            DbBackend::Postgres => (
                "SELECT response_id::text AS k, roadmap FROM assessment_result \
                 WHERE response_id > $1::uuid ORDER BY response_id LIMIT $2",
                "UPDATE assessment_result SET roadmap = $1 WHERE response_id = $2::uuid",
            ),
            _ => (
                "SELECT CAST(rowid AS TEXT) AS k, roadmap FROM assessment_result \
                 WHERE rowid > CAST($1 AS INTEGER) ORDER BY rowid LIMIT $2",
                "UPDATE assessment_result SET roadmap = $1 WHERE rowid = CAST($2 AS INTEGER)",
            ),
        };
        let insert_sql = "INSERT INTO support_offer (digest, body) VALUES ($1, $2) \
                          ON CONFLICT (digest) DO NOTHING";
        let mut after = match backend {
            DbBackend::Postgres => "00000000-0000-0000-0000-000000000000".to_string(),
            _ => "0".to_string(),
        };
        let mut known = std::collections::HashSet::new();
        loop {
            let rows = db
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    page_sql,
                    [after.clone().into(), (PAGE as i64).into()],
                ))
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.try_get("", "k")?;
            for row in &rows {
                let key: String = row.try_get("", "k")?;
                let roadmap: String = row.try_get("", "roadmap")?;
                // Already converted, or in a shape this step does not know: left as it is.
                let Ok(before) = serde_json::from_str::<Before<'_>>(&roadmap) else {
                    continue;
                };
                let mut offers = Vec::with_capacity(before.programmes.len());
                for programme in &before.programmes {
                    let body = programme.get();
                    let d = digest(body);
                    if known.insert(d.clone()) {
                        db.execute_raw(Statement::from_sql_and_values(
                            backend,
                            insert_sql,
                            [d.clone().into(), body.to_string().into()],
                        ))
                        .await?;
                    }
                    offers.push(d);
                }
                let offers =
                    serde_json::to_string(&offers).map_err(|e| DbErr::Migration(e.to_string()))?;
                let converted = format!(
                    r#"{{"items":{},"offers":{offers},"agency_flags":{}}}"#,
                    before.items.get(),
                    before.agency_flags.get()
                );
                db.execute_raw(Statement::from_sql_and_values(
                    backend,
                    update_sql,
                    [converted.into(), key.into()],
                ))
                .await?;
            }
        }
        Ok(())
    }
}
