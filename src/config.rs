//! Settings. Every setting is an environment variable with a matching flag (clap `env`), and the
//! defaults make `dxready serve` work on a fresh machine with nothing else installed.

use std::net::{IpAddr, SocketAddr};
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

    /// Reverse proxies whose `X-Forwarded-For` is believed (comma-separated addresses or CIDR
    /// ranges, e.g. `127.0.0.1,10.0.0.0/8`). Only a request whose peer is one of them has its
    /// client address taken from that header; when unset, the header is ignored.
    #[arg(long, env = "DXREADY_TRUSTED_PROXIES", value_delimiter = ',', value_parser = IpRange::parse)]
    pub trusted_proxies: Vec<IpRange>,

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

/// An address or a CIDR range of addresses (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    pub fn parse(text: &str) -> Result<IpRange, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or CIDR range"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?}: the prefix length must be 0 to {max}"))?,
            None => max,
        };
        Ok(IpRange { network, prefix })
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        // An IPv4 peer may arrive as an IPv4-mapped IPv6 address on a dual-stack socket.
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 @ IpAddr::V4(_) => v4,
        };
        match (self.network, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(a) & mask
            }
            _ => false,
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
    use super::{IpRange, redact};

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

    #[test]
    fn ranges_contain_their_addresses_only() {
        let ten = IpRange::parse("10.0.0.0/8").unwrap();
        assert!(ten.contains("10.255.1.2".parse().unwrap()));
        assert!(!ten.contains("11.0.0.1".parse().unwrap()));
        assert!(
            ten.contains("::ffff:10.1.2.3".parse().unwrap()),
            "IPv4-mapped"
        );
        let one = IpRange::parse(" 127.0.0.1 ").unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        let v6 = IpRange::parse("fd00::/8").unwrap();
        assert!(v6.contains("fd12::1".parse().unwrap()));
        assert!(!v6.contains("fe80::1".parse().unwrap()));
        assert!(
            IpRange::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        for bad in ["", "10.0.0.0/33", "example.com", "10.0.0.0/x", "::/129"] {
            assert!(IpRange::parse(bad).is_err(), "{bad:?}");
        }
    }
}
