//! The `dxready` binary as an operator uses it.

use std::process::Command;

use sea_orm::{EntityTrait, PaginatorTrait};

fn dxready() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dxready"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

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
