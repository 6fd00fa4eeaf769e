//! A home server set up for the suite: a foreign home server it resolves, and an
//! administrator.

use std::time::Duration;

use polyproto_conformance::runner::{Options, Runner};
use polyproto_test_support::{Backend, PASSWORD, TestServer};
use polyproto_types::FederationId;

/// The administrator the suite signs in as.
pub(crate) const ADMIN: &str = "conformance-admin";

/// The server under test and its foreign home server.
pub(crate) struct Servers {
    pub(crate) server: TestServer,
    pub(crate) foreign: TestServer,
}

impl Servers {
    /// Both servers on `backend`, or `None` when the backend is not configured.
    pub(crate) async fn start(backend: Backend) -> Option<Self> {
        let foreign =
            TestServer::start_with(backend, |c| c.domain = "foreign.localhost".to_owned()).await?;
        let foreign_url = foreign.url.clone();
        let server = TestServer::start_with(backend, |c| {
            c.domain = "home.localhost".to_owned();
            c.federation
                .resolve
                .insert("foreign.localhost".to_owned(), foreign_url);
        })
        .await?;
        let register =
            serde_json::json!({"actor_name": ADMIN, "auth_payload": {"password": PASSWORD}});
        let answer = server
            .http
            .post(format!("{}/.p2/core/v1/register", server.url))
            .json(&register)
            .send()
            .await
            .expect("register the administrator");
        assert_eq!(answer.status(), 201);
        let fid = FederationId::new(&format!("{ADMIN}@home.localhost")).expect("a FID");
        server.grant_admin(&fid).await;
        Some(Self { server, foreign })
    }

    /// A runner against the server under test, with everything the cases need.
    pub(crate) async fn runner(&self) -> Runner {
        Runner::connect(Options {
            server_url: self.server.url.clone(),
            foreign_url: Some(self.foreign.url.clone()),
            admin: Some((ADMIN.to_owned(), PASSWORD.to_owned())),
            vectors: polyproto_conformance::fixtures_dir().join("vectors"),
            timeout: Duration::from_secs(30),
        })
        .await
        .expect("the suite connects")
    }

    /// Stops both servers.
    pub(crate) async fn stop(self) {
        self.server.stop().await;
        self.foreign.stop().await;
    }
}
