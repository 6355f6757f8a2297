//! Login, logout and "who am I".

use super::error::{ApiError, ApiResult, ErrorCode};
use super::extract::{Actor, AppJson};
use super::users::UserView;
use crate::auth;
use crate::state::AppState;
use crate::store::AuditEntry;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

/// Failed logins for one username within [`THROTTLE_WINDOW_MS`] before further attempts are refused.
const MAX_FAILURES: i64 = 5;
/// The window over which failures count: 15 minutes.
const THROTTLE_WINDOW_MS: i64 = 15 * 60 * 1000;

/// Credentials.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// A new session.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginView {
    /// Bearer token for `Authorization: Bearer …`; shown only here.
    pub token: String,
    /// When the token stops working (ms since the epoch).
    pub expires_at: i64,
    pub user: UserView,
}

/// Exchanges username and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = LoginView),
    (status = 401, body = super::error::ErrorBody, description = "wrong username or password"),
    (status = 403, body = super::error::ErrorBody, description = "account disabled"),
    (status = 429, body = super::error::ErrorBody, description = "too many failed attempts"),
))]
pub async fn login(
    State(state): State<AppState>,
    AppJson(req): AppJson<LoginRequest>,
) -> ApiResult<Json<LoginView>> {
    let now = state.now_ms();
    let username = req.username.trim().to_owned();
    if username.is_empty() {
        return Err(ApiError::validation("username", "username is required"));
    }
    if state
        .store
        .recent_login_failures(&username, now - THROTTLE_WINDOW_MS)
        .await?
        >= MAX_FAILURES
    {
        return Err(ApiError::new(
            ErrorCode::TooManyRequests,
            "too many failed logins for this user; wait 15 minutes or ask an admin",
        ));
    }
    let found = state.store.find_user_for_login(&username).await?;
    // Hashing runs on the blocking pool: argon2 takes tens of milliseconds of CPU by design.
    let password = req.password;
    let ok = match &found {
        Some(u) => {
            let hash = u.password_hash.clone();
            tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
                .await
                .map_err(|e| ApiError::internal(e.into()))?
        }
        None => false,
    };
    state.store.record_login_attempt(&username, now, ok).await?;
    let Some(found) = found.filter(|_| ok) else {
        return Err(ApiError::new(
            ErrorCode::InvalidCredentials,
            "wrong username or password",
        ));
    };
    if !found.user.active {
        return Err(ApiError::new(
            ErrorCode::AccountDisabled,
            "this account is disabled",
        ));
    }
    let token = auth::new_token();
    let expires_at = now + (state.config.auth.token_ttl_secs as i64) * 1000;
    state
        .store
        .create_session(&auth::token_hash(&token), &found.user.id, now, expires_at)
        .await?;
    state
        .store
        .append_audit(&AuditEntry {
            at: now,
            actor_id: Some(found.user.id.clone()),
            actor_role: Some(found.user.role.clone()),
            action: "session.login".into(),
            subject_type: "user".into(),
            subject_id: Some(found.user.id.clone()),
            ..AuditEntry::default()
        })
        .await?;
    super::agents::record_login(&state, &found.user, now).await?;
    Ok(Json(LoginView {
        token,
        expires_at,
        user: found.user.into(),
    }))
}

/// Ends the caller's session; the token stops working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "logged out"),
    (status = 401, body = super::error::ErrorBody),
))]
pub async fn logout(State(state): State<AppState>, actor: Actor) -> ApiResult<StatusCode> {
    let now = state.now_ms();
    state
        .store
        .revoke_session(&actor.token_hash, now, "logout")
        .await?;
    state
        .store
        .append_audit(&AuditEntry {
            at: now,
            actor_id: Some(actor.user.id.clone()),
            actor_role: Some(actor.role.to_string()),
            action: "session.logout".into(),
            subject_type: "user".into(),
            subject_id: Some(actor.user.id.clone()),
            ..AuditEntry::default()
        })
        .await?;
    super::agents::record_logout(&state, &actor.user, now, None, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, body = UserView),
    (status = 401, body = super::error::ErrorBody),
))]
pub async fn me(actor: Actor) -> Json<UserView> {
    Json(actor.user.into())
}
