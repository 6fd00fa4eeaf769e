//! The baselines `cargo xtask bench` compares the server with, built in release beside it so
//! both get the same compiler settings. Not part of the server.
//!
//! - `bench_baselines static <addr> <file>`: actix-web with two workers answering every request
//!   with the file's bytes as `application/json`, until killed.
//! - `bench_baselines issue <seconds>`: the server's issuance work in a loop on every core
//!   (PEM CSR → parse and verify → build and sign the ID-Cert → PEM), printing
//!   `{"ops_per_sec": …}`.
//! - `bench_baselines validate <seconds>`: parse + full validation of a PEM actor ID-Cert, with
//!   `polyproto-types` and with the reference SDK `polyproto` 0.21, one core each in turn,
//!   printing `{"ours": …, "polyproto": …}` in operations per second.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark helper: a failure ends the run with its message"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use ed25519_dalek::SigningKey;
use polyproto::certs::idcert::IdCertActor;
use polyproto::certs::idcert::traits::IdCertBehaviors as _;
use polyproto_sdk_adapter::{SdkPublicKey, SdkSignature};
use polyproto_types::certs::{Serial, Validity};
use polyproto_types::names::ActorDn;
use polyproto_types::time::now_unix;
use polyproto_types::{DomainName, FederationId, IdCert, IdCsr, SessionId};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["static", addr, file] => serve_static(addr, file),
        ["issue", secs] => issue(seconds(secs)),
        ["validate", secs] => validate(seconds(secs)),
        _ => {
            eprintln!(
                "usage: bench_baselines static <addr> <file> | issue <secs> | validate <secs>"
            );
            std::process::exit(2);
        }
    }
}

fn seconds(text: &str) -> Duration {
    Duration::from_secs_f64(text.parse().expect("seconds"))
}

/// A home server's key and certificate, and a PEM CSR of one of its actors.
struct Fixture {
    key: SigningKey,
    cert: IdCert,
    domain: DomainName,
    csr_pem: String,
}

fn fixture() -> Fixture {
    let key = SigningKey::from_bytes(&[1; 32]);
    let domain = DomainName::new("localhost").unwrap();
    let now = now_unix();
    let validity = Validity::new(now - 60, now + 365 * 86_400).unwrap();
    let cert = IdCert::issue_home_server(&key, &domain, &Serial::random(), validity).unwrap();
    let dn = ActorDn::new(
        FederationId::new("alice@localhost").unwrap(),
        SessionId::new("bench").unwrap(),
    );
    let csr_pem = IdCsr::new(&SigningKey::from_bytes(&[2; 32]), &dn)
        .unwrap()
        .to_pem();
    Fixture {
        key,
        cert,
        domain,
        csr_pem,
    }
}

/// Runs `op` for `duration` and returns operations per second.
fn rate(duration: Duration, mut op: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed() < duration {
        for _ in 0..16 {
            op();
        }
        count += 16;
    }
    count as f64 / start.elapsed().as_secs_f64()
}

fn issue(duration: Duration) {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let fixture = fixture();
    let total: f64 = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let now = now_unix();
                    let validity = Validity::new(now, now + 30 * 86_400).unwrap();
                    rate(duration, || {
                        let csr = IdCsr::from_pem(black_box(&fixture.csr_pem)).unwrap();
                        let cert = IdCert::issue_actor(
                            &csr,
                            &fixture.key,
                            &fixture.domain,
                            &Serial::random(),
                            validity,
                        )
                        .unwrap();
                        black_box(cert.to_pem());
                    })
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    println!(
        "{}",
        serde_json::json!({ "ops_per_sec": total, "threads": threads })
    );
}

fn validate(duration: Duration) {
    let fixture = fixture();
    let csr = IdCsr::from_pem(&fixture.csr_pem).unwrap();
    let now = now_unix();
    let validity = Validity::new(now - 60, now + 30 * 86_400).unwrap();
    let pem = IdCert::issue_actor(
        &csr,
        &fixture.key,
        &fixture.domain,
        &Serial::random(),
        validity,
    )
    .unwrap()
    .to_pem();
    let ours = rate(duration, || {
        let cert = IdCert::from_pem(black_box(&pem)).unwrap();
        cert.validate_actor(&fixture.cert, now).unwrap();
        black_box(cert);
    });
    let hs_public = SdkPublicKey(fixture.key.verifying_key());
    let sdk = rate(duration, || {
        black_box(
            IdCertActor::<SdkSignature, SdkPublicKey>::try_from_pem(
                black_box(&pem),
                now,
                &hs_public,
            )
            .unwrap(),
        );
    });
    println!("{}", serde_json::json!({ "ours": ours, "polyproto": sdk }));
}

fn serve_static(addr: &str, file: &str) {
    let body = web::Bytes::from(std::fs::read(file).expect("body file"));
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            let body = body.clone();
            App::new().default_service(web::to(move || {
                let body = body.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("application/json")
                        .body(body)
                }
            }))
        })
        .workers(2)
        .bind(addr)
        .expect("bind")
        .run()
        .await
        .expect("serve");
    });
}
