//! Settings. Every setting is an environment variable with a matching flag (clap `env`), and the
//! defaults make `dxready serve` work on a fresh machine with nothing else installed.

use std::net::{IpAddr, SocketAddr};
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

    /// Reverse proxies whose `X-Forwarded-For` is believed (comma-separated addresses or CIDR
    /// ranges, e.g. `127.0.0.1,10.0.0.0/8`). Only a request whose peer is one of them has its
    /// client address taken from that header; when unset, the header is ignored.
    #[arg(long, env = "DXREADY_TRUSTED_PROXIES", value_delimiter = ',', value_parser = IpRange::parse)]
    pub trusted_proxies: Vec<IpRange>,

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

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::IpRange;

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
