//! Interop with the upstream reference SDK `polyproto` 0.21 (docs/wire-contract.md §4; interop notes §4,
//! §6): ID-CSRs, ID-Certs and cacheable ID-Certs made by one side are accepted by the other.

use crate::fixtures;
use polyproto_sdk_adapter as sdk;

use fixtures::{ACTOR_FID, ACTOR_SERIAL, DOMAIN, HOME_SERVER_SERIAL, HomeServer, SESSION_ID};
use polyproto::api::cacheable_cert::CacheableIdCert as SdkCacheableIdCert;
use polyproto::certs::capabilities::{ActorCapabilities, HomeServerCapabilities};
use polyproto::certs::idcert::traits::IdCertBehaviors as _;
use polyproto::certs::idcert::{IdCertActor, IdCertHs};
use polyproto::certs::idcerttbs::{IdCertTbsActor, IdCertTbsHs};
use polyproto::certs::idcsr::{IdCsr as SdkIdCsr, IdCsrActor};
use polyproto::der::pem::LineEnding;
use polyproto::key::PrivateKey as _;
use polyproto::signature::Signature as _;
use polyproto_types::certs::CertError;
use polyproto_types::time::now_unix;
use polyproto_types::{CacheableIdCert, IdCert, IdCsr};
use sdk::{SdkPrivateKey, SdkPublicKey, SdkSignature};

type SdkActorCert = IdCertActor<SdkSignature, SdkPublicKey>;
type SdkHsCert = IdCertHs<SdkSignature, SdkPublicKey>;

/// An ID-CSR for the actor's session made by the SDK, as its client sends it (PEM, LF).
fn sdk_csr(key: &SdkPrivateKey) -> IdCsrActor<SdkSignature, SdkPublicKey> {
    IdCsrActor::new(
        sdk::actor_dn(ACTOR_FID, SESSION_ID).expect("a valid SDK value"),
        key,
        ActorCapabilities::default(),
    )
    .expect("the SDK builds the ID-CSR")
}

fn sdk_public(key: &ed25519_dalek::SigningKey) -> SdkPublicKey {
    SdkPublicKey(key.verifying_key())
}

#[test]
fn sdk_csr_is_accepted_by_our_parser() {
    let actor_key = fixtures::key(0x11);
    let csr = sdk_csr(&SdkPrivateKey(actor_key.clone()));
    let pem = SdkIdCsr::from(csr).to_pem(LineEnding::LF).unwrap();

    let ours = IdCsr::from_pem(&pem).unwrap();
    assert_eq!(ours.fid().as_str(), ACTOR_FID);
    assert_eq!(ours.fid().local_name().as_str(), "alice");
    assert_eq!(ours.fid().domain().as_str(), DOMAIN);
    assert_eq!(ours.session_id().as_str(), SESSION_ID);
    assert_eq!(*ours.public_key(), actor_key.verifying_key());
    let requested = ours.requested_capabilities();
    assert!(requested.basic_constraints);
    assert!(requested.key_usage.unwrap().digital_signature());

    // Ed25519 is deterministic: our own ID-CSR for the same key and subject is the SDK's,
    // byte for byte, and PEM for PEM.
    let own = fixtures::actor_csr(&actor_key);
    assert_eq!(own.as_der(), ours.as_der());
    assert_eq!(own.to_pem(), pem);
}

#[test]
fn sdk_csr_with_a_bad_signature_is_refused() {
    let actor_key = SdkPrivateKey(fixtures::key(0x11));
    let mut csr = sdk_csr(&actor_key);
    csr.signature = SdkSignature::from_bytes(&[0x5a; 64]).unwrap();
    let pem = SdkIdCsr::from(csr).to_pem(LineEnding::LF).unwrap();
    assert_eq!(IdCsr::from_pem(&pem), Err(CertError::BadSignature));
}

