//! Reading incidents: the full view, the list, one incident (reading the reporter's identity is audited) and
//! the possible duplicates of a new report.

use super::file::{Reporter, VictimsBody};
use super::{check_visible, load};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::geo::RegionLink;
use crate::limits::Text;
use crate::service::common;
use crate::state::AppState;
use crate::store::{IncidentFilter, IncidentRow};
use crate::views::LonLat;
pub use crate::views::{AssignmentView, ClockView};
use serde::Serialize;
use siaga_core::incident::{
    Category, DuplicateProbe, ExistingIncident, VictimCondition, duplicate_candidates,
};
use siaga_core::position::Position;
use siaga_core::time::Timestamp;

/// An agency an incident was escalated to.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IncidentAgencyView {
    pub agency_id: String,
    pub agency_type: String,
    /// `escalated`, `verified` or `rejected`.
    pub status: String,
    /// `rejected`: why the OPD sent it back. Escalated by a call taker after filing (and verified since): the
    /// call taker's note.
    pub reason: Option<String>,
}

/// An incident.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IncidentView {
    pub id: String,
    /// Human number, e.g. `BTM-20261125-0007`.
    pub number: String,
    pub status: String,
    pub category: String,
    pub subcategory: Option<String>,
    pub priority: String,
    pub location: LonLat,
    pub accuracy_m: Option<f64>,
    pub address: Option<String>,
    pub region_code: Option<String>,
    pub region_chain: Vec<RegionLink>,
    pub agencies: Vec<IncidentAgencyView>,
    pub victims: VictimsBody,
    pub description: Option<String>,
    pub occurred_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub final_report: Option<String>,
    /// Why it was cancelled: `false_alarm`, `duplicate`, `caller_withdrew` or `handled_elsewhere`.
    pub cancel_reason: Option<String>,
    /// The canceller's note.
    pub cancel_note: Option<String>,
    pub cancelled_at: Option<i64>,
    /// The incident this one duplicates (cancelled as `duplicate`).
    pub duplicate_of: Option<IncidentLink>,
    /// The master this duplicate was merged into: its calls and assignments are there now, and screens
    /// showing this incident follow the link.
    pub merged_into: Option<IncidentLink>,
    /// Present only for roles that may see the caller's identity (and for a responder the dispatcher shared it
    /// with).
    pub reporter: Option<Reporter>,
    pub call_ids: Vec<String>,
    pub assignments: Vec<AssignmentView>,
    pub sla: Vec<ClockView>,
}

/// Another incident this one points to: its id and number.
#[derive(Serialize, utoipa::ToSchema)]
pub struct IncidentLink {
    pub id: String,
    /// Human number, e.g. `BTM-20261125-0007`.
    pub number: String,
}

/// A possible duplicate.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DuplicateView {
    pub incident_id: String,
    pub number: String,
    pub status: String,
    pub distance_m: f64,
    pub time_gap_ms: i64,
}

/// The full view of an incident as stored now (the reporter only `with_reporter`).
pub(crate) async fn view(
    state: &AppState,
    incident: IncidentRow,
    with_reporter: bool,
) -> ApiResult<IncidentView> {
    let agencies = state.store.incident_agencies(&incident.id).await?;
    let assignments = state.store.incident_assignments(&incident.id).await?;
    let sla = state.store.incident_clocks(&incident.id).await?;
    let call_ids = state.store.incident_call_ids(&incident.id).await?;
    let duplicate_of = link(state, incident.duplicate_of.as_deref()).await?;
    let merged_into = link(state, incident.merged_into.as_deref()).await?;
    let region_chain = incident
        .region_chain
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    let reporter = with_reporter.then(|| Reporter {
        name: incident.reporter_name.clone().map(Text::trusted),
        phone: incident.reporter_phone.clone().map(Text::trusted),
        address: incident.reporter_address.clone().map(Text::trusted),
        position: match (incident.reporter_lon, incident.reporter_lat) {
            (Some(lon), Some(lat)) => Some(LonLat { lon, lat }),
            _ => None,
        },
    });
    Ok(IncidentView {
        id: incident.id,
        number: incident.number,
        status: incident.status,
        category: incident.category,
        subcategory: incident.subcategory,
        priority: incident.priority,
        location: LonLat {
            lon: incident.lon,
            lat: incident.lat,
        },
        accuracy_m: incident.accuracy_m,
        address: incident.address,
        region_code: incident.region_code,
        region_chain,
        agencies: agencies
            .into_iter()
            .map(|a| IncidentAgencyView {
                agency_id: a.agency_id,
                agency_type: a.agency_type,
                status: a.status,
                reason: a.reason,
            })
            .collect(),
        victims: VictimsBody {
            count: u32::try_from(incident.victims_count).unwrap_or(0),
            condition: incident
                .victim_condition
                .parse()
                .unwrap_or(VictimCondition::Unknown),
        },
        description: incident.description,
        occurred_at: incident.occurred_at,
        created_at: incident.created_at,
        updated_at: incident.updated_at,
        resolved_at: incident.resolved_at,
        closed_at: incident.closed_at,
        final_report: incident.final_report,
        cancel_reason: incident.cancel_reason,
        cancel_note: incident.cancel_note,
        cancelled_at: incident.cancelled_at,
        duplicate_of,
        merged_into,
        reporter,
        call_ids,
        assignments: assignments.into_iter().map(AssignmentView::from).collect(),
        sla: sla.into_iter().map(ClockView::from).collect(),
    })
}

