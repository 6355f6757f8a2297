//! Closing a resolved incident with the final report (its dispatchers, or a supervisor): every clock of the
//! incident stops.

use super::views::{IncidentView, reload};
use super::{
    agency_ids, allowed_from, assignment_statuses, check_visible, event_agencies,
    incident_audience, load, parse_value, summary,
};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::DomainEvent;
use crate::events::incident::IncidentClosed;
use crate::limits::LongText;
use crate::service::common;
use crate::state::AppState;
use crate::store::{ChangeSet, incidents};
use serde::Deserialize;
use serde_json::json;
use siaga_core::incident::IncidentStatus;
use siaga_core::sla::SlaKind;

/// The final report.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    pub report: LongText,
}

/// Closes the incident; 409 unless the lifecycle allows closing it now (its assignments are finished).
pub async fn close(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: CloseRequest,
) -> ApiResult<IncidentView> {
    let report = req.report.trim();
    if report.is_empty() {
        return Err(ApiError::validation("report", "a final report is required"));
    }
    let incident = load(state, id).await?;
    let agencies = state.store.incident_agencies(id).await?;
    check_visible(state, actor, &incident, &agencies).await?;
    let from: IncidentStatus = parse_value(&incident.status)?;
    let statuses = assignment_statuses(state, id).await?;
    from.transition_with(IncidentStatus::Closed, &statuses)
        .map_err(|e| {
            ApiError::new(ErrorCode::InvalidTransition, format!("cannot close: {e}"))
                .with_allowed(allowed_from(from))
        })?;
    let now = state.now_ms();
    let mut set = ChangeSet::new(now);
    set.push(incidents::close(
        id,
        from.as_str(),
        now,
        &actor.user.id,
        report,
    ));
    let audience = incident_audience(&incident, &agency_ids(&agencies));
    let clocks = state.store.subject_clocks("incident", id).await?;
    common::stop_clocks(&mut set, &clocks, SlaKind::ALL, now, &audience);
    let closed = IncidentClosed {
        incident: summary(&incident, "closed", event_agencies(&agencies), now),
    };
    set.event(DomainEvent::IncidentClosed(closed).to(&audience));
    set.audit(common::audit(
        actor,
        now,
        "incident.close",
        "incident",
        id,
        Some(json!({"status": incident.status})),
        Some(json!({"status": "closed", "report": report})),
    ));
    state.store.commit(set).await?;
    reload(state, id).await
}
