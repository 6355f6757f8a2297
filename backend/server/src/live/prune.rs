//! Event log retention: one instance of the cluster (the `events-prune` lease) deletes events older than
//! `live.event_retention_hours`, so the log does not grow without bound. A client resuming from before the
//! oldest kept event gets `resync_required` (see [`super::socket`]).

use crate::state::AppState;
use std::time::Duration;

/// Starts the pruning task; it stops when `stop` turns true. Does nothing when retention is 0 (forever).
pub fn start(
    state: AppState,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    if state.config.live.event_retention_hours == 0 {
        return None;
    }
    let job_state = state.clone();
    Some(super::lease::spawn_leader_job(
        &state,
        "events-prune",
        Duration::from_secs(5),
        stop,
        move || run(job_state.clone()),
    ))
}

async fn run(state: AppState) {
    let every = Duration::from_secs(state.config.live.event_prune_every_secs);
    let retention_ms = i64::try_from(state.config.live.event_retention_hours)
        .unwrap_or(i64::MAX / 3_600_000)
        .saturating_mul(3_600_000);
    loop {
        let before = state.now_ms().saturating_sub(retention_ms);
        match state.store.prune_events(before).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(deleted = n, before_ms = before, "event log pruned"),
            Err(e) => tracing::warn!(error = %e, "cannot prune the event log; will retry"),
        }
        tokio::time::sleep(every).await;
    }
}
