//! Outcomes, the printed report, JSONL, and the comparison with a committed baseline.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// What became of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// The case's ID.
    pub case: String,
    /// What it checks.
    pub checks: String,
    /// Pass, fail or skip.
    #[serde(flatten)]
    pub status: Status,
    /// How long it took.
    pub millis: u64,
}

/// Pass, fail (with the step and a diff) or skip (with the reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Status {
    /// Every step's answer was as expected.
    Pass,
    /// A step's answer was not.
    Fail {
        /// The step.
        step: String,
        /// Expected (`-`) and actual (`+`).
        diff: String,
    },
    /// Not run.
    Skip {
        /// Why.
        reason: String,
    },
}

/// The short form of a [`Status`], as the baseline keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// [`Status::Pass`].
    Pass,
    /// [`Status::Fail`].
    Fail,
    /// [`Status::Skip`].
    Skip,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Skip => "skip",
        })
    }
}

impl Status {
    /// The short form.
    pub fn kind(&self) -> Kind {
        match self {
            Self::Pass => Kind::Pass,
            Self::Fail { .. } => Kind::Fail,
            Self::Skip { .. } => Kind::Skip,
        }
    }
}

/// One outcome as the report prints it.
pub fn render_one(o: &Outcome) -> String {
    match &o.status {
        Status::Pass => format!("PASS  {}  ({}; {} ms)\n", o.case, o.checks, o.millis),
        Status::Fail { step, diff } => format!(
            "FAIL  {}  ({})\n      step {step}\n      {}\n",
            o.case,
            o.checks,
            diff.replace('\n', "\n      ")
        ),
        Status::Skip { reason } => format!("SKIP  {}  ({reason})\n", o.case),
    }
}

/// The counts of a run.
pub fn summary(outcomes: &[Outcome]) -> String {
    let count = |k: Kind| outcomes.iter().filter(|o| o.status.kind() == k).count();
    format!(
        "{} cases: {} passed, {} failed, {} skipped",
        outcomes.len(),
        count(Kind::Pass),
        count(Kind::Fail),
        count(Kind::Skip)
    )
}

/// Writes one JSON line per outcome.
///
/// # Errors
/// The I/O error.
pub fn write_jsonl(
    path: &Path,
    outcomes: &[Outcome],
    extra: &[serde_json::Value],
) -> std::io::Result<()> {
    let mut text = String::new();
    for line in outcomes
        .iter()
        .map(|o| serde_json::to_string(o).unwrap_or_default())
        .chain(extra.iter().map(ToString::to_string))
    {
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(path, text)
}

/// Case ID → expected outcome, committed beside the cases.
pub type Baseline = BTreeMap<String, Kind>;

/// The baseline of a run.
pub fn baseline_of(outcomes: &[Outcome]) -> Baseline {
    outcomes
        .iter()
        .map(|o| (o.case.clone(), o.status.kind()))
        .collect()
}

/// Reads a baseline (a JSON object of case ID → `"pass"`, `"fail"` or `"skip"`).
///
/// # Errors
/// A message for an unreadable or malformed file.
pub fn load_baseline(path: &Path) -> Result<Baseline, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Writes a baseline, one case per line, sorted.
///
/// # Errors
/// The I/O error.
pub fn save_baseline(path: &Path, baseline: &Baseline) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(baseline).map_err(std::io::Error::other)?;
    std::fs::write(path, text + "\n")
}

/// Every difference between a run and the baseline: new failures, new passes, new skips,
/// and cases added or gone. Empty when the run is the baseline.
pub fn compare(baseline: &Baseline, outcomes: &[Outcome]) -> Vec<String> {
    let mut differences = Vec::new();
    for o in outcomes {
        let now = o.status.kind();
        match baseline.get(&o.case) {
            None => differences.push(format!("{}: new case ({now}), not in the baseline", o.case)),
            Some(&was) if was == now => {}
            Some(&was) => differences.push(match now {
                Kind::Fail => format!("{}: new failure (baseline: {was})", o.case),
                Kind::Pass => format!(
                    "{}: new pass (baseline: {was}); update the baseline",
                    o.case
                ),
                Kind::Skip => format!("{}: now skipped (baseline: {was})", o.case),
            }),
        }
    }
    for case in baseline.keys() {
        if !outcomes.iter().any(|o| &o.case == case) {
            differences.push(format!("{case}: in the baseline, but not run"));
        }
    }
    differences
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(case: &str, status: Status) -> Outcome {
        Outcome {
            case: case.to_owned(),
            checks: String::new(),
            status,
            millis: 0,
        }
    }

    #[test]
    fn new_failures_and_new_passes_are_both_flagged() {
        let baseline = Baseline::from([
            ("a".to_owned(), Kind::Pass),
            ("b".to_owned(), Kind::Fail),
            ("c".to_owned(), Kind::Pass),
            ("gone".to_owned(), Kind::Pass),
        ]);
        let fail = Status::Fail {
            step: "1".to_owned(),
            diff: String::new(),
        };
        let run = [
            outcome("a", fail),
            outcome("b", Status::Pass),
            outcome("c", Status::Pass),
            outcome("new", Status::Pass),
        ];
        let differences = compare(&baseline, &run);
        assert_eq!(differences.len(), 4, "{differences:#?}");
        assert!(differences[0].contains("new failure"));
        assert!(differences[1].contains("new pass"));
        assert!(differences[2].contains("new case"));
        assert!(differences[3].contains("not run"));
        assert!(compare(&baseline_of(&run), &run).is_empty());
    }
}
