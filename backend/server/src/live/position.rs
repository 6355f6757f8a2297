//! Positions in, in memory: the checks a GPS fix passes, and the per-instance intake that queues accepted
//! fixes for the position writer. No I/O and no `AppState` here: `service::positions` reads the unit, waits
//! for the write and runs the writer; this file only decides and buffers, under one short lock.
//!
//! A fix is checked against the unit's last accepted fix (range, order, implied speed), then queued. The
//! writer commits queued fixes in one transaction per round: the track rows (with every round that commits
//! an event, else `track_flush_ms` after the previous write or at `track_batch_max` fixes), each moved
//! unit's last position, and the `unit.position` events. Rounds commit in
//! order and a sender is answered only once the round holding its fix has committed (group commit), so an
//! acknowledged fix survives a crash. Events are coalesced per unit: the first fix after a quiet interval is
//! published at once (the writer is woken), later ones within `position_event_interval_ms` only replace a
//! pending fix that is published when the interval has passed, so the newest position is never held back
//! for long and never lost.
//!
//! The last accepted fix of each unit is cached per instance, first read from the stored track (a unit's
//! stored position without a track — a station set by an admin — is no fix to check against). With several
//! instances a phone that switches instance is checked against that instance's (possibly older) view; the
//! database update keeps the newest position regardless (`position_at` guard).

use super::LiveConfig;
use crate::error::{ApiError, ErrorCode};
use crate::events::unit::UnitPosition;
use crate::events::{DomainEvent, Reach};
use crate::store::{NewEvent, TrackPoint};
use serde::{Deserialize, Serialize};
use siaga_core::position::Position;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

/// A fix may be at most this far ahead of the server clock (device clocks drift).
const MAX_FUTURE_SKEW_MS: i64 = 60_000;

/// Accuracy radii above this count as this much in the implied-speed check, so a wildly inaccurate fix
/// cannot excuse any jump.
const MAX_ACCURACY_CREDIT_M: f64 = 1_000.0;

/// Track rows kept in memory waiting for the writer. A fix that finds this many is refused ([`Refused::Busy`]):
/// every buffered row belongs to a sender still waiting for its answer, so none may be dropped. With the batch
/// being written (and put back if that write fails), the buffer holds at most twice this.
const MAX_BUFFERED_TRACK: usize = 200_000;

/// Seconds a sender refused for a full buffer is asked to wait before sending again.
const BUSY_RETRY_AFTER_SECS: u64 = 2;

/// How long a sender waits for its fix to be stored before it is told to send it again (503).
const STORE_WAIT: Duration = Duration::from_secs(10);

/// One GPS fix from a device.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionFix {
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

/// The answer to an accepted fix.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PositionAccepted {
    pub unit_id: String,
    /// The fix's time, echoed.
    pub position_at: i64,
}

/// The last accepted fix of a unit, as the checks need it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastFix {
    pub at: i64,
    pub position: Position,
    pub accuracy_m: f64,
}

/// Why a fix was refused: the field to blame and a message for the device's log.
#[derive(Debug, Clone, PartialEq)]
pub struct FixRejection {
    pub field: Option<&'static str>,
    pub message: String,
}

impl From<FixRejection> for ApiError {
    fn from(r: FixRejection) -> Self {
        let e = ApiError::new(ErrorCode::ValidationFailed, r.message);
        match r.field {
            Some(f) => e.with_field(f),
            None => e,
        }
    }
}

fn reject(field: Option<&'static str>, message: impl Into<String>) -> FixRejection {
    FixRejection {
        field,
        message: message.into(),
    }
}

fn optional_in(
    value: Option<f64>,
    field: &'static str,
    lo: f64,
    hi: f64,
) -> Result<(), FixRejection> {
    match value {
        Some(v) if !(v.is_finite() && (lo..=hi).contains(&v)) => Err(reject(
            Some(field),
            format!("{field} must be a finite number in [{lo}, {hi}]"),
        )),
        _ => Ok(()),
    }
}

