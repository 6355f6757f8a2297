//! Incidents: filing (from a call), duplicates, escalation to the responsible OPDs, verification, unit
//! recommendations, assignment, and closing with a report.

use super::agencies::{LonLat, validate_lon_lat};
use super::error::{ApiError, ApiResult, ErrorCode};
use super::extract::{Actor, AppJson, AppQuery};
use crate::events::Reach;
use crate::geo::{Location, RegionLink};
use crate::service::common;
use crate::state::AppState;
use crate::store::{
    AssignmentRow, ChangeSet, IncidentAgencyRow, IncidentFilter, IncidentRow, SlaClockRow, Stmt,
    StoreError,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use siaga_core::agency::AgencyType;
use siaga_core::assignment::AssignmentStatus;
use siaga_core::incident::{
    AgencyTable, Category, DuplicateProbe, ExistingIncident, IncidentStatus, Priority,
    VictimCondition, Victims, duplicate_candidates,
};
use siaga_core::role::Role;
use siaga_core::sla::{AreaClass, SlaKind};
use siaga_core::time::{LocalDate, Timestamp};
use siaga_core::transition::Lifecycle;
use siaga_spatial::Position;
use siaga_spatial::units::UnitFilter;
use std::collections::BTreeSet;

/// The reporter (personal data: shown to call takers, dispatchers and supervisors; reading it is audited).
#[derive(Serialize, Deserialize, utoipa::ToSchema, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct Reporter {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub position: Option<LonLat>,
}

/// Victims.
#[derive(Serialize, Deserialize, utoipa::ToSchema, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct VictimsBody {
    pub count: u32,
    pub condition: VictimCondition,
}

/// A new incident ticket, following the SOP fields.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIncidentRequest {
    /// The emergency call it comes from.
    pub call_id: Option<String>,
    pub category: Category,
    pub subcategory: Option<String>,
    pub priority: Priority,
    pub location: LonLat,
    /// Location uncertainty in metres.
    pub accuracy_m: Option<f64>,
    pub address: Option<String>,
    pub reporter: Option<Reporter>,
    pub victims: VictimsBody,
    pub description: Option<String>,
    /// When it happened (ms), if the caller knows.
    pub occurred_at: Option<i64>,
}

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

/// An SLA clock.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClockView {
    pub kind: String,
    pub subject_type: String,
    pub subject_id: String,
    pub started_at: i64,
    pub due_at: i64,
    pub stopped_at: Option<i64>,
    pub breached_at: Option<i64>,
}

impl From<SlaClockRow> for ClockView {
    fn from(c: SlaClockRow) -> Self {
        ClockView {
            kind: c.kind,
            subject_type: c.subject_type,
            subject_id: c.subject_id,
            started_at: c.started_at,
            due_at: c.due_at,
            stopped_at: c.stopped_at,
            breached_at: c.breached_at,
        }
    }
}

/// An assignment of a unit to an incident.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AssignmentView {
    pub id: String,
    pub incident_id: String,
    pub unit_id: String,
    pub agency_id: String,
    pub status: String,
    pub assigned_at: i64,
    pub acknowledged_at: Option<i64>,
    pub en_route_at: Option<i64>,
    pub on_scene_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub declined_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub reason: Option<String>,
    pub note: Option<String>,
}

impl From<AssignmentRow> for AssignmentView {
    fn from(a: AssignmentRow) -> Self {
        AssignmentView {
            id: a.id,
            incident_id: a.incident_id,
            unit_id: a.unit_id,
            agency_id: a.agency_id,
            status: a.status,
            assigned_at: a.assigned_at,
            acknowledged_at: a.acknowledged_at,
            en_route_at: a.en_route_at,
            on_scene_at: a.on_scene_at,
            resolved_at: a.resolved_at,
            declined_at: a.declined_at,
            cancelled_at: a.cancelled_at,
            reason: a.reason,
            note: a.note,
        }
    }
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
    /// Present only for roles that may see the caller's identity (and for a responder the dispatcher shared it
    /// with).
    pub reporter: Option<Reporter>,
    pub call_ids: Vec<String>,
    pub assignments: Vec<AssignmentView>,
    pub sla: Vec<ClockView>,
}

/// Query of [`list_incidents`].
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IncidentQuery {
    /// Only open incidents (default true).
    pub open: Option<bool>,
    pub limit: Option<u32>,
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

/// A possible duplicate.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DuplicateView {
    pub incident_id: String,
    pub number: String,
    pub status: String,
    pub distance_m: f64,
    pub time_gap_ms: i64,
}

/// A call to link to an existing incident.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkCallRequest {
    pub call_id: String,
}

/// Why an OPD sends an incident back.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    pub reason: String,
}

/// Agencies (OPD) to escalate an incident to, by a call taker or supervisor.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateRequest {
    /// 1 to 10 agency ids: new ones, or ones that sent the incident back.
    pub agency_ids: Vec<String>,
    /// What changed since, for the dispatchers (e.g. the corrected location); up to 500 characters.
    pub note: Option<String>,
}

