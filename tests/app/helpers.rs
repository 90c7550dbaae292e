//! `TestApp`: the real application on a random port with its own database, a cookie-keeping
//! HTTP client and, when asked, an SMTP sink that keeps what the app sends. One builder makes
//! every app of the suite, in the style of zero-to-production's `spawn_app`:
//!
//! ```ignore
//! let app = TestApp::builder(Backend::Postgres).with_mail_sink().worker(Some(fast_worker())).spawn().await?;
//! ```

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dxready::config::{DatabaseSettings, QuestionnaireSettings, ServeSettings};
use dxready::db::outbox::{self, OutboxMessage};
use dxready::db::submissions::{self, NewSubmission};
use dxready::domain::assessment::assess;
use dxready::domain::questionnaire::{ConsentPurpose, extreme_submission};
use dxready::domain::{Contact, Lang, ProfileValue, Submission};
use dxready::email::WorkerConfig;
use dxready::startup::Application;
use dxready::web::AppState;
use mailin_embedded::response::{NO_MAILBOX, OK};
use mailin_embedded::{Handler, Response, Server, SslConfig};
use reqwest::header::LOCATION;
use reqwest::{Client, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use tokio::sync::oneshot;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const POSTGRES_ENV: &str = "DXREADY_TEST_POSTGRES_URL";

/// The `dxready` binary, run from the repository (as the README's commands are).
pub fn dxready() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_dxready"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub fn browser() -> Client {
    Client::builder()
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
        trusted_proxies: Vec::new(),
        metrics_addr: None,
    }
}