/// Checks a fix on its own and against the unit's last accepted fix. Pure: `now_ms` is the server clock.
pub fn check_fix(
    fix: &PositionFix,
    last: Option<&LastFix>,
    now_ms: i64,
    max_speed_kmh: f64,
) -> Result<Position, FixRejection> {
    let position = Position::from_lon_lat(fix.lon, fix.lat).map_err(|e| {
        let field = match e {
            siaga_core::position::InvalidPosition::Longitude => "lon",
            siaga_core::position::InvalidPosition::Latitude => "lat",
        };
        reject(Some(field), e.to_string())
    })?;
    let max_speed_mps = max_speed_kmh / 3.6;
    optional_in(fix.accuracy_m, "accuracy_m", 0.0, 1.0e6)?;
    optional_in(fix.heading_deg, "heading_deg", 0.0, 360.0)?;
    optional_in(fix.speed_mps, "speed_mps", 0.0, max_speed_mps)?;
    if fix.at <= 0 {
        return Err(reject(Some("at"), "at must be ms since the epoch"));
    }
    if fix.at > now_ms + MAX_FUTURE_SKEW_MS {
        return Err(reject(
            Some("at"),
            format!(
                "at is {} s ahead of the server clock; fix the device clock",
                (fix.at - now_ms) / 1000
            ),
        ));
    }
    if let Some(last) = last {
        if fix.at <= last.at {
            return Err(reject(
                Some("at"),
                format!(
                    "out of order: the last accepted fix of this unit is from {} (ms), this one from {}",
                    last.at, fix.at
                ),
            ));
        }
        let credit = last.accuracy_m.min(MAX_ACCURACY_CREDIT_M)
            + fix.accuracy_m.unwrap_or(0.0).min(MAX_ACCURACY_CREDIT_M);
        let distance_m = (position.haversine_m(last.position) - credit).max(0.0);
        let secs = (fix.at - last.at) as f64 / 1000.0;
        let implied_kmh = distance_m / secs * 3.6;
        if implied_kmh > max_speed_kmh {
            return Err(reject(
                None,
                format!(
                    "physically impossible: {:.0} m in {secs:.1} s from the last fix is {implied_kmh:.0} km/h \
                     (limit {max_speed_kmh:.0} km/h)",
                    distance_m + credit
                ),
            ));
        }
    }
    Ok(position)
}

#[derive(Debug)]
struct UnitTrack {
    agency_id: String,
    /// The region the unit's agency is based in: its `unit.position` events reach that region's desks.
    agency_region: String,
    last: Option<LastFix>,
    /// Server time (ms) of the last `unit.position` event this instance wrote for the unit.
    last_event_ms: Option<i64>,
    /// The write round that holds `last`.
    last_round: u64,
}

#[derive(Default)]
struct IntakeState {
    /// The write round that the next queued fix joins.
    open_round: u64,
    units: HashMap<String, UnitTrack>,
    /// Newest fix per unit not yet published as an event.
    pending: HashMap<String, TrackPoint>,
    track: Vec<TrackPoint>,
    /// When the track was last taken for a write (or put back after a failed one): a buffered track is written
    /// `track_flush_ms` after that, so writes are at least that far apart and no fix waits longer.
    track_taken: Option<Instant>,
}

/// What one writer round commits.
#[derive(Debug, Default)]
pub struct Batch {
    /// Fixes for the audit track, in arrival order.
    pub track: Vec<TrackPoint>,
    /// The newest of `track` per unit: the units' last positions.
    pub latest: Vec<TrackPoint>,
    /// The due `unit.position` events.
    pub events: Vec<NewEvent>,
    /// The write round of `track`, when this batch takes the track.
    pub round: Option<u64>,
}

/// A fix the intake took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Queued {
    /// The fix's position, or `None` when it repeats the unit's last accepted fix (a sender retrying): then
    /// nothing new was queued.
    pub position: Option<Position>,
    /// The write round that stores the fix; answer the sender once it has committed.
    pub round: u64,
}

/// Why the intake did not take a fix.
#[derive(Debug, Clone, PartialEq)]
pub enum Refused {
    /// The intake does not track the unit yet: [`PositionIntake::track_unit`] first.
    UnknownUnit,
    /// The fix failed its checks.
    Rejected(FixRejection),
    /// The track buffer is full (the database is not keeping up, or is unreachable): nothing was queued.
    Busy,
}

impl From<Refused> for ApiError {
    fn from(r: Refused) -> Self {
        match r {
            Refused::UnknownUnit => ApiError::not_found("unit"),
            Refused::Rejected(rejection) => rejection.into(),
            Refused::Busy => ApiError::new(
                ErrorCode::Unavailable,
                "too many positions are waiting to be stored; send this fix again shortly",
            )
            .with_retry_after(BUSY_RETRY_AFTER_SECS),
        }
    }
}

