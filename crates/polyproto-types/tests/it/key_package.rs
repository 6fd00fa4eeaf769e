//! KeyPackage validation (docs/wire-contract.md §5.1; RFC 9420 §10.1) on real KeyPackages built with
//! openmls by the test-support crate: every check of `validate_key_package`, each with a
//! package that passes all the others.

use ed25519_dalek::{Signer as _, SigningKey};
use openmls::prelude::{
    Capabilities, Ciphersuite, Credential, CredentialType, CredentialWithKey, Extension,
    ExtensionType, Extensions, KeyPackageIn, MlsGroup, MlsGroupCreateConfig, MlsGroupJoinConfig,
    MlsMessageBodyIn, MlsMessageIn, ProtocolVersion, StagedWelcome, UnknownExtension,
};
use openmls_rust_crypto::{OpenMlsRustCrypto, RustCrypto};
use openmls_traits::crypto::OpenMlsCrypto as _;
use openmls_traits::types::HashType;
use tls_codec::{Deserialize as _, Serialize as _};

use polyproto_test_support::key_packages::{
    Ed25519Signer, MLS_MESSAGE_HEADER_LEN, TestKeyPackage, basic_credential, build_key_package,
    signing_key, unix_now, x509_credential,
};
use polyproto_types::key_package::{
    CredentialKind, KeyPackageBinding, KeyPackageError, KeyPackageFormat, KeyPackagePolicy,
    ValidatedKeyPackage, validate_key_package,
};

const ALICE: &str = "alice@example.com";
const DAY: u64 = 24 * 3600;

fn alice() -> SigningKey {
    signing_key(1)
}

fn alice_pub() -> [u8; 32] {
    alice().verifying_key().to_bytes()
}

fn validate_as_alice(bytes: &[u8], now: u64) -> Result<ValidatedKeyPackage, KeyPackageError> {
    let key = alice_pub();
    let binding = KeyPackageBinding {
        signature_key: &key,
        identity: ALICE,
        id_cert_der: None,
    };
    validate_key_package(bytes, &KeyPackagePolicy::default(), &binding, now)
}

fn alice_package() -> Vec<u8> {
    TestKeyPackage::basic(&alice(), ALICE).build()
}

fn bare(bytes: &[u8]) -> &[u8] {
    &bytes[MLS_MESSAGE_HEADER_LEN..]
}

/// MLS variable-length vector prefix (RFC 9420 §2.1.2).
fn vl(bytes: &[u8]) -> Vec<u8> {
    let mut out = match bytes.len() {
        n if n < 0x40 => vec![n as u8],
        n if n < 0x4000 => vec![0x40 | (n >> 8) as u8, n as u8],
        n => (0x8000_0000u32 | n as u32).to_be_bytes().to_vec(),
    };
    out.extend_from_slice(bytes);
    out
}

/// A bare KeyPackage with TBS part `tbs` and a fresh signature
/// `SignWithLabel(key, "KeyPackageTBS", tbs)` (RFC 9420 §5.1.2, §10).
fn resign(tbs: &[u8], key: &SigningKey) -> Vec<u8> {
    let mut content = vl(b"MLS 1.0 KeyPackageTBS");
    content.extend_from_slice(&vl(tbs));
    let signature = key.sign(&content).to_bytes();
    let mut out = tbs.to_vec();
    out.extend_from_slice(&vl(&signature));
    out
}

/// The TBS part of a bare KeyPackage: all but the signature, which is the last field
/// (an Ed25519 signature: varint length `40 40`, then 64 bytes).
fn tbs_of(bare: &[u8]) -> &[u8] {
    let at = bare.len() - 66;
    assert_eq!(
        bare[at..at + 2],
        [0x40, 0x40],
        "Ed25519 signature vector at the end"
    );
    &bare[..at]
}

