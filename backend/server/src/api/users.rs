//! Accounts: listing, creation, enabling/disabling, password reset, and force logout.

use super::error::{ApiError, ApiResult};
use super::extract::{Actor, AppJson};
use crate::auth;
use crate::state::AppState;
use crate::store::{AuditEntry, NewUser, StoreError, UserRow};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use siaga_core::role::Role;

/// A user as the API shows it (never the password hash).
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub agency_id: Option<String>,
    pub unit_id: Option<String>,
    pub region_code: Option<String>,
    /// A call taker's regional team on tiered service lines (`None`: central).
    pub team_id: Option<String>,
    pub active: bool,
}

impl From<UserRow> for UserView {
    fn from(u: UserRow) -> Self {
        UserView {
            role: u.role.parse().unwrap_or(Role::CallTaker),
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            agency_id: u.agency_id,
            unit_id: u.unit_id,
            region_code: u.region_code,
            team_id: u.team_id,
            active: u.active,
        }
    }
}

/// A new account.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
    /// Required for dispatchers and responders.
    pub agency_id: Option<String>,
    /// Required for responders: the unit they crew (must belong to `agency_id`).
    pub unit_id: Option<String>,
    /// Optional region scope (Kemendagri code) for supervisors and call takers.
    pub region_code: Option<String>,
    /// A call taker's regional team on tiered service lines (one of `[[routing.lines]]`' team ids);
    /// absent for the central team.
    #[serde(default)]
    pub team_id: Option<String>,
}

/// Changes to an account.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub active: Option<bool>,
    pub password: Option<String>,
}

/// Why a user was forced out.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForceLogoutRequest {
    pub reason: Option<String>,
}

/// How many sessions were ended.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ForceLogoutView {
    pub sessions_revoked: u64,
}

/// Every account (admins and supervisors).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), responses(
    (status = 200, body = Vec<UserView>),
    (status = 403, body = super::error::ErrorBody),
))]
pub async fn list_users(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<UserView>>> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    let users = state.store.list_users(None).await?;
    Ok(Json(users.into_iter().map(UserView::from).collect()))
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
    let user = create_account(&state, Some(&actor), req).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Validates and stores a new account, with its audit entry. Shared by the API, `serve`'s first admin and
/// `demo`.
pub async fn create_account(
    state: &AppState,
    actor: Option<&Actor>,
    req: CreateUserRequest,
) -> ApiResult<UserRow> {
    let username = req.username.trim().to_owned();
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(ApiError::validation(
            "username",
            "username must be 1-64 characters of letters, digits, '.', '_' or '-'",
        ));
    }
    if req.display_name.trim().is_empty() {
        return Err(ApiError::validation(
            "display_name",
            "display_name is required",
        ));
    }
    auth::check_password_strength(&req.password)
        .map_err(|m| ApiError::validation("password", m))?;
    if req.role.requires_agency() {
        let Some(agency_id) = req.agency_id.as_deref() else {
            return Err(ApiError::validation(
                "agency_id",
                format!("a {} must belong to an agency", req.role),
            ));
        };
        match state.store.get_agency(agency_id).await {
            Err(StoreError::NotFound) => {
                return Err(ApiError::validation("agency_id", "no such agency"));
            }
            other => {
                other?;
            }
        }
    } else if req.agency_id.is_some() {
        return Err(ApiError::validation(
            "agency_id",
            format!("a {} does not belong to an agency", req.role),
        ));
    }
    match (req.role, req.unit_id.as_deref()) {
        (Role::Responder, None) => {
            return Err(ApiError::validation(
                "unit_id",
                "a responder must be linked to a unit",
            ));
        }
        (Role::Responder, Some(unit_id)) => {
            let unit = match state.store.get_unit(unit_id).await {
                Err(StoreError::NotFound) => {
                    return Err(ApiError::validation("unit_id", "no such unit"));
                }
                other => other?,
            };
            if Some(unit.agency_id.as_str()) != req.agency_id.as_deref() {
                return Err(ApiError::validation(
                    "unit_id",
                    "the unit belongs to another agency",
                ));
            }
        }
        (_, Some(_)) => {
            return Err(ApiError::validation(
                "unit_id",
                "only responders are linked to a unit",
            ));
        }
        (_, None) => {}
    }
    if let Some(team) = req.team_id.as_deref() {
        if req.role != Role::CallTaker {
            return Err(ApiError::validation(
                "team_id",
                "only call takers belong to a regional team",
            ));
        }
        if !state.config.routing.has_team(team) {
            return Err(ApiError::validation(
                "team_id",
                format!("no regional team `{team}` in [[routing.lines]]"),
            ));
        }
    }
    let password = req.password;
    let password_hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| ApiError::internal(e.into()))??;
    let now = state.now_ms();
    let new = NewUser {
        id: uuid::Uuid::now_v7().to_string(),
        username,
        display_name: req.display_name.trim().to_owned(),
        role: req.role.as_str().to_owned(),
        agency_id: req.agency_id,
        unit_id: req.unit_id,
        region_code: req.region_code,
        team_id: req.team_id,
        password_hash,
    };
    let user = state
        .store
        .create_user(&new, now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => {
                ApiError::new(super::error::ErrorCode::Conflict, "this username is taken")
                    .with_field("username")
            }
            other => other.into(),
        })?;
    state
        .store
        .append_audit(&AuditEntry {
            at: now,
            actor_id: actor.map(|a| a.user.id.clone()),
            actor_role: actor.map(|a| a.role.to_string()),
            action: "user.create".into(),
            subject_type: "user".into(),
            subject_id: Some(user.id.clone()),
            after: serde_json::to_value(&user).ok(),
            ..AuditEntry::default()
        })
        .await?;
    Ok(user)
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
    let before = state.store.get_user(&id).await.map_err(not_found_user)?;
    let now = state.now_ms();
    if let Some(password) = &req.password {
        auth::check_password_strength(password).map_err(|m| ApiError::validation("password", m))?;
        let password = password.clone();
        let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
            .await
            .map_err(|e| ApiError::internal(e.into()))??;
        state.store.set_password_hash(&id, &hash, now).await?;
    }
    if let Some(active) = req.active {
        state.store.set_user_active(&id, active, now).await?;
        if !active {
            state
                .store
                .revoke_user_sessions(&id, &actor.user.id, now, "account disabled")
                .await?;
        }
    }
    let after = state.store.get_user(&id).await?;
    state
        .store
        .append_audit(&AuditEntry {
            at: now,
            actor_id: Some(actor.user.id.clone()),
            actor_role: Some(actor.role.to_string()),
            action: "user.update".into(),
            subject_type: "user".into(),
            subject_id: Some(id.clone()),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
            detail: req.password.as_ref().map(|_| "password reset".to_owned()),
        })
        .await?;
    Ok(Json(after.into()))
}

