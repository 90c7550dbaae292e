//! The roadmap e-mail end to end: real SMTP over loopback to a mailin-embedded server started
//! here, the real app and worker, SQLite and (when configured) PostgreSQL.

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use dxready::config::ServeSettings;
use dxready::db::outbox::{self, Status};
use dxready::db::responses;
use dxready::db::submissions::{self, NewSubmission};
use dxready::domain::questionnaire::{ConsentPurpose, extreme_submission};
use dxready::domain::{Contact, Lang, ProfileValue, Submission};
use dxready::email::WorkerConfig;
use dxready::startup::Application;
use dxready::web::AppState;
use mailin_embedded::response::{NO_MAILBOX, OK};
use mailin_embedded::{Handler, Response, Server, SslConfig};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::helpers::{Backend, POSTGRES_ENV, fresh_database, test_settings};

// ---------------------------------------------------------------------------------------------
// An SMTP sink: accepts (or refuses) everything and keeps what it received.

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: Vec<u8>,
}

impl Received {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

#[derive(Default)]
struct SinkState {
    received: Mutex<Vec<Received>>,
    refuse: std::sync::atomic::AtomicBool,
}

#[derive(Clone)]
struct SinkHandler {
    state: Arc<SinkState>,
    current: Option<Received>,
}

impl Handler for SinkHandler {
    fn rcpt(&mut self, _to: &str) -> Response {
        if self.state.refuse.load(std::sync::atomic::Ordering::SeqCst) {
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
        self.state
            .refuse
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }
}

/// A loopback port nothing listens on (yet).
/// A port held bound but not listening: connections to it are refused until `listen`, and no
/// other test can take it meanwhile (a port merely found free could be).
fn refusing_port() -> tokio::net::TcpSocket {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    socket
}

// ---------------------------------------------------------------------------------------------
// The app with a fast-retrying worker.

pub struct MailApp {
    pub state: AppState,
    pub settings: ServeSettings,
    pub dir: Arc<tempfile::TempDir>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

pub fn fast_worker() -> WorkerConfig {
    WorkerConfig {
        poll: Duration::from_millis(100),
        backoff_base: Duration::from_millis(200),
        backoff_cap: Duration::from_secs(2),
        ..WorkerConfig::default()
    }
}

impl MailApp {
    /// A fresh database (None when the PostgreSQL half is not configured) and the app on it.
    pub async fn spawn(
        backend: Backend,
        smtp_url: Option<String>,
        worker: Option<WorkerConfig>,
    ) -> Option<MailApp> {
        dxready::telemetry::init();
        let dir = tempfile::tempdir().expect("tempdir");
        let url = fresh_database(backend, dir.path()).await?;
        let mut settings = test_settings(url, dir.path());
        settings.smtp_url = smtp_url;
        Some(Self::start(settings, Arc::new(dir), worker).await)
    }

    pub async fn start(
        settings: ServeSettings,
        dir: Arc<tempfile::TempDir>,
        worker: Option<WorkerConfig>,
    ) -> MailApp {
        let app = Application::build(settings.clone())
            .await
            .expect("app builds")
            .with_worker(worker);
        let state = app.state();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until(async {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
        });
        MailApp {
            state,
            settings,
            dir,
            stop: Some(tx),
            server: Some(server),
        }
    }

    /// Another instance on the same database (a second `serve` process).
    pub async fn another(&self, worker: Option<WorkerConfig>) -> MailApp {
        Self::start(self.settings.clone(), self.dir.clone(), worker).await
    }

