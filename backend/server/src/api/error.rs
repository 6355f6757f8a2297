//! The HTTP rendering of [`ApiError`]: the error body and the cause handed to the logging middleware.
//!
//! Bodies are `{ "error": { "code", "message", "field"?, "allowed"? } }`; the status comes from
//! [`ErrorCode::http_status`], the one table that decides it (`siaga_core::error`).

pub use crate::error::{ApiError, ApiResult, ErrorCode};
use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::Arc;

/// The JSON body of an error response.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// The inner error object.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
}

/// The cause of a 5xx, carried to the logging middleware in the response extensions.
#[derive(Clone)]
pub struct LoggedCause(pub Arc<anyhow::Error>);

/// The HTTP status of `code`, from the core's table.
pub fn status(code: ErrorCode) -> StatusCode {
    // The table holds only valid 4xx/5xx numbers (a core test pins the ranges), so the fallback is unreachable.
    StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status(self.code);
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
                allowed: self.allowed,
            },
        };
        let mut response = (status, Json(body)).into_response();
        // A refusal that names its wait says so; every other 503 (database unreachable, request timed out,
        // position not stored in time) is worth a retry shortly.
        if let Some(secs) = self.retry_after_secs {
            response.headers_mut().insert(RETRY_AFTER, secs.into());
        } else if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("2"));
        }
        if let Some(source) = self.source {
            response
                .extensions_mut()
                .insert(LoggedCause(Arc::new(source)));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The map client's `ErrorCode` type is generated from the OpenAPI document into `schema.d.ts`, and its
    /// translation tables are typed by it; a code added to the core's table without regenerating the client
    /// types would reach users untranslated.
    #[test]
    fn openapi_and_the_generated_client_type_list_every_code() {
        let table: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        let (_, doc) = crate::api::api_routes();
        let doc = serde_json::to_value(&doc).unwrap();
        let listed: Vec<&str> = doc["components"]["schemas"]["ErrorCode"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(listed, table);
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../map-client/src/api/schema.d.ts"
        );
        let generated = std::fs::read_to_string(path).unwrap();
        let union = generated
            .lines()
            .find_map(|l| l.trim().strip_prefix("ErrorCode: "))
            .expect("schema.d.ts declares ErrorCode");
        let generated: Vec<&str> = union
            .trim_end_matches(';')
            .split('|')
            .map(|s| s.trim().trim_matches('"'))
            .collect();
        assert_eq!(
            generated, table,
            "regenerate map-client/src/api/schema.d.ts (npm run gen:api)"
        );
    }

    #[test]
    fn statuses_are_the_ones_the_api_has_always_answered() {
        use ErrorCode as C;
        let pinned = [
            (C::BadRequest, StatusCode::BAD_REQUEST),
            (C::InvalidJson, StatusCode::BAD_REQUEST),
            (C::ValidationFailed, StatusCode::UNPROCESSABLE_ENTITY),
            (C::PayloadTooLarge, StatusCode::PAYLOAD_TOO_LARGE),
            (C::Unauthenticated, StatusCode::UNAUTHORIZED),
            (C::TokenExpired, StatusCode::UNAUTHORIZED),
            (C::SessionRevoked, StatusCode::UNAUTHORIZED),
            (C::InvalidCredentials, StatusCode::UNAUTHORIZED),
            (C::AccountDisabled, StatusCode::FORBIDDEN),
            (C::Forbidden, StatusCode::FORBIDDEN),
            (C::PasswordChangeRequired, StatusCode::FORBIDDEN),
            (C::NotFound, StatusCode::NOT_FOUND),
            (C::Conflict, StatusCode::CONFLICT),
            (C::InvalidTransition, StatusCode::CONFLICT),
            (C::IdempotencyKeyReused, StatusCode::UNPROCESSABLE_ENTITY),
            (C::UnsupportedMediaType, StatusCode::UNSUPPORTED_MEDIA_TYPE),
            (C::TooManyRequests, StatusCode::TOO_MANY_REQUESTS),
            (C::Unavailable, StatusCode::SERVICE_UNAVAILABLE),
            (C::Internal, StatusCode::INTERNAL_SERVER_ERROR),
        ];
        assert_eq!(pinned.len(), ErrorCode::ALL.len());
        for (code, expected) in pinned {
            assert_eq!(status(code), expected, "{code}");
        }
    }
}
