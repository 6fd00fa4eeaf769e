//! A real home server in-process on a random loopback port, on SQLite or on a fresh
//! PostgreSQL database, and [`on_both_backends!`](crate::on_both_backends).

use std::sync::Once;

use polyproto_server::clock::Clock;
use polyproto_server::{Config, Server};
use polyproto_types::FederationId;
use sea_orm::ConnectionTrait as _;

/// The environment variable holding a PostgreSQL URL for the PostgreSQL runs.
pub const POSTGRES_URL_VAR: &str = "POLYPROTO_TEST_POSTGRES_URL";
/// When set (CI sets it), a missing PostgreSQL URL fails the tests instead of skipping them.
pub const REQUIRE_POSTGRES_VAR: &str = "POLYPROTO_TEST_REQUIRE_POSTGRES";
/// The password every test actor gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: a SQLite file in the server's temporary data directory.
    Sqlite,
    /// A fresh database on `POLYPROTO_TEST_POSTGRES_URL`'s server, dropped afterwards.
    Postgres,
}

/// Generates two tests per named function, `sqlite::name` and `postgres::name`:
///
/// - `on_both_backends!(a, b)` or `on_both_backends! { backend: [a, b] }`: each
///   `async fn a(backend: Backend)` starts the servers it needs itself (custom
///   configurations, several servers, restarts);
/// - `on_both_backends! { server: [c, d] }`: each `async fn c(server: &TestServer)` gets a
///   server with the test defaults, started before and stopped after it (a PostgreSQL run is
///   skipped, with the reason printed, when no PostgreSQL is configured).
///
/// Both lists may be given, `backend` first. A test that panics still drops its PostgreSQL
/// database.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $crate::on_both_backends! { backend: [$($name),*] }
    };
    (backend: [$($backend:ident),* $(,)?] $(,)?) => {
        $crate::on_both_backends! { backend: [$($backend),*], server: [] }
    };
    (server: [$($server:ident),* $(,)?] $(,)?) => {
        $crate::on_both_backends! { backend: [], server: [$($server),*] }
    };
    (backend: [$($backend:ident),* $(,)?], server: [$($server:ident),* $(,)?] $(,)?) => {
        $crate::on_both_backends!(@module sqlite, Sqlite, [$($backend),*], [$($server),*]);
        $crate::on_both_backends!(@module postgres, Postgres, [$($backend),*], [$($server),*]);
    };
    (@module $module:ident, $kind:ident, [$($backend:ident),*], [$($server:ident),*]) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $backend() {
                    super::$backend($crate::Backend::$kind).await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $server() {
                    let Some(server) = $crate::TestServer::start($crate::Backend::$kind).await
                    else {
                        return;
                    };
                    super::$server(&server).await;
                    server.stop().await;
                }
            )*
        }
    };
}

/// A PostgreSQL database made for one test server, dropped with it: also when the test
/// panics, so failed runs leave no databases behind.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

/// A running test server.
pub struct TestServer {
    server: Option<Server>,
    /// The configuration it was started with.
    pub config: Config,
    /// The clock it reads the time from, kept across restarts.
    clock: Clock,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// An HTTP client for it.
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
    pg: Option<PgDatabase>,
}

static LOGGING: Once = Once::new();

