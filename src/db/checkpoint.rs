//! SQLite WAL checkpoints, kept off the submission writer's path.
//!
//! In WAL mode every commit appends pages to the `-wal` file, and a checkpoint copies them back
//! into the database file and syncs both. Left to SQLite (`wal_autocheckpoint`), the commit that
//! crosses the limit runs the whole checkpoint itself: copying megabytes and two `fsync`s, tens of
//! milliseconds during which no submission is stored, and every request waiting for that batch
//! waits as long. That was most of the load benchmark's p99.
//!
//! Instead the submission writer drives a two-step cycle between its batches:
//! 1. a *passive* checkpoint on another connection of the pool, running beside the writer, copies
//!    what was committed so far (the long part, with the syncs);
//! 2. when it is done, the writer, between two batches, runs one more passive checkpoint itself
//!    for the few pages it added meanwhile. Nothing writes during that short step, so it leaves
//!    the WAL fully copied and the next commit starts the WAL file from its beginning again.
//!
//! No commit runs a whole checkpoint any more and the WAL restarts every few megabytes. A batch
//! can still be slowed while the disk syncs (overwriting the start of the WAL waits for pages
//! under write-back), but less: in `bench/load.sh` runs side by side, p99 fell from 64–65 ms to
//! 50–51 ms and throughput rose 5–15 %. `wal_autocheckpoint` stays on as the safety net for writes
//! that do not go through the writer (pages, e-mail).

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio::task::JoinHandle;

/// How often a background checkpoint starts while submissions arrive: often enough that each
/// copies little, rarely enough that their syncs stay a small share of the disk's time.
const INTERVAL: Duration = Duration::from_millis(250);

/// How far a checkpoint got: frames in the WAL, and how many of them are in the database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WalProgress {
    frames: i64,
    copied: i64,
}

impl WalProgress {
    fn complete(self) -> bool {
        self.copied >= self.frames
    }
}

/// Runs `PRAGMA wal_checkpoint(PASSIVE)`: copies what it can without waiting for anyone.
async fn passive_checkpoint(db: &DatabaseConnection) -> Result<WalProgress, sea_orm::DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA wal_checkpoint(PASSIVE)",
        ))
        .await?
        .ok_or_else(|| sea_orm::DbErr::Custom("wal_checkpoint answered no row".into()))?;
    Ok(WalProgress {
        frames: row.try_get_by_index(1)?,
        copied: row.try_get_by_index(2)?,
    })
}

/// At a clean stop: copies the whole WAL into the database file and truncates it to zero bytes,
/// so no `-wal` file is left beside the database (it held 18 MB after a stop, issue 14) and
/// the database file alone is complete. Answers false when a reader kept it from finishing.
pub async fn truncate_wal(db: &DatabaseConnection) -> Result<bool, sea_orm::DbErr> {
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA wal_checkpoint(TRUNCATE)",
        ))
        .await?
        .ok_or_else(|| sea_orm::DbErr::Custom("wal_checkpoint answered no row".into()))?;
    let busy: i64 = row.try_get_by_index(0)?;
    Ok(busy == 0)
}

/// The writer's side of the cycle (see the module documentation). SQLite only.
pub struct WalCheckpoints {
    db: DatabaseConnection,
    running: Option<JoinHandle<Result<WalProgress, sea_orm::DbErr>>>,
    last_started: Instant,
}

impl WalCheckpoints {
    /// `None` unless `db` is SQLite.
    pub fn for_database(db: &DatabaseConnection) -> Option<Self> {
        super::is_sqlite(db).then(|| WalCheckpoints {
            db: db.clone(),
            running: None,
            last_started: Instant::now(),
        })
    }

    /// Called by the writer after each batch, when nothing of its own is in flight.
    pub async fn after_batch(&mut self) {
        if let Some(running) = &self.running {
            if !running.is_finished() {
                return;
            }
            let finished = self.running.take().expect("checked above").await;
            match finished {
                Ok(Ok(progress)) if !progress.complete() => {
                    // The short step: only what was committed while the long one ran.
                    if let Err(e) = passive_checkpoint(&self.db).await {
                        tracing::warn!(error = %e, "WAL checkpoint failed");
                    }
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "WAL checkpoint failed"),
                Err(e) => tracing::warn!(error = %e, "WAL checkpoint task failed"),
            }
        }
        if self.last_started.elapsed() >= INTERVAL {
            self.last_started = Instant::now();
            let db = self.db.clone();
            self.running = Some(tokio::spawn(async move { passive_checkpoint(&db).await }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sqlite_with_rows(dir: &std::path::Path) -> DatabaseConnection {
        let url = format!("sqlite://{}?mode=rwc", dir.join("wal.db").display());
        let db = crate::db::connect(&url).await.expect("opens");
        db.execute_unprepared("CREATE TABLE t (x TEXT NOT NULL)")
            .await
            .expect("creates");
        db
    }

    async fn write(db: &DatabaseConnection, rows: usize) {
        for _ in 0..rows {
            db.execute_unprepared("INSERT INTO t VALUES (hex(randomblob(500)))")
                .await
                .expect("inserts");
        }
    }

    /// After a cycle the WAL is fully copied and the next commit writes at its beginning again,
    /// so the WAL does not grow from one cycle to the next.
    #[tokio::test]
    async fn the_cycle_lets_the_next_commit_restart_the_wal() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = sqlite_with_rows(dir.path()).await;
        let mut cycle = WalCheckpoints::for_database(&db).expect("SQLite");
        write(&db, 200).await;
        let before = passive_checkpoint(&db).await.expect("checkpoints");
        assert!(before.frames > 50, "{before:?}");

        cycle.last_started = Instant::now() - INTERVAL;
        cycle.after_batch().await; // starts the background step
        assert!(cycle.running.is_some());
        while !cycle.running.as_ref().is_some_and(JoinHandle::is_finished) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        cycle.after_batch().await; // collects it (and copies what came since, if anything)
        assert!(cycle.running.is_none());
        write(&db, 1).await;
        let after = passive_checkpoint(&db).await.expect("checkpoints");
        assert!(after.complete(), "{after:?}");
        assert!(
            after.frames < 10,
            "the WAL restarted: {after:?}, was {before:?}"
        );
    }

    #[tokio::test]
    async fn a_passive_checkpoint_with_no_writer_copies_everything() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = sqlite_with_rows(dir.path()).await;
        write(&db, 10).await;
        let progress = passive_checkpoint(&db).await.expect("checkpoints");
        assert!(progress.frames > 0 && progress.complete(), "{progress:?}");
    }
}
