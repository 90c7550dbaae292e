//! Running dxready for real (issue 14): several instances on one database, restarts, backups
//! and upgrades.

use crate::backend_test;
use std::sync::Arc;
use std::time::Duration;

use dxready::db::entities::outbox;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Statement,
};

use reqwest::StatusCode;

use crate::helpers::{
    Backend, TestApp, browser, csrf, dxready, fresh_database, post_form, test_settings,
};

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
/// once on one empty database: every one starts, each migration is applied once, and then the
/// instances take submissions and deliver each report once between them.
async fn instances_started_together_migrate_once(backend: Backend) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let Some(url) = fresh_database(backend, dir.path()).await else {
        return;
    };
    let settings = test_settings(url.clone(), dir.path());
    let sink = crate::helpers::Sink::start();
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
        .map(|_| {
            tokio::spawn(
                TestApp::reopen(settings.clone(), dir.clone())
                    .with_sink(sink.clone())
                    // Two sends at a time each: the four pools then fit the sink's 8 threads.
                    .worker(Some(dxready::email::WorkerConfig {
                        batch: 2,
                        ..crate::helpers::fast_worker()
                    }))
                    .spawn(),
            )
        })
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

    let mut recipients = Vec::new();
    for (i, app) in apps.iter().enumerate() {
        for j in 0..5 {
            let to = format!("firm{i}-{j}@example.vn");
            app.submit(dxready::domain::Lang::Vi, Some(&to), true).await;
            recipients.push(to);
        }
    }
    apps[0]
        .wait_for(Duration::from_secs(60), "every report sent", |rows| {
            rows.len() == recipients.len() && rows.iter().all(|r| r.status == "sent")
        })
        .await;
    let mut delivered: Vec<String> = sink.received().iter().flat_map(|m| m.to.clone()).collect();
    delivered.sort();
    recipients.sort();
    assert_eq!(delivered, recipients, "each report delivered once");
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

// ---------------------------------------------------------------------------------------------
// 2. Mail after a crash within a minute

fn message_id(mail: &crate::helpers::Received) -> String {
    let raw = String::from_utf8_lossy(&mail.data);
    let line = raw
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
        .expect("a Message-ID header");
    line["message-id:".len()..].trim().to_string()
}

/// A worker claimed a report and died before sending it. With the production settings (the
/// default lease and poll), the next instance delivers it within a minute.
async fn mail_claimed_by_a_dead_worker_goes_out_within_a_minute(backend: Backend) {
    let Some(app) = TestApp::builder(backend)
        .with_mail_sink()
        .worker(None)
        .spawn()
        .await
    else {
        return;
    };
    let sink = app.sink().clone();
    app.submit(dxready::domain::Lang::Vi, Some("owner@example.vn"), true)
        .await;
    let production = dxready::email::WorkerConfig::default();
    let crashed = dxready::db::outbox::claim(&app.state.db, "killed-worker", 1, production.lease)
        .await
        .unwrap();
    assert_eq!(crashed.len(), 1);
    // The dead process never stops cleanly; its claim stays in the database.
    let (settings, dir) = app.stop().await;

    let restarted = TestApp::reopen(settings, dir)
        .with_sink(sink.clone())
        .worker(Some(production))
        .spawn()
        .await
        .unwrap();
    let mail = sink.wait_for_mail(1, Duration::from_secs(60)).await;
    assert_eq!(mail[0].to, ["owner@example.vn"]);
    let rows = restarted
        .wait_for(Duration::from_secs(10), "marked sent", |rows| {
            rows.iter().all(|r| r.status == "sent")
        })
        .await;
    assert_eq!(
        rows[0].message_id.as_deref(),
        Some(message_id(&mail[0]).as_str())
    );
    let _ = restarted.stop().await;
}
backend_test!(mail_claimed_by_a_dead_worker_goes_out_within_a_minute);

