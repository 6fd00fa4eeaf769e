//! docs/api-guide.md as a newcomer runs it: every `sh` block in order, in one shell, against the
//! real binary started with no configuration. Keeps the guide true.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_polyproto-server");

/// This crate's `key_package` example, which `cargo test` builds next to the test binaries
/// (`target/<profile>/examples/`), so the guide's KeyPackage helper runs without a nested cargo.
fn key_package_example() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test binary>");
    let example = profile_dir.join("examples").join("key_package");
    assert!(
        example.is_file(),
        "{} is missing: `cargo test -p polyproto-server` builds it (an explicit --test selection does not)",
        example.display()
    );
    example
}

#[test]
fn every_example_of_the_api_guide_works_as_written() {
    for tool in ["curl", "openssl", "awk", "sed"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .unwrap();
        assert!(
            found.status.success(),
            "the API guide needs {tool}; install it"
        );
    }
    let guide = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/api-guide.md"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("polyproto-data");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(BIN)
        .current_dir(dir.path())
        .args([
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--public-url",
            &format!("http://localhost:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }

    // The guide's commands, run from the repository root as the guide says, with the guide's
    // port and data directory replaced by this server's, and the two helpers running the
    // binaries this test build made instead of building them again.
    let key_package = key_package_example();
    let mut script = String::from("set -eu\n");
    let mut blocks = 0;
    for block in guide.split("```sh\n").skip(1) {
        let code = block.split("```").next().unwrap();
        let code = code
            .replace(":8080", &format!(":{port}"))
            .replace("\"$REPO/polyproto-data\"", &format!("{data_dir:?}"))
            .replace("cargo run -q --release --manifest-path \"$REPO/Cargo.toml\" -p polyproto-server --", BIN)
            .replace(
                "cargo run -q --manifest-path \"$REPO/Cargo.toml\" -p polyproto-server --example key_package --",
                &key_package.to_string_lossy(),
            );
        script.push_str(&code);
        script.push_str("\necho\n");
        blocks += 1;
    }
    assert!(blocks >= 10, "the guide's examples were not found");
    assert!(
        !script.contains("cargo "),
        "a guide helper would run cargo inside the test:\n{script}"
    );
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new("bash")
        .current_dir(&repo)
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let _ = Command::new("kill").arg(server.id().to_string()).status();
    let _ = server.wait();
    assert!(
        output.status.success(),
        "the guide failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !stdout.contains("P2CORE_"),
        "an example answered an error:\n{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l == "201") && stdout.lines().any(|l| l == "200"),
        "uploads:\n{stdout}"
    );
    assert_eq!(
        stdout.matches("[\"AAEABQ").count(),
        3,
        "three claims, each one KeyPackage:\n{stdout}"
    );
    for expected in [
        "\"fid\":\"alice@localhost\"",
        "\"idCert\":\"-----BEGIN CERTIFICATE-----",
        "alice is now an administrator",
        "-----BEGIN PUBLIC KEY-----",
        "\"status\":\"ok\"",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected} in:\n{stdout}"
        );
    }
    assert_eq!(
        stdout.lines().filter(|line| *line == "204").count(),
        3,
        "the deletion, the logout and S3 answer 204:\n{stdout}"
    );
}

#[test]
fn the_guide_lists_every_error_code_with_its_status() {
    let guide = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/api-guide.md"),
    )
    .unwrap();
    for code in polyproto_types::api::error::ErrorCode::ALL {
        let row = format!("| `{}` | {} |", code.as_str(), code.status());
        assert!(
            guide.contains(&row),
            "docs/api-guide.md lacks the row {row}"
        );
    }
}
