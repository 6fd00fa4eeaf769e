//! `PUT /.p2/core/v1/session/revoke`: log out (seed-era auth routes; docs/wire-contract.md §1.3).
//!
//! Ends the token, invalidates the session's ID-Cert, removes its KeyPackages and frees its
//! session ID. No body; 204.

use super::{Auth, Method, Route};

/// The route.
pub const ROUTE: Route = Route {
    name: "revoke_session",
    method: Method::Put,
    path: "/.p2/core/v1/session/revoke",
    success: 204,
    auth: Auth::AnySession,
    seed: None,
    spec: "docs/wire-contract.md §1.3; spec/seed-era-auth-routes-no-registration.md",
};
