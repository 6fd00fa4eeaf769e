//! `POST /.p2/core/v1/session/trust`: sign in with a password, starting a session
//! (seed-era auth routes; docs/wire-contract.md §1.3).
//!
//! With a `csr` the session gets its ID-Cert at once. Without one the answer is a token for a
//! *pending* session whose only allowed call is its first `POST /.p2/core/v1/idcert` (the
//! reference SDK's flow).

use serde::{Deserialize, Serialize};

use super::{Auth, AuthPayload, Method, Route};

/// The route.
pub const ROUTE: Route = Route {
    name: "create_session",
    method: Method::Post,
    path: "/.p2/core/v1/session/trust",
    success: 201,
    auth: Auth::None,
    seed: None,
    spec: "docs/wire-contract.md §1.3; spec/seed-era-auth-routes-no-registration.md",
};

/// The request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The actor's local name.
    pub actor_name: String,
    /// The password.
    pub auth_payload: AuthPayload,
    /// An ID-CSR (PEM) for the new session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csr: Option<String>,
}

/// The answer: 201 with the token, and the ID-Cert if a CSR was sent.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The bearer token of the new session.
    pub token: String,
    /// The ID-Cert (PEM), OpenAPI name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_cert: Option<String>,
    /// The ID-Cert (PEM), reference SDK name.
    #[serde(rename = "idCert", default, skip_serializing_if = "Option::is_none")]
    pub id_cert_camel: Option<String>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("token", &"<hidden>")
            .field("id_cert", &self.id_cert)
            .finish()
    }
}
