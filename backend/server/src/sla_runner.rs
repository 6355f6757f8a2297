//! The SLA runner: raises a breach at the moment a clock passes its target, not when someone next looks.
//!
//! The running clocks live in the database (`sla_clocks`); the runner mirrors them into one core
//! [`SlaEngine`] kept across passes, sleeps until its `poll_timeout` (or the next resync), and hands each
//! breach the engine reports to `service::sla::record_breach`. Each pass resyncs the mirror with the table:
//! clocks started on this or another instance are added, clocks stopped or breached elsewhere are dropped.
//! The engine alone decides when a clock is breached.
//!
//! One instance of the cluster runs the loop (the `sla` lease); a new leader, or the same one after a
//! restart, builds its engine from the stored start times, so breaches that fell due while no runner ran
//! are raised at once.

use crate::service::sla::record_breach;
use crate::state::AppState;
use crate::store::{SlaClockRow, StoreError};
use siaga_core::sla::{Breach, SlaEngine, SlaKind};
use siaga_core::time::Timestamp;
use std::collections::HashMap;
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

/// The leader's loop: a pass, then sleep until the next breach is due or the next resync. The engine lives
/// as long as the lease is held; a lost lease drops it with the job.
async fn run(state: AppState) {
    let mut runner = Runner::default();
    loop {
        let wait = match runner.pass(&state).await {
            Ok(next) => next,
            Err(e) => {
                tracing::warn!(error = ?e, "SLA runner pass failed; retrying");
                RESYNC
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// The engine mirroring the running clocks, keyed by clock id, and the rows it was built from.
#[derive(Default)]
struct Runner {
    engine: SlaEngine<String>,
    rows: HashMap<String, SlaClockRow>,
}

impl Runner {
    /// One pass: resync, record due breaches; return how long to sleep before the next pass.
    async fn pass(&mut self, state: &AppState) -> Result<Duration, StoreError> {
        let running = state.store.running_clocks().await?;
        let now = state.clock.now();
        let mut due = self.resync(running, now);
        due.extend(self.engine.handle_timeout(now));
        for breach in due {
            let Some(row) = self.rows.get(&breach.subject) else {
                continue;
            };
            if let Err(e) = record_breach(state, row, now.0).await {
                // Reported by the engine but not recorded: forget the clock so the next resync adds it
                // afresh and the breach is raised again.
                self.engine.stop(&breach.subject, breach.kind, now);
                self.rows.remove(&breach.subject);
                return Err(e);
            }
        }
        let next = self.engine.poll_timeout().map(|t| {
            Duration::from_millis(u64::try_from(t.millis_since(state.clock.now())).unwrap_or(0))
        });
        Ok(next.map_or(RESYNC, |d| d.min(RESYNC)))
    }

    /// Makes the engine hold exactly the `running` clocks (neither stopped nor breached in the table), with
    /// their stored targets: a clock re-planned since (an incident's priority corrected) is retargeted in the
    /// engine, and the breach that leaves it overdue, if any, is returned to be recorded now.
    fn resync(&mut self, running: Vec<SlaClockRow>, now: Timestamp) -> Vec<Breach<String>> {
        let mut due = Vec::new();
        let mut running: HashMap<String, SlaClockRow> =
            running.into_iter().map(|r| (r.id.clone(), r)).collect();
        let gone: Vec<(String, SlaKind)> = self
            .engine
            .clocks()
            .filter(|c| !running.contains_key(&c.subject))
            .map(|c| (c.subject, c.kind))
            .collect();
        // A clock gone from the table was stopped, breached or cancelled by another writer: it is forgotten
        // without a breach (a cancelled clock must never breach, and the others were recorded elsewhere).
        for (id, kind) in gone {
            self.engine.cancel(&id, kind);
            self.rows.remove(&id);
        }
        for (id, row) in running.drain() {
            if let Some(known) = self.rows.get_mut(&id) {
                if known.target_ms != row.target_ms
                    && let Ok(kind) = row.kind.parse::<SlaKind>()
                    && let Some(raised) = self.engine.retarget(&id, kind, row.target_ms, now)
                {
                    due.extend(raised);
                    *known = row;
                }
                continue;
            }
            // A kind this version does not know is left to the instance that started it.
            let Ok(kind) = row.kind.parse::<SlaKind>() else {
                continue;
            };
            self.engine
                .start(id.clone(), kind, Timestamp(row.started_at), row.target_ms);
            self.rows.insert(id, row);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, started_at: i64, target_ms: i64) -> SlaClockRow {
        SlaClockRow {
            id: id.into(),
            subject_type: "assignment".into(),
            subject_id: format!("a-{id}"),
            kind: "acknowledge".into(),
            agency_id: None,
            started_at,
            target_ms,
            due_at: started_at + target_ms,
            stopped_at: None,
            breached_at: None,
            cancelled_at: None,
        }
    }

    #[test]
    fn resync_adds_new_clocks_drops_gone_ones_and_keeps_reported_ones_silent() {
        let mut r = Runner::default();
        assert!(
            r.resync(vec![row("c1", 0, 1_000), row("c2", 0, 5_000)], Timestamp(0))
                .is_empty()
        );
        assert_eq!(r.engine.len(), 2);
        assert_eq!(r.engine.poll_timeout(), Some(Timestamp(1_001)));
        let due = r.engine.handle_timeout(Timestamp(2_000));
        assert_eq!(due.len(), 1);
        // c1 is still running in the table until the record commits: a resync does not raise it again.
        r.resync(
            vec![row("c1", 0, 1_000), row("c2", 0, 5_000)],
            Timestamp(2_000),
        );
        assert!(r.engine.handle_timeout(Timestamp(2_500)).is_empty());
        // c1 recorded, c2 stopped elsewhere, c3 started elsewhere.
        r.resync(vec![row("c3", 2_000, 100)], Timestamp(3_000));
        assert_eq!(r.engine.len(), 1);
        assert!(r.engine.is_running(&"c3".to_owned(), SlaKind::Acknowledge));
        let due = r.engine.handle_timeout(Timestamp(3_000));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].subject, "c3");
    }

    #[test]
    fn resync_follows_a_replanned_target() {
        let mut r = Runner::default();
        r.resync(
            vec![row("c1", 0, 10_000), row("c2", 0, 10_000)],
            Timestamp(0),
        );
        // c1 re-planned to a longer target: its breach moves out.
        let raised = r.resync(
            vec![row("c1", 0, 20_000), row("c2", 0, 10_000)],
            Timestamp(1_000),
        );
        assert!(raised.is_empty());
        assert_eq!(r.engine.poll_timeout(), Some(Timestamp(10_001)));
        let due = r.engine.handle_timeout(Timestamp(10_001));
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].subject, "c2");
        // c1 re-planned shorter at 15 s, overdue already: the resync itself raises it, once.
        let raised = r.resync(vec![row("c1", 0, 5_000)], Timestamp(15_000));
        assert_eq!(raised.len(), 1);
        assert_eq!(raised[0].subject, "c1");
        assert_eq!(raised[0].deadline, Timestamp(5_000));
        assert!(
            r.resync(vec![row("c1", 0, 5_000)], Timestamp(16_000))
                .is_empty()
        );
        assert!(r.engine.handle_timeout(Timestamp(20_000)).is_empty());
    }

    #[test]
    fn a_clock_cancelled_in_the_table_is_never_raised_even_past_its_deadline() {
        let mut r = Runner::default();
        r.resync(vec![row("c1", 0, 1_000)], Timestamp(0));
        assert_eq!(r.engine.poll_timeout(), Some(Timestamp(1_001)));
        // The incident was cancelled before the deadline: the table no longer lists the clock as running.
        r.resync(Vec::new(), Timestamp(500));
        assert!(r.engine.handle_timeout(Timestamp(60_000)).is_empty());
        assert_eq!(r.engine.poll_timeout(), None);
    }
}
