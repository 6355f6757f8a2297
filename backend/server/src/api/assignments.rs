//! Assignments over HTTP: the responder's acknowledge → en route → on scene → resolved (or declined), and the
//! dispatcher's cancel. The workflow is `service::assignments`.

use super::error::ApiResult;
use super::extract::{Actor, AppJson, AppQuery};
use super::incidents::AssignmentView;
use crate::service::assignments;
pub use crate::service::assignments::{AssignmentStatusRequest, check_status_request};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use siaga_core::role::Role;

/// Query of [`list_assignments`].
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AssignmentQuery {
    /// Only open assignments (default true).
    pub open: Option<bool>,
}

/// The responder's assignments (its unit's), or a dispatcher's agency's open assignments.
#[utoipa::path(get, path = "/api/v1/assignments", tag = "assignments", security(("bearer" = [])),
    params(AssignmentQuery), responses((status = 200, body = Vec<AssignmentView>), (status = 403, body = super::error::ErrorBody)))]
pub async fn list_assignments(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<AssignmentQuery>,
) -> ApiResult<Json<Vec<AssignmentView>>> {
    let rows = assignments::list(&state, &actor, q.open.unwrap_or(true)).await?;
    Ok(Json(rows.into_iter().map(AssignmentView::from).collect()))
}

/// One assignment.
#[utoipa::path(get, path = "/api/v1/assignments/{id}", tag = "assignments", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = AssignmentView), (status = 403, body = super::error::ErrorBody)))]
pub async fn get_assignment(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<AssignmentView>> {
    Ok(Json(assignments::get(&state, &actor, &id).await?.into()))
}

/// Moves an assignment on. Illegal moves answer 409 listing the allowed ones. Send an `Idempotency-Key`
/// so a retry from a phone on a bad network is not applied twice.
#[utoipa::path(post, path = "/api/v1/assignments/{id}/status", tag = "assignments", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AssignmentStatusRequest, responses(
    (status = 200, body = AssignmentView), (status = 403, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn update_assignment_status(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<AssignmentStatusRequest>,
) -> ApiResult<Json<AssignmentView>> {
    actor.require(&[Role::Responder, Role::Dispatcher, Role::Supervisor])?;
    let a = assignments::change_status(&state, &actor, &id, req).await?;
    Ok(Json(a.into()))
}
