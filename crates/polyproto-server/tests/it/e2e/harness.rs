//! The test harness itself: what every other test relies on.

use polyproto_test_support::server::{POSTGRES_URL_VAR, REQUIRE_POSTGRES_VAR};
use polyproto_test_support::{Backend, TestServer};
use sea_orm::{ConnectionTrait as _, Statement};

/// A test that panics mid-way never calls `TestServer::stop`; its PostgreSQL database is
/// dropped all the same, so failed runs leave nothing behind on the shared server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_test_leaves_no_postgres_database() {
    let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
        assert!(
            std::env::var_os(REQUIRE_POSTGRES_VAR).is_none(),
            "{REQUIRE_POSTGRES_VAR} is set but {POSTGRES_URL_VAR} is not"
        );
        eprintln!("skipping: set {POSTGRES_URL_VAR} to run the PostgreSQL harness test");
        return;
    };
    let (name_tx, name_rx) = tokio::sync::oneshot::channel();
    let test = tokio::spawn(async move {
        let server = TestServer::start(Backend::Postgres).await.unwrap();
        name_tx
            .send(server.database_name().unwrap().to_owned())
            .unwrap();
        panic!("a failing test, on purpose");
    });
    assert!(test.await.unwrap_err().is_panic());
    let name = name_rx.await.unwrap();
    let admin = sea_orm::Database::connect(admin_url.as_str())
        .await
        .unwrap();
    let left = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT datname FROM pg_database WHERE datname = '{name}'"),
        ))
        .await
        .unwrap();
    admin.close().await.ok();
    assert!(left.is_empty(), "database {name} is still there");
}
