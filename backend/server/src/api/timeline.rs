//! An incident's timeline over HTTP: each handler parses, authorises the role, calls one function of
//! [`service::timeline`](crate::service::timeline) and serialises its answer.

use super::error::ApiResult;
use super::extract::{Actor, AppJson};
use crate::events::incident::TimelineEntry;
use crate::service::timeline as service;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use siaga_core::role::Role;

pub use crate::service::timeline::NoteRequest;

/// The incident's timeline, oldest first (by `at`, then `seq`): notes and every change — status, escalation,
/// an OPD's decision with its reason, assignments and their steps, SLA clocks started, stopped and breached.
/// Visible to whoever may read the incident; responders see no reporter data in it.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/timeline", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, body = Vec<TimelineEntry>), (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody)))]
pub async fn get_timeline(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<TimelineEntry>>> {
    Ok(Json(service::list(&state, &actor, &id).await?))
}

/// Adds a note to the incident's timeline (call takers, dispatchers of an OPD taking part, responders of an
/// assigned unit, supervisors) and announces it as `incident.note_added`. A note re-sent with the same
/// `client_ref` is stored once: the stored note is answered with 200 instead of 201.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/timeline", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = NoteRequest, responses(
    (status = 201, body = TimelineEntry), (status = 200, body = TimelineEntry, description = "the note with this `client_ref` was stored before"),
    (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody)))]
pub async fn add_note(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<NoteRequest>,
) -> ApiResult<(StatusCode, Json<TimelineEntry>)> {
    actor.require(&[
        Role::CallTaker,
        Role::Dispatcher,
        Role::Responder,
        Role::Supervisor,
    ])?;
    let (entry, created) = service::add_note(&state, &actor, &id, req).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(entry)))
}
