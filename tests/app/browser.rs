//! The respondent's pages in real headless Chromium: screenshots at 360 px and 1280 px (kept in
//! `target/screenshots/`), axe-core with no serious or critical violation, keyboard use of a
//! question page, the error summary and the print stylesheet. The browser work is done by
//! `tests/browser/check.mjs` (Playwright driving Debian's Chromium); this test starts the real app
//! and runs it. Skipped, with a note, where Chromium or the script's `node_modules` is missing
//! (`apt-get install chromium` and `npm ci` in `tests/browser`).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::helpers::{Backend, TestApp, repo_path};

const CHROMIUM: &str = "/usr/bin/chromium";

fn missing_tools(script_dir: &Path) -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| CHROMIUM.into());
    if !Path::new(&chromium).exists() {
        return Some(format!(
            "{chromium} is not installed (apt-get install chromium)"
        ));
    }
    if !script_dir.join("node_modules/playwright-core").is_dir()
        || !script_dir.join("node_modules/axe-core").is_dir()
    {
        return Some(format!(
            "{}/node_modules is missing (run `npm ci` there)",
            script_dir.display()
        ));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".into());
    }
    None
}

/// `target/screenshots`, beside `target/tmp` wherever the target directory is.
fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map_or_else(|| repo_path("target"), Path::to_path_buf)
        .join("screenshots")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_and_pass_accessibility_checks_in_chromium() {
    let script_dir = repo_path("tests/browser");
    if let Some(why) = missing_tools(&script_dir) {
        eprintln!("SKIPPED: browser check: {why}");
        return;
    }
    let app = TestApp::spawn(Backend::Sqlite).await.expect("sqlite app");
    let base = app.base.clone();
    let out_dir = screenshot_dir();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("check.mjs")
            .arg(&base)
            .arg(&out_dir)
            .current_dir(&script_dir)
            .output()
    })
    .await
    .expect("the browser check ran")
    .expect("node starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "the browser check failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    app.stop().await;
}
