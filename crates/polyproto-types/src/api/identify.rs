//! `POST /.p2/core/v1/session/identify` (and `POST /.p2/core/v1/session/auth`): a foreign
//! actor proves possession of its ID-Cert's key by a signed challenge and gets a token for a
//! foreign session (polyproto core §4.1.1; docs/wire-contract.md §1.3, §3.3).

use serde::{Deserialize, Serialize};

use super::{Auth, AuthPayload, Method, Route};
use crate::challenge::CompletedChallenge;

/// The seed-era route.
pub const ROUTE: Route = Route {
    name: "identify",
    method: Method::Post,
    path: "/.p2/core/v1/session/identify",
    success: 201,
    auth: Auth::None,
    seed: None,
    spec: "polyproto core §4.1.1; docs/wire-contract.md §1.3, §3.3",
};

/// The modern route, same behaviour.
pub const ALIAS: Route = Route {
    name: "identify.session_auth",
    method: Method::Post,
    path: "/.p2/core/v1/session/auth",
    ..ROUTE
};

/// The request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The challenge from `GET /.p2/core/v1/challenge`, signed with the session key.
    pub completed_challenge: CompletedChallenge,
    /// The actor's ID-Cert (PEM or base64 DER) for that key.
    pub id_cert: String,
    /// Unused by this server; accepted for compatibility with the seed-era form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_payload: Option<AuthPayload>,
}

/// The answer: 201 with the foreign session's token.
pub type Response = super::TokenResponse;
