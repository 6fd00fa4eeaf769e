//! The `polyproto-server` binary driven as an operator would: default start with no
//! configuration, `config print` precedence, `admin grant|revoke`.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_polyproto-server");

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .args(args)
        .env_remove("POLYPROTO_CONFIG")
        .env_remove("POLYPROTO_BIND");
    for var in [
        "POLYPROTO_DOMAIN",
        "POLYPROTO_PUBLIC_URL",
        "POLYPROTO_DATABASE_URL",
        "POLYPROTO_DATA_DIR",
    ] {
        command.env_remove(var);
    }
    command
        .envs(env.iter().copied())
        .output()
        .expect("binary runs")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

#[test]
fn config_print_merges_file_environment_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let defaults = run(dir.path(), &["config", "print"], &[]);
    assert!(defaults.status.success());
    let text = String::from_utf8(defaults.stdout).unwrap();
    assert!(text.contains("domain = \"localhost\""), "{text}");
    assert!(
        text.contains("\"127.0.0.1:8080\"") && text.contains("\"[::1]:8080\""),
        "{text}"
    );
    assert!(text.contains("data_dir = \"./polyproto-data\""), "{text}");

    std::fs::write(
        dir.path().join("server.toml"),
        "domain = \"file.example\"\npublic_url = \"https://file.example\"\n",
    )
    .unwrap();
    let file = run(
        dir.path(),
        &["config", "print", "--config", "server.toml"],
        &[],
    );
    assert!(
        String::from_utf8(file.stdout)
            .unwrap()
            .contains("domain = \"file.example\"")
    );
    let env = run(
        dir.path(),
        &["config", "print"],
        &[
            ("POLYPROTO_CONFIG", "server.toml"),
            ("POLYPROTO_DOMAIN", "env.example"),
            ("POLYPROTO_BIND", "127.0.0.1:1,127.0.0.1:2"),
        ],
    );
    let text = String::from_utf8(env.stdout).unwrap();
    assert!(
        text.contains("domain = \"env.example\"")
            && text.contains("public_url = \"https://file.example\""),
        "{text}"
    );
    assert!(
        text.contains("\"127.0.0.1:1\"") && text.contains("\"127.0.0.1:2\""),
        "{text}"
    );
    let flags = run(
        dir.path(),
        &["config", "print", "--domain", "flag.example"],
        &[("POLYPROTO_DOMAIN", "env.example")],
    );
    assert!(
        String::from_utf8(flags.stdout)
            .unwrap()
            .contains("domain = \"flag.example\"")
    );

    let bad = run(
        dir.path(),
        &["config", "print", "--domain", "10.0.0.1"],
        &[],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8(bad.stderr)
            .unwrap()
            .contains("invalid setting domain")
    );
}

/// The README's serve command in a fresh directory: no configuration, SQLite and the key are
/// created on first start, the server answers, and SIGTERM stops it cleanly.
#[test]
fn serves_with_no_configuration_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let url = format!("http://127.0.0.1:{port}/healthz");
    let deadline = Instant::now() + Duration::from_secs(60);
    let body = loop {
        if let Ok(body) = raw_http::get(&url) {
            break body;
        }
        assert!(Instant::now() < deadline, "the server did not come up");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(body.contains("\"status\":\"ok\""), "{body}");
    assert!(dir.path().join("polyproto-data/polyproto.db").exists());
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful exit, got {exit}");
    let mut log = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut log).unwrap();
    assert!(log.contains("created the server identity key"), "{log}");
    assert!(
        !log.contains("BEGIN"),
        "no key or certificate material in logs"
    );
}

#[test]
fn admin_grant_and_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let missing = run(
        dir.path(),
        &["admin", "grant", "alice", "--data-dir", data],
        &[],
    );
    assert!(!missing.status.success());
    assert!(
        String::from_utf8(missing.stderr)
            .unwrap()
            .contains("no actor named alice")
    );
    // Register alice through a running server, then grant and revoke offline.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let config = polyproto_server::Config {
            bind: vec!["127.0.0.1:0".parse().unwrap()],
            data_dir: data.into(),
            ..polyproto_server::Config::default()
        };
        let server = polyproto_server::Server::start(config).await.unwrap();
        server
            .services()
            .accounts
            .register("alice", "long enough password".to_owned())
            .await
            .unwrap();
        server.stop().await;
    });
    let granted = run(
        dir.path(),
        &["admin", "grant", "alice", "--data-dir", data],
        &[],
    );
    assert!(
        granted.status.success(),
        "{}",
        String::from_utf8_lossy(&granted.stderr)
    );
    assert!(
        String::from_utf8(granted.stdout)
            .unwrap()
            .contains("alice is now an administrator")
    );
    let check = |expected: bool| {
        runtime.block_on(async {
            let db = polyproto_server::storage::connect(&format!("sqlite://{data}/polyproto.db"))
                .await
                .unwrap();
            let config = std::sync::Arc::new(polyproto_server::Config::default());
            let services = polyproto_server::services::Services::new(db, config)
                .await
                .unwrap();
            let alice = polyproto_types::LocalName::new("alice").unwrap();
            assert_eq!(
                services
                    .accounts
                    .by_name(&alice)
                    .await
                    .unwrap()
                    .unwrap()
                    .is_admin,
                expected
            );
            services.close().await;
        });
    };
    check(true);
    let revoked = run(
        dir.path(),
        &["admin", "revoke", "alice", "--data-dir", data],
        &[],
    );
    assert!(revoked.status.success());
    check(false);
}

mod raw_http {
    /// A minimal blocking GET over a raw TCP connection (the workspace's reqwest has no
    /// blocking feature, and this is the only blocking caller).
    pub(super) fn get(url: &str) -> std::io::Result<String> {
        use std::io::{Read, Write};
        let rest = url.strip_prefix("http://").unwrap_or(url);
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        let mut stream = std::net::TcpStream::connect(host)?;
        write!(
            stream,
            "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok(response)
    }
}
