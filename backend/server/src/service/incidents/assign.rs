//! A dispatcher assigns a unit of its OPD to an incident: the unit must be available, and assigning implies
//! the OPD accepted the incident (escalated → verified → dispatched).

use super::views::AssignmentView;
use super::{
    agency_ids, allowed_from, assignment_statuses, event_agencies, incident_audience, load,
    own_agency_row, parse_value, summary,
};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::incident::{EventVictims, IncidentUpdated};
use crate::events::unit::{AssignmentCreated, UnitStatusChanged};
use crate::events::{DomainEvent, Reach};
use crate::limits::{Note, ShortText};
use crate::service::common;
use crate::state::AppState;
use crate::store::{ChangeSet, IncidentRow, StoreError, UnitRow, incidents, units};
use crate::views::LonLat;
use serde::Deserialize;
use serde_json::json;
use siaga_core::assignment::AssignmentStatus;
use siaga_core::incident::{Category, IncidentStatus, Priority};
use siaga_core::sla::{AreaClass, SlaKind};

/// A unit to send.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAssignmentRequest {
    pub unit_id: ShortText,
    pub note: Option<Note>,
    /// Let the crew see the reporter's identity.
    #[serde(default)]
    pub share_reporter: bool,
}

/// The unit to assign: one of the actor's agency, and available (422 when there is no such unit).
async fn available_unit(state: &AppState, actor: &Actor, unit_id: &str) -> ApiResult<UnitRow> {
    let unit = state.store.get_unit(unit_id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::validation("unit_id", "no such unit"),
        other => other.into(),
    })?;
    actor.require_agency(&unit.agency_id)?;
    if unit.status != "available" {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!("unit {} is {}, not available", unit.call_sign, unit.status),
        )
        .with_field("unit_id"));
    }
    Ok(unit)
}

/// Where one more assignment takes an incident in `from`: through `verified` (the OPD accepts it by
/// assigning) to `dispatched`, or 409.
fn dispatched_from(
    state_from: IncidentStatus,
    existing: &[AssignmentStatus],
) -> ApiResult<IncidentStatus> {
    let mut statuses = existing.to_vec();
    statuses.push(AssignmentStatus::Assigned);
    let mut current = state_from;
    if current == IncidentStatus::Escalated {
        current = IncidentStatus::Verified;
    }
    if let Some(next) = current.follow_assignments(&statuses) {
        current = next;
    }
    if current == IncidentStatus::Dispatched {
        Ok(current)
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidTransition,
            format!("a {state_from} incident cannot be dispatched"),
        )
        .with_allowed(allowed_from(state_from)))
    }
}

/// Assigns the unit. Two dispatchers racing for one unit cannot both win: the unit's status change is
/// guarded on `available`.
pub async fn create_assignment(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: CreateAssignmentRequest,
) -> ApiResult<AssignmentView> {
    let incident = load(state, id).await?;
    let agencies = state.store.incident_agencies(id).await?;
    let row = own_agency_row(actor, &agencies)?;
    let unit = available_unit(state, actor, &req.unit_id).await?;
    let from: IncidentStatus = parse_value(&incident.status)?;
    let existing = assignment_statuses(state, id).await?;
    let to = dispatched_from(from, &existing)?;
    let now = state.now_ms();
    let assignment_id = uuid::Uuid::now_v7().to_string();
    let planned_eta_s = planned_eta_s(state, &incident, &unit.id);
    let mut set = ChangeSet::new(now);
    set.push(units::set_status(
        &unit.id,
        Some("available"),
        "assigned",
        now,
    ));
    set.push(incidents::insert_assignment(&incidents::NewAssignment {
        id: &assignment_id,
        incident_id: id,
        unit_id: &unit.id,
        agency_id: &unit.agency_id,
        assigned_by: &actor.user.id,
        assigned_at: now,
        note: req.note.as_deref(),
        share_reporter: req.share_reporter,
        planned_eta_s,
    }));
    let mut after = event_agencies(&agencies);
    if row.status == "escalated" {
        set.push(incidents::accept_by_assignment(
            id,
            &row.agency_id,
            now,
            &actor.user.id,
        ));
        for a in after.iter_mut().filter(|a| a.agency_id == row.agency_id) {
            a.status = "verified".to_owned();
        }
    }
    set.push(incidents::set_status(id, from.as_str(), to.as_str(), now));
    let audience = incident_audience(&incident, &agency_ids(&agencies));
    let clocks = state.store.subject_clocks("incident", id).await?;
    common::stop_clocks(&mut set, &clocks, &[SlaKind::Dispatch], now, &audience);
    start_crew_clocks(state, &mut set, &incident, &assignment_id, &unit.agency_id)?;
    record_assignment(
        &mut set,
        &incident,
        &unit,
        &assignment_id,
        req.note.as_deref(),
        planned_eta_s,
    );
    let updated = IncidentUpdated {
        incident: summary(&incident, to.as_str(), after, now),
        agency_id: None,
        decision: None,
        reason: None,
        linked_call_id: None,
        changes: None,
        escalated_to: None,
        withdrawn_from: None,
        merged_from: None,
    };
    set.event(DomainEvent::IncidentUpdated(updated).to(&audience));
    set.audit(common::audit(
        actor,
        now,
        "assignment.create",
        "assignment",
        &assignment_id,
        None,
        Some(json!({"incident_id": id, "unit_id": unit.id})),
    ));
    state.store.commit(set).await.map_err(|e| match e {
        StoreError::Stale { .. } => ApiError::new(
            ErrorCode::Conflict,
            "the unit or the incident changed at the same moment (another dispatcher?); reload and try again",
        ),
        other => other.into(),
    })?;
    state
        .geo
        .unit_status(&unit.id, siaga_core::unit::UnitStatus::Assigned);
    Ok(state.store.get_assignment(&assignment_id).await?.into())
}

