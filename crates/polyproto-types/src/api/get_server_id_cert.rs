//! The home server's ID-Cert, now or at a point in time (polyproto core §6.4.1; docs/wire-contract.md §1.1
//! S5, §1.2).
//!
//! - [`ROUTE`], `GET /.p2/core/v1/idcert/server[?timestamp=]`: a
//!   [`crate::cache::CacheableIdCert`], RFC 8785 JCS (the reference SDK requires it).
//! - [`SEED`] S5, `GET /p2core/key/server`: a JSON string, standard base64 of the DER.
//!
//! Both take the optional [`super::TimestampQuery`], S5 also as a JSON body.

use super::{Auth, Method, Route};

/// The modern route.
pub const ROUTE: Route = Route {
    name: "get_server_id_cert",
    method: Method::Get,
    path: "/.p2/core/v1/idcert/server",
    success: 200,
    auth: Auth::None,
    seed: None,
    spec: "polyproto core §6.4.1; docs/wire-contract.md §1.2, §4.3",
};

/// The seed route S5.
pub const SEED: Route = Route {
    name: "get_server_id_cert.seed",
    path: "/p2core/key/server",
    seed: Some("S5"),
    spec: "seed 004 \"Server ID-Cert\"; docs/wire-contract.md §1.1",
    ..ROUTE
};

/// The modern answer.
pub type Response = crate::cache::CacheableIdCert;

/// The seed answer: base64 of the DER, as a JSON string.
pub type SeedResponse = String;
