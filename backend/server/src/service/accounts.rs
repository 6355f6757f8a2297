//! Accounts and sessions: creating and changing users, logging in and out, changing one's password, force
//! logout and service tokens.
//!
//! Account creation is one function, [`create_account`], shared by the API, `serve`'s first admin and the demo
//! loader, so every account passes the same checks. Passwords are hashed and checked only through the
//! instance's bounded hashers ([`crate::auth::Passwords`]): argon2 takes 19 MiB and tens of milliseconds per
//! hash by design. Logging in or out also records the agent state of call takers and dispatchers
//! ([`super::agents`]).
//!
//! # The login throttle
//!
//! One throttle guards every password check (login and password change), with two counters in the database so
//! that every instance on one PostgreSQL shares them: one per username (its lower-cased SHA-256) and one per
//! source (the client's IP address, or its IPv6 /64). An attempt is *reserved* on both counters by one atomic
//! upsert each before the password is checked; a counter that is full refuses it (429) unchecked. So of any
//! number of parallel guesses, exactly `auth.login_max_failures` are checked. A wrong password keeps its
//! reservations; a right one clears the username's counter and gives the source's back; an attempt that was
//! never checked (busy hashers, a database error) gives both back. Windows start at the first failure and last
//! `auth.login_window_secs`; an admin's password reset or re-enable clears the username's counter; rows of
//! ended windows are pruned whenever a new window starts.
//!
//! These workflows write through single store calls rather than one `ChangeSet`: a login's session, throttle
//! counters and audit entry are independent facts, and the throttle counts the attempt even when the rest fails.

use super::common;
use crate::auth::{self, Actor, HashError};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::session::SessionsRevoked;
use crate::limits::{Name, Note, ShortText};
use crate::state::AppState;
use crate::store::{AuditEntry, NewUser, StoreError, UserRow};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use siaga_core::role::Role;
use std::net::IpAddr;

/// The longest username, in bytes.
const MAX_USERNAME_BYTES: usize = 64;
/// The longest display name, in characters.
const MAX_DISPLAY_NAME_CHARS: usize = 100;

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
    /// The password was set by someone else (the first admin's, an admin's reset) and must be changed with
    /// `POST /api/v1/auth/password` before anything else: until then every other operation answers 403
    /// `password_change_required` (reading `GET /api/v1/auth/me` and logging out still work).
    pub must_change_password: bool,
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
            must_change_password: u.must_change_password,
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
    /// The user must change this password at the first login (default: false).
    #[serde(default)]
    pub must_change_password: bool,
}

/// Changes to an account.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    /// Disabling ends the user's sessions; enabling clears the login throttle of the username.
    pub active: Option<bool>,
    /// A new password, which the user must change at the next login (unless admins reset their own). It ends
    /// the user's sessions (an admin's own: the others) and clears the login throttle of the username.
    pub password: Option<String>,
}

