//! A call taker or supervisor escalates an incident to further agencies (OPD), or again to one that sent it
//! back: the way out of `rejected`, and out of `new` when no OPD was responsible for the point at filing.

use super::views::{IncidentView, reload};
use super::{agency_ids, check_visible, event_agencies, incident_audience, load, parse_value};
use super::{refused, summary};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::DomainEvent;
use crate::events::incident::{EventIncidentAgency, IncidentEscalated};
use crate::limits::{Note, ShortText};
use crate::service::common;
use crate::state::AppState;
use crate::store::{ChangeSet, IncidentAgencyRow, StoreError, incidents};
use serde::Deserialize;
use serde_json::json;
use siaga_core::incident::{Category, IncidentStatus, Priority};
use siaga_core::sla::{AreaClass, SlaKind};
use siaga_core::transition::Lifecycle;

/// Agencies (OPD) to escalate an incident to, by a call taker or supervisor.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateRequest {
    /// 1 to 10 agency ids: new ones, or ones that sent the incident back.
    pub agency_ids: Vec<ShortText>,
    /// What changed since, for the dispatchers (e.g. the corrected location).
    pub note: Option<Note>,
}

/// The wanted agency ids (trimmed, sorted, each once) and the note, or 422.
fn check_request(req: &EscalateRequest) -> ApiResult<(Vec<&str>, Option<&str>)> {
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
    Ok((wanted, note))
}

/// Where escalation takes an incident in `from`: `new` and `rejected` become `escalated`; an incident already
/// with an OPD stays where it is; a finished one refuses.
fn next_status(from: IncidentStatus) -> ApiResult<IncidentStatus> {
    match from {
        IncidentStatus::New | IncidentStatus::Rejected => {
            let to = IncidentStatus::Escalated;
            from.transition(to).map_err(|e| refused(&e))?;
            Ok(to)
        }
        IncidentStatus::Escalated | IncidentStatus::Verified | IncidentStatus::Dispatched => {
            Ok(from)
        }
        other => Err(ApiError::new(
            ErrorCode::InvalidTransition,
            format!("a {other} incident is not escalated any more"),
        )
        .with_allowed(Vec::new())),
    }
}

/// Escalates the incident. The dispatch clock keeps running from the filing (the caller has been waiting all
/// along); it starts now when no OPD was responsible before.
pub async fn escalate(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: EscalateRequest,
) -> ApiResult<IncidentView> {
    let (wanted, note) = check_request(&req)?;
    let incident = load(state, id).await?;
    let agencies = state.store.incident_agencies(id).await?;
    check_visible(state, actor, &incident, &agencies).await?;
    let from: IncidentStatus = parse_value(&incident.status)?;
    let to = next_status(from)?;
    let now = state.now_ms();
    let mut set = ChangeSet::new(now);
    let mut after = event_agencies(&agencies);
    for agency_id in &wanted {
        add_agency(state, &mut set, &mut after, &agencies, id, agency_id, note).await?;
    }
    if to != from {
        set.push(incidents::set_status(id, from.as_str(), to.as_str(), now));
    }
    let category: Category = parse_value(&incident.category)?;
    let priority: Priority = parse_value(&incident.priority)?;
    let policy = &state.config.dispatch.sla;
    let target = policy.target_ms(SlaKind::Dispatch, category, priority, AreaClass::Urban);
    common::start_clock(
        &mut set,
        "incident",
        id,
        SlaKind::Dispatch,
        None,
        now,
        target,
    );
    let mut all = agency_ids(&agencies);
    all.extend(wanted.iter().map(|a| (*a).to_owned()));
    all.sort_unstable();
    all.dedup();
    let added: Vec<String> = wanted.iter().map(|a| (*a).to_owned()).collect();
    let mut incident_now = summary(&incident, to.as_str(), after, now);
    incident_now.agency_ids.clone_from(&all);
    let escalated = IncidentEscalated {
        incident: incident_now,
        escalated_to: Some(added.clone()),
        note: note.map(str::to_owned),
    };
    set.event(DomainEvent::IncidentEscalated(escalated).to(&incident_audience(&incident, &all)));
    set.audit(common::audit(
        actor,
        now,
        "incident.escalate",
        "incident",
        id,
        Some(json!({"status": incident.status})),
        Some(json!({"status": to, "escalated_to": added, "note": note})),
    ));
    state.store.commit(set).await?;
    reload(state, id).await
}

/// Adds the statement escalating to one agency (new, or again after it sent the incident back) and its state
/// after the change; 409 when the agency already has the incident open.
async fn add_agency(
    state: &AppState,
    set: &mut ChangeSet,
    after: &mut Vec<EventIncidentAgency>,
    agencies: &[IncidentAgencyRow],
    id: &str,
    agency_id: &str,
    note: Option<&str>,
) -> ApiResult<()> {
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
    let now = set.at;
    match agencies.iter().find(|a| a.agency_id == agency_id) {
        Some(a) if !siaga_core::scope::agency_takes_part(&a.status) => {
            set.push(incidents::reescalate_agency(id, agency_id, now, note));
            for e in after.iter_mut().filter(|e| e.agency_id == agency_id) {
                e.status = "escalated".to_owned();
                e.reason = note.map(str::to_owned);
            }
        }
        Some(a) => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!("{} already has this incident ({})", agency.code, a.status),
            )
            .with_field("agency_ids"));
        }
        None => {
            set.push(incidents::add_agency(
                id,
                agency_id,
                &agency.agency_type,
                now,
                note,
            ));
            after.push(EventIncidentAgency {
                agency_id: agency_id.to_owned(),
                agency_type: agency.agency_type.clone(),
                status: "escalated".to_owned(),
                reason: note.map(str::to_owned),
            });
        }
    }
    Ok(())
}
