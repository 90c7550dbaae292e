//! The outbox worker started by `dxready serve`: claims due messages, renders them with the
//! stored result, sends them and records the outcome.
//!
//! A row is marked sent only after the SMTP server accepted the message. A transient failure
//! is retried with exponential backoff and jitter; a 5xx reply, or the last attempt, marks it
//! failed with the server's error. Claims go through `db::outbox::claim`, so several `serve`
//! processes on one PostgreSQL database never hold the same message at once.
//!
//! Delivery is at least once: a claim is a short lease that the worker renews while it works
//! on the batch, so a worker that dies loses its claims within one lease and another worker
//! (or the restarted one) sends them. A message the SMTP server accepted just before the
//! crash is then sent again, with the same Message-ID (`message::outbox_message_id`).

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use lettre::message::Mailbox;
use rand::Rng;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::message::{self, AttachedFile, Envelope};
use super::render::{self, Report};
use super::transport::{Mailer, SendError};
use crate::db::outbox::{self, Kind, OutboxMessage};
use crate::db::reassessment;
use crate::domain::Lang;
use crate::domain::questionnaire::ConsentPurpose;
use crate::telemetry::redact_personal;
use crate::usecases::App;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Names this worker in `locked_by`; unique per process.
    pub worker_id: String,
    /// Messages claimed (and sent concurrently) at a time.
    pub batch: u64,
    /// How long a claim holds unless renewed. A live worker renews its claims every quarter
    /// of this while it works on them, so a slow batch keeps them; a worker that died loses
    /// them after at most this long, and another worker (or the restarted one) takes them.
    pub lease: Duration,
    /// How often to look for due messages when nothing wakes the worker.
    pub poll: Duration,
    /// The first retry waits about this long; each further one twice as long (±20 %).
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// After this many attempts a transient failure becomes `failed`.
    pub max_attempts: i32,
    /// How often the worker queues the reminders that fell due (`usecases::reminders`); also
    /// once when it starts.
    pub reminders_every: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            worker_id: default_worker_id(),
            batch: 16,
            // With the 5 s poll: a crashed worker's mail goes out within about 25 s.
            lease: Duration::from_secs(20),
            poll: Duration::from_secs(5),
            backoff_base: Duration::from_secs(30),
            backoff_cap: Duration::from_secs(6 * 3600),
            max_attempts: 8,
            reminders_every: Duration::from_secs(3600),
        }
    }
}

/// Host, process and a random suffix: two workers never share an id.
pub fn default_worker_id() -> String {
    let host = hostname_or_local();
    let suffix: u32 = rand::rng().random();
    format!("{host}:{}:{suffix:08x}", std::process::id())
        .chars()
        .take(64)
        .collect()
}

fn hostname_or_local() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "dxready".into())
}

/// Delay before the next try after `attempts` tries: base × 2^(attempts−1), ±20 %, capped.
pub fn backoff(config: &WorkerConfig, attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    let raw = config.backoff_base.as_secs_f64() * f64::from(1u32 << exp);
    let capped = raw.min(config.backoff_cap.as_secs_f64());
    let jitter = rand::rng().random_range(0.8..=1.2);
    Duration::from_secs_f64((capped * jitter).min(config.backoff_cap.as_secs_f64()))
}

