//! Rotate the home server's identity key, an administrator's sensitive action (polyproto core
//! §6.1.3; docs/wire-contract.md §1.1 S4, §1.2, §4.4).
//!
//! - [`ROUTE`], `POST /.p2/core/v1/key/server` (reference SDK `rotate_server_identity_key`):
//!   200 with the new self-signed server ID-Cert as raw PEM text (not JSON).
//! - [`SEED`] S4, `PUT /p2core/key/server`: 200 with a JSON string holding the new public key
//!   as SPKI PEM.

use super::{Auth, Method, Route};

/// The modern route.
pub const ROUTE: Route = Route {
    name: "rotate_server_key",
    method: Method::Post,
    path: "/.p2/core/v1/key/server",
    success: 200,
    auth: Auth::AdminSensitive,
    seed: None,
    spec: "polyproto core §6.1.3; docs/wire-contract.md §1.2, §4.4",
};

/// The seed route S4.
pub const SEED: Route = Route {
    name: "rotate_server_key.seed",
    method: Method::Put,
    path: "/p2core/key/server",
    seed: Some("S4"),
    spec: "seed 004 \"Rotate Server Identity Key\"; docs/wire-contract.md §1.1, §4.4",
    ..ROUTE
};

/// The seed answer: the new public key, SPKI PEM, as a JSON string.
pub type SeedResponse = String;
