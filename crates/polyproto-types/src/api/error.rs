//! The error body of every route: RFC 9457 problem details with polyproto's namespace and a
//! stable `P2CORE_` code (docs/wire-contract.md §6).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The namespace of core errors (the reference SDK's `Namespace::core()`).
pub const CORE_NAMESPACE: &str = "https://polyproto.org/core";

/// Declares [`ErrorCode`] from one table: variant, wire code, HTTP status, title.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $status:literal, $title:literal;)*) => {
        /// A stable, machine-readable error code (docs/wire-contract.md §6). The one table of codes: each
        /// has a fixed HTTP status and title.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
            /// A code this version does not know (from a newer or other server).
            Unknown(String),
        }

        impl ErrorCode {
            /// Every known code, for documentation and tests.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as on the wire, e.g. `P2CORE_FEDERATION_ID_TAKEN`.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $code,)*
                    Self::Unknown(code) => code,
                }
            }

            /// The HTTP status this code is answered with.
            pub fn status(&self) -> u16 {
                match self {
                    $(Self::$variant => $status,)*
                    Self::Unknown(_) => 500,
                }
            }

            /// A short, human-readable summary (RFC 9457 `title`).
            pub fn title(&self) -> &'static str {
                match self {
                    $(Self::$variant => $title,)*
                    Self::Unknown(_) => "Unknown error",
                }
            }

            /// The code for its wire string.
            pub fn parse(code: &str) -> Self {
                match code {
                    $($code => Self::$variant,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }
    };
}

error_codes! {
    /// The request is not well-formed: bad JSON, a missing field, a bad query parameter.
    MalformedRequest = "P2CORE_MALFORMED_REQUEST", 400, "Malformed request";
    /// A name in the request is not a valid local name or federation ID.
    InvalidName = "P2CORE_INVALID_NAME", 400, "Invalid name";
    /// The CSR is malformed or its signature does not verify.
    InvalidCsr = "P2CORE_INVALID_CSR", 400, "Invalid certificate signing request";
    /// The CSR asks for the CA flag or keyCertSign.
    CapabilityNotAllowed = "P2CORE_CAPABILITY_NOT_ALLOWED", 400, "Capability not allowed";
    /// The certificate is malformed, invalid, expired or revoked.
    InvalidIdCert = "P2CORE_INVALID_ID_CERT", 400, "Invalid ID-Cert";
    /// A KeyPackage is malformed or fails a policy check.
    InvalidKeyPackage = "P2CORE_INVALID_KEYPACKAGE", 400, "Invalid KeyPackage";
    /// No bearer token, or one that is unknown, expired or revoked.
    Unauthorized = "P2CORE_UNAUTHORIZED", 401, "Authentication required";
    /// Wrong actor name or password (unknown actors get the same answer).
    InvalidCredentials = "P2CORE_INVALID_CREDENTIALS", 401, "Invalid credentials";
    /// A sensitive action without `X-P2-Sensitive-Solution`.
    SensitiveSolutionRequired = "P2CORE_SENSITIVE_SOLUTION_REQUIRED", 401, "Sensitive action requires a second factor";
    /// The challenge is unknown, expired, already used, or its signature does not verify.
    InvalidChallenge = "P2CORE_INVALID_CHALLENGE", 401, "Invalid challenge";
    /// `X-P2-Sensitive-Solution` is wrong.
    SensitiveSolutionInvalid = "P2CORE_SENSITIVE_SOLUTION_INVALID", 403, "Second factor invalid";
    /// The CSR names another actor, domain or session than the caller's.
    CsrSubjectMismatch = "P2CORE_CSR_SUBJECT_MISMATCH", 403, "CSR subject does not match the caller";
    /// The route is for server administrators.
    AdminRequired = "P2CORE_ADMIN_REQUIRED", 403, "Administrator required";
    /// The route is for sessions of this server's own actors.
    LocalSessionRequired = "P2CORE_LOCAL_SESSION_REQUIRED", 403, "Local session required";
    /// The route is for sessions of foreign actors.
    ForeignSessionRequired = "P2CORE_FOREIGN_SESSION_REQUIRED", 403, "Foreign session required";
    /// The session has no ID-Cert yet; its only allowed call is `POST /.p2/core/v1/idcert`.
    SessionPending = "P2CORE_SESSION_PENDING", 403, "Session has no ID-Cert yet";
    /// The server does not accept new registrations.
    RegistrationClosed = "P2CORE_REGISTRATION_CLOSED", 403, "Registration closed";
    /// No such route.
    NotFound = "P2CORE_NOT_FOUND", 404, "Not found";
    /// No such actor.
    ActorNotFound = "P2CORE_ACTOR_NOT_FOUND", 404, "Actor not found";
    /// No such session.
    SessionNotFound = "P2CORE_SESSION_NOT_FOUND", 404, "Session not found";
    /// No certificate matches (for example, a timestamp before the server existed).
    CertificateNotFound = "P2CORE_CERTIFICATE_NOT_FOUND", 404, "Certificate not found";
    /// The route exists, but not for this method.
    MethodNotAllowed = "P2CORE_METHOD_NOT_ALLOWED", 405, "Method not allowed";
    /// The request was not complete within the server's deadline (`limits.request_timeout_secs`).
    RequestTimeout = "P2CORE_REQUEST_TIMEOUT", 408, "Request timeout";
    /// The federation ID is taken.
    FederationIdTaken = "P2CORE_FEDERATION_ID_TAKEN", 409, "Federation ID taken";
    /// The resource changed concurrently (for example, two rotations of one session); retry.
    Conflict = "P2CORE_CONFLICT", 409, "Concurrent change";
    /// Another live session of the actor uses the session ID.
    SessionIdInUse = "P2CORE_SESSION_ID_IN_USE", 409, "Session ID in use";
    /// The request body is over the size limit.
    PayloadTooLarge = "P2CORE_PAYLOAD_TOO_LARGE", 413, "Payload too large";
    /// A KeyPackage limit (count per session, size per package) is exceeded.
    KeyPackageLimit = "P2CORE_KEYPACKAGE_LIMIT", 413, "KeyPackage limit exceeded";
    /// The body cannot be read at all.
    UnsupportedMediaType = "P2CORE_UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported media type";
    /// Too many requests.
    RateLimited = "P2CORE_RATE_LIMITED", 429, "Too many requests";
    /// A bug: the request could not be answered.
    Internal = "P2CORE_INTERNAL", 500, "Internal server error";
    /// Another home server answered with something unusable.
    FederationBadGateway = "P2CORE_FEDERATION_BAD_GATEWAY", 502, "Bad answer from another home server";
    /// The storage is unavailable.
    StorageUnavailable = "P2CORE_STORAGE_UNAVAILABLE", 503, "Storage unavailable";
    /// The server has no capacity for this work now (for example, every password-hashing
    /// thread is busy and the queue is full); retry after `Retry-After` seconds.
    Overloaded = "P2CORE_OVERLOADED", 503, "Server busy";
    /// Another home server could not be reached.
    FederationUnavailable = "P2CORE_FEDERATION_UNAVAILABLE", 503, "Another home server is unavailable";
    /// Another home server did not answer in time.
    FederationTimeout = "P2CORE_FEDERATION_TIMEOUT", 504, "Another home server timed out";
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Ok(Self::parse(&code))
    }
}