/// The final report.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    pub report: String,
}

/// A unit to send.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAssignmentRequest {
    pub unit_id: String,
    pub note: Option<String>,
    /// Let the crew see the reporter's identity.
    #[serde(default)]
    pub share_reporter: bool,
}

/// A recommended unit.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitRecommendation {
    pub unit_id: String,
    pub call_sign: String,
    pub unit_type: String,
    pub agency_id: String,
    /// Great-circle distance in metres.
    pub distance_m: f64,
    /// Estimated travel time in seconds at the unit type's configured speed.
    pub eta_s: f64,
}

/// A unit that was not recommended, and why.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitExclusion {
    pub unit_id: String,
    pub call_sign: String,
    pub distance_m: f64,
    /// `busy`, `out_of_service`, `wrong_type`, `other_agency` or `stale_position`.
    pub reason: String,
}

/// A nearby health facility.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FacilityRecommendation {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub position: LonLat,
    pub distance_m: f64,
}

/// What to send.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RecommendationsView {
    pub units: Vec<UnitRecommendation>,
    pub excluded: Vec<UnitExclusion>,
    pub facilities: Vec<FacilityRecommendation>,
}

/// Time zone offset of a region's `time_zone` (Indonesia has no daylight saving).
fn utc_offset_minutes(zone: &str) -> i32 {
    match zone {
        "Asia/Makassar" => siaga_core::time::WITA_OFFSET_MINUTES,
        "Asia/Jayapura" => siaga_core::time::WIT_OFFSET_MINUTES,
        _ => siaga_core::time::WIB_OFFSET_MINUTES,
    }
}

pub(crate) fn parse_value<T: std::str::FromStr>(s: &str) -> ApiResult<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    s.parse::<T>().map_err(|e| ApiError::internal(e.into()))
}

/// Who sees events about an incident: its agencies' dispatchers (and supervisors/call takers by region).
pub(crate) fn incident_audience(incident: &IncidentRow, agencies: &[String]) -> Reach {
    Reach {
        agency_ids: Some(agencies.to_vec()),
        unit_id: None,
        region_code: incident.region_code.clone(),
    }
}

/// The guarded move of an incident from `from` to `to` (a concurrent change makes the whole change set fail).
fn status_change(id: &str, from: IncidentStatus, to: IncidentStatus, now: i64) -> Stmt {
    Stmt::new("UPDATE incidents SET status = $2, updated_at = $3 WHERE id = $1 AND status = $4")
        .text(id)
        .text(to.as_str())
        .int(now)
        .text(from.as_str())
        .expect(1)
}

/// The event payload of an incident: no personal data, since events fan out widely.
pub(crate) fn incident_payload(
    i: &IncidentRow,
    status: &str,
    agencies: &[String],
) -> serde_json::Value {
    json!({
        "incident_id": i.id, "number": i.number, "status": status, "category": i.category,
        "priority": i.priority, "location": {"lon": i.lon, "lat": i.lat}, "address": i.address,
        "region_code": i.region_code, "victims": {"count": i.victims_count, "condition": i.victim_condition},
        "agency_ids": agencies,
    })
}

async fn load_incident(state: &AppState, id: &str) -> ApiResult<IncidentRow> {
    state.store.get_incident(id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("incident"),
        other => other.into(),
    })
}

