//! Steps every workflow shares: SLA clocks, events and audit entries built into a [`ChangeSet`], so calls,
//! incidents and assignments record time and history the same way.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::events::oversight::SlaBreached;
use crate::events::{DomainEvent, Reach};
use crate::store::{
    AuditEntry, ChangeSet, NewEvent, SlaClockRow, TimelineDraft, TimelineSubject, sla,
};
use serde_json::Value;
use siaga_core::sla::{SlaKind, StopCause, stop_decision};
use siaga_core::time::Timestamp;

/// Starts a clock on `subject` (unique per subject and kind: starting twice is a no-op), told in the
/// incident's timeline when it is an incident's or an assignment's clock.
pub fn start_clock(
    set: &mut ChangeSet,
    subject_type: &str,
    subject_id: &str,
    kind: SlaKind,
    agency_id: Option<&str>,
    started_at: i64,
    target_ms: i64,
) {
    let id = uuid::Uuid::now_v7().to_string();
    set.push(sla::start_clock(
        &id,
        subject_type,
        subject_id,
        kind.as_str(),
        agency_id,
        started_at,
        target_ms,
        started_at.saturating_add(target_ms),
    ));
    if matches!(subject_type, "incident" | "assignment") {
        let mut d = TimelineDraft::new(
            TimelineSubject::ClockStarted(id.clone()),
            crate::events::timeline::SLA_STARTED,
        );
        d.at = Some(started_at);
        d.detail = serde_json::json!({
            "clock_id": id,
            "sla_kind": kind.as_str(),
            "agency_id": agency_id,
            "target_ms": target_ms,
            "due_at": started_at.saturating_add(target_ms),
        });
        set.timeline(d);
    }
}

/// Stops the running clocks among `clocks` whose kind is in `kinds`. A clock past its deadline that the SLA
/// runner has not reported yet (it was down, or is about to fire) is marked breached here, with its event, in
/// the same transaction; the guard on `breached_at IS NULL` makes sure only one writer ever records it. When
/// the runner records it between the read of `clocks` and the commit (as it does while catching up after a
/// restart), the change still commits, without a second breach event: the clock is no conflict.
pub fn stop_clocks(
    set: &mut ChangeSet,
    clocks: &[SlaClockRow],
    kinds: &[SlaKind],
    now: i64,
    audience: &Reach,
) {
    for c in clocks {
        if c.stopped_at.is_some() || !kinds.iter().any(|k| k.as_str() == c.kind) {
            continue;
        }
        set.push(sla::stop_clock(&c.id, now));
        let decision = stop_decision(
            Timestamp(c.started_at),
            c.target_ms,
            c.breached_at.is_some(),
            Timestamp(now),
            StopCause::Done,
        );
        let breached = c.breached_at.is_some() || decision.record_breach;
        if decision.record_breach {
            set.record_once(
                sla::record_breach(&c.id, now),
                breach_event(c, now, audience),
            );
        }
        stopped_entry(set, c, now, !breached, false);
    }
}

/// The timeline entry of an incident's or assignment's clock stopped at `now` (a call's clock has none):
/// `met` when it stopped within its target, `cancelled` when its incident was withdrawn (then it is neither).
fn stopped_entry(set: &mut ChangeSet, c: &SlaClockRow, now: i64, met: bool, cancelled: bool) {
    if !matches!(c.subject_type.as_str(), "incident" | "assignment") {
        return;
    }
    let mut d = TimelineDraft::new(
        TimelineSubject::ClockStopped(c.id.clone()),
        crate::events::timeline::SLA_STOPPED,
    );
    d.at = Some(now);
    d.detail = serde_json::json!({
        "clock_id": c.id,
        "sla_kind": c.kind,
        "agency_id": c.agency_id,
        "target_ms": c.target_ms,
        "elapsed_ms": now.saturating_sub(c.started_at),
        "met": (!cancelled).then_some(met),
        "cancelled": cancelled,
    });
    set.timeline(d);
}

/// Stops every running clock among `clocks` because its subject was withdrawn (an incident cancelled or
/// merged, its assignments with it): no breach is recorded, even for a clock past its deadline that the SLA
/// runner has not reported yet, and the clock counts as cancelled unless its breach was already recorded
/// (`siaga_core::sla::stop_decision`). The runner's own guarded update (`stopped_at IS NULL`) then refuses to
/// record a breach for it.
pub fn cancel_clocks(set: &mut ChangeSet, clocks: &[SlaClockRow], now: i64) {
    for c in clocks.iter().filter(|c| c.stopped_at.is_none()) {
        let decision = stop_decision(
            Timestamp(c.started_at),
            c.target_ms,
            c.breached_at.is_some(),
            Timestamp(now),
            StopCause::Cancelled,
        );
        if decision.cancelled {
            set.push(sla::cancel_clock(&c.id, now));
        } else {
            set.push(sla::stop_clock(&c.id, now));
        }
        stopped_entry(set, c, now, false, decision.cancelled);
    }
}

/// The `sla.breach` event of a clock.
pub fn breach_event(c: &SlaClockRow, detected_at: i64, audience: &Reach) -> NewEvent {
    DomainEvent::SlaBreach(SlaBreached {
        clock_id: c.id.clone(),
        subject_type: c.subject_type.clone(),
        subject_id: c.subject_id.clone(),
        kind: c.kind.clone(),
        agency_id: c.agency_id.clone(),
        started_at: c.started_at,
        target_ms: c.target_ms,
        due_at: c.due_at,
        detected_at,
    })
    .to(audience)
}

/// An audit entry for `actor`.
pub fn audit(
    actor: &Actor,
    at: i64,
    action: &str,
    subject_type: &str,
    subject_id: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> AuditEntry {
    AuditEntry {
        at,
        actor_id: Some(actor.user.id.clone()),
        actor_role: Some(actor.role.to_string()),
        action: action.to_owned(),
        subject_type: subject_type.to_owned(),
        subject_id: Some(subject_id.to_owned()),
        before,
        after,
        detail: None,
    }
}

/// A value read back from a status or kind column. The store only holds values written from the same enums,
/// so one that does not parse is a server fault (500), not the client's.
pub fn parse_stored<T: std::str::FromStr>(s: &str) -> ApiResult<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    s.parse::<T>().map_err(|e| ApiError::internal(e.into()))
}
