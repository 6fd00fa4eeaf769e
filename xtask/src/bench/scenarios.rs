//! The scenarios, run against one server per database, and the issue's goals.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use polyproto_test_support::key_packages::TestKeyPackage;
use polyproto_types::api::{
    add_key_packages, claim_key_packages, create_id_cert, get_actor_id_certs as actor_certs,
    get_challenge, get_server_id_cert as server_cert,
};
use sea_orm::ConnectionTrait as _;

use super::load::{self, Outcome, Plan, Requests};
use super::report::{Goal, Report, Row};
use super::server::{self, Binaries, Prepared, Process, Sizes};
use super::{Mode, nginx};
use crate::Error;

const ACTIX: &str = "static body, actix-web (baseline)";
const NGINX: &str = "static file, nginx";
const LOOKUP: &str = "GET /idcert/actor/{fid}, cached, sqlite";
const ISSUE_SQLITE: &str = "POST /idcert (issuance), sqlite";
const ISSUE_BASELINE: &str = "in-process issuance, all cores (baseline)";
const VALIDATE: &str = "cert parse + full validation, polyproto-types, 1 core";
const CLAIM: &str = "KeyPackage claim";
const DISTINCT: &str = "lookups of distinct certs (memory)";

/// What the goals need beyond the rows.
pub(crate) struct Measured {
    /// The SQLite server's memory before any load, MiB.
    idle_rss_mib: Option<f64>,
    /// Distinct certificates, lookups planned and lookups answered in the memory scenario.
    distinct: (usize, u64, u64),
    /// Whether PostgreSQL was measured.
    postgres: bool,
}

/// Runs every scenario on SQLite, and on PostgreSQL when a URL is configured.
pub(crate) async fn run_all(
    mode: &Mode,
    binaries: &Binaries,
    dir: &Path,
    issue_baseline: &Row,
    report: &mut Report,
) -> Result<Measured, Error> {
    println!("preparing the SQLite server…");
    let sqlite_dir = dir.join("sqlite");
    let config = server::config(&sqlite_dir, None, 20_000);
    let sizes = Sizes {
        pending: mode.pending,
        distinct: mode.distinct,
    };
    let prepared = server::prepare(&config, &sizes).await?;
    let process = server::start_server(&binaries.server, dir, "sqlite", &config)?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss_mib = process.rss_mib();

    // The cached lookup answer, byte for byte, for the static baselines.
    let lookup_path = actor_certs::ROUTE.path_with(&[("fid", prepared.alice.fid.as_str())]);
    let (status, body) = load::fetch(process.addr, &load::get(&lookup_path)).await?;
    if status != 200 {
        return Err(format!("GET {lookup_path}: status {status}").into());
    }
    let body_file = dir.join("lookup.json");
    std::fs::write(&body_file, &body)?;

    println!("lookups and baselines…");
    let actix_addr = server::free_addr()?;
    let mut command = std::process::Command::new(&binaries.baselines);
    command
        .arg("static")
        .arg(actix_addr.to_string())
        .arg(&body_file);
    let actix = Process::start(command, actix_addr)?;
    let outcome = get_run(mode, actix.addr, "/cert.json", true).await;
    let actix_row = Row::http(ACTIX, &outcome, actix.rss_mib());
    drop(actix);
    match nginx::start(dir, &body) {
        Ok(nginx) => {
            let outcome = get_run(mode, nginx.addr, "/cert.json", true).await;
            report
                .rows
                .push(Row::http(NGINX, &outcome, None).against(&actix_row));
        }
        Err(reason) => report.skipped.push(format!("{NGINX}: {reason}")),
    }
    let lookups = [
        (LOOKUP, lookup_path.clone()),
        (
            "GET /idcert/server, cached, sqlite",
            server_cert::ROUTE.path.to_owned(),
        ),
        (
            "S5 GET /p2core/key/server, cached, sqlite",
            server_cert::SEED.path.to_owned(),
        ),
        (
            "S6 GET /p2core/key/user/{fid}, cached, sqlite",
            actor_certs::SEED.path_with(&[("user_id", prepared.alice.fid.as_str())]),
        ),
    ];
    for (name, path) in lookups {
        let outcome = get_run(mode, process.addr, &path, true).await;
        report
            .rows
            .push(Row::http(name, &outcome, process.rss_mib()).against(&actix_row));
    }
    report.rows.insert(0, actix_row);

    println!("writes…");
    let issue = issuance(mode, &process, &prepared).await;
    report
        .rows
        .push(Row::http(ISSUE_SQLITE, &issue, process.rss_mib()).against(issue_baseline));
    key_packages(mode, &process, &prepared, "sqlite", report).await?;
    let challenge = get_run(mode, process.addr, get_challenge::ROUTE.path, false).await;
    report.rows.push(Row::http(
        "GET /challenge (sign-in challenge), sqlite",
        &challenge,
        process.rss_mib(),
    ));

    println!("memory: lookups of distinct certificates…");
    let distinct = distinct_lookups(mode, &process, &prepared).await;
    let distinct_done = distinct.ok;
    report
        .rows
        .push(Row::http(DISTINCT, &distinct, process.rss_mib()));
    drop(process);

    println!("the same lookup with the cache turned off…");
    let uncached = server::config(&sqlite_dir, None, 0);
    let process = server::start_server(&binaries.server, dir, "sqlite-uncached", &uncached)?;
    let outcome = get_run(mode, process.addr, &lookup_path, true).await;
    let lookup_row = report.rows.iter().find(|r| r.name == LOOKUP);
    let mut row = Row::http(
        "GET /idcert/actor/{fid}, cache off, sqlite",
        &outcome,
        process.rss_mib(),
    );
    if let Some(cached) = lookup_row {
        row = row.against(cached);
    }
    report.rows.push(row);
    drop(process);

    let postgres = match postgres_url() {
        Some(url) => {
            postgres(mode, binaries, dir, &url, issue_baseline, report).await?;
            true
        }
        None => {
            report.skipped.push(
                "PostgreSQL: set POLYPROTO_BENCH_POSTGRES_URL or POLYPROTO_TEST_POSTGRES_URL"
                    .to_owned(),
            );
            false
        }
    };
    Ok(Measured {
        idle_rss_mib,
        distinct: (mode.distinct, mode.distinct_lookups, distinct_done),
        postgres,
    })
}

