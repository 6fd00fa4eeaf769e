//! Outgoing requests to other home servers.

use std::collections::BTreeMap;
use std::time::Duration;

use polyproto_types::DomainName;
use polyproto_types::api::error::ErrorCode;
use polyproto_types::api::well_known;
use serde::de::DeserializeOwned;

use crate::config::Config;
use crate::error::{Error, Result};

/// An HTTP client for other home servers: rustls, no redirects, a total timeout per request
/// and a cap on the size of every answer.
#[derive(Clone)]
pub struct FederationClient {
    http: reqwest::Client,
    resolve: BTreeMap<String, String>,
    max_response_bytes: usize,
}

impl FederationClient {
    /// A client with the configuration's timeouts, caps and domain mapping.
    ///
    /// # Errors
    /// When the TLS stack cannot be initialised.
    pub fn new(config: &Config) -> Result<Self> {
        let settings = &config.federation;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(settings.connect_timeout_secs))
            .timeout(Duration::from_secs(settings.timeout_secs))
            .user_agent(concat!("polyproto-server/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::internal("federation client", e))?;
        let resolve = settings
            .resolve
            .iter()
            .map(|(d, url)| (d.to_ascii_lowercase(), url.trim_end_matches('/').to_owned()))
            .collect();
        Ok(Self {
            http,
            resolve,
            max_response_bytes: settings.max_response_bytes,
        })
    }

    /// The base URL of `domain`'s home server: the configured mapping, else `https://<domain>`.
    pub fn base_url(&self, domain: &DomainName) -> String {
        self.resolve
            .get(domain.as_str())
            .cloned()
            .unwrap_or_else(|| well_known::default_base_url(domain))
    }

    /// The API base from `domain`'s `/.well-known/polyproto-core` (polyproto core §3.1), for
    /// when the domain does not serve the API itself.
    ///
    /// # Errors
    /// As [`FederationClient::get_json`].
    pub async fn well_known_base(&self, domain: &DomainName) -> Result<String> {
        let url = format!("{}{}", self.base_url(domain), well_known::ROUTE.path);
        let (known, _): (well_known::Response, _) = self.get_json(&url).await?;
        let base = known.base_url().to_owned();
        if !(base.starts_with("https://")
            || (base.starts_with("http://") && self.resolve.contains_key(domain.as_str())))
        {
            return Err(bad_gateway(&url, "the well-known API URL is not https"));
        }
        Ok(base)
    }

    /// GETs `url` and parses the JSON answer, returning it with its raw text.
    ///
    /// # Errors
    /// `FederationUnavailable` (cannot connect), `FederationTimeout`, `FederationBadGateway`
    /// (another status than 200, an answer over the size cap, or not the expected JSON);
    /// `NotFound` when the other server answers 404.
    pub async fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<(T, String)> {
        let mut response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| transport(url, &e))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(Error::new(
                ErrorCode::NotFound,
                format!("{url} answered 404"),
            ));
        }
        if status != reqwest::StatusCode::OK {
            return Err(bad_gateway(url, &format!("answered {status}")));
        }
        if response
            .content_length()
            .is_some_and(|len| len > self.max_response_bytes as u64)
        {
            return Err(bad_gateway(url, "the answer is too large"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| transport(url, &e))? {
            if body.len() + chunk.len() > self.max_response_bytes {
                return Err(bad_gateway(url, "the answer is too large"));
            }
            body.extend_from_slice(&chunk);
        }
        let text =
            String::from_utf8(body).map_err(|_| bad_gateway(url, "the answer is not UTF-8"))?;
        let value = serde_json::from_str(&text)
            .map_err(|e| bad_gateway(url, &format!("unexpected answer: {e}")))?;
        Ok((value, text))
    }
}

fn transport(url: &str, err: &reqwest::Error) -> Error {
    if err.is_timeout() {
        Error::new(
            ErrorCode::FederationTimeout,
            format!("{url} did not answer in time"),
        )
    } else if err.is_connect() {
        Error::new(
            ErrorCode::FederationUnavailable,
            format!("cannot reach {url}"),
        )
    } else {
        bad_gateway(url, &err.to_string())
    }
}

fn bad_gateway(url: &str, why: &str) -> Error {
    Error::new(ErrorCode::FederationBadGateway, format!("{url}: {why}"))
}
