//! The report: one table of operations (rate, latency, server memory, ratio to a baseline),
//! the goals with pass or miss, printed and written as JSON.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::load::Outcome;

/// One measured operation.
pub(crate) struct Row {
    /// What was measured.
    pub(crate) name: String,
    /// Operations per second.
    pub(crate) per_second: f64,
    /// Median latency, for operations over HTTP.
    pub(crate) p50: Option<Duration>,
    /// 99th percentile latency.
    pub(crate) p99: Option<Duration>,
    /// Resident memory of the serving process after the run, MiB.
    pub(crate) rss_mib: Option<f64>,
    /// The baseline's name and this row's rate divided by the baseline's.
    pub(crate) ratio: Option<(String, f64)>,
    /// Failed requests.
    pub(crate) errors: u64,
    /// The first failure, if any.
    pub(crate) first_error: Option<String>,
}

impl Row {
    /// A row from a load run.
    pub(crate) fn http(name: &str, outcome: &Outcome, rss_mib: Option<f64>) -> Self {
        Self {
            name: name.to_owned(),
            per_second: outcome.per_second(),
            p50: Some(outcome.quantile(0.5)),
            p99: Some(outcome.quantile(0.99)),
            rss_mib,
            ratio: None,
            errors: outcome.errors,
            first_error: outcome.first_error.clone(),
        }
    }

    /// A row of an in-process loop.
    pub(crate) fn in_process(name: &str, per_second: f64) -> Self {
        Self {
            name: name.to_owned(),
            per_second,
            p50: None,
            p99: None,
            rss_mib: None,
            ratio: None,
            errors: 0,
            first_error: None,
        }
    }

    /// Sets the ratio to `baseline`.
    pub(crate) fn against(mut self, baseline: &Row) -> Self {
        self.ratio = Some((
            baseline.name.clone(),
            self.per_second / baseline.per_second.max(1e-9),
        ));
        self
    }
}

/// A goal of the issue and whether this run met it (`None`: not measured).
pub(crate) struct Goal {
    /// The goal.
    pub(crate) text: String,
    /// What was measured.
    pub(crate) measured: String,
    /// Pass or miss.
    pub(crate) pass: Option<bool>,
}

/// The whole report.
pub(crate) struct Report {
    /// `--quick`, `--smoke` or `full`, and the connections.
    pub(crate) mode: String,
    /// CPU model and count.
    pub(crate) machine: String,
    /// The rows in the order measured.
    pub(crate) rows: Vec<Row>,
    /// The goals.
    pub(crate) goals: Vec<Goal>,
    /// Rows that could not be measured, and why.
    pub(crate) skipped: Vec<String>,
}

fn ms(d: Option<Duration>) -> String {
    d.map_or_else(
        || "-".to_owned(),
        |d| format!("{:.2}", d.as_secs_f64() * 1000.0),
    )
}

impl Report {
    /// The table and the goals as Markdown, as printed.
    pub(crate) fn to_markdown(&self) -> String {
        let mut out = format!("machine: {}\nmode: {}\n\n", self.machine, self.mode);
        out.push_str("| operation | req/s | p50 ms | p99 ms | server RSS MiB | ratio | errors |\n");
        out.push_str("|---|---:|---:|---:|---:|---|---:|\n");
        for row in &self.rows {
            let ratio = row
                .ratio
                .as_ref()
                .map_or_else(|| "-".to_owned(), |(b, r)| format!("{r:.2} × {b}"));
            let rss = row
                .rss_mib
                .map_or_else(|| "-".to_owned(), |r| format!("{r:.1}"));
            out.push_str(&format!(
                "| {} | {:.0} | {} | {} | {} | {} | {} |\n",
                row.name,
                row.per_second,
                ms(row.p50),
                ms(row.p99),
                rss,
                ratio,
                row.errors
            ));
        }
        out.push_str("\n| goal | measured | result |\n|---|---|---|\n");
        for goal in &self.goals {
            let result = match goal.pass {
                Some(true) => "pass",
                Some(false) => "MISS",
                None => "not measured",
            };
            out.push_str(&format!(
                "| {} | {} | {result} |\n",
                goal.text, goal.measured
            ));
        }
        for reason in &self.skipped {
            out.push_str(&format!("\nskipped: {reason}"));
        }
        for row in self.rows.iter().filter(|r| r.first_error.is_some()) {
            let error = row.first_error.as_deref().unwrap_or_default();
            let error: String = error.chars().take(300).collect();
            out.push_str(&format!("\nfirst error of {}: {error}", row.name));
        }
        out
    }

    /// The report as JSON.
    pub(crate) fn to_json(&self) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "operation": r.name,
                    "per_second": r.per_second,
                    "p50_ms": r.p50.map(|d| d.as_secs_f64() * 1000.0),
                    "p99_ms": r.p99.map(|d| d.as_secs_f64() * 1000.0),
                    "server_rss_mib": r.rss_mib,
                    "baseline": r.ratio.as_ref().map(|(b, _)| b),
                    "ratio": r.ratio.as_ref().map(|(_, x)| x),
                    "errors": r.errors,
                    "first_error": r.first_error,
                })
            })
            .collect();
        let goals: Vec<Value> = self
            .goals
            .iter()
            .map(|g| json!({ "goal": g.text, "measured": g.measured, "pass": g.pass }))
            .collect();
        json!({
            "machine": self.machine,
            "mode": self.mode,
            "rows": rows,
            "goals": goals,
            "skipped": self.skipped,
        })
    }

    /// Writes the JSON to `path`.
    pub(crate) fn write_json(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string_pretty(&self.to_json()).map_err(std::io::Error::other)?;
        std::fs::write(path, text + "\n")
    }
}

/// `nproc` and the CPU model from `/proc/cpuinfo`.
pub(crate) fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    format!("{cpus} CPUs, {model}")
}
