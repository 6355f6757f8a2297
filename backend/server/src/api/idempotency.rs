//! `Idempotency-Key`: a retried mutating request (same user, same key) gets the first response again instead of
//! doing the work twice — a responder's phone on a bad network never doubles an assignment or an incident.
//!
//! The first request claims the key with an insert (a unique key, so concurrent retries race in the database,
//! on any instance) and stores its response; a retry with the same key and the same body replays it; the same
//! key with another body is refused (422); a retry while the first is still running gets 409. Server errors
//! (5xx) release the key so the client can simply try again.

use super::error::{ApiError, ErrorCode};
use super::extract::authenticate;
use crate::app::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Header carrying the client's key.
pub const HEADER: &str = "idempotency-key";

/// Middleware applying the rules above to POST, PUT, PATCH and DELETE requests that carry the header.
pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mutating = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let key = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Position fixes are idempotent by themselves (a repeated fix is acknowledged again and stored once, see
    // `live::position`); a stored key would cost two database writes per fix and halve the intake.
    let path = req.uri().path();
    let self_idempotent = path.starts_with("/api/v1/units/") && path.ends_with("/position");
    let (Some(key), true, false) = (key, mutating, self_idempotent) else {
        return next.run(req).await;
    };
    if key.is_empty() || key.len() > 200 {
        return ApiError::new(
            ErrorCode::BadRequest,
            "Idempotency-Key must be 1-200 characters",
        )
        .with_field("Idempotency-Key")
        .into_response();
    }
    let token = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(_, t)| t.trim().to_owned());
    // Unauthenticated requests fall through: the handler answers 401 and nothing is stored.
    let Some(actor) = (match token {
        Some(t) => authenticate(&state, &t).await.ok(),
        None => None,
    }) else {
        return next.run(req).await;
    };
    let user_id = actor.user.id;
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, state.config.max_body_bytes).await else {
        return ApiError::new(ErrorCode::PayloadTooLarge, "request body is too large")
            .into_response();
    };
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update(b"\n");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let request_hash = hex::encode(hasher.finalize());
    let now = state.now_ms();

    let claimed = match state
        .store
        .claim_idempotency_key(&user_id, &key, &method, &path, &request_hash, now)
        .await
        .map_err(ApiError::from)
    {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    if !claimed {
        return match state
            .store
            .idempotent_response(&user_id, &key)
            .await
            .map_err(ApiError::from)
        {
            Ok(Some((hash, _, _))) if hash != request_hash => ApiError::new(
                ErrorCode::IdempotencyKeyReused,
                "this Idempotency-Key was used for a different request",
            )
            .with_field("Idempotency-Key")
            .into_response(),
            Ok(Some((_, Some(status), Some(body)))) => replay(status, body),
            Ok(_) => ApiError::new(
                ErrorCode::Conflict,
                "a request with this Idempotency-Key is still being processed",
            )
            .into_response(),
            Err(e) => e.into_response(),
        };
    }

    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = response.status();
    if status.is_server_error() {
        let _ = state.store.release_idempotency_key(&user_id, &key).await;
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body).into_owned();
    if let Err(e) = state
        .store
        .finish_idempotency_key(&user_id, &key, status.as_u16(), &text)
        .await
    {
        tracing::error!(error = ?e, "storing an idempotent response failed");
    }
    Response::from_parts(parts, Body::from(body))
}

fn replay(status: i64, body: String) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut resp = (status, Bytes::from(body)).into_response();
    resp.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    resp
}
