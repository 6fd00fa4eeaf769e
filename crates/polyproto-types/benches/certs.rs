//! Benchmarks of the certificate, cache and challenge operations a home server runs per
//! request, each next to the same operation in the reference SDK `polyproto` 0.21 where it has
//! one (`ours` and `polyproto` in one criterion group, so the report shows them side by side).
//!
//! `cargo bench -p polyproto-types --features mls -- --quick` for a fast run.

#[allow(
    dead_code,
    reason = "shared with the integration tests, which use more of it"
)]
#[path = "../tests/it/fixtures.rs"]
mod fixtures;
#[allow(
    dead_code,
    reason = "shared with the integration tests, which use more of it"
)]
use std::hint::black_box;

use criterion::Criterion;
use fixtures::HomeServer;
use polyproto::api::cacheable_cert::CacheableIdCert as SdkCacheableIdCert;
use polyproto::certs::idcert::IdCertActor;
use polyproto::certs::idcert::traits::IdCertBehaviors as _;
use polyproto::certs::idcsr::IdCsr as SdkIdCsr;
use polyproto::key::PublicKey as _;
use polyproto_sdk_adapter::{SdkPublicKey, SdkSignature};
use polyproto_types::certs::{Serial, Validity};
use polyproto_types::challenge::{ChallengeString, CompletedChallenge};
use polyproto_types::time::now_unix;
use polyproto_types::{CacheableIdCert, IdCert, IdCsr};

/// Parse a PEM ID-CSR and verify its signature. The SDK has no CSR check of its own, so its
/// side is what an SDK-based server does: parse, then verify over `signature_data()`.
fn csr_parse_verify(c: &mut Criterion) {
    let pem = fixtures::actor_csr(&fixtures::key(0x11)).to_pem();
    let mut group = c.benchmark_group("csr_parse_verify");
    group.bench_function("ours", |b| {
        b.iter(|| IdCsr::from_pem(black_box(&pem)).expect("valid CSR"));
    });
    group.bench_function("polyproto", |b| {
        b.iter(|| {
            let csr = SdkIdCsr::<SdkSignature, SdkPublicKey>::from_pem_unchecked(black_box(&pem))
                .expect("valid CSR");
            let data = csr.signature_data().expect("encodable");
            csr.inner_csr
                .subject_public_key
                .verify_signature(&csr.signature, &data)
                .expect("valid signature");
            csr
        });
    });
    group.finish();
}

/// The whole issuance of `POST /idcert`: PEM CSR → verified ID-CSR → signed ID-Cert → PEM.
fn issuance(c: &mut Criterion) {
    let home_server = HomeServer::new(0x01);
    let pem = fixtures::actor_csr(&fixtures::key(0x11)).to_pem();
    let domain = fixtures::domain();
    let now = now_unix();
    let validity = Validity::new(now, now + 30 * 86_400).expect("validity");
    let mut group = c.benchmark_group("issue_actor_cert");
    group.bench_function("ours", |b| {
        b.iter(|| {
            let csr = IdCsr::from_pem(black_box(&pem)).expect("valid CSR");
            IdCert::issue_actor(&csr, &home_server.key, &domain, &Serial::random(), validity)
                .expect("issued")
                .to_pem()
        });
    });
    group.finish();
}

/// Parse a PEM actor ID-Cert and fully validate it under its (already parsed) home server.
fn cert_parse_validate(c: &mut Criterion) {
    let home_server = HomeServer::new(0x01);
    let pem = home_server
        .issue(&fixtures::actor_csr(&fixtures::key(0x11)))
        .to_pem();
    let hs_public = SdkPublicKey(home_server.key.verifying_key());
    let now = now_unix();
    let mut group = c.benchmark_group("cert_parse_full_validate");
    group.bench_function("ours", |b| {
        b.iter(|| {
            let cert = IdCert::from_pem(black_box(&pem)).expect("valid cert");
            cert.validate_actor(&home_server.cert, now).expect("valid");
            cert
        });
    });
    group.bench_function("polyproto", |b| {
        b.iter(|| {
            IdCertActor::<SdkSignature, SdkPublicKey>::try_from_pem(
                black_box(&pem),
                now,
                &hs_public,
            )
            .expect("valid cert")
        });
    });
    group.finish();
}

/// Sign cache information and serialize it as JCS; then read it back from JCS and verify it
/// (the certificate inside is parsed, not validated, on both sides).
fn cache(c: &mut Criterion) {
    let home_server = HomeServer::new(0x01);
    let cert = home_server.issue(&fixtures::actor_csr(&fixtures::key(0x11)));
    let now = now_unix();
    let mut group = c.benchmark_group("cache_sign");
    group.bench_function("ours", |b| {
        b.iter(|| {
            CacheableIdCert::sign(black_box(&cert), now, now + 3600, None, &home_server.key)
                .to_jcs()
        });
    });
    group.finish();

    let jcs = CacheableIdCert::sign(&cert, now, now + 3600, Some(now), &home_server.key).to_jcs();
    let hs_key = home_server.key.verifying_key();
    let hs_public = SdkPublicKey(hs_key);
    let mut group = c.benchmark_group("cache_verify");
    group.bench_function("ours", |b| {
        b.iter(|| {
            let cached: CacheableIdCert =
                serde_json::from_str(black_box(&jcs)).expect("valid JSON");
            cached.verify(&hs_key).expect("valid signature")
        });
    });
    group.bench_function("polyproto", |b| {
        b.iter(|| {
            let cached: SdkCacheableIdCert =
                serde_json::from_str(black_box(&jcs)).expect("valid JSON");
            cached
                .verify::<SdkSignature, SdkPublicKey>(&hs_public)
                .expect("valid signature");
            cached
        });
    });
    group.finish();
}

/// Verify a completed challenge from its JSON form (the SDK's key-trial check is inverted,
/// interop notes §7, so there is nothing of its to compare with).
fn challenge(c: &mut Criterion) {
    let key = fixtures::key(0x11);
    let public = key.verifying_key();
    let json = serde_json::to_string(&ChallengeString::generate().sign(&key)).expect("JSON");
    let mut group = c.benchmark_group("challenge_verify");
    group.bench_function("ours", |b| {
        b.iter(|| {
            let solved: CompletedChallenge =
                serde_json::from_str(black_box(&json)).expect("valid JSON");
            solved.verify(&public).expect("valid signature");
        });
    });
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    csr_parse_verify(&mut criterion);
    issuance(&mut criterion);
    cert_parse_validate(&mut criterion);
    cache(&mut criterion);
    challenge(&mut criterion);
    criterion.final_summary();
}
