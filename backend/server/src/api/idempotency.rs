//! `Idempotency-Key`: a retried mutating request (same user, same key) gets the first response again instead of
//! doing the work twice — a responder's phone on a bad network never doubles an assignment or an incident.
//!
//! The key is claimed in the transaction of the change the request makes (see `store::idempotency`), so it
//! is durable exactly when the change is: a request cut off by a crash or a timeout before its commit left
//! nothing, and its retry runs afresh; one cut off after its commit but before its response was stored is
//! answered with the changed subject's current state (201 when the request created it, 200 otherwise). The
//! response of a committed change is written behind, many per commit, so the request costs one commit (see
//! `store::idempotency` for why that is safe); until it is written, this instance answers from its queue. A
//! retry with the same key and body replays the stored response; the same key with another body is refused
//! (422); a concurrent duplicate is answered from the first request's result (409 when there is none to show
//! yet). A server error (5xx) with nothing committed stores nothing, so the client can simply try again.

use super::error::{ApiError, ErrorCode};
use super::extract::{Actor, authenticate};
use crate::state::AppState;
use crate::store::{ClaimState, PENDING_KEY, PendingKey, StoredKey};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

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
    // Position fixes, single or in batches, are idempotent by themselves (a repeated fix is acknowledged again
    // or refused as out of order, and stored once, see `live::position`); a stored key would cost two database
    // writes per request and halve the intake.
    let path = req.uri().path();
    let self_idempotent = (path.starts_with("/api/v1/units/") && path.ends_with("/position"))
        || path == "/api/v1/positions";
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
        .map(|(_, t)| t.trim().to_owned())
        .or_else(|| {
            super::security::cookie_token(req.headers(), req.method())
                .ok()
                .flatten()
        });
    // Unauthenticated requests fall through: the handler answers 401 and nothing is stored.
    let Some(actor) = (match token {
        Some(t) => authenticate(&state, &t).await.ok(),
        None => None,
    }) else {
        return next.run(req).await;
    };
    let user_id = actor.user.id.clone();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let (mut parts, body) = req.into_parts();
    parts.extensions.insert(actor.clone());
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

    let stored = match state.store.idempotent_key(&user_id, &key).await {
        Ok(stored) => stored,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if let Some(stored) = stored {
        return answer_retry(&state, actor, &path, &request_hash, stored).await;
    }

    // Run the request with the key pending: its first committed change claims it (store::idempotency).
    let pending = Arc::new(PendingKey {
        user_id: user_id.clone(),
        key: key.clone(),
        method: method.clone(),
        path: path.clone(),
        request_hash: request_hash.clone(),
        now,
        state: Mutex::new(ClaimState::Unclaimed),
    });
    let response = PENDING_KEY
        .scope(
            Arc::clone(&pending),
            next.run(Request::from_parts(parts, Body::from(bytes))),
        )
        .await;
    let status = response.status();
    let claim = pending.state();
    if claim == ClaimState::TakenByAnother {
        // A concurrent request with the same key committed first; this one's change was rolled back.
        return retry_of_running(&state, actor, &user_id, &key, &path, &request_hash).await;
    }
    // A server error with nothing committed stores nothing, so the client can simply try again. After a
    // committed change the claim stays (without a response): a retry gets the subject's state.
    if status.is_server_error() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body).into_owned();
    let stored = match claim {
        // The change and its claim are durable; the response goes to the batched write-behind queue, so the
        // request costs one commit (see `store::idempotency`).
        ClaimState::Committed => state
            .store
            .queue_idempotent_reply(&user_id, &key, status.as_u16(), &text)
            .await
            .map(|()| true),
        _ => {
            state
                .store
                .store_idempotent_response(
                    &user_id,
                    &key,
                    &method,
                    &path,
                    &request_hash,
                    now,
                    status.as_u16(),
                    &text,
                )
                .await
        }
    };
    match stored {
        Ok(true) => {}
        // Nothing committed here, and another request with the key finished meanwhile: answer as it did.
        Ok(false) => {
            return retry_of_running(&state, actor, &user_id, &key, &path, &request_hash).await;
        }
        Err(e) => tracing::error!(error = ?e, "storing an idempotent response failed"),
    }
    Response::from_parts(parts, Body::from(body))
}

/// Answers a request whose key another request holds, re-reading what that one stored.
async fn retry_of_running(
    state: &AppState,
    actor: Actor,
    user_id: &str,
    key: &str,
    path: &str,
    request_hash: &str,
) -> Response {
    match state.store.idempotent_key(user_id, key).await {
        Ok(Some(stored)) => answer_retry(state, actor, path, request_hash, stored).await,
        Ok(None) => in_progress(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Answers a retry of a stored key: 422 for another body, the stored response, or — when the change was
/// committed but its response never stored (the server died in between) — the changed subject as it is now.
async fn answer_retry(
    state: &AppState,
    actor: Actor,
    path: &str,
    request_hash: &str,
    stored: StoredKey,
) -> Response {
    if stored.request_hash != request_hash {
        return ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used for a different request",
        )
        .with_field("Idempotency-Key")
        .into_response();
    }
    if let Some((status, body)) = stored.response {
        return replay(status, body);
    }
    let Some((subject_type, subject_id)) = stored.subject else {
        return in_progress();
    };
    let current = match subject_type.as_str() {
        "incident" => crate::service::incidents::get(state, &actor, &subject_id)
            .await
            .map(axum::Json)
            .into_response(),
        "assignment" => crate::service::assignments::get(state, &actor, &subject_id)
            .await
            .map(|a| axum::Json(crate::service::incidents::AssignmentView::from(a)))
            .into_response(),
        "call" => crate::service::calls::get(state, &actor, &subject_id)
            .await
            .map(axum::Json)
            .into_response(),
        crate::service::timeline::SUBJECT => {
            crate::service::timeline::get(state, &actor, &subject_id)
                .await
                .map(axum::Json)
                .into_response()
        }
        _ => return in_progress(),
    };
    if !current.status().is_success() {
        return current;
    }
    // The subject's id in the request path means the request changed it; otherwise it created it.
    let created = !path.split('/').any(|segment| segment == subject_id);
    let (mut parts, body) = current.into_parts();
    if created {
        parts.status = StatusCode::CREATED;
    }
    parts
        .headers
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    Response::from_parts(parts, body)
}

fn in_progress() -> Response {
    ApiError::new(
        ErrorCode::Conflict,
        "a request with this Idempotency-Key is still being processed",
    )
    .into_response()
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