/// The id and number of the incident `id` names, if any.
async fn link(state: &AppState, id: Option<&str>) -> ApiResult<Option<IncidentLink>> {
    let Some(id) = id else { return Ok(None) };
    let other = load(state, id).await?;
    Ok(Some(IncidentLink {
        id: other.id,
        number: other.number,
    }))
}

/// The incident as it is now after a command of one who may see its reporter.
pub(crate) async fn reload(state: &AppState, id: &str) -> ApiResult<IncidentView> {
    view(state, load(state, id).await?, true).await
}

/// Incidents visible to the actor, newest first (a dispatcher sees those escalated to its OPD), without the
/// reporter: personal data is read one incident at a time, and audited.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    open_only: bool,
    mine: bool,
    limit: u32,
) -> ApiResult<Vec<IncidentView>> {
    let mut filter = scoped_filter(actor, open_only, None, i64::from(limit.clamp(1, 1000)));
    if mine {
        filter.created_by = Some(actor.user.id.clone());
    }
    let rows = state.store.list_incidents(&filter).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(view(state, r, false).await?);
    }
    Ok(out)
}

/// The incident numbered `number` as a one-element list (empty when there is none, or the actor may not see
/// it), without the reporter; a merged duplicate's number finds its master.
pub async fn find_by_number(
    state: &AppState,
    actor: &Actor,
    number: &str,
) -> ApiResult<Vec<IncidentView>> {
    let Some(id) = state.store.incident_id_by_number(number.trim()).await? else {
        return Ok(Vec::new());
    };
    let incident = load(state, &id).await?;
    let agencies = state.store.incident_agencies(&id).await?;
    if check_visible(state, actor, &incident, &agencies)
        .await
        .is_err()
    {
        return Ok(Vec::new());
    }
    Ok(vec![view(state, incident, false).await?])
}

/// The incidents in the actor's scope: of its region for a desk, those its OPD takes part in for an agency.
fn scoped_filter(actor: &Actor, open_only: bool, since: Option<i64>, limit: i64) -> IncidentFilter {
    let scope = actor.scope();
    IncidentFilter {
        agency_id: scope.agency().map(str::to_owned),
        region_scope: scope.region().map(str::to_owned),
        open_only,
        since,
        created_by: None,
        limit,
    }
}

/// One incident as the actor may see it; reading the reporter's identity is audited.
pub async fn get(state: &AppState, actor: &Actor, id: &str) -> ApiResult<IncidentView> {
    let incident = load(state, id).await?;
    let agencies = state.store.incident_agencies(id).await?;
    let with_reporter = check_visible(state, actor, &incident, &agencies).await?;
    let has_personal = incident.reporter_name.is_some() || incident.reporter_phone.is_some();
    if with_reporter && has_personal {
        let entry = common::audit(
            actor,
            state.now_ms(),
            "incident.read_personal",
            "incident",
            id,
            None,
            None,
        );
        state.store.append_audit(&entry).await?;
    }
    view(state, incident, with_reporter).await
}

/// Open incidents of the same category near a point and recent, visible to the actor: offered to link
/// instead of a new ticket.
pub async fn duplicates(
    state: &AppState,
    actor: &Actor,
    lon: f64,
    lat: f64,
    category: Category,
) -> ApiResult<Vec<DuplicateView>> {
    let position = Position::from_lon_lat(lon, lat)
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, e.to_string()).with_field("lon"))?;
    let now = state.now_ms();
    let window_ms = state.config.dispatch.duplicate_window_s * 1000;
    let rows = state
        .store
        .list_incidents(&scoped_filter(actor, true, Some(now - window_ms), 1000))
        .await?;
    let existing: Vec<ExistingIncident<usize>> = rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            Some(ExistingIncident {
                id: i,
                position: Position::from_lon_lat(r.lon, r.lat).ok()?,
                at: Timestamp(r.created_at),
                category: r.category.parse().ok()?,
            })
        })
        .collect();
    let probe = DuplicateProbe {
        position,
        at: Timestamp(now),
        category,
    };
    let radius_m = state.config.dispatch.duplicate_radius_m;
    Ok(duplicate_candidates(&probe, &existing, radius_m, window_ms)
        .into_iter()
        .filter_map(|c| {
            let r = rows.get(c.id)?;
            Some(DuplicateView {
                incident_id: r.id.clone(),
                number: r.number.clone(),
                status: r.status.clone(),
                distance_m: c.distance_m,
                time_gap_ms: c.time_gap_ms,
            })
        })
        .collect())
}
