//! The server's error: a [`ErrorCode`] from the one table in `polyproto_types::api::error`
//! (code → HTTP status and title), a human-readable detail, and the RFC 9457
//! `application/problem+json` answer built from them (docs/wire-contract.md §6).

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{CONNECTION, RETRY_AFTER};
use actix_web::{HttpResponse, ResponseError};
use polyproto_types::api::PROBLEM_JSON;
use polyproto_types::api::error::{ErrorCode, InvalidItem, Problem};
use sea_orm::DbErr;

/// The most refused items a problem body lists, so that its size stays bounded.
pub const MAX_LISTED_INVALID: usize = 64;

/// An error answered to the client. Services return it; handlers pass it on.
#[derive(Debug)]
pub struct Error {
    code: ErrorCode,
    detail: String,
    invalid: Option<Vec<InvalidItem>>,
    retry_after: Option<u64>,
    close: bool,
}

/// The result type of services and handlers.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with `code`, explained by `detail` (shown to the client: no secrets).
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            code,
            detail: detail.into(),
            invalid: None,
            retry_after: None,
            close: false,
        }
    }

    /// Answers with `Connection: close`: for a request whose rest may still be arriving, so
    /// the connection cannot be reused.
    #[must_use]
    pub fn closing_the_connection(mut self) -> Self {
        self.close = true;
        self
    }

    /// Tells the client to retry after `secs` seconds (`Retry-After`, RFC 9110 §10.2.3), as
    /// every 429 and 503 does (docs/wire-contract.md §6).
    #[must_use]
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// Adds the list of refused items (docs/wire-contract.md §5.1), at most
    /// [`MAX_LISTED_INVALID`] of them: the detail says when more were refused.
    #[must_use]
    pub fn with_invalid(mut self, mut invalid: Vec<InvalidItem>) -> Self {
        if invalid.len() > MAX_LISTED_INVALID {
            invalid.truncate(MAX_LISTED_INVALID);
            self.detail
                .push_str(&format!(" (the first {MAX_LISTED_INVALID} are listed)"));
        }
        self.invalid = Some(invalid);
        self
    }

    /// A bug: logged in full, answered as a generic 500.
    pub fn internal(context: &str, err: impl fmt::Display) -> Self {
        tracing::error!(%context, error = %err, "internal error");
        Self::new(
            ErrorCode::Internal,
            "the server failed to answer this request; it is logged",
        )
    }

    /// The code.
    pub fn code(&self) -> &ErrorCode {
        &self.code
    }

    /// The problem details body.
    pub fn to_problem(&self) -> Problem {
        let problem = Problem::new(self.code.clone(), self.detail.clone());
        match &self.invalid {
            Some(items) => problem.with_invalid(items.clone()),
            None => problem,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

impl From<DbErr> for Error {
    /// Connection failures are 503 (storage unavailable, retry later); anything else is a bug.
    fn from(err: DbErr) -> Self {
        match err {
            DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => {
                tracing::error!(error = %err, "storage unavailable");
                Self::new(
                    ErrorCode::StorageUnavailable,
                    "the database is unavailable; retry later",
                )
                .with_retry_after(1)
            }
            other => Self::internal("database", other),
        }
    }
}

impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let body = serde_json::to_string(&self.to_problem()).unwrap_or_default();
        let mut response = HttpResponse::build(self.status_code());
        if let Some(secs) = self.retry_after {
            response.insert_header((RETRY_AFTER, secs.to_string()));
        }
        if self.close {
            response.insert_header((CONNECTION, "close"));
        }
        response.content_type(PROBLEM_JSON).body(body)
    }
}
