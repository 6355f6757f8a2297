//! Accounts and sessions: creating and changing users, logging in and out, force logout and service tokens.
//!
//! Account creation is one function, [`create_account`], shared by the API, `serve`'s first admin and the demo
//! loader, so every account passes the same checks. Passwords are hashed on the blocking pool: argon2 takes
//! tens of milliseconds of CPU by design. Logging in or out also records the agent state of call takers and
//! dispatchers ([`super::agents`]).
//!
//! These workflows write through single store calls rather than one `ChangeSet`: a login's session, attempt
//! record and audit entry are independent facts, and the throttle counts the attempt even when the rest fails.

use super::common;
use crate::auth::{self, Actor};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::session::SessionsRevoked;
use crate::limits::{Name, Note, ShortText};
use crate::state::AppState;
use crate::store::{AuditEntry, NewUser, StoreError, UserRow};
use serde::{Deserialize, Serialize};
use siaga_core::role::Role;

/// Failed logins for one username within [`THROTTLE_WINDOW_MS`] before further attempts are refused.
const MAX_FAILURES: i64 = 5;
/// The window over which failures count: 15 minutes.
const THROTTLE_WINDOW_MS: i64 = 15 * 60 * 1000;

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
    pub username: ShortText,
    pub display_name: Name,
    pub role: Role,
    pub password: String,
    /// Required for dispatchers and responders.
    pub agency_id: Option<ShortText>,
    /// Required for responders: the unit they crew (must belong to `agency_id`).
    pub unit_id: Option<ShortText>,
    /// Optional region scope (Kemendagri code) for supervisors and call takers.
    pub region_code: Option<ShortText>,
    /// A call taker's regional team on tiered service lines (one of `[[routing.lines]]`' team ids);
    /// absent for the central team.
    #[serde(default)]
    pub team_id: Option<ShortText>,
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
    pub reason: Option<Note>,
}

/// How many sessions were ended.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ForceLogoutView {
    pub sessions_revoked: u64,
}

/// A new service token, shown once.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ServiceTokenView {
    /// The bearer token; only its hash is stored, so it cannot be shown again.
    pub token: String,
    pub expires_at: i64,
}

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

/// Every account the actor oversees: all for an admin or a supervisor of the whole centre; for a
/// region-scoped supervisor those working inside its region (`siaga_core::scope::person_within`).
pub async fn list_users(state: &AppState, actor: &Actor) -> ApiResult<Vec<UserView>> {
    let users = state.store.list_users(None, actor.scope().region()).await?;
    Ok(users.into_iter().map(UserView::from).collect())
}