#[test]
fn our_certs_pass_the_sdk_full_validation() {
    let home_server = HomeServer::new(0x01);
    let actor_key = fixtures::key(0x11);
    let actor = home_server.issue(&fixtures::actor_csr(&actor_key));
    let now = now_unix();
    let hs_public = sdk_public(&home_server.key);

    // The home-server certificate: self-signed, valid now, both through its dedicated check
    // and through the generic full parse.
    let hs_pem = home_server.cert.to_pem();
    let hs = SdkHsCert::from_pem_unchecked(&hs_pem).unwrap();
    hs.full_verify_home_server(now).unwrap();
    let hs = SdkHsCert::try_from_pem(&hs_pem, now, &hs_public).unwrap();
    assert_eq!(hs.id_cert_tbs.subject_public_key, hs_public);
    assert_eq!(
        hs.id_cert_tbs.serial_number.to_string(),
        HOME_SERVER_SERIAL.to_string()
    );
    assert_eq!(hs.id_cert_tbs.subject.domain_name.to_string(), DOMAIN);
    // The SDK verifies over its own re-encoding: it must be our DER exactly.
    assert_eq!(hs.try_to_der().unwrap(), home_server.cert.as_der());

    // The actor certificate, under the home server's key.
    let actor_pem = actor.to_pem();
    let cert = SdkActorCert::try_from_pem(&actor_pem, now, &hs_public).unwrap();
    let tbs = &cert.id_cert_tbs;
    assert_eq!(tbs.subject.federation_id.to_string(), ACTOR_FID);
    assert_eq!(tbs.subject.session_id.to_string(), SESSION_ID);
    assert_eq!(tbs.subject_public_key, sdk_public(&actor_key));
    assert_eq!(tbs.serial_number.to_string(), ACTOR_SERIAL.to_string());
    assert_eq!(cert.try_to_der().unwrap(), actor.as_der());

    // ... and nothing else: not under another home server's key, not outside its validity.
    let other = sdk_public(&fixtures::key(0x02));
    assert!(SdkActorCert::try_from_pem(&actor_pem, now, &other).is_err());
    assert!(SdkActorCert::try_from_pem(&actor_pem, now + 31 * 86_400, &hs_public).is_err());
    // A home-server certificate re-signed by another key fails its self-signature check.
    let forged = IdCert::issue_home_server(
        &fixtures::key(0x02),
        &fixtures::domain(),
        &polyproto_types::certs::Serial::from_u64(HOME_SERVER_SERIAL).unwrap(),
        home_server.cert.validity(),
    )
    .unwrap();
    let mut forged = SdkHsCert::from_pem_unchecked(&forged.to_pem()).unwrap();
    forged.id_cert_tbs.subject_public_key = hs_public.clone();
    assert!(forged.full_verify_home_server(now).is_err());
    // SDK quirk worth knowing: for a home-server certificate, `try_from_pem` (and
    // `CacheableIdCert::try_to_homeserver_idcert`) ignore the key passed in and check the
    // self-signature only, so they pin nothing. Callers must compare the key themselves.
    let unpinned = SdkHsCert::try_from_pem(&hs_pem, now, &other).unwrap();
    assert_ne!(unpinned.id_cert_tbs.subject_public_key, other);
}

