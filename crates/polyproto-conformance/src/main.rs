//! `polyproto-conformance`: the conformance suite's command line.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use polyproto_conformance::report::{self, Outcome};
use polyproto_conformance::runner::{Options, Runner};
use polyproto_conformance::skip::SkipList;
use polyproto_conformance::{case, client_replay, fixtures_dir};

/// The polyproto conformance suite.
#[derive(Debug, Parser)]
#[command(name = "polyproto-conformance", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the cases against a running home server.
    Server(ServerArgs),
    /// Run our client against answers recorded from a real server.
    Client(ClientArgs),
}

/// Where the report goes and what it is compared with.
#[derive(Debug, Args)]
struct Output {
    /// Compare the outcomes with this baseline: any new failure, new pass, new or missing
    /// case fails the run. Without it, any failure fails the run.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Write the outcomes as the new baseline (to --baseline's file) instead of comparing.
    #[arg(long, requires = "baseline")]
    update_baseline: bool,
    /// Also write the outcomes as JSON lines to this file.
    #[arg(long)]
    jsonl: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ServerArgs {
    /// The server's base URL, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    url: String,
    /// A second home server that the server under test reaches by its domain (its own
    /// federation mapping); the federation cases (foreign sign-in, S7) need it.
    #[arg(long)]
    foreign_url: Option<String>,
    /// The local name of an administrator of the server under test (for S4 and server key
    /// rotation).
    #[arg(long, requires = "admin_password")]
    admin_name: Option<String>,
    /// That administrator's password.
    #[arg(
        long,
        env = "POLYPROTO_CONFORMANCE_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    admin_password: Option<String>,
    /// The directory of cases.
    #[arg(long, default_value_os_t = fixtures_dir().join("cases"))]
    cases: PathBuf,
    /// The golden vectors the cases read.
    #[arg(long, default_value_os_t = fixtures_dir().join("vectors"))]
    vectors: PathBuf,
    /// Cases not to run, each with its reason.
    #[arg(long, default_value_os_t = fixtures_dir().join("skip.toml"))]
    skip: PathBuf,
    /// Run only the cases whose ID contains this text.
    #[arg(long)]
    only: Option<String>,
    /// Do not check the certificates seen with openssl and pkilint.
    #[arg(long)]
    no_pki: bool,
    /// Do not run the reference SDK's client (polyproto 0.21) against the server.
    #[arg(long)]
    no_reference_sdk: bool,
    /// Seconds before a request is given up.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    #[command(flatten)]
    output: Output,
}

#[derive(Debug, Args)]
struct ClientArgs {
    /// The directory of recordings.
    #[arg(long, default_value_os_t = polyproto_test_support::mock::recorded_dir())]
    recordings: PathBuf,
    #[command(flatten)]
    output: Output,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Server(args) => server(args).await,
        Command::Client(args) => client(args).await,
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// `server`: whether the run conforms (to the baseline, if given).
async fn server(args: ServerArgs) -> Result<bool, String> {
    let mut cases = case::load_dir(&args.cases).map_err(|e| e.to_string())?;
    if let Some(only) = &args.only {
        cases.retain(|c| c.id.contains(only.as_str()));
    }
    let skips = if args.skip.exists() {
        SkipList::load(&args.skip)?
    } else {
        SkipList::default()
    };
    let options = Options {
        server_url: args.url.clone(),
        foreign_url: args.foreign_url.clone(),
        admin: args.admin_name.clone().zip(args.admin_password.clone()),
        vectors: args.vectors.clone(),
        timeout: Duration::from_secs(args.timeout),
    };
    let mut runner = Runner::connect(options).await?;
    println!(
        "polyproto conformance: {} cases against {} ({})\n",
        cases.len(),
        runner.server().url,
        runner.server().domain
    );
    let mut outcomes = Vec::with_capacity(cases.len());
    for case in &cases {
        let outcome = runner.run(case, &skips).await;
        print!("{}", report::render_one(&outcome));
        outcomes.push(outcome);
    }
    if !args.no_reference_sdk && args.only.is_none() {
        for outcome in runner.reference_sdk().await {
            print!("{}", report::render_one(&outcome));
            outcomes.push(outcome);
        }
    }
    let mut extra = Vec::new();
    let mut pki_ok = true;
    if args.no_pki {
        println!("\nopenssl and pkilint: not run (--no-pki)");
    } else {
        let findings = runner.pool.check()?;
        println!(
            "\nopenssl verify and pkilint: {} certificates, {} findings",
            runner.pool.len(),
            findings.len()
        );
        for f in &findings {
            println!("  {} refuses {}: {}", f.tool, f.cert, f.message);
            extra.push(serde_json::json!({"tool": f.tool, "cert": f.cert, "finding": f.message}));
        }
        pki_ok = findings.is_empty() && !runner.pool.is_empty();
    }
    Ok(finish(&outcomes, &extra, &args.output)? && pki_ok)
}

/// `client`: whether the replays conform.
async fn client(args: ClientArgs) -> Result<bool, String> {
    let outcomes = client_replay::run(&args.recordings).await?;
    for outcome in &outcomes {
        print!("{}", report::render_one(outcome));
    }
    finish(&outcomes, &[], &args.output)
}

/// Prints the summary, writes the JSONL and the baseline, compares: whether the run passes.
fn finish(
    outcomes: &[Outcome],
    extra: &[serde_json::Value],
    output: &Output,
) -> Result<bool, String> {
    println!("\n{}", report::summary(outcomes));
    if let Some(path) = &output.jsonl {
        report::write_jsonl(path, outcomes, extra)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let Some(path) = &output.baseline else {
        return Ok(outcomes
            .iter()
            .all(|o| o.status.kind() != report::Kind::Fail));
    };
    if output.update_baseline {
        report::save_baseline(path, &report::baseline_of(outcomes))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        println!("baseline written to {}", path.display());
        return Ok(true);
    }
    let differences = report::compare(&report::load_baseline(path)?, outcomes);
    if differences.is_empty() {
        println!("as the baseline {}", path.display());
        Ok(true)
    } else {
        println!("differences from the baseline {}:", path.display());
        for d in &differences {
            println!("  {d}");
        }
        Ok(false)
    }
}
