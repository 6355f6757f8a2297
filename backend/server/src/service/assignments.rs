//! Assignments after dispatch: the crew's acknowledge → en route → on scene → resolved (or declined), and the
//! dispatcher's cancel. The unit's status, the assignment's SLA clocks and the incident's status follow in the
//! same change set, so a screen never sees an assignment move without its unit and incident.
//!
//! Creating an assignment is dispatch (the incidents service); this module takes over once a unit is assigned.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::incident::IncidentUpdated;
use crate::events::unit::{AssignmentStatusChanged, UnitStatusChanged};
use crate::events::{DomainEvent, Reach};
use crate::limits::Note;
use crate::service::common::{self, parse_stored};
use crate::state::AppState;
use crate::store::{
    AssignmentRow, ChangeSet, IncidentRow, SlaClockRow, StoreError, assignments, units,
};
use serde::Deserialize;
use serde_json::json;
use siaga_core::assignment::{
    AssignmentStatus, DeclineReason, ReportedVia, StatusAuthor, status_author,
};
use siaga_core::incident::IncidentStatus;
use siaga_core::role::Role;
use siaga_core::sla::{SlaKind, StopCause};
use siaga_core::transition::Lifecycle;
use siaga_core::unit::UnitStatus;

/// A status change.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentStatusRequest {
    /// `acknowledged`, `en_route`, `on_scene`, `resolved` or `declined` (crew); `cancelled` (dispatcher).
    pub status: AssignmentStatus,
    /// Required with `declined`.
    pub reason: Option<DeclineReason>,
    /// Optional note (e.g. what was done on scene).
    pub note: Option<Note>,
    /// `radio` when a dispatcher records a step the crew reported by radio. A dispatcher's or supervisor's
    /// crew step is recorded as radio-reported with or without it; the crew itself and a cancellation never
    /// send it (422).
    pub reported_via: Option<ReportedVia>,
}

/// Checks a status change on its own (no database): who may ask for it, that a decline has a reason, and how
/// the step is recorded (`Some(Radio)` for a crew step a desk records; see `siaga_core::assignment::status_author`).
///
/// # Errors
///
/// 403 for a responder cancelling; 422 naming `status`, `reason` or `reported_via`.
pub fn check_status_request(
    req: &AssignmentStatusRequest,
    role: Role,
) -> ApiResult<Option<ReportedVia>> {
    if req.status == AssignmentStatus::Assigned {
        return Err(ApiError::validation(
            "status",
            "an assignment cannot go back to assigned",
        ));
    }
    let author = if role == Role::Responder {
        StatusAuthor::Crew
    } else {
        StatusAuthor::Desk
    };
    let via = status_author(req.status, author, req.reported_via).map_err(|e| {
        let refusal = ApiError::new(e.code(), e.to_string());
        if e.code() == ErrorCode::Forbidden {
            refusal
        } else {
            refusal.with_field("reported_via")
        }
    })?;
    if req.status == AssignmentStatus::Declined && req.reason.is_none() {
        return Err(ApiError::validation("reason", "declining needs a reason"));
    }
    Ok(via)
}

/// The responder's assignments (its unit's), or a dispatcher's agency's; only open ones when `open`.
///
/// # Errors
///
/// 403 for any other role.
pub async fn list(state: &AppState, actor: &Actor, open: bool) -> ApiResult<Vec<AssignmentRow>> {
    match actor.role {
        Role::Responder => {
            let unit = actor.user.unit_id.clone().unwrap_or_default();
            Ok(state.store.unit_assignments(&unit, open).await?)
        }
        Role::Dispatcher => {
            let mut all = Vec::new();
            for u in state.store.list_units(actor.agency_scope(), None).await? {
                all.extend(state.store.unit_assignments(&u.id, open).await?);
            }
            Ok(all)
        }
        _ => Err(ApiError::forbidden(
            "only responders and dispatchers list assignments",
        )),
    }
}

/// One assignment, if the actor may work it.
///
/// # Errors
///
/// 404 for an unknown id; 403 as [`check_access`] says.
pub async fn get(state: &AppState, actor: &Actor, id: &str) -> ApiResult<AssignmentRow> {
    let a = load(state, id).await?;
    check_access(state, actor, &a).await?;
    Ok(a)
}

/// Moves an assignment on, with its unit, SLA clocks and incident. Illegal moves are 409 listing the allowed
/// ones.
///
/// # Errors
///
/// 403/404 as [`get`]; 422 as [`check_status_request`]; 409 for a move the lifecycle forbids or that lost a
/// race with another change.
pub async fn change_status(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: AssignmentStatusRequest,
) -> ApiResult<AssignmentRow> {
    let a = get(state, actor, id).await?;
    let to = req.status;
    let via = check_status_request(&req, actor.role)?;
    let from: AssignmentStatus = parse_stored(&a.status)?;
    from.transition(to).map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidTransition,
            format!("assignment is {from}; it cannot become {to}"),
        )
        .with_field("status")
        .with_allowed(e.allowed.iter().map(|s| s.as_str().to_owned()).collect())
    })?;
    let incident = state.store.get_incident(&a.incident_id).await?;
    let now = state.now_ms();
    let mut set = ChangeSet::new(now);
    let clocks = state.store.subject_clocks("assignment", id).await?;
    let step = Move {
        from,
        to,
        reason: req.reason.map(DeclineReason::as_str),
        note: req.note.as_deref(),
        via,
        cause: StopCause::Done,
    };
    let unit_status = push_move(&mut set, actor, &a, &incident, &step, &clocks);
    follow_incident(state, &mut set, &incident, id, to, now).await?;
    state.store.commit(set).await?;
    state.geo.unit_status(&a.unit_id, unit_status);
    load(state, id).await
}

