//! `TestApp`: the real application on a random port with its own database, and a cookie-keeping
//! HTTP client, in the style of zero-to-production's `spawn_app`.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use dxready::config::{DatabaseSettings, QuestionnaireSettings, ServeSettings};
use dxready::startup::Application;
use dxready::web::AppState;
use sea_orm::{ConnectionTrait, Database};
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const POSTGRES_ENV: &str = "DXREADY_TEST_POSTGRES_URL";

pub struct TestApp {
    pub addr: SocketAddr,
    /// Where `/metrics` is served when the settings gave it its own address.
    pub metrics_addr: Option<SocketAddr>,
    pub base: String,
    /// A browser-like client: keeps cookies, does not follow redirects (tests check them).
    pub client: reqwest::Client,
    pub state: AppState,
    pub settings: ServeSettings,
    pub dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// A fresh database URL for one test, or None (with a note) when PostgreSQL is not configured.
pub async fn fresh_database(backend: Backend, dir: &std::path::Path) -> Option<String> {
    match backend {
        Backend::Sqlite => Some(format!(
            "sqlite://{}?mode=rwc",
            dir.join("test.db").display()
        )),
        Backend::Postgres => {
            let Ok(base) = std::env::var(POSTGRES_ENV) else {
                eprintln!("SKIPPED: PostgreSQL half of this test ({POSTGRES_ENV} is not set)");
                return None;
            };
            let admin = Database::connect(&base)
                .await
                .expect("connect to the PostgreSQL test server");
            let name = format!("dxready_t_{}", uuid::Uuid::new_v4().simple());
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
            let query = base
                .split_once('?')
                .map(|(_, q)| format!("?{q}"))
                .unwrap_or_default();
            Some(format!("{prefix}/{name}{query}"))
        }
    }
}

pub fn test_settings(database_url: String, dir: &std::path::Path) -> ServeSettings {
    ServeSettings {
        addr: "127.0.0.1:0".parse().unwrap(),
        database: DatabaseSettings { database_url },
        questionnaires: QuestionnaireSettings {
            questionnaires: repo_path("questionnaires"),
        },
        base_url: None,
        smtp_url: None,
        mail_dir: dir.join("mail"),
        mail_from: "dxready <no-reply@dxready.test>".into(),
        submit_rate: 0,
        metrics_addr: None,
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut ServeSettings),
    ) -> Option<TestApp> {
        dxready::telemetry::init_with_default("warn");
        let dir = tempfile::tempdir().expect("tempdir");
        let url = fresh_database(backend, dir.path()).await?;
        let mut settings = test_settings(url, dir.path());
        adjust(&mut settings);
        Some(Self::start(settings, dir).await)
    }

    pub async fn start(settings: ServeSettings, dir: tempfile::TempDir) -> TestApp {
        let app = Application::build(settings.clone())
            .await
            .expect("app builds");
        let addr = app.local_addr();
        let metrics_addr = app.metrics_addr();
        let state = app.state();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until(async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        TestApp {
            addr,
            metrics_addr,
            base: format!("http://{addr}"),
            client: browser(),
            state,
            settings,
            dir,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let res = self.get(path).await;
        let status = res.status().as_u16();
        (status, res.text().await.expect("body"))
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) -> (ServeSettings, tempfile::TempDir) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        (self.settings.clone(), self.dir)
    }
}

/// Runs `$name(app: TestApp)` twice: on SQLite, and on PostgreSQL when configured.
#[macro_export]
macro_rules! db_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite)
                    .await
                    .expect("sqlite app");
                super::$name(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) =
                    $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await
                {
                    super::$name(app).await;
                }
            }
        }
    };
}

/// Pulls `name="csrf_token" value="…"` (or any hidden input) out of a page.
pub fn hidden_input(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].replace("&amp;", "&"))
}
