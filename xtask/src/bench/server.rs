//! The programs under test: their build, the home server as a process of its own on a
//! temporary data directory, the actix baseline, and the accounts, sessions and CSRs the
//! scenarios use, made through the server's own services before it starts (a password hash
//! per sign-in would make preparing thousands of sessions over HTTP take minutes).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use polyproto_server::Config;
use polyproto_server::services::Services;
use polyproto_server::services::accounts::Actor;
use polyproto_types::names::ActorDn;
use polyproto_types::{FederationId, IdCsr, SessionId};

use crate::Error;

/// The password of every benchmark actor.
const PASSWORD: &str = "correct horse battery staple";

/// The programs under test.
pub(crate) struct Binaries {
    /// `polyproto-server`.
    pub(crate) server: PathBuf,
    /// The `bench_baselines` example.
    pub(crate) baselines: PathBuf,
}

/// Builds the server and the baselines: in release for measurements, or the debug build that
/// `cargo test` already made (nothing to compile) for a smoke run, which only proves the
/// harness works. The paths come from cargo's own report, wherever the target directory is.
pub(crate) fn build(root: &Path, release: bool) -> Result<Binaries, Error> {
    let profile = if release { "release" } else { "debug" };
    println!("building the server and the baselines ({profile})…");
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    // `cargo run` gave this process xtask's package variables and a library path; build
    // scripts that watch them would rebuild the tree on every run.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_PKG_") || name.starts_with("CARGO_MANIFEST_") {
            command.env_remove(name.as_ref());
        }
    }
    command
        .env_remove("LD_LIBRARY_PATH")
        .current_dir(root)
        .args([
            "build",
            "--quiet",
            "--message-format=json-render-diagnostics",
        ])
        .args(["-p", "polyproto-server", "--bin", "polyproto-server"])
        .args(["--example", "bench_baselines"]);
    if release {
        command.arg("--release");
    }
    let output = command.stderr(Stdio::inherit()).output()?;
    if !output.status.success() {
        return Err(format!("the {profile} build failed").into());
    }
    let mut server = None;
    let mut baselines = None;
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(executable) = message["executable"].as_str() else {
            continue;
        };
        match message["target"]["name"].as_str() {
            Some("polyproto-server") => server = Some(PathBuf::from(executable)),
            Some("bench_baselines") => baselines = Some(PathBuf::from(executable)),
            _ => {}
        }
    }
    match (server, baselines) {
        (Some(server), Some(baselines)) => Ok(Binaries { server, baselines }),
        _ => Err("cargo reported no server or baselines executable".into()),
    }
}

/// A child process listening on a loopback port; killed when dropped.
pub(crate) struct Process {
    child: Child,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
}

