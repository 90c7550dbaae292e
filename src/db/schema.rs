//! Applying migrations safely when several instances start at once, and reporting which are
//! applied.
//!
//! Every instance runs `migrate` at start. Unserialised, two instances on an empty PostgreSQL
//! database both create the same tables and one dies on a duplicate key in the catalogue; on
//! SQLite one fails with "table already exists". So the whole run happens in one transaction
//! that first takes a lock: a transaction-scoped advisory lock on PostgreSQL (released by the
//! commit, or by the server when the process dies), `BEGIN IMMEDIATE` on SQLite (the write lock,
//! waited for through the busy timeout). The next instance then finds nothing pending. DDL is
//! transactional on both, so a failed migration leaves the schema as it was.
//!
//! Migrations only move forward: there is no `down` command, and a binary refuses a database
//! that records a migration it does not know (one applied by a newer release).

use migration::{MigrationStatus, Migrator, MigratorTrait};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

/// The advisory lock key that serialises migrations on PostgreSQL (any fixed 64-bit number;
/// this one is "dxready" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x0064_7872_6561_6479;

/// Applies every pending migration, once, whichever instance gets there first.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    refuse_unknown_migrations(db).await?;
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    if db.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
        ))
        .await?;
    }
    Migrator::up(&txn, None).await?;
    txn.commit().await
}

/// One migration and whether the database has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    pub name: String,
    pub applied: bool,
}

/// Every migration this binary knows, oldest first, with whether it is applied. Reads only (no
/// table is created), so it works on an empty database and with a read-only account.
pub async fn status(db: &DatabaseConnection) -> Result<Vec<MigrationState>, DbErr> {
    refuse_unknown_migrations(db).await?;
    Ok(Migrator::get_migration_with_status_read_only(db)
        .await?
        .iter()
        .map(|m| MigrationState {
            name: m.name().to_string(),
            applied: m.status() == MigrationStatus::Applied,
        })
        .collect())
}

/// A database that a newer release migrated is not downgraded or half-understood: say so.
async fn refuse_unknown_migrations(db: &DatabaseConnection) -> Result<(), DbErr> {
    match Migrator::get_migration_with_status_read_only(db).await {
        Ok(_) => Ok(()),
        Err(DbErr::Custom(why)) if why.contains("is missing") => Err(DbErr::Custom(format!(
            "the database was migrated by a newer dxready release; migrations only move \
             forward, so run that release or a later one ({why})"
        ))),
        Err(e) => Err(e),
    }
}
