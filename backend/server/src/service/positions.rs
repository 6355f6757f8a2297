//! Position intake: a responder's GPS fix, from HTTP or the websocket, checked and queued in this instance's
//! [`PositionIntake`](crate::live::position::PositionIntake), and the writer task that stores queued fixes in
//! group commits.
//!
//! Invariant: a fix is acknowledged only once the write round holding it has committed, so an acknowledged
//! fix survives a crash; a fix not stored within the intake's wait is answered 503 and the same fix sent again
//! is accepted as a retry. The geo index moves on the request path (before the write), so a recommendation
//! made right after a fix already sees it.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::limits::ShortText;
use crate::live::position::{LastFix, PositionAccepted, PositionFix};
use crate::state::AppState;
use siaga_core::position::Position;
use siaga_core::role::Role;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::sync::watch;

/// Validates and queues a fix for `unit_id` sent by `actor` (the unit's responder, or an admin), and answers
/// once it is stored.
///
/// # Errors
///
/// 403 for anyone else; 404 for an unknown unit; 422 naming the field of a fix out of range, out of order or
/// physically impossible; 503 when the fix was not stored in time, or when too many fixes wait to be stored
/// (nothing was queued; `Retry-After`): send it again.
pub async fn accept_fix(
    state: &AppState,
    actor: &Actor,
    unit_id: &str,
    fix: PositionFix,
) -> ApiResult<PositionAccepted> {
    let round = queue_fix(state, actor, unit_id, &fix, Lookup::IfUnknown).await?;
    if state.live.intake().stored(round).await {
        Ok(PositionAccepted {
            unit_id: unit_id.to_owned(),
            position_at: fix.at,
        })
    } else {
        Err(not_stored_in_time())
    }
}

fn not_stored_in_time() -> ApiError {
    ApiError::new(
        ErrorCode::Unavailable,
        "the fix was received but not stored yet; send the same fix again",
    )
}

/// Most fixes in one batch.
pub const BATCH_MAX: usize = 2_000;

/// A batch of fixes: a phone's track buffered while it had no data, or a vehicle-tracking gateway's fleet.
/// The fixes are checked one by one in order, exactly as single fixes are; the batch is answered once every
/// accepted fix is stored (one group commit for the lot), with the refused ones listed.
///
/// # Errors
///
/// 403 for roles other than responder and admin (a responder's fixes for another unit are refused one by
/// one); 422 naming `fixes` for an empty or oversized batch; 503 when the accepted fixes were not stored in time
/// (send the same batch again: a fix already stored is then refused as out of order, never stored twice). While
/// too many fixes wait to be stored, the remaining fixes are refused one by one with code `unavailable`.
pub async fn accept_fixes(
    state: &AppState,
    actor: &Actor,
    fixes: &[UnitFix],
) -> ApiResult<BatchAccepted> {
    if !matches!(actor.role, Role::Admin | Role::Responder) {
        return Err(ApiError::forbidden(
            "only responders (their own unit's fixes) and admins may report positions",
        ));
    }
    if fixes.is_empty() || fixes.len() > BATCH_MAX {
        return Err(ApiError::new(
            ErrorCode::ValidationFailed,
            format!("fixes must hold 1 to {BATCH_MAX} fixes"),
        )
        .with_field("fixes"));
    }
    // The units this instance does not track yet are read in one query for the batch, not one by one: a
    // gateway's first batch names hundreds of them.
    let intake = state.live.intake();
    let unknown: BTreeSet<&str> = fixes
        .iter()
        .map(|f| f.unit_id.as_str())
        .filter(|id| may_report(actor, id) && !intake.knows(id))
        .collect();
    track_units(state, &unknown.into_iter().collect::<Vec<_>>()).await?;
    let mut last_round = None;
    let mut accepted = 0;
    let mut refused = Vec::new();
    for (index, f) in fixes.iter().enumerate() {
        match queue_fix(state, actor, &f.unit_id, &f.fix(), Lookup::Done).await {
            Ok(round) => {
                accepted += 1;
                last_round = last_round.max(Some(round));
            }
            Err(error) => refused.push(RefusedFix {
                index,
                unit_id: f.unit_id.to_string(),
                code: error.code,
                message: error.message,
                field: error.field,
            }),
        }
    }
    if let Some(round) = last_round
        && !state.live.intake().stored(round).await
    {
        return Err(not_stored_in_time());
    }
    Ok(BatchAccepted { accepted, refused })
}

/// One fix of a batch: the unit and the fix's fields.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitFix {
    pub unit_id: ShortText,
    /// Latitude, degrees, in [-90, 90].
    pub lat: f64,
    /// Longitude, degrees, in [-180, 180].
    pub lon: f64,
    /// Horizontal accuracy radius in metres (≥ 0).
    pub accuracy_m: Option<f64>,
    /// Direction of travel in degrees clockwise from north, in [0, 360].
    pub heading_deg: Option<f64>,
    /// Ground speed in metres per second (≥ 0).
    pub speed_mps: Option<f64>,
    /// When the device took the fix, ms since the epoch.
    pub at: i64,
}

impl UnitFix {
    fn fix(&self) -> PositionFix {
        PositionFix {
            lat: self.lat,
            lon: self.lon,
            accuracy_m: self.accuracy_m,
            heading_deg: self.heading_deg,
            speed_mps: self.speed_mps,
            at: self.at,
        }
    }
}

/// The answer to a batch.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct BatchAccepted {
    /// Fixes accepted and stored (a repeat of a unit's last accepted fix counts as accepted).
    pub accepted: usize,
    /// The fixes refused, in batch order.
    pub refused: Vec<RefusedFix>,
}

