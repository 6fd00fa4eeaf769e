//! A polyproto home server: accounts, sessions, the certificate authority for its actors'
//! ID-Certs and certificate lookups (polyproto core §4, §6), on SQLite or PostgreSQL.
//!
//! [`Server::start`] builds and runs the whole server from a [`Config`]; the binary, the
//! tests, the benchmarks and the conformance suite all start it this way.

pub mod clock;
pub mod config;
pub mod error;
pub mod federation;
mod http;
pub mod logging;
pub mod services;
pub mod storage;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

pub use config::Config;
use services::Services;
pub use services::lookups::CacheStats;

/// A running server.
pub struct Server {
    addrs: Vec<SocketAddr>,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    services: Services,
}

/// Why the server cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database cannot be opened or migrated.
    #[error("database {url}: {source}")]
    Database {
        /// The database URL, without credentials.
        url: String,
        /// The cause.
        source: sea_orm::DbErr,
    },
    /// The server identity cannot be set up.
    #[error("server identity: {0}")]
    Identity(String),
    /// No address could be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

impl Server {
    /// Opens the database (creating and migrating it), creates the server identity on first
    /// start, binds every configured address and starts serving.
    ///
    /// An address that cannot be bound is skipped with a warning as long as another one works
    /// (so the default `[::1]:8080` does not stop a machine without IPv6).
    ///
    /// # Errors
    /// [`StartError`].
    pub async fn start(config: Config) -> Result<Self, StartError> {
        Self::start_with_clock(config, clock::Clock::default()).await
    }

    /// As [`Server::start`], with the server reading the time from `clock` (tests).
    ///
    /// # Errors
    /// [`StartError`].
    pub async fn start_with_clock(config: Config, clock: clock::Clock) -> Result<Self, StartError> {
        let url = config.database_url();
        let db = storage::connect(&url)
            .await
            .map_err(|source| StartError::Database {
                url: redact(&url),
                source,
            })?;
        let mut listeners = Vec::new();
        let mut first_error = None;
        for addr in &config.bind {
            match TcpListener::bind(addr) {
                Ok(listener) => listeners.push(listener),
                Err(source) => {
                    tracing::warn!(%addr, error = %source, "cannot listen on this address; skipping it");
                    first_error.get_or_insert(StartError::Bind {
                        addr: *addr,
                        source,
                    });
                }
            }
        }
        if listeners.is_empty() {
            return Err(first_error
                .unwrap_or_else(|| StartError::Identity("no address to bind".to_owned())));
        }
        // Without a configured public URL, advertise the port actually bound (port 0 in the
        // configuration means "any").
        let mut config = config;
        if config.public_url.is_none()
            && let Some(port) = listeners
                .first()
                .and_then(|l| l.local_addr().ok())
                .map(|a| a.port())
        {
            config.public_url = Some(format!("http://{}:{port}", config.domain));
        }
        let config = Arc::new(config);
        let services = Services::with_clock(db, config.clone(), clock)
            .await
            .map_err(|e| StartError::Identity(e.to_string()))?;
        let data = web::Data::new(services.clone());
        let max_body = config.limits.max_body_bytes;
        let limits = config.limits.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(max_body))
                .app_data(http::query_config())
                .app_data(http::path_config())
                .wrap(from_fn(http::encoding::refuse_encoded_bodies))
                .wrap(from_fn(http::deadline::deadline))
                .wrap(from_fn(http::observe::observe))
                .configure(http::configure)
                .default_service(web::to(http::not_found))
        })
        .disable_signals()
        .client_request_timeout(Duration::from_secs(limits.header_timeout_secs))
        .keep_alive(Duration::from_secs(limits.keep_alive_secs))
        .max_connections(limits.max_connections_per_worker)
        .shutdown_timeout(limits.shutdown_timeout_secs);
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        let mut addrs = Vec::new();
        for listener in listeners {
            addrs.push(listener.local_addr().map_err(|source| StartError::Bind {
                addr: config.bind[0],
                source,
            })?);
            server = server.listen(listener).map_err(|source| StartError::Bind {
                addr: config.bind[0],
                source,
            })?;
        }
        let server = server.run();
        let handle = server.handle();
        let task = tokio::spawn(server);
        tracing::info!(domain = %config.domain, public_url = %config.public_url(), listening = ?addrs, database = %redact(&url), "polyproto home server started");
        Ok(Self {
            addrs,
            handle,
            task,
            services,
        })
    }

    /// The addresses the server listens on (with the real ports when port 0 was asked for).
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// `http://<first address>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addrs[0])
    }

    /// The services, for administration from the same process (tests, the CLI).
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// How often the certificate lookup cache answered, and how full it is.
    pub fn lookup_cache_stats(&self) -> CacheStats {
        self.services.lookups.stats()
    }

    /// Stops accepting connections, finishes the requests in flight and closes the database.
    pub async fn stop(self) {
        self.handle.stop(true).await;
        if let Err(e) = self
            .task
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
        {
            tracing::warn!(error = %e, "server task ended with an error");
        }
        self.services.close().await;
    }

    /// Runs until `shutdown` completes, then stops gracefully.
    pub async fn run_until(self, shutdown: impl std::future::Future<Output = ()>) {
        shutdown.await;
        tracing::info!("shutting down");
        self.stop().await;
    }
}

/// A database URL without its password, for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("sqlite://./x.db"), "sqlite://./x.db");
    }
}
