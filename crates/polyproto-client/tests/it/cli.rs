//! The `polyproto` tool driven as a user would: a spawned process with `--password-stdin`, a
//! temporary data directory and `--json`, against an in-process server.

#![allow(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use polyproto_test_support::{Backend, PASSWORD, TestServer};
use serde_json::Value;

/// One run of the tool.
struct Run {
    ok: bool,
    json: Value,
    stderr: String,
}

struct Tool<'a> {
    url: &'a str,
    data: &'a Path,
}

impl Tool<'_> {
    /// Runs `polyproto --json ARGS`, with `password` on stdin if given.
    fn run(&self, args: &[&str], password: Option<&str>) -> Run {
        let mut command = Command::new(env!("CARGO_BIN_EXE_polyproto"));
        command
            .args(["--server", self.url, "--json"])
            .args(args)
            .env("POLYPROTO_CLIENT_DATA_DIR", self.data)
            .env_remove("POLYPROTO_SERVER")
            .env_remove("POLYPROTO_PROFILE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if password.is_some() {
            command.arg("--password-stdin");
        }
        let mut child = command.spawn().expect("polyproto starts");
        let mut stdin = child.stdin.take().expect("stdin");
        if let Some(password) = password {
            writeln!(stdin, "{password}").expect("write the password");
        }
        drop(stdin);
        let output = child.wait_with_output().expect("polyproto runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let json = serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e}): {stdout}\n{stderr}"));
        Run {
            ok: output.status.success(),
            json,
            stderr,
        }
    }

    #[track_caller]
    fn ok(&self, args: &[&str], password: Option<&str>) -> Value {
        let run = self.run(args, password);
        assert!(run.ok, "{args:?} failed: {}\n{}", run.json, run.stderr);
        run.json
    }

    #[track_caller]
    fn fails(&self, args: &[&str], password: Option<&str>, code: Option<&str>) -> Run {
        let run = self.run(args, password);
        assert!(!run.ok, "{args:?} should fail: {}", run.json);
        assert_eq!(run.json["error"]["code"].as_str(), code, "{}", run.json);
        assert!(run.stderr.contains("error: "), "{}", run.stderr);
        run
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_registers_rotates_and_trades_key_packages() {
    let server = TestServer::start(Backend::Sqlite).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let url = server.url.clone();
    let data_path = data.path().to_owned();
    let grant_alice = {
        let handle = tokio::runtime::Handle::current();
        let server = &server;
        let alice = polyproto_types::FederationId::new("alice@localhost").unwrap();
        move || handle.block_on(server.grant_admin(&alice))
    };
    tokio::task::block_in_place(move || {
        let tool = Tool {
            url: &url,
            data: &data_path,
        };
        let pw = Some(PASSWORD);

        // Register (and sign in), then look at the session.
        let registered = tool.ok(&["register", "alice", "--session-id", "laptop"], pw);
        assert_eq!(registered["fid"], "alice@localhost");
        assert_eq!(registered["session_id"], "laptop");
        let first_serial = registered["cert"]["serial"].as_str().unwrap().to_owned();
        let me = tool.ok(&["whoami"], None);
        assert_eq!(me["fid"], "alice@localhost");
        assert_eq!(me["listed_by_server"], true);
        assert!(me["expires_in_secs"].as_u64().unwrap() > 86_400);

        // Keys and certificates are private to the user.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let dir = data_path.join("profiles/default");
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir), 0o700);
            for file in ["profile.json", "session.key", "id_cert.pem"] {
                assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
            }
        }

        // Errors say what went wrong and what to do.
        let taken = tool.fails(
            &["register", "alice", "--no-login"],
            pw,
            Some("P2CORE_FEDERATION_ID_TAKEN"),
        );
        assert!(taken.stderr.contains("hint: "), "{}", taken.stderr);
        tool.fails(
            &["--profile", "wrong", "login", "alice"],
            Some("not the password"),
            Some("P2CORE_INVALID_CREDENTIALS"),
        );
        tool.fails(&["login", "alice"], pw, None);
        tool.fails(
            &["server-cert", "--at", "1"],
            None,
            Some("P2CORE_CERTIFICATE_NOT_FOUND"),
        );
        let no_password = tool.run(&["rotate"], None);
        assert!(!no_password.ok);
        assert!(
            no_password.stderr.contains("--password-stdin"),
            "{}",
            no_password.stderr
        );

        // A second session in another profile.
        let desk = tool.ok(
            &[
                "--profile",
                "desk",
                "login",
                "alice",
                "--session-id",
                "desk",
            ],
            pw,
        );
        assert_eq!(desk["session_id"], "desk");

        // Rotate: a new certificate, shown and verified.
        let rotated = tool.ok(&["rotate"], pw);
        assert_eq!(rotated["rotated"], true);
        let serial = rotated["cert"]["serial"].as_str().unwrap().to_owned();
        assert_ne!(serial, first_serial);
        let shown = tool.ok(&["cert", "show"], None);
        assert_eq!(shown["serial"].as_str(), Some(serial.as_str()));
        assert_eq!(shown["session_id"], "laptop");
        let verified = tool.ok(&["cert", "verify"], None);
        assert_eq!(verified["valid"], true);
        let skipped = tool.ok(&["rotate", "--if-expiring"], None);
        assert_eq!(skipped["rotated"], false);

        // Certificates of the server and of the actor.
        let server_cert = tool.ok(&["server-cert"], None);
        assert_eq!(server_cert["profile"], "home-server");
        assert_eq!(server_cert["domain"], "localhost");
        let now = polyproto_types::time::now_unix().to_string();
        let certs = tool.ok(&["actor-certs", "alice@localhost", "--at", &now], None);
        let mut sessions: Vec<&str> = certs["certs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["session_id"].as_str().unwrap())
            .collect();
        sessions.sort_unstable();
        assert_eq!(sessions, ["desk", "laptop"]);
        tool.fails(
            &["actor-certs", "nobody@localhost"],
            None,
            Some("P2CORE_ACTOR_NOT_FOUND"),
        );

        // KeyPackages: upload, last resort, claim from the other session.
        let uploaded = tool.ok(&["keypackages", "upload", "2"], None);
        assert_eq!(uploaded["uploaded"], 2);
        assert!(uploaded["stored_values"].as_u64().unwrap() > 0);
        tool.ok(&["keypackages", "last-resort"], None);
        for round in 0..3 {
            let claimed = tool.ok(
                &[
                    "--profile",
                    "desk",
                    "keypackages",
                    "claim",
                    "alice@localhost",
                ],
                None,
            );
            let list = claimed["key_packages"].as_array().unwrap();
            assert_eq!(list.len(), 1, "{claimed}");
            assert_eq!(list[0]["session_id"], "laptop");
            assert_eq!(list[0]["ciphersuite"], 1);
            assert_eq!(list[0]["last_resort"], round == 2, "{claimed}");
        }

        // Administration.
        tool.fails(
            &["admin", "rotate-server-key"],
            pw,
            Some("P2CORE_ADMIN_REQUIRED"),
        );
        grant_alice();
        let new_server = tool.ok(&["admin", "rotate-server-key"], pw);
        assert_eq!(new_server["cert"]["profile"], "home-server");
        // Alice's certificate, issued under the old server key, still verifies.
        assert_eq!(tool.ok(&["cert", "verify"], None)["valid"], true);

        // End the desk session from the laptop; the desk profile learns it at its next use.
        assert_eq!(
            tool.ok(&["sessions", "delete", "desk"], pw)["deleted"],
            "desk"
        );
        let ended = tool.fails(&["--profile", "desk", "whoami"], None, None);
        assert!(ended.stderr.contains("polyproto login"), "{}", ended.stderr);
        tool.fails(
            &["--profile", "desk", "keypackages", "upload", "1"],
            None,
            Some("P2CORE_UNAUTHORIZED"),
        );

        let profiles = tool.ok(&["profiles"], None);
        assert_eq!(profiles["profiles"].as_array().unwrap().len(), 2);

        // Log out: the profile is gone.
        assert_eq!(tool.ok(&["logout"], None)["logged_out"], true);
        let gone = tool.fails(&["whoami"], None, None);
        assert!(gone.stderr.contains("polyproto login"), "{}", gone.stderr);
    });
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_signs_in_at_a_foreign_server() {
    let a = TestServer::start_with(Backend::Sqlite, |c| c.domain = "a.localhost".to_owned())
        .await
        .unwrap();
    let a_url = a.url.clone();
    let b = TestServer::start_with(Backend::Sqlite, |c| {
        c.domain = "b.localhost".to_owned();
        c.federation.resolve.insert("a.localhost".to_owned(), a_url);
    })
    .await
    .unwrap();
    let data = tempfile::tempdir().unwrap();
    let (a_url, b_url) = (a.url.clone(), b.url.clone());
    let data_path = data.path().to_owned();
    tokio::task::block_in_place(move || {
        let tool = Tool {
            url: &a_url,
            data: &data_path,
        };
        tool.ok(&["register", "alice"], Some(PASSWORD));
        let signed_in = tool.ok(&["signin-foreign", &b_url], None);
        assert_eq!(signed_in["fid"], "alice@a.localhost");
        // Rotating at home gives the foreign server the new certificate.
        let rotated = tool.ok(&["rotate"], Some(PASSWORD));
        assert_eq!(rotated["pushed_to"][0].as_str(), Some(b_url.as_str()));
        // The foreign server passes Alice's certificates on; verified with her home server.
        let resolve = format!("a.localhost={a_url}");
        let via_b = Tool {
            url: &b_url,
            data: &data_path,
        };
        let certs = via_b.ok(
            &["--resolve", &resolve, "actor-certs", "alice@a.localhost"],
            None,
        );
        assert_eq!(certs["certs"].as_array().unwrap().len(), 1);
    });
    b.stop().await;
    a.stop().await;
}
