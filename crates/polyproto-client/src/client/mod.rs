//! [`Client`] and [`ClientBuilder`]: a client of one home server, its settings, and the public
//! types of its methods. The client has one typed method per route of docs/wire-contract.md §1,
//! each built from its route constant in [`polyproto_types::api`] (ARCHITECTURE rule 2: no path
//! is written here). The methods are kept by concern:
//!
//! - `transport`: the one request path every method takes, and the decoding of answers and
//!   problem+json errors;
//! - `endpoints`: one method per modern route, and the seed-only routes S1 and S3;
//! - `seed`: the seed-era twins (`…_seed`) of modern routes;
//! - `issuer`: verification of the issuer (the home server certificate) of every ID-Cert
//!   received.

mod endpoints;
mod issuer;
mod seed;
mod transport;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use polyproto_types::api::get_actor_id_certs;

use crate::error::ClientError;
use crate::verify::Clock;

/// The default time limit of one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The filters of an actor certificate lookup (`GET /.p2/core/v1/idcert/actor/{fid}`).
pub type ActorCertQuery = get_actor_id_certs::Query;

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base_url: String,
    timeout: Duration,
    clock: Clock,
    resolve: BTreeMap<String, String>,
}

impl ClientBuilder {
    /// The time limit of each request (default [`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The clock certificates are checked against (default the system clock).
    #[must_use]
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Reaches the home server of `domain` at `base_url` instead of `https://<domain>`, for
    /// verifying certificates of actors of other servers (like the server's
    /// `federation.resolve` setting; for tests and development).
    #[must_use]
    pub fn resolve(mut self, domain: &str, base_url: &str) -> Self {
        self.resolve
            .insert(domain.to_ascii_lowercase(), trim_base(base_url));
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`ClientError::InvalidUrl`] if the base URL is not http(s); [`ClientError::InvalidInput`]
    /// if the TLS backend cannot be set up.
    pub fn build(self) -> Result<Client, ClientError> {
        check_url(&self.base_url)?;
        let http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("polyproto-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::InvalidInput(format!("cannot set up HTTP: {e}")))?;
        Ok(Client {
            http,
            base: self.base_url,
            timeout: self.timeout,
            clock: self.clock,
            resolve: Arc::new(self.resolve),
        })
    }
}

/// A client of one home server: every route of the wire contract, typed. Cheap to clone.
///
/// Methods are named after the endpoint modules of [`polyproto_types::api`]; seed routes whose
/// wire form differs from the modern route have their own `_seed` method. Every ID-Cert in an
/// answer is verified ([`crate::verify`]) against its home server's certificate, fetched as
/// needed; an answer with one bad certificate is refused whole.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    timeout: Duration,
    clock: Clock,
    resolve: Arc<BTreeMap<String, String>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("timeout", &self.timeout)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client of the home server at `base_url` (e.g. `http://127.0.0.1:8080`), with the
    /// default settings.
    ///
    /// # Errors
    /// As [`ClientBuilder::build`].
    pub fn new(base_url: &str) -> Result<Self, ClientError> {
        Self::builder(base_url).build()
    }

    /// A builder for a client of the home server at `base_url`.
    pub fn builder(base_url: &str) -> ClientBuilder {
        ClientBuilder {
            base_url: trim_base(base_url),
            timeout: DEFAULT_TIMEOUT,
            clock: Clock::System,
            resolve: BTreeMap::new(),
        }
    }

    /// The server's base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The clock certificates are checked against.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// The same client (HTTP connections, settings) for another server.
    ///
    /// # Errors
    /// [`ClientError::InvalidUrl`].
    pub fn for_server(&self, base_url: &str) -> Result<Self, ClientError> {
        let base = trim_base(base_url);
        check_url(&base)?;
        Ok(Self {
            base,
            ..self.clone()
        })
    }
}

fn trim_base(url: &str) -> String {
    url.trim().trim_end_matches('/').to_owned()
}

fn check_url(url: &str) -> Result<(), ClientError> {
    let parsed = reqwest::Url::parse(url).map_err(|_| ClientError::InvalidUrl(url.to_owned()))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ClientError::InvalidUrl(url.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Client;

    #[test]
    fn urls_are_checked_and_trimmed() {
        assert!(Client::new("ftp://example.com").is_err());
        assert!(Client::new("not a url").is_err());
        let client = Client::new("http://127.0.0.1:8080/").expect("valid");
        assert_eq!(client.base_url(), "http://127.0.0.1:8080");
    }
}
