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
use crate::live::position::{LastFix, PositionAccepted, PositionFix, Refused};
use crate::state::AppState;
use crate::store::StoreError;
use siaga_core::position::Position;
use siaga_core::role::Role;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Validates and queues a fix for `unit_id` sent by `actor` (the unit's responder, or an admin), and answers
/// once it is stored.
///
/// # Errors
///
/// 403 for anyone else; 404 for an unknown unit; 422 naming the field of a fix out of range, out of order or
/// physically impossible; 503 when the fix was not stored in time (send it again).
pub async fn accept_fix(
    state: &AppState,
    actor: &Actor,
    unit_id: &str,
    fix: PositionFix,
) -> ApiResult<PositionAccepted> {
    let allowed = match actor.role {
        Role::Admin => true,
        Role::Responder => actor.user.unit_id.as_deref() == Some(unit_id),
        _ => false,
    };
    if !allowed {
        return Err(ApiError::forbidden(
            "only the unit's own responder (or an admin) may report its position",
        ));
    }
    let intake = state.live.intake();
    if !intake.knows(unit_id) {
        let unit = state.store.get_unit(unit_id).await.map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("unit"),
            other => other.into(),
        })?;
        // The unit's last GPS fix, not its stored position: that may be a station set by an admin or the demo
        // data, and a phone switched on far from it is not "moving impossibly fast".
        let last = state.store.last_track_point(unit_id).await?.and_then(|p| {
            Position::from_lon_lat(p.lon, p.lat)
                .ok()
                .map(|position| LastFix {
                    at: p.at,
                    position,
                    accuracy_m: p.accuracy_m.unwrap_or(0.0),
                })
        });
        let agency_region = state.store.get_agency(&unit.agency_id).await?.region_code;
        intake.track_unit(unit.id, unit.agency_id, agency_region, last);
    }
    let queued = intake
        .queue(unit_id, &fix, state.now_ms(), &state.config.live)
        .map_err(|r| match r {
            Refused::UnknownUnit => ApiError::not_found("unit"),
            Refused::Rejected(rejection) => rejection.into(),
        })?;
    if let Some(position) = queued.position {
        unit_moved(state, unit_id, position.lon(), position.lat(), fix.at);
    }
    if intake.stored(queued.round).await {
        Ok(PositionAccepted {
            unit_id: unit_id.to_owned(),
            position_at: fix.at,
        })
    } else {
        Err(ApiError::new(
            ErrorCode::Unavailable,
            "the fix was received but not stored yet; send the same fix again",
        ))
    }
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
    let mut last_flush = Instant::now();
    loop {
        let stopping = tokio::select! {
            _ = shutdown.changed() => true,
            () = intake.woken() => false,
            _ = tick.tick() => false,
        };
        let flush_track = stopping
            || last_flush.elapsed() >= flush_every
            || intake.buffered() >= config.track_batch_max;
        // On shutdown every pending fix is published, whatever its interval.
        let batch = intake.take_batch(
            state.now_ms(),
            if stopping { 0 } else { interval_ms },
            flush_track,
        );
        if flush_track {
            last_flush = Instant::now();
        }
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