fn postgres_url() -> Option<String> {
    [
        "POLYPROTO_BENCH_POSTGRES_URL",
        "POLYPROTO_TEST_POSTGRES_URL",
    ]
    .into_iter()
    .find_map(|var| std::env::var(var).ok())
}

/// Issuance, a cached lookup and claims on a fresh PostgreSQL database.
async fn postgres(
    mode: &Mode,
    binaries: &Binaries,
    dir: &Path,
    admin_url: &str,
    issue_baseline: &Row,
    report: &mut Report,
) -> Result<(), Error> {
    println!("preparing the PostgreSQL server…");
    let name = format!("polyproto_bench_{}", std::process::id());
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
    let url = match query {
        Some(query) => format!("{prefix}/{name}?{query}"),
        None => format!("{prefix}/{name}"),
    };
    let admin = sea_orm::Database::connect(admin_url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    let result = async {
        let config = server::config(&dir.join("postgres"), Some(url), 20_000);
        let sizes = Sizes {
            pending: mode.pending,
            distinct: 0,
        };
        let prepared = server::prepare(&config, &sizes).await?;
        let process = server::start_server(&binaries.server, dir, "postgres", &config)?;
        let lookup = actor_certs::ROUTE.path_with(&[("fid", prepared.alice.fid.as_str())]);
        let outcome = get_run(mode, process.addr, &lookup, true).await;
        report.rows.push(Row::http(
            "GET /idcert/actor/{fid}, cached, postgres",
            &outcome,
            process.rss_mib(),
        ));
        let issue = issuance(mode, &process, &prepared).await;
        report.rows.push(
            Row::http(
                "POST /idcert (issuance), postgres",
                &issue,
                process.rss_mib(),
            )
            .against(issue_baseline),
        );
        key_packages(mode, &process, &prepared, "postgres", report).await
    }
    .await;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    admin.close().await?;
    result
}

/// The same GET over and over; with `warm`, a short unmeasured run first.
async fn get_run(mode: &Mode, addr: std::net::SocketAddr, path: &str, warm: bool) -> Outcome {
    let request = Arc::new(load::get(path));
    let requests: Requests = Arc::new(move |_| Some(request.to_vec()));
    let mut plan = Plan {
        addr,
        connections: mode.connections,
        duration: mode.duration / 5,
        requests,
        expect: 200,
    };
    if warm {
        load::run(&plan).await;
    }
    plan.duration = mode.duration;
    load::run(&plan).await
}

/// `POST /.p2/core/v1/idcert` for the prepared pending sessions, one request each.
async fn issuance(mode: &Mode, process: &Process, prepared: &Prepared) -> Outcome {
    let requests: Vec<Vec<u8>> = prepared
        .pending
        .iter()
        .map(|(token, csr)| load::post(create_id_cert::ROUTE.path, token, "text/plain", csr))
        .collect();
    let requests = Arc::new(requests);
    let plan = Plan {
        addr: process.addr,
        connections: mode.connections,
        duration: mode.duration,
        requests: Arc::new(move |i| {
            usize::try_from(i)
                .ok()
                .and_then(|i| requests.get(i).cloned())
        }),
        expect: 201,
    };
    load::run(&plan).await
}

/// KeyPackage upload (one per request, validated by the server) and claim (the claimer takes
/// one of Alice's per request) with every connection claiming at once.
async fn key_packages(
    mode: &Mode,
    process: &Process,
    prepared: &Prepared,
    backend: &str,
    report: &mut Report,
) -> Result<(), Error> {
    let alice = &prepared.alice;
    let path = add_key_packages::ROUTE.path;
    let packages: Vec<String> = (0..mode.key_packages * 2)
        .map(|_| STANDARD.encode(TestKeyPackage::basic(&alice.key, alice.fid.as_str()).build()))
        .collect();
    let (for_upload, for_claims) = packages.split_at(mode.key_packages);
    let uploads: Arc<Vec<Vec<u8>>> = Arc::new(
        for_upload
            .iter()
            .map(|p| {
                load::post(
                    path,
                    &alice.token,
                    "application/json",
                    &format!("[\"{p}\"]"),
                )
            })
            .collect(),
    );
    let plan = Plan {
        addr: process.addr,
        connections: mode.connections,
        duration: mode.duration,
        requests: Arc::new(move |i| {
            usize::try_from(i)
                .ok()
                .and_then(|i| uploads.get(i).cloned())
        }),
        expect: 200,
    };
    let outcome = load::run(&plan).await;
    report.rows.push(Row::http(
        &format!("KeyPackage upload (validate + store), {backend}"),
        &outcome,
        process.rss_mib(),
    ));
    for chunk in for_claims.chunks(200) {
        let body = serde_json::to_string(chunk)?;
        let request = load::post(path, &alice.token, "application/json", &body);
        let (status, answer) = load::fetch(process.addr, &request).await?;
        if status != 200 {
            return Err(format!(
                "uploading KeyPackages: status {status}: {}",
                String::from_utf8_lossy(&answer)
            )
            .into());
        }
    }
    let claim = load::get_with_token(
        &claim_key_packages::ROUTE.path_with(&[("fid", alice.fid.as_str())]),
        &prepared.bob.token,
    );
    let available = u64::try_from(for_claims.len()).unwrap_or(u64::MAX);
    let plan = Plan {
        addr: process.addr,
        connections: mode.connections,
        duration: mode.duration,
        requests: Arc::new(move |i| (i < available).then(|| claim.clone())),
        expect: 200,
    };
    let outcome = load::run(&plan).await;
    report.rows.push(Row::http(
        &format!("{CLAIM}, {backend}, {} claimers", mode.connections),
        &outcome,
        process.rss_mib(),
    ));
    Ok(())
}

/// Lookups cycling over Dave's distinct certificates (one per session).
async fn distinct_lookups(mode: &Mode, process: &Process, prepared: &Prepared) -> Outcome {
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        prepared
            .distinct
            .iter()
            .map(|session| {
                let path = actor_certs::ROUTE.path_with(&[("fid", prepared.dave.as_str())]);
                load::get(&format!("{path}?sessionId={session}"))
            })
            .collect(),
    );
    let total = mode.distinct_lookups;
    let plan = Plan {
        addr: process.addr,
        connections: mode.connections,
        duration: mode.duration * 4,
        requests: Arc::new(move |i| {
            let n = u64::try_from(requests.len()).ok().filter(|&n| n > 0)?;
            let index = usize::try_from(i % n).ok()?;
            (i < total).then(|| requests[index].clone())
        }),
        expect: 200,
    };
    load::run(&plan).await
}