/// One move of an assignment, as [`push_move`] records it.
pub(crate) struct Move<'a> {
    pub from: AssignmentStatus,
    pub to: AssignmentStatus,
    /// A decline's reason, or why the incident was withdrawn when a cancellation follows it.
    pub reason: Option<&'a str>,
    pub note: Option<&'a str>,
    pub via: Option<ReportedVia>,
    /// Why the assignment's clocks stop: its step was done, or its incident was withdrawn (cancelled clocks
    /// never breach).
    pub cause: StopCause,
}

/// Adds to `set` the move of assignment `a` of `incident` with its unit's status, the assignment's clocks
/// among `clocks` (those the step ends), the `assignment.status` and `unit.status` events to the unit and its
/// agency, and the audit entry. Returns the unit's new status, for the geo index once the set is committed.
/// The one path of an assignment move: the crew's and desk's steps, and the cancellations an incident's
/// cancellation or merge causes.
pub(crate) fn push_move(
    set: &mut ChangeSet,
    actor: &Actor,
    a: &AssignmentRow,
    incident: &IncidentRow,
    step: &Move<'_>,
    clocks: &[SlaClockRow],
) -> UnitStatus {
    let (id, from, to, now) = (a.id.as_str(), step.from, step.to, set.at);
    set.push(assignments::set_status(
        id,
        from,
        to,
        step.reason,
        step.note,
        step.via,
        now,
    ));
    let unit_status = to.unit_status();
    set.push(units::set_status(
        &a.unit_id,
        None,
        unit_status.as_str(),
        now,
    ));
    let unit_reach = Reach {
        agency_ids: Some(vec![a.agency_id.clone()]),
        unit_id: Some(a.unit_id.clone()),
        region_code: incident.region_code.clone(),
    };
    let stop: &[SlaKind] = match to {
        AssignmentStatus::Acknowledged | AssignmentStatus::EnRoute => &[SlaKind::Acknowledge],
        _ => &[SlaKind::Acknowledge, SlaKind::Arrival],
    };
    match step.cause {
        StopCause::Done => common::stop_clocks(set, clocks, stop, now, &unit_reach),
        StopCause::Cancelled => common::cancel_clocks(set, clocks, now),
    }
    set.event(
        DomainEvent::AssignmentStatus(AssignmentStatusChanged {
            assignment_id: id.to_owned(),
            incident_id: a.incident_id.clone(),
            incident_number: incident.number.clone(),
            unit_id: a.unit_id.clone(),
            agency_id: a.agency_id.clone(),
            status: to.as_str().to_owned(),
            from: from.as_str().to_owned(),
            reason: step.reason.map(str::to_owned),
            note: step.note.map(str::to_owned),
            by: actor.user.id.clone(),
            reported_via: step.via.map(|v| v.as_str().to_owned()),
            live: None,
        })
        .to(&unit_reach),
    );
    set.event(
        DomainEvent::UnitStatus(UnitStatusChanged {
            unit_id: a.unit_id.clone(),
            status: unit_status.as_str().to_owned(),
            call_sign: None,
            from: None,
            by: None,
        })
        .to(&unit_reach),
    );
    set.audit(common::audit(
        actor,
        now,
        "assignment.status",
        "assignment",
        id,
        Some(json!({"status": from})),
        Some(json!({"status": to, "reason": step.reason, "note": step.note, "reported_via": step.via})),
    ));
    unit_status
}

/// Adds to `set` the incident's move that follows its assignments once `assignment_id` is `to` (dispatched →
/// resolved, or back to verified when every unit declined), with its resolution clock and event.
async fn follow_incident(
    state: &AppState,
    set: &mut ChangeSet,
    incident: &IncidentRow,
    assignment_id: &str,
    to: AssignmentStatus,
    now: i64,
) -> ApiResult<()> {
    let mut statuses: Vec<AssignmentStatus> = state
        .store
        .incident_assignments(&incident.id)
        .await?
        .iter()
        .map(|x| {
            if x.id == assignment_id {
                to
            } else {
                x.status.parse().unwrap_or(AssignmentStatus::Cancelled)
            }
        })
        .collect();
    statuses.sort_by_key(|s| s.as_str());
    let from: IncidentStatus = parse_stored(&incident.status)?;
    let Some(next) = from.follow_assignments(&statuses) else {
        return Ok(());
    };
    let agency_rows = state.store.incident_agencies(&incident.id).await?;
    let agencies: Vec<String> = agency_rows.iter().map(|r| r.agency_id.clone()).collect();
    let reach = Reach {
        agency_ids: Some(agencies),
        unit_id: None,
        region_code: incident.region_code.clone(),
    };
    set.push(assignments::incident_follows(
        &incident.id,
        from.as_str(),
        next.as_str(),
        now,
    ));
    if next == IncidentStatus::Resolved {
        let clocks = state.store.subject_clocks("incident", &incident.id).await?;
        common::stop_clocks(set, &clocks, &[SlaKind::Resolution], now, &reach);
    }
    set.event(
        DomainEvent::IncidentUpdated(IncidentUpdated {
            incident: crate::service::incidents::summary(
                incident,
                next.as_str(),
                crate::service::incidents::event_agencies(&agency_rows),
                now,
            ),
            agency_id: None,
            decision: None,
            reason: None,
            linked_call_id: None,
            changes: None,
            escalated_to: None,
            withdrawn_from: None,
            merged_from: None,
        })
        .to(&reach),
    );
    Ok(())
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
