//! Outbox throughput: queues N roadmap reports (each with its PDF) and measures how fast the
//! worker delivers them to an SMTP sink on loopback.
//!
//!     cargo run --release --example outbox_throughput -- [N] [BATCH]
//!
//! SQLite in a temporary directory by default; set `DXREADY_BENCH_DATABASE_URL` to a
//! PostgreSQL database to measure that instead. Prints messages per second.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dxready::config::{DatabaseSettings, QuestionnaireSettings, ServeSettings};
use dxready::db::submissions::{self, NewSubmission};
use dxready::domain::questionnaire::{ConsentPurpose, extreme_submission};
use dxready::domain::{Contact, Lang, ProfileValue};
use dxready::email::{Mailer, WorkerConfig, spawn_worker_with};
use dxready::startup::Application;
use mailin_embedded::response::OK;
use mailin_embedded::{Handler, Response, Server, SslConfig};

/// Counts messages and bytes; keeps nothing.
#[derive(Clone)]
struct CountingSink {
    messages: Arc<AtomicUsize>,
    bytes: Arc<AtomicUsize>,
}

impl Handler for CountingSink {
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.bytes.fetch_add(buf.len(), Ordering::Relaxed);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        self.messages.fetch_add(1, Ordering::Relaxed);
        OK
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(500), |a| a.parse())?;
    let batch: u64 = args.next().map_or(Ok(16), |a| a.parse())?;

    let sink = CountingSink {
        messages: Arc::new(AtomicUsize::new(0)),
        bytes: Arc::new(AtomicUsize::new(0)),
    };
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let sink_addr = listener.local_addr()?;
    let mut server = Server::new(sink.clone());
    server
        .with_name("sink.bench")
        .with_ssl(SslConfig::None)
        .map_err(|e| anyhow::anyhow!("sink: {e}"))?
        .with_num_threads(32)
        .with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });

    let dir = tempfile::tempdir()?;
    let database_url = std::env::var("DXREADY_BENCH_DATABASE_URL").unwrap_or_else(|_| {
        format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        )
    });
    let settings = ServeSettings {
        addr: "127.0.0.1:0".parse()?,
        database: DatabaseSettings { database_url },
        questionnaires: QuestionnaireSettings {
            questionnaires: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires"),
        },
        base_url: Some("https://dxready.example.vn".into()),
        smtp_url: Some(format!("smtp://{sink_addr}")),
        mail_dir: dir.path().join("mail"),
        mail_from: "dxready <no-reply@dxready.example.vn>".into(),
        submit_rate: 0,
        trusted_proxies: Vec::new(),
        metrics_addr: None,
    };
    let app = Application::build(settings.clone()).await?;
    let state = app.state();
    let def = state
        .questionnaires
        .latest()
        .into_iter()
        .next()
        .expect("a questionnaire");

    let seeding = Instant::now();
    for i in 0..n {
        let mut sub = extreme_submission(&def, i % 2 == 0);
        sub.profile.insert(
            "name".into(),
            ProfileValue::Text(format!("Công ty TNHH Thử Nghiệm {i}")),
        );
        sub.consents.insert(ConsentPurpose::Processing);
        sub.consents.insert(ConsentPurpose::EmailReport);
        let result = dxready::domain::score(&def, &sub);
        let roadmap =
            dxready::domain::roadmap(&def, &sub, &result, chrono::Utc::now().date_naive());
        let to = format!("owner{i}@example.vn");
        submissions::submit(
            &state.db,
            None,
            NewSubmission {
                def: &def,
                lang: if i % 3 == 0 { Lang::En } else { Lang::Vi },
                submission: &sub,
                contact: &Contact {
                    email: Some(to.clone()),
                    phone: None,
                },
                result: &result,
                roadmap: &roadmap,
                size_class: None,
                channel: "demo",
                now: chrono::Utc::now(),
                email_report_to: Some(to),
            },
        )
        .await?;
    }
    println!("queued {n} reports in {:.2?}", seeding.elapsed());

    let mailer = Mailer::from_settings(settings.smtp_url.as_deref(), &settings.mail_dir)?;
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let start = Instant::now();
    let worker = spawn_worker_with(
        state.app(),
        mailer,
        WorkerConfig {
            batch,
            poll: Duration::from_millis(10),
            ..WorkerConfig::default()
        },
        stop_rx,
    );
    while sink.messages.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(5)).await;
        anyhow::ensure!(
            start.elapsed() < Duration::from_secs(600),
            "only {} of {n} delivered in 10 minutes",
            sink.messages.load(Ordering::Relaxed)
        );
    }
    let delivered = start.elapsed();
    while dxready::db::outbox::depth(&state.db).await? > 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let recorded = start.elapsed();
    let _ = stop.send(true);
    worker.await?;

    let bytes = sink.bytes.load(Ordering::Relaxed);
    println!(
        "delivered {n} messages ({:.0} KB each, PDF attached) in {delivered:.2?}: {:.0} messages/s \
         (all marked sent after {recorded:.2?}: {:.0} messages/s); batch {batch}",
        bytes as f64 / n as f64 / 1024.0,
        n as f64 / delivered.as_secs_f64(),
        n as f64 / recorded.as_secs_f64(),
    );
    Ok(())
}
