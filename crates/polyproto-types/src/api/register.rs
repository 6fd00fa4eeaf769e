//! `POST /.p2/core/v1/register`: create an actor (seed-era auth routes, "registration";
//! docs/wire-contract.md §1.3).

use serde::{Deserialize, Serialize};

use super::{Auth, AuthPayload, Method, Route};
use crate::names::FederationId;

/// The route.
pub const ROUTE: Route = Route {
    name: "register",
    method: Method::Post,
    path: "/.p2/core/v1/register",
    success: 201,
    auth: Auth::None,
    seed: None,
    spec: "docs/wire-contract.md §1.3; spec/seed-era-auth-routes-registration.md",
};

/// The request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// The local name wanted, e.g. `alice`.
    pub actor_name: String,
    /// The password.
    pub auth_payload: AuthPayload,
}

/// The answer: 201 with the actor's federation ID and numeric ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// `alice@<domain>`.
    pub fid: FederationId,
    /// The actor's 64-bit snowflake ID, as a string.
    #[serde(with = "crate::wire::u64_string")]
    pub id: u64,
}
