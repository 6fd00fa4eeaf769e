//! `GET /.well-known/polyproto-core`: where the server's API lives (polyproto core §3.1;
//! CONTRACT §1.2).

use serde::{Deserialize, Serialize};

use super::{Auth, Method, Route};

/// The route.
pub const ROUTE: Route = Route {
    name: "well_known",
    method: Method::Get,
    path: "/.well-known/polyproto-core",
    success: 200,
    auth: Auth::None,
    seed: None,
    spec: "polyproto core §3.1; CONTRACT §1.2",
};

/// The answer body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The core API base, `<public url>/.p2/core/`.
    pub api: String,
    /// The OpenID Connect issuer (the reference SDK requires the field).
    pub oidc_issuer: String,
}
