//! The HTTP rendering of [`ApiError`]: the error body and the cause handed to the logging middleware.
//!
//! Bodies are `{ "error": { "code", "message", "field"?, "allowed"? } }`; the status comes from
//! [`ErrorCode::status`], the one table that decides it (`crate::error`).

pub use crate::error::{ApiError, ApiResult, ErrorCode};
use axum::Json;
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.code.status();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
                allowed: self.allowed,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(source) = self.source {
            response
                .extensions_mut()
                .insert(LoggedCause(Arc::new(source)));
        }
        response
    }
}