/// Ends every session of a user at once (supervisors and admins). Audited.
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
    let target = state.store.get_user(&id).await.map_err(not_found_user)?;
    if let (Some(scope), Some(code)) = (
        actor.user.region_code.as_deref(),
        target.region_code.as_deref(),
    ) && !siaga_core::region::contains(scope, code)
    {
        return Err(ApiError::forbidden("this user is outside your region"));
    }
    let now = state.now_ms();
    let reason = req
        .reason
        .unwrap_or_else(|| "forced by supervisor".to_owned());
    let revoked = state
        .store
        .revoke_user_sessions(&id, &actor.user.id, now, &reason)
        .await?;
    state
        .store
        .append_audit(&AuditEntry {
            at: now,
            actor_id: Some(actor.user.id.clone()),
            actor_role: Some(actor.role.to_string()),
            action: "session.force_logout".into(),
            subject_type: "user".into(),
            subject_id: Some(id),
            detail: Some(format!("{reason} ({revoked} sessions)")),
            ..AuditEntry::default()
        })
        .await?;
    super::agents::record_logout(&state, &target, now, Some("forced"), Some(&actor.user.id))
        .await?;
    Ok(Json(ForceLogoutView {
        sessions_revoked: revoked,
    }))
}

fn not_found_user(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::not_found("user"),
        other => other.into(),
    }
}

/// A new service token, shown once.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ServiceTokenView {
    /// The bearer token; only its hash is stored, so it cannot be shown again.
    pub token: String,
    pub expires_at: i64,
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
    let target = state.store.get_user(&id).await.map_err(not_found_user)?;
    if target.role != Role::Integration.as_str() || !target.active {
        return Err(ApiError::validation(
            "id",
            "service tokens are for active integration accounts only",
        ));
    }
    let now = state.now_ms();
    let ttl_ms = i64::try_from(state.config.auth.service_token_ttl_days)
        .unwrap_or(i64::MAX / 86_400_000)
        .saturating_mul(86_400_000);
    let expires_at = now.saturating_add(ttl_ms);
    let token = auth::new_token();
    state
        .store
        .create_session(&auth::token_hash(&token), &id, now, expires_at)
        .await?;
    state
        .store
        .append_audit(&AuditEntry {
            at: now,
            actor_id: Some(actor.user.id.clone()),
            actor_role: Some(actor.role.to_string()),
            action: "session.service_token".into(),
            subject_type: "user".into(),
            subject_id: Some(id),
            detail: Some(format!("expires at {expires_at}")),
            ..AuditEntry::default()
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ServiceTokenView { token, expires_at }),
    ))
}