/// Starts the worker with the default settings and the transport from `state.settings`.
pub fn spawn_worker(
    state: Arc<App>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<JoinHandle<()>> {
    let mailer =
        Mailer::from_settings(state.settings.smtp_url.as_deref(), &state.settings.mail_dir)?;
    Ok(spawn_worker_with(
        state,
        mailer,
        WorkerConfig::default(),
        shutdown,
    ))
}

/// Starts the worker. It stops when `shutdown` turns true (or its sender is dropped), after
/// the sends in progress have finished; messages claimed but not started go back to the queue.
pub fn spawn_worker_with(
    state: Arc<App>,
    mailer: Mailer,
    config: WorkerConfig,
    mut shutdown: watch::Receiver<bool>,
) -> JoinHandle<()> {
    let sender = match message::parse_sender(&state.settings.mail_from) {
        Ok(sender) => Some(Arc::new(sender)),
        Err(e) => {
            tracing::error!(error = %e, "e-mail is off: DXREADY_MAIL_FROM is not an address");
            None
        }
    };
    tokio::spawn(async move {
        let Some(sender) = sender else {
            let _ = shutdown.wait_for(|stop| *stop).await;
            return;
        };
        tracing::info!(worker = %config.worker_id, transport = %mailer.describe(), "e-mail worker started");
        let worker = Worker {
            state,
            mailer,
            config: Arc::new(config),
            sender,
        };
        worker.run(shutdown).await;
    })
}

#[derive(Clone)]
struct Worker {
    state: Arc<App>,
    mailer: Mailer,
    config: Arc<WorkerConfig>,
    sender: Arc<Mailbox>,
}

fn stopping(shutdown: &watch::Receiver<bool>) -> bool {
    *shutdown.borrow() || shutdown.has_changed().is_err()
}

impl Worker {
    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let wakeup = self.state.outbox_wakeup.clone();
        let mut reminders_due = tokio::time::Instant::now();
        while !stopping(&shutdown) {
            if tokio::time::Instant::now() >= reminders_due {
                reminders_due = tokio::time::Instant::now() + self.config.reminders_every;
                match crate::usecases::reminders::queue_due(&self.state).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(n, "re-assessment reminders queued"),
                    Err(e) => tracing::warn!(error = %e, "cannot queue the reminders"),
                }
            }
            // Registered before claiming, so a wake-up during the claim is not lost.
            let notified = wakeup.notified();
            let claimed = match outbox::claim(
                &self.state.db,
                &self.config.worker_id,
                self.config.batch,
                self.config.lease,
            )
            .await
            {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the outbox");
                    Vec::new()
                }
            };
            tracing::debug!(n = claimed.len(), "claimed");
            if claimed.is_empty() {
                tokio::select! {
                    () = notified => {}
                    () = tokio::time::sleep(self.config.poll) => {}
                    _ = shutdown.changed() => {}
                }
                continue;
            }
            self.deliver_batch(claimed, &shutdown).await;
        }
        tracing::info!(worker = %self.config.worker_id, "e-mail worker stopped");
    }

    async fn deliver_batch(&self, claimed: Vec<OutboxMessage>, shutdown: &watch::Receiver<bool>) {
        let mut tasks = JoinSet::new();
        let mut ids = Vec::with_capacity(claimed.len());
        for msg in claimed {
            if stopping(shutdown) {
                if let Err(e) =
                    outbox::release(&self.state.db, msg.id, &self.config.worker_id).await
                {
                    tracing::warn!(id = msg.id, error = %e, "cannot release a claimed message");
                }
                continue;
            }
            let worker = self.clone();
            ids.push(msg.id);
            tasks.spawn(async move { worker.deliver(msg).await });
        }
        // The heartbeat: renew the claims while they are being worked on.
        let mut renew = tokio::time::interval(self.config.lease / 4);
        renew.tick().await;
        loop {
            tokio::select! {
                next = tasks.join_next() => {
                    if next.is_none() {
                        break;
                    }
                }
                _ = renew.tick() => {
                    if let Err(e) = outbox::renew(
                        &self.state.db,
                        &self.config.worker_id,
                        &ids,
                        self.config.lease,
                    )
                    .await
                    {
                        tracing::warn!(error = %e, "cannot renew the outbox claims");
                    }
                }
            }
        }
    }

    async fn deliver(&self, msg: OutboxMessage) {
        let id = msg.id;
        let attempts = msg.attempts;
        let db = &self.state.db;
        let me = &self.config.worker_id;
        let outcome = self.send(msg).await;
        let recorded = match &outcome {
            Ok(message_id) => {
                tracing::info!(id, "e-mail sent");
                outbox::mark_sent(db, id, me, message_id).await
            }
            Err(e) if e.is_permanent() => {
                tracing::warn!(id, error = %e, "e-mail failed for good");
                outbox::mark_failed(db, id, me, &redact_personal(e.message())).await
            }
            Err(e) if attempts >= self.config.max_attempts => {
                tracing::warn!(id, attempts, error = %e, "e-mail failed: no attempts left");
                let text = format!("{} (gave up after {attempts} attempts)", e.message());
                outbox::mark_failed(db, id, me, &redact_personal(&text)).await
            }
            Err(e) => {
                let wait = backoff(&self.config, attempts);
                tracing::info!(id, attempts, retry_in_s = wait.as_secs(), error = %e, "e-mail will be retried");
                let next = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                outbox::mark_retry(db, id, me, next, &redact_personal(e.message())).await
            }
        };
        match recorded {
            Ok(true) => {}
            Ok(false) => tracing::warn!(id, "outbox row was taken over by another worker"),
            Err(e) => tracing::error!(id, error = %e, "cannot record the e-mail outcome"),
        }
    }

    /// Renders and sends one message; answers its Message-ID.
    async fn send(&self, msg: OutboxMessage) -> Result<String, SendError> {
        let lang = Lang::parse(&msg.lang).unwrap_or_default();
        let token = msg
            .token
            .clone()
            .ok_or_else(|| SendError::Permanent("the message has no link token".into()))?;
        let base_url = self.state.base_url.clone();
        let from = self.sender.email.to_string();
        let (rendered, attachment, unsubscribe) = match Kind::parse(&msg.kind) {
            Some(Kind::ResumeLink) => (
                render::resume_link(lang, &base_url, &token, &from),
                None,
                None,
            ),
            Some(Kind::RoadmapReport) => {
                let response_id = msg
                    .response_id
                    .ok_or_else(|| SendError::Permanent("report without a response".into()))?;
                let result = crate::db::responses::find_result_by_id(
                    &self.state.db,
                    &self.state.questionnaires,
                    response_id,
                )
                .await
                .map_err(|e| SendError::Transient(format!("cannot load the result: {e}")))?
                .ok_or_else(|| SendError::Permanent("the response no longer exists".into()))?;
                if !result.consents.contains(&ConsentPurpose::EmailReport) {
                    return Err(SendError::Permanent(
                        "consent to e-mail the report was withdrawn".into(),
                    ));
                }
                let history = reassessment::earlier_results(&self.state.db, response_id)
                    .await
                    .map_err(|e| SendError::Transient(format!("cannot load the progress: {e}")))?;
                let def = result.definition.clone();
                // Rendering the PDF is CPU work: off the async threads, below their priority.
                let (rendered, pdf) = super::background::run(move || {
                    let report = Report {
                        def: &def,
                        result: &result,
                        lang,
                        base_url: &base_url,
                        token: &token,
                        sender: &from,
                    };
                    (
                        render::roadmap_report_with(&report, &history),
                        super::pdf::roadmap_pdf_with(&report, &history),
                    )
                })
                .await
                .ok_or_else(|| SendError::Transient("the renderer stopped".into()))?;
                let filename = match lang {
                    Lang::Vi => "lo-trinh-chuyen-doi-so.pdf",
                    Lang::En => "digital-roadmap.pdf",
                };
                let unsubscribe = format!(
                    "{}/r/{}/withdraw",
                    self.state.base_url,
                    msg.token.as_deref().unwrap_or_default()
                );
                (
                    rendered,
                    Some(AttachedFile {
                        filename: filename.into(),
                        content: pdf,
                        content_type: "application/pdf",
                    }),
                    Some(unsubscribe),
                )
            }
            Some(kind @ (Kind::Invitation | Kind::ReassessReminder)) => {
                let (rendered, withdraw_url) = self.retake(&msg, kind, lang, &token).await?;
                (rendered, None, Some(withdraw_url))
            }
            None => {
                return Err(SendError::Permanent(format!(
                    "unknown message kind {:?}",
                    msg.kind
                )));
            }
        };
        let envelope = Envelope {
            from: &self.sender,
            to: &msg.recipient,
            unsubscribe_url: unsubscribe.as_deref(),
        };
        let message_id = message::outbox_message_id(msg.id, msg.created_at, &self.sender);
        let (message, message_id) =
            message::build_with_id(&envelope, message_id, &rendered, attachment)
                .map_err(|e| SendError::Permanent(e.to_string()))?;
        self.mailer.send(message).await?;
        Ok(message_id)
    }
}

