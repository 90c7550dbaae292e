//! Where e-mails go: an SMTP server from `DXREADY_SMTP_URL`, or `.eml` files in
//! `DXREADY_MAIL_DIR` when no server is set (the embedded default needs no mail server).

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::PoolConfig;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, FileTransport, Message, Tokio1Executor, Transport,
};

/// How long one SMTP conversation may take before it counts as a transient failure. The worker
/// renews its claim meanwhile, so this also bounds how long a hung server holds a message.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(FileTransport, PathBuf),
}

/// Why a send failed, and whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The server refused the message for good (a 5xx reply): retrying cannot help.
    #[error("permanent: {0}")]
    Permanent(String),
    /// Connection trouble, a timeout or a 4xx reply: try again later.
    #[error("transient: {0}")]
    Transient(String),
}

impl SendError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, SendError::Permanent(_))
    }

    pub fn message(&self) -> &str {
        match self {
            SendError::Permanent(m) | SendError::Transient(m) => m,
        }
    }
}

impl Mailer {
    /// Builds the transport from the settings. `smtp_url` takes `smtp://host[:port]` (plain, for
    /// local sinks), `smtp://…?tls=starttls` (or lettre's `required`/`opportunistic`) and
    /// `smtps://user:pass@host[:port]` (implicit TLS); credentials come from the URL's userinfo.
    pub fn from_settings(smtp_url: Option<&str>, mail_dir: &Path) -> anyhow::Result<Mailer> {
        match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => Ok(Mailer::Smtp(smtp_transport(url)?)),
            None => Ok(Mailer::File(
                FileTransport::new(mail_dir),
                mail_dir.to_path_buf(),
            )),
        }
    }

    /// Hands the message over. `Ok` means the SMTP server accepted it (or the file is written).
    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            Mailer::Smtp(smtp) => match smtp.send(message).await {
                Ok(_) => Ok(()),
                Err(e) => Err(classify(&e)),
            },
            Mailer::File(file, dir) => {
                // Formatting the message and creating its file is deferred work like rendering
                // the report: it runs on the same low-priority thread, not beside requests.
                let (file, dir) = (file.clone(), dir.clone());
                super::background::run(move || {
                    std::fs::create_dir_all(&dir).map_err(|e| {
                        SendError::Transient(format!("cannot create {}: {e}", dir.display()))
                    })?;
                    file.send(&message)
                        .map(|_| ())
                        .map_err(|e| SendError::Transient(e.to_string()))
                })
                .await
                .unwrap_or_else(|| Err(SendError::Transient("the mail thread stopped".into())))
            }
        }
    }

    /// Says where mail goes, without credentials, for the startup log.
    pub fn describe(&self) -> String {
        match self {
            Mailer::Smtp(_) => "SMTP".into(),
            Mailer::File(_, dir) => format!(".eml files in {}", dir.display()),
        }
    }
}

fn smtp_transport(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let mut parsed =
        url::Url::parse(url).map_err(|e| anyhow::anyhow!("DXREADY_SMTP_URL is not a URL: {e}"))?;
    // lettre calls STARTTLS `required`; accept the plainer name too.
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "tls" && v.eq_ignore_ascii_case("starttls") {
                "required".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    if pairs.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(parsed.as_str()).map_err(|e| {
        anyhow::anyhow!(
            "DXREADY_SMTP_URL {} is not usable: {e}",
            crate::config::redact(url)
        )
    })?;
    Ok(builder
        .timeout(Some(SMTP_TIMEOUT))
        .pool_config(PoolConfig::new().max_size(8))
        .build())
}

/// 5xx replies are permanent; everything else (refused connection, timeout, TLS trouble, 4xx)
/// may pass on a later attempt.
fn classify(error: &lettre::transport::smtp::Error) -> SendError {
    let text = error_chain(error);
    if error.is_permanent() {
        SendError::Permanent(text)
    } else {
        SendError::Transient(text)
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    // The SMTP pool spawns its cleanup task, so it needs a runtime.
    #[tokio::test]
    async fn accepts_the_documented_url_forms() {
        let dir = Path::new("unused");
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://mail.example.com?tls=starttls",
            "smtp://user:p%40ss@mail.example.com:587?tls=required",
            "smtps://user:pass@mail.example.com",
            "smtps://user:pass@mail.example.com:465",
        ] {
            let mailer = Mailer::from_settings(Some(url), dir).expect(url);
            assert!(matches!(mailer, Mailer::Smtp(_)), "{url}");
        }
        assert!(matches!(
            Mailer::from_settings(None, dir).unwrap(),
            Mailer::File(..)
        ));
        assert!(matches!(
            Mailer::from_settings(Some("  "), dir).unwrap(),
            Mailer::File(..)
        ));
    }

    #[test]
    fn refuses_unknown_schemes_without_leaking_passwords() {
        let err = Mailer::from_settings(Some("http://user:secret@host"), Path::new("x"))
            .err()
            .expect("refused")
            .to_string();
        assert!(!err.contains("secret"), "{err}");
        assert!(Mailer::from_settings(Some("smtp://host?tls=bogus"), Path::new("x")).is_err());
    }

    #[tokio::test]
    async fn accepts_smtps_starttls_and_login_from_the_url() {
        for url in [
            "smtps://user:pa%40ss@mail.example.vn",
            "smtp://user:pass@mail.example.vn:587?tls=starttls",
            "smtp://127.0.0.1:2525",
        ] {
            let mailer = Mailer::from_settings(Some(url), Path::new("x"))
                .unwrap_or_else(|e| panic!("{url}: {e}"));
            assert_eq!(mailer.describe(), "SMTP", "{url}");
        }
    }
}