/// Per-instance intake state, shared by the HTTP and websocket paths and the writer task.
pub struct PositionIntake {
    // A std mutex: every critical section is a few map operations and never awaits.
    state: Mutex<IntakeState>,
    /// Wakes the writer when an event is due at once, a fix enters the empty track buffer (the writer then
    /// sleeps until the track's flush time) or the buffer is full.
    wake: Notify,
    /// Every write round below this number has committed (rounds commit in order: a failed round's fixes
    /// join the next one).
    stored: watch::Sender<u64>,
}

impl Default for PositionIntake {
    fn default() -> Self {
        PositionIntake {
            state: Mutex::default(),
            wake: Notify::new(),
            stored: watch::channel(0).0,
        }
    }
}

impl PositionIntake {
    fn lock(&self) -> std::sync::MutexGuard<'_, IntakeState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the intake tracks `unit_id` already.
    pub fn knows(&self, unit_id: &str) -> bool {
        self.lock().units.contains_key(unit_id)
    }

    /// Starts tracking a unit of `agency_id` (based in `agency_region`) whose last stored GPS fix is `last`
    /// (kept if another sender tracked it meanwhile).
    pub fn track_unit(
        &self,
        unit_id: String,
        agency_id: String,
        agency_region: String,
        last: Option<LastFix>,
    ) {
        self.lock().units.entry(unit_id).or_insert(UnitTrack {
            agency_id,
            agency_region,
            last,
            last_event_ms: None,
            last_round: 0,
        });
    }

    /// Checks `fix` against the unit's last accepted one and queues it for the next write round, waking the
    /// writer when its event is due at once, when it is the first in the track buffer (the writer then sleeps
    /// until the track's flush time) or when the buffer is full. The same fix again is taken as a retry: nothing
    /// is queued and it is answered with the round of the first.
    pub fn queue(
        &self,
        unit_id: &str,
        fix: &PositionFix,
        now_ms: i64,
        config: &LiveConfig,
    ) -> Result<Queued, Refused> {
        let (queued, wake) = {
            let mut st = self.lock();
            let open_round = st.open_round;
            let full = st.track.len() >= MAX_BUFFERED_TRACK;
            let Some(track) = st.units.get_mut(unit_id) else {
                return Err(Refused::UnknownUnit);
            };
            if let Some(last) = &track.last
                && last.at == fix.at
                && last.position.lon() == fix.lon
                && last.position.lat() == fix.lat
            {
                let round = track.last_round;
                return Ok(Queued {
                    position: None,
                    round,
                });
            }
            let position = check_fix(fix, track.last.as_ref(), now_ms, config.max_speed_kmh)
                .map_err(Refused::Rejected)?;
            if full {
                return Err(Refused::Busy);
            }
            track.last_round = open_round;
            track.last = Some(LastFix {
                at: fix.at,
                position,
                accuracy_m: fix.accuracy_m.unwrap_or(0.0),
            });
            let event_due = track.last_event_ms.is_none_or(|t| {
                now_ms.saturating_sub(t) >= config.position_event_interval_ms as i64
            });
            let point = TrackPoint {
                unit_id: unit_id.to_owned(),
                at: fix.at,
                lon: position.lon(),
                lat: position.lat(),
                accuracy_m: fix.accuracy_m,
                heading_deg: fix.heading_deg,
                speed_mps: fix.speed_mps,
                flagged: None,
            };
            st.pending.insert(unit_id.to_owned(), point.clone());
            // The first fix into an empty track wakes the writer, which then sleeps until the track's flush
            // time: the fix waits `track_flush_ms` at most, not that plus a tick.
            let first_buffered = st.track.is_empty();
            st.track.push(point);
            let queued = Queued {
                position: Some(position),
                round: open_round,
            };
            (
                queued,
                event_due || first_buffered || st.track.len() >= config.track_batch_max,
            )
        };
        if wake {
            self.wake.notify_one();
        }
        Ok(queued)
    }

    /// When the buffered track must be written: `flush_every` after the track was last taken (now, if it never
    /// was); `None` when nothing is buffered.
    pub fn track_flush_at(&self, flush_every: Duration) -> Option<Instant> {
        let st = self.lock();
        if st.track.is_empty() {
            return None;
        }
        Some(
            st.track_taken
                .map_or_else(Instant::now, |t| t + flush_every),
        )
    }

