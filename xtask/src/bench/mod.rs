//! `cargo xtask bench [--quick | --smoke]`: the home server's hot paths over HTTP, next to the
//! baselines measured in the same run (the in-process issuance loop, a trivial actix-web
//! endpoint and nginx serving the same bytes), with the issue's goals as pass or miss.
//! Prints one table and writes it as JSON to `target/bench/report.json`.
//!
//! The server runs as its own release process (the debug build for `--smoke`, which only
//! proves the harness works) on a temporary SQLite database and, when
//! `POLYPROTO_BENCH_POSTGRES_URL` (or `POLYPROTO_TEST_POSTGRES_URL`) names a PostgreSQL server,
//! on a fresh PostgreSQL database next to it. The load generator is [`load`]: 64 keep-alive
//! connections by default, each sending its next request when the previous answer is in.

mod load;
mod nginx;
mod report;
mod scenarios;
mod server;

use std::process::Command;
use std::time::Duration;

use report::{Report, Row};

use crate::Error;

/// Options of `cargo xtask bench`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Three seconds per scenario and smaller data sets (finishes in a few minutes).
    #[arg(long, conflicts_with = "smoke")]
    quick: bool,
    /// One second per scenario and tiny data sets: checks every scenario still runs.
    #[arg(long)]
    smoke: bool,
    /// Concurrent connections of the load generator.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Where to write the JSON report.
    #[arg(long, default_value = "target/bench/report.json")]
    out: std::path::PathBuf,
}

/// How long and how big each scenario is.
pub(crate) struct Mode {
    /// The mode's name.
    name: &'static str,
    /// Time per scenario.
    pub(crate) duration: Duration,
    /// Connections.
    pub(crate) connections: usize,
    /// Sessions prepared for issuance.
    pub(crate) pending: usize,
    /// KeyPackages prepared for uploading, and for claiming.
    pub(crate) key_packages: usize,
    /// Distinct certificates looked up in the memory scenario.
    pub(crate) distinct: usize,
    /// Lookups in the memory scenario.
    pub(crate) distinct_lookups: u64,
}

impl Mode {
    fn new(args: &Args) -> Self {
        let connections = args.connections.max(1);
        if args.smoke {
            Self {
                name: "smoke",
                duration: Duration::from_secs(1),
                connections,
                pending: 3_000,
                key_packages: 1_000,
                distinct: 200,
                distinct_lookups: 2_000,
            }
        } else if args.quick {
            Self {
                name: "quick",
                duration: Duration::from_secs(3),
                connections,
                pending: 12_000,
                key_packages: 6_000,
                distinct: 10_000,
                distinct_lookups: 100_000,
            }
        } else {
            Self {
                name: "full",
                duration: Duration::from_secs(10),
                connections,
                pending: 40_000,
                key_packages: 20_000,
                distinct: 10_000,
                distinct_lookups: 100_000,
            }
        }
    }
}

/// Runs the benchmark.
pub(crate) fn run(args: &Args) -> Result<(), Error> {
    let root = crate::workspace_root();
    let mode = Mode::new(args);
    let binaries = server::build(&root, !args.smoke)?;
    let dir = tempfile::tempdir()?;
    let mut report = Report {
        mode: format!("{}, {} connections", mode.name, mode.connections),
        machine: report::machine(),
        rows: Vec::new(),
        goals: Vec::new(),
        skipped: Vec::new(),
    };

    println!("in-process baselines…");
    let secs = format!("{}", mode.duration.as_secs_f64());
    let issue = baseline_json(&binaries.baselines, &["issue", &secs])?;
    let issue = Row::in_process(
        "in-process issuance, all cores (baseline)",
        issue["ops_per_sec"].as_f64().unwrap_or(0.0),
    );
    let validate = baseline_json(&binaries.baselines, &["validate", &secs])?;
    let sdk = Row::in_process(
        "cert parse + full validation, polyproto 0.21, 1 core",
        validate["polyproto"].as_f64().unwrap_or(0.0),
    );
    let ours = Row::in_process(
        "cert parse + full validation, polyproto-types, 1 core",
        validate["ours"].as_f64().unwrap_or(0.0),
    )
    .against(&sdk);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let measured = runtime.block_on(scenarios::run_all(
        &mode,
        &binaries,
        dir.path(),
        &issue,
        &mut report,
    ))?;
    report.rows.splice(0..0, [issue, ours, sdk]);
    report.goals = scenarios::goals(&report.rows, &measured);

    println!("\n{}", report.to_markdown());
    let out = root.join(&args.out);
    report.write_json(&out)?;
    println!("\nJSON report: {}", out.display());
    Ok(())
}

/// Runs the baselines program and parses the JSON line it prints.
fn baseline_json(binary: &std::path::Path, args: &[&str]) -> Result<serde_json::Value, Error> {
    let output = Command::new(binary).args(args).output()?;
    if !output.status.success() {
        return Err(format!(
            "bench_baselines {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}
