//! Filing an incident from an emergency call (located, numbered, escalated to the responsible OPDs, SLA clocks
//! started), and linking a further call about the same emergency to an existing incident.

use super::views::{IncidentView, reload, view};
use super::{agency_ids, incident_audience, load, summary};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::incident::{
    EventIncidentAgency, EventVictims, IncidentCreated, IncidentEscalated, IncidentSummary,
    IncidentUpdated,
};
use crate::events::{DomainEvent, Reach};
use crate::geo::Location;
use crate::limits::{self, Address, LongText, Name, PhoneNumber, ShortText};
use crate::service::common;
use crate::state::AppState;
use crate::store::{CallRow, ChangeSet, StoreError, TimelineDraft, TimelineSubject, incidents};
use crate::views::{LonLat, validate_lon_lat};
use serde::{Deserialize, Serialize};
use siaga_core::agency::AgencyType;
use siaga_core::incident::{
    Category, IncidentStatus, Priority, Subcategory, VictimCondition, Victims,
};
use siaga_core::sla::{AreaClass, SlaEngine, SlaKind, SlaResult};
use siaga_core::time::{LocalDate, Timestamp};
use siaga_spatial::Position;

/// The reporter (personal data: shown to call takers, dispatchers and supervisors; reading it is audited).
#[derive(Serialize, Deserialize, utoipa::ToSchema, Clone, Default)]
#[serde(deny_unknown_fields)]
pub struct Reporter {
    pub name: Option<Name>,
    pub phone: Option<PhoneNumber>,
    pub address: Option<Address>,
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
    pub call_id: Option<ShortText>,
    pub category: Category,
    pub subcategory: Option<limits::Subcategory>,
    pub priority: Priority,
    pub location: LonLat,
    /// Location uncertainty in metres.
    pub accuracy_m: Option<f64>,
    pub address: Option<Address>,
    pub reporter: Option<Reporter>,
    pub victims: VictimsBody,
    pub description: Option<LongText>,
    /// When it happened (ms), if the caller knows.
    pub occurred_at: Option<i64>,
}

/// A call to link to an existing incident.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkCallRequest {
    pub call_id: ShortText,
}

/// The fields of a [`CreateIncidentRequest`] that are checked on their own.
#[derive(Debug)]
pub struct CheckedIncident {
    /// The incident's location.
    pub position: Position,
    pub subcategory: Option<Subcategory>,
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
        .map(Subcategory::parse)
        .transpose()
        .map_err(|_| {
            ApiError::validation(
                "subcategory",
                format!(
                    "subcategory must be 1 to {} characters without control characters",
                    Subcategory::MAX_CHARS
                ),
            )
        })?;
    let position = Position::from_lon_lat(req.location.lon, req.location.lat)
        .map_err(|e| ApiError::validation("location", e.to_string()))?;
    Ok(CheckedIncident {
        position,
        subcategory,
    })
}

/// Files an incident: locates it, numbers it, names the responsible OPDs by category and escalates to them,
/// and starts the SLA clocks. Its `incident.created` (and `incident.escalated`) events carry the number the
/// commit allocates.
pub async fn file(
    state: &AppState,
    actor: &Actor,
    req: CreateIncidentRequest,
) -> ApiResult<IncidentView> {
    let CheckedIncident {
        position,
        subcategory,
    } = check_new_incident(&req)?;
    let now = state.now_ms();
    let location: Location = state.geo.locate(position);
    // A region-scoped desk files incidents in its region only.
    actor.require_place(location.region_code())?;
    let call = match req.call_id.as_deref() {
        Some(call_id) => Some(source_call(state, actor, call_id).await?),
        None => None,
    };
    let escalate = responsible_agencies(&location, &req);
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
    set.number = Some(numbering(state, &location, now).await?);
    set.push(incidents::insert(&incidents::NewIncident {
        id: &id,
        status: status.as_str(),
        category: req.category.as_str(),
        subcategory: subcategory.as_ref().map(Subcategory::as_str),
        priority: req.priority.as_str(),
        reporter_name: reporter.name.as_deref(),
        reporter_phone: reporter.phone.as_deref(),
        reporter_address: reporter.address.as_deref(),
        reporter_lon: reporter.position.map(|p| p.lon),
        reporter_lat: reporter.position.map(|p| p.lat),
        lon: req.location.lon,
        lat: req.location.lat,
        accuracy_m: req.accuracy_m,
        address: req.address.as_deref(),
        region_code: location.region_code(),
        region_chain: &chain_json,
        victims_count: i64::from(req.victims.count),
        victim_condition: req.victims.condition.as_str(),
        description: req.description.as_deref(),
        occurred_at: req.occurred_at,
        created_by: &actor.user.id,
        created_at: now,
    }));
    for (t, agency_id) in &escalate {
        set.push(incidents::add_agency(&id, agency_id, t.as_str(), now, None));
    }
    if let Some(call) = &call {
        set.stmts.extend(incidents::link_call(&id, &call.id, now));
    }
    start_clocks(
        &mut set,
        state,
        &req,
        &id,
        call.as_ref(),
        !escalate.is_empty(),
    );
    let created = filed_summary(
        &id,
        status,
        &req,
        subcategory.as_ref(),
        &location,
        &escalate,
        now,
    );
    record_filing(&mut set, actor, created, now);
    let committed = state.store.commit(set).await?;
    tracing::info!(incident.id = %id, incident.number = committed.number.as_deref().unwrap_or(""),
        agencies = escalate.len(), "incident filed");
    view(state, state.store.get_incident(&id).await?, true).await
}