/// What the actor may see of an incident: `Ok(true)` with the reporter, `Ok(false)` without, or 403.
async fn check_visible(
    state: &AppState,
    actor: &Actor,
    incident: &IncidentRow,
    agencies: &[IncidentAgencyRow],
) -> ApiResult<bool> {
    if let Some(code) = incident.region_code.as_deref() {
        actor.require_region(code)?;
    }
    match actor.role {
        Role::CallTaker | Role::Supervisor | Role::Admin => Ok(true),
        Role::Integration => Err(ApiError::forbidden(
            "integration accounts register calls only",
        )),
        Role::Dispatcher => {
            let own = actor.user.agency_id.as_deref().unwrap_or("");
            if agencies.iter().any(|a| a.agency_id == own) {
                Ok(true)
            } else {
                Err(ApiError::forbidden(
                    "this incident was not escalated to your agency",
                ))
            }
        }
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

async fn incident_view(
    state: &AppState,
    incident: IncidentRow,
    with_reporter: bool,
) -> ApiResult<IncidentView> {
    let agencies = state.store.incident_agencies(&incident.id).await?;
    let assignments = state.store.incident_assignments(&incident.id).await?;
    let mut sla = state.store.subject_clocks("incident", &incident.id).await?;
    for a in &assignments {
        sla.extend(state.store.subject_clocks("assignment", &a.id).await?);
    }
    let call_ids = state.store.incident_call_ids(&incident.id).await?;
    let region_chain = incident
        .region_chain
        .as_deref()
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    let reporter = with_reporter.then(|| Reporter {
        name: incident.reporter_name.clone(),
        phone: incident.reporter_phone.clone(),
        address: incident.reporter_address.clone(),
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
        reporter,
        call_ids,
        assignments: assignments.into_iter().map(AssignmentView::from).collect(),
        sla: sla.into_iter().map(ClockView::from).collect(),
    })
}

/// The fields of a [`CreateIncidentRequest`] that are checked on their own.
#[derive(Debug)]
pub struct CheckedIncident {
    /// The incident's location.
    pub position: Position,
    pub subcategory: Option<siaga_core::incident::Subcategory>,
}

/// Checks a new incident's fields on their own (no database): positions, accuracy, victims, subcategory.
///
/// # Errors
///
/// 422 naming the field at fault, e.g. `location.lat` or `victims.count`.
pub fn check_new_incident(req: &CreateIncidentRequest) -> ApiResult<CheckedIncident> {
    validate_lon_lat(req.location, "location")?;
    if let Some(p) = req.reporter.as_ref().and_then(|r| r.position) {
        validate_lon_lat(p, "reporter.position")?;
    }
    if let Some(a) = req.accuracy_m
        && !(a.is_finite() && a >= 0.0)
    {
        return Err(ApiError::validation(
            "accuracy_m",
            "accuracy_m must be a non-negative number",
        ));
    }
    if req.victims.count > 100_000 {
        return Err(ApiError::validation(
            "victims.count",
            "victims.count is implausibly large",
        ));
    }
    let subcategory = req
        .subcategory
        .as_deref()
        .map(siaga_core::incident::Subcategory::parse)
        .transpose()
        .map_err(|_| ApiError::validation("subcategory", "subcategory must be 1-64 characters"))?;
    let position = Position::from_lon_lat(req.location.lon, req.location.lat)
        .map_err(|e| ApiError::validation("location", e.to_string()))?;
    Ok(CheckedIncident {
        position,
        subcategory,
    })
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
    let CheckedIncident {
        position,
        subcategory,
    } = check_new_incident(&req)?;
    let now = state.now_ms();
    let call = match req.call_id.as_deref() {
        Some(call_id) => {
            let call = state.store.get_call(call_id).await.map_err(|e| match e {
                StoreError::NotFound => ApiError::validation("call_id", "no such call"),
                other => other.into(),
            })?;
            if call.class.as_deref() != Some("emergency") {
                return Err(ApiError::new(
                    ErrorCode::InvalidTransition,
                    "only a call classified as emergency becomes an incident",
                )
                .with_field("call_id"));
            }
            if call.incident_id.is_some() {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    "this call is already linked to an incident",
                )
                .with_field("call_id"));
            }
            Some(call)
        }
        None => None,
    };
    let location: Location = state.geo.locate(position);
    let victims = Victims {
        count: req.victims.count,
        condition: req.victims.condition,
    };
    // Escalate to the responsible OPD of each agency type the category needs.
    let mut escalate: Vec<(AgencyType, String)> = Vec::new();
    for t in AgencyTable::defaults().agencies_for(req.category, victims) {
        if let Some(id) = location.agencies.get(t.as_str())
            && !escalate.iter().any(|(_, a)| a == id)
        {
            escalate.push((t, id.clone()));
        }
    }
    let regency = location.regency_code().map(str::to_owned);
    let (prefix, zone) = match regency.as_deref() {
        Some(code) => state
            .store
            .region_prefix_and_zone(code)
            .await?
            .unwrap_or((None, "Asia/Jakarta".into())),
        None => (None, "Asia/Jakarta".into()),
    };
    let prefix = prefix.unwrap_or_else(|| "SGA".to_owned());
    let day = LocalDate::of_timestamp(Timestamp(now), utc_offset_minutes(&zone)).to_compact();
    let status = if escalate.is_empty() {
        IncidentStatus::New
    } else {
        IncidentStatus::Escalated
    };
    let id = uuid::Uuid::now_v7().to_string();
    let reporter = req.reporter.clone().unwrap_or_default();
    let chain_json =
        serde_json::to_string(&location.region_chain).map_err(|e| ApiError::internal(e.into()))?;
    let mut set = ChangeSet::new(now);
    set.number = Some((prefix, day));
    set.push(
        Stmt::new(
            "INSERT INTO incidents (id, number, status, category, subcategory, priority, reporter_name, \
             reporter_phone, reporter_address, reporter_lon, reporter_lat, lon, lat, accuracy_m, address, \
             region_code, region_chain, victims_count, victim_condition, description, occurred_at, created_by, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
             $16, $17, $18, $19, $20, $21, $22, $23, $23)",
        )
        .text(&id)
        .arg(crate::store::Arg::Number)
        .text(status.as_str())
        .text(req.category.as_str())
        .opt_text(subcategory.map(|s| s.as_str().to_owned()))
        .text(req.priority.as_str())
        .opt_text(reporter.name.clone())
        .opt_text(reporter.phone.clone())
        .opt_text(reporter.address.clone())
        .opt_float(reporter.position.map(|p| p.lon))
        .opt_float(reporter.position.map(|p| p.lat))
        .float(req.location.lon)
        .float(req.location.lat)
        .opt_float(req.accuracy_m)
        .opt_text(req.address.clone())
        .opt_text(location.region_code().map(str::to_owned))
        .text(chain_json)
        .int(i64::from(req.victims.count))
        .text(req.victims.condition.as_str())
        .opt_text(req.description.clone())
        .opt_int(req.occurred_at)
        .text(&actor.user.id)
        .int(now),
    );
    for (t, agency_id) in &escalate {
        set.push(
            Stmt::new(
                "INSERT INTO incident_agencies (incident_id, agency_id, agency_type, status, escalated_at) \
                 VALUES ($1, $2, $3, 'escalated', $4)",
            )
            .text(&id)
            .text(agency_id)
            .text(t.as_str())
            .int(now),
        );
    }
    let policy = &state.config.dispatch.sla;
    let target = |kind| policy.target_ms(kind, req.category, req.priority, AreaClass::Urban);
    if let Some(call) = &call {
        link_call_stmts(&mut set, &id, &call.id, now);
        // Answer → escalation: measured now, at filing, from the moment the call was answered.
        if let (Some(answered), false) = (call.answered_at, escalate.is_empty()) {
            let target_ms = target(SlaKind::Escalation);
            let breached = (now - answered > target_ms).then_some(now);
            set.push(
                Stmt::new(
                    "INSERT INTO sla_clocks (id, subject_type, subject_id, kind, started_at, target_ms, due_at, \
                     stopped_at, breached_at) VALUES ($1, 'incident', $2, 'escalation', $3, $4, $5, $6, $7)",
                )
                .text(uuid::Uuid::now_v7().to_string())
                .text(&id)
                .int(answered)
                .int(target_ms)
                .int(answered + target_ms)
                .int(now)
                .opt_int(breached),
            );
        }
    }
    if !escalate.is_empty() {
        common::start_clock(
            &mut set,
            "incident",
            &id,
            SlaKind::Dispatch,
            None,
            now,
            target(SlaKind::Dispatch),
        );
    }
    common::start_clock(
        &mut set,
        "incident",
        &id,
        SlaKind::Resolution,
        None,
        now,
        target(SlaKind::Resolution),
    );
    let agency_ids: Vec<String> = escalate.iter().map(|(_, a)| a.clone()).collect();
    let audience = Reach {
        agency_ids: Some(agency_ids.clone()),
        unit_id: None,
        region_code: location.region_code().map(str::to_owned),
    };
    let payload = json!({
        "incident_id": id, "status": status, "category": req.category, "priority": req.priority,
        "location": req.location, "address": req.address, "region_code": location.region_code(),
        "victims": req.victims, "agency_ids": agency_ids,
    });
    set.event(common::event(
        "incident.created",
        &audience,
        payload.clone(),
    ));
    if !escalate.is_empty() {
        set.event(common::event("incident.escalated", &audience, payload));
    }
    set.audit(common::audit(
        &actor,
        now,
        "incident.create",
        "incident",
        &id,
        None,
        None,
    ));
    let committed = state.store.commit(set).await?;
    let incident = state.store.get_incident(&id).await?;
    tracing::info!(incident.id = %id, incident.number = committed.number.as_deref().unwrap_or(""),
        agencies = escalate.len(), "incident filed");
    Ok((
        StatusCode::CREATED,
        Json(incident_view(&state, incident, true).await?),
    ))
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
    let filter = IncidentFilter {
        agency_id: actor.agency_scope().map(str::to_owned),
        region_scope: actor.user.region_code.clone(),
        open_only: q.open.unwrap_or(true),
        since: None,
        limit: i64::from(q.limit.unwrap_or(200).clamp(1, 1000)),
    };
    let rows = state.store.list_incidents(&filter).await?;
    let mut out = Vec::with_capacity(rows.len());
    // Lists leave the reporter out: personal data is read one incident at a time, and audited.
    for r in rows {
        out.push(incident_view(&state, r, false).await?);
    }
    Ok(Json(out))
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
    let incident = load_incident(&state, &id).await?;
    let agencies = state.store.incident_agencies(&id).await?;
    let with_reporter = check_visible(&state, &actor, &incident, &agencies).await?;
    let has_personal = incident.reporter_name.is_some() || incident.reporter_phone.is_some();
    if with_reporter && has_personal {
        state
            .store
            .append_audit(&common::audit(
                &actor,
                state.now_ms(),
                "incident.read_personal",
                "incident",
                &id,
                None,
                None,
            ))
            .await?;
    }
    Ok(Json(incident_view(&state, incident, with_reporter).await?))
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
    let position = Position::from_lon_lat(q.lon, q.lat)
        .map_err(|e| ApiError::new(ErrorCode::BadRequest, e.to_string()).with_field("lon"))?;
    let now = state.now_ms();
    let window_ms = state.config.dispatch.duplicate_window_s * 1000;
    let rows = state
        .store
        .list_incidents(&IncidentFilter {
            agency_id: actor.agency_scope().map(str::to_owned),
            region_scope: actor.user.region_code.clone(),
            open_only: true,
            since: Some(now - window_ms),
            limit: 1000,
        })
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
        category: q.category,
    };
    let found = duplicate_candidates(
        &probe,
        &existing,
        state.config.dispatch.duplicate_radius_m,
        window_ms,
    );
    Ok(Json(
        found
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
            .collect(),
    ))
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
    let incident = load_incident(&state, &id).await?;
    if let Some(code) = incident.region_code.as_deref() {
        actor.require_region(code)?;
    }
    let call = state
        .store
        .get_call(&req.call_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::validation("call_id", "no such call"),
            other => other.into(),
        })?;
    if call.incident_id.is_some() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "this call is already linked to an incident",
        )
        .with_field("call_id"));
    }
    let now = state.now_ms();
    let agencies: Vec<String> = state
        .store
        .incident_agencies(&id)
        .await?
        .into_iter()
        .map(|a| a.agency_id)
        .collect();
    let mut set = ChangeSet::new(now);
    link_call_stmts(&mut set, &id, &call.id, now);
    set.event(common::event(
        "incident.updated",
        &incident_audience(&incident, &agencies),
        json!({"incident_id": id, "linked_call_id": call.id, "status": incident.status}),
    ));
    set.audit(common::audit(
        &actor,
        now,
        "incident.link_call",
        "incident",
        &id,
        None,
        Some(json!({"call_id": call.id})),
    ));
    state.store.commit(set).await?;
    Ok(Json(
        incident_view(&state, load_incident(&state, &id).await?, true).await?,
    ))
}