    /// Graceful stop: the worker finishes what it is sending.
    pub async fn stop(mut self) -> (ServeSettings, Arc<tempfile::TempDir>) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
        (self.settings.clone(), self.dir.clone())
    }

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
        let result = dxready::domain::score(&def, &sub);
        let today = chrono::Utc::now().date_naive();
        let roadmap = dxready::domain::roadmap(&def, &sub, &result, today);
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
                submission: &sub,
                contact: &contact,
                result: &result,
                roadmap: &roadmap,
                size_class: None,
                channel: "web",
                now: chrono::Utc::now(),
                email_report_to: email.filter(|_| consent).map(str::to_string),
            },
        )
        .await
        .expect("submit");
        self.state.outbox_wakeup.notify_one();
        submitted
    }

    pub async fn messages(&self) -> Vec<outbox::OutboxMessage> {
        outbox::list(&self.state.db, None, 1000).await.unwrap()
    }

    /// Waits (up to `limit`) until `done` holds for the outbox.
    pub async fn wait_for(
        &self,
        limit: Duration,
        what: &str,
        done: impl Fn(&[outbox::OutboxMessage]) -> bool,
    ) -> Vec<outbox::OutboxMessage> {
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

fn all_sent(rows: &[outbox::OutboxMessage]) -> bool {
    !rows.is_empty() && rows.iter().all(|r| r.status == "sent")
}

async fn wait_for_mail(sink: &Sink, count: usize, limit: Duration) -> Vec<Received> {
    let start = Instant::now();
    loop {
        let got = sink.received();
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

// ---------------------------------------------------------------------------------------------
// A small MIME reader for the checks (lettre writes base64 or quoted-printable parts).

#[derive(Debug)]
pub struct Part {
    pub content_type: String,
    pub disposition: String,
    pub body: Vec<u8>,
}

pub struct Parsed {
    pub headers: String,
    pub parts: Vec<Part>,
}

impl Parsed {
    pub fn header(&self, name: &str) -> Option<String> {
        let unfolded = self.headers.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.split("\r\n").find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    pub fn part(&self, content_type: &str) -> &Part {
        self.parts
            .iter()
            .find(|p| p.content_type.starts_with(content_type))
            .unwrap_or_else(|| panic!("no {content_type} part"))
    }

    pub fn text(&self, content_type: &str) -> String {
        String::from_utf8(self.part(content_type).body.clone()).expect("UTF-8 body")
    }
}

fn split_head(raw: &str) -> (&str, &str) {
    raw.split_once("\r\n\r\n").unwrap_or((raw, ""))
}

fn header_of(head: &str, name: &str) -> String {
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded
        .split("\r\n")
        .find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
        .unwrap_or_default()
}

fn decode(encoding: &str, body: &str) -> Vec<u8> {
    match encoding.to_ascii_lowercase().as_str() {
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .expect("base64 part")
        }
        "quoted-printable" => {
            let mut out = Vec::new();
            let bytes = body.replace("=\r\n", "").into_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'=' && i + 2 < bytes.len() {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).expect("QP escape"));
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            out
        }
        _ => body.as_bytes().to_vec(),
    }
}

fn collect_parts(head: &str, body: &str, out: &mut Vec<Part>) {
    let content_type = header_of(head, "Content-Type");
    if content_type.starts_with("multipart/") {
        let boundary = content_type
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))
            .expect("boundary")
            .trim_matches('"')
            .to_string();
        let marker = format!("--{boundary}");
        for chunk in body.split(&marker).skip(1) {
            if chunk.starts_with("--") {
                break;
            }
            let chunk = chunk.trim_start_matches("\r\n");
            let (h, b) = split_head(chunk);
            collect_parts(h, b.trim_end_matches("\r\n"), out);
        }
    } else {
        out.push(Part {
            content_type: content_type.clone(),
            disposition: header_of(head, "Content-Disposition"),
            body: decode(&header_of(head, "Content-Transfer-Encoding"), body),
        });
    }
}

pub fn parse_mail(raw: &str) -> Parsed {
    let (head, body) = split_head(raw);
    let mut parts = Vec::new();
    collect_parts(head, body, &mut parts);
    Parsed {
        headers: head.to_string(),
        parts,
    }
}

