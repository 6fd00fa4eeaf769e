//! `POST /.p2/core/v1/idcert`: get an ID-Cert for the caller's session (core API v1, the
//! reference SDK's `request_initial_id_cert` / `request_follow_up_id_cert`; docs/wire-contract.md §1.2).
//!
//! The body is the CSR PEM as `text/plain` (or `{"csr": "<PEM>"}`). The sensitive-action
//! header is needed except for the session's first certificate. The bearer token stays valid
//! and now belongs to the new certificate.

use serde::{Deserialize, Serialize};

use super::{Auth, Method, Route};

/// The route.
pub const ROUTE: Route = Route {
    name: "create_id_cert",
    method: Method::Post,
    path: "/.p2/core/v1/idcert",
    success: 201,
    auth: Auth::BearerOrPending,
    seed: None,
    spec: "polyproto core §6.1, §6.1.3; docs/wire-contract.md §1.2, §4.2",
};

/// The JSON form of the request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsonRequest {
    /// The ID-CSR, PEM.
    pub csr: String,
}

/// The answer: 201 with the ID-Cert under both names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The ID-Cert (PEM), reference SDK name (required by its client).
    #[serde(rename = "idCert")]
    pub id_cert_camel: String,
    /// The ID-Cert (PEM), OpenAPI name.
    pub id_cert: String,
}

impl Response {
    /// The answer for a certificate PEM.
    pub fn new(pem: String) -> Self {
        Self {
            id_cert_camel: pem.clone(),
            id_cert: pem,
        }
    }
}
