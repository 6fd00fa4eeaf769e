//! The one request path of [`Client`]: [`Client::call`] starts the request to a route (its
//! method, and its path with the parameters filled in), [`Call`] adds credentials, query and
//! body, and [`Call::send`] sends it and checks the status against the route's. Any other answer
//! becomes a [`ClientError`] (a problem+json body an [`ApiError`]); [`Answer`] decodes a
//! successful one.

use std::fmt;

use polyproto_types::api::error::Problem;
use polyproto_types::api::{Method, Route, headers};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Client;
use crate::credentials::Token;
use crate::error::{ApiError, ClientError};

/// A request being built, to be sent with [`Call::send`].
pub(super) struct Call<'a> {
    client: &'a Client,
    route: Route,
    request: reqwest::RequestBuilder,
}

/// A whole successful answer.
pub(super) struct Answer {
    route: &'static str,
    status: u16,
    body: Vec<u8>,
}

impl Client {
    /// The request to `route`, with each `{name}` of its path replaced by the value `params`
    /// gives: the route's method and URL on this client's server. Every request of the client
    /// starts here.
    pub(super) fn call(&self, route: &Route, params: &[(&str, &str)]) -> Call<'_> {
        let method = match route.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        };
        let url = format!("{}{}", self.base, route.path_with(params));
        Call {
            client: self,
            route: *route,
            request: self.http.request(method, url),
        }
    }
}

impl Call<'_> {
    /// Adds the bearer token.
    pub(super) fn bearer(self, token: &Token) -> Self {
        self.map(|request| request.bearer_auth(token.as_str()))
    }

    /// Adds the bearer token and, if given, the sensitive-action header.
    pub(super) fn sensitive(self, token: &Token, password: Option<&str>) -> Self {
        self.bearer(token).map(|request| match password {
            Some(password) => request.header(headers::SENSITIVE_SOLUTION, password),
            None => request,
        })
    }

    /// Adds a query string.
    pub(super) fn query<T: Serialize + ?Sized>(self, query: &T) -> Self {
        self.map(|request| request.query(query))
    }

    /// Adds a JSON body.
    pub(super) fn json<T: Serialize + ?Sized>(self, body: &T) -> Self {
        self.map(|request| request.json(body))
    }

    /// Adds a `text/plain` body.
    pub(super) fn text(self, body: String) -> Self {
        self.map(|request| {
            request
                .header(reqwest::header::CONTENT_TYPE, "text/plain")
                .body(body)
        })
    }

    /// The call with `f` applied to the request being built.
    fn map(self, f: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder) -> Self {
        Self {
            request: f(self.request),
            ..self
        }
    }

    /// Sends the request and reads the whole answer.
    ///
    /// # Errors
    /// [`ClientError::Timeout`] or [`ClientError::Transport`] if the server cannot be reached
    /// in time; for any status but the route's success status, [`ClientError::Api`] with the
    /// problem+json body, or [`ClientError::UnexpectedResponse`] if there is none.
    pub(super) async fn send(self) -> Result<Answer, ClientError> {
        let Self {
            client,
            route,
            request,
        } = self;
        // Errors name the route's path template, without its parameters.
        let url = format!("{}{}", client.base, route.path);
        let transport = |source: reqwest::Error| {
            if source.is_timeout() {
                ClientError::Timeout {
                    url: url.clone(),
                    secs: client.timeout.as_secs(),
                }
            } else {
                ClientError::Transport {
                    url: url.clone(),
                    reason: error_chain(&source),
                    source,
                }
            }
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let request_id = response
            .headers()
            .get(headers::REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.map_err(transport)?.to_vec();
        if status == route.success {
            return Ok(Answer {
                route: route.name,
                status,
                body,
            });
        }
        match serde_json::from_slice::<Problem>(&body) {
            Ok(problem) => Err(ApiError::from_problem(problem, request_id).into()),
            Err(_) => Err(ClientError::UnexpectedResponse {
                route: route.name,
                status,
                reason: if (200..300).contains(&status) {
                    format!("expected HTTP {}", route.success)
                } else {
                    format!("not a problem+json body: {}", excerpt(&body))
                },
            }),
        }
    }
}

impl Answer {
    /// The body as JSON.
    pub(super) fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| ClientError::UnexpectedResponse {
            route: self.route,
            status: self.status,
            reason: format!("{e}: {}", excerpt(&self.body)),
        })
    }

    /// The body as text.
    pub(super) fn text(&self) -> Result<&str, ClientError> {
        std::str::from_utf8(&self.body).map_err(|_| ClientError::UnexpectedResponse {
            route: self.route,
            status: self.status,
            reason: "the body is not UTF-8".to_owned(),
        })
    }

    /// The error for a successful answer this client cannot use, for `reason`.
    pub(super) fn unexpected(&self, reason: impl fmt::Display) -> ClientError {
        ClientError::UnexpectedResponse {
            route: self.route,
            status: self.status,
            reason: reason.to_string(),
        }
    }
}

/// The first 200 characters of a body, for error messages.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut cut: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        cut.push('…');
    }
    cut
}

/// An error and its causes on one line ("error sending request: connection refused").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
