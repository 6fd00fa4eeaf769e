//! KeyPackage upload (validation) and claim throughput over HTTP against an in-process server
//! on SQLite, and on PostgreSQL when `POLYPROTO_TEST_POSTGRES_URL` is set (a fresh database is
//! created next to it, as the tests do).
//!
//! `cargo bench -p polyproto-server --bench key_packages`
//!
//! Each measured iteration is one HTTP request carrying or returning one KeyPackage; packages
//! are built and, for claims, uploaded before the clock starts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    reason = "benchmark harness"
)]

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use polyproto_test_support::key_packages::TestKeyPackage;
use polyproto_test_support::{Backend, Session, TestServer};

struct Fixture {
    server: TestServer,
    http: reqwest::Client,
    owner: Session,
    claimer: Session,
}

async fn fixture(backend: Backend) -> Option<Fixture> {
    let server = TestServer::start_with(backend, |c| {
        c.key_packages.max_per_session = 1_000_000;
    })
    .await?;
    let owner = server.register("owner").await;
    let claimer = server.register("claimer").await;
    let owner = server.login(&owner, "bench").await;
    let claimer = server.login(&claimer, "bench").await;
    Some(Fixture {
        server,
        http: reqwest::Client::new(),
        owner,
        claimer,
    })
}

impl Fixture {
    fn packages(&self, n: u64) -> Vec<String> {
        (0..n)
            .map(|_| {
                STANDARD
                    .encode(TestKeyPackage::basic(&self.owner.key, self.owner.fid.as_str()).build())
            })
            .collect()
    }

    async fn upload(&self, packages: &[String]) {
        // 200 packages of ~400 base64 characters stay well under the 256 KiB body limit.
        for chunk in packages.chunks(200) {
            let response = self
                .http
                .post(format!("{}/.p2/mls/v1/keypackages", self.server.url))
                .bearer_auth(&self.owner.token)
                .body(serde_json::to_string(chunk).unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        }
    }
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for (backend, name) in [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")] {
        let Some(fixture) = runtime.block_on(fixture(backend)) else {
            continue;
        };
        let mut group = c.benchmark_group(format!("key_packages/{name}"));
        group
            .throughput(Throughput::Elements(1))
            .sample_size(10)
            .measurement_time(Duration::from_secs(5));
        group.bench_function("upload one (validate + store)", |b| {
            b.iter_custom(|iters| {
                let packages = fixture.packages(iters);
                runtime.block_on(async {
                    let start = Instant::now();
                    for package in &packages {
                        fixture.upload(std::slice::from_ref(package)).await;
                    }
                    start.elapsed()
                })
            });
        });
        group.bench_function("claim one", |b| {
            b.iter_custom(|iters| {
                let packages = fixture.packages(iters);
                runtime.block_on(async {
                    fixture.upload(&packages).await;
                    let url = format!(
                        "{}/p2core/keypackage/{}",
                        fixture.server.url, fixture.owner.fid
                    );
                    let start = Instant::now();
                    for _ in 0..iters {
                        let claimed: Vec<String> = fixture
                            .http
                            .get(&url)
                            .bearer_auth(&fixture.claimer.token)
                            .send()
                            .await
                            .unwrap()
                            .json()
                            .await
                            .unwrap();
                        assert_eq!(claimed.len(), 1);
                    }
                    start.elapsed()
                })
            });
        });
        group.finish();
        runtime.block_on(fixture.server.stop());
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
