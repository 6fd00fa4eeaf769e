//! The HTTP API, one module per endpoint of docs/wire-contract.md §1: method, path, seed alias, auth,
//! request and response types, and the specification section each implements.
//!
//! Paths are written here and nowhere else (ARCHITECTURE rule 2): the server mounts its
//! handlers from these [`Route`]s and the client builds its requests from them.

pub mod error;

pub mod add_key_packages;
pub mod claim_key_packages;
pub mod create_id_cert;
pub mod create_session;
pub mod delete_session;
pub mod get_actor_id_certs;
pub mod get_challenge;
pub mod get_server_id_cert;
pub mod health;
pub mod identify;
pub mod register;
pub mod replace_last_resort_key_package;
pub mod revoke_session;
pub mod rotate_server_key;
pub mod rotate_session_id_cert;
pub mod update_foreign_id_cert;
pub mod well_known;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::{Deserialize, Serialize};

/// HTTP request headers polyproto defines.
pub mod headers {
    /// The second factor of a sensitive action (polyproto core §4.2; docs/wire-contract.md §3.2).
    pub const SENSITIVE_SOLUTION: &str = "X-P2-Sensitive-Solution";
    /// The request ID the server adds to every response, for correlating logs.
    pub const REQUEST_ID: &str = "X-Request-Id";
}

/// `application/problem+json` (RFC 9457 §3).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An HTTP method of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
}

impl Method {
    /// The method's name, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
        }
    }
}

/// Who may call a route (docs/wire-contract.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Auth {
    /// Anyone.
    None,
    /// A local session's bearer token; the session has an ID-Cert.
    Bearer,
    /// A local session's bearer token, also of a session still waiting for its first ID-Cert
    /// (`POST /.p2/core/v1/idcert`); the sensitive-action header when the session has one.
    BearerOrPending,
    /// A local session's bearer token and the sensitive-action header.
    BearerSensitive,
    /// A server administrator's bearer token and the sensitive-action header.
    AdminSensitive,
    /// A foreign session's bearer token (docs/wire-contract.md §3.3).
    Foreign,
    /// The bearer token of any session with a certificate, local or foreign.
    AnySession,
}

/// One route: where an endpoint is served and what success looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// A stable name, `module` or `module.seed`, used by fixtures and logs.
    pub name: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The path template; `{name}` marks a path parameter.
    pub path: &'static str,
    /// The status of a successful answer.
    pub success: u16,
    /// Who may call it.
    pub auth: Auth,
    /// The seed route number of docs/wire-contract.md §1.1 (`"S1"` … `"S8"`) if it is one.
    pub seed: Option<&'static str>,
    /// The section of the specification or contract it implements.
    pub spec: &'static str,
}

/// Characters percent-encoded in a path segment: controls, space, and the characters that
/// would end or split a segment (RFC 3986 §3.3). `@` and `.` stay as they are, as the reference
/// SDK sends them.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}');

impl Route {
    /// The path with each `{name}` replaced by its percent-encoded value.
    pub fn path_with(&self, params: &[(&str, &str)]) -> String {
        let mut path = self.path.to_owned();
        for (name, value) in params {
            let encoded = utf8_percent_encode(value, SEGMENT).to_string();
            path = path.replace(&format!("{{{name}}}"), &encoded);
        }
        path
    }
}

/// Every route of docs/wire-contract.md §1, for the server's router, the conformance suite and the docs.
pub const ALL_ROUTES: &[Route] = &[
    register::ROUTE,
    create_session::ROUTE,
    revoke_session::ROUTE,
    delete_session::ROUTE,
    get_challenge::ROUTE,
    get_challenge::ALIAS,
    identify::ROUTE,
    identify::ALIAS,
    create_id_cert::ROUTE,
    rotate_session_id_cert::SEED,
    rotate_server_key::ROUTE,
    rotate_server_key::SEED,
    get_server_id_cert::ROUTE,
    get_server_id_cert::SEED,
    get_actor_id_certs::ROUTE,
    get_actor_id_certs::SEED,
    update_foreign_id_cert::ROUTE,
    update_foreign_id_cert::SEED,
    add_key_packages::ROUTE,
    add_key_packages::SEED,
    replace_last_resort_key_package::SEED,
    claim_key_packages::ROUTE,
    claim_key_packages::SEED,
    well_known::ROUTE,
    health::ROUTE,
];

/// The password of an actor, as the seed-era auth routes carry it (docs/wire-contract.md §1.3).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthPayload {
    /// The password. Never logged: `Debug` hides it.
    pub password: String,
}

impl std::fmt::Debug for AuthPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthPayload { password: <hidden> }")
    }
}

/// An optional `timestamp` (UNIX seconds) selecting the certificate valid at that moment,
/// from the query string or, as the seeds show it, a JSON body (docs/wire-contract.md §1.1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimestampQuery {
    /// The moment; now when absent.
    #[serde(
        with = "crate::wire::option_u64_string",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub timestamp: Option<u64>,
}

/// A body holding only a session token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The bearer token (docs/wire-contract.md §3.1).
    pub token: String,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenResponse { token: <hidden> }")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn routes_are_unique_and_seeds_complete() {
        let mut seen = BTreeSet::new();
        for route in ALL_ROUTES {
            assert!(
                seen.insert((route.method, route.path)),
                "{} {} twice",
                route.method.as_str(),
                route.path
            );
            assert!(route.path.starts_with('/'));
        }
        let seeds: BTreeSet<_> = ALL_ROUTES.iter().filter_map(|r| r.seed).collect();
        assert_eq!(
            seeds,
            ["S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8"]
                .into_iter()
                .collect()
        );
        let names: BTreeSet<_> = ALL_ROUTES.iter().map(|r| r.name).collect();
        assert_eq!(names.len(), ALL_ROUTES.len());
    }

    #[test]
    fn seed_paths_are_literal() {
        let find = |seed| ALL_ROUTES.iter().find(|r| r.seed == Some(seed)).unwrap();
        let expect = [
            ("S1", Method::Post, "/.p2/core/v1/session/idcert", 201),
            ("S2", Method::Post, "/.p2/core/v1/keypackage/@me", 201),
            ("S3", Method::Put, "/.p2/core/v1/keypackage_lr", 204),
            ("S4", Method::Put, "/p2core/key/server", 200),
            ("S5", Method::Get, "/p2core/key/server", 200),
            ("S6", Method::Get, "/p2core/key/user/{user_id}", 200),
            ("S7", Method::Post, "/p2core/session/idcert/extern", 201),
            ("S8", Method::Get, "/p2core/keypackage/{user_id}", 200),
        ];
        for (seed, method, path, status) in expect {
            let route = find(seed);
            assert_eq!(
                (route.method, route.path, route.success),
                (method, path, status),
                "{seed}"
            );
        }
    }

    #[test]
    fn path_parameters_are_encoded() {
        let route = get_actor_id_certs::ROUTE;
        assert_eq!(
            route.path_with(&[("fid", "alice@example.com")]),
            "/.p2/core/v1/idcert/actor/alice@example.com"
        );
        assert_eq!(
            route.path_with(&[("fid", "a/b c")]),
            "/.p2/core/v1/idcert/actor/a%2Fb%20c"
        );
    }
}