impl Process {
    /// Starts `command` (which must listen on `addr`) and waits until it accepts connections.
    pub(crate) fn start(mut command: Command, addr: SocketAddr) -> Result<Self, Error> {
        let child = command.stdout(Stdio::null()).spawn()?;
        let mut process = Self { child, addr };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(addr).is_err() {
            if let Some(status) = process.child.try_wait()? {
                return Err(format!("{command:?} exited with {status}").into());
            }
            if Instant::now() > deadline {
                return Err(format!("{command:?} did not start listening on {addr}").into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(process)
    }

    /// The process's resident memory, in MiB (from `/proc/<pid>/status`).
    pub(crate) fn rss_mib(&self) -> Option<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024.0)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback address.
pub(crate) fn free_addr() -> Result<SocketAddr, Error> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

/// The configuration of a benchmark server on `database_url` (SQLite in `dir` if `None`).
pub(crate) fn config(dir: &Path, database_url: Option<String>, cache_entries: usize) -> Config {
    let mut config = Config {
        domain: "localhost".to_owned(),
        bind: vec![SocketAddr::from(([127, 0, 0, 1], 0))],
        data_dir: dir.join("data"),
        database_url,
        workers: Some(2),
        ..Config::default()
    };
    config.log.level = "warn".to_owned();
    config.certs.lookup_cache_entries = cache_entries;
    config.key_packages.max_per_session = 10_000_000;
    config
}

/// Starts the server binary with `config` on a free port.
pub(crate) fn start_server(
    binary: &Path,
    dir: &Path,
    name: &str,
    config: &Config,
) -> Result<Process, Error> {
    let addr = free_addr()?;
    let mut config = config.clone();
    config.bind = vec![addr];
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, config.to_toml())?;
    let log = std::fs::File::create(dir.join(format!("{name}.log")))?;
    let mut command = Command::new(binary);
    command.arg("--config").arg(&file).stderr(log);
    Process::start(command, addr)
}

/// A certified session.
pub(crate) struct Signed {
    /// The actor.
    pub(crate) fid: FederationId,
    /// The session key.
    pub(crate) key: SigningKey,
    /// The bearer token.
    pub(crate) token: String,
}

/// Everything the scenarios need, made before the server starts.
pub(crate) struct Prepared {
    /// The actor whose certificate is looked up and whose KeyPackages are uploaded and claimed.
    pub(crate) alice: Signed,
    /// The claimer.
    pub(crate) bob: Signed,
    /// Pending sessions of `carol` with a CSR each, for issuance.
    pub(crate) pending: Vec<(String, String)>,
    /// `dave`, who has one certificate per session in `distinct`.
    pub(crate) dave: FederationId,
    /// Dave's session IDs.
    pub(crate) distinct: Vec<String>,
}

/// How much to prepare.
pub(crate) struct Sizes {
    /// Pending sessions (issuance requests at most).
    pub(crate) pending: usize,
    /// Distinct certificates for the memory scenario.
    pub(crate) distinct: usize,
}

/// Registers the actors and opens their sessions on the configured database.
pub(crate) async fn prepare(config: &Config, sizes: &Sizes) -> Result<Prepared, Error> {
    let db = polyproto_server::storage::connect(&config.database_url()).await?;
    let services = Services::new(db, Arc::new(config.clone()))
        .await
        .map_err(service)?;
    let alice = signed(&services, "alice").await?;
    let bob = signed(&services, "bob").await?;
    let carol = services
        .accounts
        .register("carol", PASSWORD.to_owned())
        .await
        .map_err(service)?;
    let mut pending = Vec::with_capacity(sizes.pending);
    for i in 0..sizes.pending {
        let (token, _) = services
            .sessions
            .open(&carol, None)
            .await
            .map_err(service)?;
        pending.push((token, csr(&carol, &format!("s{i}"))?.0.to_pem()));
    }
    let dave = services
        .accounts
        .register("dave", PASSWORD.to_owned())
        .await
        .map_err(service)?;
    let mut distinct = Vec::with_capacity(sizes.distinct);
    for i in 0..sizes.distinct {
        let session = format!("d{i}");
        let (csr, _) = csr(&dave, &session)?;
        services
            .sessions
            .open(&dave, Some(&csr))
            .await
            .map_err(service)?;
        distinct.push(session);
    }
    services.close().await;
    Ok(Prepared {
        alice,
        bob,
        pending,
        dave: dave.fid,
        distinct,
    })
}

async fn signed(services: &Services, name: &str) -> Result<Signed, Error> {
    let actor = services
        .accounts
        .register(name, PASSWORD.to_owned())
        .await
        .map_err(service)?;
    let (csr, key) = csr(&actor, "bench")?;
    let (token, _) = services
        .sessions
        .open(&actor, Some(&csr))
        .await
        .map_err(service)?;
    Ok(Signed {
        fid: actor.fid,
        key,
        token,
    })
}

/// A service error, for the terminal.
fn service(error: polyproto_server::error::Error) -> Error {
    error.to_string().into()
}

/// A CSR of `actor` for `session` with a new key.
fn csr(actor: &Actor, session: &str) -> Result<(IdCsr, SigningKey), Error> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| e.to_string())?;
    let key = SigningKey::from_bytes(&seed);
    let dn = ActorDn::new(actor.fid.clone(), SessionId::new(session)?);
    Ok((IdCsr::new(&key, &dn)?, key))
}