/// A report written out to the SMTP server just before a crash, but not yet marked sent, goes
/// out again after the restart (at least once), with the same Message-ID, so mail clients see
/// one message.
async fn a_message_sent_twice_has_one_message_id(backend: Backend) {
    let Some(app) = TestApp::builder(backend)
        .with_mail_sink()
        .worker(Some(crate::helpers::fast_worker()))
        .spawn()
        .await
    else {
        return;
    };
    let sink = app.sink().clone();
    // The report's link token is the result token: the worker may send (and drop it from the
    // row) before the test could read it there.
    let (_, token) = app
        .submit(dxready::domain::Lang::En, Some("owner@example.vn"), true)
        .await;
    let first = sink.wait_for_mail(1, Duration::from_secs(30)).await;
    let queued = app
        .wait_for(Duration::from_secs(10), "sent", |rows| {
            rows.iter().all(|r| r.status == "sent")
        })
        .await;
    // Back to how the row was when the worker died after the SMTP server took the message.
    let update = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::value("sending"))
        .col_expr(outbox::Column::Token, Expr::value(Some(token)))
        .col_expr(outbox::Column::LockedBy, Expr::value(Some("killed-worker")))
        .col_expr(
            outbox::Column::LeaseUntil,
            Expr::value(Some(chrono::Utc::now() - chrono::Duration::seconds(1))),
        )
        .filter(outbox::Column::Id.eq(queued[0].id))
        .exec(&app.state.db)
        .await
        .unwrap();
    assert_eq!(update.rows_affected, 1);
    app.state.outbox_wakeup.notify_one();
    let both = sink.wait_for_mail(2, Duration::from_secs(30)).await;
    assert_eq!(both.len(), 2);
    assert_eq!(message_id(&both[1]), message_id(&first[0]));
    let _ = app.stop().await;
}
backend_test!(a_message_sent_twice_has_one_message_id);

// ---------------------------------------------------------------------------------------------
// 3. Forms that survive a restart and work on every instance

const PASSWORD: &str = "correct horse battery";

/// A sign-in form served by one instance posts fine to a second instance, and one served before
/// a restart posts fine after it: the CSRF key comes from the database, not from the process.
async fn a_form_from_one_instance_posts_to_another_and_after_a_restart(backend: Backend) {
    let Some(first) = TestApp::spawn(backend).await else {
        return;
    };
    let hash = dxready::auth::password::hash(PASSWORD.into())
        .await
        .unwrap();
    let fields = dxready::db::accounts::AccountFields {
        email: "admin@city.vn".into(),
        role: dxready::auth::Role::Admin,
        agency_id: None,
        province: None,
    };
    dxready::db::accounts::create_account(&first.state.db, &fields, &hash)
        .await
        .unwrap();
    let second = first.another().spawn().await.unwrap();
    let sign_in_form = [("email", "admin@city.vn"), ("password", PASSWORD)];

    let visitor = browser();
    let token = csrf(&first, &visitor, "/login").await;
    let res = post_form(
        &second,
        &visitor,
        "/login",
        &with_token(&sign_in_form, &token),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "accepted by the other instance"
    );

    let later = browser();
    let token = csrf(&first, &later, "/login").await;
    let (settings, dir) = first.stop().await;
    let _ = second.stop().await;
    let restarted = TestApp::start(settings, dir).await;
    let res = post_form(
        &restarted,
        &later,
        "/login",
        &with_token(&sign_in_form, &token),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "accepted after the restart"
    );
    // Still a check: a made-up token is refused.
    let res = post_form(
        &restarted,
        &later,
        "/login",
        &with_token(&sign_in_form, "d3Jvbmc="),
    )
    .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let _ = restarted.stop().await;
}
backend_test!(a_form_from_one_instance_posts_to_another_and_after_a_restart);

fn with_token<'a>(form: &[(&'a str, &'a str)], token: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut form = form.to_vec();
    form.push(("csrf_token", token));
    form
}

