//! Small serde helpers for the wire forms of docs/wire-contract.md §2.

/// `u64` as a JSON string on output; a string or a number on input (docs/wire-contract.md §2).
pub mod u64_string {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the number as a decimal string.
    ///
    /// # Errors
    /// Those of the serializer.
    pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    /// Reads a decimal string or a JSON number.
    ///
    /// # Errors
    /// When the value is neither, or out of range.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either<'a> {
            Number(u64),
            Text(std::borrow::Cow<'a, str>),
        }
        match Either::deserialize(deserializer)? {
            Either::Number(n) => Ok(n),
            Either::Text(s) => s.parse().map_err(|_| {
                serde::de::Error::custom(format!("expected an unsigned integer, got {s:?}"))
            }),
        }
    }
}

/// `Option<u64>` as a JSON string; `null`, a string or a number on input.
pub mod option_u64_string {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `Some` as a decimal string and `None` as `null` (use with
    /// `skip_serializing_if = "Option::is_none"` to omit it).
    ///
    /// # Errors
    /// Those of the serializer.
    pub fn serialize<S: Serializer>(value: &Option<u64>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => serializer.collect_str(v),
            None => serializer.serialize_none(),
        }
    }

    /// Reads `null`, a decimal string or a JSON number.
    ///
    /// # Errors
    /// When the value is none of these.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<u64>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapper(#[serde(with = "super::u64_string")] u64);
        Ok(Option::<Wrapper>::deserialize(deserializer)?.map(|w| w.0))
    }
}

/// Serializes a value as RFC 8785 (JCS) canonical JSON, the form the reference SDK demands for
/// cacheable ID-Certs (docs/wire-contract.md §2). Independent of `serde_json`'s `preserve_order` feature.
///
/// # Errors
/// When the value cannot be serialized.
pub fn to_jcs<T: serde::Serialize>(value: &T) -> Result<String, serde_json::Error> {
    serde_json_canonicalizer::to_string(value)
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct T {
        #[serde(with = "super::u64_string")]
        a: u64,
        #[serde(
            with = "super::option_u64_string",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        b: Option<u64>,
    }

    #[test]
    fn u64_as_string_out_either_in() {
        let t = T {
            a: u64::MAX,
            b: Some(5),
        };
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, format!("{{\"a\":\"{}\",\"b\":\"5\"}}", u64::MAX));
        assert_eq!(serde_json::from_str::<T>(&json).unwrap(), t);
        assert_eq!(
            serde_json::from_str::<T>("{\"a\":7,\"b\":null}").unwrap(),
            T { a: 7, b: None }
        );
        assert_eq!(
            serde_json::from_str::<T>("{\"a\":7}").unwrap(),
            T { a: 7, b: None }
        );
        assert!(serde_json::from_str::<T>("{\"a\":\"-1\"}").is_err());
        assert!(serde_json::from_str::<T>("{\"a\":\"x\"}").is_err());
        assert_eq!(
            serde_json::to_string(&T { a: 1, b: None }).unwrap(),
            "{\"a\":\"1\"}"
        );
    }

    #[test]
    fn jcs_sorts_keys_without_whitespace() {
        let value = serde_json::json!({"b": 1, "a": [true, "x"]});
        assert_eq!(
            super::to_jcs(&value).unwrap(),
            "{\"a\":[true,\"x\"],\"b\":1}"
        );
    }
}
