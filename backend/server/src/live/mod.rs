//! Live operations: the websocket stream of events, resumable by sequence number, and unit positions in.
//!
//! Layout: [`event`] is the vocabulary and the audience rules; [`hub`] fans events out to per-client bounded
//! queues; [`feed`] is the one task per instance that reads the durable log (`store::events`) and feeds the
//! hub; [`socket`] is one connection (hello, replay, live, keepalive); [`position`] takes GPS fixes in and
//! writes them in batches; [`lease`] lets one instance own a job (an SLA clock) across a cluster.
//!
//! Invariants: every event a client receives comes from the durable log, carries its `seq`, and arrives in
//! increasing seq order with no duplicate; a client that resumes from a seq it received misses nothing it
//! may see. No live code blocks one client on another: queues are bounded and a full one drops its client.
//! Several instances on one PostgreSQL database share the log; each runs its own feed, woken by NOTIFY.

pub mod event;
pub mod feed;
pub mod hub;
pub mod lease;
pub mod position;
pub mod prune;
pub mod socket;

use crate::state::AppState;
use serde::Deserialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use crate::store::LeaderLease;
pub use event::{Audience, ControlFrame};
pub use position::PositionFix;

/// The `[live]` configuration section.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LiveConfig {
    /// At most one `unit.position` event per unit per this many milliseconds (0 = one per fix).
    pub position_event_interval_ms: u64,
    /// Events queued per websocket client before it is dropped as a slow consumer.
    pub client_queue_len: usize,
    /// Seconds between server pings.
    pub ping_interval_secs: u64,
    /// Seconds without any frame from the client (pongs included) before it is closed.
    pub idle_timeout_secs: u64,
    /// Seconds one frame may take to write before the client is given up.
    pub write_timeout_secs: u64,
    /// Safety poll of the event log in milliseconds (wake-ups normally come sooner).
    pub poll_interval_ms: u64,
    /// Milliseconds between writes of the position track (a sender waits up to this long for its answer).
    pub track_flush_ms: u64,
    /// Buffered fixes that trigger an early track write.
    pub track_batch_max: usize,
    /// Fixes implying a faster movement from the unit's last fix are refused.
    pub max_speed_kmh: f64,
    /// Hours the event log keeps events for resuming clients (0 = forever). Older events are pruned by one
    /// instance of the cluster; a client resuming from before them is told to reload (`resync_required`).
    pub event_retention_hours: u64,
    /// Seconds between prunes of the event log.
    pub event_prune_every_secs: u64,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            position_event_interval_ms: 2000,
            client_queue_len: 1024,
            ping_interval_secs: 20,
            idle_timeout_secs: 60,
            write_timeout_secs: 10,
            poll_interval_ms: 1000,
            track_flush_ms: 100,
            track_batch_max: 100,
            max_speed_kmh: 300.0,
            event_retention_hours: 168,
            event_prune_every_secs: 600,
        }
    }
}

impl LiveConfig {
    /// Refuses settings that cannot work.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.client_queue_len >= 1,
            "live.client_queue_len must be at least 1"
        );
        anyhow::ensure!(
            self.ping_interval_secs >= 1 && self.idle_timeout_secs > self.ping_interval_secs,
            "live.idle_timeout_secs must be longer than live.ping_interval_secs (≥ 1)"
        );
        anyhow::ensure!(
            self.write_timeout_secs >= 1,
            "live.write_timeout_secs must be at least 1"
        );
        anyhow::ensure!(
            self.poll_interval_ms >= 10 && self.track_flush_ms >= 10,
            "live.poll_interval_ms and live.track_flush_ms must be at least 10"
        );
        anyhow::ensure!(
            self.track_batch_max >= 1,
            "live.track_batch_max must be at least 1"
        );
        anyhow::ensure!(
            self.event_prune_every_secs >= 1,
            "live.event_prune_every_secs must be at least 1"
        );
        anyhow::ensure!(
            self.max_speed_kmh.is_finite() && self.max_speed_kmh > 0.0,
            "live.max_speed_kmh must be a positive number"
        );
        Ok(())
    }
}

/// Per-instance live state (hub of connected clients, event feed, position intake). Cheap to clone.
#[derive(Clone)]
pub struct Live {
    inner: Arc<LiveInner>,
}

struct LiveInner {
    hub: hub::Hub,
    intake: position::PositionIntake,
    shutdown: watch::Sender<bool>,
    started: AtomicBool,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            inner: Arc::new(LiveInner {
                hub: hub::Hub::default(),
                intake: position::PositionIntake::default(),
                shutdown: watch::channel(false).0,
                started: AtomicBool::new(false),
                tasks: Mutex::default(),
            }),
        }
    }
}

impl Live {
    /// The fan-out hub.
    pub fn hub(&self) -> &hub::Hub {
        &self.inner.hub
    }

    /// The position intake.
    pub fn intake(&self) -> &position::PositionIntake {
        &self.inner.intake
    }

    /// Turns true when the instance stops.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }
}

/// Routes of the live layer (websocket, position intake), merged into the API router.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(socket::connect_live))
        .routes(routes!(position::report_unit_position))
}

/// Starts the instance's background tasks (event feed from log position `head`, position writer). Called
/// once by `serve`; later calls do nothing.
pub fn start(state: &AppState, head: i64) {
    let live = &state.live;
    if live.inner.started.swap(true, Ordering::SeqCst) {
        return;
    }
    let feed = tokio::spawn(feed::run(state.clone(), head, live.shutdown_signal()));
    let writer = tokio::spawn(position::run_writer(state.clone(), live.shutdown_signal()));
    live.inner
        .tasks
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .extend([feed, writer]);
}

/// Stops the background tasks: the position writer flushes every buffered fix, and every connected client
/// is closed with "server shutting down; resume from <seq>". Called by `serve` before the store closes.
pub async fn stop(state: &AppState) {
    let live = &state.live;
    live.inner.shutdown.send_replace(true);
    let tasks: Vec<_> =
        std::mem::take(&mut *live.inner.tasks.lock().unwrap_or_else(|p| p.into_inner()));
    for task in tasks {
        if tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .is_err()
        {
            tracing::warn!("a live background task did not stop within 10 s");
        }
    }
}

/// Hook called for every accepted position fix, before it is persisted: the place where the in-memory geo
/// index (`siaga-spatial`'s unit index) is updated in place.
///
/// Called on the request path (HTTP or websocket) of the instance that accepted the fix, so it must be
/// cheap and must not await: take a `std::sync` lock, update, release. `lon`/`lat` are a validated WGS 84
/// position; `at` is the device's fix time (ms), strictly increasing per unit on this instance. Other
/// instances learn the move from the `unit.position` event (coalesced) or the `units` row.
pub fn unit_moved(state: &AppState, unit_id: &str, lon: f64, lat: f64, at: i64) {
    // Fixes reaching here were validated already; a position the geo crate still refuses is skipped.
    if let Ok(p) = siaga_spatial::Position::from_lon_lat(lon, lat) {
        state
            .geo
            .unit_moved(unit_id, p, siaga_core::time::Timestamp(at));
    }
}
