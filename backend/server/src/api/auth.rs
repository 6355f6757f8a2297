//! Login, logout and "who am I". The workflows are in [`crate::service::accounts`].

use super::error::ApiResult;
use super::extract::{Actor, AppJson};
use crate::service::accounts;
use crate::service::accounts::UserView;
pub use crate::service::accounts::{LoginRequest, LoginView};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

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
    Ok(Json(accounts::login(&state, req).await?))
}

/// Ends the caller's session; the token stops working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "logged out"),
    (status = 401, body = super::error::ErrorBody),
))]
pub async fn logout(State(state): State<AppState>, actor: Actor) -> ApiResult<StatusCode> {
    accounts::logout(&state, &actor).await?;
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
