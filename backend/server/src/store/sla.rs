//! SLA clock statements for a [`ChangeSet`](super::ChangeSet): start, stop and record a breach, each guarded so
//! that concurrent writers (two instances, the runner and a request) record each fact once.

use super::Stmt;

/// Starts a clock (unique per subject and kind: starting it twice is a no-op).
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per column of the clock row"
)]
pub fn start_clock(
    id: &str,
    subject_type: &str,
    subject_id: &str,
    kind: &str,
    agency_id: Option<&str>,
    started_at: i64,
    target_ms: i64,
    due_at: i64,
) -> Stmt {
    Stmt::new(
        "INSERT INTO sla_clocks (id, subject_type, subject_id, kind, agency_id, started_at, target_ms, due_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (subject_type, subject_id, kind) DO NOTHING",
    )
    .text(id)
    .text(subject_type)
    .text(subject_id)
    .text(kind)
    .opt_text(agency_id)
    .int(started_at)
    .int(target_ms)
    .int(due_at)
}

/// Stops a running clock (no-op when it was stopped already).
pub fn stop_clock(clock_id: &str, at: i64) -> Stmt {
    Stmt::new("UPDATE sla_clocks SET stopped_at = $2 WHERE id = $1 AND stopped_at IS NULL")
        .text(clock_id)
        .int(at)
}

/// Stops a running clock because its subject was withdrawn: it counts as cancelled, neither met nor breached
/// (no-op when it was stopped already; see `siaga_core::sla::stop_decision`).
pub fn cancel_clock(clock_id: &str, at: i64) -> Stmt {
    Stmt::new(
        "UPDATE sla_clocks SET stopped_at = $2, cancelled_at = $2 WHERE id = $1 AND stopped_at IS NULL",
    )
    .text(clock_id)
    .int(at)
}

/// Records a clock's breach unless another writer recorded it first (it then touches no row); for
/// [`ChangeSet::record_once`](super::ChangeSet::record_once), which keeps the breach event only when this
/// statement recorded it.
pub fn record_breach(clock_id: &str, at: i64) -> Stmt {
    Stmt::new("UPDATE sla_clocks SET breached_at = $2 WHERE id = $1 AND breached_at IS NULL")
        .text(clock_id)
        .int(at)
}

/// Records the breach of a clock that is still running, as the SLA runner sees it fall due; the change rolls
/// back if the clock was stopped or its breach recorded by another writer in the meantime.
pub fn record_running_breach(clock_id: &str, at: i64) -> Stmt {
    Stmt::new(
        "UPDATE sla_clocks SET breached_at = $2 WHERE id = $1 AND breached_at IS NULL AND stopped_at IS NULL",
    )
    .text(clock_id)
    .int(at)
    .expect(1)
}

/// Re-plans a running clock to a new target and deadline (its start stays: the elapsed time counts); a no-op
/// when the clock was stopped meanwhile. The SLA runner picks the new deadline up at its next resync.
pub fn retarget_clock(clock_id: &str, target_ms: i64, due_at: i64) -> Stmt {
    Stmt::new(
        "UPDATE sla_clocks SET target_ms = $2, due_at = $3 WHERE id = $1 AND stopped_at IS NULL",
    )
    .text(clock_id)
    .int(target_ms)
    .int(due_at)
}