/// Validates and stores a new account, with its audit entry. `actor` is `None` for the first admin and the
/// demo users, which no one creates.
pub async fn create_account(
    state: &AppState,
    actor: Option<&Actor>,
    req: CreateUserRequest,
) -> ApiResult<UserRow> {
    let username = check_new_account(state, &req).await?;
    let password_hash = hash_off_thread(req.password).await?;
    let now = state.now_ms();
    let new = NewUser {
        id: uuid::Uuid::now_v7().to_string(),
        username,
        display_name: req.display_name.trim().to_owned(),
        role: req.role.as_str().to_owned(),
        agency_id: req.agency_id.map(String::from),
        unit_id: req.unit_id.map(String::from),
        region_code: req.region_code.map(String::from),
        team_id: req.team_id.map(String::from),
        password_hash,
    };
    let user = state
        .store
        .create_user(&new, now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => {
                ApiError::new(ErrorCode::Conflict, "this username is taken").with_field("username")
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

/// Checks a new account's fields against the role's rules and the stored agencies, units and teams; returns
/// the trimmed username.
async fn check_new_account(state: &AppState, req: &CreateUserRequest) -> ApiResult<String> {
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
    check_agency(state, req).await?;
    check_unit(state, req).await?;
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
    Ok(username)
}

/// Dispatchers and responders belong to an existing agency; other roles to none.
async fn check_agency(state: &AppState, req: &CreateUserRequest) -> ApiResult<()> {
    if !req.role.requires_agency() {
        return match req.agency_id {
            Some(_) => Err(ApiError::validation(
                "agency_id",
                format!("a {} does not belong to an agency", req.role),
            )),
            None => Ok(()),
        };
    }
    let Some(agency_id) = req.agency_id.as_deref() else {
        return Err(ApiError::validation(
            "agency_id",
            format!("a {} must belong to an agency", req.role),
        ));
    };
    match state.store.get_agency(agency_id).await {
        Err(StoreError::NotFound) => Err(ApiError::validation("agency_id", "no such agency")),
        other => other.map(|_| ()).map_err(Into::into),
    }
}

/// Responders crew an existing unit of their own agency; other roles crew none.
async fn check_unit(state: &AppState, req: &CreateUserRequest) -> ApiResult<()> {
    match (req.role, req.unit_id.as_deref()) {
        (Role::Responder, None) => Err(ApiError::validation(
            "unit_id",
            "a responder must be linked to a unit",
        )),
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
            Ok(())
        }
        (_, Some(_)) => Err(ApiError::validation(
            "unit_id",
            "only responders are linked to a unit",
        )),
        (_, None) => Ok(()),
    }
}

/// Hashes a password on the blocking pool.
async fn hash_off_thread(password: String) -> ApiResult<String> {
    Ok(
        tokio::task::spawn_blocking(move || auth::hash_password(&password))
            .await
            .map_err(|e| ApiError::internal(e.into()))??,
    )
}

/// Enables/disables an account or resets its password. Disabling or a reset also ends its sessions.
pub async fn update_user(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: UpdateUserRequest,
) -> ApiResult<UserView> {
    let before = state.store.get_user(id).await.map_err(not_found_user)?;
    let now = state.now_ms();
    let mut signed_out = None;
    if let Some(password) = &req.password {
        auth::check_password_strength(password).map_err(|m| ApiError::validation("password", m))?;
        let hash = hash_off_thread(password.clone()).await?;
        state.store.set_password_hash(id, &hash, now).await?;
        signed_out = Some("password reset");
    }
    if let Some(active) = req.active {
        state.store.set_user_active(id, active, now).await?;
        if !active {
            signed_out = Some("account disabled");
        }
    }
    // Whoever is disabled, or knew the old password, is signed out everywhere, websockets included.
    if let Some(reason) = signed_out {
        state
            .store
            .revoke_user_sessions(id, &actor.user.id, now, reason, SessionsRevoked::row)
            .await?;
    }
    let after = state.store.get_user(id).await?;
    state
        .store
        .append_audit(&AuditEntry {
            detail: req.password.as_ref().map(|_| "password reset".to_owned()),
            ..common::audit(
                actor,
                now,
                "user.update",
                "user",
                id,
                serde_json::to_value(&before).ok(),
                serde_json::to_value(&after).ok(),
            )
        })
        .await?;
    Ok(after.into())
}

/// Ends every session of a user at once, within the actor's region scope, and records the agent's forced
/// logout.
pub async fn force_logout(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: ForceLogoutRequest,
) -> ApiResult<ForceLogoutView> {
    let target = state.store.get_user(id).await.map_err(not_found_user)?;
    let region = state.store.user_region(id).await.map_err(not_found_user)?;
    let role: Role = common::parse_stored(&target.role)?;
    if !actor.scope().covers_person(role, region.as_deref()) {
        return Err(ApiError::forbidden(if role == Role::Admin {
            "only an admin may force an admin out"
        } else {
            "this user works outside your region"
        }));
    }
    let now = state.now_ms();
    let reason = req
        .reason
        .map_or_else(|| "forced by supervisor".to_owned(), String::from);
    let revoked = state
        .store
        .revoke_user_sessions(id, &actor.user.id, now, &reason, SessionsRevoked::row)
        .await?;
    state
        .store
        .append_audit(&AuditEntry {
            detail: Some(format!("{reason} ({revoked} sessions)")),
            ..common::audit(actor, now, "session.force_logout", "user", id, None, None)
        })
        .await?;
    super::agents::record_logout(state, &target, now, Some("forced"), Some(&actor.user.id)).await?;
    Ok(ForceLogoutView {
        sessions_revoked: revoked,
    })
}

fn not_found_user(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::not_found("user"),
        other => other.into(),
    }
}

/// Issues a long-lived bearer token for an active `integration` account, valid for
/// `auth.service_token_ttl_days`.
pub async fn issue_service_token(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> ApiResult<ServiceTokenView> {
    let target = state.store.get_user(id).await.map_err(not_found_user)?;
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
        .create_session(&auth::token_hash(&token), id, now, expires_at)
        .await?;
    state
        .store
        .append_audit(&AuditEntry {
            detail: Some(format!("expires at {expires_at}")),
            ..common::audit(actor, now, "session.service_token", "user", id, None, None)
        })
        .await?;
    Ok(ServiceTokenView { token, expires_at })
}

/// Exchanges username and password for a new session. After [`MAX_FAILURES`] failures within the throttle
/// window, the username is refused until the window passes; every attempt is recorded.
pub async fn login(state: &AppState, req: LoginRequest) -> ApiResult<LoginView> {
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
    super::agents::record_login(state, &found.user, now).await?;
    Ok(LoginView {
        token,
        expires_at,
        user: found.user.into(),
    })
}

/// Ends the actor's session (the token stops working at once) and records the agent's logout.
pub async fn logout(state: &AppState, actor: &Actor) -> ApiResult<()> {
    let now = state.now_ms();
    state
        .store
        .revoke_session(&actor.token_hash, now, "logout", SessionsRevoked::row)
        .await?;
    state
        .store
        .append_audit(&common::audit(
            actor,
            now,
            "session.logout",
            "user",
            &actor.user.id,
            None,
            None,
        ))
        .await?;
    super::agents::record_logout(state, &actor.user, now, None, None).await
}