/// Decodes an RFC 2047 `=?utf-8?b?…?=` / `=?utf-8?q?…?=` header value.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    for word in value.split_whitespace() {
        if let Some(inner) = word.strip_prefix("=?").and_then(|w| w.strip_suffix("?=")) {
            let mut it = inner.splitn(3, '?');
            let (_, enc, text) = (it.next(), it.next().unwrap_or(""), it.next().unwrap_or(""));
            let bytes = if enc.eq_ignore_ascii_case("b") {
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .unwrap()
            } else {
                decode("quoted-printable", &text.replace('_', " "))
            };
            out.push_str(&String::from_utf8(bytes).unwrap());
        } else {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------

macro_rules! mail_test {
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

async fn report_check(backend: Backend, lang: Lang) {
    let sink = Sink::start();
    let Some(app) = MailApp::spawn(backend, Some(sink.url()), Some(fast_worker())).await else {
        return;
    };
    let (_, token) = app.submit(lang, Some("owner@example.vn"), true).await;
    let mail = wait_for_mail(&sink, 1, Duration::from_secs(20)).await;
    let rows = app.wait_for(Duration::from_secs(5), "sent", all_sent).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, vec!["owner@example.vn".to_string()]);
    assert_eq!(mail[0].from, "no-reply@dxready.test");
    assert_eq!(
        rows[0].token, None,
        "the plaintext token is dropped once sent"
    );
    assert_eq!(rows[0].attempts, 1);

    let parsed = parse_mail(&mail[0].text());
    let message_id = parsed.header("Message-ID").expect("Message-ID");
    assert_eq!(rows[0].message_id.as_deref(), Some(message_id.as_str()));
    assert!(message_id.ends_with("@dxready.test>"), "{message_id}");
    assert!(parsed.header("Date").is_some());
    assert_eq!(
        parsed.header("From").as_deref(),
        Some("dxready <no-reply@dxready.test>")
    );
    let base = &app.state.base_url;
    assert_eq!(
        parsed.header("List-Unsubscribe"),
        Some(format!("<{base}/r/{token}/withdraw>"))
    );
    let subject = decode_words(&parsed.header("Subject").unwrap());
    let html = parsed.text("text/html");
    let text = parsed.text("text/plain");
    assert!(
        parsed
            .part("text/html")
            .content_type
            .contains("charset=utf-8")
    );
    assert!(
        parsed
            .part("text/plain")
            .content_type
            .contains("charset=utf-8")
    );
    let pdf = parsed.part("application/pdf");
    assert!(pdf.body.starts_with(b"%PDF-"), "a PDF is attached");
    assert!(pdf.disposition.starts_with("attachment"));

    let def = app
        .state
        .questionnaires
        .latest()
        .into_iter()
        .next()
        .unwrap();
    let stored = responses::find_result(&app.state.db, &app.state.questionnaires, &token)
        .await
        .unwrap()
        .unwrap();
    let level = def.level(stored.score.level).unwrap();
    let (level_word, result_phrase) = match lang {
        Lang::Vi => ("Mức", "Kết quả đánh giá"),
        Lang::En => ("Level", "Your digital-readiness result"),
    };
    assert!(subject.contains(result_phrase), "{subject}");
    assert!(
        subject.contains(&format!("{level_word} {}", stored.score.level)),
        "{subject}"
    );
    assert!(subject.contains(level.name.get(lang)), "{subject}");
    // The business name never goes into a header.
    assert!(!parsed.headers.contains("Xanh"));
    for body in [&html, &text] {
        assert!(body.contains("Công ty TNHH Hải Phòng Xanh"));
        assert!(body.contains(level.name.get(lang)));
        assert!(body.contains(&format!("{base}/r/{token}")));
        assert!(body.contains(&format!("{base}/r/{token}/withdraw")));
        assert!(body.contains("no-reply@dxready.test"));
        assert!(body.contains("6–12"));
        for dim in &def.dimensions {
            let title = dim.title.get(lang);
            assert!(
                body.contains(&maud::html!((title)).into_string()) || body.contains(title),
                "dimension {title} missing"
            );
        }
        for item in stored.roadmap.items.iter().filter(|i| i.summary) {
            let phase = item.phase.title();
            assert!(body.contains(&maud::html!((phase.get(lang))).into_string()));
            let title = item.title.get(lang);
            assert!(
                body.contains(&maud::html!((title)).into_string()) || body.contains(title),
                "roadmap item {title} missing"
            );
        }
        if let Some(b) = stored.score.barriers.first() {
            let barrier = def.barrier(&b.id).unwrap().title.get(lang);
            assert!(body.contains(&maud::html!((barrier)).into_string()) || body.contains(barrier));
        }
    }
    // Non-summary items are only in the PDF.
    let extra = stored.roadmap.items.iter().find(|i| !i.summary);
    if let Some(item) = extra {
        assert!(!text.contains(&format!("* {}\n", item.title.get(lang))));
    }
    assert!(html.contains(&format!("lang=\"{}\"", lang.code())));
    let _ = app.stop().await;
}

async fn report_is_delivered_in_vietnamese(backend: Backend) {
    report_check(backend, Lang::Vi).await;
}
mail_test!(report_is_delivered_in_vietnamese);

async fn report_is_delivered_in_english(backend: Backend) {
    report_check(backend, Lang::En).await;
}
mail_test!(report_is_delivered_in_english);

async fn no_email_without_consent(backend: Backend) {
    let sink = Sink::start();
    let Some(app) = MailApp::spawn(backend, Some(sink.url()), Some(fast_worker())).await else {
        return;
    };
    // An address but no consent to e-mail the report, and consent but no address.
    app.submit(Lang::Vi, Some("owner@example.vn"), false).await;
    app.submit(Lang::Vi, None, true).await;
    // One with consent, so we know the worker ran past the others.
    app.submit(Lang::En, Some("yes@example.vn"), true).await;
    let mail = wait_for_mail(&sink, 1, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rows = app.messages().await;
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0].recipient, "yes@example.vn");
    assert_eq!(sink.received().len(), 1);
    assert_eq!(mail[0].to, vec!["yes@example.vn".to_string()]);
    let _ = app.stop().await;
}
mail_test!(no_email_without_consent);