#[test]
fn our_cacheable_certs_pass_the_sdk_verification() {
    let home_server = HomeServer::new(0x01);
    let actor = home_server.issue(&fixtures::actor_csr(&fixtures::key(0x11)));
    let now = now_unix();
    let hs_public = sdk_public(&home_server.key);
    let other = sdk_public(&fixtures::key(0x02));

    for (cert, invalidated_at) in [
        (&actor, None),
        (&actor, Some(now - 60)),
        (&home_server.cert, None),
        (&home_server.cert, Some(now - 1)),
    ] {
        let ours =
            CacheableIdCert::sign(cert, now - 10, now + 3600, invalidated_at, &home_server.key);
        let jcs = ours.to_jcs();
        // The SDK's client refuses anything that is not RFC 8785 canonical.
        assert!(polyproto::is_canonicalized_json(&jcs), "{jcs}");
        assert!(!jcs.ends_with('\n'));
        assert_eq!(jcs.contains("\"invalidatedAt\""), invalidated_at.is_some());

        let parsed: SdkCacheableIdCert = serde_json::from_str(&jcs).unwrap();
        assert_eq!(parsed.invalidated_at, invalidated_at);
        assert_eq!(parsed.cache_not_valid_before, now - 10);
        assert_eq!(parsed.cache_signature, ours.cache_signature.to_hex());
        parsed
            .verify::<SdkSignature, SdkPublicKey>(&hs_public)
            .unwrap();
        assert!(parsed.verify::<SdkSignature, SdkPublicKey>(&other).is_err());
        // The SDK re-serializes it to exactly our bytes.
        let sdk_jcs = polyproto::canonicalize_to_jcs(&parsed).unwrap();
        assert_eq!(sdk_jcs.as_str(), jcs);
        // Changing any signed part breaks it.
        let mut tampered = parsed.clone();
        tampered.cache_not_valid_after += 1;
        assert!(
            tampered
                .verify::<SdkSignature, SdkPublicKey>(&hs_public)
                .is_err()
        );
        let mut tampered = parsed.clone();
        tampered.invalidated_at = invalidated_at.map_or(Some(now), |_| None);
        assert!(
            tampered
                .verify::<SdkSignature, SdkPublicKey>(&hs_public)
                .is_err()
        );

        if cert.actor().is_some() {
            parsed
                .try_to_actor_idcert::<SdkSignature, SdkPublicKey>(now, &hs_public)
                .unwrap();
        } else {
            parsed
                .try_to_homeserver_idcert::<SdkSignature, SdkPublicKey>(now, &hs_public)
                .unwrap();
        }
    }
}

/// The SDK has no API that signs cache information (its `CacheableIdCert` only verifies), so
/// this is what an SDK-based server does by hand: sign the space-separated string with its
/// `PrivateKey`, hex-encode it with its `Signature::as_hex`, serialize with its JCS helper.
#[test]
fn sdk_made_cacheable_certs_pass_our_verification() {
    let home_server = HomeServer::new(0x01);
    let actor = home_server.issue(&fixtures::actor_csr(&fixtures::key(0x11)));
    let sdk_key = SdkPrivateKey(home_server.key.clone());
    let now = now_unix();

    for invalidated_at in [None, Some(now - 5)] {
        let mut signed = format!("{ACTOR_SERIAL} {} {}", now - 10, now + 3600);
        if let Some(at) = invalidated_at {
            signed.push_str(&format!(" {at}"));
        }
        let sdk = SdkCacheableIdCert {
            cert: actor.to_pem(),
            invalidated_at,
            cache_not_valid_before: now - 10,
            cache_not_valid_after: now + 3600,
            cache_signature: sdk_key.sign(signed.as_bytes()).as_hex(),
        };
        let json = polyproto::canonicalize_to_jcs(&sdk).unwrap();

        let ours: CacheableIdCert = serde_json::from_str(json.as_str()).unwrap();
        assert_eq!(ours.invalidated_at, invalidated_at);
        let cert = ours.verify(&home_server.key.verifying_key()).unwrap();
        assert_eq!(cert, actor);
        ours.check_window(now).unwrap();
        assert!(ours.verify(&fixtures::key(0x02).verifying_key()).is_err());
        assert_eq!(ours.to_jcs(), json.as_str());
    }
}

