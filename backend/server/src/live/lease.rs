//! Running a job on exactly one instance: [`lead`] keeps trying to take the named [`LeaderLease`]
//! (`Store::try_lead`) and runs the job while it holds it.
//!
//! Use it for every clock that must fire once per cluster (SLA breaches, sweeps):
//!
//! ```ignore
//! tokio::spawn(siaga::live::lease::lead(state.store.clone(), "sla", Duration::from_secs(1),
//!     stop, |on| metrics.set_leading("sla", on), move || sla_loop(state.clone())));
//! ```
//!
//! The job future is dropped (cancelled) as soon as the lease is found lost, so it must keep its state in
//! the database and be safe to start again on another instance: a new leader rebuilds from stored state.

use crate::store::Store;
use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

/// Runs `job` while this instance leads `name`, until `shutdown` turns true.
///
/// Every `check_every` it retries to take the lease when not leading, and verifies it still holds it when
/// leading. When `job` returns, the lease is released and taken again at the next try (usually by the same
/// instance), so a job that ends restarts. `leading` hears every change of leadership (for metrics).
pub async fn lead<F, Fut>(
    store: Store,
    name: &str,
    check_every: Duration,
    mut shutdown: watch::Receiver<bool>,
    leading: impl Fn(bool),
    mut job: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    leading(false);
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        match store.try_lead(name).await {
            Ok(Some(mut lease)) => {
                tracing::info!(lease = name, "leading");
                leading(true);
                let work = job();
                tokio::pin!(work);
                let mut check = tokio::time::interval(check_every);
                check.tick().await;
                loop {
                    tokio::select! {
                        () = &mut work => break,
                        _ = shutdown.changed() => {
                            leading(false);
                            lease.release().await;
                            return;
                        }
                        _ = check.tick() => {
                            if !lease.still_held().await {
                                tracing::warn!(lease = name, "leadership lost; job stopped");
                                break;
                            }
                        }
                    }
                }
                leading(false);
                lease.release().await;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(lease = name, error = %e, "cannot try the leader lease"),
        }
        tokio::select! {
            _ = shutdown.changed() => return,
            () = tokio::time::sleep(check_every) => {}
        }
    }
}

/// Spawns `job` to run on exactly one instance of the cluster as the leader of `name` (see [`lead`]),
/// publishing the leadership as the `siaga_leader{job=name}` gauge, until `stop` turns true.
pub fn spawn_leader_job<F, Fut>(
    state: &crate::state::AppState,
    name: &'static str,
    check_every: Duration,
    stop: watch::Receiver<bool>,
    job: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let store = state.store.clone();
    let metrics = std::sync::Arc::clone(&state.metrics);
    tokio::spawn(async move {
        lead(
            store,
            name,
            check_every,
            stop,
            |on| metrics.set_leading(name, on),
            job,
        )
        .await;
    })
}
