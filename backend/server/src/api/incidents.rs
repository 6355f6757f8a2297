//! Incidents over HTTP: each handler parses, authorises the role, calls one function of
//! [`service::incidents`](crate::service::incidents) and serialises its answer.

use super::error::{ApiError, ApiResult};
use super::extract::{Actor, AppJson, AppQuery};
use crate::service::incidents as service;
use crate::state::AppState;
use crate::views::LonLat;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use siaga_core::incident::Category;
use siaga_core::role::Role;

pub use crate::service::incidents::{
    AssignmentView, CancelRequest, CheckedIncident, ClockView, CloseRequest,
    CorrectIncidentRequest, CreateAssignmentRequest, CreateIncidentRequest, DuplicateView,
    EscalateRequest, FacilityRecommendation, IncidentAgencyView, IncidentLink, IncidentView,
    LinkCallRequest, MergeRequest, RecommendationsView, RejectRequest, Reporter, UnitExclusion,
    UnitRecommendation, VictimsBody, check_new_incident,
};

/// Query of [`list_incidents`].
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IncidentQuery {
    /// Only open incidents (default true).
    pub open: Option<bool>,
    /// Only the incidents the caller filed (a call taker's own list).
    pub mine: Option<bool>,
    pub limit: Option<u32>,
    /// Only the incident with this number (e.g. `BTM-20261124-0007`), open or not; a merged duplicate's number
    /// finds its master. The other filters are then ignored.
    pub number: Option<String>,
}

/// Query of [`find_duplicates`].
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DuplicateQuery {
    pub lon: f64,
    pub lat: f64,
    pub category: Category,
}

/// Files an incident from an emergency call: locates it, numbers it, names the responsible OPDs by category
/// and escalates to them, and starts the SLA clocks.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])),
    request_body = CreateIncidentRequest, responses(
    (status = 201, body = IncidentView),
    (status = 403, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody),
))]
pub async fn create_incident(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(req): AppJson<CreateIncidentRequest>,
) -> ApiResult<(StatusCode, Json<IncidentView>)> {
    actor.require(&[Role::CallTaker, Role::Supervisor])?;
    let view = service::file(&state, &actor, req).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Incidents visible to the caller, newest first: a dispatcher sees those escalated to its OPD.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents", security(("bearer" = [])),
    params(IncidentQuery), responses((status = 200, body = Vec<IncidentView>), (status = 403, body = super::error::ErrorBody)))]
pub async fn list_incidents(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<IncidentQuery>,
) -> ApiResult<Json<Vec<IncidentView>>> {
    actor.require(&[
        Role::CallTaker,
        Role::Dispatcher,
        Role::Supervisor,
        Role::Admin,
    ])?;
    let (open_only, limit) = (q.open.unwrap_or(true), q.limit.unwrap_or(200));
    let mine = q.mine.unwrap_or(false);
    if let Some(number) = q.number.as_deref() {
        return Ok(Json(service::find_by_number(&state, &actor, number).await?));
    }
    Ok(Json(
        service::list(&state, &actor, open_only, mine, limit).await?,
    ))
}

/// One incident. Reading the reporter's identity is audited; responders see it only when shared.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, body = IncidentView), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_incident(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<IncidentView>> {
    Ok(Json(service::get(&state, &actor, &id).await?))
}

/// Corrects an incident: priority, category, location (re-located: region and responsible OPDs recomputed,
/// a new OPD escalated to and the former one withdrawn), address, victims, description, time of event,
/// reporter. The call taker who filed it while no OPD verified it, the verifying OPD's dispatchers after, a
/// supervisor always; a closed or cancelled incident answers 409. A changed priority re-plans the running SLA
/// clocks (new target of each clock's kind from the change, elapsed time kept).
#[utoipa::path(patch, path = "/api/v1/incidents/{id}", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CorrectIncidentRequest, responses(
    (status = 200, body = IncidentView), (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody)))]
pub async fn correct_incident(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<CorrectIncidentRequest>,
) -> ApiResult<Json<IncidentView>> {
    actor.require(&[Role::CallTaker, Role::Dispatcher, Role::Supervisor])?;
    Ok(Json(service::correct(&state, &actor, &id, req).await?))
}

/// Open incidents of the same category near a point and recent: offered to link instead of a new ticket.
#[utoipa::path(get, path = "/api/v1/incidents/duplicates", tag = "incidents", security(("bearer" = [])),
    params(DuplicateQuery), responses((status = 200, body = Vec<DuplicateView>), (status = 403, body = super::error::ErrorBody)))]
pub async fn find_duplicates(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<DuplicateQuery>,
) -> ApiResult<Json<Vec<DuplicateView>>> {
    actor.require(&[Role::CallTaker, Role::Supervisor, Role::Dispatcher])?;
    let found = service::duplicates(&state, &actor, q.lon, q.lat, q.category).await?;
    Ok(Json(found))
}

/// Links a further call about the same event to an existing incident (instead of a new ticket).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/calls", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = LinkCallRequest, responses(
    (status = 200, body = IncidentView), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn link_call(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<LinkCallRequest>,
) -> ApiResult<Json<IncidentView>> {
    actor.require(&[Role::CallTaker, Role::Supervisor])?;
    Ok(Json(service::link_call(&state, &actor, &id, req).await?))
}

/// A dispatcher accepts the incident for its OPD.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/verify", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, body = IncidentView), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn verify_incident(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<IncidentView>> {
    actor.require(&[Role::Dispatcher])?;
    Ok(Json(service::verify(&state, &actor, &id).await?))
}