#[test]
fn valid_mls_message_and_bare_forms() {
    let now = unix_now();
    let bytes = alice_package();
    assert_eq!(&bytes[..4], &[0x00, 0x01, 0x00, 0x05]);

    let wrapped = validate_as_alice(&bytes, now).unwrap();
    assert_eq!(wrapped.format(), KeyPackageFormat::MlsMessage);
    assert_eq!(wrapped.ciphersuite(), 0x0001);
    assert_eq!(wrapped.signature_key(), alice_pub());
    assert_eq!(wrapped.credential_kind(), CredentialKind::Basic);
    assert_eq!(wrapped.credential_identity(), ALICE.as_bytes());
    assert!(wrapped.not_before() <= now && now < wrapped.not_after());
    assert_eq!(wrapped.not_after() - wrapped.not_before(), 30 * DAY + 3600);
    assert!(!wrapped.is_last_resort());
    assert_eq!(wrapped.payload(), bytes.as_slice());

    let bare_bytes = bare(&bytes);
    let plain = validate_as_alice(bare_bytes, now).unwrap();
    assert_eq!(plain.format(), KeyPackageFormat::Bare);
    assert_eq!(plain.hash_ref(), wrapped.hash_ref());
    assert_eq!(plain.payload(), bare_bytes);
    assert_eq!(plain.into_payload().into_bytes(), bare_bytes);

    // KeyPackageRef = RefHash("MLS 1.0 KeyPackage Reference", KeyPackage) (RFC 9420 §5.2),
    // recomputed independently.
    let mut input = vl(b"MLS 1.0 KeyPackage Reference");
    input.extend_from_slice(&vl(bare_bytes));
    let expected = RustCrypto::default()
        .hash(HashType::Sha2_256, &input)
        .unwrap();
    assert_eq!(wrapped.hash_ref().as_slice(), expected.as_slice());

    assert_eq!(wrapped.into_payload().as_bytes(), bytes.as_slice());
}

#[test]
fn last_resort_detected() {
    let now = unix_now();
    let bytes = build_key_package(&alice(), ALICE, now - 60, now + DAY, true, 1);
    let validated = validate_as_alice(&bytes, now).unwrap();
    assert!(validated.is_last_resort());
    assert!(
        validated
            .key_package()
            .leaf_node()
            .capabilities()
            .extensions()
            .contains(&ExtensionType::LastResort)
    );
}

#[test]
fn last_resort_not_in_capabilities_is_refused() {
    let mut spec = TestKeyPackage::basic(&alice(), ALICE);
    spec.capabilities = Some(
        Capabilities::builder()
            .credentials(vec![CredentialType::Basic])
            .build(),
    );
    spec.last_resort = true;
    assert_eq!(
        validate_as_alice(&spec.build(), unix_now()).unwrap_err(),
        KeyPackageError::UnsupportedExtension
    );
}

#[test]
fn leaf_extension_not_in_capabilities_is_refused() {
    let mut spec = TestKeyPackage::basic(&alice(), ALICE);
    spec.leaf_extensions = Some(
        Extensions::single(Extension::Unknown(0xff01, UnknownExtension(vec![1, 2, 3]))).unwrap(),
    );
    assert_eq!(
        validate_as_alice(&spec.build(), unix_now()).unwrap_err(),
        KeyPackageError::UnsupportedLeafExtension(0xff01)
    );
    // Listed in the capabilities: fine.
    spec.capabilities = Some(
        Capabilities::builder()
            .credentials(vec![CredentialType::Basic])
            .extensions(vec![ExtensionType::Unknown(0xff01)])
            .build(),
    );
    validate_as_alice(&spec.build(), unix_now()).unwrap();
}

#[test]
fn tampered_key_package_signature() {
    let mut bytes = alice_package();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    assert_eq!(
        validate_as_alice(&bytes, unix_now()).unwrap_err(),
        KeyPackageError::InvalidSignature
    );
    // The init key is covered only by the KeyPackage signature.
    let mut bytes = alice_package();
    bytes[MLS_MESSAGE_HEADER_LEN + 5] ^= 0x01;
    assert_eq!(
        validate_as_alice(&bytes, unix_now()).unwrap_err(),
        KeyPackageError::InvalidSignature
    );
}

