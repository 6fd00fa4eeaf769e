//! The skip list: cases an implementation does not run, each with its reason
//! (`conformance-fixtures/skip.toml`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// One skipped case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// The case's ID.
    case: String,
    /// Why it is skipped. Required: a skip without a reason is refused.
    reason: String,
}

/// The file: `[[skip]]` entries.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    skip: Vec<Entry>,
}

/// Case ID → reason.
#[derive(Debug, Clone, Default)]
pub struct SkipList(BTreeMap<String, String>);

impl SkipList {
    /// Reads a skip list.
    ///
    /// # Errors
    /// A message for an unreadable file, an entry without a reason, or a duplicate.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses a skip list.
    ///
    /// # Errors
    /// As [`SkipList::load`].
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut list = BTreeMap::new();
        for entry in file.skip {
            if entry.reason.trim().is_empty() {
                return Err(format!("the skip of {} gives no reason", entry.case));
            }
            if list.insert(entry.case.clone(), entry.reason).is_some() {
                return Err(format!("{} is listed twice", entry.case));
            }
        }
        Ok(Self(list))
    }

    /// Why `case` is skipped, if it is.
    pub fn reason(&self, case: &str) -> Option<&str> {
        self.0.get(case).map(String::as_str)
    }

    /// The listed case IDs.
    pub fn cases(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_skip_needs_a_reason() {
        let list =
            SkipList::parse("[[skip]]\ncase = \"a\"\nreason = \"not built\"\n").expect("valid");
        assert_eq!(list.reason("a"), Some("not built"));
        assert_eq!(list.reason("b"), None);
        assert!(SkipList::parse("[[skip]]\ncase = \"a\"\nreason = \" \"\n").is_err());
        assert!(SkipList::parse("[[skip]]\ncase = \"a\"\n").is_err());
        assert!(SkipList::parse("").expect("empty").cases().next().is_none());
    }
}
