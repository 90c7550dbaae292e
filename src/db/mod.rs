//! Storage: the database connection and the queries the rest of the app uses. Handlers never
//! build queries themselves; they call the functions here.
//!
//! SQLite is the embedded default (WAL mode, `synchronous=NORMAL`, a busy timeout, foreign keys
//! on, a 16 MB WAL between checkpoints; submissions reach its one writer through `submissions::SubmissionQueue`);
//! PostgreSQL is for real deployments and several app instances. The same code runs on both.

pub mod accounts;
pub mod aggregates;
pub mod audit;
pub mod backup;
pub mod cases;
mod checkpoint;
pub mod entities;
pub mod export;
pub mod leads;
pub mod outbox;
pub mod reassessment;
pub mod responses;
pub mod schema;
pub mod secrets;
pub mod sessions;
pub mod submissions;
pub mod submit_limit;
pub mod tokens;

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

/// The storage layer's error: turned into an HTTP status by the web layer.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("not found")]
    NotFound,
    /// The request conflicts with stored state (already submitted, edited questionnaire, …).
    #[error("{0}")]
    Conflict(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    /// The submission writer has stopped (the app is shutting down): nothing was stored.
    #[error("the submission writer has stopped")]
    Unavailable,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Opens the database. SQLite files are created when missing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        options
            .max_connections(4)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|o| {
                use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // NORMAL is durable across application crashes in WAL mode; only a power
                    // loss can drop the last transactions.
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .pragma("temp_store", "memory")
                    .pragma("cache_size", "-16000")
                    // Checkpoint every ~16 MB of WAL rather than SQLite's 4 MB: a page written
                    // by several transactions between checkpoints is copied back once, and the
                    // checkpoint's fsync runs a quarter as often (bench/RESULTS.md: +13–23 %
                    // submissions/s under load).
                    .pragma("wal_autocheckpoint", "4000")
                    // A firm's erased contact must not linger in free pages of the file.
                    .pragma("secure_delete", "on")
            });
    } else {
        options.max_connections(16).min_connections(1);
    }
    Database::connect(options).await
}

/// Applies pending migrations; safe when several instances start at once (see `schema`).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    schema::migrate(db).await
}

/// What a clean stop does to the database once nothing writes any more: on SQLite, checkpoint
/// and truncate the write-ahead log. Nothing on PostgreSQL.
pub async fn at_clean_stop(db: &DatabaseConnection) {
    if !is_sqlite(db) {
        return;
    }
    match checkpoint::truncate_wal(db).await {
        Ok(true) => tracing::info!("write-ahead log checkpointed and truncated"),
        Ok(false) => tracing::warn!("write-ahead log not fully checkpointed: a reader was busy"),
        Err(e) => tracing::warn!(error = %e, "cannot checkpoint the write-ahead log"),
    }
}

/// Answers `true` once the database responds (for `/healthz`).
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// A new response id. Time-ordered (UUIDv7): every table keyed by the response grows at its end
/// instead of at random places in its B-tree, so a submission dirties a few pages rather than
/// one per table and index. Random v4 ids made each batch rewrite pages all over the file.
/// Ids are never shown to respondents (they hold tokens), only to staff beside the submission
/// date anyway.
pub fn new_response_id() -> uuid::Uuid {
    uuid::Uuid::now_v7()
}

pub fn is_sqlite(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Sqlite
}

#[cfg(test)]
mod tests {
    /// Storage locality relies on ids growing: each new response sorts after the last.
    #[test]
    fn response_ids_grow() {
        let ids: Vec<_> = (0..2000).map(|_| super::new_response_id()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
    }
}
