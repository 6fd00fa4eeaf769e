//! `GET /.p2/core/v1/challenge` (and its modern name `GET /.p2/core/v1/session/auth`): a
//! challenge string for a foreign actor to sign (polyproto core §4.1.1, §4.3; docs/wire-contract.md §1.3).
//! The answer is a [`crate::challenge::Challenge`].

use super::{Auth, Method, Route};

/// The seed-era route.
pub const ROUTE: Route = Route {
    name: "get_challenge",
    method: Method::Get,
    path: "/.p2/core/v1/challenge",
    success: 200,
    auth: Auth::None,
    seed: None,
    spec: "polyproto core §4.3; docs/wire-contract.md §1.3",
};

/// The modern route, same behaviour.
pub const ALIAS: Route = Route {
    name: "get_challenge.session_auth",
    method: Method::Get,
    path: "/.p2/core/v1/session/auth",
    ..ROUTE
};

/// The answer body.
pub type Response = crate::challenge::Challenge;
