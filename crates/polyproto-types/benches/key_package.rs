//! Benchmark of the KeyPackage upload check (docs/wire-contract.md §5.1): decode, openmls `validate`
//! (two Ed25519 signatures), policy and binding checks, `KeyPackageRef`. The reference SDK
//! `polyproto` 0.21 has no KeyPackage validation to compare with.

use std::hint::black_box;

use criterion::Criterion;
use polyproto_test_support::key_packages::{
    MLS_MESSAGE_HEADER_LEN, build_key_package, signing_key, unix_now,
};
use polyproto_types::key_package::{
    KeyPackageBinding, KeyPackagePolicy, MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
    validate_key_package,
};

fn key_package_validation(c: &mut Criterion) {
    let key = signing_key(0x33);
    let public = key.verifying_key().to_bytes();
    let now = unix_now();
    let package = build_key_package(
        &key,
        "alice@example.com",
        now - 3600,
        now + 30 * 86_400,
        false,
        MLS_128_DHKEMX25519_AES128GCM_SHA256_ED25519,
    );
    let policy = KeyPackagePolicy::default();
    let binding = KeyPackageBinding {
        signature_key: &public,
        identity: "alice@example.com",
        id_cert_der: None,
    };
    let mut group = c.benchmark_group("key_package_validate");
    group.bench_function("mls_message", |b| {
        b.iter(|| {
            validate_key_package(black_box(&package), &policy, &binding, now).expect("valid")
        });
    });
    let bare = &package[MLS_MESSAGE_HEADER_LEN..];
    group.bench_function("bare", |b| {
        b.iter(|| validate_key_package(black_box(bare), &policy, &binding, now).expect("valid"));
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    key_package_validation(&mut criterion);
    criterion.final_summary();
}
