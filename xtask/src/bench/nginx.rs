//! nginx serving a file, the static-file baseline: found on the `PATH` or in `/usr/sbin`,
//! installed with apt-get if missing (as root), else skipped with the reason.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::server::{Process, free_addr};
use crate::Error;

/// Starts nginx with two workers serving `body` at `/cert.json`, or says why it cannot.
pub(crate) fn start(dir: &Path, body: &[u8]) -> Result<Process, String> {
    let binary = find().or_else(install)?;
    let prefix = dir.join("nginx");
    let www = prefix.join("www");
    std::fs::create_dir_all(&www).map_err(|e| e.to_string())?;
    std::fs::write(www.join("cert.json"), body).map_err(|e| e.to_string())?;
    let addr = free_addr().map_err(|e| e.to_string())?;
    let user = if is_root() { "user root;\n" } else { "" };
    let conf = format!(
        "{user}worker_processes 2;\ndaemon off;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log warn;\n\
         events {{ worker_connections 4096; }}\n\
         http {{\n  access_log off;\n  keepalive_requests 100000000;\n  keepalive_timeout 60s;\n  \
         server {{\n    listen {addr};\n    root {www};\n    location / {{ default_type application/json; }}\n  }}\n}}\n",
        prefix = prefix.display(),
        www = www.display(),
    );
    let conf_path = prefix.join("nginx.conf");
    std::fs::write(&conf_path, conf).map_err(|e| e.to_string())?;
    let mut command = Command::new(binary);
    command
        .arg("-p")
        .arg(&prefix)
        .arg("-c")
        .arg(&conf_path)
        .stderr(std::process::Stdio::null());
    Process::start(command, addr).map_err(|e: Error| format!("nginx did not start: {e}"))
}

fn find() -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join("nginx"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| "nginx is not installed".to_owned())
}

fn install(missing: String) -> Result<PathBuf, String> {
    if !is_root() || find_program("apt-get").is_none() {
        return Err(format!(
            "{missing}, and apt-get cannot install it here (not root or no apt)"
        ));
    }
    println!("installing nginx with apt-get…");
    let ok = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let installed = ok(&["install", "-y", "-qq", "nginx"])
        || (ok(&["update", "-qq"]) && ok(&["install", "-y", "-qq", "nginx"]));
    if !installed {
        return Err(format!("{missing}, and apt-get install nginx failed"));
    }
    find()
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}