/// The travel time of the unit from its last fix to the incident, estimated as the recommendations do (the
/// road graph over the unit's vehicle's roads, or the detoured straight line at the unit type's speed), in whole
/// seconds rounded up; None when the unit
/// has no known position.
fn planned_eta_s(state: &AppState, incident: &IncidentRow, unit_id: &str) -> Option<i64> {
    let unit = state.geo.unit(unit_id)?;
    let to = siaga_spatial::Position::from_lon_lat(incident.lon, incident.lat).ok()?;
    let graph = state.geo.roads();
    let mut router = graph.as_deref().map(siaga_roads::RoadGraph::router);
    let kmh = siaga_spatial::units::SpeedTable::default().kmh(unit.unit_type);
    let e = super::recommend::estimate(
        router.as_mut(),
        unit.vehicle,
        unit.position,
        to,
        &super::recommend::limits(state, kmh),
    );
    // The same rounding as the recommendation's plan, so the two agree on "meets the target".
    siaga_core::sla::eta_whole_seconds(e.travel_time_s)
}

/// Starts the crew's acknowledge and arrival clocks on the new assignment.
fn start_crew_clocks(
    state: &AppState,
    set: &mut ChangeSet,
    incident: &IncidentRow,
    assignment_id: &str,
    agency_id: &str,
) -> ApiResult<()> {
    let category: Category = parse_value(&incident.category)?;
    let priority: Priority = parse_value(&incident.priority)?;
    let policy = &state.config.dispatch.sla;
    let now = set.at;
    for kind in [SlaKind::Acknowledge, SlaKind::Arrival] {
        let target = policy.target_ms(kind, category, priority, AreaClass::Urban);
        let agency = Some(agency_id);
        common::start_clock(set, "assignment", assignment_id, kind, agency, now, target);
    }
    Ok(())
}

/// The crew's `assignment.created` and the unit's `unit.status`, for the unit's agency and its responder.
fn record_assignment(
    set: &mut ChangeSet,
    incident: &IncidentRow,
    unit: &UnitRow,
    assignment_id: &str,
    note: Option<&str>,
    planned_eta_s: Option<i64>,
) {
    let reach = Reach {
        agency_ids: Some(vec![unit.agency_id.clone()]),
        unit_id: Some(unit.id.clone()),
        region_code: incident.region_code.clone(),
    };
    let created = AssignmentCreated {
        assignment_id: assignment_id.to_owned(),
        incident_id: incident.id.clone(),
        incident_number: incident.number.clone(),
        unit_id: unit.id.clone(),
        call_sign: unit.call_sign.clone(),
        agency_id: unit.agency_id.clone(),
        status: "assigned".to_owned(),
        category: incident.category.clone(),
        priority: incident.priority.clone(),
        location: LonLat {
            lon: incident.lon,
            lat: incident.lat,
        },
        address: incident.address.clone(),
        victims: EventVictims {
            count: incident.victims_count,
            condition: incident.victim_condition.clone(),
        },
        note: note.map(str::to_owned),
        planned_eta_s,
        live: None,
    };
    set.event(DomainEvent::AssignmentCreated(created).to(&reach));
    let status = UnitStatusChanged {
        unit_id: unit.id.clone(),
        status: "assigned".to_owned(),
        call_sign: Some(unit.call_sign.clone()),
        from: None,
        by: None,
    };
    set.event(DomainEvent::UnitStatus(status).to(&reach));
}
