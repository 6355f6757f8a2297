//! Agent states and schedules over HTTP: an agent sets their own state; supervisors see the board and
//! upload shift schedules. The workflows are in [`crate::service::agents`].

use super::error::ApiResult;
use super::extract::{Actor, AppJson};
use crate::service::agents::{self, ScheduleUpload};
pub use crate::service::agents::{
    AgentStateView, AgentView, ScheduleUploadView, SelectableState, SetStateRequest, ShiftRequest,
    check_state_request,
};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use siaga_core::role::Role;

/// Sets the caller's agent state (call takers and dispatchers).
#[utoipa::path(post, path = "/api/v1/agents/me/state", tag = "agents", security(("bearer" = [])),
    request_body = SetStateRequest, responses(
    (status = 200, body = AgentStateView),
    (status = 403, body = super::error::ErrorBody, description = "not a call taker or dispatcher"),
    (status = 422, body = super::error::ErrorBody, description = "AUX without a reason, or a bad reason"),
))]
pub async fn set_my_state(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(req): AppJson<SetStateRequest>,
) -> ApiResult<Json<AgentStateView>> {
    actor.require(&[Role::CallTaker, Role::Dispatcher])?;
    Ok(Json(agents::set_my_state(&state, &actor, &req).await?))
}

/// Every agent's current state, since when, and today's ready/AUX time (supervisors and admins).
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", security(("bearer" = [])), responses(
    (status = 200, body = Vec<AgentView>),
    (status = 403, body = super::error::ErrorBody),
))]
pub async fn list_agents(
    State(state): State<AppState>,
    actor: Actor,
) -> ApiResult<Json<Vec<AgentView>>> {
    actor.require(&[Role::Supervisor, Role::Admin])?;
    Ok(Json(agents::list_agents(&state, &actor).await?))
}

/// Uploads agent shifts (supervisors and admins): `text/csv` with a header `username,shift_start,shift_end
/// [,time_zone]`, or a JSON array of rows. All rows are checked before any is stored.
#[utoipa::path(post, path = "/api/v1/agents/schedules", tag = "agents", security(("bearer" = [])),
    request_body(content(
        (Vec<ShiftRequest> = "application/json"),
        (String = "text/csv"),
    )),
    responses(
    (status = 200, body = ScheduleUploadView),
    (status = 403, body = super::error::ErrorBody),
    (status = 415, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody, description = "a row is invalid; `field` names it"),
))]
pub async fn upload_schedules(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ScheduleUploadView>> {
    actor.require(&[Role::Supervisor, Role::Admin])?;
    let mime = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let upload = ScheduleUpload::of_media_type(&mime, &body)?;
    Ok(Json(
        agents::upload_schedules(&state, &actor, upload).await?,
    ))
}