/// A dispatcher sends the incident back to the call taker with a reason.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/reject", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RejectRequest, responses(
    (status = 200, body = IncidentView), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn reject_incident(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<RejectRequest>,
) -> ApiResult<Json<IncidentView>> {
    actor.require(&[Role::Dispatcher])?;
    Ok(Json(service::reject(&state, &actor, &id, req).await?))
}

/// A call taker or supervisor escalates an incident to more agencies (OPD), or again to one that sent it
/// back: the way out of `rejected`, and of `new` when no OPD was responsible for the point at filing. The
/// dispatch clock keeps running from the filing (the caller has been waiting all along).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/escalate", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = EscalateRequest, responses(
    (status = 200, body = IncidentView),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody, description = "closed or cancelled, or an agency already has it open"),
    (status = 422, body = super::error::ErrorBody)))]
pub async fn escalate_incident(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<EscalateRequest>,
) -> ApiResult<Json<IncidentView>> {
    actor.require(&[Role::CallTaker, Role::Supervisor])?;
    Ok(Json(service::escalate(&state, &actor, &id, req).await?))
}

/// Nearest available units of the dispatcher's OPD (or of every escalated OPD for supervisors) and the
/// nearest facilities with a 24-hour emergency department.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/recommendations", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, body = RecommendationsView), (status = 403, body = super::error::ErrorBody)))]
pub async fn recommendations(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<RecommendationsView>> {
    actor.require(&[Role::Dispatcher, Role::Supervisor, Role::Admin])?;
    Ok(Json(service::recommendations(&state, &actor, &id).await?))
}

/// Query of [`incident_route`].
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RouteQuery {
    /// The unit whose route (from its last fix) is asked.
    pub unit_id: String,
    /// Another destination than the incident (with `to_lat`): the way back to the unit's base after the
    /// incident, or its next stop.
    pub to_lon: Option<f64>,
    /// See `to_lon`.
    pub to_lat: Option<f64>,
}

/// A unit's route to the incident (or, with `to_lon`/`to_lat`, from the incident's scene onwards, e.g. back to
/// its base) over its vehicle's roads: a GeoJSON LineString Feature with the travel time, length, basis (`road`
/// or the explained `straight_line` fallback: the distance times `roads.straight_line_detour`), snap distances
/// and turn list.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/route", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path), RouteQuery), responses(
    (status = 200, body = service::RouteView), (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn incident_route(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<RouteQuery>,
) -> ApiResult<Json<service::RouteView>> {
    actor.require(&[
        Role::Dispatcher,
        Role::Supervisor,
        Role::Admin,
        Role::Responder,
    ])?;
    let to = match (q.to_lon, q.to_lat) {
        (Some(lon), Some(lat)) => Some(LonLat { lon, lat }),
        (None, None) => None,
        _ => {
            return Err(ApiError::validation(
                "to_lon",
                "to_lon and to_lat come together",
            ));
        }
    };
    Ok(Json(
        service::route(&state, &actor, &id, &q.unit_id, to).await?,
    ))
}

/// Assigns a unit of the dispatcher's OPD. The unit must be available; two dispatchers racing for one unit
/// cannot both win (the unit's status change is guarded).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/assignments", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CreateAssignmentRequest, responses(
    (status = 201, body = AssignmentView), (status = 403, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn create_assignment(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<CreateAssignmentRequest>,
) -> ApiResult<(StatusCode, Json<AssignmentView>)> {
    actor.require(&[Role::Dispatcher])?;
    let assignment = service::create_assignment(&state, &actor, &id, req).await?;
    Ok((StatusCode::CREATED, Json(assignment)))
}

/// Closes a resolved incident with the final report (its dispatchers, or a supervisor).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/close", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CloseRequest, responses(
    (status = 200, body = IncidentView), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn close_incident(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<CloseRequest>,
) -> ApiResult<Json<IncidentView>> {
    actor.require(&[Role::Dispatcher, Role::Supervisor])?;
    Ok(Json(service::close(&state, &actor, &id, req).await?))
}

/// Cancels an incident with a reason (false alarm, duplicate of another, caller withdrew, handled elsewhere):
/// its open assignments are cancelled and their crews told, units freed, and every running SLA clock of it
/// stops as cancelled (never a breach). The call taker who filed it while no OPD verified it, a dispatcher of
/// an OPD taking part, or a supervisor.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/cancel", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CancelRequest, responses(
    (status = 200, body = IncidentView),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody, description = "closed, cancelled or resolved: `allowed` names the moves left"),
    (status = 422, body = super::error::ErrorBody)))]
pub async fn cancel_incident(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<CancelRequest>,
) -> ApiResult<Json<IncidentView>> {
    actor.require(&[Role::CallTaker, Role::Dispatcher, Role::Supervisor])?;
    Ok(Json(service::cancel(&state, &actor, &id, req).await?))
}

/// Merges this incident, a duplicate report, into its master: its calls, call-back tasks and open
/// assignments move to the master, the master gains its OPDs, and it is cancelled as `duplicate` with
/// `merged_into` (its number finds the master). Answers the master.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/merge", tag = "incidents", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = MergeRequest, responses(
    (status = 200, body = IncidentView),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody, description = "the duplicate cannot be cancelled, or the master is closed, cancelled or merged"),
    (status = 422, body = super::error::ErrorBody, description = "unknown master, the incident itself, or another region")))]
pub async fn merge_incident(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<MergeRequest>,
) -> ApiResult<Json<IncidentView>> {
    actor.require(&[Role::CallTaker, Role::Dispatcher, Role::Supervisor])?;
    Ok(Json(service::merge(&state, &actor, &id, req).await?))
}
