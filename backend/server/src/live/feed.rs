//! The event feed: one task per instance that reads the durable log in seq order and hands events to the hub.
//!
//! It wakes on three things, any of which is enough: the in-process signal after a local commit, a
//! PostgreSQL `NOTIFY siaga_events` from any instance on the same database, and a periodic safety poll
//! (notifications are lost while the LISTEN connection is down). Each page is the log's next rows after its
//! head: the rows a local commit handed over when they continue the head without a gap, otherwise
//! `events_after(head)`. So a missed wake-up only delays delivery; it never loses or reorders an event. A
//! NOTIFY naming a seq the feed has published already (its own commit's, taken from the signal) reads nothing.
//!
//! The feed also keeps this instance's geo index in step with the whole cluster: unit creations, status
//! changes and (coalesced) moves committed by any instance reach the index in log order, so a unit created or
//! dispatched through another instance is recommended (or not) here too.

use super::event::PreparedEvent;
use crate::events::{DomainEvent, EventKind};
use crate::service::positions::unit_moved;
use crate::state::AppState;
use crate::store::{EVENT_CHANNEL, EventRow, Store, UnitRow};
use siaga_core::unit::UnitStatus;
use sqlx::postgres::PgListener;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Most events read from the database per query.
const BATCH: i64 = 1000;

/// Runs until `shutdown` turns true, starting after log position `head`.
pub async fn run(state: AppState, mut head: i64, mut shutdown: watch::Receiver<bool>) {
    let hub = state.live.hub();
    let store = state.store.clone();
    let signal = store.event_signal();
    let poll = Duration::from_millis(state.config.live.poll_interval_ms);

    hub.set_ready(head);
    tracing::info!(event.seq = head, "event feed started");

    let mut listener = listen(&store).await;
    // Only the in-process signal says the next rows were committed here; a NOTIFY or the poll may be about
    // another instance's (or another process's) rows, which only the log holds.
    let mut source = Some(Source::Log);
    loop {
        if let Some(source) = source {
            head = drain(&state, hub, head, source).await;
        }
        let notified = async {
            match listener.as_mut() {
                Some(l) => l.recv().await.map(|n| n.payload().parse::<i64>().ok()),
                None => std::future::pending().await,
            }
        };
        source = Some(Source::Log);
        tokio::select! {
            _ = shutdown.changed() => break,
            () = signal.notified() => source = Some(Source::LocalCommits),
            r = notified => match r {
                // A NOTIFY names the newest seq its transaction appended (see `store::events`). Seqs become
                // visible in order, so one at or below the head was published already: this instance's own
                // commit, taken from its signal, notifies too. Nothing to read then.
                Ok(Some(newest)) if newest <= head => source = None,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "LISTEN connection lost; polling until it is back");
                    listener = None;
                }
            },
            () = tokio::time::sleep(poll) => {
                if listener.is_none() && store.pg_pool().is_some() {
                    listener = listen(&store).await;
                }
            }
        }
    }
    tracing::info!(event.seq = head, "event feed stopped");
}

/// Where a wake-up says the next events are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// Committed by this instance: the rows it handed over, if they continue the head (else the log).
    LocalCommits,
    /// The log.
    Log,
}

/// Publishes every event after `head`; returns the new head.
async fn drain(state: &AppState, hub: &super::hub::Hub, mut head: i64, mut source: Source) -> i64 {
    loop {
        // This instance's own commits come straight from the writer when they continue the head; anything
        // else is read from the log (see `store::events`). Once the log is read, it is read to its end.
        let local = match source {
            Source::LocalCommits => state.store.committed_after(head, BATCH as usize),
            Source::Log => None,
        };
        let page = match local {
            Some(rows) => Ok(rows),
            None => {
                source = Source::Log;
                state.store.events_after(head, BATCH).await
            }
        };
        match page {
            Ok(rows) => {
                let Some(last) = rows.last().map(|r| r.seq) else {
                    return head;
                };
                let full = rows.len() as i64 == BATCH;
                // Parsed once: for the geo index and for the frame.
                let parsed: Vec<(EventRow, Option<serde_json::Value>)> = rows
                    .into_iter()
                    .map(|row| {
                        let payload = serde_json::from_str(&row.payload).ok();
                        (row, payload)
                    })
                    .collect();
                let unit_events: Vec<Option<UnitEvent>> = parsed
                    .iter()
                    .map(|(row, payload)| UnitEvent::of(&row.event_type, payload.as_ref()?))
                    .collect();
                let read = read_units(state, &unit_events).await;
                let mut events: Vec<Arc<PreparedEvent>> = Vec::with_capacity(parsed.len());
                for ((row, payload), unit_event) in parsed.into_iter().zip(unit_events) {
                    if let Some(e) = unit_event {
                        follow_unit(state, e, &read);
                    }
                    events.push(Arc::new(PreparedEvent::from_parsed(row, payload)));
                }
                let slow = hub.publish(&events, last);
                if slow > 0 {
                    tracing::warn!(
                        clients = slow,
                        event.seq = last,
                        "dropped slow websocket clients"
                    );
                }
                head = last;
                if !full {
                    return head;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, event.seq = head, "event feed cannot read the log");
                return head;
            }
        }
    }
}