#[test]
fn tampered_leaf() {
    let mut bytes = alice_package();
    let at = bytes
        .windows(ALICE.len())
        .position(|w| w == ALICE.as_bytes())
        .unwrap();
    bytes[at] = b'm';
    assert_eq!(
        validate_as_alice(&bytes, unix_now()).unwrap_err(),
        KeyPackageError::InvalidLeafSignature
    );
}

#[test]
fn expired_lifetime_in_the_past() {
    let now = unix_now();
    let bytes = build_key_package(&alice(), ALICE, now - 2 * DAY, now - DAY, false, 1);
    assert!(matches!(
        validate_as_alice(&bytes, now).unwrap_err(),
        KeyPackageError::Expired { not_after, .. } if not_after == now - DAY
    ));
}

#[test]
fn expired_at_given_time() {
    let bytes = alice_package();
    let validated = validate_as_alice(&bytes, unix_now()).unwrap();
    let not_after = validated.not_after();
    assert_eq!(
        validate_as_alice(&bytes, not_after).unwrap_err(),
        KeyPackageError::Expired {
            not_after,
            now: not_after
        }
    );
    validate_as_alice(&bytes, not_after - 1).unwrap();
}

#[test]
fn not_yet_valid() {
    let now = unix_now();
    let bytes = build_key_package(&alice(), ALICE, now + DAY, now + 2 * DAY, false, 1);
    assert!(matches!(
        validate_as_alice(&bytes, now).unwrap_err(),
        KeyPackageError::NotYetValid { not_before, .. } if not_before == now + DAY
    ));
    // And against the given time only.
    let bytes = alice_package();
    let not_before = validate_as_alice(&bytes, now).unwrap().not_before();
    assert_eq!(
        validate_as_alice(&bytes, not_before - 1).unwrap_err(),
        KeyPackageError::NotYetValid {
            not_before,
            now: not_before - 1
        }
    );
    validate_as_alice(&bytes, not_before).unwrap();
}

#[test]
fn lifetime_too_long() {
    let now = unix_now();
    let nb = now - 60;
    let bytes = build_key_package(&alice(), ALICE, nb, nb + 90 * DAY + 1, false, 1);
    assert_eq!(
        validate_as_alice(&bytes, now).unwrap_err(),
        KeyPackageError::LifetimeTooLong {
            range_secs: 90 * DAY + 1,
            max_secs: 90 * DAY
        }
    );
    // Exactly the maximum is fine.
    let bytes = build_key_package(&alice(), ALICE, nb, nb + 90 * DAY, false, 1);
    validate_as_alice(&bytes, now).unwrap();
}

#[test]
fn wrong_signature_key() {
    let bytes = TestKeyPackage::basic(&signing_key(2), ALICE).build();
    assert_eq!(
        validate_as_alice(&bytes, unix_now()).unwrap_err(),
        KeyPackageError::WrongSignatureKey
    );
}

#[test]
fn wrong_identity() {
    for identity in [
        "mallory@example.com",
        "alice@example.co",
        "Alice@example.com",
    ] {
        let bytes = TestKeyPackage::basic(&alice(), identity).build();
        assert_eq!(
            validate_as_alice(&bytes, unix_now()).unwrap_err(),
            KeyPackageError::WrongIdentity
        );
    }
}

