//! The client's errors: transport, timeout, the server's problem+json, and refused answers.

use polyproto_types::api::error::{ErrorCode, InvalidItem, Problem};
use thiserror::Error;

use crate::verify::VerifyError;

/// Why a client call failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server could not be reached, or the connection broke.
    #[error("cannot reach {url}: {reason}")]
    Transport {
        /// The request URL.
        url: String,
        /// What went wrong, from the HTTP library.
        reason: String,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },
    /// The server did not answer in time.
    #[error("{url} did not answer within {secs} s")]
    Timeout {
        /// The request URL.
        url: String,
        /// The time limit.
        secs: u64,
    },
    /// The server refused the request with a problem+json answer (docs/wire-contract.md §6).
    #[error("{0}")]
    Api(Box<ApiError>),
    /// The server answered something this client cannot use: an unexpected status, a body
    /// that does not parse.
    #[error("unexpected answer from {route} (HTTP {status}): {reason}")]
    UnexpectedResponse {
        /// The route's name.
        route: &'static str,
        /// The HTTP status.
        status: u16,
        /// What is wrong with it.
        reason: String,
    },
    /// An ID-Cert in the answer failed a check, so the whole answer was refused.
    #[error("refused the server's answer: {0}")]
    Verify(#[from] VerifyError),
    /// The base URL is not an http(s) URL.
    #[error("not an http or https URL: {0}")]
    InvalidUrl(String),
    /// The request cannot be made from the arguments given.
    #[error("{0}")]
    InvalidInput(String),
    /// Building MLS KeyPackages failed.
    #[error("MLS: {0}")]
    Mls(#[from] crate::mls::MlsError),
}

impl ClientError {
    /// The server's error code, if the server refused the request.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Self::Api(api) => Some(&api.code),
            _ => None,
        }
    }

    /// The server's problem details, if the server refused the request.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Self::Api(api) => Some(api),
            _ => None,
        }
    }
}

/// A request the server refused: its problem+json body (RFC 9457; docs/wire-contract.md §6).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{code} (HTTP {status}): {detail}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The stable machine code, e.g. [`ErrorCode::FederationIdTaken`].
    pub code: ErrorCode,
    /// The short summary.
    pub title: String,
    /// What went wrong with this request, for people.
    pub detail: String,
    /// The refused items of a request carrying several (a KeyPackage upload).
    pub invalid: Vec<InvalidItem>,
    /// The server's `X-Request-Id`, to find the request in its logs.
    pub request_id: Option<String>,
}

impl ApiError {
    /// The error for a problem body.
    pub fn from_problem(problem: Problem, request_id: Option<String>) -> Self {
        Self {
            status: problem.status,
            code: problem.error,
            title: problem.title,
            detail: problem.detail,
            invalid: problem.invalid.unwrap_or_default(),
            request_id,
        }
    }
}

impl From<ApiError> for ClientError {
    fn from(error: ApiError) -> Self {
        Self::Api(Box::new(error))
    }
}
