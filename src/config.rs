//! Settings. Every setting is an environment variable with a matching flag (clap `env`), and the
//! defaults make `dxready serve` work on a fresh machine with nothing else installed.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

// URLs that may carry passwords: `hide_env_values` keeps their values out of `--help`, and the
// `Debug` impls below redact them, so neither a help screen nor a logged setting shows them.

#[derive(Clone, Args)]
pub struct DatabaseSettings {
    /// SQLite (embedded default) or `postgres://…`.
    #[arg(
        long,
        env = "DXREADY_DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://dxready.db?mode=rwc"
    )]
    pub database_url: String,
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("database_url", &redact(&self.database_url))
            .finish()
    }
}

#[derive(Debug, Clone, Args)]
pub struct QuestionnaireSettings {
    /// Folder of questionnaire files (with its `reference/` data).
    #[arg(long, env = "DXREADY_QUESTIONNAIRES", default_value = "questionnaires")]
    pub questionnaires: PathBuf,
}

#[derive(Clone, Args)]
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
    #[arg(long, env = "DXREADY_SMTP_URL", hide_env_values = true)]
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

impl std::fmt::Debug for ServeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeSettings")
            .field("addr", &self.addr)
            .field("database", &self.database)
            .field("questionnaires", &self.questionnaires)
            .field("base_url", &self.base_url)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact))
            .field("mail_dir", &self.mail_dir)
            .field("mail_from", &self.mail_from)
            .field("submit_rate", &self.submit_rate)
            .field("metrics_addr", &self.metrics_addr)
            .finish()
    }
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

/// A database or SMTP URL without its credentials (user info, or a `password` in the query),
/// for messages and logs.
pub fn redact(url: &str) -> String {
    let url = match url.split_once('?') {
        Some((base, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .map(|pair| {
                    let key = pair.split('=').next().unwrap_or_default();
                    if key.to_ascii_lowercase().contains("pass") {
                        "…"
                    } else {
                        pair
                    }
                })
                .collect();
            format!("{base}?{}", kept.join("&"))
        }
        None => url.to_string(),
    };
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url,
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_drops_user_info_and_query_passwords() {
        assert_eq!(
            redact("postgres://u:secret@db:5432/x"),
            "postgres://…@db:5432/x"
        );
        assert_eq!(
            redact("postgres://db/x?user=u&password=secret&sslmode=require"),
            "postgres://db/x?user=u&…&sslmode=require"
        );
        assert_eq!(
            redact("sqlite://dxready.db?mode=rwc"),
            "sqlite://dxready.db?mode=rwc"
        );
    }
}