async fn retries_until_the_server_comes_up(backend: Backend) {
    let socket = refusing_port();
    let port = socket.local_addr().unwrap();
    let Some(app) =
        MailApp::spawn(backend, Some(format!("smtp://{port}")), Some(fast_worker())).await
    else {
        return;
    };
    app.submit(Lang::Vi, Some("owner@example.vn"), true).await;
    let rows = app
        .wait_for(Duration::from_secs(20), "two failed attempts", |rows| {
            rows.len() == 1 && rows[0].attempts >= 2 && rows[0].status == "pending"
        })
        .await;
    assert!(rows[0].last_error.is_some());
    assert!(rows[0].token.is_some(), "kept for the next attempt");
    let listener = socket.listen(16).unwrap().into_std().unwrap();
    listener.set_nonblocking(false).unwrap();
    let sink = Sink::start_on(listener);
    wait_for_mail(&sink, 1, Duration::from_secs(20)).await;
    let rows = app.wait_for(Duration::from_secs(5), "sent", all_sent).await;
    assert!(rows[0].attempts >= 3);
    assert_eq!(rows[0].last_error, None);
    let _ = app.stop().await;
}
mail_test!(retries_until_the_server_comes_up);

async fn a_permanent_rejection_fails_at_once(backend: Backend) {
    let sink = Sink::start();
    sink.refuse_everything();
    let Some(app) = MailApp::spawn(backend, Some(sink.url()), Some(fast_worker())).await else {
        return;
    };
    let (id, _) = app.submit(Lang::En, Some("nobody@example.vn"), true).await;
    let rows = app
        .wait_for(Duration::from_secs(20), "failed", |rows| {
            rows.len() == 1 && rows[0].status == "failed"
        })
        .await;
    assert_eq!(rows[0].attempts, 1, "no retry after a 5xx");
    let error = rows[0].last_error.clone().unwrap();
    assert!(error.contains("550"), "{error}");
    assert_eq!(rows[0].response_id, Some(id));
    assert!(sink.received().is_empty());
    // Shown to admins, who can retry it.
    let failed = outbox::list(&app.state.db, Some(Status::Failed), 10)
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    assert!(outbox::retry(&app.state.db, rows[0].id).await.unwrap());
    let row = outbox::find(&app.state.db, rows[0].id)
        .await
        .unwrap()
        .unwrap();
    assert!(row.status == "pending" || row.status == "sending" || row.status == "failed");
    let _ = app.stop().await;
}
mail_test!(a_permanent_rejection_fails_at_once);