/// Links a call to an incident; the guard refuses a call that another request linked first.
fn link_call_stmts(set: &mut ChangeSet, incident_id: &str, call_id: &str, now: i64) {
    set.push(
        Stmt::new(
            "INSERT INTO incident_calls (incident_id, call_id, linked_at) VALUES ($1, $2, $3)",
        )
        .text(incident_id)
        .text(call_id)
        .int(now),
    );
    set.push(
        Stmt::new(
            "UPDATE calls SET incident_id = $2, updated_at = $3 WHERE id = $1 AND incident_id IS NULL",
        )
        .text(call_id)
        .text(incident_id)
        .int(now)
        .expect(1),
    );
}

/// The dispatcher's own row among the incident's agencies, or 403.
fn own_agency_row<'a>(
    actor: &Actor,
    agencies: &'a [IncidentAgencyRow],
) -> ApiResult<&'a IncidentAgencyRow> {
    let own = actor.user.agency_id.as_deref().unwrap_or("");
    agencies
        .iter()
        .find(|a| a.agency_id == own)
        .ok_or_else(|| ApiError::forbidden("this incident was not escalated to your agency"))
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
    decide(&state, &actor, &id, None).await
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
    if req.reason.trim().is_empty() {
        return Err(ApiError::validation("reason", "a reason is required"));
    }
    decide(&state, &actor, &id, Some(req.reason.trim().to_owned())).await
}

