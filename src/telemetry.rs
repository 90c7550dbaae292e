//! Structured logs with tracing. `RUST_LOG` picks the level; `DXREADY_LOG_FORMAT=json` switches to
//! one JSON object per line for log shippers.

use tracing_subscriber::{EnvFilter, fmt};

pub fn init() {
    init_with_default("info,sqlx=warn,sea_orm=warn,tower_sessions=warn");
}

/// Like [`init`] with another default level (tests keep quiet unless `RUST_LOG` says otherwise).
pub fn init_with_default(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = std::env::var("DXREADY_LOG_FORMAT").is_ok_and(|f| f == "json");
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // try_init: tests call this more than once per process.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
