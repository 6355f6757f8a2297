//! Incidents: filing one from an emergency call, the views of it (with the reporter-audit rule), duplicates
//! and linked calls, the OPD's decision, escalation to further OPDs, recommendations, assigning a unit and
//! closing with the final report.
//!
//! Layout: [`views`] reads (views, list, one incident, duplicates), [`recommend`] the units and facilities to
//! send, and one module per command: [`file`], [`decide`] (verify or reject), [`escalate`], [`assign`],
//! [`close`] and [`withdraw`] (cancel, merge a duplicate into its master). This file holds what they share: loading an incident, who may see it, who hears of it and what
//! its events say.
//!
//! Scope (`siaga_core::scope`): a desk sees the incidents of its region; an OPD's dispatchers see an incident
//! while it is escalated to their OPD and not sent back (an OPD that rejected it is no longer part of it: no
//! reading, closing, recommending or events until it is escalated to it again); a responder sees the incidents
//! its unit is assigned to. Lists filter the same way in SQL (`IncidentFilter`).
//!
//! Invariants: every command commits one `ChangeSet` guarded on the incident's status as read, so a concurrent
//! change fails it instead of being overwritten; events carry no reporter personal data.

pub mod assign;
pub mod close;
pub mod correct;
pub mod decide;
pub mod escalate;
pub mod file;
pub mod recommend;
pub mod views;
pub mod withdraw;

pub use assign::{CreateAssignmentRequest, create_assignment};
pub use close::{CloseRequest, close};
pub use correct::{CorrectIncidentRequest, correct};
pub use decide::{RejectRequest, reject, verify};
pub use escalate::{EscalateRequest, escalate};
pub use file::{
    CheckedIncident, CreateIncidentRequest, LinkCallRequest, Reporter, VictimsBody,
    check_new_incident, file, link_call,
};
pub(crate) use recommend::profile as road_profile;
pub use recommend::{
    EtaBasis, EtaFallback, FacilityRecommendation, RecommendationsView, RouteView, UnitExclusion,
    UnitRecommendation, recommendations, route,
};
pub use views::{
    AssignmentView, ClockView, DuplicateView, IncidentAgencyView, IncidentLink, IncidentView,
    duplicates, find_by_number, get, list,
};
pub use withdraw::{CancelRequest, MergeRequest, cancel, merge};

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::Reach;
use crate::events::incident::{EventIncidentAgency, EventVictims, IncidentSummary};
use crate::state::AppState;
use crate::store::{IncidentAgencyRow, IncidentRow, StoreError};
use crate::views::LonLat;
use siaga_core::assignment::AssignmentStatus;
use siaga_core::incident::IncidentStatus;
use siaga_core::role::Role;
use siaga_core::scope::agency_takes_part;
use siaga_core::transition::InvalidTransition;
use siaga_core::transition::Lifecycle;

/// Parses a value the store wrote; a failure is a server error (the row is corrupt), not the caller's.
pub(crate) fn parse_value<T: std::str::FromStr>(s: &str) -> ApiResult<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    s.parse::<T>().map_err(|e| ApiError::internal(e.into()))
}

/// 409 for a move the incident lifecycle does not allow, naming the moves it does.
fn refused(e: &InvalidTransition<IncidentStatus>) -> ApiError {
    ApiError::new(ErrorCode::InvalidTransition, e.to_string())
        .with_allowed(e.allowed.iter().map(|s| s.as_str().to_owned()).collect())
}

/// The statuses an incident in `from` may move to, for a refusal.
fn allowed_from(from: IncidentStatus) -> Vec<String> {
    from.allowed_next()
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect()
}

/// Who sees events about an incident: its agencies' dispatchers (and supervisors/call takers by region).
pub(crate) fn incident_audience(incident: &IncidentRow, agencies: &[String]) -> Reach {
    Reach {
        agency_ids: Some(agencies.to_vec()),
        unit_id: None,
        region_code: incident.region_code.clone(),
    }
}

/// The ids of the agencies taking part in an incident: those it is escalated to that did not send it back.
pub(crate) fn agency_ids(agencies: &[IncidentAgencyRow]) -> Vec<String> {
    agencies
        .iter()
        .filter(|a| agency_takes_part(&a.status))
        .map(|a| a.agency_id.clone())
        .collect()
}

/// An incident's agencies as events carry them.
pub(crate) fn event_agencies(agencies: &[IncidentAgencyRow]) -> Vec<EventIncidentAgency> {
    agencies
        .iter()
        .map(|a| EventIncidentAgency {
            agency_id: a.agency_id.clone(),
            agency_type: a.agency_type.clone(),
            status: a.status.clone(),
            reason: a.reason.clone(),
        })
        .collect()
}

