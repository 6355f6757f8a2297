//! An OPD's decision on an incident escalated to it: its dispatcher verifies (accepts) it or rejects it
//! (sends it back to the call taker with a reason).

use super::views::{IncidentView, reload, view};
use super::{agency_ids, event_agencies, incident_audience, load, own_agency_row, parse_value};
use super::{refused, summary};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::DomainEvent;
use crate::events::incident::IncidentUpdated;
use crate::limits::Note;
use crate::service::common;
use crate::state::AppState;
use crate::store::{ChangeSet, incidents};
use serde::Deserialize;
use serde_json::json;
use siaga_core::incident::IncidentStatus;
use siaga_core::transition::Lifecycle;

/// Why an OPD sends an incident back.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    pub reason: Note,
}

/// The dispatcher accepts the incident for its OPD.
pub async fn verify(state: &AppState, actor: &Actor, id: &str) -> ApiResult<IncidentView> {
    decide(state, actor, id, None).await
}

/// The dispatcher sends the incident back to the call taker with a reason.
pub async fn reject(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: RejectRequest,
) -> ApiResult<IncidentView> {
    let reason = req.reason.trim();
    if reason.is_empty() {
        return Err(ApiError::validation("reason", "a reason is required"));
    }
    decide(state, actor, id, Some(reason)).await
}

/// The incident is rejected only when every agency sent it back; verified when the first accepts.
async fn decide(
    state: &AppState,
    actor: &Actor,
    id: &str,
    reject: Option<&str>,
) -> ApiResult<IncidentView> {
    let incident = load(state, id).await?;
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
    let (decision, action) = match reject {
        Some(_) => ("rejected", "incident.reject"),
        None => ("verified", "incident.verify"),
    };
    let others_open = agencies
        .iter()
        .any(|a| a.agency_id != row.agency_id && siaga_core::scope::agency_takes_part(&a.status));
    let to = match (reject, from) {
        (None, IncidentStatus::Escalated) => Some(IncidentStatus::Verified),
        (Some(_), IncidentStatus::Escalated) if !others_open => Some(IncidentStatus::Rejected),
        _ => None,
    };
    if let Some(to) = to {
        from.transition(to).map_err(|e| refused(&e))?;
    }
    let mut set = ChangeSet::new(now);
    let by = &actor.user.id;
    set.push(incidents::decide_agency(
        id,
        &row.agency_id,
        decision,
        now,
        by,
        reject,
    ));
    let new_status = match &to {
        Some(t) => t.as_str(),
        None => incident.status.as_str(),
    };
    if let Some(to) = to {
        set.push(incidents::set_status(id, from.as_str(), to.as_str(), now));
    }
    let mut after = event_agencies(&agencies);
    for a in after.iter_mut().filter(|a| a.agency_id == row.agency_id) {
        a.status = decision.to_owned();
        if let Some(r) = reject {
            a.reason = Some(r.to_owned());
        }
    }
    let updated = IncidentUpdated {
        incident: summary(&incident, new_status, after, now),
        agency_id: Some(row.agency_id.clone()),
        decision: Some(decision.to_owned()),
        reason: reject.map(str::to_owned),
        linked_call_id: None,
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
        action,
        "incident",
        id,
        Some(json!({"status": incident.status})),
        Some(json!({"status": new_status, "agency_id": row.agency_id, "reason": reject})),
    ));
    state.store.commit(set).await?;
    if reject.is_some() {
        // The OPD sent it back and is no longer part of it: the answer shows it without the reporter.
        return view(state, load(state, id).await?, false).await;
    }
    reload(state, id).await
}
