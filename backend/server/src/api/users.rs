//! Accounts: listing, creation, enabling/disabling, password reset, force logout and service tokens. The
//! workflows are in [`crate::service::accounts`].

use super::error::ApiResult;
use super::extract::{Actor, AppJson};
use crate::service::accounts;
use crate::service::accounts::{
    CreateUserRequest, ForceLogoutRequest, ForceLogoutView, ServiceTokenView, UpdateUserRequest,
    UserView,
};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use siaga_core::role::Role;

/// Every account the caller oversees (admins and supervisors; a region-scoped supervisor sees those working
/// in its region).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), responses(
    (status = 200, body = Vec<UserView>),
    (status = 403, body = super::error::ErrorBody),
))]
pub async fn list_users(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<UserView>>> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    Ok(Json(accounts::list_users(&state, &actor).await?))
}

/// Creates an account (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    request_body = CreateUserRequest, responses(
    (status = 201, body = UserView),
    (status = 403, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody, description = "username taken"),
    (status = 422, body = super::error::ErrorBody),
))]
pub async fn create_user(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(req): AppJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    actor.require(&[Role::Admin])?;
    let user = accounts::create_account(&state, Some(&actor), req).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Enables/disables an account or resets its password (admins). Disabling also ends its sessions.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdateUserRequest, responses(
    (status = 200, body = UserView),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody),
))]
pub async fn update_user(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<UpdateUserRequest>,
) -> ApiResult<Json<UserView>> {
    actor.require(&[Role::Admin])?;
    Ok(Json(accounts::update_user(&state, &actor, &id, req).await?))
}

/// Ends every session of a user at once (supervisors and admins). A region-scoped supervisor may force out
/// only users working in its region; only admins force out admins. Audited.
#[utoipa::path(post, path = "/api/v1/users/{id}/force-logout", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ForceLogoutRequest, responses(
    (status = 200, body = ForceLogoutView),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
))]
pub async fn force_logout(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<ForceLogoutRequest>,
) -> ApiResult<Json<ForceLogoutView>> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    Ok(Json(
        accounts::force_logout(&state, &actor, &id, req).await?,
    ))
}

/// Issues a long-lived bearer token for an `integration` account (a telephony or SMS gateway), valid for
/// `auth.service_token_ttl_days`. Revoke it with force logout or by disabling the account. Admins only.
#[utoipa::path(post, path = "/api/v1/users/{id}/service-token", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 201, body = ServiceTokenView),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody, description = "not an active integration account"),
))]
pub async fn issue_service_token(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<ServiceTokenView>)> {
    actor.require(&[Role::Admin])?;
    let token = accounts::issue_service_token(&state, &actor, &id).await?;
    Ok((StatusCode::CREATED, Json(token)))
}