async fn a_pending_message_survives_a_restart(backend: Backend) {
    let sink = Sink::start();
    // First instance: no worker, as if it stopped right after the commit.
    let Some(app) = MailApp::spawn(backend, Some(sink.url()), None).await else {
        return;
    };
    app.submit(Lang::Vi, Some("owner@example.vn"), true).await;
    app.submit(Lang::En, Some("second@example.vn"), true).await;
    // And one a worker claimed and then died holding (lease of one second).
    let crashed = outbox::claim(&app.state.db, "crashed-worker", 1, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(crashed.len(), 1);
    let (settings, dir) = app.stop().await;
    assert!(sink.received().is_empty());

    let app = MailApp::start(settings, dir, Some(fast_worker())).await;
    let mail = wait_for_mail(&sink, 2, Duration::from_secs(20)).await;
    let rows = app
        .wait_for(Duration::from_secs(10), "all sent", all_sent)
        .await;
    assert_eq!(mail.len(), 2);
    assert_eq!(rows.len(), 2);
    let reclaimed = rows.iter().find(|r| r.id == crashed[0].id).unwrap();
    assert_eq!(
        reclaimed.attempts, 2,
        "the crashed claim counts as an attempt"
    );
    let _ = app.stop().await;
}
mail_test!(a_pending_message_survives_a_restart);

async fn header_injection_is_refused(backend: Backend) {
    let sink = Sink::start();
    let Some(app) = MailApp::spawn(backend, Some(sink.url()), Some(fast_worker())).await else {
        return;
    };
    // The web layer validates addresses; the worker must not trust that.
    app.submit(
        Lang::Vi,
        Some("owner@example.vn\r\nBcc: victim@example.com"),
        true,
    )
    .await;
    // A business name is free text: it must stay in the body.
    app.submit_as(
        Lang::En,
        Some("owner@example.vn"),
        true,
        Some("Evil Co\r\nBcc: victim@example.com\r\nSubject: hacked"),
    )
    .await;
    let rows = app
        .wait_for(Duration::from_secs(20), "both done", |rows| {
            rows.len() == 2
                && rows
                    .iter()
                    .all(|r| r.status == "sent" || r.status == "failed")
        })
        .await;
    let bad = rows
        .iter()
        .find(|r| r.recipient.contains('\n'))
        .expect("the bad address row");
    assert_eq!(bad.status, "failed");
    assert_eq!(bad.attempts, 1);
    assert!(
        bad.last_error.as_deref().unwrap().contains("recipient"),
        "{bad:?}"
    );
    let mail = wait_for_mail(&sink, 1, Duration::from_secs(5)).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, vec!["owner@example.vn".to_string()]);
    let parsed = parse_mail(&mail[0].text());
    // No header line of its own (a random MIME boundary or Message-ID may well contain "bcc").
    assert!(
        !parsed
            .headers
            .lines()
            .any(|line| line.to_ascii_lowercase().starts_with("bcc:")),
        "{}",
        parsed.headers
    );
    assert!(!parsed.headers.contains("hacked"));
    assert_eq!(parsed.headers.matches("\r\nSubject:").count(), 1);
    assert!(parsed.text("text/plain").contains("Evil Co"));
    let _ = app.stop().await;
}
mail_test!(header_injection_is_refused);

/// Two `serve` processes on one PostgreSQL database: every message is sent exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_postgres_never_double_send() {
    if std::env::var(POSTGRES_ENV).is_err() {
        eprintln!("SKIPPED: two_workers_on_postgres_never_double_send ({POSTGRES_ENV} is not set)");
        return;
    }
    let sink = Sink::start();
    let worker = || WorkerConfig {
        batch: 3,
        poll: Duration::from_millis(20),
        ..fast_worker()
    };
    let first = MailApp::spawn(Backend::Postgres, Some(sink.url()), None)
        .await
        .unwrap();
    const N: usize = 60;
    for n in 0..N {
        first
            .submit(Lang::Vi, Some(&format!("owner{n}@example.vn")), true)
            .await;
    }
    // Both workers start on a full queue and race for it.
    let a = first.another(Some(worker())).await;
    let b = first.another(Some(worker())).await;
    let mail = wait_for_mail(&sink, N, Duration::from_secs(120)).await;
    let rows = first
        .wait_for(Duration::from_secs(10), "all sent", all_sent)
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mail_after = sink.received();
    assert_eq!(mail_after.len(), N, "a message was sent twice");
    let recipients: BTreeSet<_> = mail.iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(recipients.len(), N);
    assert!(rows.iter().all(|r| r.attempts == 1));
    let mut per_worker = std::collections::BTreeMap::<String, usize>::new();
    for r in &rows {
        *per_worker
            .entry(r.locked_by.clone().unwrap_or_default())
            .or_default() += 1;
    }
    eprintln!("messages per worker: {per_worker:?}");
    let _ = a.stop().await;
    let _ = b.stop().await;
    let _ = first.stop().await;
}

