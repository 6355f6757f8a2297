//! Live operations: the websocket stream of events, resumable by sequence number, and unit positions in.
//!
//! Layout: [`event`] is the vocabulary and the audience rules; [`hub`] fans events out to per-client bounded
//! queues; [`feed`] is the one task per instance that reads the durable log (`store::events`) and feeds the
//! hub; [`socket`] is one connection (hello, replay, live, keepalive); [`position`] checks GPS fixes and
//! buffers them for the writer (`service::positions`); [`lease`] lets one instance own a job (an SLA clock)
//! across a cluster. The HTTP endpoints are `api::live` and `api::positions`; `app` starts and stops the
//! background tasks. This file holds the handles only and imports no `AppState`, so `state` → `live` is no
//! import circle.
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

use serde::Deserialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::task::JoinHandle;

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

    /// True the first time only: the caller starts the background tasks and hands them to [`Live::hold`].
    pub fn claim_start(&self) -> bool {
        !self.inner.started.swap(true, Ordering::SeqCst)
    }

    /// Keeps the background tasks' handles until [`Live::shut_down`].
    pub fn hold(&self, tasks: impl IntoIterator<Item = JoinHandle<()>>) {
        self.inner
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(tasks);
    }

    /// Turns the shutdown signal on and hands back the held tasks, for the caller to await.
    pub fn shut_down(&self) -> Vec<JoinHandle<()>> {
        self.inner.shutdown.send_replace(true);
        std::mem::take(&mut *self.inner.tasks.lock().unwrap_or_else(|p| p.into_inner()))
    }
}