#[test]
fn disallowed_ciphersuite() {
    let now = unix_now();
    let bytes = build_key_package(&alice(), ALICE, now - 60, now + DAY, false, 3);
    assert_eq!(
        validate_as_alice(&bytes, now).unwrap_err(),
        KeyPackageError::DisallowedCiphersuite(3)
    );
    assert_eq!(
        validate_as_alice(bare(&bytes), now).unwrap_err(),
        KeyPackageError::DisallowedCiphersuite(3)
    );
    // Allowed by policy: accepted.
    let key = alice_pub();
    let binding = KeyPackageBinding {
        signature_key: &key,
        identity: ALICE,
        id_cert_der: None,
    };
    let policy = KeyPackagePolicy {
        allowed_ciphersuites: vec![1, 3],
        ..KeyPackagePolicy::default()
    };
    let validated = validate_key_package(&bytes, &policy, &binding, now).unwrap();
    assert_eq!(validated.ciphersuite(), 3);
}

#[test]
fn capabilities_missing_own_ciphersuite() {
    let mut spec = TestKeyPackage::basic(&alice(), ALICE);
    spec.capabilities = Some(
        Capabilities::builder()
            .ciphersuites(vec![Ciphersuite::MLS_128_DHKEMP256_AES128GCM_SHA256_P256])
            .credentials(vec![CredentialType::Basic])
            .build(),
    );
    assert_eq!(
        validate_as_alice(&spec.build(), unix_now()).unwrap_err(),
        KeyPackageError::CapabilitiesMissingCiphersuite(1)
    );
}

#[test]
fn capabilities_missing_version() {
    let mut spec = TestKeyPackage::basic(&alice(), ALICE);
    spec.capabilities = Some(
        Capabilities::builder()
            .versions(vec![ProtocolVersion::Other(2)])
            .credentials(vec![CredentialType::Basic])
            .build(),
    );
    assert_eq!(
        validate_as_alice(&spec.build(), unix_now()).unwrap_err(),
        KeyPackageError::CapabilitiesMissingVersion
    );
}

#[test]
fn capabilities_missing_credential_type() {
    let cert = b"\x30\x03\x02\x01\x01".as_slice();
    let mut spec = TestKeyPackage::basic(&alice(), ALICE);
    spec.credential = x509_credential(&[cert]);
    spec.capabilities = Some(
        Capabilities::builder()
            .credentials(vec![CredentialType::Basic])
            .build(),
    );
    assert_eq!(
        validate_as_alice(&spec.build(), unix_now()).unwrap_err(),
        KeyPackageError::CapabilitiesMissingCredentialType(2)
    );
}

#[test]
fn x509_credential_must_start_with_the_id_cert() {
    let now = unix_now();
    let id_cert = b"\x30\x05\x02\x03\x01\x02\x03".as_slice();
    let ca_cert = b"\x30\x03\x02\x01\x07".as_slice();
    let mut spec = TestKeyPackage::basic(&alice(), ALICE);
    spec.credential = x509_credential(&[id_cert, ca_cert]);
    let bytes = spec.build();

    let key = alice_pub();
    let policy = KeyPackagePolicy::default();
    let mut binding = KeyPackageBinding {
        signature_key: &key,
        identity: ALICE,
        id_cert_der: Some(id_cert),
    };
    let validated = validate_key_package(&bytes, &policy, &binding, now).unwrap();
    assert_eq!(validated.credential_kind(), CredentialKind::X509);
    assert_eq!(validated.credential_identity(), id_cert);

    binding.id_cert_der = Some(ca_cert);
    assert_eq!(
        validate_key_package(&bytes, &policy, &binding, now).unwrap_err(),
        KeyPackageError::WrongCertificate
    );
    binding.id_cert_der = None;
    assert_eq!(
        validate_key_package(&bytes, &policy, &binding, now).unwrap_err(),
        KeyPackageError::MissingIdCert
    );

    // An empty chain.
    spec.credential = Credential::new(CredentialType::X509, Vec::new());
    binding.id_cert_der = Some(id_cert);
    assert!(matches!(
        validate_key_package(&spec.build(), &policy, &binding, now).unwrap_err(),
        KeyPackageError::InvalidCertificateChain(_)
    ));
}

