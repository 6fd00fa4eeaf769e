//! What the tool prints: a readable report or JSON, errors that say what to do, and a progress
//! spinner on a terminal.

use std::io::IsTerminal as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use polyproto_client::verify::VerifiedIdCert;
use polyproto_client::{ClientError, VerifyError};
use polyproto_types::IdCert;
use polyproto_types::api::error::ErrorCode;
use polyproto_types::certs::Subject;
use serde_json::{Value, json};

/// The outcome of a command: JSON for scripts and lines for people.
pub(crate) struct Report {
    pub(crate) json: Value,
    pub(crate) human: String,
}

impl Report {
    pub(crate) fn new(json: Value, human: impl Into<String>) -> Self {
        Self {
            json,
            human: human.into(),
        }
    }
}

/// A failed command: what happened and what to do.
#[derive(Debug)]
pub(crate) struct CliError {
    pub(crate) message: String,
    pub(crate) code: Option<String>,
    pub(crate) hint: Option<String>,
}

impl CliError {
    pub(crate) fn new(message: impl Into<String>, hint: Option<&str>) -> Self {
        Self {
            message: message.into(),
            code: None,
            hint: hint.map(str::to_owned),
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({"error": {"message": self.message, "code": self.code, "hint": self.hint}})
    }
}

impl From<ClientError> for CliError {
    fn from(error: ClientError) -> Self {
        let hint = hint_for(&error);
        let mut message = error.to_string();
        if let Some(api) = error.api() {
            for item in &api.invalid {
                message.push_str(&format!("\n  item {}: {}", item.index, item.reason));
            }
        }
        Self {
            message,
            code: error.code().map(|c| c.as_str().to_owned()),
            hint: hint.map(str::to_owned),
        }
    }
}

impl From<polyproto_client::store::StoreError> for CliError {
    fn from(error: polyproto_client::store::StoreError) -> Self {
        let hint = match &error {
            polyproto_client::store::StoreError::NoProfile(_) => Some(
                "sign in first with `polyproto login NAME` (or `polyproto register NAME`), or pick another profile with --profile",
            ),
            polyproto_client::store::StoreError::NoDataDir => {
                Some("set POLYPROTO_CLIENT_DATA_DIR or pass --data-dir")
            }
            _ => None,
        };
        Self::new(error.to_string(), hint)
    }
}

impl From<polyproto_client::mls::MlsError> for CliError {
    fn from(error: polyproto_client::mls::MlsError) -> Self {
        ClientError::from(error).into()
    }
}

fn hint_for(error: &ClientError) -> Option<&'static str> {
    match error {
        ClientError::Transport { .. } => Some(
            "is the server running and is the URL right? Start one with `cargo run --release -p polyproto-server` or pass --server URL",
        ),
        ClientError::Timeout { .. } => {
            Some("the server did not answer in time; retry, or allow more with --timeout SECONDS")
        }
        ClientError::InvalidUrl(_) => Some("pass a URL like http://127.0.0.1:8080 with --server"),
        ClientError::Verify(VerifyError::NotListed) => Some(
            "this session was ended, rotated elsewhere or has expired: sign in again with `polyproto login NAME` (after `polyproto logout`)",
        ),
        ClientError::Verify(VerifyError::Expired { .. }) => Some(
            "the certificate has expired: rotate your key with `polyproto rotate` before it does, or log in again",
        ),
        ClientError::Verify(_) => Some(
            "the server sent a certificate that does not verify: do not trust this answer; check --server and your system clock",
        ),
        ClientError::UnexpectedResponse { .. } => {
            Some("is --server a polyproto home server? Check the URL")
        }
        ClientError::Api(api) => match api.code {
            ErrorCode::InvalidCredentials => Some(
                "check the actor name and password; to create the actor, run `polyproto register NAME`",
            ),
            ErrorCode::FederationIdTaken => {
                Some("choose another name, or sign in with `polyproto login NAME`")
            }
            ErrorCode::Unauthorized => Some(
                "this session has ended (logged out, rotated elsewhere or deleted): sign in again with `polyproto login NAME`",
            ),
            ErrorCode::SensitiveSolutionRequired | ErrorCode::SensitiveSolutionInvalid => Some(
                "this action needs your password: enter it at the prompt or pipe it with --password-stdin",
            ),
            ErrorCode::AdminRequired => Some(
                "only server administrators may do this; the operator grants it with `polyproto-server admin grant NAME`",
            ),
            ErrorCode::SessionIdInUse => Some(
                "choose another --session-id, or end the old session with `polyproto sessions delete ID`",
            ),
            ErrorCode::SessionNotFound => {
                Some("list live sessions with `polyproto actor-certs NAME@DOMAIN`")
            }
            ErrorCode::ActorNotFound => Some("check the federation ID: name@domain"),
            ErrorCode::CertificateNotFound => {
                Some("no certificate was valid at that time; try a later --at")
            }
            ErrorCode::RegistrationClosed => {
                Some("this server does not accept new actors; ask its operator")
            }
            ErrorCode::KeyPackageLimit => Some(
                "the server keeps a limited number of KeyPackages per session; upload fewer, or wait until some are claimed",
            ),
            ErrorCode::InvalidName => Some("local names are 1-64 characters of a-z 0-9 . _ % + -"),
            ErrorCode::SessionPending => Some("finish signing in with `polyproto login NAME`"),
            ErrorCode::RateLimited => Some("wait a moment and retry"),
            ErrorCode::InvalidIdCert => Some(
                "the server could not verify your certificate with your home server; is your home server reachable from it?",
            ),
            _ => None,
        },
        _ => None,
    }
}

