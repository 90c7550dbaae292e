//! The roadmap e-mail end to end: real SMTP over loopback to a mailin-embedded server started
//! here, the real app and worker, SQLite and (when configured) PostgreSQL.

use crate::backend_test;
use std::collections::BTreeSet;
use std::time::Duration;

use dxready::db::outbox::{self, Status};
use dxready::db::responses;
use dxready::domain::Lang;
use dxready::email::WorkerConfig;
use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders};

use crate::helpers::{Backend, POSTGRES_ENV, Sink, TestApp, fast_worker};

/// A port held bound but not listening: connections to it are refused until `listen`, and no
/// other test can take it meanwhile (a port merely found free could be).
fn refusing_port() -> tokio::net::TcpSocket {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    socket
}

fn all_sent(rows: &[outbox::OutboxMessage]) -> bool {
    !rows.is_empty() && rows.iter().all(|r| r.status == "sent")
}

// ---------------------------------------------------------------------------------------------
// A received message, read with mail-parser (lettre writes base64 or quoted-printable parts).

pub struct Parsed {
    message: Message<'static>,
    /// The top-level header block as it arrived, to prove no header line was injected.
    pub headers: String,
}

impl Parsed {
    /// A header's value as written, without the folding whitespace.
    pub fn header(&self, name: &str) -> Option<String> {
        let raw = self.message.header_raw(name)?;
        Some(raw.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    /// The subject, decoded from its RFC 2047 encoded words.
    pub fn subject(&self) -> String {
        self.message.subject().expect("Subject").to_string()
    }

    /// The first part whose type (`type/subtype`) starts with `content_type`.
    pub fn part(&self, content_type: &str) -> &MessagePart<'static> {
        self.message
            .parts
            .iter()
            .find(|p| {
                p.content_type().is_some_and(|t| {
                    format!("{}/{}", t.ctype(), t.subtype().unwrap_or_default())
                        .starts_with(content_type)
                })
            })
            .unwrap_or_else(|| panic!("no {content_type} part"))
    }

    pub fn charset(&self, content_type: &str) -> Option<&str> {
        self.part(content_type).content_type()?.attribute("charset")
    }

    /// A text part, decoded.
    pub fn text(&self, content_type: &str) -> String {
        self.part(content_type)
            .text_contents()
            .expect("a text part")
            .to_string()
    }
}

pub fn parse_mail(raw: &[u8]) -> Parsed {
    let message = MessageParser::default()
        .parse(raw)
        .expect("a parsable message")
        .into_owned();
    let root = message.root_part();
    let head = &raw[root.raw_header_offset() as usize..root.raw_body_offset() as usize];
    let headers = String::from_utf8_lossy(head).into_owned();
    Parsed { message, headers }
}

// ---------------------------------------------------------------------------------------------

async fn report_check(backend: Backend, lang: Lang) {
    let Some(app) = TestApp::builder(backend)
        .with_mail_sink()
        .worker(Some(fast_worker()))
        .spawn()
        .await
    else {
        return;
    };
    let sink = app.sink();
    let (_, token) = app.submit(lang, Some("owner@example.vn"), true).await;
    let mail = sink.wait_for_mail(1, Duration::from_secs(20)).await;
    let rows = app.wait_for(Duration::from_secs(5), "sent", all_sent).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, vec!["owner@example.vn".to_string()]);
    assert_eq!(mail[0].from, "no-reply@dxready.test");
    assert_eq!(
        rows[0].token, None,
        "the plaintext token is dropped once sent"
    );
    assert_eq!(rows[0].attempts, 1);