/// What the filing's events say of the new incident (the number is written in by the commit).
fn filed_summary(
    id: &str,
    status: IncidentStatus,
    req: &CreateIncidentRequest,
    subcategory: Option<&Subcategory>,
    location: &Location,
    escalate: &[(AgencyType, String)],
    now: i64,
) -> IncidentSummary {
    IncidentSummary {
        incident_id: id.to_owned(),
        number: None,
        status: status.as_str().to_owned(),
        category: req.category.as_str().to_owned(),
        priority: req.priority.as_str().to_owned(),
        location: req.location,
        address: req.address.as_deref().map(str::to_owned),
        region_code: location.region_code().map(str::to_owned),
        victims: EventVictims {
            count: i64::from(req.victims.count),
            condition: req.victims.condition.as_str().to_owned(),
        },
        agency_ids: escalate.iter().map(|(_, a)| a.clone()).collect(),
        subcategory: subcategory.map(|s| s.as_str().to_owned()),
        description: req.description.as_deref().map(str::to_owned),
        created_at: Some(now),
        updated_at: Some(now),
        agencies: Some(
            escalate
                .iter()
                .map(|(t, a)| EventIncidentAgency {
                    agency_id: a.clone(),
                    agency_type: t.as_str().to_owned(),
                    status: "escalated".to_owned(),
                    reason: None,
                })
                .collect(),
        ),
        live: None,
    }
}

/// The events and audit entry of a filing. The events name the number the commit allocates.
fn record_filing(set: &mut ChangeSet, actor: &Actor, incident: IncidentSummary, now: i64) {
    let reach = Reach {
        agency_ids: Some(incident.agency_ids.clone()),
        unit_id: None,
        region_code: incident.region_code.clone(),
    };
    let escalated = !incident.agency_ids.is_empty();
    let id = incident.incident_id.clone();
    let created = DomainEvent::IncidentCreated(IncidentCreated {
        incident: incident.clone(),
    });
    set.numbered_event(created.to(&reach));
    if escalated {
        let e = DomainEvent::IncidentEscalated(IncidentEscalated {
            incident,
            escalated_to: None,
            note: None,
        });
        set.numbered_event(e.to(&reach));
    }
    set.audit(common::audit(
        actor,
        now,
        "incident.create",
        "incident",
        &id,
        None,
        None,
    ));
}

/// The call an incident is filed from: it must be an emergency call in the actor's scope, not yet linked to
/// an incident.
async fn source_call(state: &AppState, actor: &Actor, call_id: &str) -> ApiResult<CallRow> {
    let call = linkable_call(state, actor, call_id).await?;
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
    Ok(call)
}

/// A call named in a request body (422 when there is none), if the actor's scope covers it (else 403).
async fn linkable_call(state: &AppState, actor: &Actor, call_id: &str) -> ApiResult<CallRow> {
    let call = state.store.get_call(call_id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::validation("call_id", "no such call"),
        other => other.into(),
    })?;
    crate::service::calls::check_scope(actor, &call)?;
    Ok(call)
}

/// The responsible OPD of each agency type the category needs at the incident's location (each once).
fn responsible_agencies(
    location: &Location,
    req: &CreateIncidentRequest,
) -> Vec<(AgencyType, String)> {
    let victims = Victims {
        count: req.victims.count,
        condition: req.victims.condition,
    };
    location
        .receiving_agencies(req.category, victims)
        .into_iter()
        .map(|r| (r.agency_type, r.agency_id))
        .collect()
}