#[test]
fn other_credential_types_are_refused() {
    let mut spec = TestKeyPackage::basic(&alice(), ALICE);
    spec.credential = Credential::new(CredentialType::Other(0xF000), b"alice".to_vec());
    assert_eq!(
        validate_as_alice(&spec.build(), unix_now()).unwrap_err(),
        KeyPackageError::UnsupportedCredential(0xF000)
    );
}

#[test]
fn truncated_bytes() {
    let bytes = alice_package();
    for cut in [1, 2, 3, 5, 10, 40, 100, bytes.len() - 1] {
        let err = validate_as_alice(&bytes[..cut], unix_now()).unwrap_err();
        assert!(
            matches!(err, KeyPackageError::Decode(_)),
            "cut {cut}: {err:?}"
        );
        if cut > MLS_MESSAGE_HEADER_LEN {
            let err = validate_as_alice(&bare(&bytes)[..cut - 4], unix_now()).unwrap_err();
            assert!(
                matches!(err, KeyPackageError::Decode(_)),
                "bare cut {cut}: {err:?}"
            );
        }
    }
}

#[test]
fn one_trailing_byte() {
    let mut bytes = alice_package();
    bytes.push(0);
    assert_eq!(
        validate_as_alice(&bytes, unix_now()).unwrap_err(),
        KeyPackageError::TrailingBytes
    );
    assert_eq!(
        validate_as_alice(bare(&bytes), unix_now()).unwrap_err(),
        KeyPackageError::TrailingBytes
    );
}

#[test]
fn empty_input() {
    assert_eq!(
        validate_as_alice(&[], unix_now()).unwrap_err(),
        KeyPackageError::Empty
    );
}

#[test]
fn wrong_protocol_version() {
    let mut bytes = alice_package();
    bytes[1] = 2; // MLSMessage.version
    assert_eq!(
        validate_as_alice(&bytes, unix_now()).unwrap_err(),
        KeyPackageError::ProtocolVersion
    );
    let mut bytes = alice_package();
    bytes[MLS_MESSAGE_HEADER_LEN + 1] = 2; // KeyPackage.version inside the MLSMessage
    assert_eq!(
        validate_as_alice(&bytes, unix_now()).unwrap_err(),
        KeyPackageError::ProtocolVersion
    );
}

#[test]
fn bare_protocol_version_and_garbage() {
    // A bare KeyPackage claiming version 2 (signatures are checked first, so re-sign).
    let mut tbs = tbs_of(bare(&alice_package())).to_vec();
    tbs[1] = 2;
    assert_eq!(
        validate_as_alice(&resign(&tbs, &alice()), unix_now()).unwrap_err(),
        KeyPackageError::ProtocolVersion
    );
    for garbage in [
        b"hello world".as_slice(),
        b"{\"kp\": 1}",
        &[0xff; 300],
        &[0x00],
    ] {
        let err = validate_as_alice(garbage, unix_now()).unwrap_err();
        assert!(
            matches!(err, KeyPackageError::Decode(_)),
            "{garbage:?}: {err:?}"
        );
    }
}

#[test]
fn init_key_checks_after_resigning() {
    let now = unix_now();
    let bytes = alice_package();
    let tbs = tbs_of(bare(&bytes)).to_vec();
    // Layout: version(2) suite(2) init_key(1 + 32) leaf: encryption_key(1 + 32) ...
    assert_eq!(tbs[4], 32);
    assert_eq!(tbs[37], 32);

    // Re-signing the unchanged TBS gives the same (deterministic Ed25519) package.
    assert_eq!(resign(&tbs, &alice()), bare(&bytes));

    // init_key := leaf encryption_key.
    let mut same = tbs.clone();
    let encryption_key = tbs[38..70].to_vec();
    same[5..37].copy_from_slice(&encryption_key);
    assert_eq!(
        validate_as_alice(&resign(&same, &alice()), now).unwrap_err(),
        KeyPackageError::InitKeyEqualsEncryptionKey
    );

    // A 31-byte init key, correctly signed.
    let mut short = tbs[..4].to_vec();
    short.push(31);
    short.extend_from_slice(&tbs[5..36]);
    short.extend_from_slice(&tbs[37..]);
    assert_eq!(
        validate_as_alice(&resign(&short, &alice()), now).unwrap_err(),
        KeyPackageError::InitKeyLength {
            expected: 32,
            actual: 31
        }
    );
}