fn find<'a>(rows: &'a [Row], prefix: &str) -> Option<&'a Row> {
    rows.iter().find(|r| r.name.starts_with(prefix))
}

fn ratio_goal(text: &str, row: Option<&Row>, baseline: Option<&Row>, at_least: f64) -> Goal {
    match (row, baseline) {
        (Some(row), Some(baseline)) => {
            let ratio = row.per_second / baseline.per_second.max(1e-9);
            Goal {
                text: text.to_owned(),
                measured: format!(
                    "{ratio:.2} ({:.0} / {:.0} per s)",
                    row.per_second, baseline.per_second
                ),
                pass: Some(ratio >= at_least && row.errors == 0),
            }
        }
        _ => Goal {
            text: text.to_owned(),
            measured: "-".to_owned(),
            pass: None,
        },
    }
}

/// The issue's goals, judged on this run.
pub(crate) fn goals(rows: &[Row], measured: &Measured) -> Vec<Goal> {
    let lookup = find(rows, LOOKUP);
    let mut goals = vec![
        ratio_goal(
            "cached lookup over HTTP ≥ 0.7 × trivial actix endpoint",
            lookup,
            find(rows, ACTIX),
            0.7,
        ),
        ratio_goal(
            "cached lookup over HTTP faster than nginx (ratio > 1)",
            lookup,
            find(rows, NGINX),
            1.0 + f64::EPSILON,
        ),
        ratio_goal(
            "issuance over HTTP on SQLite ≥ 0.5 × in-process issuance",
            find(rows, ISSUE_SQLITE),
            find(rows, ISSUE_BASELINE),
            0.5,
        ),
        ratio_goal(
            "cert parse + full validation ≥ 5 × polyproto 0.21",
            find(rows, VALIDATE),
            find(rows, "cert parse + full validation, polyproto 0.21"),
            5.0,
        ),
    ];
    for backend in ["sqlite", "postgres"] {
        let row = find(rows, &format!("{CLAIM}, {backend}"));
        goals.push(Goal {
            text: format!("KeyPackage claim on {backend}, concurrent claimers, no errors"),
            measured: row.map_or_else(
                || "-".to_owned(),
                |r| format!("{:.0} per s, {} errors", r.per_second, r.errors),
            ),
            pass: row
                .map(|r| r.errors == 0 && r.per_second > 0.0)
                .filter(|_| backend == "sqlite" || measured.postgres),
        });
    }
    goals.push(Goal {
        text: "server idle RSS < 30 MB".to_owned(),
        measured: measured
            .idle_rss_mib
            .map_or_else(|| "-".to_owned(), |r| format!("{r:.1} MiB")),
        pass: measured.idle_rss_mib.map(|r| r < 30.0),
    });
    let distinct = find(rows, DISTINCT);
    let (certs, lookups, done) = measured.distinct;
    goals.push(Goal {
        text: format!("RSS after {lookups} lookups of {certs} distinct certs < 150 MB"),
        measured: distinct.and_then(|r| r.rss_mib).map_or_else(
            || "-".to_owned(),
            |r| format!("{r:.1} MiB after {done} lookups"),
        ),
        pass: distinct.and_then(|r| {
            r.rss_mib
                .map(|rss| rss < 150.0 && r.errors == 0 && done >= lookups)
        }),
    });
    goals
}