/// The number's prefix and local day (`yyyymmdd` in the regency's time zone): `SGA` and WIB where no region
/// names them.
async fn numbering(state: &AppState, location: &Location, now: i64) -> ApiResult<(String, String)> {
    let (prefix, zone) = match location.regency_code() {
        Some(code) => state
            .store
            .region_prefix_and_zone(code)
            .await?
            .unwrap_or((None, "Asia/Jakarta".into())),
        None => (None, "Asia/Jakarta".into()),
    };
    let prefix = prefix.unwrap_or_else(|| "SGA".to_owned());
    let day = LocalDate::of_timestamp(Timestamp(now), utc_offset_minutes(&zone)).to_compact();
    Ok((prefix, day))
}

/// Time zone offset of a region's `time_zone` (Indonesia has no daylight saving).
fn utc_offset_minutes(zone: &str) -> i32 {
    match zone {
        "Asia/Makassar" => siaga_core::time::WITA_OFFSET_MINUTES,
        "Asia/Jayapura" => siaga_core::time::WIT_OFFSET_MINUTES,
        _ => siaga_core::time::WIB_OFFSET_MINUTES,
    }
}

/// The clocks a filing starts: answer → escalation (measured now, from the call's answer), dispatch when an
/// OPD is responsible, and resolution.
fn start_clocks(
    set: &mut ChangeSet,
    state: &AppState,
    req: &CreateIncidentRequest,
    id: &str,
    call: Option<&CallRow>,
    escalated: bool,
) {
    let now = set.at;
    let policy = &state.config.dispatch.sla;
    let target = |kind| policy.target_ms(kind, req.category, req.priority, AreaClass::Urban);
    if let (Some(answered), true) = (call.and_then(|c| c.answered_at), escalated) {
        let target_ms = target(SlaKind::Escalation);
        let mut engine = SlaEngine::new();
        engine.start((), SlaKind::Escalation, Timestamp(answered), target_ms);
        let breached = engine
            .stop(&(), SlaKind::Escalation, Timestamp(now))
            .is_some_and(|o| o.result == SlaResult::Breached)
            .then_some(now);
        let clock_id = uuid::Uuid::now_v7().to_string();
        set.push(incidents::escalation_clock(
            &clock_id, id, answered, target_ms, now, breached,
        ));
        let mut told = TimelineDraft::new(
            TimelineSubject::ClockStopped(clock_id),
            crate::events::timeline::SLA_STOPPED,
        );
        told.detail = serde_json::json!({
            "sla_kind": SlaKind::Escalation.as_str(),
            "target_ms": target_ms,
            "elapsed_ms": now.saturating_sub(answered),
            "met": breached.is_none(),
        });
        set.timeline(told);
    }
    if escalated {
        let dispatch = target(SlaKind::Dispatch);
        common::start_clock(set, "incident", id, SlaKind::Dispatch, None, now, dispatch);
    }
    let resolution = target(SlaKind::Resolution);
    common::start_clock(
        set,
        "incident",
        id,
        SlaKind::Resolution,
        None,
        now,
        resolution,
    );
}

/// Links a further call about the same emergency to an existing incident (instead of a new ticket).
pub async fn link_call(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: LinkCallRequest,
) -> ApiResult<IncidentView> {
    let incident = load(state, id).await?;
    actor.require_place(incident.region_code.as_deref())?;
    let call = linkable_call(state, actor, &req.call_id).await?;
    if call.incident_id.is_some() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "this call is already linked to an incident",
        )
        .with_field("call_id"));
    }
    let now = state.now_ms();
    let agencies = state.store.incident_agencies(id).await?;
    let mut set = ChangeSet::new(now);
    set.stmts.extend(incidents::link_call(id, &call.id, now));
    let updated = IncidentUpdated {
        incident: summary(
            &incident,
            &incident.status,
            super::event_agencies(&agencies),
            now,
        ),
        agency_id: None,
        decision: None,
        reason: None,
        linked_call_id: Some(call.id.clone()),
        changes: None,
        escalated_to: None,
        withdrawn_from: None,
        merged_from: None,
    };
    let reach = incident_audience(&incident, &agency_ids(&agencies));
    set.event(DomainEvent::IncidentUpdated(updated).to(&reach));
    set.audit(common::audit(
        actor,
        now,
        "incident.link_call",
        "incident",
        id,
        None,
        Some(serde_json::json!({"call_id": call.id})),
    ));
    state.store.commit(set).await?;
    reload(state, id).await
}
