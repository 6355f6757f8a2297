//! The event feed: one task per instance that reads the durable log in seq order and hands events to the hub.
//!
//! It wakes on three things, any of which is enough: the in-process signal after a local commit, a
//! PostgreSQL `NOTIFY siaga_events` from any instance on the same database, and a periodic safety poll
//! (notifications are lost while the LISTEN connection is down). Because it always reads `events_after(head)`,
//! a missed wake-up only delays delivery; it never loses or reorders an event.
//!
//! The feed also keeps this instance's geo index in step with the whole cluster: unit creations, status
//! changes and (coalesced) moves committed by any instance reach the index in log order, so a unit created or
//! dispatched through another instance is recommended (or not) here too.

use super::event::PreparedEvent;
use crate::events::{DomainEvent, EventKind};
use crate::service::positions::unit_moved;
use crate::state::AppState;
use crate::store::{EVENT_CHANNEL, Store, StoreError};
use siaga_core::unit::UnitStatus;
use sqlx::postgres::PgListener;
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
    loop {
        head = drain(&state, hub, head).await;
        let notified = async {
            match listener.as_mut() {
                Some(l) => l.recv().await.map(|_| ()),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = shutdown.changed() => break,
            () = signal.notified() => {}
            r = notified => {
                if let Err(e) = r {
                    tracing::warn!(error = %e, "LISTEN connection lost; polling until it is back");
                    listener = None;
                }
            }
            () = tokio::time::sleep(poll) => {
                if listener.is_none() && store.pg_pool().is_some() {
                    listener = listen(&store).await;
                }
            }
        }
    }
    tracing::info!(event.seq = head, "event feed stopped");
}

/// Publishes every event after `head`; returns the new head.
async fn drain(state: &AppState, hub: &super::hub::Hub, mut head: i64) -> i64 {
    loop {
        match state.store.events_after(head, BATCH).await {
            Ok(rows) => {
                let Some(last) = rows.last().map(|r| r.seq) else {
                    return head;
                };
                let full = rows.len() as i64 == BATCH;
                let mut events: Vec<Arc<PreparedEvent>> = Vec::with_capacity(rows.len());
                for row in rows {
                    // Parsed once: for the geo index and for the frame.
                    let payload = serde_json::from_str(&row.payload).ok();
                    if let Some(payload) = &payload {
                        follow_unit(state, &row.event_type, payload).await;
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

/// Applies a unit event to the geo index. A unit the index does not hold yet (created on any instance, or since
/// this one loaded its index) is read from the store; moves older than the index's fix are ignored by the index
/// itself. Other events, and unit events whose payload does not fit their kind, are left alone.
async fn follow_unit(state: &AppState, event_type: &str, payload: &serde_json::Value) {
    let Some(kind) = EventKind::parse(event_type) else {
        return;
    };
    if !matches!(
        kind,
        EventKind::UnitCreated | EventKind::UnitStatus | EventKind::UnitPosition
    ) {
        return;
    }
    let Some(event) = DomainEvent::from_stored(event_type, payload) else {
        return;
    };
    let unit_id = match &event {
        DomainEvent::UnitCreated(e) => e.unit_id.as_str(),
        DomainEvent::UnitStatus(e) => e.unit_id.as_str(),
        DomainEvent::UnitPosition(e) => e.unit_id.as_str(),
        _ => return,
    };
    if kind == EventKind::UnitCreated || !state.geo.knows_unit(unit_id) {
        match state.store.get_unit(unit_id).await {
            Ok(unit) => state.geo.unit_upsert(&unit),
            Err(StoreError::NotFound) => {}
            Err(e) => {
                tracing::warn!(error = %e, unit_id, "cannot read a unit for the geo index");
            }
        }
        return;
    }
    match &event {
        DomainEvent::UnitStatus(e) => {
            if let Ok(status) = e.status.parse::<UnitStatus>() {
                state.geo.unit_status(unit_id, status);
            }
        }
        DomainEvent::UnitPosition(e) => unit_moved(state, unit_id, e.lon, e.lat, e.position_at),
        _ => {}
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
