//! An actor's ID-Certs, by federation ID and point in time (polyproto core §6.4, §6.4.1;
//! docs/wire-contract.md §1.1 S6, §1.2).
//!
//! - [`ROUTE`], `GET /.p2/core/v1/idcert/actor/{fid}[?notBefore=&notAfter=&sessionId=]`: a
//!   JSON array of [`crate::cache::CacheableIdCert`], RFC 8785 JCS.
//! - [`SEED`] S6, `GET /p2core/key/user/{user_id}[?timestamp=]`: a JSON array of base64 DER
//!   strings. `user_id` is the federation ID or the numeric actor ID.

use serde::{Deserialize, Serialize};

use super::{Auth, Method, Route};
use crate::names::SessionId;

/// The modern route.
pub const ROUTE: Route = Route {
    name: "get_actor_id_certs",
    method: Method::Get,
    path: "/.p2/core/v1/idcert/actor/{fid}",
    success: 200,
    auth: Auth::None,
    seed: None,
    spec: "polyproto core §6.4.1; docs/wire-contract.md §1.2, §4.3",
};

/// The seed route S6.
pub const SEED: Route = Route {
    name: "get_actor_id_certs.seed",
    path: "/p2core/key/user/{user_id}",
    seed: Some("S6"),
    spec: "seed 004 \"User ID-Cert(s)\"; docs/wire-contract.md §1.1",
    ..ROUTE
};

/// The modern route's filters. Without `notBefore`/`notAfter`, the certificates valid now;
/// with them, those whose validity overlaps `[notBefore, notAfter]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// Only certificates valid at or after this time.
    #[serde(
        rename = "notBefore",
        with = "crate::wire::option_u64_string",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub not_before: Option<u64>,
    /// Only certificates valid at or before this time.
    #[serde(
        rename = "notAfter",
        with = "crate::wire::option_u64_string",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub not_after: Option<u64>,
    /// Only this session's certificates.
    #[serde(
        rename = "sessionId",
        alias = "session_id",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub session_id: Option<SessionId>,
}

/// The modern answer.
pub type Response = Vec<crate::cache::CacheableIdCert>;

/// The seed answer: base64 DER strings.
pub type SeedResponse = Vec<String>;
