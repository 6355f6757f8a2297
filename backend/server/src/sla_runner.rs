//! The SLA runner: raises a breach at the moment a clock passes its target, not when someone next looks.
//!
//! The running clocks live in the database (`sla_clocks`); the runner mirrors them into the core's
//! deterministic [`SlaEngine`], sleeps until its `poll_timeout`, and records each breach with a guarded update
//! (`breached_at IS NULL AND stopped_at IS NULL`) in the same transaction as its `sla.breach` event. The guard
//! makes the database the arbiter: with several instances running the loop, exactly one records each breach
//! and emits its event. After a restart the first pass restores every clock from its stored start time, so
//! breaches that fell due while the server was down are raised at once.

use crate::events::Reach;
use crate::service::common::breach_event;
use crate::state::AppState;
use crate::store::{ChangeSet, SlaClockRow, Stmt, StoreError};
use siaga_core::sla::{SlaEngine, SlaKind, StoredClock};
use siaga_core::time::Timestamp;
use std::time::Duration;

/// How often the runner re-reads the clock table to pick up clocks started on this or another instance.
const RESYNC: Duration = Duration::from_millis(500);

/// How often a standby instance tries to take over the runner (and the leader checks it still leads): the
/// longest delay a breach can see when the leading instance dies.
const TAKE_OVER: Duration = Duration::from_secs(1);

/// Starts the runner task; it stops when `stop` turns true.
///
/// One instance of the cluster runs the loop at a time (the `sla` leader lease); the others wait to take
/// over. The guarded update still keeps a breach from being recorded twice if two ever overlap.
pub fn start(
    state: AppState,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let job_state = state.clone();
    crate::live::lease::spawn_leader_job(&state, "sla", TAKE_OVER, stop, move || {
        run(job_state.clone())
    })
}

/// The leader's loop: a pass, then sleep until the next breach is due or the next resync.
async fn run(state: AppState) {
    loop {
        let wait = match run_once(&state).await {
            Ok(next) => next,
            Err(e) => {
                tracing::warn!(error = ?e, "SLA runner pass failed; retrying");
                RESYNC
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// One pass: record due breaches; return how long to sleep before the next pass.
pub async fn run_once(state: &AppState) -> Result<Duration, StoreError> {
    let rows = state.store.running_clocks().await?;
    let now = state.clock.now();
    let mut engine: SlaEngine<String> = SlaEngine::new();
    engine.restore(
        rows.iter().filter_map(|r| {
            Some(StoredClock {
                subject: r.id.clone(),
                kind: r.kind.parse::<SlaKind>().ok()?,
                started_at: Timestamp(r.started_at),
                target_ms: r.target_ms,
                breach_reported: false,
            })
        }),
        now,
    );
    for breach in engine.handle_timeout(now) {
        if let Some(row) = rows.iter().find(|r| r.id == breach.subject) {
            record(state, row, now.0).await?;
        }
    }
    let next = engine.poll_timeout().map(|t| {
        Duration::from_millis(u64::try_from(t.millis_since(state.clock.now())).unwrap_or(0))
    });
    Ok(next.map_or(RESYNC, |d| d.min(RESYNC)))
}

async fn record(state: &AppState, clock: &SlaClockRow, now: i64) -> Result<(), StoreError> {
    let audience = audience(state, clock).await?;
    let mut set = ChangeSet::new(now);
    set.push(
        Stmt::new(
            "UPDATE sla_clocks SET breached_at = $2 WHERE id = $1 AND breached_at IS NULL AND stopped_at IS NULL",
        )
        .text(&clock.id)
        .int(now)
        .expect(1),
    );
    set.event(breach_event(clock, now, &audience));
    match state.store.commit(set).await {
        // Stopped or recorded by someone else in the meantime: nothing to raise.
        Ok(_) | Err(StoreError::Stale { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Who hears about a breach: the subject's agencies (and unit), by region.
async fn audience(state: &AppState, clock: &SlaClockRow) -> Result<Reach, StoreError> {
    Ok(match clock.subject_type.as_str() {
        "incident" => {
            let incident = state.store.get_incident(&clock.subject_id).await?;
            let agencies = state.store.incident_agencies(&clock.subject_id).await?;
            Reach {
                agency_ids: Some(agencies.into_iter().map(|a| a.agency_id).collect()),
                unit_id: None,
                region_code: incident.region_code,
            }
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
        _ => Reach {
            agency_ids: Some(Vec::new()),
            unit_id: None,
            region_code: None,
        },
    })
}