impl Worker {
    /// Renders an invitation or a reminder, after checking that the consent it rests on is
    /// still in force (it may have been withdrawn since it was queued); answers it with its
    /// withdraw link.
    async fn retake(
        &self,
        msg: &OutboxMessage,
        kind: Kind,
        lang: Lang,
        token: &str,
    ) -> Result<(render::Rendered, String), SendError> {
        let db = &self.state.db;
        let unreadable = |e: crate::db::Error| SendError::Transient(format!("cannot load: {e}"));
        let response_id = msg
            .response_id
            .ok_or_else(|| SendError::Permanent("a re-take link without a response".into()))?;
        let purpose = match kind {
            Kind::ReassessReminder => ConsentPurpose::ReassessReminder,
            _ => ConsentPurpose::Followup,
        };
        if !reassessment::consent_in_force(db, response_id, purpose)
            .await
            .map_err(unreadable)?
        {
            return Err(SendError::Permanent(format!(
                "consent {} was withdrawn",
                purpose.as_str()
            )));
        }
        let link = reassessment::link_of_message(db, msg.id)
            .await
            .map_err(unreadable)?
            .ok_or_else(|| SendError::Permanent("the re-take link no longer exists".into()))?;
        let earlier =
            crate::db::responses::find_result_by_id(db, &self.state.questionnaires, response_id)
                .await
                .map_err(unreadable)?
                .ok_or_else(|| SendError::Permanent("the response no longer exists".into()))?;
        let reason = match kind {
            Kind::ReassessReminder => render::RetakeReason::Reminder,
            _ => render::RetakeReason::Invitation {
                agency: link.sender_name.as_deref(),
            },
        };
        let withdraw_token = reassessment::withdraw_token_for(token);
        let mail = render::RetakeMail {
            reason,
            lang,
            base_url: &self.state.base_url,
            questionnaire_id: &earlier.questionnaire_id,
            token,
            withdraw_token: &withdraw_token,
            business_name: earlier.business_name.as_deref(),
            last_assessed: earlier.submitted_at,
            expires_at: link.expires_at,
            sender: self.sender.email.as_ref(),
        };
        Ok((render::retake(&mail), mail.withdraw_url()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        let config = WorkerConfig {
            backoff_base: Duration::from_secs(30),
            backoff_cap: Duration::from_secs(3600),
            ..WorkerConfig::default()
        };
        for _ in 0..50 {
            let first = backoff(&config, 1).as_secs_f64();
            assert!((24.0..=36.0).contains(&first), "{first}");
            let third = backoff(&config, 3).as_secs_f64();
            assert!((96.0..=144.0).contains(&third), "{third}");
            assert!(backoff(&config, 30).as_secs_f64() <= 3600.0);
        }
        assert_ne!(default_worker_id(), default_worker_id());
    }
}
