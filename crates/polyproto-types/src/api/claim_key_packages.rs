//! Claim one KeyPackage per live session of an actor, to add it to an MLS group
//! (polyproto-mls; RFC 9420 §16.8; docs/wire-contract.md §1.1 S8, §1.2, §5.2).
//!
//! - [`ROUTE`], `GET /.p2/mls/v1/keypackages/{fid}[?ciphersuites=]`.
//! - [`SEED`] S8, `GET /p2core/keypackage/{user_id}` (federation ID or numeric actor ID).
//!
//! Both answer 200 with a JSON array of base64 KeyPackages. A normal KeyPackage is handed out
//! once; a session's last-resort one only when it has no normal one left.

use serde::{Deserialize, Serialize};

use super::{Auth, Method, Route};

/// The MLS extension's route.
pub const ROUTE: Route = Route {
    name: "claim_key_packages",
    method: Method::Get,
    path: "/.p2/mls/v1/keypackages/{fid}",
    success: 200,
    auth: Auth::AnySession,
    seed: None,
    spec: "polyproto-mls; docs/wire-contract.md §1.2, §5.2",
};

/// The seed route S8.
pub const SEED: Route = Route {
    name: "claim_key_packages.seed",
    path: "/p2core/keypackage/{user_id}",
    seed: Some("S8"),
    spec: "seed 004 \"KeyPackage(s)\"; docs/wire-contract.md §1.1, §5.2",
    ..ROUTE
};

/// The query string.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    /// Comma-separated ciphersuites (`0x0001`, `1` or RFC 9420 names); all allowed when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ciphersuites: Option<String>,
}

/// The answer body.
pub type Response = Vec<crate::key_package::KeyPackagePayload>;