/// What the `incident.*` events say of an incident once a change at `at` moved it to `status` and left its
/// agencies as `agencies`: everything the dispatcher's queue and the call taker's list show, so screens need
/// not read the incident back. No reporter personal data.
pub(crate) fn summary(
    i: &IncidentRow,
    status: &str,
    agencies: Vec<EventIncidentAgency>,
    at: i64,
) -> IncidentSummary {
    IncidentSummary {
        agency_ids: agencies.iter().map(|a| a.agency_id.clone()).collect(),
        agencies: Some(agencies),
        updated_at: Some(at),
        ..bare_summary(i, status, Vec::new())
    }
}

/// The summary without the agencies' states and the time of the change.
fn bare_summary(i: &IncidentRow, status: &str, agency_ids: Vec<String>) -> IncidentSummary {
    IncidentSummary {
        incident_id: i.id.clone(),
        number: Some(i.number.clone()),
        status: status.to_owned(),
        category: i.category.clone(),
        priority: i.priority.clone(),
        location: LonLat {
            lon: i.lon,
            lat: i.lat,
        },
        address: i.address.clone(),
        region_code: i.region_code.clone(),
        victims: EventVictims {
            count: i.victims_count,
            condition: i.victim_condition.clone(),
        },
        agency_ids,
        subcategory: i.subcategory.clone(),
        description: i.description.clone(),
        created_at: Some(i.created_at),
        updated_at: None,
        agencies: None,
        live: None,
    }
}

/// The statuses of an incident's assignments, as its lifecycle decides on them (rows with a status this
/// version does not know are left out).
pub(crate) async fn assignment_statuses(
    state: &AppState,
    incident_id: &str,
) -> ApiResult<Vec<AssignmentStatus>> {
    Ok(state
        .store
        .incident_assignments(incident_id)
        .await?
        .iter()
        .filter_map(|a| a.status.parse().ok())
        .collect())
}

/// The incident, or 404.
pub(crate) async fn load(state: &AppState, id: &str) -> ApiResult<IncidentRow> {
    state.store.get_incident(id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("incident"),
        other => other.into(),
    })
}

/// What the actor may see of an incident: `Ok(true)` with the reporter, `Ok(false)` without, or 403 (another
/// region, an OPD not taking part, a unit not assigned).
pub(crate) async fn check_visible(
    state: &AppState,
    actor: &Actor,
    incident: &IncidentRow,
    agencies: &[IncidentAgencyRow],
) -> ApiResult<bool> {
    actor.require_place(incident.region_code.as_deref())?;
    match actor.role {
        Role::CallTaker | Role::Supervisor | Role::Admin => Ok(true),
        Role::Integration => Err(ApiError::forbidden(
            "integration accounts register calls only",
        )),
        Role::Dispatcher => own_agency_row(actor, agencies).map(|_| true),
        Role::Responder => {
            let unit = actor.user.unit_id.as_deref().unwrap_or("");
            let mine: Vec<_> = state
                .store
                .incident_assignments(&incident.id)
                .await?
                .into_iter()
                .filter(|a| a.unit_id == unit)
                .collect();
            if mine.is_empty() {
                Err(ApiError::forbidden(
                    "your unit is not assigned to this incident",
                ))
            } else {
                Ok(mine.iter().any(|a| a.share_reporter))
            }
        }
    }
}

/// The dispatcher's own row among the incident's agencies, while its OPD takes part in the incident
/// (escalated to it and not sent back), or 403.
fn own_agency_row<'a>(
    actor: &Actor,
    agencies: &'a [IncidentAgencyRow],
) -> ApiResult<&'a IncidentAgencyRow> {
    let scope = actor.scope();
    let rows = || {
        agencies
            .iter()
            .map(|a| (a.agency_id.as_str(), a.status.as_str()))
    };
    let own = scope.agency().unwrap_or("");
    match agencies.iter().find(|a| a.agency_id == own) {
        Some(row) if scope.takes_part(rows()) => Ok(row),
        Some(row) if row.status == siaga_core::scope::AGENCY_WITHDRAWN => Err(ApiError::forbidden(
            "this incident was re-located into another OPD's area; it is no longer your agency's",
        )),
        Some(_) => Err(ApiError::forbidden(
            "your agency sent this incident back; it is no longer yours unless escalated to you again",
        )),
        None => Err(ApiError::forbidden(
            "this incident was not escalated to your agency",
        )),
    }
}