async fn decide(
    state: &AppState,
    actor: &Actor,
    id: &str,
    reject: Option<String>,
) -> ApiResult<Json<IncidentView>> {
    actor.require(&[Role::Dispatcher])?;
    let incident = load_incident(state, id).await?;
    let agencies = state.store.incident_agencies(id).await?;
    let row = own_agency_row(actor, &agencies)?;
    if row.status != "escalated" {
        return Err(ApiError::new(
            ErrorCode::InvalidTransition,
            format!("your agency already {} this incident", row.status),
        )
        .with_allowed(Vec::new()));
    }
    let from: IncidentStatus = parse_value(&incident.status)?;
    let now = state.now_ms();
    let (agency_status, action) = match reject {
        Some(_) => ("rejected", "incident.reject"),
        None => ("verified", "incident.verify"),
    };
    // The incident is rejected only when every agency sent it back; verified when the first accepts.
    let others_open = agencies
        .iter()
        .any(|a| a.agency_id != row.agency_id && a.status != "rejected");
    let to = match (agency_status, from) {
        ("verified", IncidentStatus::Escalated) => Some(IncidentStatus::Verified),
        ("rejected", IncidentStatus::Escalated) if !others_open => Some(IncidentStatus::Rejected),
        _ => None,
    };
    if let Some(to) = to {
        from.transition(to).map_err(|e| {
            ApiError::new(ErrorCode::InvalidTransition, e.to_string())
                .with_allowed(e.allowed.iter().map(|s| s.as_str().to_owned()).collect())
        })?;
    }
    let mut set = ChangeSet::new(now);
    set.push(
        Stmt::new(
            "UPDATE incident_agencies SET status = $3, decided_at = $4, decided_by = $5, \
             reason = COALESCE($6, reason) WHERE incident_id = $1 AND agency_id = $2 AND status = 'escalated'",
        )
        .text(id)
        .text(&row.agency_id)
        .text(agency_status)
        .int(now)
        .text(&actor.user.id)
        .opt_text(reject.clone())
        .expect(1),
    );
    let new_status = to.map_or(incident.status.clone(), |t| t.as_str().to_owned());
    if let Some(to) = to {
        set.push(status_change(id, from, to, now));
    }
    let ids: Vec<String> = agencies.iter().map(|a| a.agency_id.clone()).collect();
    let mut payload = incident_payload(&incident, &new_status, &ids);
    payload["agency_id"] = json!(row.agency_id);
    payload["decision"] = json!(agency_status);
    payload["reason"] = json!(reject);
    set.event(common::event(
        "incident.updated",
        &incident_audience(&incident, &ids),
        payload,
    ));
    set.audit(common::audit(
        actor,
        now,
        action,
        "incident",
        id,
        Some(json!({"status": incident.status})),
        Some(json!({"status": new_status, "agency_id": row.agency_id, "reason": reject})),
    ));
    state.store.commit(set).await?;
    Ok(Json(
        incident_view(state, load_incident(state, id).await?, true).await?,
    ))
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
    let mut wanted: Vec<&str> = req.agency_ids.iter().map(|a| a.trim()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    if wanted.is_empty() || wanted.len() > 10 || wanted.iter().any(|a| a.is_empty()) {
        return Err(ApiError::validation(
            "agency_ids",
            "name 1 to 10 agencies (OPD) by id",
        ));
    }
    let note = req.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        return Err(ApiError::validation(
            "note",
            "note is at most 500 characters",
        ));
    }
    let incident = load_incident(&state, &id).await?;
    let agencies = state.store.incident_agencies(&id).await?;
    check_visible(&state, &actor, &incident, &agencies).await?;
    let from: IncidentStatus = parse_value(&incident.status)?;
    let to = match from {
        IncidentStatus::New | IncidentStatus::Rejected => IncidentStatus::Escalated,
        other => other,
    };
    if to != from {
        from.transition(to).map_err(|e| {
            ApiError::new(ErrorCode::InvalidTransition, e.to_string())
                .with_allowed(e.allowed.iter().map(|s| s.as_str().to_owned()).collect())
        })?;
    } else if !matches!(
        from,
        IncidentStatus::Escalated | IncidentStatus::Verified | IncidentStatus::Dispatched
    ) {
        return Err(ApiError::new(
            ErrorCode::InvalidTransition,
            format!("a {from} incident is not escalated any more"),
        )
        .with_allowed(Vec::new()));
    }
    let now = state.now_ms();
    let mut set = ChangeSet::new(now);
    for agency_id in &wanted {
        let agency = state
            .store
            .get_agency(agency_id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => {
                    ApiError::validation("agency_ids", format!("no agency with id {agency_id}"))
                }
                other => other.into(),
            })?;
        match agencies.iter().find(|a| a.agency_id == *agency_id) {
            Some(a) if a.status == "rejected" => set.push(
                Stmt::new(
                    "UPDATE incident_agencies SET status = 'escalated', escalated_at = $3, decided_at = NULL, \
                     decided_by = NULL, reason = $4 WHERE incident_id = $1 AND agency_id = $2 \
                     AND status = 'rejected'",
                )
                .text(&id)
                .text(*agency_id)
                .int(now)
                .opt_text(note)
                .expect(1),
            ),
            Some(a) => {
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    format!("{} already has this incident ({})", agency.code, a.status),
                )
                .with_field("agency_ids"));
            }
            None => set.push(
                Stmt::new(
                    "INSERT INTO incident_agencies (incident_id, agency_id, agency_type, status, escalated_at, \
                     reason) VALUES ($1, $2, $3, 'escalated', $4, $5)",
                )
                .text(&id)
                .text(*agency_id)
                .text(&agency.agency_type)
                .int(now)
                .opt_text(note),
            ),
        };
    }
    if to != from {
        set.push(status_change(&id, from, to, now));
    }
    let category: Category = parse_value(&incident.category)?;
    let priority: Priority = parse_value(&incident.priority)?;
    // Started at filing when an OPD was responsible then (kept running); started now otherwise.
    common::start_clock(
        &mut set,
        "incident",
        &id,
        SlaKind::Dispatch,
        None,
        now,
        state.config.dispatch.sla.target_ms(
            SlaKind::Dispatch,
            category,
            priority,
            AreaClass::Urban,
        ),
    );
    let all: Vec<String> = agencies
        .iter()
        .map(|a| a.agency_id.clone())
        .chain(wanted.iter().map(|a| (*a).to_owned()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let added: Vec<String> = wanted.iter().map(|a| (*a).to_owned()).collect();
    let mut payload = incident_payload(&incident, to.as_str(), &all);
    payload["escalated_to"] = json!(added);
    payload["note"] = json!(note);
    set.event(common::event(
        "incident.escalated",
        &incident_audience(&incident, &all),
        payload,
    ));
    set.audit(common::audit(
        &actor,
        now,
        "incident.escalate",
        "incident",
        &id,
        Some(json!({"status": incident.status})),
        Some(json!({"status": to, "escalated_to": added, "note": note})),
    ));
    state.store.commit(set).await?;
    Ok(Json(
        incident_view(&state, load_incident(&state, &id).await?, true).await?,
    ))
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
    let incident = load_incident(&state, &id).await?;
    let agencies = state.store.incident_agencies(&id).await?;
    check_visible(&state, &actor, &incident, &agencies).await?;
    let allowed: BTreeSet<String> = match actor.agency_scope() {
        Some(own) => [own.to_owned()].into(),
        None => agencies.iter().map(|a| a.agency_id.clone()).collect(),
    };
    let p = Position::from_lon_lat(incident.lon, incident.lat)
        .map_err(|e| ApiError::internal(e.into()))?;
    let found = state.geo.nearest_units(
        p,
        5,
        UnitFilter {
            unit_type: None,
            agency_ids: Some(allowed),
        },
        Timestamp(state.now_ms()),
    );
    // Call signs of the few units named only: reading the whole fleet here cost a full table scan per
    // request (10 000 units: most of the request's time).
    let mut call_signs: std::collections::HashMap<String, String> =
        std::collections::HashMap::new();
    let named = found
        .candidates
        .iter()
        .map(|c| &c.unit_id)
        .chain(found.excluded.iter().map(|e| &e.unit_id));
    for uid in named {
        if call_signs.contains_key(uid) {
            continue;
        }
        match state.store.get_unit(uid).await {
            Ok(u) => {
                call_signs.insert(uid.clone(), u.call_sign);
            }
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let call_sign = |uid: &str| call_signs.get(uid).cloned().unwrap_or_default();
    let facilities = state
        .geo
        .nearest_facilities(p, 3, Some(siaga_spatial::Capability::Igd24h))
        .into_iter()
        .map(|(f, d)| FacilityRecommendation {
            id: f.id,
            name: f.name,
            kind: serde_json::to_value(f.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            position: LonLat {
                lon: f.position.lon(),
                lat: f.position.lat(),
            },
            distance_m: d,
        })
        .collect();
    Ok(Json(RecommendationsView {
        units: found
            .candidates
            .iter()
            .map(|c| UnitRecommendation {
                call_sign: call_sign(&c.unit_id),
                unit_id: c.unit_id.clone(),
                unit_type: c.unit_type.as_str().to_owned(),
                agency_id: c.agency_id.clone(),
                distance_m: c.distance_m,
                eta_s: c.eta_s,
            })
            .collect(),
        excluded: found
            .excluded
            .iter()
            .filter(|e| {
                !matches!(
                    e.reason,
                    siaga_spatial::units::ExclusionReason::OtherAgency { .. }
                )
            })
            .map(|e| UnitExclusion {
                call_sign: call_sign(&e.unit_id),
                unit_id: e.unit_id.clone(),
                distance_m: e.distance_m,
                reason: serde_json::to_value(&e.reason)
                    .ok()
                    .and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_owned))
                    .unwrap_or_default(),
            })
            .collect(),
        facilities,
    }))
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
    let incident = load_incident(&state, &id).await?;
    let agencies = state.store.incident_agencies(&id).await?;
    let row = own_agency_row(&actor, &agencies)?;
    if row.status == "rejected" {
        return Err(ApiError::new(
            ErrorCode::InvalidTransition,
            "your agency rejected this incident",
        ));
    }
    let unit = state
        .store
        .get_unit(&req.unit_id)
        .await
        .map_err(|e| match e {
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
    let from: IncidentStatus = parse_value(&incident.status)?;
    let existing = state.store.incident_assignments(&id).await?;
    let mut statuses: Vec<AssignmentStatus> = existing
        .iter()
        .filter_map(|a| a.status.parse().ok())
        .collect();
    statuses.push(AssignmentStatus::Assigned);
    // Assigning implies the OPD accepted it: escalated → verified → dispatched.
    let mut path = Vec::new();
    let mut current = from;
    if current == IncidentStatus::Escalated {
        path.push(IncidentStatus::Verified);
        current = IncidentStatus::Verified;
    }
    if let Some(next) = current.follow_assignments(&statuses) {
        path.push(next);
        current = next;
    }
    if !matches!(current, IncidentStatus::Dispatched) {
        return Err(ApiError::new(
            ErrorCode::InvalidTransition,
            format!("a {from} incident cannot be dispatched"),
        )
        .with_allowed(
            from.allowed_next()
                .iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
        ));
    }
    let now = state.now_ms();
    let assignment_id = uuid::Uuid::now_v7().to_string();
    let mut set = ChangeSet::new(now);
    set.push(crate::store::units::set_status(
        &unit.id,
        Some("available"),
        "assigned",
        now,
    ));
    set.push(
        Stmt::new(
            "INSERT INTO assignments (id, incident_id, unit_id, agency_id, status, assigned_by, assigned_at, note, \
             share_reporter, updated_at) VALUES ($1, $2, $3, $4, 'assigned', $5, $6, $7, $8, $6)",
        )
        .text(&assignment_id)
        .text(&id)
        .text(&unit.id)
        .text(&unit.agency_id)
        .text(&actor.user.id)
        .int(now)
        .opt_text(req.note.clone())
        .boolean(req.share_reporter),
    );
    if row.status == "escalated" {
        set.push(
            Stmt::new(
                "UPDATE incident_agencies SET status = 'verified', decided_at = $3, decided_by = $4 \
                 WHERE incident_id = $1 AND agency_id = $2 AND status = 'escalated'",
            )
            .text(&id)
            .text(&row.agency_id)
            .int(now)
            .text(&actor.user.id),
        );
    }
    set.push(status_change(&id, from, current, now));
    let ids: Vec<String> = agencies.iter().map(|a| a.agency_id.clone()).collect();
    let audience = incident_audience(&incident, &ids);
    let clocks = state.store.subject_clocks("incident", &id).await?;
    common::stop_clocks(&mut set, &clocks, &[SlaKind::Dispatch], now, &audience);
    let category: Category = parse_value(&incident.category)?;
    let priority: Priority = parse_value(&incident.priority)?;
    let policy = &state.config.dispatch.sla;
    for kind in [SlaKind::Acknowledge, SlaKind::Arrival] {
        let target = policy.target_ms(kind, category, priority, AreaClass::Urban);
        common::start_clock(
            &mut set,
            "assignment",
            &assignment_id,
            kind,
            Some(&unit.agency_id),
            now,
            target,
        );
    }
    let unit_audience = Reach {
        agency_ids: Some(vec![unit.agency_id.clone()]),
        unit_id: Some(unit.id.clone()),
        region_code: incident.region_code.clone(),
    };
    set.event(common::event(
        "assignment.created",
        &unit_audience,
        json!({"assignment_id": assignment_id, "incident_id": id, "incident_number": incident.number,
               "unit_id": unit.id, "call_sign": unit.call_sign, "agency_id": unit.agency_id,
               "status": "assigned", "category": incident.category, "priority": incident.priority,
               "location": {"lon": incident.lon, "lat": incident.lat}, "address": incident.address,
               "victims": {"count": incident.victims_count, "condition": incident.victim_condition},
               "note": req.note}),
    ));
    set.event(common::event(
        "unit.status",
        &unit_audience,
        json!({"unit_id": unit.id, "call_sign": unit.call_sign, "status": "assigned"}),
    ));
    set.event(common::event(
        "incident.updated",
        &audience,
        incident_payload(&incident, current.as_str(), &ids),
    ));
    set.audit(common::audit(
        &actor,
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
    let a = state.store.get_assignment(&assignment_id).await?;
    Ok((StatusCode::CREATED, Json(a.into())))
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
    if req.report.trim().is_empty() {
        return Err(ApiError::validation("report", "a final report is required"));
    }
    let incident = load_incident(&state, &id).await?;
    let agencies = state.store.incident_agencies(&id).await?;
    check_visible(&state, &actor, &incident, &agencies).await?;
    let from: IncidentStatus = parse_value(&incident.status)?;
    let statuses: Vec<AssignmentStatus> = state
        .store
        .incident_assignments(&id)
        .await?
        .iter()
        .filter_map(|a| a.status.parse().ok())
        .collect();
    from.transition_with(IncidentStatus::Closed, &statuses)
        .map_err(|e| {
            ApiError::new(ErrorCode::InvalidTransition, format!("cannot close: {e}")).with_allowed(
                from.allowed_next()
                    .iter()
                    .map(|s| s.as_str().to_owned())
                    .collect(),
            )
        })?;
    let now = state.now_ms();
    let mut set = ChangeSet::new(now);
    set.push(
        Stmt::new(
            "UPDATE incidents SET status = 'closed', closed_at = $2, closed_by = $3, final_report = $4, updated_at = $2 \
             WHERE id = $1 AND status = $5",
        )
        .text(&id)
        .int(now)
        .text(&actor.user.id)
        .text(req.report.trim())
        .text(from.as_str())
        .expect(1),
    );
    let ids: Vec<String> = agencies.iter().map(|a| a.agency_id.clone()).collect();
    let audience = incident_audience(&incident, &ids);
    let clocks = state.store.subject_clocks("incident", &id).await?;
    common::stop_clocks(&mut set, &clocks, SlaKind::ALL, now, &audience);
    set.event(common::event(
        "incident.closed",
        &audience,
        incident_payload(&incident, "closed", &ids),
    ));
    set.audit(common::audit(
        &actor,
        now,
        "incident.close",
        "incident",
        &id,
        Some(json!({"status": incident.status})),
        Some(json!({"status": "closed", "report": req.report.trim()})),
    ));
    state.store.commit(set).await?;
    Ok(Json(
        incident_view(&state, load_incident(&state, &id).await?, true).await?,
    ))
}