/// The roadmap PDF, rendered to pixels with poppler: not blank, and its text (with Vietnamese
/// diacritics) extracts back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pdf_renders_with_vietnamese_text() {
    let have = |cmd: &str| std::process::Command::new(cmd).arg("-v").output().is_ok();
    if !have("pdftoppm") {
        eprintln!("SKIPPED: the_pdf_renders_with_vietnamese_text (pdftoppm is not installed)");
        return;
    }
    let app = MailApp::spawn(Backend::Sqlite, None, None).await.unwrap();
    let (_, token) = app.submit(Lang::Vi, Some("owner@example.vn"), true).await;
    let stored = responses::find_result(&app.state.db, &app.state.questionnaires, &token)
        .await
        .unwrap()
        .unwrap();
    let def = app
        .state
        .questionnaires
        .latest()
        .into_iter()
        .next()
        .unwrap();
    let report = dxready::email::render::Report {
        def: &def,
        result: &stored,
        lang: Lang::Vi,
        base_url: &app.state.base_url,
        token: &token,
        sender: "no-reply@dxready.test",
    };
    let pdf = dxready::email::pdf::roadmap_pdf(&report);
    let dir = app.dir.path();
    let pdf_path = dir.join("roadmap.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();
    if let Ok(keep) = std::env::var("DXREADY_KEEP_PDF") {
        std::fs::write(keep, &pdf).unwrap();
    }
    let out = std::process::Command::new("pdftoppm")
        .args(["-r", "40", "-gray"])
        .arg(&pdf_path)
        .arg(dir.join("page"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut pages: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("page"))
        .collect();
    pages.sort();
    assert!(pages.len() >= 2, "the full roadmap spans pages: {pages:?}");
    for page in &pages {
        let bytes = std::fs::read(page).unwrap();
        // Binary PGM: "P5\n<w> <h>\n255\n" then one byte per pixel.
        let mut fields = 0;
        let mut start = 0;
        for (i, b) in bytes.iter().enumerate() {
            if b.is_ascii_whitespace() {
                fields += 1;
                if fields == 4 {
                    start = i + 1;
                    break;
                }
            }
        }
        let pixels = &bytes[start..];
        let dark = pixels.iter().filter(|&&p| p < 200).count();
        assert!(
            dark * 1000 > pixels.len(),
            "{} is blank: {dark} dark pixels of {}",
            page.display(),
            pixels.len()
        );
    }
    if have("pdftotext") {
        let out = std::process::Command::new("pdftotext")
            .arg(&pdf_path)
            .arg("-")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Lộ trình chuyển đổi số"), "{text}");
        assert!(text.contains("Công ty TNHH Hải Phòng Xanh"), "{text}");
        let level = def.level(stored.score.level).unwrap();
        assert!(text.contains(level.name.vi.as_str()), "{text}");
    }
    let _ = app.stop().await;
}

/// With no SMTP server set, messages become `.eml` files in the mail directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_mail_goes_to_eml_files() {
    let app = MailApp::spawn(Backend::Sqlite, None, Some(fast_worker()))
        .await
        .unwrap();
    app.submit(Lang::En, Some("owner@example.vn"), true).await;
    app.wait_for(Duration::from_secs(20), "sent", all_sent)
        .await;
    let files: Vec<_> = std::fs::read_dir(&app.settings.mail_dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(files.len(), 1);
    let raw = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(raw.contains("To: owner@example.vn"));
    let _ = app.stop().await;
}

/// The resume link goes through the same queue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_link_is_delivered() {
    let sink = Sink::start();
    let app = MailApp::spawn(Backend::Sqlite, Some(sink.url()), Some(fast_worker()))
        .await
        .unwrap();
    let def = app
        .state
        .questionnaires
        .latest()
        .into_iter()
        .next()
        .unwrap();
    let (id, resume) = responses::create_draft(&app.state.db, &def, Lang::En)
        .await
        .unwrap();
    outbox::enqueue_resume_link(&app.state.db, id, "owner@example.vn", Lang::En, &resume)
        .await
        .unwrap();
    app.state.outbox_wakeup.notify_one();
    let mail = wait_for_mail(&sink, 1, Duration::from_secs(20)).await;
    let parsed = parse_mail(&mail[0].text());
    let link = format!("{}/s/resume/{resume}", app.state.base_url);
    assert!(parsed.text("text/plain").contains(&link));
    assert!(parsed.text("text/html").contains(&link));
    assert!(decode_words(&parsed.header("Subject").unwrap()).contains("continue"));
    let _ = app.stop().await;
}