    let parsed = parse_mail(&mail[0].data);
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
    let subject = parsed.subject();
    let html = parsed.text("text/html");
    let text = parsed.text("text/plain");
    assert_eq!(parsed.charset("text/html"), Some("utf-8"));
    assert_eq!(parsed.charset("text/plain"), Some("utf-8"));
    let pdf = parsed.part("application/pdf");
    assert!(pdf.contents().starts_with(b"%PDF-"), "a PDF is attached");
    assert_eq!(
        pdf.content_disposition()
            .map(mail_parser::ContentType::ctype),
        Some("attachment")
    );

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
backend_test!(report_is_delivered_in_vietnamese);

async fn report_is_delivered_in_english(backend: Backend) {
    report_check(backend, Lang::En).await;
}
backend_test!(report_is_delivered_in_english);

async fn no_email_without_consent(backend: Backend) {
    let Some(app) = TestApp::builder(backend)
        .with_mail_sink()
        .worker(Some(fast_worker()))
        .spawn()
        .await
    else {
        return;
    };
    let sink = app.sink();
    // An address but no consent to e-mail the report, and consent but no address.
    app.submit(Lang::Vi, Some("owner@example.vn"), false).await;
    app.submit(Lang::Vi, None, true).await;
    // One with consent, so we know the worker ran past the others.
    app.submit(Lang::En, Some("yes@example.vn"), true).await;
    let mail = sink.wait_for_mail(1, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rows = app.messages().await;
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(rows[0].recipient, "yes@example.vn");
    assert_eq!(sink.received().len(), 1);
    assert_eq!(mail[0].to, vec!["yes@example.vn".to_string()]);
    let _ = app.stop().await;
}
backend_test!(no_email_without_consent);

async fn retries_until_the_server_comes_up(backend: Backend) {
    let socket = refusing_port();
    let port = socket.local_addr().unwrap();
    let Some(app) = TestApp::builder(backend)
        .smtp_url(format!("smtp://{port}"))
        .worker(Some(fast_worker()))
        .spawn()
        .await
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
    sink.wait_for_mail(1, Duration::from_secs(20)).await;
    let rows = app.wait_for(Duration::from_secs(5), "sent", all_sent).await;
    assert!(rows[0].attempts >= 3);
    assert_eq!(rows[0].last_error, None);
    let _ = app.stop().await;
}
backend_test!(retries_until_the_server_comes_up);

async fn a_permanent_rejection_fails_at_once(backend: Backend) {
    let Some(app) = TestApp::builder(backend)
        .with_mail_sink()
        .worker(Some(fast_worker()))
        .spawn()
        .await
    else {
        return;
    };
    let sink = app.sink();
    sink.refuse_everything();
    let (id, result_token) = app.submit(Lang::En, Some("nobody@example.vn"), true).await;
    let rows = app
        .wait_for(Duration::from_secs(20), "failed", |rows| {
            rows.len() == 1 && rows[0].status == "failed"
        })
        .await;
    assert_eq!(rows[0].attempts, 1, "no retry after a 5xx");
    assert_eq!(rows[0].token, None, "a failed row keeps no working link");
    let error = rows[0].last_error.clone().unwrap();
    assert!(error.contains("550"), "{error}");
    assert_eq!(rows[0].response_id, Some(id));
    assert!(sink.received().is_empty());
    // Shown to admins, who can retry it.
    let failed = outbox::list(&app.state.db, Some(Status::Failed), 10)
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
    let old_link = format!("/r/{result_token}");
    assert_eq!(app.get(&old_link).await.status(), 200);
    assert!(outbox::retry(&app.state.db, rows[0].id).await.unwrap());
    assert_eq!(
        app.get(&old_link).await.status(),
        404,
        "the retried message carries a new link; the old one ends"
    );
    let row = outbox::find(&app.state.db, rows[0].id)
        .await
        .unwrap()
        .unwrap();
    assert!(row.status == "pending" || row.status == "sending" || row.status == "failed");
    let _ = app.stop().await;
}
backend_test!(a_permanent_rejection_fails_at_once);

async fn a_pending_message_survives_a_restart(backend: Backend) {
    // First instance: no worker, as if it stopped right after the commit.
    let Some(app) = TestApp::builder(backend)
        .with_mail_sink()
        .worker(None)
        .spawn()
        .await
    else {
        return;
    };
    let sink = app.sink().clone();
    app.submit(Lang::Vi, Some("owner@example.vn"), true).await;
    app.submit(Lang::En, Some("second@example.vn"), true).await;
    // And one a worker claimed and then died holding (lease of one second).
    let crashed = outbox::claim(&app.state.db, "crashed-worker", 1, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(crashed.len(), 1);
    let (settings, dir) = app.stop().await;
    assert!(sink.received().is_empty());

    let app = TestApp::reopen(settings, dir)
        .with_sink(sink.clone())
        .worker(Some(fast_worker()))
        .spawn()
        .await
        .unwrap();
    let mail = sink.wait_for_mail(2, Duration::from_secs(20)).await;
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
backend_test!(a_pending_message_survives_a_restart);

async fn header_injection_is_refused(backend: Backend) {
    let Some(app) = TestApp::builder(backend)
        .with_mail_sink()
        .worker(Some(fast_worker()))
        .spawn()
        .await
    else {
        return;
    };
    let sink = app.sink();
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
    let mail = sink.wait_for_mail(1, Duration::from_secs(5)).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].to, vec!["owner@example.vn".to_string()]);
    let parsed = parse_mail(&mail[0].data);
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
backend_test!(header_injection_is_refused);

/// Two `serve` processes on one PostgreSQL database: every message is sent exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_on_postgres_never_double_send() {
    if std::env::var(POSTGRES_ENV).is_err() {
        eprintln!("SKIPPED: two_workers_on_postgres_never_double_send ({POSTGRES_ENV} is not set)");
        return;
    }
    let worker = || WorkerConfig {
        batch: 3,
        poll: Duration::from_millis(20),
        ..fast_worker()
    };
    let first = TestApp::builder(Backend::Postgres)
        .with_mail_sink()
        .worker(None)
        .spawn()
        .await
        .unwrap();
    let sink = first.sink();
    const N: usize = 60;
    for n in 0..N {
        first
            .submit(Lang::Vi, Some(&format!("owner{n}@example.vn")), true)
            .await;
    }
    // Both workers start on a full queue and race for it.
    let a = first
        .another()
        .worker(Some(worker()))
        .spawn()
        .await
        .unwrap();
    let b = first
        .another()
        .worker(Some(worker()))
        .spawn()
        .await
        .unwrap();
    let mail = sink.wait_for_mail(N, Duration::from_secs(120)).await;
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
    let app = TestApp::builder(Backend::Sqlite)
        .worker(None)
        .spawn()
        .await
        .unwrap();
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
    let app = TestApp::builder(Backend::Sqlite)
        .worker(Some(fast_worker()))
        .spawn()
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
    let app = TestApp::builder(Backend::Sqlite)
        .with_mail_sink()
        .worker(Some(fast_worker()))
        .spawn()
        .await
        .unwrap();
    let sink = app.sink();
    let def = app
        .state
        .questionnaires
        .latest()
        .into_iter()
        .next()
        .unwrap();
    let (id, resume) = responses::create_draft(&app.state.db, &def, Lang::En, None)
        .await
        .unwrap();
    outbox::enqueue_resume_link(&app.state.db, id, "owner@example.vn", Lang::En, &resume)
        .await
        .unwrap();
    app.state.outbox_wakeup.notify_one();
    let mail = sink.wait_for_mail(1, Duration::from_secs(20)).await;
    let parsed = parse_mail(&mail[0].data);
    let link = format!("{}/s/resume/{resume}", app.state.base_url);
    assert!(parsed.text("text/plain").contains(&link));
    assert!(parsed.text("text/html").contains(&link));
    assert!(parsed.subject().contains("continue"));
    let _ = app.stop().await;
}
