//! The Web Push job: one instance of the cluster (the `push` lease) follows the durable event log and pushes
//! to a unit crew's phones, off every request path:
//!
//! * `assignment.created` — "new assignment" to the assigned unit's crew;
//! * `sla.breach` of an assignment's `acknowledge` clock, while the assignment is still `assigned` — the same
//!   alert again, marked as not acknowledged (the page on the phone re-alerts by itself too; this reaches a
//!   phone whose page is closed).
//!
//! It reads the log from the head at the server's start, and skips events older than [`STALE_MS`]: a new
//! leader after a failover does not ring phones for assignments long since seen, and an alert missed during
//! the takeover is covered by the breach push and the dispatcher's SLA alarm. Runs only with a VAPID key.

use crate::events::{DomainEvent, EventKind};
use crate::service::push::{PushMessage, Vapid, push_to_unit};
use crate::state::AppState;
use crate::store::{EventRow, StoreError};
use std::sync::Arc;
use std::time::Duration;

/// How often the job reads the log when no local commit woke it.
const POLL: Duration = Duration::from_millis(500);

/// Events older than this (ms) are not pushed.
pub const STALE_MS: i64 = 120_000;

/// Most events read per query.
const BATCH: i64 = 500;

/// How long one push service may take to answer.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts the job when a VAPID key is configured; it stops when `stop` turns true. `head` is the log
/// position at the server's start.
pub fn start(
    state: AppState,
    head: i64,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    let vapid = state.vapid.clone()?;
    let http = reqwest::Client::builder()
        .timeout(SEND_TIMEOUT)
        .build()
        .ok()?;
    let job_state = state.clone();
    Some(crate::live::lease::spawn_leader_job(
        &state,
        "push",
        Duration::from_secs(1),
        stop,
        move || run(job_state.clone(), Arc::clone(&vapid), http.clone(), head),
    ))
}

async fn run(state: AppState, vapid: Arc<Vapid>, http: reqwest::Client, mut head: i64) {
    let signal = state.store.event_signal();
    loop {
        match pass(&state, &vapid, &http, head).await {
            Ok(next) => head = next,
            Err(e) => tracing::warn!(error = %e, "push pass failed; retrying"),
        }
        tokio::select! {
            () = signal.notified() => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// Pushes for every event after `head`; returns the new head.
async fn pass(
    state: &AppState,
    vapid: &Vapid,
    http: &reqwest::Client,
    mut head: i64,
) -> Result<i64, StoreError> {
    loop {
        let rows = state.store.events_after(head, BATCH).await?;
        let Some(last) = rows.last().map(|r| r.seq) else {
            return Ok(head);
        };
        let now = state.now_ms();
        for row in &rows {
            if row.at < now - STALE_MS {
                continue;
            }
            if let Some((unit_id, message)) = alert_of(state, row).await? {
                push_to_unit(state, vapid, http, &unit_id, &message).await?;
            }
        }
        head = last;
        if (rows.len() as i64) < BATCH {
            return Ok(head);
        }
    }
}

/// The unit to alert and what to tell it, for the events that alert a crew.
async fn alert_of(
    state: &AppState,
    row: &EventRow,
) -> Result<Option<(String, PushMessage)>, StoreError> {
    // Only these two kinds alert a crew; the others are not parsed.
    if !matches!(
        EventKind::parse(&row.event_type),
        Some(EventKind::AssignmentCreated | EventKind::SlaBreach)
    ) {
        return Ok(None);
    }
    let Some(event) = serde_json::from_str(&row.payload)
        .ok()
        .and_then(|payload| DomainEvent::from_stored(&row.event_type, &payload))
    else {
        return Ok(None);
    };
    match event {
        DomainEvent::AssignmentCreated(a) => {
            let title = format!(
                "Penugasan baru · {} · {}",
                a.priority.to_uppercase(),
                a.incident_number
            );
            let place = a
                .address
                .clone()
                .unwrap_or_else(|| format!("{:.5}, {:.5}", a.location.lat, a.location.lon));
            let body = match &a.note {
                Some(note) => format!("{place}\n{note}"),
                None => place,
            };
            Ok(Some((
                a.unit_id.clone(),
                PushMessage {
                    kind: "assignment".into(),
                    assignment_id: a.assignment_id,
                    incident_id: a.incident_id,
                    incident_number: Some(a.incident_number),
                    priority: Some(a.priority),
                    title,
                    body,
                },
            )))
        }
        DomainEvent::SlaBreach(b) => {
            if b.subject_type != "assignment" || b.kind != "acknowledge" {
                return Ok(None);
            }
            let assignment = match state.store.get_assignment(&b.subject_id).await {
                Ok(a) => a,
                Err(StoreError::NotFound) => return Ok(None),
                Err(e) => return Err(e),
            };
            if assignment.status != "assigned" {
                return Ok(None);
            }
            let incident = state.store.get_incident(&assignment.incident_id).await.ok();
            let number = incident.as_ref().map(|i| i.number.clone());
            let priority = incident.as_ref().map(|i| i.priority.clone());
            let title = format!(
                "Belum dikonfirmasi · {}{}",
                priority
                    .as_deref()
                    .map(|p| format!("{} · ", p.to_uppercase()))
                    .unwrap_or_default(),
                number.as_deref().unwrap_or(&assignment.incident_id)
            );
            let body = incident
                .and_then(|i| i.address)
                .unwrap_or_else(|| "Buka Siaga dan konfirmasi penugasan.".to_owned());
            Ok(Some((
                assignment.unit_id.clone(),
                PushMessage {
                    kind: "unacknowledged".into(),
                    assignment_id: assignment.id,
                    incident_id: assignment.incident_id,
                    incident_number: number,
                    priority,
                    title,
                    body,
                },
            )))
        }
        _ => Ok(None),
    }
}
