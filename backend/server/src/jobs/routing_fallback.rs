//! The routing fallback job: one instance of the cluster (the `routing-fallback` lease) hands calls that a
//! regional team did not take in time back to the central team, at the moment their offer ends
//! ([`service::routing::fall_back_due`](crate::service::routing::fall_back_due)).

use crate::service::routing;
use crate::state::AppState;
use std::time::Duration;

/// How often the job looks for new offers when none is due sooner.
const RESYNC: Duration = Duration::from_millis(500);

/// Starts the job; it stops when `stop` turns true.
pub fn start(
    state: AppState,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let job_state = state.clone();
    crate::live::lease::spawn_leader_job(
        &state,
        "routing-fallback",
        Duration::from_secs(1),
        stop,
        move || run(job_state.clone()),
    )
}

async fn run(state: AppState) {
    loop {
        let wait = match routing::fall_back_due(&state).await {
            Ok(next) => wait_until(next, state.now_ms()),
            Err(e) => {
                tracing::warn!(error = %e, "routing fallback pass failed; retrying");
                RESYNC
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// How long to sleep at `now` before the offer ending at `next` (ms), looking again at least every
/// [`RESYNC`] for offers made meanwhile.
fn wait_until(next: Option<i64>, now: i64) -> Duration {
    next.map_or(RESYNC, |t| {
        Duration::from_millis(u64::try_from(t - now).unwrap_or(0)).min(RESYNC)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleeps_until_the_next_offer_ends_but_never_longer_than_the_resync() {
        assert_eq!(wait_until(None, 1_000), RESYNC);
        assert_eq!(wait_until(Some(1_200), 1_000), Duration::from_millis(200));
        assert_eq!(wait_until(Some(900), 1_000), Duration::ZERO);
        assert_eq!(wait_until(Some(1_000_000), 1_000), RESYNC);
    }
}
