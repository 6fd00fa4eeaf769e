//! `DELETE /.p2/core/v1/session?sessionId=`: end one of the caller's sessions, a sensitive
//! action (core API v1, reference SDK `delete_session`; docs/wire-contract.md §1.2). 204, no body.

use serde::{Deserialize, Serialize};

use super::{Auth, Method, Route};
use crate::names::SessionId;

/// The route.
pub const ROUTE: Route = Route {
    name: "delete_session",
    method: Method::Delete,
    path: "/.p2/core/v1/session",
    success: 204,
    auth: Auth::BearerSensitive,
    seed: None,
    spec: "docs/wire-contract.md §1.2; openapi-core DELETE /session",
};

/// The query string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// The session to end (the reference SDK's name; the OpenAPI file says `session_id`).
    #[serde(rename = "sessionId", alias = "session_id")]
    pub session_id: SessionId,
}