    /// Completes when a fix asks the writer to run before its next tick.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Takes what is due: pending events whose interval has passed, and the track when `flush_track` or when
    /// an event is due (its commit then carries the track at no extra flush, and the track's senders are
    /// answered at once instead of all together at the next timed flush, which held up the events behind it).
    pub fn take_batch(&self, now_ms: i64, interval_ms: i64, flush_track: bool) -> Batch {
        let mut st = self.lock();
        let IntakeState { units, pending, .. } = &mut *st;
        let mut events = Vec::new();
        pending.retain(|unit_id, point| {
            let Some(track) = units.get_mut(unit_id) else {
                return false;
            };
            if track
                .last_event_ms
                .is_some_and(|t| now_ms.saturating_sub(t) < interval_ms)
            {
                return true;
            }
            track.last_event_ms = Some(now_ms);
            events.push(position_event(
                point,
                &track.agency_id,
                &track.agency_region,
            ));
            false
        });
        let (track, round) = if flush_track || !events.is_empty() {
            let round = st.open_round;
            st.open_round += 1;
            st.track_taken = Some(Instant::now());
            (std::mem::take(&mut st.track), Some(round))
        } else {
            (Vec::new(), None)
        };
        let mut newest: HashMap<&str, &TrackPoint> = HashMap::new();
        for p in &track {
            newest
                .entry(p.unit_id.as_str())
                .and_modify(|q| {
                    if p.at > q.at {
                        *q = p;
                    }
                })
                .or_insert(p);
        }
        let latest = newest.into_values().cloned().collect();
        Batch {
            track,
            latest,
            events,
            round,
        }
    }

    /// Marks every round up to `round` as committed.
    pub fn committed(&self, round: u64) {
        self.stored.send_if_modified(|s| {
            let advanced = *s <= round;
            if advanced {
                *s = round + 1;
            }
            advanced
        });
    }

    /// Waits until write round `round` has committed; false when that took longer than [`STORE_WAIT`].
    pub async fn stored(&self, round: u64) -> bool {
        let mut rx = self.stored.subscribe();
        matches!(
            tokio::time::timeout(STORE_WAIT, rx.wait_for(|s| *s > round)).await,
            Ok(Ok(_))
        )
    }

    /// Puts track rows back after a failed write, in front of those queued meanwhile. Nothing is dropped: the
    /// senders of these rows are still waiting for them to be stored (new fixes are refused instead while the
    /// buffer is full).
    pub fn requeue(&self, mut track: Vec<TrackPoint>) {
        let mut st = self.lock();
        track.append(&mut st.track);
        // Retried one flush interval later, not in a loop against a failing database.
        st.track_taken = Some(Instant::now());
        st.track = track;
    }

    /// Track rows waiting for the writer.
    pub fn buffered(&self) -> usize {
        self.lock().track.len()
    }
}

