//! Every certificate the suite sees, checked by two independent tools after the run:
//! `openssl verify` under its issuer at its `notBefore`, and `pkilint` (`lint_pkix_cert`,
//! RFC 5280 lints, all certificates in one Python process) with the deviations docs/wire-contract.md §4.1
//! makes on purpose allowed.

use std::collections::BTreeMap;
use std::process::Command;

use polyproto_types::IdCert;

/// pkilint findings that are the deliberate deviations of docs/wire-contract.md §4.1: no subject or
/// authority key identifier, and the session ID (`uniqueIdentifier`,
/// 0.9.2342.19200300.100.1.44) as an IA5String, which pkilint decodes as a DirectoryString.
pub const ALLOWED_FINDINGS: &[(&str, &str)] = &[
    ("pkix.certificate_skid_end_entity_missing", ""),
    ("pkix.certificate_skid_ca_missing", ""),
    ("pkix.authority_key_identifier_extension_absent", ""),
    ("itu.invalid_asn1_syntax", "0.9.2342.19200300.100.1.44"),
];

/// A certificate seen in an answer, with the certificate of its issuer.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The certificate.
    pub cert: IdCert,
    /// Its issuer's certificate (itself, for a home server's).
    pub issuer: IdCert,
    /// The case it was seen in.
    pub case: String,
}

/// The certificates seen in a run, each once.
#[derive(Debug, Default)]
pub struct Pool {
    seen: BTreeMap<Vec<u8>, Seen>,
}

/// One tool's verdict on one certificate that it refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `openssl` or `pkilint`.
    pub tool: &'static str,
    /// The certificate's subject and serial, and the case that saw it.
    pub cert: String,
    /// What the tool reported.
    pub message: String,
}

impl Pool {
    /// Adds a certificate (once).
    pub fn add(&mut self, seen: Seen) {
        self.seen.entry(seen.cert.as_der().to_vec()).or_insert(seen);
    }

    /// How many certificates there are.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether no certificate was seen.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Runs both tools on every certificate.
    ///
    /// # Errors
    /// A message when a tool cannot be run at all (not installed).
    pub fn check(&self) -> Result<Vec<Finding>, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut findings = Vec::new();
        let mut labels = BTreeMap::new();
        for (i, seen) in self.seen.values().enumerate() {
            let cert_path = dir.path().join(format!("{i}.pem"));
            let issuer_path = dir.path().join(format!("{i}.issuer.pem"));
            std::fs::write(&cert_path, seen.cert.to_pem()).map_err(|e| e.to_string())?;
            std::fs::write(&issuer_path, seen.issuer.to_pem()).map_err(|e| e.to_string())?;
            let label = format!(
                "{} (serial {}, case {})",
                describe(&seen.cert),
                seen.cert.serial(),
                seen.case
            );
            let at = seen.cert.validity().not_before.to_string();
            let verify = run(Command::new("openssl")
                .args(["verify", "-attime", &at, "-CAfile"])
                .arg(&issuer_path)
                .arg(&cert_path))
            .map_err(|e| format!("cannot run openssl ({e}); install OpenSSL 3"))?;
            if !verify.0 {
                findings.push(Finding {
                    tool: "openssl",
                    cert: label.clone(),
                    message: verify.1,
                });
            }
            labels.insert(cert_path.to_string_lossy().into_owned(), label);
        }
        for (file, report) in pkilint(labels.keys())? {
            let label = labels.get(&file).cloned().unwrap_or(file);
            for message in refused_findings(&report)? {
                findings.push(Finding {
                    tool: "pkilint",
                    cert: label.clone(),
                    message,
                });
            }
        }
        Ok(findings)
    }
}

/// Whose certificate: `alice@example.com session laptop`, or `home server example.com`.
pub fn describe(cert: &IdCert) -> String {
    match cert.actor() {
        Some(actor) => format!("{} session {}", actor.fid(), actor.session_id()),
        None => format!("home server {}", cert.issuer_domain()),
    }
}

/// Runs a command: whether it succeeded, and its standard output and error.
fn run(command: &mut Command) -> std::io::Result<(bool, String)> {
    let out = command.output()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((out.status.success(), text.trim().to_owned()))
}

/// pkilint's JSON report on each of `files`, from one Python process ([`PKILINT_BATCH`]).
fn pkilint<'a>(files: impl Iterator<Item = &'a String>) -> Result<Vec<(String, String)>, String> {
    let files: Vec<&String> = files.collect();
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let (ok, output) = run(Command::new("python3")
        .args(["-c", PKILINT_BATCH])
        .args(&files))
    .map_err(|e| format!("cannot run python3 ({e}); pkilint needs Python 3"))?;
    if !ok {
        return Err(format!(
            "cannot run pkilint (pip install pkilint): {output}"
        ));
    }
    let mut reports = Vec::with_capacity(files.len());
    for line in output.lines().filter(|l| l.starts_with('{')) {
        let line: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("pkilint batch wrote a bad line ({e}): {line}"))?;
        let field = |name: &str| line[name].as_str().unwrap_or_default().to_owned();
        reports.push((field("file"), field("report")));
    }
    if reports.len() != files.len() {
        return Err(format!(
            "pkilint reported on {} of {} certificates: {output}",
            reports.len(),
            files.len()
        ));
    }
    Ok(reports)
}

/// Runs pkilint's `lint_pkix_cert lint` on every file named on its command line, in one
/// process, printing a JSON line per file.
const PKILINT_BATCH: &str = include_str!("pkilint_batch.py");

/// The findings of pkilint's JSON report that [`ALLOWED_FINDINGS`] does not allow.
fn refused_findings(report: &str) -> Result<Vec<String>, String> {
    let json: serde_json::Value = serde_json::from_str(report)
        .map_err(|e| format!("pkilint wrote no JSON report ({e}): {report}"))?;
    let mut refused = Vec::new();
    let results = json
        .get("results")
        .and_then(serde_json::Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    for result in results {
        let node = result["node_path"].as_str().unwrap_or_default();
        let findings = result["finding_descriptions"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        for finding in findings {
            let code = finding["code"].as_str().unwrap_or_default();
            let message = finding["message"].as_str().unwrap_or_default();
            let allowed = ALLOWED_FINDINGS
                .iter()
                .any(|(c, needle)| *c == code && message.contains(needle));
            if !allowed {
                refused.push(format!(
                    "{} ({}) at {node}: {message}",
                    code,
                    finding["severity"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    Ok(refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_deliberate_deviations_are_allowed() {
        let report = r#"{"results": [
            {"node_path": "certificate", "validator": "A", "finding_descriptions": [
                {"severity": "ERROR", "code": "pkix.authority_key_identifier_extension_absent", "message": null}]},
            {"node_path": "certificate.x", "validator": "B", "finding_descriptions": [
                {"severity": "WARNING", "code": "pkix.key_usage_extension_not_critical", "message": null}]}
        ]}"#;
        let refused = refused_findings(report).expect("a report");
        assert_eq!(refused.len(), 1);
        assert!(refused[0].starts_with("pkix.key_usage_extension_not_critical"));
        assert!(refused_findings("not json").is_err());
    }
}
