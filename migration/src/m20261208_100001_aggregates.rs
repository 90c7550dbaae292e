//! Aggregates for the dashboard (issue 12): a narrow fact row per submitted response and
//! additive rollups at a few grains, all kept up to date in the submission's own transaction.
//! Rollup key columns are never NULL ('' and -1 stand for "not given" or "not in this grain"),
//! so `ON CONFLICT … DO UPDATE` finds the row on SQLite and PostgreSQL alike.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Score slots per dimension, barrier: a questionnaire with more keeps the first ones.
pub const DIMENSION_SLOTS: usize = 10;
pub const BARRIER_SLOTS: usize = 10;

fn name(s: &str) -> Alias {
    Alias::new(s)
}

fn key_columns(t: &mut TableCreateStatement) {
    t.col(ColumnDef::new(name("grain")).small_integer().not_null())
        .col(ColumnDef::new(name("month")).integer().not_null())
        .col(ColumnDef::new(name("version")).string_len(80).not_null())
        .col(ColumnDef::new(name("province")).string_len(64).not_null())
        .col(
            ColumnDef::new(name("former_province"))
                .string_len(64)
                .not_null(),
        )
        .col(ColumnDef::new(name("sector")).string_len(64).not_null())
        .col(ColumnDef::new(name("size_class")).string_len(64).not_null())
        .col(ColumnDef::new(name("ocop")).small_integer().not_null())
        .col(ColumnDef::new(name("trade")).string_len(16).not_null());
}

/// The key's columns in index order: grain, then the columns filters usually fix.
const KEY: [&str; 9] = [
    "grain",
    "province",
    "sector",
    "size_class",
    "month",
    "version",
    "former_province",
    "ocop",
    "trade",
];

fn primary_key(t: &mut TableCreateStatement, extra: Option<&str>) {
    let mut pk = Index::create();
    for c in KEY {
        pk.col(name(c));
    }
    if let Some(extra) = extra {
        pk.col(name(extra));
    }
    t.primary_key(&mut pk);
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One row per submitted response: what every filter and figure needs, nothing personal.
        let mut fact = Table::create();
        fact.table(name("agg_fact"))
            .col(
                ColumnDef::new(name("response_id"))
                    .uuid()
                    .not_null()
                    .primary_key(),
            )
            .col(ColumnDef::new(name("version")).string_len(80).not_null())
            .col(ColumnDef::new(name("month")).integer().not_null())
            .col(ColumnDef::new(name("province")).string_len(64).not_null())
            .col(
                ColumnDef::new(name("former_province"))
                    .string_len(64)
                    .not_null(),
            )
            .col(ColumnDef::new(name("commune")).string_len(64).not_null())
            .col(ColumnDef::new(name("sector")).string_len(64).not_null())
            .col(ColumnDef::new(name("size_class")).string_len(64).not_null())
            .col(ColumnDef::new(name("ocop")).small_integer().not_null())
            .col(ColumnDef::new(name("trade")).string_len(16).not_null())
            .col(ColumnDef::new(name("overall")).double().not_null())
            .col(ColumnDef::new(name("bin")).integer().not_null())
            .col(ColumnDef::new(name("level")).small_integer().not_null());
        for i in 0..DIMENSION_SLOTS {
            fact.col(ColumnDef::new(name(&format!("d{i}"))).double().null());
        }
        fact.col(
            ColumnDef::new(name("barrier_self"))
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(name("barrier_inferred"))
                .big_integer()
                .not_null(),
        )
        .col(ColumnDef::new(name("roadmap")).text().not_null())
        .col(ColumnDef::new(name("previous_response_id")).uuid().null());
        m.create_table(fact).await?;
        for (index, cols) in [
            ("idx_agg_fact_month", &["month"][..]),
            ("idx_agg_fact_province", &["province", "month"][..]),
            ("idx_agg_fact_former", &["former_province", "month"][..]),
            ("idx_agg_fact_commune", &["commune", "month"][..]),
            ("idx_agg_fact_sector", &["sector", "month"][..]),
            ("idx_agg_fact_previous", &["previous_response_id"][..]),
        ] {
            let mut i = Index::create();
            i.name(index).table(name("agg_fact"));
            for c in cols {
                i.col(name(c));
            }
            m.create_index(i).await?;
        }

        // Which dimension, barrier (and later practice) each numbered slot of a version holds.
        m.create_table(
            Table::create()
                .table(name("agg_slot"))
                .col(ColumnDef::new(name("version")).string_len(80).not_null())
                .col(ColumnDef::new(name("kind")).string_len(16).not_null())
                .col(ColumnDef::new(name("position")).small_integer().not_null())
                .col(ColumnDef::new(name("item")).string_len(64).not_null())
                .primary_key(
                    Index::create()
                        .col(name("version"))
                        .col(name("kind"))
                        .col(name("position")),
                )
                .to_owned(),
        )
        .await?;

        let mut rollup = Table::create();
        rollup.table(name("agg_rollup"));
        key_columns(&mut rollup);
        rollup
            .col(ColumnDef::new(name("n")).integer().not_null())
            .col(ColumnDef::new(name("overall_sum")).double().not_null());
        for l in 0..=5 {
            rollup.col(
                ColumnDef::new(name(&format!("level{l}")))
                    .integer()
                    .not_null(),
            );
        }
        for i in 0..DIMENSION_SLOTS {
            rollup
                .col(
                    ColumnDef::new(name(&format!("d_sum{i}")))
                        .double()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(name(&format!("d_n{i}")))
                        .integer()
                        .not_null(),
                );
        }
        for i in 0..BARRIER_SLOTS {
            for prefix in ["b_self", "b_inf", "b_any"] {
                rollup.col(
                    ColumnDef::new(name(&format!("{prefix}{i}")))
                        .integer()
                        .not_null(),
                );
            }
        }
        primary_key(&mut rollup, None);
        m.create_table(rollup).await?;

        // Sparse score histogram (0.1-point bins) for medians.
        let mut hist = Table::create();
        hist.table(name("agg_rollup_hist"));
        key_columns(&mut hist);
        hist.col(ColumnDef::new(name("bin")).integer().not_null())
            .col(ColumnDef::new(name("n")).integer().not_null());
        primary_key(&mut hist, Some("bin"));
        m.create_table(hist).await?;

        // How often each roadmap item was recommended.
        let mut rule = Table::create();
        rule.table(name("agg_rollup_rule"));
        key_columns(&mut rule);
        rule.col(ColumnDef::new(name("rule_id")).string_len(64).not_null())
            .col(ColumnDef::new(name("n")).integer().not_null());
        primary_key(&mut rule, Some("rule_id"));
        m.create_table(rule).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "agg_rollup_rule",
            "agg_rollup_hist",
            "agg_rollup",
            "agg_slot",
            "agg_fact",
        ] {
            m.drop_table(Table::drop().table(name(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