/// A unit's `unit.position`: for its agency's dispatchers, its responder and the desks of its agency's region
/// (a unit is its agency's region's wherever it drives).
fn position_event(p: &TrackPoint, agency_id: &str, agency_region: &str) -> NewEvent {
    DomainEvent::UnitPosition(UnitPosition {
        unit_id: p.unit_id.clone(),
        agency_id: agency_id.to_owned(),
        lon: p.lon,
        lat: p.lat,
        accuracy_m: p.accuracy_m,
        heading_deg: p.heading_deg,
        speed_mps: p.speed_mps,
        position_at: p.at,
    })
    .to(&Reach {
        agency_ids: Some(vec![agency_id.to_owned()]),
        unit_id: Some(p.unit_id.clone()),
        region_code: Some(agency_region.to_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_790_000_000_000;

    fn fix(lon: f64, lat: f64, at: i64) -> PositionFix {
        PositionFix {
            lat,
            lon,
            accuracy_m: Some(5.0),
            heading_deg: Some(90.0),
            speed_mps: Some(10.0),
            at,
        }
    }

    fn last(lon: f64, lat: f64, at: i64) -> LastFix {
        LastFix {
            at,
            position: Position::from_lon_lat(lon, lat).unwrap(),
            accuracy_m: 5.0,
        }
    }

    #[test]
    fn range_errors_name_the_field() {
        let bad = |f: PositionFix| check_fix(&f, None, T0, 300.0).unwrap_err().field;
        assert_eq!(bad(fix(104.0, 91.0, T0)), Some("lat"));
        assert_eq!(bad(fix(f64::NAN, 1.0, T0)), Some("lon"));
        assert_eq!(
            bad(PositionFix {
                heading_deg: Some(400.0),
                ..fix(104.0, 1.1, T0)
            }),
            Some("heading_deg")
        );
        assert_eq!(
            bad(PositionFix {
                accuracy_m: Some(-1.0),
                ..fix(104.0, 1.1, T0)
            }),
            Some("accuracy_m")
        );
        assert_eq!(bad(fix(104.0, 1.1, T0 + 3_600_000)), Some("at"));
    }

    #[test]
    fn older_or_equal_fixes_are_out_of_order() {
        let l = last(104.0, 1.1, T0);
        assert_eq!(
            check_fix(&fix(104.0, 1.1, T0), Some(&l), T0, 300.0)
                .unwrap_err()
                .field,
            Some("at")
        );
        assert!(check_fix(&fix(104.0001, 1.1, T0 + 1000), Some(&l), T0 + 1000, 300.0).is_ok());
    }

    #[test]
    fn jumps_faster_than_the_limit_are_impossible() {
        let l = last(104.0, 1.1, T0);
        // About 11 km in 60 s is 667 km/h.
        let err =
            check_fix(&fix(104.1, 1.1, T0 + 60_000), Some(&l), T0 + 60_000, 300.0).unwrap_err();
        assert!(err.message.contains("impossible"), "{}", err.message);
        // The same 11 km in 10 minutes is 67 km/h.
        assert!(
            check_fix(
                &fix(104.1, 1.1, T0 + 600_000),
                Some(&l),
                T0 + 600_000,
                300.0
            )
            .is_ok()
        );
    }

    #[test]
    fn events_are_coalesced_per_unit_and_the_newest_fix_wins() {
        let intake = PositionIntake::default();
        {
            let mut st = intake.lock();
            st.units.insert(
                "u1".into(),
                UnitTrack {
                    agency_id: "a".into(),
                    agency_region: "21.71".into(),
                    last: None,
                    last_event_ms: None,
                    last_round: 0,
                },
            );
        }
        let point = |at| TrackPoint {
            unit_id: "u1".into(),
            at,
            lon: 104.0,
            lat: 1.1,
            accuracy_m: None,
            heading_deg: None,
            speed_mps: None,
            flagged: None,
        };
        let push = |at| {
            let mut st = intake.lock();
            st.pending.insert("u1".into(), point(at));
            st.track.push(point(at));
        };
        push(1);
        // A due event takes the track with it, even before the timed flush.
        let b = intake.take_batch(T0, 2000, false);
        assert_eq!(b.events.len(), 1);
        assert_eq!(b.track, vec![point(1)]);
        assert!(b.round.is_some());
        push(2);
        push(3);
        let b = intake.take_batch(T0 + 1000, 2000, false);
        assert!(b.events.is_empty() && b.track.is_empty() && b.round.is_none());
        let b = intake.take_batch(T0 + 2000, 2000, true);
        assert_eq!(b.events.len(), 1);
        assert_eq!(b.events[0].payload["position_at"], 3);
        assert_eq!(b.track.len(), 2);
        assert_eq!(b.latest, vec![point(3)]);
    }

    #[test]
    fn a_coalesced_fix_wakes_the_writer_and_is_written_one_flush_interval_after_the_last_write() {
        use futures::FutureExt as _;
        let intake = PositionIntake::default();
        let config = LiveConfig::default();
        let flush = Duration::from_millis(config.track_flush_ms);
        intake.track_unit("u1".into(), "a".into(), "21.71".into(), None);
        // The unit's first fix makes an event: that alone wakes the writer, and a track never written is due.
        intake
            .queue("u1", &fix(104.0, 1.1, T0), T0, &config)
            .unwrap();
        assert!(intake.woken().now_or_never().is_some());
        assert!(intake.track_flush_at(flush).unwrap() <= Instant::now());
        let before_take = Instant::now();
        let b = intake.take_batch(T0, 2000, false);
        let after_take = Instant::now();
        assert_eq!((b.events.len(), b.track.len()), (1, 1));
        assert_eq!(intake.track_flush_at(flush), None, "nothing is buffered");

        // Act: a fix inside the event interval (coalesced: no event due) into the empty buffer.
        intake
            .queue("u1", &fix(104.0001, 1.1, T0 + 500), T0 + 500, &config)
            .unwrap();

        // Assert: the writer is woken and learns when to write the track: one flush interval after the last
        // write took the track.
        assert!(
            intake.woken().now_or_never().is_some(),
            "a coalesced fix into an empty buffer wakes the writer"
        );
        let due = intake.track_flush_at(flush).unwrap();
        assert!(due >= before_take + flush && due <= after_take + flush);
        // A second fix joins the buffer without moving the time or waking the writer again.
        intake
            .queue("u1", &fix(104.0002, 1.1, T0 + 900), T0 + 900, &config)
            .unwrap();
        assert_eq!(intake.track_flush_at(flush), Some(due));
        assert!(intake.woken().now_or_never().is_none());
        // Taking the track clears it; a track put back after a failed write is retried a flush interval later.
        let b = intake.take_batch(T0 + 1000, 2000, true);
        assert_eq!(b.track.len(), 2);
        assert_eq!(intake.track_flush_at(flush), None);
        intake.requeue(b.track);
        assert!(intake.track_flush_at(flush).is_some_and(|t| t > due));
    }

    #[test]
    fn a_full_buffer_refuses_new_fixes_and_a_failed_write_drops_nothing() {
        let intake = PositionIntake::default();
        let config = LiveConfig::default();
        intake.track_unit("u1".into(), "a".into(), "21.71".into(), None);
        intake.track_unit("u2".into(), "a".into(), "21.71".into(), None);
        let queued = intake
            .queue("u1", &fix(104.0, 1.1, T0), T0, &config)
            .unwrap();
        // The writer takes the buffer and its write fails; meanwhile the buffer fills up.
        let taken = intake.take_batch(T0, 2000, true);
        assert_eq!(taken.round, Some(queued.round));
        {
            let filler = taken.track[0].clone();
            let mut st = intake.lock();
            st.track
                .extend(std::iter::repeat_n(filler, MAX_BUFFERED_TRACK));
        }

        // Act: a new fix arrives at the full buffer; then the failed batch is put back.
        let refused = intake.queue("u2", &fix(104.1, 1.2, T0), T0, &config);
        intake.requeue(taken.track);

        // Assert: the new fix is refused with a 503 and nothing of it is kept (not even as the unit's last fix);
        // every row of the failed batch is back, its senders still waiting for it.
        assert_eq!(refused, Err(Refused::Busy));
        let e = ApiError::from(Refused::Busy);
        assert_eq!(e.code, ErrorCode::Unavailable);
        assert_eq!(e.retry_after_secs, Some(2));
        assert_eq!(intake.buffered(), MAX_BUFFERED_TRACK + 1);
        assert!(intake.lock().units["u2"].last.is_none());
        // A sender repeating its already queued fix is still answered with its round.
        assert_eq!(
            intake.queue("u1", &fix(104.0, 1.1, T0), T0 + 5, &config),
            Ok(Queued {
                position: None,
                round: queued.round
            })
        );
        // Once the writer has taken the buffer, fixes are accepted again.
        assert_eq!(
            intake.take_batch(T0, 2000, true).track.len(),
            MAX_BUFFERED_TRACK + 1
        );
        assert!(
            intake
                .queue("u2", &fix(104.1, 1.2, T0), T0, &config)
                .is_ok()
        );
    }

    #[test]
    fn a_repeated_fix_joins_the_round_of_the_first_and_queues_nothing() {
        let intake = PositionIntake::default();
        let config = LiveConfig::default();
        let f = fix(104.0, 1.1, T0);
        assert_eq!(
            intake.queue("u1", &f, T0, &config),
            Err(Refused::UnknownUnit)
        );
        intake.track_unit("u1".into(), "a".into(), "21.71".into(), None);
        let first = intake.queue("u1", &f, T0, &config).unwrap();
        assert!(first.position.is_some());
        assert_eq!(intake.buffered(), 1);
        let b = intake.take_batch(T0, 0, true);
        assert_eq!(b.round, Some(first.round));
        let again = intake.queue("u1", &f, T0 + 5, &config).unwrap();
        assert_eq!(
            again,
            Queued {
                position: None,
                round: first.round
            }
        );
        assert_eq!(intake.buffered(), 0);
        assert!(matches!(
            intake.queue("u1", &fix(104.0, 1.1, T0 - 1), T0, &config),
            Err(Refused::Rejected(_))
        ));
    }
}