// ---------------------------------------------------------------------------------------------
// 4. A clean stop leaves no write-ahead log

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_stop_truncates_the_sqlite_wal() {
    let app = TestApp::builder(Backend::Sqlite)
        .worker(Some(crate::helpers::fast_worker()))
        .spawn()
        .await
        .unwrap();
    for i in 0..20 {
        app.submit(
            dxready::domain::Lang::Vi,
            Some(&format!("o{i}@example.vn")),
            true,
        )
        .await;
    }
    let wal = app.dir.path().join("test.db-wal");
    let wal_size = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert!(wal_size() > 0, "the submissions went through the WAL");
    let (_settings, _dir) = app.stop().await;
    assert_eq!(
        wal_size(),
        0,
        "the -wal file is empty or gone after a clean stop"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. `dxready backup FILE`

/// A backup taken while the service runs is a database a new `serve` starts on, holding the
/// results stored before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_serving_restores() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let mut tokens = Vec::new();
    for _ in 0..5 {
        tokens.push(app.submit(dxready::domain::Lang::Vi, None, false).await.1);
    }
    let before = app.get(&format!("/api/v1/results/{}", tokens[0])).await;
    assert_eq!(before.status(), 200);
    let before: serde_json::Value = before.json().await.unwrap();

    let copy = app.dir.path().join("backup.db");
    let url = &app.settings.database.database_url;
    let out = dxready()
        .args(["backup", copy.to_str().unwrap(), "--database-url", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Written after the backup: not in it.
    let (_, after_backup) = app.submit(dxready::domain::Lang::Vi, None, false).await;
    // A second backup never overwrites a file.
    let again = dxready()
        .args(["backup", copy.to_str().unwrap(), "--database-url", url])
        .output()
        .unwrap();
    assert!(!again.status.success());
    let (_settings, _keep_the_backup) = app.stop().await;

    let restore_dir = Arc::new(tempfile::tempdir().unwrap());
    let restored_db = restore_dir.path().join("restored.db");
    std::fs::copy(&copy, &restored_db).unwrap();
    let settings = test_settings(
        format!("sqlite://{}?mode=rwc", restored_db.display()),
        restore_dir.path(),
    );
    let restored = TestApp::start(settings, restore_dir).await;
    for token in &tokens {
        let res = restored.get(&format!("/api/v1/results/{token}")).await;
        assert_eq!(res.status(), 200, "{token}");
    }
    let after: serde_json::Value = restored
        .get(&format!("/api/v1/results/{}", tokens[0]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["overall"], before["overall"]);
    assert_eq!(after["dimensions"], before["dimensions"]);
    assert_eq!(after["roadmap"], before["roadmap"]);
    let missing = restored
        .get(&format!("/api/v1/results/{after_backup}"))
        .await;
    assert_eq!(missing.status(), 404);
    let _ = restored.stop().await;
}

/// On PostgreSQL the command says to use pg_dump and exits non-zero.
#[test]
fn backup_on_postgres_points_to_pg_dump() {
    let out = dxready()
        .args([
            "backup",
            "/tmp/never-written.db",
            "--database-url",
            "postgres://dxready@127.0.0.1:1/none",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
    assert!(!std::path::Path::new("/tmp/never-written.db").exists());
}

// ---------------------------------------------------------------------------------------------
// 6. Upgrades from the first released schema

/// The tables of the first released schema (migration 1), parents first.
const FIRST_SCHEMA_TABLES: [&str; 8] = [
    "questionnaire",
    "response",
    "answer",
    "assessment_result",
    "result_dimension",
    "result_barrier",
    "contact",
    "consent",
];

/// Copies the rows of the first schema's tables from the database at `from_url` into `old`,
/// keeping only the columns the first schema has: `old` then holds what the first release
/// stored for those responses. What today's schema keeps elsewhere is put back where the first
/// one had it: answers as rows (today one JSON column of the response), the questionnaire's
/// content hash on each response, the support programmes inside each roadmap (today in
/// `support_offer`).
async fn copy_into_first_schema(backend: Backend, from_url: &str, old: &DatabaseConnection) {
    match backend {
        Backend::Sqlite => {
            let path = from_url
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .unwrap();
            old.execute_unprepared(&format!("ATTACH DATABASE '{path}' AS today"))
                .await
                .unwrap();
            for table in FIRST_SCHEMA_TABLES {
                let columns: Vec<String> = old
                    .query_all_raw(Statement::from_string(
                        old.get_database_backend(),
                        format!("SELECT name FROM pragma_table_info('{table}')"),
                    ))
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.try_get_by_index(0).unwrap())
                    .collect();
                let source = |column: &str| {
                    match (table, column) {
                    ("response", "content_hash") => "(SELECT q.content_hash FROM today.questionnaire q \
                         WHERE q.questionnaire_id = t.questionnaire_id AND q.version = t.questionnaire_version)"
                        .to_string(),
                    // Programmes inline, as results held them before `support_offer`.
                    ("assessment_result", "roadmap") => "json_object('items', t.roadmap -> 'items', \
                         'programmes', (SELECT json_group_array(json(o.body)) FROM json_each(t.roadmap, '$.offers') d \
                                        JOIN today.support_offer o ON o.digest = d.value), \
                         'agency_flags', t.roadmap -> 'agency_flags')"
                        .to_string(),
                    _ => format!("t.{column}"),
                }
                };
                let from = match table {
                    // `->` gives each answer's JSON text as stored.
                    "answer" => "(SELECT r.id AS response_id, j.key AS question_id, \
                                 r.answers -> j.key AS value, NULL AS points \
                                 FROM today.response r, json_each(r.answers) j)"
                        .to_string(),
                    _ => format!("today.{table}"),
                };
                let selected: Vec<String> = columns.iter().map(|c| source(c)).collect();
                old.execute_unprepared(&format!(
                    "INSERT INTO main.{table} ({}) SELECT {} FROM {from} t",
                    columns.join(", "),
                    selected.join(", ")
                ))
                .await
                .unwrap();
            }
            old.execute_unprepared("DETACH DATABASE today")
                .await
                .unwrap();
        }
        Backend::Postgres => {
            let today = dxready::db::connect(from_url).await.unwrap();
            for table in FIRST_SCHEMA_TABLES {
                let select = match table {
                    "answer" => "SELECT json_build_object('response_id', r.id, 'question_id', a.key, \
                                 'value', a.value::text, 'points', NULL)::text \
                                 FROM response r, json_each(r.answers::json) a"
                        .to_string(),
                    "response" => "SELECT (to_jsonb(t) || jsonb_build_object('content_hash', q.content_hash))::text \
                                   FROM response t JOIN questionnaire q \
                                   ON q.questionnaire_id = t.questionnaire_id AND q.version = t.questionnaire_version"
                        .to_string(),
                    "assessment_result" => "SELECT (to_jsonb(t) || jsonb_build_object('roadmap', json_build_object( \
                                              'items', t.roadmap::json -> 'items', \
                                              'programmes', (SELECT coalesce(json_agg(o.body::json), '[]'::json) \
                                                 FROM json_array_elements_text(t.roadmap::json -> 'offers') d \
                                                 JOIN support_offer o ON o.digest = d), \
                                              'agency_flags', t.roadmap::json -> 'agency_flags')::text))::text \
                                            FROM assessment_result t"
                        .to_string(),
                    _ => format!("SELECT row_to_json(t)::text FROM {table} t"),
                };
                let rows = today
                    .query_all_raw(Statement::from_string(today.get_database_backend(), select))
                    .await
                    .unwrap();
                for row in rows {
                    let json: String = row.try_get_by_index(0).unwrap();
                    // The first schema's row type ignores the keys of later columns.
                    old.execute_raw(Statement::from_sql_and_values(
                        old.get_database_backend(),
                        format!(
                            "INSERT INTO {table} SELECT * FROM json_populate_record(NULL::{table}, $1::json)"
                        ),
                        [json.into()],
                    ))
                    .await
                    .unwrap();
                }
                // Only tables with a serial `id` have a sequence to move past the copied rows (some
                // tables have no `id`, and max() of a uuid id would not even parse).
                let sequence = old
                    .query_one_raw(Statement::from_string(
                        old.get_database_backend(),
                        format!(
                            "SELECT pg_get_serial_sequence('{table}', column_name) AS s \
                             FROM information_schema.columns \
                             WHERE table_name = '{table}' AND column_name = 'id'"
                        ),
                    ))
                    .await
                    .unwrap()
                    .and_then(|r| r.try_get::<Option<String>>("", "s").ok().flatten());
                if let Some(sequence) = sequence {
                    old.execute_unprepared(&format!(
                        "SELECT setval('{sequence}', (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                    ))
                    .await
                    .unwrap();
                }
            }
            today.close().await.unwrap();
        }
    }
}

/// A database created by the first released schema, holding submitted results, is migrated to
/// today's schema by `serve`, and every old result reads back as it was.
async fn the_first_schema_upgrades_and_keeps_its_results(backend: Backend) {
    // Results as today's code stores them...
    let Some(today) = TestApp::builder(backend).worker(None).spawn().await else {
        return;
    };
    let mut before = Vec::new();
    for consent in [false, true, false] {
        let (_, token) = today
            .submit(dxready::domain::Lang::Vi, Some("owner@example.vn"), consent)
            .await;
        let res = today.get(&format!("/api/v1/results/{token}")).await;
        assert_eq!(res.status(), 200);
        before.push((token, res.json::<serde_json::Value>().await.unwrap()));
    }
    let today_url = today.settings.database.database_url.clone();
    let (_settings, _keep_today) = today.stop().await;

    // ...in a database that has only the first migration.
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let url = fresh_database(backend, dir.path()).await.unwrap();
    // One connection, so the ATTACH below holds for every statement.
    let mut options = sea_orm::ConnectOptions::new(url.clone());
    options.max_connections(1).sqlx_logging(false);
    let old = sea_orm::Database::connect(options).await.unwrap();
    <migration::Migrator as migration::MigratorTrait>::up(&old, Some(1))
        .await
        .unwrap();
    assert_eq!(applied(&old).await, known_migrations()[..1]);
    copy_into_first_schema(backend, &today_url, &old).await;
    old.close().await.unwrap();

    let upgraded = TestApp::start(test_settings(url, dir.path()), dir).await;
    let mut expected = known_migrations();
    expected.sort();
    assert_eq!(applied(&upgraded.state.db).await, expected);
    for (token, was) in &before {
        let res = upgraded.get(&format!("/api/v1/results/{token}")).await;
        assert_eq!(res.status(), 200, "{token}");
        let now: serde_json::Value = res.json().await.unwrap();
        for key in [
            "questionnaire",
            "overall",
            "level",
            "dimensions",
            "barriers",
            "roadmap",
        ] {
            assert_eq!(now[key], was[key], "{key} of {token}");
        }
    }
    // And the upgraded database takes new submissions.
    let (_, token) = upgraded
        .submit(dxready::domain::Lang::En, None, false)
        .await;
    assert_eq!(
        upgraded
            .get(&format!("/api/v1/results/{token}"))
            .await
            .status(),
        200
    );
    let _ = upgraded.stop().await;
}
backend_test!(the_first_schema_upgrades_and_keeps_its_results);

// ---------------------------------------------------------------------------------------------
// 7. Limits shared by every instance, and the client's address behind a proxy

const RESPONSES: &str = "/api/v1/questionnaires/dxready-sme/responses";

async fn submission_body(app: &TestApp) -> serde_json::Value {
    let def: serde_json::Value = app
        .get("/api/v1/questionnaires/dxready-sme")
        .await
        .json()
        .await
        .unwrap();
    crate::fixtures::body(&def, crate::fixtures::Pick::Varied(3))
}

/// Submits as the client `forwarded_for` says (through a proxy on 127.0.0.1); answers the status.
async fn submit_via_proxy(app: &TestApp, body: &serde_json::Value, forwarded_for: &str) -> u16 {
    app.client
        .post(app.url(RESPONSES))
        .header("x-forwarded-for", forwarded_for)
        .json(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Two instances on one database with a limit of 2 a minute: on PostgreSQL they share the
/// count, so one address gets 2 submissions in all; SQLite runs one instance and counts in it.
async fn the_submit_limit_is_shared_by_every_instance(backend: Backend) {
    let Some(first) = TestApp::spawn_with(backend, |s| {
        s.submit_rate = 2;
        s.trusted_proxies = vec![dxready::config::IpRange::parse("127.0.0.1").unwrap()];
    })
    .await
    else {
        return;
    };
    let second = first.another().spawn().await.unwrap();
    let body = submission_body(&first).await;
    let client = "203.0.113.5";
    assert_eq!(submit_via_proxy(&first, &body, client).await, 201);
    assert_eq!(submit_via_proxy(&second, &body, client).await, 201);
    let third = submit_via_proxy(&first, &body, client).await;
    match backend {
        Backend::Postgres => {
            assert_eq!(third, 429, "the second instance's submission counted");
            assert_eq!(submit_via_proxy(&second, &body, client).await, 429);
        }
        Backend::Sqlite => assert_eq!(third, 201, "SQLite counts per instance"),
    }
    assert_eq!(submit_via_proxy(&first, &body, client).await, 429);
    // Another address has its own allowance.
    assert_eq!(submit_via_proxy(&second, &body, "203.0.113.6").await, 201);
    let _ = first.stop().await;
    let _ = second.stop().await;
}
backend_test!(the_submit_limit_is_shared_by_every_instance);

/// The limit sees the address a trusted proxy reports, never one a client wrote itself.
async fn only_a_trusted_proxy_names_the_client(backend: Backend) {
    let Some(behind_proxy) = TestApp::spawn_with(backend, |s| {
        s.submit_rate = 1;
        s.trusted_proxies = vec![dxready::config::IpRange::parse("127.0.0.0/8").unwrap()];
    })
    .await
    else {
        return;
    };
    let body = submission_body(&behind_proxy).await;
    assert_eq!(
        submit_via_proxy(&behind_proxy, &body, "203.0.113.7").await,
        201
    );
    assert_eq!(
        submit_via_proxy(&behind_proxy, &body, "203.0.113.8").await,
        201
    );
    // A client that prepends a made-up address is still the address the proxy appended.
    assert_eq!(
        submit_via_proxy(&behind_proxy, &body, "198.51.100.1, 203.0.113.7").await,
        429
    );
    let _ = behind_proxy.stop().await;

    // No trusted proxy: the header is the client's own words and changes nothing.
    let Some(direct) = TestApp::spawn_with(backend, |s| s.submit_rate = 1).await else {
        return;
    };
    assert_eq!(submit_via_proxy(&direct, &body, "203.0.113.7").await, 201);
    assert_eq!(submit_via_proxy(&direct, &body, "203.0.113.8").await, 429);
    let _ = direct.stop().await;
}
backend_test!(only_a_trusted_proxy_names_the_client);

/// The real thing: a `dxready serve` process is killed (SIGKILL) while its worker holds a report
/// it is sending (to an SMTP server that never answers). A new instance, with the production
/// worker settings, delivers the report within a minute.
async fn a_killed_server_s_mail_goes_out_within_a_minute_of_the_restart(backend: Backend) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let Some(url) = fresh_database(backend, dir.path()).await else {
        return;
    };
    // Accepts connections and never says a word: the send hangs, the row stays `sending`.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("smtp://{}", silent.local_addr().unwrap());
    std::thread::spawn(move || {
        let held: Vec<_> = silent.incoming().collect();
        drop(held);
    });
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = KillOnDrop(
        dxready()
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .env("DXREADY_DATABASE_URL", &url)
            .env("DXREADY_SMTP_URL", &silent_url)
            .env("DXREADY_MAIL_DIR", dir.path().join("mail"))
            .env("DXREADY_SUBMIT_RATE", "0")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..300 {
        if let Ok(res) = http.get(format!("{base}/healthz")).send().await {
            up = res.status() == 200;
            if up {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "dxready serve did not come up");
    let def: serde_json::Value = http
        .get(format!("{base}/api/v1/questionnaires/dxready-sme"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut body = crate::fixtures::body(&def, crate::fixtures::Pick::Varied(5));
    body["contact"] = serde_json::json!({"email": "owner@example.vn", "consent_email": true});
    let res = http
        .post(format!("{base}{RESPONSES}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let db = dxready::db::connect(&url).await.unwrap();
    let mut claimed = false;
    for _ in 0..300 {
        let rows = dxready::db::outbox::list(&db, None, 10).await.unwrap();
        if rows.iter().any(|r| r.status == "sending") {
            claimed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.0.kill().unwrap(); // SIGKILL: no clean stop, no release of the claim
    server.0.wait().unwrap();
    assert!(claimed, "the killed server's worker had claimed the report");

    let sink = crate::helpers::Sink::start();
    let restarted = TestApp::reopen(test_settings(url, dir.path()), dir)
        .with_sink(sink.clone())
        .worker(Some(dxready::email::WorkerConfig::default()))
        .spawn()
        .await
        .unwrap();
    let mail = sink.wait_for_mail(1, Duration::from_secs(60)).await;
    assert_eq!(mail[0].to, ["owner@example.vn"]);
    let _ = restarted.stop().await;
}
backend_test!(a_killed_server_s_mail_goes_out_within_a_minute_of_the_restart);

/// A child process that is killed when the test ends, whether it passes or fails.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The questionnaire file as it was before key practices were added to it.
fn without_practice_tables(source: &str) -> String {
    let mut kept = String::new();
    let mut in_practice = false;
    for line in source.lines() {
        if line.starts_with('[') {
            in_practice = line.trim() == "[[practice]]";
        }
        if !in_practice {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    kept
}

const EARLIER_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Sets the stored source (and a hash of the earlier file) of every registered version.
async fn store_earlier_sources(db: &DatabaseConnection, edit: impl Fn(&str) -> String) {
    use dxready::db::entities::questionnaire;
    for row in questionnaire::Entity::find()
        .all(db)
        .await
        .expect("versions")
    {
        let source = edit(row.source.as_deref().expect("an archived source"));
        questionnaire::Entity::update_many()
            .col_expr(questionnaire::Column::Source, Expr::value(Some(source)))
            .col_expr(
                questionnaire::Column::ContentHash,
                Expr::value(EARLIER_HASH.to_string()),
            )
            .filter(questionnaire::Column::Id.eq(row.id))
            .exec(db)
            .await
            .expect("store the earlier file");
    }
}

/// A version that collected responses before it defined key practices starts with them (they
/// change no result), and its results read the same; any other edit still needs a new version.
async fn practices_may_be_added_to_a_version_in_use(backend: Backend) {
    let Some(app) = TestApp::builder(backend).worker(None).spawn().await else {
        return;
    };
    let (_, token) = app.submit(dxready::domain::Lang::Vi, None, false).await;
    let result_of = |app: &TestApp| {
        let url = app.url(&format!("/api/v1/results/{token}"));
        let client = app.client.clone();
        async move {
            let mut result: serde_json::Value = client
                .get(url)
                .send()
                .await
                .expect("GET")
                .json()
                .await
                .expect("result");
            // The address changes with the restart; the result must not.
            result
                .as_object_mut()
                .expect("an object")
                .remove("result_url");
            result
        }
    };
    let before = result_of(&app).await;
    store_earlier_sources(&app.state.db, without_practice_tables).await;
    let (settings, dir) = app.stop().await;

    let restarted = TestApp::start(settings, dir).await;
    let after = result_of(&restarted).await;
    assert_eq!(before, after, "the stored result reads the same");
    use dxready::db::entities::questionnaire;
    for row in questionnaire::Entity::find()
        .all(&restarted.state.db)
        .await
        .expect("versions")
    {
        assert_ne!(
            row.content_hash, EARLIER_HASH,
            "{} took the file",
            row.version
        );
        assert!(
            row.source
                .as_deref()
                .is_some_and(|s| s.contains("[[practice]]"))
        );
    }

    // A question edited in place is still refused.
    store_earlier_sources(&restarted.state.db, |s| {
        without_practice_tables(s).replacen("title.vi = ", "title.vi = \"Sửa\" # ", 1)
    })
    .await;
    let (settings, _dir) = restarted.stop().await;
    let refused = dxready::startup::Application::build(settings).await;
    let message = refused
        .err()
        .expect("an edited version is refused")
        .to_string();
    assert!(message.contains("new version"), "{message}");
}
backend_test!(practices_may_be_added_to_a_version_in_use);
