//! Encode → decode → encode gives identical bytes, for every wire type, on the golden vectors
//! of `conformance-fixtures/vectors` (made by `cargo xtask fixtures`).

use crate::common;

use std::str::FromStr as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use der::{Decode as _, Encode as _};
use polyproto_types::cache::CacheableIdCert;
use polyproto_types::certs::{IdCert, IdCsr, Serial, Subject};
use polyproto_types::challenge::CompletedChallenge;
use polyproto_types::key_package::KeyPackagePayload;
use polyproto_types::names::{ActorDn, HomeServerDn};
use polyproto_types::{DomainName, FederationId, LocalName, SessionId};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// serde JSON out and back in: equal value, identical text.
fn json_round_trip<T>(value: &T) -> String
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(value).expect("serializes");
    let back: T = serde_json::from_str(&json).expect("deserializes what it serialized");
    assert_eq!(&back, value);
    assert_eq!(serde_json::to_string(&back).expect("serializes"), json);
    json
}

#[test]
fn id_certs_round_trip_in_der_and_pem() {
    let manifest = common::manifest();
    let certs = common::valid_of_kind(&manifest, "id-cert");
    assert!(certs.len() >= 4);
    for entry in certs {
        let pem = common::text(&entry.file);
        let cert = IdCert::from_pem(&pem).unwrap();
        assert_eq!(cert.to_pem(), pem, "{}", entry.file);
        let der = cert.as_der();
        let again = IdCert::from_der(der).unwrap();
        assert_eq!(again.as_der(), der, "{}", entry.file);
        assert_eq!(again, cert);
        assert_eq!(
            IdCert::from_pem_or_base64(&STANDARD.encode(der)).unwrap(),
            cert
        );
        // The generic X.509 model re-encodes the same bytes too.
        let x509 = x509_cert::Certificate::from_der(der).unwrap();
        assert_eq!(x509.to_der().unwrap(), der, "{}", entry.file);
        // Names and serials re-encode to the bytes they were read from.
        let tbs = cert.certificate().tbs_certificate();
        let subject_der = tbs.subject().to_der().unwrap();
        match cert.subject() {
            Subject::Actor(dn) => {
                assert_eq!(dn.to_name().unwrap().to_der().unwrap(), subject_der);
                assert_eq!(&ActorDn::from_name(&dn.to_name().unwrap()).unwrap(), dn);
            }
            Subject::HomeServer(dn) => {
                assert_eq!(dn.to_name().unwrap().to_der().unwrap(), subject_der);
                assert_eq!(
                    &HomeServerDn::from_name(&dn.to_name().unwrap()).unwrap(),
                    dn
                );
            }
        }
        let serial = cert.serial();
        let shown = serial.to_string();
        assert_eq!(&Serial::from_str(&shown).unwrap(), serial);
        let raw = tbs.serial_number().as_bytes();
        let first = raw.iter().position(|b| *b != 0).unwrap();
        assert_eq!(serial.as_bytes(), &raw[first..]);
    }
}

#[test]
fn id_csrs_round_trip_in_der_and_pem() {
    let manifest = common::manifest();
    let csrs = common::valid_of_kind(&manifest, "id-csr");
    assert!(csrs.len() >= 3);
    for entry in csrs {
        let pem = common::text(&entry.file);
        let csr = IdCsr::from_pem(&pem).unwrap();
        assert_eq!(csr.to_pem(), pem, "{}", entry.file);
        let der = csr.as_der();
        let again = IdCsr::from_der(der).unwrap();
        assert_eq!(again.as_der(), der, "{}", entry.file);
        assert_eq!(again, csr);
        let x509 = x509_cert::request::CertReq::from_der(der).unwrap();
        assert_eq!(x509.to_der().unwrap(), der, "{}", entry.file);
    }
}

