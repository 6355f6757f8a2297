//! Assignments: the responder's acknowledge → en route → on scene → resolved (or declined), and the
//! dispatcher's cancel; the unit's status and the incident's status follow.

use super::error::{ApiError, ApiResult, ErrorCode};
use super::extract::{Actor, AppJson, AppQuery};
use super::incidents::{AssignmentView, incident_audience, incident_payload, parse_value};
use crate::events::Reach;
use crate::service::common;
use crate::state::AppState;
use crate::store::{AssignmentRow, ChangeSet, Stmt, StoreError};
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::json;
use siaga_core::assignment::{AssignmentStatus, DeclineReason};
use siaga_core::incident::IncidentStatus;
use siaga_core::role::Role;
use siaga_core::sla::SlaKind;
use siaga_core::transition::Lifecycle;

/// A status change.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentStatusRequest {
    /// `acknowledged`, `en_route`, `on_scene`, `resolved` or `declined` (crew); `cancelled` (dispatcher).
    pub status: AssignmentStatus,
    /// Required with `declined`.
    pub reason: Option<DeclineReason>,
    /// Optional note (e.g. what was done on scene).
    pub note: Option<String>,
}

/// Query of [`list_assignments`].
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AssignmentQuery {
    /// Only open assignments (default true).
    pub open: Option<bool>,
}

async fn load(state: &AppState, id: &str) -> ApiResult<AssignmentRow> {
    state.store.get_assignment(id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("assignment"),
        other => other.into(),
    })
}

/// 403 unless the actor crews the unit, dispatches for its agency, or supervises (within its region scope,
/// if it has one).
async fn check_access(state: &AppState, actor: &Actor, a: &AssignmentRow) -> ApiResult<()> {
    if actor.user.region_code.is_some() {
        let incident = state.store.get_incident(&a.incident_id).await?;
        if let Some(code) = incident.region_code.as_deref() {
            actor.require_region(code)?;
        }
    }
    match actor.role {
        Role::Responder if actor.user.unit_id.as_deref() == Some(a.unit_id.as_str()) => Ok(()),
        Role::Responder => Err(ApiError::forbidden("this assignment is for another unit")),
        Role::Dispatcher => actor.require_agency(&a.agency_id),
        Role::Supervisor | Role::Admin => Ok(()),
        Role::CallTaker | Role::Integration => Err(ApiError::forbidden(
            "only responders, their dispatchers and supervisors work assignments",
        )),
    }
}

/// The responder's assignments (its unit's), or a dispatcher's agency's open assignments.
#[utoipa::path(get, path = "/api/v1/assignments", tag = "assignments", security(("bearer" = [])),
    params(AssignmentQuery), responses((status = 200, body = Vec<AssignmentView>), (status = 403, body = super::error::ErrorBody)))]
pub async fn list_assignments(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<AssignmentQuery>,
) -> ApiResult<Json<Vec<AssignmentView>>> {
    let open = q.open.unwrap_or(true);
    let rows = match actor.role {
        Role::Responder => {
            let unit = actor.user.unit_id.clone().unwrap_or_default();
            state.store.unit_assignments(&unit, open).await?
        }
        Role::Dispatcher => {
            let mut all = Vec::new();
            for u in state.store.list_units(actor.agency_scope()).await? {
                all.extend(state.store.unit_assignments(&u.id, open).await?);
            }
            all
        }
        _ => {
            return Err(ApiError::forbidden(
                "only responders and dispatchers list assignments",
            ));
        }
    };
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
    let a = load(&state, &id).await?;
    check_access(&state, &actor, &a).await?;
    Ok(Json(a.into()))
}

