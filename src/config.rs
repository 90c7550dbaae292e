//! Settings. Every setting is an environment variable with a matching flag (clap `env`), and the
//! defaults make `dxready serve` work on a fresh machine with nothing else installed.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// SQLite (embedded default) or `postgres://…`.
    #[arg(
        long,
        env = "DXREADY_DATABASE_URL",
        default_value = "sqlite://dxready.db?mode=rwc"
    )]
    pub database_url: String,
}

#[derive(Debug, Clone, Args)]
pub struct QuestionnaireSettings {
    /// Folder of questionnaire files (with its `reference/` data).
    #[arg(long, env = "DXREADY_QUESTIONNAIRES", default_value = "questionnaires")]
    pub questionnaires: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    /// Listen address.
    #[arg(long, env = "DXREADY_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    #[command(flatten)]
    pub database: DatabaseSettings,

    #[command(flatten)]
    pub questionnaires: QuestionnaireSettings,

    /// Public base URL used for links in e-mails; defaults to `http://` + the listen address.
    #[arg(long, env = "DXREADY_BASE_URL")]
    pub base_url: Option<String>,

    /// `smtp://host:port`, `smtps://user:pass@host` (add `?tls=starttls` for STARTTLS);
    /// unset means e-mails are written as `.eml` files into the mail directory.
    #[arg(long, env = "DXREADY_SMTP_URL")]
    pub smtp_url: Option<String>,

    /// Where `.eml` files go when no SMTP server is set.
    #[arg(long, env = "DXREADY_MAIL_DIR", default_value = "mail-outbox")]
    pub mail_dir: PathBuf,

    /// Sender of every e-mail.
    #[arg(
        long,
        env = "DXREADY_MAIL_FROM",
        default_value = "dxready <no-reply@localhost>"
    )]
    pub mail_from: String,

    /// Public submissions allowed per minute per client address; 0 means no limit.
    #[arg(long, env = "DXREADY_SUBMIT_RATE", default_value_t = 60)]
    pub submit_rate: u32,

    /// Optional separate address for Prometheus metrics; when unset `/metrics` requires an admin.
    #[arg(long, env = "DXREADY_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
}

impl ServeSettings {
    /// The base URL without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.base_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.addr),
        }
    }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}