#[test]
fn client_side_hash_ref_matches() {
    let provider = OpenMlsRustCrypto::default();
    let bytes = TestKeyPackage::basic(&alice(), ALICE).build_with(&provider);
    let validated = validate_as_alice(&bytes, unix_now()).unwrap();
    let kp = KeyPackageIn::tls_deserialize_exact(bare(&bytes))
        .unwrap()
        .validate(&RustCrypto::default(), ProtocolVersion::Mls10)
        .unwrap();
    assert_eq!(
        kp.hash_ref(&RustCrypto::default()).unwrap().as_slice(),
        validated.hash_ref()
    );
    // Re-serializes byte-identically (storing the uploaded bytes is the same thing).
    assert_eq!(kp.tls_serialize_detached().unwrap(), bare(&bytes));
}

/// A validated package is usable: a group creator adds it and its owner joins from the
/// Welcome (RFC 9420 §12.4.3.1), which names the package by its KeyPackageRef.
#[test]
fn claimed_package_can_join_a_group() {
    let now = unix_now();
    let alice_provider = OpenMlsRustCrypto::default();
    let uploaded = TestKeyPackage::basic(&alice(), ALICE).build_with(&alice_provider);
    let validated = validate_as_alice(&uploaded, now).unwrap();

    // Bob claims it and adds Alice.
    let bob_key = signing_key(2);
    let bob_signer = Ed25519Signer(bob_key.clone());
    let bob_provider = OpenMlsRustCrypto::default();
    let config = MlsGroupCreateConfig::builder()
        .ciphersuite(Ciphersuite::MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519)
        .build();
    let mut group = MlsGroup::new(
        &bob_provider,
        &bob_signer,
        &config,
        CredentialWithKey {
            credential: basic_credential("bob@example.com"),
            signature_key: bob_key.verifying_key().to_bytes().to_vec().into(),
        },
    )
    .unwrap();
    let (_commit, welcome, _group_info) = group
        .add_members(
            &bob_provider,
            &bob_signer,
            &[validated.key_package().clone()],
        )
        .unwrap();
    group.merge_pending_commit(&bob_provider).unwrap();

    let welcome_bytes = welcome.to_bytes().unwrap();
    // A Welcome is not a KeyPackage.
    assert_eq!(
        validate_as_alice(&welcome_bytes, now).unwrap_err(),
        KeyPackageError::WrongWireFormat(3)
    );
    let MlsMessageBodyIn::Welcome(welcome) = MlsMessageIn::tls_deserialize_exact(&welcome_bytes)
        .unwrap()
        .extract()
    else {
        panic!("not a Welcome");
    };
    assert_eq!(
        welcome.secrets()[0].new_member().as_slice(),
        validated.hash_ref()
    );

    let alice_group = StagedWelcome::new_from_welcome(
        &alice_provider,
        &MlsGroupJoinConfig::default(),
        welcome,
        Some(group.export_ratchet_tree().into()),
    )
    .unwrap()
    .into_group(&alice_provider)
    .unwrap();
    assert_eq!(alice_group.group_id(), group.group_id());
    assert_eq!(alice_group.epoch(), group.epoch());
    assert_eq!(alice_group.members().count(), 2);
    assert_eq!(
        alice_group.own_leaf().unwrap().signature_key().as_slice(),
        alice_pub()
    );
}
