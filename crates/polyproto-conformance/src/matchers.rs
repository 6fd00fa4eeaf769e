//! The checks on an answer that need nothing but the answer: status, headers, exact bytes,
//! regular expressions, JSON subsets and problem details.
//!
//! A JSON subset holds when every member of an expected object is in the actual object with
//! a value that holds in turn, every expected array has the actual array's length with each
//! element holding, and every other value is equal. An expected string `"re:<regex>"`
//! matches any string (or number, in its JSON text) that the regular expression matches.

use regex::Regex;
use serde_json::Value;

/// A failed check: what was expected and what came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Where: `status`, `header content-type`, `body`, `body/id_cert`, …
    pub at: String,
    /// What was expected.
    pub expected: String,
    /// What the answer holds.
    pub actual: String,
}

impl Mismatch {
    /// A mismatch at `at`.
    pub fn new(
        at: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Self {
            at: at.into(),
            expected: expected.into(),
            actual: actual.into(),
        }
    }

    /// The mismatch as a small diff: `-` expected, `+` actual.
    pub fn diff(&self) -> String {
        format!(
            "at {}:\n  - {}\n  + {}",
            self.at,
            self.expected.replace('\n', "\n    "),
            self.actual.replace('\n', "\n    ")
        )
    }
}

/// `value` must match the regular expression `pattern`.
///
/// # Errors
/// A [`Mismatch`] at `at`, also for an invalid pattern.
pub fn regex(at: &str, pattern: &str, value: &str) -> Result<(), Mismatch> {
    let re = Regex::new(pattern)
        .map_err(|e| Mismatch::new(at, format!("a valid regex {pattern:?}"), e.to_string()))?;
    if re.is_match(value) {
        Ok(())
    } else {
        Err(Mismatch::new(at, format!("/{pattern}/"), value))
    }
}

/// `actual` must contain `expected` as a JSON subset (module docs).
///
/// # Errors
/// The first [`Mismatch`], located by JSON pointer under `at`.
pub fn json_subset(at: &str, expected: &Value, actual: &Value) -> Result<(), Mismatch> {
    match (expected, actual) {
        (Value::String(s), _) if s.starts_with("re:") => {
            let text = match actual {
                Value::String(a) => a.clone(),
                Value::Number(n) => n.to_string(),
                other => return Err(Mismatch::new(at, s.clone(), other.to_string())),
            };
            regex(at, &s[3..], &text)
        }
        (Value::Object(want), Value::Object(have)) => {
            for (key, value) in want {
                let here = format!("{at}/{key}");
                match have.get(key) {
                    Some(v) => json_subset(&here, value, v)?,
                    None => return Err(Mismatch::new(here, value.to_string(), "(absent)")),
                }
            }
            Ok(())
        }
        (Value::Array(want), Value::Array(have)) => {
            if want.len() != have.len() {
                return Err(Mismatch::new(
                    at,
                    format!("an array of {}", want.len()),
                    format!(
                        "an array of {}: {}",
                        have.len(),
                        truncate(&actual.to_string())
                    ),
                ));
            }
            for (i, (w, h)) in want.iter().zip(have).enumerate() {
                json_subset(&format!("{at}/{i}"), w, h)?;
            }
            Ok(())
        }
        (want, have) if want == have => Ok(()),
        (want, have) => Err(Mismatch::new(
            at,
            want.to_string(),
            truncate(&have.to_string()),
        )),
    }
}

/// The body as JSON.
///
/// # Errors
/// A [`Mismatch`] when it is not JSON.
pub fn parse_json(body: &str) -> Result<Value, Mismatch> {
    serde_json::from_str(body)
        .map_err(|e| Mismatch::new("body", "JSON", format!("{e}: {}", truncate(body))))
}

/// The value at JSON pointer `pointer` of `value`.
///
/// # Errors
/// A [`Mismatch`] when nothing is there.
pub fn pointer<'a>(value: &'a Value, pointer: &str) -> Result<&'a Value, Mismatch> {
    value
        .pointer(pointer)
        .ok_or_else(|| Mismatch::new(format!("body{pointer}"), "a value", "(absent)"))
}

/// The answer must be an RFC 9457 problem (`application/problem+json`) with the machine code
/// `code` in its `error` member (docs/wire-contract.md §6).
///
/// # Errors
/// A [`Mismatch`] naming the first difference.
pub fn problem(code: &str, content_type: Option<&str>, body: &str) -> Result<(), Mismatch> {
    let content_type = content_type.unwrap_or("(none)");
    if !content_type.starts_with("application/problem+json") {
        return Err(Mismatch::new(
            "header content-type",
            "application/problem+json",
            content_type,
        ));
    }
    let json = parse_json(body)?;
    for member in ["type", "title", "status"] {
        pointer(&json, &format!("/{member}"))?;
    }
    let actual = json
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or("(none)");
    if actual == code {
        Ok(())
    } else {
        Err(Mismatch::new("body/error", code, truncate(body)))
    }
}

/// At most 400 characters of `text`, for reports.
pub fn truncate(text: &str) -> String {
    match text.char_indices().nth(400) {
        Some((i, _)) => format!("{}… ({} bytes)", &text[..i], text.len()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn subsets_hold_and_fail_where_they_should() {
        let actual = json!({"fid": "a@b", "id": "12", "extra": [1, 2]});
        assert!(json_subset("", &json!({"fid": "a@b"}), &actual).is_ok());
        assert!(json_subset("", &json!({"id": "re:^[0-9]+$"}), &actual).is_ok());
        assert!(json_subset("", &json!({"extra": [1, 2]}), &actual).is_ok());
        let missing = json_subset("", &json!({"token": "x"}), &actual).unwrap_err();
        assert_eq!(missing.at, "/token");
        let wrong = json_subset("", &json!({"extra": [1, 3]}), &actual).unwrap_err();
        assert_eq!(wrong.at, "/extra/1");
        assert!(json_subset("", &json!({"extra": [1]}), &actual).is_err());
        assert!(json_subset("", &json!({"id": "re:^x"}), &actual).is_err());
    }

    #[test]
    fn problems_need_the_media_type_and_the_code() {
        let body = r#"{"type":"about:blank","title":"t","status":401,"error":"P2CORE_X"}"#;
        assert!(problem("P2CORE_X", Some("application/problem+json"), body).is_ok());
        assert!(problem("P2CORE_Y", Some("application/problem+json"), body).is_err());
        assert!(problem("P2CORE_X", Some("application/json"), body).is_err());
        assert!(problem("P2CORE_X", Some("application/problem+json"), "{}").is_err());
    }
}
