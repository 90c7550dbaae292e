//! Running dxready for real (issue 14): several instances on one database, restarts, backups
//! and upgrades.

use std::process::Command;
use std::sync::Arc;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::helpers::{Backend, TestApp, fresh_database, test_settings};

macro_rules! backend_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await;
            }
        }
    };
}

fn dxready() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dxready"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// The names of the applied migrations, oldest first.
async fn applied(db: &DatabaseConnection) -> Vec<String> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT version FROM seaql_migrations ORDER BY version",
    ))
    .await
    .expect("the migration table")
    .iter()
    .map(|row| row.try_get_by_index(0).expect("a name"))
    .collect()
}

fn known_migrations() -> Vec<String> {
    use migration::MigratorTrait;
    migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1. Migrations that are safe to race

/// Four `serve` instances in this process and three `dxready migrate` processes, all started at
/// once on one empty database: every one starts, and each migration is applied once.
async fn instances_started_together_migrate_once(backend: Backend) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let Some(url) = fresh_database(backend, dir.path()).await else {
        return;
    };
    let settings = test_settings(url.clone(), dir.path());
    let processes: Vec<_> = (0..3)
        .map(|_| {
            dxready()
                .args(["migrate", "--database-url", &url])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("dxready migrate starts")
        })
        .collect();
    let instances: Vec<_> = (0..4)
        .map(|_| tokio::spawn(TestApp::reopen(settings.clone(), dir.clone()).spawn()))
        .collect();
    let mut apps = Vec::new();
    for instance in instances {
        apps.push(instance.await.expect("an instance starts").expect("built"));
    }
    for process in processes {
        let out = process.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "dxready migrate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for app in &apps {
        assert_eq!(app.get("/healthz").await.status(), 200);
    }
    let db = &apps[0].state.db;
    let mut expected = known_migrations();
    expected.sort();
    assert_eq!(applied(db).await, expected, "each migration applied once");
    for app in apps {
        let _ = app.stop().await;
    }
}
backend_test!(instances_started_together_migrate_once);

/// `migrate --status` lists what is applied and what is pending; a database that a newer
/// release migrated is refused rather than run half-understood (migrations only move forward).
async fn migrate_status_lists_applied_and_pending(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some(url) = fresh_database(backend, dir.path()).await else {
        return;
    };
    let status = || {
        let out = dxready()
            .args(["migrate", "--status", "--database-url", &url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let names = known_migrations();
    let empty = status();
    for name in &names {
        assert!(empty.contains(&format!("pending {name}\n")), "{empty}");
    }
    assert!(
        empty.contains(&format!("0 applied, {} pending", names.len())),
        "{empty}"
    );

    let db = dxready::db::connect(&url).await.unwrap();
    <migration::Migrator as migration::MigratorTrait>::up(&db, Some(1))
        .await
        .unwrap();
    let first = status();
    assert!(
        first.contains(&format!("applied {}\n", names[0])),
        "{first}"
    );
    assert!(
        first.contains(&format!("pending {}\n", names[1])),
        "{first}"
    );
    assert!(
        first.contains(&format!("1 applied, {} pending", names.len() - 1)),
        "{first}"
    );

    dxready::db::migrate(&db).await.unwrap();
    let all = status();
    assert!(
        all.contains(&format!("{} applied, 0 pending", names.len())),
        "{all}"
    );

    // A migration from the future: this release must not run on that schema.
    db.execute_unprepared(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m29991231_000001_future', 0)",
    )
    .await
    .unwrap();
    let refused = dxready::db::migrate(&db).await.unwrap_err().to_string();
    assert!(refused.contains("newer dxready release"), "{refused}");
    let out = dxready()
        .args(["migrate", "--status", "--database-url", &url])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("newer dxready release"));
}
backend_test!(migrate_status_lists_applied_and_pending);
