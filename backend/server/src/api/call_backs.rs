//! Callers and call-backs: the caller history by number, and the call-back work list (`service::callers`,
//! `service::call_backs`). These handlers parse and serialise; the services check roles and scope.

use super::error::ApiResult;
use super::extract::{Actor, AppJson, AppQuery};
use crate::service::call_backs::{
    self, CallBackOutcomeRequest, CallBackQuery, CallBackRequest, CallBackView,
};
use crate::service::callers::{self, CallerHistoryView};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// A caller's history by number (any spelling; normalised to E.164): earlier calls with class and time,
/// linked incidents, the prank flag with the calls that make it, open call-back tasks. Call takers and
/// supervisors, scoped as calls; an audited personal-data read.
#[utoipa::path(get, path = "/api/v1/callers/{ani}", tag = "calls", security(("bearer" = [])),
    params(("ani" = String, Path, description = "caller number, e.g. +6281234567890 or 0812-3456-7890")),
    responses((status = 200, body = CallerHistoryView), (status = 403, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
pub async fn caller_history(
    State(state): State<AppState>,
    actor: Actor,
    Path(ani): Path<String>,
) -> ApiResult<Json<CallerHistoryView>> {
    Ok(Json(callers::history(&state, &actor, &ani).await?))
}

/// The call-back work list in the caller's scope: open tasks soonest due first (`overdue` marks those past
/// due). Reading it is audited.
#[utoipa::path(get, path = "/api/v1/call-backs", tag = "calls", security(("bearer" = [])),
    params(CallBackQuery), responses((status = 200, body = Vec<CallBackView>),
        (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn list_call_backs(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<CallBackQuery>,
) -> ApiResult<Json<Vec<CallBackView>>> {
    Ok(Json(call_backs::list(&state, &actor, q).await?))
}

/// "Call back to confirm": a task for a call (call takers, supervisors) or an incident's first call (also
/// the dispatcher of an OPD taking part).
#[utoipa::path(post, path = "/api/v1/call-backs", tag = "calls", security(("bearer" = [])),
    request_body = CallBackRequest, responses((status = 201, body = CallBackView),
        (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn request_call_back(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(req): AppJson<CallBackRequest>,
) -> ApiResult<(StatusCode, Json<CallBackView>)> {
    let task = call_backs::request(&state, &actor, req).await?;
    Ok((StatusCode::CREATED, Json(task)))
}

/// A call taker takes an open call-back nobody else holds (409 if someone does).
#[utoipa::path(post, path = "/api/v1/call-backs/{id}/claim", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = CallBackView),
        (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody),
        (status = 409, body = super::error::ErrorBody)))]
pub async fn claim_call_back(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<CallBackView>> {
    Ok(Json(call_backs::claim(&state, &actor, &id).await?))
}

/// Records one attempt's outcome. `reached` and `wrong_number` finish the task; `no_answer`, `busy` and
/// `switched_off` put it back on the list until the configured attempts are spent.
#[utoipa::path(post, path = "/api/v1/call-backs/{id}/outcome", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CallBackOutcomeRequest,
    responses((status = 200, body = CallBackView), (status = 403, body = super::error::ErrorBody),
        (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
pub async fn record_call_back_outcome(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<CallBackOutcomeRequest>,
) -> ApiResult<Json<CallBackView>> {
    Ok(Json(
        call_backs::record_outcome(&state, &actor, &id, req).await?,
    ))
}
