//! `GET /healthz`: liveness and storage check for operators and load balancers. 200 when the
//! database answers, 503 otherwise.

use serde::{Deserialize, Serialize};

use super::{Auth, Method, Route};

/// The route.
pub const ROUTE: Route = Route {
    name: "health",
    method: Method::Get,
    path: "/healthz",
    success: 200,
    auth: Auth::None,
    seed: None,
    spec: "operations (not part of polyproto)",
};

/// The answer body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// `ok`.
    pub status: String,
    /// The server's domain.
    pub domain: String,
    /// The server's version.
    pub version: String,
}
