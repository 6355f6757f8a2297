//! Outside input as JSON: parsed strictly, and every refusal names the failing field (a dotted path), so the
//! HTTP body extractor, the websocket frames and the fuzz oracles answer the same way.

use crate::error::{ApiError, ErrorCode};
use serde::de::DeserializeOwned;

/// Parses JSON, naming the failing field (a dotted path) in the error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    refuse_nul_in_json(bytes)?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Ok(value) => {
            de.end()
                .map_err(|e| ApiError::new(ErrorCode::InvalidJson, format!("invalid JSON: {e}")))?;
            Ok(value)
        }
        Err(err) => {
            let path = err.path().to_string();
            // An empty key (`{"": 1}`) is an empty last path segment: name the object holding it instead.
            let path = match path.strip_suffix('.') {
                Some(parent) if !parent.is_empty() => parent.to_owned(),
                _ if path.is_empty() => ".".to_owned(),
                _ => path,
            };
            let inner = err.into_inner();
            if inner.is_syntax() || inner.is_eof() {
                return Err(ApiError::new(
                    ErrorCode::InvalidJson,
                    format!("invalid JSON: {inner}"),
                ));
            }
            let message = inner.to_string();
            // serde reports a missing field at its parent's path; name the field itself.
            let field = match missing_field(&message) {
                Some(name) if path == "." => name.to_owned(),
                Some(name) => format!("{path}.{name}"),
                None => path,
            };
            Err(
                ApiError::new(ErrorCode::ValidationFailed, format!("{field}: {message}"))
                    .with_field(field),
            )
        }
    }
}

/// PostgreSQL cannot store U+0000 in text and no field has a use for it, so it is refused at the door, on
/// both engines alike. In JSON it can only arrive escaped (`\u0000`); the slow path that names the field runs
/// only when that escape is present.
fn refuse_nul_in_json(bytes: &[u8]) -> Result<(), ApiError> {
    let escaped_nul = bytes.windows(6).enumerate().any(|(i, w)| {
        w == b"\\u0000" && bytes[..i].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 0
    });
    if !escaped_nul {
        return Ok(());
    }
    // Malformed JSON is left to the parser, which names the syntax error.
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(());
    };
    match nul_path(&value, String::new()) {
        Some(field) => {
            let name = if field.is_empty() {
                "body".to_owned()
            } else {
                field
            };
            Err(ApiError::validation(
                name,
                "text must not contain the NUL character (\\u0000)",
            ))
        }
        None => Ok(()),
    }
}

/// The dotted path of the first string (or key) containing U+0000.
fn nul_path(value: &serde_json::Value, at: String) -> Option<String> {
    let join = |key: &str| {
        if at.is_empty() {
            key.to_owned()
        } else {
            format!("{at}.{key}")
        }
    };
    match value {
        serde_json::Value::String(s) => s.contains('\0').then_some(at),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_path(v, format!("{at}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
            if k.contains('\0') {
                Some(join(&k.replace('\0', "")))
            } else {
                nul_path(v, join(k))
            }
        }),
        _ => None,
    }
}

pub(crate) fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Victims {
        count: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        victims: Victims,
    }

    #[test]
    fn json_errors_name_the_field() {
        let e = parse_json::<Body>(br#"{"name": "x", "victims": {"count": -1}}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationFailed);
        assert_eq!(e.field.as_deref(), Some("victims.count"));

        let e = parse_json::<Body>(br#"{"victims": {"count": 1}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("name"));

        let e = parse_json::<Body>(br#"{"name": "x", "victims": {}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("victims.count"));

        let e = parse_json::<Body>(br#"{"name": "x", "#).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidJson);
    }

    #[test]
    fn nul_characters_are_refused_naming_the_field() {
        let e =
            parse_json::<Body>(br#"{"name": "a\u0000b", "victims": {"count": 1}}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationFailed);
        assert_eq!(e.field.as_deref(), Some("name"));
        let e = parse_json::<Vec<String>>(br#"["ok", "\u0000"]"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("[1]"));
        // An escaped backslash followed by `u0000` is six ordinary characters, not NUL.
        let ok = parse_json::<Body>(br#"{"name": "a\\u0000", "victims": {"count": 1}}"#).unwrap();
        assert_eq!(ok.name, "a\\u0000");
    }

    /// Found by the `json_body` fuzz target: an empty key was reported with an empty field name.
    #[test]
    fn an_empty_key_names_the_object_that_holds_it() {
        let e = parse_json::<Body>(br#"{"": 1}"#).unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationFailed);
        assert_eq!(e.field.as_deref(), Some("."));
        assert!(e.message.contains("unknown field ``"), "{}", e.message);

        let e = parse_json::<Body>(br#"{"name": "x", "victims": {"": 1}}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("victims"));
    }
}
