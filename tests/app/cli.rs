//! The `dxready` binary as an operator uses it: seed-demo, migrate, serve's start-up checks,
//! and adding agencies and users (checked by signing in as them).

use dxready::auth::Role;
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::db_test;
use crate::helpers::{TestApp, browser, dxready, location, repo_path, sign_in};

#[tokio::test]
async fn seed_demo_creates_that_many_submitted_responses() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("demo.db").display());
    let out = dxready()
        .args([
            "seed-demo",
            "--responses",
            "25",
            "--seed",
            "7",
            "--database-url",
            &url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("seeded 25/25"),
        "progress is shown"
    );
    let db = dxready::db::connect(&url).await.unwrap();
    let results = dxready::db::entities::assessment_result::Entity::find()
        .count(&db)
        .await
        .unwrap();
    assert_eq!(results, 25);
}

#[test]
fn migrate_creates_the_schema_and_serve_refuses_broken_questionnaires() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display());
    let out = dxready()
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let broken = dir.path().join("questionnaires");
    std::fs::create_dir_all(broken.join("reference")).unwrap();
    for f in std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/questionnaires/reference"
    ))
    .unwrap()
    {
        let f = f.unwrap().path();
        std::fs::copy(&f, broken.join("reference").join(f.file_name().unwrap())).unwrap();
    }
    let original = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/questionnaires/dxready-sme@1.0.0.toml"
    ))
    .unwrap();
    // A typo in a table name must stop the start, not drop the rule.
    assert!(original.contains("\n[[rule]]\n"));
    std::fs::write(
        broken.join("x.toml"),
        original.replacen("\n[[rule]]\n", "\n[[rulle]]\n", 1),
    )
    .unwrap();
    let mut child = dxready()
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            &url,
            "--questionnaires",
            broken.to_str().unwrap(),
        ])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // If it wrongly starts, it would serve forever: give it a bounded time, then fail.
    let mut status = None;
    for _ in 0..600 {
        if let Some(s) = child.try_wait().unwrap() {
            status = Some(s);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    if status.is_none() {
        child.kill().unwrap();
        panic!("serve started with a broken questionnaire");
    }
    assert!(!status.unwrap().success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("not starting") && stderr.contains("x.toml:"),
        "{stderr}"
    );
}

fn dxready_cli(app: &TestApp, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = dxready()
        .args(args)
        .env("DXREADY_DATABASE_URL", &app.settings.database.database_url)
        .env("DXREADY_QUESTIONNAIRES", repo_path("questionnaires"))
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run dxready");
    // The command may exit before reading (a usage error): a closed pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

async fn the_command_line_adds_agencies_and_users(app: TestApp) {
    let out = dxready_cli(
        &app,
        &[
            "agency",
            "add",
            "--slug",
            "hy-center",
            "--name",
            "Hưng Yên SME Center",
            "--provinces",
            "hung-yen, hai-phong",
        ],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let agency = dxready::db::accounts::find_agency_by_slug(&app.state.db, "hy-center")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(agency.barriers.len(), 5, "all barriers when none are given");

    let out = dxready_cli(
        &app,
        &[
            "agency",
            "add",
            "--slug",
            "x",
            "--name",
            "X",
            "--provinces",
            "atlantis",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("atlantis") && err.contains("hai-phong"),
        "names the bad one and the good ones: {err}"
    );
    let out = dxready_cli(
        &app,
        &[
            "agency",
            "add",
            "--slug",
            "x",
            "--name",
            "X",
            "--provinces",
            "hue",
            "--barriers",
            "luck",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("awareness, cost, staffing, security, roadmap")
    );

    let out = dxready_cli(
        &app,
        &[
            "user",
            "add",
            "--email",
            "Agent@HY.vn",
            "--role",
            "agency",
            "--agency",
            "hy-center",
            "--password-stdin",
        ],
        "cli password 123\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created account agent@hy.vn"));
    let res = sign_in(&app, &browser(), "agent@hy.vn", "cli password 123").await;
    assert_eq!(location(&res), "/followup");

    // Again: an update (new role, scope and password), not a second account.
    let out = dxready_cli(
        &app,
        &[
            "user",
            "add",
            "--email",
            "agent@hy.vn",
            "--role",
            "staff",
            "--province",
            "hung-yen",
            "--password-stdin",
        ],
        "second password 1",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("updated account"));
    let account = dxready::db::accounts::find_account_by_email(&app.state.db, "agent@hy.vn")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (account.role, account.province.as_deref(), account.agency_id),
        (Role::Staff, Some("hung-yen"), None)
    );
    assert_eq!(
        sign_in(&app, &browser(), "agent@hy.vn", "second password 1")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    for (args, why) in [
        (
            vec![
                "user",
                "add",
                "--email",
                "a@b.vn",
                "--role",
                "boss",
                "--password-stdin",
            ],
            "role",
        ),
        (
            vec![
                "user",
                "add",
                "--email",
                "a@b.vn",
                "--role",
                "agency",
                "--password-stdin",
            ],
            "agency",
        ),
        (
            vec![
                "user",
                "add",
                "--email",
                "a@b.vn",
                "--role",
                "agency",
                "--agency",
                "none-such",
                "--password-stdin",
            ],
            "none-such",
        ),
        (
            vec![
                "user",
                "add",
                "--email",
                "a@b.vn",
                "--role",
                "staff",
                "--province",
                "atlantis",
                "--password-stdin",
            ],
            "atlantis",
        ),
        (
            vec![
                "user",
                "add",
                "--email",
                "not-an-email",
                "--role",
                "admin",
                "--password-stdin",
            ],
            "e-mail",
        ),
    ] {
        let out = dxready_cli(&app, &args, "good password 1\n");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
        assert!(err.contains(why), "{args:?}: {err}");
    }
    let out = dxready_cli(
        &app,
        &[
            "user",
            "add",
            "--email",
            "a@b.vn",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "short\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let out = dxready_cli(
        &app,
        &["user", "add", "--email", "a@b.vn", "--role", "admin"],
        "good password 1\n",
    );
    assert!(
        !out.status.success(),
        "the password never comes from anywhere but stdin"
    );
    let _ = app.stop().await;
}
db_test!(the_command_line_adds_agencies_and_users);

/// Issue 15, finding 4: passwords in the database and SMTP URLs stay out of `--help` and out of
/// the error a failed start prints.
#[test]
fn secrets_in_settings_are_never_printed() {
    const DB_SECRET: &str = "db-s3cret-pw";
    const SMTP_SECRET: &str = "smtp-s3cret-pw";
    let with_secrets = |args: &[&str]| {
        let out = dxready()
            .args(args)
            .env(
                "DXREADY_DATABASE_URL",
                format!("postgres://dx:{DB_SECRET}@127.0.0.1:1/dx"),
            )
            .env(
                "DXREADY_SMTP_URL",
                format!("smtps://dx:{SMTP_SECRET}@127.0.0.1:1"),
            )
            .output()
            .unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    for args in [
        &["serve", "--help"][..],
        &["migrate", "--help"],
        &["seed-demo", "--help"],
        &["serve"],
        &["migrate"],
    ] {
        let printed = with_secrets(args);
        assert!(
            !printed.contains(DB_SECRET) && !printed.contains(SMTP_SECRET),
            "dxready {args:?} printed a secret:\n{printed}"
        );
    }
    assert!(with_secrets(&["serve", "--help"]).contains("DXREADY_SMTP_URL"));
}
