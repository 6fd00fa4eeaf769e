//! Seed S1, `POST /.p2/core/v1/session/idcert`: rotate the caller's session key
//! (seed `000_…`, "Rotate session ID-Cert"; docs/wire-contract.md §1.1).
//!
//! The CSR's session ID must be the token's session. The old ID-Cert is invalidated, the old
//! token stops working and a new one is returned.

use serde::{Deserialize, Serialize};

use super::{Auth, Method, Route};

/// The seed route.
pub const SEED: Route = Route {
    name: "rotate_session_id_cert",
    method: Method::Post,
    path: "/.p2/core/v1/session/idcert",
    success: 201,
    auth: Auth::BearerSensitive,
    seed: Some("S1"),
    spec: "seed 000 \"Rotate session ID-Cert\"; polyproto core §6.1.3; docs/wire-contract.md §1.1",
};

/// The request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The ID-CSR with the session's new key, PEM.
    pub csr: String,
}

/// The answer: 201 with the new ID-Cert and token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The new ID-Cert, PEM.
    pub id_cert: String,
    /// The new bearer token; the old one no longer works.
    pub token: String,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("id_cert", &self.id_cert)
            .field("token", &"<hidden>")
            .finish()
    }
}