#[test]
fn sdk_issued_certs_pass_our_validation() {
    let hs_key = SdkPrivateKey(fixtures::key(0x21));
    let actor_key = SdkPrivateKey(fixtures::key(0x22));
    let now = now_unix();

    // The home server's self-signed certificate, issued by the SDK.
    let hs_tbs = IdCertTbsHs {
        serial_number: sdk::serial(HOME_SERVER_SERIAL).expect("a valid SDK value"),
        signature_algorithm: SdkSignature::algorithm_identifier(),
        issuer: sdk::home_server_dn(DOMAIN).expect("a valid SDK value"),
        validity: sdk::validity(now - 86_400, now + 365 * 86_400).expect("a valid SDK value"),
        subject: sdk::home_server_dn(DOMAIN).expect("a valid SDK value"),
        subject_public_key: hs_key.pubkey(),
        capabilities: HomeServerCapabilities::default(),
        signature_scheme: std::marker::PhantomData,
    };
    let hs_cert = SdkHsCert::try_from_tbs(
        &hs_tbs,
        &hs_key,
        hs_tbs.serial_number.clone(),
        hs_tbs.issuer.clone(),
        hs_tbs.validity,
    )
    .unwrap();
    let hs_pem = hs_cert.try_to_pem(LineEnding::LF).unwrap();

    // The actor's certificate, issued by the SDK from its own ID-CSR.
    let csr = sdk_csr(&actor_key);
    let actor_tbs = IdCertTbsActor {
        serial_number: sdk::serial(ACTOR_SERIAL).expect("a valid SDK value"),
        signature_algorithm: SdkSignature::algorithm_identifier(),
        issuer: sdk::home_server_dn(DOMAIN).expect("a valid SDK value"),
        validity: sdk::validity(now - 3600, now + 30 * 86_400).expect("a valid SDK value"),
        subject: csr.inner_csr.subject.clone(),
        subject_public_key: csr.inner_csr.subject_public_key.clone(),
        capabilities: ActorCapabilities::try_from(csr.inner_csr.capabilities.clone()).unwrap(),
        signature_scheme: std::marker::PhantomData,
    };
    let actor_cert = SdkActorCert::try_from_tbs(
        &actor_tbs,
        &hs_key,
        actor_tbs.serial_number.clone(),
        actor_tbs.issuer.clone(),
        actor_tbs.validity,
    )
    .unwrap();
    let actor_pem = actor_cert.try_to_pem(LineEnding::LF).unwrap();
    // Sanity: the SDK accepts what it issued.
    SdkActorCert::try_from_pem(&actor_pem, now, &hs_key.pubkey()).unwrap();

    // Our strict parser and validation accept both.
    let hs = IdCert::from_pem(&hs_pem).unwrap();
    hs.validate_home_server(now).unwrap();
    assert_eq!(*hs.public_key(), hs_key.0.verifying_key());
    assert_eq!(hs.issuer_domain().as_str(), DOMAIN);
    assert_eq!(hs.to_pem(), hs_pem);

    let actor = IdCert::from_pem(&actor_pem).unwrap();
    actor.validate_actor(&hs, now).unwrap();
    let dn = actor.actor().unwrap();
    assert_eq!(dn.fid().as_str(), ACTOR_FID);
    assert_eq!(dn.session_id().as_str(), SESSION_ID);
    assert_eq!(*actor.public_key(), actor_key.0.verifying_key());
    assert_eq!(actor.serial().to_u64(), Some(ACTOR_SERIAL));
    assert_eq!(actor.to_pem(), actor_pem);

    // Our issuance of the same certificate is byte-identical to the SDK's.
    let ours = IdCert::issue_actor(
        &IdCsr::from_pem(&SdkIdCsr::from(csr).to_pem(LineEnding::LF).unwrap()).unwrap(),
        &hs_key.0,
        &fixtures::domain(),
        actor.serial(),
        actor.validity(),
    )
    .unwrap();
    assert_eq!(ours.as_der(), actor.as_der());

    // And it fails under a home server whose key differs.
    let other = HomeServer::new(0x02);
    assert_eq!(
        actor.validate_actor(&other.cert, now),
        Err(CertError::BadSignature)
    );
}
