//! ID-CSRs made by independent implementations, so that the server under test reads bytes
//! that neither it nor `polyproto-types` wrote: the reference SDK `polyproto` 0.21, and a
//! stock `openssl req` (OpenSSL 3).

use std::process::Command;

use der::Encode as _;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{EncodePrivateKey as _, KeypairBytes};
use polyproto::certs::capabilities::ActorCapabilities;
use polyproto::certs::idcsr::{IdCsr, IdCsrActor};
use polyproto::der::Decode as _;
use polyproto::der::pem::LineEnding;
use polyproto::types::ActorDN;
use polyproto_sdk_adapter::SdkPrivateKey;
use polyproto_types::names::ActorDn;

/// The smallest configuration `openssl req` runs with; the subject comes from `-subj`.
const OPENSSL_CONFIG: &str =
    "[req]\ndistinguished_name = dn\nprompt = no\nstring_mask = utf8only\n[dn]\n";

/// The reference SDK's PEM actor ID-CSR for `subject`, signed with `key`.
///
/// # Errors
/// What the SDK reports.
pub fn sdk_csr(key: &SigningKey, subject: &ActorDn) -> Result<String, String> {
    let fail = |e: &dyn std::fmt::Display| format!("reference SDK: {e}");
    let name_der = subject
        .to_name()
        .map_err(|e| fail(&e))?
        .to_der()
        .map_err(|e| fail(&e))?;
    let name = polyproto::Name::from_der(&name_der).map_err(|e| fail(&e))?;
    let dn = ActorDN::try_from(name).map_err(|e| fail(&e))?;
    let csr = IdCsrActor::new(
        dn,
        &SdkPrivateKey(key.clone()),
        ActorCapabilities::default(),
    )
    .map_err(|e| fail(&e))?;
    IdCsr::from(csr)
        .to_pem(LineEnding::LF)
        .map_err(|e| fail(&e))
}

/// `openssl req -new` for `subject` and `key`, with the critical basic constraints and key
/// usage of an actor's request as standard requested extensions.
///
/// # Errors
/// Why openssl cannot be run or what it reports.
pub fn openssl_csr(key: &SigningKey, subject: &ActorDn) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let key_path = dir.path().join("key.pem");
    let config_path = dir.path().join("req.cnf");
    // PKCS #8 v1 (no public key): OpenSSL 3 refuses ed25519-dalek's v2 encoding.
    let key_pem = KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    }
    .to_pkcs8_pem(LineEnding::LF)
    .map_err(|e| e.to_string())?;
    std::fs::write(&key_path, key_pem.as_bytes()).map_err(|e| e.to_string())?;
    std::fs::write(&config_path, OPENSSL_CONFIG).map_err(|e| e.to_string())?;
    let fid = subject.fid();
    let domain_components: String = fid
        .domain()
        .as_str()
        .split('.')
        .rev()
        .map(|label| format!("/DC={label}"))
        .collect();
    let subj = format!(
        "{domain_components}/UID={fid}/CN={}/0.9.2342.19200300.100.1.44={}",
        fid.local_name(),
        subject.session_id()
    );
    let out = Command::new("openssl")
        .args(["req", "-new", "-config"])
        .arg(&config_path)
        .arg("-key")
        .arg(&key_path)
        .args(["-subj", &subj])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "keyUsage=critical,digitalSignature"])
        .output()
        .map_err(|e| format!("cannot run openssl: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "openssl req failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| e.to_string())
}
