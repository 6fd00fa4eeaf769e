//! Tests for KeyPackage payloads and ciphersuite selectors; validation is tested in
//! `tests/it/key_package.rs` on real KeyPackages.

use super::{KeyPackageError, KeyPackagePayload, ciphersuite_name, parse_ciphersuite};

// ---------------------------------------------------------------------------------------------
// KeyPackagePayload (docs/wire-contract.md §2, §5.1)

#[test]
fn payload_base64_serde_round_trip() {
    let payload = KeyPackagePayload::new(vec![0x00, 0x01, 0x00, 0x05, 0xff, 0xfe]);
    let json = serde_json::to_string(&payload).unwrap();
    assert_eq!(json, "\"AAEABf/+\"");
    let back: KeyPackagePayload = serde_json::from_str(&json).unwrap();
    assert_eq!(back, payload);
    assert_eq!(back.as_bytes(), &[0x00, 0x01, 0x00, 0x05, 0xff, 0xfe]);
    assert_eq!(back.len(), 6);
    assert!(!back.is_empty());
    assert_eq!(back.to_base64(), "AAEABf/+");
    assert_eq!(back.into_bytes(), vec![0x00, 0x01, 0x00, 0x05, 0xff, 0xfe]);

    // Padding is emitted and optional on input.
    let one = KeyPackagePayload::new(vec![0xab]);
    assert_eq!(one.to_base64(), "qw==");
    assert_eq!(KeyPackagePayload::from_base64("qw==").unwrap(), one);
    assert_eq!(KeyPackagePayload::from_base64("qw").unwrap(), one);
    let back: KeyPackagePayload = serde_json::from_str("\"qw\"").unwrap();
    assert_eq!(back, one);

    let empty: KeyPackagePayload = serde_json::from_str("\"\"").unwrap();
    assert!(empty.is_empty());
}

#[test]
fn payload_rejects_non_base64() {
    for bad in [
        "not base64!",
        "AAEABf_-",
        "AAEABf-/",
        "qw=",
        "q===",
        "AAE ABf/+",
        "qx==",
    ] {
        assert!(
            matches!(
                KeyPackagePayload::from_base64(bad),
                Err(KeyPackageError::Base64(_))
            ),
            "{bad:?} must be refused"
        );
        let json = format!("\"{bad}\"");
        let err = serde_json::from_str::<KeyPackagePayload>(&json).unwrap_err();
        assert!(
            err.to_string().contains("not valid standard base64"),
            "{err}"
        );
    }
    let err = serde_json::from_str::<KeyPackagePayload>("42").unwrap_err();
    assert!(err.to_string().contains("standard base64 string"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// parse_ciphersuite (docs/wire-contract.md §5.2)

#[test]
fn parse_ciphersuite_accepts_numbers_and_names() {
    assert_eq!(parse_ciphersuite("0x0001").unwrap(), 1);
    assert_eq!(parse_ciphersuite("0X1").unwrap(), 1);
    assert_eq!(parse_ciphersuite("1").unwrap(), 1);
    assert_eq!(parse_ciphersuite(" 3 ").unwrap(), 3);
    assert_eq!(parse_ciphersuite("0xF110").unwrap(), 0xF110);
    assert_eq!(parse_ciphersuite("0xf110").unwrap(), 0xF110);
    assert_eq!(parse_ciphersuite("65535").unwrap(), 0xFFFF);
    assert_eq!(
        parse_ciphersuite("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519").unwrap(),
        1
    );
    assert_eq!(
        parse_ciphersuite("mls_128_dhkemx25519_aes128gcm_sha256_ed25519").unwrap(),
        1
    );
    assert_eq!(
        parse_ciphersuite("MLS_128_DHKEMX25519_CHACHA20POLY1305_SHA256_ED25519").unwrap(),
        3
    );
    assert_eq!(
        parse_ciphersuite("MLS_256_DHKEMP384_AES256GCM_SHA384_P384").unwrap(),
        7
    );
    assert_eq!(
        ciphersuite_name(1),
        Some("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519")
    );
    assert_eq!(ciphersuite_name(0xF110), None);
}

#[test]
fn parse_ciphersuite_rejects_garbage() {
    for bad in [
        "",
        " ",
        "0",
        "0x0000",
        "0x",
        "0x+1",
        "+1",
        "-1",
        "65536",
        "0x10000",
        "0x1g",
        "1.0",
        "MLS_128",
        "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519x",
        "ed25519",
    ] {
        assert_eq!(
            parse_ciphersuite(bad),
            Err(KeyPackageError::UnknownCiphersuite(bad.to_owned())),
            "{bad:?}"
        );
    }
}