#[test]
fn cacheable_id_certs_round_trip_as_jcs_and_json() {
    let manifest = common::manifest();
    let cacheables = common::valid_of_kind(&manifest, "cacheable-id-cert");
    assert!(cacheables.len() >= 3);
    let mut with_invalidation = 0;
    for entry in cacheables {
        let jcs = common::text(&entry.file);
        let cacheable: CacheableIdCert = serde_json::from_str(&jcs).unwrap();
        assert_eq!(cacheable.to_jcs(), jcs, "{}", entry.file);
        json_round_trip(&cacheable);
        with_invalidation += usize::from(cacheable.invalidated_at.is_some());
        // The PEM inside is itself canonical.
        let cert = IdCert::from_pem(&cacheable.id_cert_pem).unwrap();
        assert_eq!(cert.to_pem(), cacheable.id_cert_pem);
    }
    assert!(with_invalidation >= 1, "a vector with invalidatedAt");
    let list: Vec<CacheableIdCert> =
        serde_json::from_str(&common::text("api/get_actor_id_certs.response.json")).unwrap();
    assert_eq!(
        CacheableIdCert::list_to_jcs(&list),
        common::text("api/get_actor_id_certs.response.json")
    );
}

#[test]
fn completed_challenges_round_trip_as_json() {
    let manifest = common::manifest();
    let challenges = common::valid_of_kind(&manifest, "completed-challenge");
    assert!(!challenges.is_empty());
    for entry in challenges {
        let json = common::text(&entry.file);
        let completed: CompletedChallenge = serde_json::from_str(&json).unwrap();
        assert_eq!(json_round_trip(&completed), json, "{}", entry.file);
    }
}

#[test]
fn names_round_trip_through_display_from_str_and_serde() {
    let manifest = common::manifest();
    for entry in common::valid_of_kind(&manifest, "id-cert") {
        let cert = IdCert::from_pem(&common::text(&entry.file)).unwrap();
        let domain = cert.issuer_domain();
        let shown = domain.to_string();
        assert_eq!(&DomainName::from_str(&shown).unwrap(), domain);
        assert_eq!(json_round_trip(domain), format!("\"{domain}\""));
        let Some(actor) = cert.actor() else { continue };
        let fid = actor.fid();
        let shown = fid.to_string();
        assert_eq!(&FederationId::from_str(&shown).unwrap(), fid);
        assert_eq!(json_round_trip(fid), format!("\"{fid}\""));
        let local = fid.local_name();
        let shown = local.to_string();
        assert_eq!(&LocalName::from_str(&shown).unwrap(), local);
        assert_eq!(json_round_trip(local), format!("\"{local}\""));
        assert_eq!(
            FederationId::from_parts(local.clone(), fid.domain().clone()),
            *fid
        );
        let session = actor.session_id();
        let shown = session.to_string();
        assert_eq!(&SessionId::from_str(&shown).unwrap(), session);
        assert_eq!(json_round_trip(session), format!("\"{session}\""));
    }
}

#[test]
fn key_package_payloads_round_trip_as_base64_and_json() {
    let manifest = common::manifest();
    let packages: Vec<_> = manifest
        .vectors
        .iter()
        .filter(|e| e.kind == "key-package")
        .collect();
    assert!(packages.len() >= 2);
    // Invalid packages too: the payload type does not look inside.
    for entry in packages {
        let text = common::text(&entry.file);
        let payload = KeyPackagePayload::from_base64(&text).unwrap();
        assert_eq!(payload.to_base64(), text, "{}", entry.file);
        assert_eq!(json_round_trip(&payload), format!("\"{text}\""));
        assert_eq!(
            KeyPackagePayload::new(payload.as_bytes().to_vec()).to_base64(),
            text
        );
    }
}

#[test]
fn api_bodies_round_trip_byte_for_byte() {
    let manifest = common::manifest();
    let bodies = common::valid_of_kind(&manifest, "api-json");
    assert!(
        bodies
            .iter()
            .any(|e| e.api_type.as_deref() == Some("error::Problem"))
    );
    for entry in bodies {
        let text = common::text(&entry.file);
        let api_type = entry.api_type.as_deref().unwrap();
        let again = common::reencode_api(api_type, &entry.format, &text)
            .unwrap_or_else(|e| panic!("{}: {e}", entry.file));
        assert_eq!(again, text, "{}", entry.file);
    }
}
