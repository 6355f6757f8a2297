//! The one error type of services and handlers.
//!
//! Services return [`ApiError`] so that what they refuse reaches the wire unchanged: `code` is a stable
//! snake_case string that the map client uses as its translation key; `message` is English for logs and curl
//! users. The HTTP edge (`api::error`) renders it as `{ "error": { "code", "message", "field"?, "allowed"? } }`;
//! internal failures answer only `"code": "internal"` and their cause is logged once by middleware.
//!
//! [`ErrorCode`] is `siaga_core::error::ErrorCode`: the one table of wire codes and their HTTP statuses, which
//! the domain errors of `siaga-core` also answer with (`code()`). This module knows no HTTP type.

pub use siaga_core::error::ErrorCode;

use crate::store::StoreError;

/// An API error: a code, an English message, and optionally the offending field and allowed values.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    pub allowed: Option<Vec<String>>,
    /// The cause of an internal error, logged by middleware and never sent to the client.
    pub source: Option<anyhow::Error>,
    /// Seconds after which the same request may succeed (`Retry-After`), for refusals that pass by themselves:
    /// a login throttle's window, a full password hasher. (Sixteen bits keep the error as small as it was:
    /// results carry it.)
    pub retry_after_secs: Option<u16>,
}

/// Result type of handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            field: None,
            allowed: None,
            source: None,
            retry_after_secs: None,
        }
    }

    /// Names the offending field (a JSON path such as `victims.count`).
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Tells the client when to try again (`Retry-After`, 1 s to 18 h).
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(u16::try_from(secs).unwrap_or(u16::MAX).max(1));
        self
    }

    /// Lists the values or transitions that would have been accepted.
    pub fn with_allowed(mut self, allowed: Vec<String>) -> Self {
        self.allowed = Some(allowed);
        self
    }

    /// 422 for a field the domain refuses.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::ValidationFailed, message).with_field(field)
    }

    /// 403 with a reason.
    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Forbidden, message)
    }

    /// 404 for a named kind of resource.
    pub fn not_found(what: &str) -> Self {
        ApiError::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// 500; the cause is logged, not shown.
    pub fn internal(source: anyhow::Error) -> Self {
        ApiError {
            source: Some(source),
            ..ApiError::new(ErrorCode::Internal, "internal error")
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::new(ErrorCode::NotFound, "not found"),
            StoreError::Conflict { constraint } => {
                let field = constraint_field(&constraint);
                let mut err = ApiError::new(
                    ErrorCode::Conflict,
                    format!("conflicts with existing data ({constraint})"),
                );
                err.field = field;
                err
            }
            StoreError::Stale { .. } => ApiError::new(
                ErrorCode::Conflict,
                "someone else changed this at the same moment; reload and try again",
            ),
            StoreError::Unavailable(source) => ApiError {
                source: Some(source.into()),
                ..ApiError::new(
                    ErrorCode::Unavailable,
                    "database unavailable, retry shortly",
                )
            },
            StoreError::Other(source) => ApiError::internal(source),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        match e.downcast::<StoreError>() {
            Ok(store) => store.into(),
            Err(other) => ApiError::internal(other),
        }
    }
}

/// Best-effort field name from an engine's constraint text: SQLite says `UNIQUE constraint failed:
/// units.call_sign`, PostgreSQL names the constraint `units_call_sign_key` (table names here are one word).
fn constraint_field(constraint: &str) -> Option<String> {
    let field = match constraint.rsplit_once('.') {
        Some((_, column)) => column,
        None => {
            let name = constraint
                .trim_end_matches("_pkey")
                .trim_end_matches("_key");
            name.split_once('_').map_or(name, |(_, column)| column)
        }
    };
    (!field.is_empty() && !field.contains(' ')).then(|| field.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_names_become_field_names() {
        assert_eq!(
            constraint_field("users.username").as_deref(),
            Some("username")
        );
        assert_eq!(
            constraint_field("users_username_key").as_deref(),
            Some("username")
        );
        assert_eq!(
            constraint_field("UNIQUE constraint failed: units.call_sign").as_deref(),
            Some("call_sign")
        );
        assert_eq!(
            constraint_field("units_call_sign_key").as_deref(),
            Some("call_sign")
        );
    }
}