/// A user's own password change.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
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
    /// `user.must_change_password`, repeated: the token works only for `POST /api/v1/auth/password`,
    /// `GET /api/v1/auth/me` and logout until the password is changed.
    pub must_change_password: bool,
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
    let (username, display_name) = check_new_account(state, &req).await?;
    let password_hash = state
        .passwords
        .hash(req.password)
        .await
        .map_err(hash_error)?;
    let now = state.now_ms();
    let new = NewUser {
        id: uuid::Uuid::now_v7().to_string(),
        username,
        display_name,
        role: req.role.as_str().to_owned(),
        agency_id: req.agency_id.map(String::from),
        unit_id: req.unit_id.map(String::from),
        region_code: req.region_code.map(String::from),
        team_id: req.team_id.map(String::from),
        password_hash,
        must_change_password: req.must_change_password,
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

/// Checks a new account's fields against the role's rules and the stored agencies, units, teams and regions;
/// returns the trimmed username and display name. (A username taken in another letter case is refused by the
/// database's unique index, on every instance.)
async fn check_new_account(
    state: &AppState,
    req: &CreateUserRequest,
) -> ApiResult<(String, String)> {
    let username = req.username.trim().to_owned();
    if username.is_empty()
        || username.len() > MAX_USERNAME_BYTES
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(ApiError::validation(
            "username",
            "username must be 1-64 characters of letters, digits, '.', '_' or '-'",
        ));
    }
    let display_name = req.display_name.trim().to_owned();
    if display_name.is_empty()
        || display_name.chars().count() > MAX_DISPLAY_NAME_CHARS
        || display_name.chars().any(char::is_control)
    {
        return Err(ApiError::validation(
            "display_name",
            "display_name must be 1-100 characters without control characters",
        ));
    }
    auth::check_password_strength(&req.password, &username)
        .map_err(|m| ApiError::validation("password", m))?;
    check_agency(state, req).await?;
    check_unit(state, req).await?;
    if let Some(code) = req.region_code.as_deref() {
        match state.store.get_region(code).await {
            Err(StoreError::NotFound) => {
                return Err(ApiError::validation(
                    "region_code",
                    "no such region (import its boundary first)",
                ));
            }
            other => other.map(|_| ())?,
        }
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
    Ok((username, display_name))
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

/// A refusal of the bounded hashers: busy is a 503 with `Retry-After`.
fn hash_error(e: HashError) -> ApiError {
    match e {
        HashError::Busy => ApiError::new(
            ErrorCode::Unavailable,
            "too many passwords are being checked at once; retry in a moment",
        )
        .with_retry_after(1),
        HashError::Failed(cause) => ApiError::internal(cause),
    }
}

/// Enables/disables an account or resets its password. Disabling ends its sessions; a reset ends them too (an
/// admin resetting their own keeps the current one) and must be changed at the next login; a reset or
/// re-enable clears the username's login throttle.
pub async fn update_user(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: UpdateUserRequest,
) -> ApiResult<UserView> {
    let before = state.store.get_user(id).await.map_err(not_found_user)?;
    let now = state.now_ms();
    let own = before.id == actor.user.id;
    if let Some(password) = &req.password {
        auth::check_password_strength(password, &before.username)
            .map_err(|m| ApiError::validation("password", m))?;
        let hash = state
            .passwords
            .hash(password.clone())
            .await
            .map_err(hash_error)?;
        state.store.set_password_hash(id, &hash, !own, now).await?;
        // Whoever knew the old password is signed out everywhere, websockets included (an admin resetting
        // their own keeps this session).
        let keep = own.then_some(actor.token_hash.as_str());
        let revoked = state
            .store
            .revoke_user_sessions(
                id,
                keep,
                &actor.user.id,
                now,
                "password reset",
                SessionsRevoked::row,
            )
            .await?;
        if revoked > 0 && !own {
            super::agents::record_logout(state, &before, now, Some("forced"), Some(&actor.user.id))
                .await?;
        }
        clear_throttle(state, &before.username).await?;
    }
    if let Some(active) = req.active {
        state.store.set_user_active(id, active, now).await?;
        if active {
            clear_throttle(state, &before.username).await?;
        } else {
            state
                .store
                .revoke_user_sessions(
                    id,
                    None,
                    &actor.user.id,
                    now,
                    "account disabled",
                    SessionsRevoked::row,
                )
                .await?;
        }
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

/// Changes the actor's own password after checking the current one (throttled like a login). Clears
/// `must_change_password`, ends the user's other sessions (this one stays) and is audited.
pub async fn change_password(
    state: &AppState,
    actor: &Actor,
    source: Option<IpAddr>,
    req: ChangePasswordRequest,
) -> ApiResult<UserView> {
    auth::check_password_strength(&req.new_password, &actor.user.username)
        .map_err(|m| ApiError::validation("new_password", m))?;
    if req.new_password == req.current_password {
        return Err(ApiError::validation(
            "new_password",
            "the new password must differ from the current one",
        ));
    }
    let wrong = || ApiError::validation("current_password", "the current password is wrong");
    if req.current_password.len() > auth::MAX_PASSWORD_BYTES {
        return Err(wrong());
    }
    let attempt = Attempt::reserve(state, &actor.user.username, source).await?;
    let verified = match state.store.password_hash(&actor.user.id).await {
        Ok(hash) => state
            .passwords
            .verify(req.current_password, Some(hash))
            .await
            .map_err(hash_error),
        Err(e) => Err(e.into()),
    };
    match verified {
        Ok(true) => attempt.succeeded(state).await?,
        Ok(false) => return Err(wrong()),
        Err(e) => {
            attempt.give_back(state).await;
            return Err(e);
        }
    }
    let hash = state
        .passwords
        .hash(req.new_password)
        .await
        .map_err(hash_error)?;
    let now = state.now_ms();
    let id = actor.user.id.as_str();
    state.store.set_password_hash(id, &hash, false, now).await?;
    let revoked = state
        .store
        .revoke_user_sessions(
            id,
            Some(&actor.token_hash),
            id,
            now,
            "password changed",
            SessionsRevoked::row,
        )
        .await?;
    let after = state.store.get_user(id).await?;
    state
        .store
        .append_audit(&AuditEntry {
            detail: Some(format!("{revoked} other sessions ended")),
            ..common::audit(actor, now, "user.password_change", "user", id, None, None)
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
        .revoke_user_sessions(id, None, &actor.user.id, now, &reason, SessionsRevoked::row)
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

/// Exchanges username (in any letter case) and password for a new session, through the login throttle (see
/// the module's documentation). An unknown username is checked against a dummy hash, so it costs what a known
/// one costs and answers the same.
pub async fn login(
    state: &AppState,
    source: Option<IpAddr>,
    req: LoginRequest,
) -> ApiResult<LoginView> {
    let username = req.username.trim();
    if username.is_empty() {
        return Err(ApiError::validation("username", "username is required"));
    }
    let wrong = || ApiError::new(ErrorCode::InvalidCredentials, "wrong username or password");
    // No account has a longer username or password: nothing to check, count or store.
    if username.len() > MAX_USERNAME_BYTES || req.password.len() > auth::MAX_PASSWORD_BYTES {
        return Err(wrong());
    }
    let attempt = Attempt::reserve(state, username, source).await?;
    let checked = match state
        .store
        .find_user_for_login(&username.to_ascii_lowercase())
        .await
    {
        Ok(found) => {
            let hash = found.as_ref().map(|f| f.password_hash.clone());
            match state.passwords.verify(req.password, hash).await {
                Ok(ok) => Ok(found.filter(|_| ok)),
                Err(e) => Err(hash_error(e)),
            }
        }
        Err(e) => Err(e.into()),
    };
    let found = match checked {
        Ok(Some(found)) => found,
        Ok(None) => return Err(wrong()),
        Err(e) => {
            attempt.give_back(state).await;
            return Err(e);
        }
    };
    attempt.succeeded(state).await?;
    if !found.user.active {
        return Err(ApiError::new(
            ErrorCode::AccountDisabled,
            "this account is disabled",
        ));
    }
    let now = state.now_ms();
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
        must_change_password: found.user.must_change_password,
        user: found.user.into(),
    })
}

/// One password check's reservations in the login throttle (see the module's documentation).
struct Attempt {
    user_key: String,
    source_key: Option<String>,
}

impl Attempt {
    /// Reserves an attempt for `source` (when known), then for `username`; refuses with 429 and
    /// `Retry-After` when either is full.
    async fn reserve(
        state: &AppState,
        username: &str,
        source: Option<IpAddr>,
    ) -> ApiResult<Attempt> {
        let auth = &state.config.auth;
        let now = state.now_ms();
        let window_ms =
            i64::try_from(auth.login_window_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        let expired_before = now.saturating_sub(window_ms);
        let attempt = Attempt {
            user_key: user_throttle_key(username),
            source_key: source.map(source_throttle_key),
        };
        let mut new_window = false;
        if let Some(key) = &attempt.source_key {
            match state
                .store
                .reserve_login_attempt(key, auth.login_source_max_failures, now, expired_before)
                .await?
            {
                Some(start) => new_window |= start == now,
                None => {
                    return Err(throttled(state, key, now, window_ms, "from your address").await);
                }
            }
        }
        let reserved = state
            .store
            .reserve_login_attempt(
                &attempt.user_key,
                auth.login_max_failures,
                now,
                expired_before,
            )
            .await;
        match reserved {
            Ok(Some(start)) => new_window |= start == now,
            Ok(None) => {
                attempt.give_back_source(state).await;
                return Err(
                    throttled(state, &attempt.user_key, now, window_ms, "for this user").await,
                );
            }
            Err(e) => {
                attempt.give_back_source(state).await;
                return Err(e.into());
            }
        }
        if new_window {
            state.store.prune_login_attempts(expired_before).await?;
        }
        Ok(attempt)
    }

    /// The password was right: the username's failures are forgotten and the source's attempt given back.
    async fn succeeded(self, state: &AppState) -> ApiResult<()> {
        self.give_back_source(state).await;
        Ok(state.store.clear_login_attempts(&self.user_key).await?)
    }

    /// The password was not checked: both reservations are given back. Best effort: the caller is already
    /// answering an error, and a reservation that stays only counts as one failure.
    async fn give_back(self, state: &AppState) {
        self.give_back_source(state).await;
        if let Err(e) = state.store.release_login_attempt(&self.user_key).await {
            tracing::warn!(error = %e, "could not give back a login attempt");
        }
    }

    async fn give_back_source(&self, state: &AppState) {
        if let Some(key) = &self.source_key
            && let Err(e) = state.store.release_login_attempt(key).await
        {
            tracing::warn!(error = %e, "could not give back a login attempt");
        }
    }
}

/// 429 for a full throttle key, with the seconds left in its window.
async fn throttled(state: &AppState, key: &str, now: i64, window_ms: i64, whose: &str) -> ApiError {
    let started = state
        .store
        .login_window_start(key)
        .await
        .ok()
        .flatten()
        .unwrap_or(now);
    let left_ms = started
        .saturating_add(window_ms)
        .saturating_sub(now)
        .max(1000);
    let minutes = (left_ms + 59_999) / 60_000;
    ApiError::new(
        ErrorCode::TooManyRequests,
        format!(
            "too many failed logins {whose}; wait {minutes} minute(s), or ask an admin to reset the password"
        ),
    )
    .with_retry_after(u64::try_from((left_ms + 999) / 1000).unwrap_or(1))
}

/// Forgets the failed logins of `username` (an admin's reset or re-enable unlocks the account).
async fn clear_throttle(state: &AppState, username: &str) -> ApiResult<()> {
    Ok(state
        .store
        .clear_login_attempts(&user_throttle_key(username))
        .await?)
}

/// The throttle key of a username: bounded in size whatever was typed, and the same in any letter case.
fn user_throttle_key(username: &str) -> String {
    let digest = Sha256::digest(username.trim().to_lowercase().as_bytes());
    format!("user:{}", hex::encode(digest))
}

/// The throttle key of a client address: IPv4 addresses one by one, IPv6 by /64 (what one subscriber
/// usually holds), an IPv4-mapped IPv6 address as its IPv4 address.
fn source_throttle_key(ip: IpAddr) -> String {
    let source = match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    };
    format!("source:{}", hex::encode(Sha256::digest(source.as_bytes())))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_keys_are_bounded_and_case_blind() {
        let long = "x".repeat(900_000);
        assert_eq!(user_throttle_key(&long).len(), "user:".len() + 64);
        assert_eq!(user_throttle_key("Admin"), user_throttle_key(" admin "));
        assert_ne!(user_throttle_key("admin"), user_throttle_key("admin2"));
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(source_throttle_key(a), source_throttle_key(b));
        assert_ne!(source_throttle_key(a), source_throttle_key(c));
        let v4: IpAddr = "10.1.2.3".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(source_throttle_key(v4), source_throttle_key(mapped));
    }
}