/// A spinner on stderr, shown only on a terminal and never with `--json`.
pub(crate) struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    pub(crate) fn new(json: bool) -> Self {
        let bar = (!json && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Self { bar }
    }

    /// Shows the step now under way.
    pub(crate) fn step(&self, message: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(message.to_owned());
        }
    }

    /// Prints a note above the spinner (or on stderr without one).
    pub(crate) fn note(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.println(message),
            None => eprintln!("{message}"),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// RFC 3339 in UTC, to the second.
pub(crate) fn time(secs: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

/// "3 days", "5 hours", "12 minutes".
pub(crate) fn duration(secs: u64) -> String {
    match secs {
        s if s >= 2 * 86_400 => format!("{} days", s / 86_400),
        s if s >= 2 * 3600 => format!("{} hours", s / 3600),
        s => format!("{} minutes", s / 60),
    }
}

/// Parses `--at`: UNIX seconds or an RFC 3339 time (`2026-05-01T12:00:00Z`).
pub(crate) fn parse_time(text: &str) -> Result<u64, CliError> {
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(secs);
    }
    humantime::parse_rfc3339_weak(text)
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .ok_or_else(|| {
            CliError::new(
                format!("cannot read the time {text:?}"),
                Some("give UNIX seconds (1767225600) or RFC 3339 (2026-01-01T00:00:00Z)"),
            )
        })
}

/// A certificate as JSON.
pub(crate) fn cert_json(cert: &IdCert, verified: Option<&VerifiedIdCert>) -> Value {
    let validity = cert.validity();
    let mut value = json!({
        "serial": cert.serial().to_string(),
        "issuer": cert.issuer_domain().as_str(),
        "not_before": validity.not_before,
        "not_after": validity.not_after,
        "public_key": hex_key(cert),
        "pem": cert.to_pem(),
    });
    match cert.subject() {
        Subject::Actor(dn) => {
            value["profile"] = json!("actor");
            value["fid"] = json!(dn.fid().as_str());
            value["session_id"] = json!(dn.session_id().as_str());
        }
        Subject::HomeServer(dn) => {
            value["profile"] = json!("home-server");
            value["domain"] = json!(dn.domain().as_str());
        }
    }
    if let Some(cacheable) = verified.and_then(|v| v.cacheable.as_ref()) {
        value["cache_not_valid_before"] = json!(cacheable.cache_not_valid_before);
        value["cache_not_valid_after"] = json!(cacheable.cache_not_valid_after);
        value["invalidated_at"] = json!(cacheable.invalidated_at);
    }
    value
}

/// A certificate for people.
pub(crate) fn cert_human(cert: &IdCert, verified: Option<&VerifiedIdCert>) -> String {
    let validity = cert.validity();
    let subject = match cert.subject() {
        Subject::Actor(dn) => format!("{} (session {})", dn.fid(), dn.session_id()),
        Subject::HomeServer(dn) => format!("home server {}", dn.domain()),
    };
    let mut text = format!(
        "  subject     {subject}\n  issuer      {}\n  serial      {}\n  valid       {} to {}\n  public key  {}",
        cert.issuer_domain(),
        cert.serial(),
        time(validity.not_before),
        time(validity.not_after),
        hex_key(cert),
    );
    if let Some(at) = verified.and_then(VerifiedIdCert::invalidated_at) {
        text.push_str(&format!("\n  invalidated {}", time(at)));
    }
    text
}

fn hex_key(cert: &IdCert) -> String {
    cert.public_key()
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_and_print() {
        assert_eq!(parse_time("1767225600").unwrap(), 1_767_225_600);
        assert_eq!(parse_time("2026-01-01T00:00:00Z").unwrap(), 1_767_225_600);
        assert!(parse_time("yesterday").is_err());
        assert_eq!(time(1_767_225_600), "2026-01-01T00:00:00Z");
        assert_eq!(duration(3 * 86_400 + 5), "3 days");
        assert_eq!(duration(3 * 3600), "3 hours");
        assert_eq!(duration(600), "10 minutes");
    }
}