impl TestServer {
    /// A server with the test defaults, or `None` (with the reason printed) when the backend is
    /// PostgreSQL and no URL is configured.
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, |_| {}).await
    }

    /// As [`TestServer::start`], with the configuration adjusted by `tweak`.
    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<Self> {
        Self::start_with_clock(backend, Clock::default(), tweak).await
    }

    /// As [`TestServer::start_with`], the server reading the time from `clock` (for example
    /// [`Clock::behind`], to move it forward later and still agree with the system time).
    pub async fn start_with_clock(
        backend: Backend,
        clock: Clock,
        tweak: impl FnOnce(&mut Config),
    ) -> Option<Self> {
        LOGGING.call_once(|| {
            let level = std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_owned());
            polyproto_server::logging::init(&polyproto_server::config::LogSettings {
                level,
                json: false,
            });
        });
        let dir = tempfile::tempdir().expect("temp dir");
        let pg = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(PgDatabase::create().await?),
        };
        let mut config = Config {
            bind: vec!["127.0.0.1:0".parse().expect("address")],
            data_dir: dir.path().join("data"),
            database_url: pg.as_ref().map(|p| p.url.clone()),
            workers: Some(2),
            ..Config::default()
        };
        config.accounts.max_concurrent_password_hashes = Some(4);
        tweak(&mut config);
        config.validate().expect("test configuration");
        let server = Server::start_with_clock(config.clone(), clock.clone())
            .await
            .expect("server starts");
        let url = server.url();
        let http = reqwest::Client::builder().build().expect("client");
        Some(Self {
            server: Some(server),
            config,
            clock,
            url,
            http,
            _dir: dir,
            pg,
        })
    }

    /// Stops the server and starts it again on the same database and configuration (new port).
    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        let server = Server::start_with_clock(self.config.clone(), self.clock.clone())
            .await
            .expect("server restarts");
        self.url = server.url();
        self.server = Some(server);
    }

    /// The running server.
    pub fn server(&self) -> &Server {
        self.server.as_ref().expect("running")
    }

    /// Stops the server and drops its PostgreSQL database.
    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        if let Some(pg) = self.pg.take() {
            pg.drop_database().await;
        }
    }

    /// The name of the server's PostgreSQL database, when it runs on one.
    pub fn database_name(&self) -> Option<&str> {
        self.pg.as_ref().map(|pg| pg.name.as_str())
    }

    /// Grants administrator rights directly through the services.
    pub async fn grant_admin(&self, fid: &FederationId) {
        self.server()
            .services()
            .accounts
            .set_admin(fid.local_name(), true)
            .await
            .expect("grant");
    }

    /// The server's current signing key, read from its database (for making fixtures).
    pub async fn signing_key(&self) -> ed25519_dalek::SigningKey {
        use polyproto_server::storage::entities::server_key;
        use sea_orm::{EntityTrait as _, QueryOrder as _};
        let db = sea_orm::Database::connect(self.config.database_url().as_str())
            .await
            .expect("database");
        let row = server_key::Entity::find()
            .order_by_desc(server_key::Column::Id)
            .one(&db)
            .await
            .expect("query")
            .expect("a server key");
        db.close().await.ok();
        let seed: [u8; 32] = row.secret.as_slice().try_into().expect("32 bytes");
        ed25519_dalek::SigningKey::from_bytes(&seed)
    }

    /// The server's clock: tests move it forward with [`Clock::advance`] instead of sleeping.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The server's domain.
    pub fn domain(&self) -> &str {
        &self.config.domain
    }
}

impl PgDatabase {
    /// A fresh database on the configured server, or `None` with the reason printed.
    async fn create() -> Option<Self> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            assert!(
                std::env::var_os(REQUIRE_POSTGRES_VAR).is_none(),
                "{REQUIRE_POSTGRES_VAR} is set but {POSTGRES_URL_VAR} is not"
            );
            eprintln!(
                "skipping the PostgreSQL run: set {POSTGRES_URL_VAR} (e.g. postgres://postgres@127.0.0.1:5432/test) to run it"
            );
            return None;
        };
        let mut suffix = [0u8; 6];
        getrandom::fill(&mut suffix).expect("randomness");
        let name = format!(
            "polyproto_test_{}",
            suffix
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let admin = sea_orm::Database::connect(admin_url.as_str())
            .await
            .expect("connect to PostgreSQL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        admin.close().await.ok();
        let (base, query) = admin_url
            .split_once('?')
            .map_or((admin_url.as_str(), None), |(b, q)| (b, Some(q)));
        let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
        let url = match query {
            Some(query) => format!("{prefix}/{name}?{query}"),
            None => format!("{prefix}/{name}"),
        };
        Some(Self {
            admin_url,
            name,
            url,
        })
    }

    async fn drop_database(mut self) {
        self.drop_now().await;
    }

    /// Drops the database if it is still there (`name` is emptied once dropped).
    async fn drop_now(&mut self) {
        if self.name.is_empty() {
            return;
        }
        let name = std::mem::take(&mut self.name);
        if let Ok(admin) = sea_orm::Database::connect(self.admin_url.as_str()).await {
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await
                .ok();
            admin.close().await.ok();
        }
    }
}

impl Drop for PgDatabase {
    /// A test that panicked never reached [`TestServer::stop`]: drop the database on a thread
    /// of its own (the test's runtime may be shutting down, and `Drop` cannot wait on it).
    fn drop(&mut self) {
        if self.name.is_empty() {
            return;
        }
        let mut pg = Self {
            admin_url: std::mem::take(&mut self.admin_url),
            name: std::mem::take(&mut self.name),
            url: std::mem::take(&mut self.url),
        };
        let dropped = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                runtime.block_on(pg.drop_now());
            }
        });
        dropped.join().ok();
    }
}
