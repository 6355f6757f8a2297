//! Tiered service lines and follow-up call tasks over HTTP. The workflows are `service::routing` (routing a
//! call, taking an offered call; the fallback to central is the `jobs::routing_fallback` job) and
//! `service::follow_ups`; these handlers parse, authorise the role and serialise.

use super::error::ApiResult;
use super::extract::{Actor, AppJson, AppQuery};
use crate::service::calls::CallView;
use crate::service::follow_ups::{self, FollowUpQuery, FollowUpView, OutcomeRequest};
use crate::service::routing::{self, RouteRequest, ServiceLineView};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use siaga_core::role::Role;

/// Roles that work the follow-up list.
const FOLLOW_UP_ROLES: &[Role] = &[Role::CallTaker, Role::Supervisor];

/// The service lines this deployment answers, as configured (`112`, tiered lines, follow-up programmes):
/// admins and supervisors. Read-only; lines are configured in `siaga.toml`.
#[utoipa::path(get, path = "/api/v1/service-lines", tag = "calls", security(("bearer" = [])), responses(
    (status = 200, body = Vec<ServiceLineView>),
    (status = 403, body = super::error::ErrorBody),
))]
pub async fn list_service_lines(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<ServiceLineView>>> {
    actor.require(&[Role::Admin, Role::Supervisor])?;
    Ok(Json(routing::service_lines(&state)))
}

/// Routes a call by the caller's locus (a tiered line only): offered to the regional team serving it, or kept
/// central. A call already taken by a regional team, or ended, cannot be routed again.
#[utoipa::path(post, path = "/api/v1/calls/{id}/route", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RouteRequest, responses(
    (status = 200, body = CallView),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody, description = "ended, or already taken by a regional team"),
    (status = 422, body = super::error::ErrorBody),
))]
pub async fn route_call(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<RouteRequest>,
) -> ApiResult<Json<CallView>> {
    actor.require(&[Role::CallTaker, Role::Supervisor])?;
    Ok(Json(routing::route(&state, &actor, &id, req).await?))
}

/// A member of the regional team takes a call offered to it (before the fallback); a ringing call is answered
/// by taking it.
#[utoipa::path(post, path = "/api/v1/calls/{id}/take", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, body = CallView),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody, description = "not offered to this team, or fallen back"),
))]
pub async fn take_call(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<CallView>> {
    actor.require(&[Role::CallTaker])?;
    Ok(Json(routing::take(&state, &actor, &id).await?))
}

/// Schedules the follow-up programme of the call's line (one task per configured day offset, counted from
/// the call's first ring). A call is enrolled once.
#[utoipa::path(post, path = "/api/v1/calls/{id}/follow-ups", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 201, body = Vec<FollowUpView>),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody, description = "already scheduled, or the call was never answered"),
    (status = 422, body = super::error::ErrorBody, description = "the line has no follow-up programme"),
))]
pub async fn schedule_follow_ups(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Vec<FollowUpView>>)> {
    actor.require(FOLLOW_UP_ROLES)?;
    let tasks = follow_ups::schedule(&state, &actor, &id).await?;
    Ok((StatusCode::CREATED, Json(tasks)))
}

/// The outbound team's follow-up tasks, soonest due first. Reading them is audited (they carry numbers).
#[utoipa::path(get, path = "/api/v1/follow-ups", tag = "calls", security(("bearer" = [])),
    params(FollowUpQuery), responses(
    (status = 200, body = Vec<FollowUpView>),
    (status = 403, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody),
))]
pub async fn list_follow_ups(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<FollowUpQuery>,
) -> ApiResult<Json<Vec<FollowUpView>>> {
    actor.require(&[Role::CallTaker, Role::Supervisor, Role::Admin])?;
    Ok(Json(follow_ups::list(&state, &actor, q).await?))
}

/// Records the outcome of a follow-up call. `refused`, `wrong_number` and `completed` end the series: the
/// remaining tasks of the call are cancelled.
#[utoipa::path(post, path = "/api/v1/follow-ups/{id}/outcome", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = OutcomeRequest, responses(
    (status = 200, body = FollowUpView),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody, description = "already recorded or cancelled"),
    (status = 422, body = super::error::ErrorBody),
))]
pub async fn record_follow_up_outcome(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<OutcomeRequest>,
) -> ApiResult<Json<FollowUpView>> {
    actor.require(FOLLOW_UP_ROLES)?;
    Ok(Json(
        follow_ups::record_outcome(&state, &actor, &id, req).await?,
    ))
}
