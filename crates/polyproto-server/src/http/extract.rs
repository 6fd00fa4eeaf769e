//! Request extractors that answer every failure with our problem+json errors: bodies of any
//! `Content-Type` (the reference client sends none), CSRs and certificates parsed at the edge,
//! and lenient query strings. The caller's extractors are in [`super::auth`].

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::{FromRequest, HttpRequest, web};
use polyproto_types::api::create_id_cert;
use polyproto_types::api::error::ErrorCode;
use polyproto_types::certs::CertError;
use polyproto_types::{IdCert, IdCsr};
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// A request body, read whatever its `Content-Type`, within the configured size limit.
pub(crate) struct Body(pub(crate) web::Bytes);

impl Body {
    /// The body as JSON.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.0).map_err(|e| {
            Error::new(
                ErrorCode::MalformedRequest,
                format!("the body is not the expected JSON: {e}"),
            )
        })
    }

    /// The body as UTF-8 text.
    pub(crate) fn text(&self) -> Result<&str> {
        std::str::from_utf8(&self.0)
            .map_err(|_| Error::new(ErrorCode::MalformedRequest, "the body is not UTF-8 text"))
    }

    /// A body that is a JSON string or raw text: the certificate bodies of S7 and
    /// `PUT /session/idcert/extern` (docs/wire-contract.md §1).
    pub(crate) fn string_or_text(&self) -> Result<String> {
        let text = self.text()?.trim();
        if text.starts_with('"') {
            self.json::<String>()
        } else {
            Ok(text.to_owned())
        }
    }

    /// Whether the body is empty or white space.
    pub(crate) fn is_blank(&self) -> bool {
        self.0.iter().all(u8::is_ascii_whitespace)
    }
}

impl FromRequest for Body {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            bytes
                .await
                .map(Body)
                .map_err(|e| match e.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => Error::new(
                        ErrorCode::PayloadTooLarge,
                        "the body is larger than this server accepts",
                    ),
                    _ => Error::new(
                        ErrorCode::MalformedRequest,
                        format!("cannot read the body: {e}"),
                    ),
                })
        })
    }
}

/// The CSR of `POST /.p2/core/v1/idcert`: PEM or base64 DER as text, or `{"csr": …}`.
pub(crate) struct CsrBody(pub(crate) IdCsr);

impl FromRequest for CsrBody {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = Body::from_request(req, payload);
        Box::pin(async move {
            let body = body.await?;
            let text = body.text()?.trim();
            let csr = if text.starts_with('{') {
                parse_csr(&body.json::<create_id_cert::JsonRequest>()?.csr)?
            } else {
                parse_csr(text)?
            };
            Ok(Self(csr))
        })
    }
}

/// Parses a CSR from PEM or base64 DER.
pub(crate) fn parse_csr(text: &str) -> Result<IdCsr> {
    IdCsr::from_pem_or_base64(text).map_err(|e| match e {
        CertError::RequestsCa | CertError::RequestsKeyCertSign => {
            Error::new(ErrorCode::CapabilityNotAllowed, e.to_string())
        }
        other => Error::new(ErrorCode::InvalidCsr, other.to_string()),
    })
}

/// Parses an ID-Cert from PEM or base64 DER.
pub(crate) fn parse_cert(text: &str) -> Result<IdCert> {
    IdCert::from_pem_or_base64(text)
        .map_err(|e| Error::new(ErrorCode::InvalidIdCert, e.to_string()))
}

/// Query-string parsing errors as 400 problem+json.
pub(crate) fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        Error::new(
            ErrorCode::MalformedRequest,
            format!("bad query string: {err}"),
        )
        .into()
    })
}

/// Path-parameter errors as 400 problem+json.
pub(crate) fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _| {
        Error::new(
            ErrorCode::MalformedRequest,
            format!("bad path parameter: {err}"),
        )
        .into()
    })
}
