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
//! Invariants: every event a client receives was committed to the durable log (the feed reads it back, or
//! takes the rows this instance's own commit handed over), carries its `seq`, and arrives in increasing seq
//! order with no duplicate; a client that resumes from a seq it received misses nothing it
//! may see. No live code blocks one client on another: queues are bounded and a full one drops its client.
//! Several instances on one PostgreSQL database share the log; each runs its own feed, woken by NOTIFY.

pub mod event;
pub mod feed;
pub mod hub;
pub mod lease;
pub mod position;
pub mod prune;
pub mod socket;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use crate::config::LiveConfig;
pub use crate::store::LeaderLease;
pub use event::{Audience, ControlFrame};
pub use position::PositionFix;

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
