//! The README's quickstart with the `polyproto` tool, run as written: its `sh` block in one
//! shell against a home server for the domain `localhost`, with `polyproto` being the binary
//! under test. Only what a test cannot do is changed: the server's address (a free port
//! instead of 8080), the data directory (a temporary one), the password (typed at the prompt
//! by a person, piped in here), and the `cargo install` line (the binary is already built).

#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use std::path::Path;
use std::process::Command;

use polyproto_test_support::{Backend, PASSWORD, TestServer};

/// The `sh` block of the README section `title`.
fn quickstart(title: &str) -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let section = readme
        .split(&format!("## {title}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("the README has no section {title:?}"));
    let section = section.split("\n## ").next().unwrap();
    let block = section
        .split("```sh\n")
        .nth(1)
        .unwrap_or_else(|| panic!("the section {title:?} has no sh block"));
    block.split("```").next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_quickstart_works_as_written() {
    let block = quickstart("Quickstart with the `polyproto` tool");
    assert!(
        block.contains("cargo install --locked --path crates/polyproto-client"),
        "the quickstart installs the tool from this crate"
    );
    let commands: Vec<&str> = block
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("polyproto "))
        .collect();
    assert!(commands.len() >= 10, "{block}");
    for needed in [
        "register",
        "whoami",
        "keypackages upload",
        "keypackages claim",
        "rotate",
    ] {
        assert!(
            commands.iter().any(|c| c.contains(needed)),
            "the quickstart shows `{needed}`"
        );
    }

    let server = TestServer::start(Backend::Sqlite).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let script = format!(
        "set -eu\n\
         polyproto() {{ printf '%s\\n' \"$PASSWORD\" | \"$POLYPROTO_BIN\" --password-stdin \"$@\"; }}\n\
         {}",
        block
            .lines()
            .filter(|line| !line.trim_start().starts_with("cargo install"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let url = server.url.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("sh")
            .args(["-c", &script])
            .env("POLYPROTO_BIN", env!("CARGO_BIN_EXE_polyproto"))
            .env("POLYPROTO_SERVER", url)
            .env("POLYPROTO_CLIENT_DATA_DIR", data.path())
            .env("PASSWORD", PASSWORD)
            .env_remove("POLYPROTO_PROFILE")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the quickstart failed:\n{stdout}\n{stderr}"
    );
    // What a reader sees: the registrations, a claimed package, the rotation, the JSON whoami.
    for expected in [
        "Registered alice@localhost",
        "Registered bob@localhost",
        "Claimed 1 KeyPackage(s) of alice@localhost",
        "Rotated the key of session",
        "\"fid\":\"alice@localhost\"",
        "Logged out alice@localhost",
    ] {
        assert!(stdout.contains(expected), "no {expected:?} in:\n{stdout}");
    }
    server.stop().await;
}
