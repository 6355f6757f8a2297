//! What every edge (HTTP handler, websocket, job, command) and every service can reach: the handles of one
//! running instance. It holds handles only; the workflows that use them are `crate::service`.

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::metrics::Metrics;
use crate::store::Store;
use std::sync::Arc;

/// What every request handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// The configuration in force.
    pub config: Arc<Config>,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Jurisdiction, unit and facility indexes.
    pub geo: crate::geo::Geo,
    /// Websocket hub and event feed of this instance.
    pub live: crate::live::Live,
    /// The bounded password hashers of this instance.
    pub passwords: Arc<crate::auth::Passwords>,
    /// The Web Push identity (`[push] vapid_private_key`), derived once; `None` when Web Push is off.
    pub vapid: Option<Arc<crate::service::push::Vapid>>,
    /// The supervisor's coverage answers, per unit type and unit-index version.
    pub coverage: Arc<crate::service::coverage::CoverageCache>,
}

impl AppState {
    /// State over an opened store with the system clock.
    pub fn new(store: Store, config: Config) -> Self {
        AppState::with_clock(store, config, Arc::new(SystemClock))
    }

    /// State with an explicit clock (tests move a manual one).
    pub fn with_clock(store: Store, config: Config, clock: Arc<dyn Clock>) -> Self {
        let mut geo = crate::geo::Geo::empty();
        geo.stale_after_ms = config.dispatch.unit_stale_after_s.saturating_mul(1000);
        let passwords = crate::auth::Passwords::new(
            config.auth.password_hash_concurrency,
            config.auth.password_hash_queue,
        );
        // A key that does not parse was refused when the configuration was loaded (`PushConfig::validate`);
        // a state built around one anyway runs without Web Push, and says so.
        let vapid = crate::service::push::Vapid::from_config(&config.push)
            .map_err(|e| tracing::error!(error = %format!("{e:#}"), "push.vapid_private_key unusable; Web Push off"))
            .ok()
            .flatten()
            .map(Arc::new);
        AppState {
            store,
            clock,
            vapid,
            passwords: Arc::new(passwords),
            config: Arc::new(config),
            metrics: Arc::new(Metrics::default()),
            geo,
            live: crate::live::Live::default(),
            coverage: Arc::default(),
        }
    }

    /// Milliseconds since the epoch, now.
    pub fn now_ms(&self) -> i64 {
        self.clock.now().0
    }
}