/// A refused fix of a batch, with the error a single fix would have got.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RefusedFix {
    /// Its position in the batch, from 0.
    pub index: usize,
    pub unit_id: String,
    /// The error a single fix would have got (`forbidden`, `not_found`, `validation_failed`).
    pub code: ErrorCode,
    pub message: String,
    /// The fix's field to blame, when there is one.
    pub field: Option<String>,
}

/// Whether [`queue_fix`] reads a unit this instance does not track yet from the store.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lookup {
    IfUnknown,
    /// The caller already read every unit it could (a batch): a unit still unknown does not exist.
    Done,
}

/// Whether `actor` may report positions for `unit_id`: its own unit's responder, or an admin.
fn may_report(actor: &Actor, unit_id: &str) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::Responder => actor.user.unit_id.as_deref() == Some(unit_id),
        _ => false,
    }
}

/// Starts tracking `unit_ids` (those not tracked yet) in this instance's intake, read in one query: each
/// unit's OPD and region, and its last GPS fix — not its stored position, which may be a station set by an
/// admin or the demo data: a phone switched on far from it is not "moving impossibly fast". Ids of no unit
/// are left untracked.
async fn track_units(state: &AppState, unit_ids: &[&str]) -> ApiResult<()> {
    if unit_ids.is_empty() {
        return Ok(());
    }
    let intake = state.live.intake();
    for unit in state.store.units_for_intake(unit_ids).await? {
        let last = unit.last_fix.and_then(|p| {
            Position::from_lon_lat(p.lon, p.lat)
                .ok()
                .map(|position| LastFix {
                    at: p.at,
                    position,
                    accuracy_m: p.accuracy_m.unwrap_or(0.0),
                })
        });
        intake.track_unit(unit.unit_id, unit.agency_id, unit.agency_region, last);
    }
    Ok(())
}

/// Checks `fix` for `unit_id` sent by `actor` and queues it; returns the write round that stores it.
async fn queue_fix(
    state: &AppState,
    actor: &Actor,
    unit_id: &str,
    fix: &PositionFix,
    lookup: Lookup,
) -> ApiResult<u64> {
    if !may_report(actor, unit_id) {
        return Err(ApiError::forbidden(
            "only the unit's own responder (or an admin) may report its position",
        ));
    }
    let intake = state.live.intake();
    if lookup == Lookup::IfUnknown && !intake.knows(unit_id) {
        track_units(state, &[unit_id]).await?;
    }
    let queued = intake
        .queue(unit_id, fix, state.now_ms(), &state.config.live)
        .map_err(ApiError::from)?;
    if let Some(position) = queued.position {
        unit_moved(state, unit_id, position.lon(), position.lat(), fix.at);
    }
    Ok(queued.round)
}

/// Moves a unit in this instance's geo index (`siaga-spatial`'s unit index), for every accepted fix before it
/// is persisted and for every `unit.position` event the feed reads from another instance.
///
/// Called on the request path, so it must be cheap and must not await: the index takes a `std::sync` lock,
/// updates and releases. `lon`/`lat` are a validated WGS 84 position; `at` is the device's fix time (ms).
pub fn unit_moved(state: &AppState, unit_id: &str, lon: f64, lat: f64, at: i64) {
    // Fixes reaching here were validated already; a position the geo crate still refuses is skipped.
    if let Ok(p) = Position::from_lon_lat(lon, lat) {
        state
            .geo
            .unit_moved(unit_id, p, siaga_core::time::Timestamp(at));
    }
}

/// Sleeps until `at`, or forever when there is no such moment.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The position writer: commits queued fixes and due events until shutdown, then flushes everything.
pub async fn run_writer(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let intake = state.live.intake();
    let config = state.config.live.clone();
    let interval_ms = config.position_event_interval_ms as i64;
    let flush_every = Duration::from_millis(config.track_flush_ms);
    // Trailing events are checked this often; leading ones wake the writer directly.
    let tick_every = Duration::from_millis((config.position_event_interval_ms / 4).clamp(10, 100));
    let mut tick = tokio::time::interval(tick_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // A buffered track is written `track_flush_ms` after the last write took the track (the first fix into
        // an empty buffer wakes the writer, which then sleeps until that moment).
        let flush_at = intake.track_flush_at(flush_every);
        let stopping = tokio::select! {
            _ = shutdown.changed() => true,
            () = intake.woken() => false,
            _ = tick.tick() => false,
            () = sleep_until(flush_at) => false,
        };
        let flush_track = stopping
            || intake
                .track_flush_at(flush_every)
                .is_some_and(|t| t <= tokio::time::Instant::now())
            || intake.buffered() >= config.track_batch_max;
        // On shutdown every pending fix is published, whatever its interval.
        let batch = intake.take_batch(
            state.now_ms(),
            if stopping { 0 } else { interval_ms },
            flush_track,
        );
        if !(batch.track.is_empty() && batch.events.is_empty()) {
            let at = state.now_ms();
            if let Err(e) = state
                .store
                .record_positions(at, &batch.track, &batch.latest, &batch.events)
                .await
            {
                tracing::error!(error = %e, track = batch.track.len(), events = batch.events.len(),
                    "cannot write positions; will retry the track");
                intake.requeue(batch.track);
                if stopping {
                    break;
                }
                continue;
            }
        }
        if let Some(round) = batch.round {
            intake.committed(round);
        }
        if stopping {
            break;
        }
    }
}
