//! Interop with the `openssl` command-line tool, the most common independent X.509
//! implementation: it verifies our ID-Certs and ID-CSRs, and we accept the standard
//! `extensionRequest` CSR it makes (docs/wire-contract.md §4.2).
//!
//! These tests need `openssl` on the `PATH` (CI installs it); without it they fail, loudly.

use crate::fixtures;

use std::path::Path;
use std::process::{Command, Output};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use fixtures::{ACTOR_FID, DOMAIN, HomeServer, SESSION_ID};
use polyproto_types::IdCsr;
use polyproto_types::time::now_unix;

/// Runs `openssl` with `args` in `dir`.
///
/// # Panics
/// If `openssl` cannot be started, with a message that says so.
fn openssl(dir: &Path, args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "these tests need the `openssl` command-line tool on the PATH \
                 (install OpenSSL 3, e.g. `apt-get install openssl`); running it failed: {e}"
            )
        })
}

/// Runs `openssl` and asserts it succeeded; returns its stdout and stderr.
fn openssl_ok(dir: &Path, args: &[&str]) -> String {
    let output = openssl(dir, args);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "`openssl {}` failed ({}):\n{text}",
        args.join(" "),
        output.status
    );
    text
}

fn write(dir: &Path, name: &str, contents: &str) {
    std::fs::write(dir.join(name), contents).expect("write to the temporary directory");
}

#[test]
fn openssl_verifies_our_actor_cert_under_our_home_server_cert_only() {
    let dir = tempfile::tempdir().unwrap();
    let home_server = HomeServer::new(0x01);
    let actor = home_server.issue(&fixtures::actor_csr(&fixtures::key(0x11)));
    write(dir.path(), "hs.pem", &home_server.cert.to_pem());
    write(dir.path(), "actor.pem", &actor.to_pem());
    // A home server of the same name with another key.
    write(
        dir.path(),
        "other.pem",
        &HomeServer::new(0x02).cert.to_pem(),
    );

    let text = openssl_ok(dir.path(), &["verify", "-CAfile", "hs.pem", "actor.pem"]);
    assert!(text.contains("actor.pem: OK"), "{text}");
    // The home-server certificate is a valid trust anchor by itself.
    openssl_ok(dir.path(), &["verify", "-CAfile", "hs.pem", "hs.pem"]);

    let refused = openssl(dir.path(), &["verify", "-CAfile", "other.pem", "actor.pem"]);
    assert!(!refused.status.success(), "accepted under another key");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("signature failure"), "{stderr}");
}

#[test]
fn openssl_verifies_our_csr() {
    let dir = tempfile::tempdir().unwrap();
    let csr = fixtures::actor_csr(&fixtures::key(0x11));
    write(dir.path(), "csr.pem", &csr.to_pem());
    let text = openssl_ok(dir.path(), &["req", "-verify", "-noout", "-in", "csr.pem"]);
    assert!(text.contains("verify OK"), "{text}");

    // The check is real: a flipped signature bit is refused.
    let mut der = csr.as_der().to_vec();
    *der.last_mut().unwrap() ^= 1;
    let body = STANDARD.encode(&der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|chunk| std::str::from_utf8(chunk).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
        lines.join("\n")
    );
    write(dir.path(), "bad.pem", &pem);
    let refused = openssl(dir.path(), &["req", "-verify", "-noout", "-in", "bad.pem"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&refused.stdout),
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(
        !refused.status.success() || text.contains("verify failure"),
        "{text}"
    );
}

#[test]
fn we_accept_a_standard_openssl_csr_and_openssl_verifies_what_we_issue_for_it() {
    let dir = tempfile::tempdir().unwrap();
    openssl_ok(
        dir.path(),
        &["genpkey", "-algorithm", "ed25519", "-out", "key.pem"],
    );
    // The polyproto subject; `0.9.2342.19200300.100.1.44` is uniqueIdentifier (OpenSSL
    // encodes it, like every name attribute except DC, as UTF8String). The capabilities go
    // into a standard PKCS #9 extensionRequest.
    let subject = format!(
        "/DC=com/DC=example/UID={ACTOR_FID}/CN=alice/0.9.2342.19200300.100.1.44={SESSION_ID}"
    );
    openssl_ok(
        dir.path(),
        &[
            "req",
            "-new",
            "-key",
            "key.pem",
            "-subj",
            &subject,
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "keyUsage=critical,digitalSignature",
            "-out",
            "csr.pem",
        ],
    );
    let text = openssl_ok(dir.path(), &["req", "-in", "csr.pem", "-noout", "-text"]);
    assert!(text.contains("Requested Extensions"), "{text}");

    let key_pem = std::fs::read_to_string(dir.path().join("key.pem")).unwrap();
    let key = SigningKey::from_pkcs8_pem(&key_pem).unwrap();
    let csr_pem = std::fs::read_to_string(dir.path().join("csr.pem")).unwrap();
    let csr = IdCsr::from_pem(&csr_pem).unwrap();
    assert_eq!(csr.fid().as_str(), ACTOR_FID);
    assert_eq!(csr.fid().domain().as_str(), DOMAIN);
    assert_eq!(csr.session_id().as_str(), SESSION_ID);
    assert_eq!(*csr.public_key(), key.verifying_key());
    let requested = csr.requested_capabilities();
    assert!(requested.basic_constraints);
    assert!(requested.key_usage.unwrap().digital_signature());

    // The certificate we issue for it is in the canonical layout, like for our own request.
    let home_server = HomeServer::new(0x01);
    let actor = home_server.issue(&csr);
    assert_eq!(actor.actor(), Some(&fixtures::actor_dn()));
    assert_eq!(*actor.public_key(), key.verifying_key());
    actor.validate_actor(&home_server.cert, now_unix()).unwrap();
    write(dir.path(), "hs.pem", &home_server.cert.to_pem());
    write(dir.path(), "actor.pem", &actor.to_pem());
    openssl_ok(dir.path(), &["verify", "-CAfile", "hs.pem", "actor.pem"]);
}