/// A worker that polls and retries quickly, so mail tests wait milliseconds, not minutes.
pub fn fast_worker() -> WorkerConfig {
    WorkerConfig {
        poll: Duration::from_millis(100),
        backoff_base: Duration::from_millis(200),
        backoff_cap: Duration::from_secs(2),
        ..WorkerConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// The builder

enum Origin {
    /// A new database on this backend, in a new folder.
    Fresh(Backend),
    /// The database and folder of an app that ran before (a restart, or a second process).
    Existing(Box<ServeSettings>, Arc<tempfile::TempDir>),
}

type Adjust = Box<dyn FnOnce(&mut ServeSettings) + Send>;

/// How to start a `TestApp`: which database, which settings, which mail server, which worker.
pub struct TestAppBuilder {
    database: Origin,
    adjust: Vec<Adjust>,
    sink: Option<Sink>,
    smtp_url: Option<String>,
    /// The app's default worker unless told otherwise; None runs no worker.
    worker: Option<WorkerConfig>,
    /// The dates the use cases see: the machine's unless a test stands on a given day.
    clock: dxready::usecases::Clock,
}

impl TestAppBuilder {
    fn on(database: Origin) -> Self {
        TestAppBuilder {
            database,
            adjust: Vec::new(),
            sink: None,
            smtp_url: None,
            worker: Some(WorkerConfig::default()),
            clock: dxready::usecases::Clock::System,
        }
    }

    /// Changes the settings before the app is built.
    pub fn settings(mut self, adjust: impl FnOnce(&mut ServeSettings) + Send + 'static) -> Self {
        self.adjust.push(Box::new(adjust));
        self
    }

    /// Starts an SMTP sink and sends the app's mail there (see `TestApp::sink`).
    pub fn with_mail_sink(self) -> Self {
        self.with_sink(Sink::start())
    }

    /// Sends the app's mail to a sink that already runs (one that outlives a restart).
    pub fn with_sink(mut self, sink: Sink) -> Self {
        self.smtp_url = Some(sink.url());
        self.sink = Some(sink);
        self
    }

    /// Sends the app's mail to this SMTP URL (a server that is down, say).
    pub fn smtp_url(mut self, url: String) -> Self {
        self.smtp_url = Some(url);
        self
    }

    /// The e-mail worker's settings; None runs the app without one.
    pub fn worker(mut self, worker: Option<WorkerConfig>) -> Self {
        self.worker = worker;
        self
    }

    /// Stands the app on a given instant (dates of validation, programmes, warnings).
    pub fn clock(mut self, clock: dxready::usecases::Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Builds and serves the app; None when its database is PostgreSQL and that is not set up.
    pub async fn spawn(self) -> Option<TestApp> {
        dxready::telemetry::init_with_default("warn");
        let (mut settings, dir) = match self.database {
            Origin::Fresh(backend) => {
                let dir = tempfile::tempdir().expect("tempdir");
                let url = fresh_database(backend, dir.path()).await?;
                (test_settings(url, dir.path()), Arc::new(dir))
            }
            Origin::Existing(settings, dir) => (*settings, dir),
        };
        if let Some(url) = self.smtp_url {
            settings.smtp_url = Some(url);
        }
        for adjust in self.adjust {
            adjust(&mut settings);
        }
        let app = Application::build_with_clock(settings.clone(), self.clock)
            .await
            .expect("app builds")
            .with_worker(self.worker);
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
        Some(TestApp {
            metrics_addr,
            base: format!("http://{addr}"),
            client: browser(),
            state,
            settings,
            dir,
            sink: self.sink,
            shutdown: Some(tx),
            server: Some(server),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The app

pub struct TestApp {
    /// Where `/metrics` is served when the settings gave it its own address.
    pub metrics_addr: Option<SocketAddr>,
    pub base: String,
    /// A browser-like client: keeps cookies, does not follow redirects (tests check them).
    pub client: Client,
    pub state: AppState,
    pub settings: ServeSettings,
    /// Shared by every instance started on the same database.
    pub dir: Arc<tempfile::TempDir>,
    sink: Option<Sink>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    /// An app on a fresh database of this backend.
    pub fn builder(backend: Backend) -> TestAppBuilder {
        TestAppBuilder::on(Origin::Fresh(backend))
    }

    /// An app on the database and folder a stopped app left (see `stop`).
    pub fn reopen(settings: ServeSettings, dir: Arc<tempfile::TempDir>) -> TestAppBuilder {
        TestAppBuilder::on(Origin::Existing(Box::new(settings), dir))
    }

    /// Another instance on this one's database and mail sink (a second `serve` process).
    pub fn another(&self) -> TestAppBuilder {
        let builder = Self::reopen(self.settings.clone(), self.dir.clone());
        match &self.sink {
            Some(sink) => builder.with_sink(sink.clone()),
            None => builder,
        }
    }

    /// Shorthand for `builder(backend).spawn()`.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::builder(backend).spawn().await
    }

    /// Shorthand for `builder(backend).settings(adjust).spawn()`.
    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut ServeSettings) + Send + 'static,
    ) -> Option<TestApp> {
        Self::builder(backend).settings(adjust).spawn().await
    }

    /// Shorthand for `reopen(settings, dir).spawn()`.
    pub async fn start(settings: ServeSettings, dir: Arc<tempfile::TempDir>) -> TestApp {
        Self::reopen(settings, dir)
            .spawn()
            .await
            .expect("an existing database opens")
    }

    /// The SMTP sink the builder was given.
    pub fn sink(&self) -> &Sink {
        self.sink.as_ref().expect("built with_mail_sink")
    }

    /// Stops the server gracefully and waits for it: the worker finishes what it is sending.
    pub async fn stop(mut self) -> (ServeSettings, Arc<tempfile::TempDir>) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
        (self.settings.clone(), self.dir.clone())
    }

    // ---------- HTTP ----------

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

    // ---------- submissions and the outbox ----------

    /// Stores a submitted response as the submit handlers do, with the given e-mail consent.
    pub async fn submit(&self, lang: Lang, email: Option<&str>, consent: bool) -> (Uuid, String) {
        self.submit_as(lang, email, consent, Some("Công ty TNHH Hải Phòng Xanh"))
            .await
    }

    pub async fn submit_as(
        &self,
        lang: Lang,
        email: Option<&str>,
        consent: bool,
        business_name: Option<&str>,
    ) -> (Uuid, String) {
        let def = self
            .state
            .questionnaires
            .latest()
            .into_iter()
            .next()
            .expect("a questionnaire");
        // Weak answers, so the roadmap has items in every phase and barriers show.
        let mut sub: Submission = extreme_submission(&def, false);
        match business_name {
            Some(name) => {
                sub.profile
                    .insert("name".into(), ProfileValue::Text(name.into()));
            }
            None => {
                sub.profile.remove("name");
            }
        }
        sub.consents.insert(ConsentPurpose::Processing);
        if consent {
            sub.consents.insert(ConsentPurpose::EmailReport);
        }
        let assessed = assess(&def, &sub, self.state.clock.today());
        let contact = Contact {
            email: email.map(str::to_string),
            phone: None,
        };
        let submitted = submissions::submit(
            &self.state.db,
            None,
            NewSubmission {
                def: &def,
                lang,
                submission: &assessed.submission,
                contact: &contact,
                result: &assessed.result,
                roadmap: &assessed.roadmap,
                size_class: assessed.size_class.clone(),
                channel: "web",
                now: self.state.clock.now(),
                email_report_to: email.filter(|_| consent).map(str::to_string),
            },
        )
        .await
        .expect("submit");
        self.state.outbox_wakeup.notify_one();
        submitted
    }

    pub async fn messages(&self) -> Vec<OutboxMessage> {
        outbox::list(&self.state.db, None, 1000).await.unwrap()
    }

    /// Waits (up to `limit`) until `done` holds for the outbox.
    pub async fn wait_for(
        &self,
        limit: Duration,
        what: &str,
        done: impl Fn(&[OutboxMessage]) -> bool,
    ) -> Vec<OutboxMessage> {
        let start = Instant::now();
        loop {
            let rows = self.messages().await;
            if done(&rows) {
                return rows;
            }
            assert!(
                start.elapsed() < limit,
                "timed out waiting for {what}; outbox: {rows:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Runs `$name(backend: Backend)` twice, once per backend, for tests that start their own apps
/// (several instances, restarts); the PostgreSQL one returns early when it is not configured.
#[macro_export]
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

// ---------------------------------------------------------------------------------------------
// HTTP helpers for any client (a test often drives several browsers against one app)

pub async fn get(app: &TestApp, client: &Client, path: &str) -> reqwest::Response {
    client.get(app.url(path)).send().await.expect("GET")
}

pub async fn text(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    (status, res.text().await.expect("body"))
}

/// The CSRF token of a page's forms (the page sets the matching cookie).
pub async fn csrf(app: &TestApp, client: &Client, path: &str) -> String {
    let (status, body) = text(get(app, client, path).await).await;
    assert!(status.is_success(), "GET {path}: {status}");
    hidden_input(&body, "csrf_token").expect("csrf_token on the page")
}

pub async fn post_form(
    app: &TestApp,
    client: &Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .expect("POST")
}

pub async fn sign_in(
    app: &TestApp,
    client: &Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let token = csrf(app, client, "/login").await;
    post_form(
        app,
        client,
        "/login",
        &[
            ("email", email),
            ("password", password),
            ("csrf_token", &token),
        ],
    )
    .await
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// Pulls `name="csrf_token" value="…"` (or any hidden input) out of a page.
pub fn hidden_input(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].replace("&amp;", "&"))
}

// ---------------------------------------------------------------------------------------------
// An SMTP sink: accepts (or refuses) everything and keeps what it received.

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

#[derive(Default)]
struct SinkState {
    received: Mutex<Vec<Received>>,
    refuse: AtomicBool,
}

#[derive(Clone)]
struct SinkHandler {
    state: Arc<SinkState>,
    current: Option<Received>,
}

impl Handler for SinkHandler {
    fn rcpt(&mut self, _to: &str) -> Response {
        if self.state.refuse.load(Ordering::SeqCst) {
            NO_MAILBOX
        } else {
            OK
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.current = Some(Received {
            from: from.to_string(),
            to: to.to_vec(),
            data: Vec::new(),
        });
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(current) = &mut self.current {
            current.data.extend_from_slice(buf);
        }
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        if let Some(done) = self.current.take() {
            self.state.received.lock().unwrap().push(done);
        }
        OK
    }
}

/// A handle on a running sink; clones share what it received.
#[derive(Clone)]
pub struct Sink {
    pub addr: SocketAddr,
    state: Arc<SinkState>,
}

impl Sink {
    /// Starts a sink on a free loopback port.
    pub fn start() -> Sink {
        Self::start_on(TcpListener::bind("127.0.0.1:0").expect("bind sink"))
    }

    /// Starts a sink on a given listener (to bring a "down" server up on its old port).
    pub fn start_on(listener: TcpListener) -> Sink {
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(SinkState::default());
        let mut server = Server::new(SinkHandler {
            state: state.clone(),
            current: None,
        });
        server
            .with_name("sink.test")
            .with_ssl(SslConfig::None)
            .expect("ssl config")
            .with_num_threads(8)
            .with_tcp_listener(listener);
        // Blocking server; the thread ends with the test process.
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Sink { addr, state }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn refuse_everything(&self) {
        self.state.refuse.store(true, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Waits (up to `limit`) until `count` messages have arrived.
    pub async fn wait_for_mail(&self, count: usize, limit: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= count {
                return got;
            }
            assert!(
                start.elapsed() < limit,
                "timed out: {} of {count} messages arrived",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
