//! Calls: arrival (with Advanced Mobile Location), answer, classification, end. The workflows are
//! `service::calls`; these handlers parse, authorise the role and serialise.

use super::error::ApiResult;
use super::extract::{Actor, AppJson, AppQuery};
use crate::service::calls::{
    self, AmlRequest, CallQuery, CallView, ClassifyRequest, CreateCallRequest,
};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use siaga_core::role::Role;

/// Roles that change a call on the line itself (a telephony/SMS gateway with an `integration` token too).
const LINE_ROLES: &[Role] = &[Role::CallTaker, Role::Admin, Role::Integration];

/// Registers an arriving call (call takers, or a telephony/SMS gateway with an `integration` service token).
/// Starts the answer SLA clock, flags repeat prank callers and routes tiered lines.
#[utoipa::path(post, path = "/api/v1/calls", tag = "calls", security(("bearer" = [])),
    request_body = CreateCallRequest, responses(
    (status = 201, body = CallView),
    (status = 403, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody),
))]
pub async fn create_call(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(req): AppJson<CreateCallRequest>,
) -> ApiResult<(StatusCode, Json<CallView>)> {
    actor.require(LINE_ROLES)?;
    let call = calls::register(&state, &actor, req).await?;
    Ok((StatusCode::CREATED, Json(call)))
}

/// Recent calls in the caller's scope, newest first (the call takers' queue with `status=ringing`). Each call
/// listed is an audited read of its caller's number.
#[utoipa::path(get, path = "/api/v1/calls", tag = "calls", security(("bearer" = [])),
    params(CallQuery), responses((status = 200, body = Vec<CallView>), (status = 403, body = super::error::ErrorBody)))]
pub async fn list_calls(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<CallQuery>,
) -> ApiResult<Json<Vec<CallView>>> {
    // The service checks the role and the scope, and audits each call listed.
    Ok(Json(calls::list(&state, &actor, q).await?))
}

/// One call in the caller's scope (its region; a gateway's own calls). Reading it is audited (the caller's
/// number is personal data).
#[utoipa::path(get, path = "/api/v1/calls/{id}", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = CallView), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_call(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<CallView>> {
    // The service checks the role: an idempotent replay reads a call through it too.
    Ok(Json(calls::get(&state, &actor, &id).await?))
}

/// A call taker picks the call up; stops the answer clock.
#[utoipa::path(post, path = "/api/v1/calls/{id}/answer", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = CallView), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn answer_call(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<CallView>> {
    actor.require(&[Role::CallTaker])?;
    Ok(Json(calls::answer(&state, &actor, &id).await?))
}

/// Sets the call's class. `abandoned` is set by the system only.
#[utoipa::path(post, path = "/api/v1/calls/{id}/classify", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ClassifyRequest,
    responses((status = 200, body = CallView), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn classify_call(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<ClassifyRequest>,
) -> ApiResult<Json<CallView>> {
    actor.require(&[Role::CallTaker])?;
    Ok(Json(calls::classify(&state, &actor, &id, req).await?))
}

/// The line closes: an answered call ends; a ringing one is abandoned.
#[utoipa::path(post, path = "/api/v1/calls/{id}/end", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = CallView), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn end_call(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<CallView>> {
    actor.require(LINE_ROLES)?;
    Ok(Json(calls::end(&state, &actor, &id).await?))
}

/// Attaches an AML payload that arrived after the call was created, until the call is classified or linked to
/// an incident (then 409 naming `aml`). A gateway may touch only the calls it registered.
#[utoipa::path(post, path = "/api/v1/calls/{id}/aml", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AmlRequest,
    responses((status = 200, body = CallView), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn attach_aml(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<AmlRequest>,
) -> ApiResult<Json<CallView>> {
    actor.require(LINE_ROLES)?;
    Ok(Json(calls::attach_aml(&state, &actor, &id, req).await?))
}
