//! SLA breaches raised by the clock itself: the SLA runner (`crate::sla_runner`) decides with the core's
//! `SlaEngine` which stored clocks fell due, and records each here with its `sla.breach` event. Breaches
//! noticed when a request stops a clock late are `common::stop_clocks`.

use crate::events::Reach;
use crate::service::common::breach_event;
use crate::service::{calls, incidents};
use crate::state::AppState;
use crate::store::{ChangeSet, SlaClockRow, StoreError, sla};

/// Records the breach of a running clock at `now` with its event, in one transaction. A clock stopped or
/// recorded by another writer in the meantime (another instance, a request) records nothing: the guarded
/// update makes the database the arbiter, so each breach is raised once per cluster.
///
/// # Errors
///
/// A store error other than that lost race; nothing was recorded, so the caller may try again.
pub async fn record_breach(
    state: &AppState,
    clock: &SlaClockRow,
    now: i64,
) -> Result<(), StoreError> {
    let reach = breach_reach(state, clock).await?;
    let mut set = ChangeSet::new(now);
    set.push(sla::record_running_breach(&clock.id, now));
    set.event(breach_event(clock, now, &reach));
    match state.store.commit(set).await {
        Ok(_) | Err(StoreError::Stale { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Who hears about a breach: those who hear of its subject (the incident's OPDs taking part, the assignment's
/// agency and unit, the call's desk), by the subject's region.
async fn breach_reach(state: &AppState, clock: &SlaClockRow) -> Result<Reach, StoreError> {
    Ok(match clock.subject_type.as_str() {
        "incident" => {
            let incident = state.store.get_incident(&clock.subject_id).await?;
            let agencies = state.store.incident_agencies(&clock.subject_id).await?;
            incidents::incident_audience(&incident, &incidents::agency_ids(&agencies))
        }
        "assignment" => {
            let a = state.store.get_assignment(&clock.subject_id).await?;
            let incident = state.store.get_incident(&a.incident_id).await?;
            Reach {
                agency_ids: Some(vec![a.agency_id]),
                unit_id: Some(a.unit_id),
                region_code: incident.region_code,
            }
        }
        "call" => {
            let call = state.store.get_call(&clock.subject_id).await?;
            calls::reach(call.place_region.as_deref())
        }
        _ => Reach::desk(None),
    })
}
