//! Upload KeyPackages for the caller's session (polyproto-mls; RFC 9420 §10; docs/wire-contract.md §1.1 S2,
//! §1.2, §5.1).
//!
//! - [`SEED`] S2, `POST /.p2/core/v1/keypackage/@me`: 201, no body.
//! - [`ROUTE`], `POST /.p2/mls/v1/keypackages`: 200, no body.
//!
//! The body is a JSON array of base64 KeyPackages. One bad package refuses the whole request
//! with 400 and the list of bad ones.

use super::{Auth, Method, Route};

/// The MLS extension's route.
pub const ROUTE: Route = Route {
    name: "add_key_packages",
    method: Method::Post,
    path: "/.p2/mls/v1/keypackages",
    success: 200,
    auth: Auth::Bearer,
    seed: None,
    spec: "polyproto-mls; RFC 9420 §10; docs/wire-contract.md §1.2, §5.1",
};

/// The seed route S2.
pub const SEED: Route = Route {
    name: "add_key_packages.seed",
    path: "/.p2/core/v1/keypackage/@me",
    success: 201,
    seed: Some("S2"),
    spec: "seed 000 \"Add KeyPackage\"; docs/wire-contract.md §1.1, §5.1",
    ..ROUTE
};

/// The request body.
pub type Request = Vec<crate::key_package::KeyPackagePayload>;