/// Checks a status change on its own (no database): who may ask for it, and that a decline has a reason.
///
/// # Errors
///
/// 403 for a responder cancelling; 422 naming `status` or `reason`.
pub fn check_status_request(req: &AssignmentStatusRequest, role: Role) -> ApiResult<()> {
    match (req.status, role) {
        (AssignmentStatus::Cancelled, Role::Responder) => Err(ApiError::forbidden(
            "only a dispatcher cancels an assignment; decline it instead",
        )),
        (AssignmentStatus::Assigned, _) => Err(ApiError::validation(
            "status",
            "an assignment cannot go back to assigned",
        )),
        (AssignmentStatus::Declined, _) if req.reason.is_none() => {
            Err(ApiError::validation("reason", "declining needs a reason"))
        }
        _ => Ok(()),
    }
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
    let a = load(&state, &id).await?;
    check_access(&state, &actor, &a).await?;
    let to = req.status;
    check_status_request(&req, actor.role)?;
    let from: AssignmentStatus = parse_value(&a.status)?;
    from.transition(to).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidTransition,
            format!("assignment is {from}; it cannot become {to}"),
        )
        .with_field("status")
        .with_allowed(e.allowed.iter().map(|s| s.as_str().to_owned()).collect())
    })?;
    let incident = state.store.get_incident(&a.incident_id).await?;
    let agencies: Vec<String> = state
        .store
        .incident_agencies(&a.incident_id)
        .await?
        .into_iter()
        .map(|r| r.agency_id)
        .collect();
    let now = state.now_ms();
    let column = match to {
        AssignmentStatus::Acknowledged => "acknowledged_at",
        AssignmentStatus::EnRoute => "en_route_at",
        AssignmentStatus::OnScene => "on_scene_at",
        AssignmentStatus::Resolved => "resolved_at",
        AssignmentStatus::Declined => "declined_at",
        AssignmentStatus::Cancelled => "cancelled_at",
        AssignmentStatus::Assigned => "assigned_at",
    };
    let mut set = ChangeSet::new(now);
    set.push(
        Stmt::new(format!(
            "UPDATE assignments SET status = $2, {column} = $3, reason = COALESCE($4, reason), \
             note = COALESCE($5, note), updated_at = $3 WHERE id = $1 AND status = $6"
        ))
        .text(&id)
        .text(to.as_str())
        .int(now)
        .opt_text(req.reason.map(|r| r.as_str().to_owned()))
        .opt_text(req.note.clone())
        .text(from.as_str())
        .expect(1),
    );
    let unit_status = to.unit_status();
    set.push(crate::store::units::set_status(
        &a.unit_id,
        None,
        unit_status.as_str(),
        now,
    ));
    let unit_audience = Reach {
        agency_ids: Some(vec![a.agency_id.clone()]),
        unit_id: Some(a.unit_id.clone()),
        region_code: incident.region_code.clone(),
    };
    let stop: &[SlaKind] = match to {
        AssignmentStatus::Acknowledged => &[SlaKind::Acknowledge],
        AssignmentStatus::EnRoute => &[SlaKind::Acknowledge],
        AssignmentStatus::OnScene => &[SlaKind::Acknowledge, SlaKind::Arrival],
        _ => &[SlaKind::Acknowledge, SlaKind::Arrival],
    };
    let clocks = state.store.subject_clocks("assignment", &id).await?;
    common::stop_clocks(&mut set, &clocks, stop, now, &unit_audience);

    // The incident follows its assignments (dispatched → resolved, or back to verified when all declined).
    let mut statuses: Vec<AssignmentStatus> = state
        .store
        .incident_assignments(&a.incident_id)
        .await?
        .iter()
        .map(|x| {
            if x.id == id {
                to
            } else {
                x.status.parse().unwrap_or(AssignmentStatus::Cancelled)
            }
        })
        .collect();
    statuses.sort_by_key(|s| s.as_str());
    let incident_from: IncidentStatus = parse_value(&incident.status)?;
    let incident_to = incident_from.follow_assignments(&statuses);
    let audience = incident_audience(&incident, &agencies);
    if let Some(next) = incident_to {
        set.push(
            Stmt::new(
                "UPDATE incidents SET status = $2, updated_at = $3, \
                 resolved_at = CASE WHEN $2 = 'resolved' THEN $3 ELSE resolved_at END \
                 WHERE id = $1 AND status = $4",
            )
            .text(&incident.id)
            .text(next.as_str())
            .int(now)
            .text(incident_from.as_str())
            .expect(1),
        );
        if next == IncidentStatus::Resolved {
            let clocks = state.store.subject_clocks("incident", &incident.id).await?;
            common::stop_clocks(&mut set, &clocks, &[SlaKind::Resolution], now, &audience);
        }
        set.event(common::event(
            "incident.updated",
            &audience,
            incident_payload(&incident, next.as_str(), &agencies),
        ));
    }
    set.event(common::event(
        "assignment.status",
        &unit_audience,
        json!({"assignment_id": id, "incident_id": a.incident_id, "incident_number": incident.number,
               "unit_id": a.unit_id, "agency_id": a.agency_id, "status": to, "from": from,
               "reason": req.reason, "note": req.note, "by": actor.user.id}),
    ));
    set.event(common::event(
        "unit.status",
        &unit_audience,
        json!({"unit_id": a.unit_id, "status": unit_status}),
    ));
    set.audit(common::audit(
        &actor,
        now,
        "assignment.status",
        "assignment",
        &id,
        Some(json!({"status": from})),
        Some(json!({"status": to, "reason": req.reason, "note": req.note})),
    ));
    state.store.commit(set).await?;
    state.geo.unit_status(&a.unit_id, unit_status);
    Ok(Json(load(&state, &id).await?.into()))
}
