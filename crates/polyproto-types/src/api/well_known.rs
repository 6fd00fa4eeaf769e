//! `GET /.well-known/polyproto-core`: where the server's API lives (polyproto core §3.1;
//! docs/wire-contract.md §1.2).

use serde::{Deserialize, Serialize};

use super::{Auth, Method, Route};
use crate::DomainName;

/// The core API's path below a server's base URL, as [`Response::api`] names it.
const CORE_API_PATH: &str = "/.p2/core";

/// The route.
pub const ROUTE: Route = Route {
    name: "well_known",
    method: Method::Get,
    path: "/.well-known/polyproto-core",
    success: 200,
    auth: Auth::None,
    seed: None,
    spec: "polyproto core §3.1; docs/wire-contract.md §1.2",
};

/// The answer body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The core API base, `<public url>/.p2/core/`.
    pub api: String,
    /// The OpenID Connect issuer (the reference SDK requires the field).
    pub oidc_issuer: String,
}

impl Response {
    /// The answer of a server reached at `base_url` (no trailing slash).
    pub fn for_base_url(base_url: &str) -> Self {
        Self {
            api: format!("{base_url}{CORE_API_PATH}/"),
            oidc_issuer: format!("{base_url}/"),
        }
    }

    /// The base URL the answer names: [`Response::api`] without its `/.p2/core/`, to which the
    /// route paths of this crate are appended.
    pub fn base_url(&self) -> &str {
        self.api
            .trim_end_matches('/')
            .trim_end_matches(CORE_API_PATH)
    }
}

/// Where the home server of `domain` is asked first, when nothing else is known:
/// `https://<domain>` (polyproto core §3.1); [`ROUTE`] there says where the API lives if the
/// domain does not serve it itself.
pub fn default_base_url(domain: &DomainName) -> String {
    format!("https://{domain}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_round_trip() {
        let answer = Response::for_base_url("https://api.example.com");
        assert_eq!(answer.api, "https://api.example.com/.p2/core/");
        assert_eq!(answer.base_url(), "https://api.example.com");
        let bare = Response {
            api: "https://example.com/.p2/core".to_owned(),
            oidc_issuer: String::new(),
        };
        assert_eq!(bare.base_url(), "https://example.com");
        let domain = DomainName::new("example.com").expect("valid");
        assert_eq!(default_base_url(&domain), "https://example.com");
    }
}
