//! Replace a foreign session's ID-Cert after its key rotation at its home server (polyproto
//! core §6.1.3; docs/wire-contract.md §1.1 S7, §1.2).
//!
//! - [`ROUTE`], `PUT /.p2/core/v1/session/idcert/extern`: body a JSON string holding the PEM
//!   (the reference SDK's form) or the raw PEM.
//! - [`SEED`] S7, `POST /p2core/session/idcert/extern`: body a JSON string, base64 DER or PEM.
//!
//! 201, no body, on both.

use super::{Auth, Method, Route};

/// The modern route.
pub const ROUTE: Route = Route {
    name: "update_foreign_id_cert",
    method: Method::Put,
    path: "/.p2/core/v1/session/idcert/extern",
    success: 201,
    auth: Auth::Foreign,
    seed: None,
    spec: "polyproto core §6.1.3, §6.4.1; docs/wire-contract.md §1.2",
};

/// The seed route S7.
pub const SEED: Route = Route {
    name: "update_foreign_id_cert.seed",
    method: Method::Post,
    path: "/p2core/session/idcert/extern",
    seed: Some("S7"),
    spec: "seed 004 \"Rotate session ID-Cert\"; docs/wire-contract.md §1.1",
    ..ROUTE
};