/// One refused item of a request that carries several (a KeyPackage upload: docs/wire-contract.md §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidItem {
    /// The item's position in the request, from 0.
    pub index: usize,
    /// Why it was refused.
    pub reason: String,
}

/// An RFC 9457 problem details body (docs/wire-contract.md §6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// A URI reference identifying the problem type; `about:blank` for the plain status.
    #[serde(rename = "type", default = "about_blank")]
    pub kind: String,
    /// Short summary.
    #[serde(default)]
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request, for people.
    #[serde(default)]
    pub detail: String,
    /// `https://polyproto.org/core`.
    #[serde(default)]
    pub namespace: String,
    /// The HTTP status again, as the seed-era error body carries it.
    #[serde(default)]
    pub errcode: u16,
    /// The machine-readable code.
    pub error: ErrorCode,
    /// The refused items, for requests carrying several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid: Option<Vec<InvalidItem>>,
}

fn about_blank() -> String {
    "about:blank".to_owned()
}

impl Problem {
    /// The problem for `code`, explained by `detail`.
    pub fn new(code: ErrorCode, detail: impl Into<String>) -> Self {
        let status = code.status();
        Self {
            kind: about_blank(),
            title: code.title().to_owned(),
            status,
            detail: detail.into(),
            namespace: CORE_NAMESPACE.to_owned(),
            errcode: status,
            error: code,
            invalid: None,
        }
    }

    /// Adds the refused items.
    #[must_use]
    pub fn with_invalid(mut self, invalid: Vec<InvalidItem>) -> Self {
        self.invalid = Some(invalid);
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.error, self.status, self.detail)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn codes_are_unique_prefixed_and_round_trip() {
        let mut seen = BTreeSet::new();
        for code in ErrorCode::ALL {
            assert!(code.as_str().starts_with("P2CORE_"));
            assert!(seen.insert(code.as_str()));
            assert_eq!(&ErrorCode::parse(code.as_str()), code);
            assert!((400..600).contains(&code.status()));
        }
        assert_eq!(
            ErrorCode::parse("P2CORE_NEW_THING"),
            ErrorCode::Unknown("P2CORE_NEW_THING".to_owned())
        );
    }

    #[test]
    fn problem_body_has_the_contract_shape() {
        let problem = Problem::new(ErrorCode::FederationIdTaken, "alice@example.com is taken");
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "type": "about:blank", "title": "Federation ID taken", "status": 409,
                "detail": "alice@example.com is taken", "namespace": "https://polyproto.org/core",
                "errcode": 409, "error": "P2CORE_FEDERATION_ID_TAKEN"
            })
        );
        let back: Problem = serde_json::from_value(json).unwrap();
        assert_eq!(back, problem);
        let with_items = problem.with_invalid(vec![InvalidItem {
            index: 1,
            reason: "bad".to_owned(),
        }]);
        assert!(
            serde_json::to_string(&with_items)
                .unwrap()
                .contains("\"invalid\":[{\"index\":1")
        );
    }
}
