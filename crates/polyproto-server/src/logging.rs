//! Logging with `tracing`: text or JSON lines on stderr, filtered by `RUST_LOG` or the
//! configured level. Nothing secret is ever logged: tokens, passwords and keys have no
//! `Display` and their `Debug` hides them.

use tracing_subscriber::EnvFilter;

use crate::config::LogSettings;

/// Installs the global subscriber. Later calls do nothing (tests start many servers).
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&settings.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if settings.json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    drop(result);
}
