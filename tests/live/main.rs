//! Live stream suites: real websocket clients (tokio-tungstenite) against a real server on a random port,
//! each scenario on SQLite and PostgreSQL. Waits are for frames, with a bounded timeout; never sleeps.

#![expect(
    clippy::unwrap_used,
    reason = "integration tests: an unwrap that fails is a failed assertion"
)]

mod agents;
mod filtering;
mod lease;
mod positions;
mod protocol;
mod resume;
mod revocation;
mod scope;
mod slow_consumer;

use serde_json::{Value, json};
use siaga::store::{EventRow, NewEvent};
use siaga_tests::{Engine, TestServer, WsClient};

/// A server with the demo data whose feed polls often: events appended through a second store handle
/// (for producers whose endpoints do not exist yet) reach it by the poll on SQLite, by NOTIFY on PostgreSQL.
pub async fn server(engine: Engine) -> TestServer {
    TestServer::demo_with(engine, |c| c.live.poll_interval_ms = 20).await
}

/// An event with an audience, for appending.
pub fn event(
    event_type: &str,
    agency_ids: Option<Vec<&str>>,
    unit_id: Option<&str>,
    payload: Value,
) -> NewEvent {
    NewEvent {
        event_type: event_type.to_owned(),
        agency_ids: agency_ids.map(|ids| ids.into_iter().map(str::to_owned).collect()),
        unit_id: unit_id.map(str::to_owned),
        region_code: Some("21.71".to_owned()),
        payload,
        incident_state: None,
        timeline: None,
    }
}

/// Appends events to the server's log in one transaction; returns their seqs.
pub async fn append(srv: &TestServer, events: &[NewEvent]) -> Vec<i64> {
    let store = srv.store().await;
    let now = chrono_now_ms();
    let seqs = store.append_events(now, events).await.unwrap();
    store.close().await;
    seqs
}

/// `n` events visible to everyone (supervisors, every agency), tagged with `label`.
pub fn broadcast(n: usize, label: &str) -> Vec<NewEvent> {
    (0..n)
        .map(|i| {
            event(
                "incident.updated",
                None,
                None,
                json!({"label": label, "i": i}),
            )
        })
        .collect()
}

/// Every event of the log after `after`.
pub async fn log_after(srv: &TestServer, after: i64) -> Vec<EventRow> {
    let store = srv.store().await;
    let rows = store.events_after(after, 1_000_000).await.unwrap();
    store.close().await;
    rows
}

/// Milliseconds since the epoch.
pub fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Reads domain events (frames with a `seq`, not control frames) until one with `seq == last`.
pub async fn events_until(ws: &mut WsClient, last: i64) -> Vec<Value> {
    let mut got = Vec::new();
    loop {
        let frame = ws.next().await;
        if frame.get("seq").is_none()
            || frame["type"] == "hello"
            || frame["type"] == "resync_required"
        {
            continue;
        }
        let seq = frame["seq"].as_i64().unwrap();
        assert!(seq <= last, "overshot {last}: {frame}");
        got.push(frame);
        if seq == last {
            return got;
        }
    }
}

/// The seqs of frames.
pub fn seqs(frames: &[Value]) -> Vec<i64> {
    frames.iter().map(|f| f["seq"].as_i64().unwrap()).collect()
}

/// Asserts strictly increasing seqs.
#[track_caller]
pub fn assert_increasing(seqs: &[i64]) {
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "not increasing: {seqs:?}"
    );
}
