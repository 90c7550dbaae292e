//! Key practices in the dashboard's aggregates: per fact two bitmasks (counted, adopted; bit
//! order = practice order in the version, names in `agg_slot`), per rollup row a count of each.
//! Columns default to 0, so facts written before hold no practice until `rebuild-aggregates`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Practice slots: a version with more keeps the first ones.
pub const PRACTICE_SLOTS: usize = 16;

fn name(s: &str) -> Alias {
    Alias::new(s)
}

fn rollup_columns() -> Vec<String> {
    (0..PRACTICE_SLOTS)
        .flat_map(|i| [format!("p_count{i}"), format!("p_adopt{i}")])
        .collect()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for c in ["practice_counted", "practice_adopted"] {
            m.alter_table(
                Table::alter()
                    .table(name("agg_fact"))
                    .add_column(ColumnDef::new(name(c)).big_integer().not_null().default(0))
                    .to_owned(),
            )
            .await?;
        }
        for c in rollup_columns() {
            m.alter_table(
                Table::alter()
                    .table(name("agg_rollup"))
                    .add_column(ColumnDef::new(name(&c)).integer().not_null().default(0))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in rollup_columns() {
            m.alter_table(
                Table::alter()
                    .table(name("agg_rollup"))
                    .drop_column(name(&c))
                    .to_owned(),
            )
            .await?;
        }
        for c in ["practice_counted", "practice_adopted"] {
            m.alter_table(
                Table::alter()
                    .table(name("agg_fact"))
                    .drop_column(name(c))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
