//! The conformance vectors (`conformance-fixtures/vectors`, made by `cargo xtask fixtures`):
//! every valid vector passes its check and every invalid one is refused with exactly the error
//! variant its manifest entry names. A vector that starts passing, or fails for another
//! reason, fails this test.

use crate::common;

use std::collections::BTreeSet;

use common::{Entry, Manifest};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use polyproto_types::cache::CacheableIdCert;
use polyproto_types::certs::{IdCert, IdCsr, Profile};
use polyproto_types::challenge::CompletedChallenge;
use polyproto_types::key_package::{
    KeyPackageBinding, KeyPackagePayload, KeyPackagePolicy, validate_key_package,
};

/// The outcome of a check: `Err` holds the name of the error variant.
type Outcome = Result<(), String>;

#[test]
fn every_vector_is_accepted_or_refused_as_its_manifest_says() {
    let manifest = common::manifest();
    let mut failures = Vec::new();
    for entry in &manifest.vectors {
        let outcome = check(&manifest, entry);
        let expected = if entry.is_valid() {
            Ok(())
        } else {
            Err(entry
                .error
                .clone()
                .unwrap_or_else(|| panic!("{}: an invalid vector names its error", entry.file)))
        };
        if outcome != expected {
            failures.push(format!(
                "{}: expected {expected:?}, got {outcome:?}",
                entry.file
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_manifest_lists_every_file_exactly_once() {
    let manifest = common::manifest();
    let mut listed = BTreeSet::new();
    for entry in &manifest.vectors {
        assert!(listed.insert(entry.file.clone()), "{} twice", entry.file);
    }
    listed.insert("manifest.json".to_owned());
    let mut on_disk = BTreeSet::new();
    collect(&common::vectors_dir(), "", &mut on_disk);
    assert_eq!(on_disk, listed);
}

/// Each rule of docs/wire-contract.md §4–§5 has its own negative vector, refused with its own variant.
#[test]
fn every_rule_has_a_negative_vector_with_its_own_variant() {
    let manifest = common::manifest();
    let mut seen = BTreeSet::new();
    for entry in manifest.vectors.iter().filter(|e| !e.is_valid()) {
        let error = entry.error.clone().unwrap_or_default();
        assert!(
            seen.insert((entry.kind.clone(), error.clone())),
            "{}: a second {} vector refused with {error}",
            entry.file,
            entry.kind
        );
    }
    let required = [
        ("id-cert", "ActorIsCa"),
        ("id-cert", "NonCriticalExtension"),
        ("id-cert", "UnexpectedExtension"),
        ("id-cert", "Subject::RdnOrder"),
        ("id-cert", "Subject::WrongStringType"),
        ("id-cert", "DomainMismatch"),
        ("id-cert", "Subject::TooLong"),
        ("id-cert", "BadSignature"),
        ("id-cert", "Key::NotEd25519"),
        ("id-cert", "Key::WeakKey"),
        ("id-cert", "TrailingBytes"),
        ("id-csr", "Subject::TooLong"),
        ("id-csr", "BadSignature"),
        ("id-csr", "RequestsCa"),
        ("id-csr", "RequestsKeyCertSign"),
        ("key-package", "InvalidSignature"),
        ("key-package", "Expired"),
        ("key-package", "WrongSignatureKey"),
        ("key-package", "WrongIdentity"),
        ("key-package", "DisallowedCiphersuite"),
        ("key-package", "Decode"),
        ("key-package", "TrailingBytes"),
    ];
    for (kind, error) in required {
        assert!(
            seen.contains(&(kind.to_owned(), error.to_owned())),
            "no invalid {kind} vector refused with {error}"
        );
    }
}

/// The independent implementations' requests are there and accepted.
#[test]
fn requests_from_other_implementations_are_included() {
    let manifest = common::manifest();
    let producers: BTreeSet<_> = common::valid_of_kind(&manifest, "id-csr")
        .into_iter()
        .filter_map(|e| e.producer.as_deref())
        .collect();
    assert!(producers.iter().any(|p| p.starts_with("polyproto 0.21")));
    assert!(producers.iter().any(|p| p.starts_with("openssl")));
}

/// Runs the entry's check.
fn check(manifest: &Manifest, entry: &Entry) -> Outcome {
    let text = common::text(&entry.file);
    let now = manifest.now;
    let cert_error = |e| common::cert_error(&e);
    match (entry.kind.as_str(), entry.check.as_str()) {
        ("ed25519-private-key", "public-key") => {
            let key = SigningKey::from_pkcs8_pem(&text).map_err(|e| format!("PKCS #8: {e}"))?;
            let public = hex::encode(key.verifying_key().as_bytes());
            let seed = hex::encode(key.to_bytes());
            if Some(public) != entry.public_key || Some(seed) != entry.seed {
                return Err("the key differs from its manifest entry".to_owned());
            }
            Ok(())
        }
        ("id-cert", "parse") => IdCert::from_pem(&text).map(drop).map_err(cert_error),
        ("id-cert", "validate-actor") => {
            let cert = IdCert::from_pem(&text).map_err(cert_error)?;
            cert.validate_actor(&issuer(entry), now).map_err(cert_error)
        }
        ("id-cert", "validate-home-server") => {
            let cert = IdCert::from_pem(&text).map_err(cert_error)?;
            cert.validate_home_server(now).map_err(cert_error)
        }
        ("id-csr", "parse") => IdCsr::from_pem(&text).map(drop).map_err(cert_error),
        ("cacheable-id-cert", "verify-cache") => {
            let cache_error = |e| common::cache_error(&e);
            let cacheable: CacheableIdCert =
                serde_json::from_str(&text).map_err(|e| format!("JSON: {e}"))?;
            let home_server = issuer(entry);
            let cert = cacheable
                .verify(home_server.public_key())
                .map_err(cache_error)?;
            cacheable.check_window(now).map_err(cache_error)?;
            match cert.profile() {
                Profile::Actor => cert.validate_actor(&home_server, now),
                Profile::HomeServer => cert.validate_home_server(now),
            }
            .map_err(|e| format!("Cert::{}", common::cert_error(&e)))
        }
        ("completed-challenge", "verify-challenge") => {
            let completed: CompletedChallenge =
                serde_json::from_str(&text).map_err(|e| format!("JSON: {e}"))?;
            let signer = entry
                .signer
                .as_deref()
                .expect("a challenge names its signer");
            let key = SigningKey::from_pkcs8_pem(&common::text(signer)).expect("signer key");
            completed
                .verify(&key.verifying_key())
                .map_err(|e| common::challenge_error(&e))
        }
        ("key-package", "validate-key-package") => {
            let payload = KeyPackagePayload::from_base64(&text)
                .map_err(|e| common::key_package_error(&e).to_owned())?;
            let policy = KeyPackagePolicy {
                allowed_ciphersuites: manifest.key_package_policy.allowed_ciphersuites.clone(),
                max_lifetime_secs: manifest.key_package_policy.max_lifetime_secs,
            };
            let binding = entry
                .binding
                .as_ref()
                .expect("a KeyPackage names its binding");
            let signature_key: [u8; 32] = hex::decode(&binding.signature_key)
                .expect("hex")
                .try_into()
                .expect("32 bytes");
            let binding = KeyPackageBinding {
                signature_key: &signature_key,
                identity: &binding.identity,
                id_cert_der: None,
            };
            let validated = validate_key_package(payload.as_bytes(), &policy, &binding, now)
                .map_err(|e| common::key_package_error(&e).to_owned())?;
            if entry
                .last_resort
                .is_some_and(|l| l != validated.is_last_resort())
            {
                return Err("last_resort differs from the manifest".to_owned());
            }
            Ok(())
        }
        ("api-json", "decode") => {
            let api_type = entry
                .api_type
                .as_deref()
                .expect("an API body names its type");
            common::reencode_api(api_type, &entry.format, &text).map(drop)
        }
        (kind, check) => panic!("{}: no check {check:?} for kind {kind:?}", entry.file),
    }
}

/// The home-server certificate an entry is checked against.
fn issuer(entry: &Entry) -> IdCert {
    let file = entry.issuer.as_deref().expect("the entry names its issuer");
    IdCert::from_pem(&common::text(file)).expect("the issuer certificate parses")
}

/// Every file under `dir`, as `/`-separated paths relative to the vectors directory.
fn collect(dir: &std::path::Path, prefix: &str, out: &mut BTreeSet<String>) {
    for item in std::fs::read_dir(dir).expect("readable directory") {
        let item = item.expect("directory entry");
        let name = format!("{prefix}{}", item.file_name().to_string_lossy());
        if item.file_type().expect("file type").is_dir() {
            collect(&item.path(), &format!("{name}/"), out);
        } else {
            out.insert(name);
        }
    }
}
