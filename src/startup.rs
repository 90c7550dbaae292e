//! Building and running the application: used by `dxready serve` and by the tests, so both run
//! exactly the same thing.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::config::ServeSettings;
use crate::domain::questionnaire::load_dir;
use crate::email::{Mailer, WorkerConfig};
use crate::usecases::{App, Clock};
use crate::web::AppState;

pub struct Application {
    listener: TcpListener,
    /// Bound in `build`, like the main listener, so port 0 gives an address before serving.
    metrics_listener: Option<TcpListener>,
    state: AppState,
    mailer: Mailer,
    /// The e-mail worker's settings; None runs the server without it.
    worker: Option<WorkerConfig>,
}

impl Application {
    /// Connects and migrates the database, loads and checks every questionnaire, binds the
    /// listener. Fails (and says why) on an invalid questionnaire.
    pub async fn build(settings: ServeSettings) -> anyhow::Result<Application> {
        Self::build_with_clock(settings, Clock::System).await
    }

    /// As [`Application::build`], with the dates the use cases see set by `clock` (tests).
    pub async fn build_with_clock(
        settings: ServeSettings,
        clock: Clock,
    ) -> anyhow::Result<Application> {
        let questionnaires =
            load_dir(&settings.questionnaires.questionnaires).map_err(|problems| {
                let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
                anyhow::anyhow!(
                    "questionnaires are invalid, not starting:\n{}",
                    lines.join("\n")
                )
            })?;
        for warning in crate::domain::questionnaire::warnings(&questionnaires, clock.today()) {
            tracing::warn!("{warning}");
        }
        let db = crate::db::connect(&settings.database.database_url)
            .await
            .with_context(|| {
                format!(
                    "cannot open the database {}",
                    crate::config::redact(&settings.database.database_url)
                )
            })?;
        crate::db::migrate(&db)
            .await
            .context("cannot apply migrations")?;
        crate::db::responses::register_questionnaires(&db, &questionnaires).await?;
        let csrf_secret = crate::db::secrets::get_or_create(&db, "csrf").await?;
        let mailer = Mailer::from_settings(settings.smtp_url.as_deref(), &settings.mail_dir)?;
        crate::email::message::parse_sender(&settings.mail_from)?;
        let listener = TcpListener::bind(settings.addr)
            .await
            .with_context(|| format!("cannot listen on {}", settings.addr))?;
        let metrics_listener = match settings.metrics_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen for metrics on {addr}"))?,
            ),
            None => None,
        };
        let base_url = match &settings.base_url {
            Some(_) => settings.base_url(),
            None => format!("http://{}", listener.local_addr()?),
        };
        // Before the first request is counted: one recorder per process, whichever app is first.
        crate::web::metrics::install();
        let state = AppState::new(
            Arc::new(App {
                submissions: crate::db::submissions::SubmissionQueue::start(db.clone()),
                db,
                questionnaires,
                settings,
                base_url,
                outbox_wakeup: Arc::new(Notify::new()),
                clock,
            }),
            &csrf_secret,
        );
        Ok(Application {
            listener,
            metrics_listener,
            state,
            mailer,
            worker: Some(WorkerConfig::default()),
        })
    }

    /// Replaces the e-mail worker's settings (tests use short backoffs), or turns it off.
    pub fn with_worker(mut self, worker: Option<WorkerConfig>) -> Self {
        self.worker = worker;
        self
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Where `/metrics` is served when `metrics_addr` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .map(|l| l.local_addr().expect("a bound listener has an address"))
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Serves, with the e-mail worker, until `shutdown` completes; in-flight requests and
    /// e-mails being sent finish first (unsent mail stays queued for the next start).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = crate::web::router(self.state.clone());
        // So the first sign-in with an unknown e-mail is not faster than the ones after it.
        tokio::spawn(crate::auth::password::warm_up());
        let metrics = match self.metrics_listener {
            Some(listener) => {
                tracing::info!(addr = %listener.local_addr()?, "metrics are served here");
                let metrics_router = crate::web::metrics::router(self.state.clone());
                Some(tokio::spawn(
                    axum::serve(listener, metrics_router).into_future(),
                ))
            }
            None => None,
        };
        let (stop_worker, worker_stop) = tokio::sync::watch::channel(false);
        let worker = self.worker.map(|config| {
            crate::email::spawn_worker_with(self.state.app(), self.mailer, config, worker_stop)
        });
        tracing::info!(addr = %self.listener.local_addr()?, "dxready is listening");
        let served = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_worker.send(true);
        })
        .await;
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        // Also reached when serving failed: the dropped sender stops the worker.
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        crate::db::at_clean_stop(&self.state.db).await;
        served?;
        Ok(())
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
