//! Shared steps of the 112 workflow: SLA clock statements, events and audit entries built into a
//! [`ChangeSet`], so calls, incidents and assignments record time and history the same way.

use super::extract::Actor;
use crate::store::{AuditEntry, ChangeSet, NewEvent, SlaClockRow, Stmt};
use serde_json::{Value, json};
use siaga_core::sla::SlaKind;

/// Starts a clock on `subject` (unique per subject and kind: starting twice is a no-op).
pub fn start_clock(
    set: &mut ChangeSet,
    subject_type: &str,
    subject_id: &str,
    kind: SlaKind,
    agency_id: Option<&str>,
    started_at: i64,
    target_ms: i64,
) {
    set.push(
        Stmt::new(
            "INSERT INTO sla_clocks (id, subject_type, subject_id, kind, agency_id, started_at, target_ms, due_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (subject_type, subject_id, kind) DO NOTHING",
        )
        .text(uuid::Uuid::now_v7().to_string())
        .text(subject_type)
        .text(subject_id)
        .text(kind.as_str())
        .opt_text(agency_id)
        .int(started_at)
        .int(target_ms)
        .int(started_at.saturating_add(target_ms)),
    );
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
    audience: &Audience,
) {
    for c in clocks {
        if c.stopped_at.is_some() || !kinds.iter().any(|k| k.as_str() == c.kind) {
            continue;
        }
        set.push(
            Stmt::new("UPDATE sla_clocks SET stopped_at = $2 WHERE id = $1 AND stopped_at IS NULL")
                .text(&c.id)
                .int(now),
        );
        if c.breached_at.is_none() && now > c.due_at {
            set.record_once(
                Stmt::new(
                    "UPDATE sla_clocks SET breached_at = $2 WHERE id = $1 AND breached_at IS NULL",
                )
                .text(&c.id)
                .int(now),
                breach_event(c, now, audience),
            );
        }
    }
}

/// Who may see events about one subject.
#[derive(Debug, Clone, Default)]
pub struct Audience {
    /// Agencies whose dispatchers see it (`None` = every agency).
    pub agency_ids: Option<Vec<String>>,
    /// The unit whose responder sees it.
    pub unit_id: Option<String>,
    /// The subject's region.
    pub region_code: Option<String>,
}

/// An event for `audience`.
pub fn event(event_type: &str, audience: &Audience, payload: Value) -> NewEvent {
    NewEvent {
        event_type: event_type.to_owned(),
        agency_ids: audience.agency_ids.clone(),
        unit_id: audience.unit_id.clone(),
        region_code: audience.region_code.clone(),
        payload,
    }
}

/// The `sla.breach` event of a clock.
pub fn breach_event(c: &SlaClockRow, detected_at: i64, audience: &Audience) -> NewEvent {
    event(
        "sla.breach",
        audience,
        json!({
            "clock_id": c.id, "subject_type": c.subject_type, "subject_id": c.subject_id,
            "kind": c.kind, "agency_id": c.agency_id, "started_at": c.started_at,
            "target_ms": c.target_ms, "due_at": c.due_at, "detected_at": detected_at,
        }),
    )
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