/// A unit event of the log, as the geo index follows it.
struct UnitEvent {
    unit_id: String,
    change: UnitChange,
}

enum UnitChange {
    Created,
    Status(String),
    Moved { lon: f64, lat: f64, at: i64 },
}

impl UnitEvent {
    /// The unit event in a log row; `None` for other events and for unit events whose payload does not fit
    /// their kind.
    fn of(event_type: &str, payload: &serde_json::Value) -> Option<UnitEvent> {
        let kind = EventKind::parse(event_type)?;
        if !matches!(
            kind,
            EventKind::UnitCreated | EventKind::UnitStatus | EventKind::UnitPosition
        ) {
            return None;
        }
        Some(match DomainEvent::from_stored(event_type, payload)? {
            DomainEvent::UnitCreated(e) => UnitEvent {
                unit_id: e.unit_id,
                change: UnitChange::Created,
            },
            DomainEvent::UnitStatus(e) => UnitEvent {
                unit_id: e.unit_id,
                change: UnitChange::Status(e.status),
            },
            DomainEvent::UnitPosition(e) => UnitEvent {
                unit_id: e.unit_id,
                change: UnitChange::Moved {
                    lon: e.lon,
                    lat: e.lat,
                    at: e.position_at,
                },
            },
            _ => return None,
        })
    }

    /// Whether following it needs the unit read from the store: a new unit, or one the index does not hold
    /// yet (created on any instance, or since this one loaded its index, or never positioned until now).
    fn needs_read(&self, state: &AppState) -> bool {
        matches!(self.change, UnitChange::Created) || !state.geo.knows_unit(&self.unit_id)
    }
}

/// Reads, in one query for the page, the units whose events need them (see [`UnitEvent::needs_read`]): a
/// page of first fixes of thousands of units would otherwise be thousands of reads on the feed's one task.
/// A failed read is logged and leaves those units to their next event.
async fn read_units(state: &AppState, events: &[Option<UnitEvent>]) -> HashMap<String, UnitRow> {
    let ids: BTreeSet<&str> = events
        .iter()
        .flatten()
        .filter(|e| e.needs_read(state))
        .map(|e| e.unit_id.as_str())
        .collect();
    if ids.is_empty() {
        return HashMap::new();
    }
    match state
        .store
        .units_by_ids(&ids.into_iter().collect::<Vec<_>>())
        .await
    {
        Ok(rows) => rows.into_iter().map(|u| (u.id.clone(), u)).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read units for the geo index");
            HashMap::new()
        }
    }
}

/// Applies a unit event to the geo index. A unit that needs reading is upserted as `read` holds it (its state
/// after the event); moves older than the index's fix are ignored by the index itself.
fn follow_unit(state: &AppState, event: UnitEvent, read: &HashMap<String, UnitRow>) {
    if event.needs_read(state) {
        if let Some(unit) = read.get(&event.unit_id) {
            state.geo.unit_upsert(unit);
        }
        return;
    }
    match event.change {
        UnitChange::Status(status) => {
            if let Ok(status) = status.parse::<UnitStatus>() {
                state.geo.unit_status(&event.unit_id, status);
            }
        }
        UnitChange::Moved { lon, lat, at } => unit_moved(state, &event.unit_id, lon, lat, at),
        UnitChange::Created => {}
    }
}

/// A LISTEN connection on PostgreSQL; `None` on SQLite or when it cannot be opened (the poll covers).
async fn listen(store: &Store) -> Option<PgListener> {
    let pool = store.pg_pool()?;
    let result = async {
        let mut l = PgListener::connect_with(pool).await?;
        l.listen(EVENT_CHANNEL).await?;
        Ok::<_, sqlx::Error>(l)
    }
    .await;
    match result {
        Ok(l) => Some(l),
        Err(e) => {
            tracing::warn!(error = %e, "cannot LISTEN for events; polling instead");
            None
        }
    }
}
