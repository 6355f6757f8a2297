//! Moving units: an R-tree updated in place as position fixes stream in, and exact nearest-k of available units.
//!
//! # Invariants
//!
//! * The tree holds exactly one entry per unit. An entry carries the position plus what eligibility needs
//!   (slot, interned agency, type, status, fix time), so a scan never loads the full state of a unit it skips;
//!   any change to one of those removes the old entry and inserts the new one. `by_id` maps unit id → slot.
//! * [`UnitIndex::nearest`] returns exactly what [`UnitIndex::nearest_brute_force`] returns: the `k` eligible
//!   units ordered by (great-circle distance, unit id), and the same `excluded` list.
//! * Out-of-order fixes never move a unit backwards in time: a fix older than the stored one is ignored.
//!
//! # Eligibility (checked in this order; the first failing check is the reason reported)
//!
//! A unit of an agency outside the filter's set is not part of the query at all: neither a candidate nor an
//! exclusion. Another agency's fleet is not the asker's to weigh, and were its busy units reported as
//! exclusions they would take the `max_excluded` places of the asker's own (and callers would have to hide
//! them afterwards). Among the units of the filter's agencies:
//!
//! 1. status `out_of_service` → [`ExclusionReason::OutOfService`];
//! 2. status `assigned`, `en_route` or `on_scene` → [`ExclusionReason::Busy`];
//! 3. unit type differs from the filter → [`ExclusionReason::WrongType`];
//! 4. last fix older than `stale_after_ms` at `now` → [`ExclusionReason::StalePosition`]. A fix stamped in the
//!    future (device clock ahead) counts as fresh, with age 0.
//!
//! # ETA
//!
//! `eta_s` is the straight-line distance divided by an effective speed per unit type ([`SpeedTable`]). It is
//! a ranking aid for the dispatcher, not a routed travel time; the defaults are effective straight-line speeds
//! for urban Indonesian traffic with lights and sirens: ambulance 40 km/h, fire engine 35, rescue 35, police
//! patrol 45, social team 30, traffic 40, other 30.

use crate::convert::{EARTH_RADIUS_M, Position, haversine_m, xy};
use crate::nearest::DataExtent;
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};
use serde::{Deserialize, Serialize};
use siaga_core::time::Timestamp;
use siaga_core::unit::{UnitStatus, UnitType};
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};

/// The last known state of one unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitState {
    /// Unique unit id, e.g. `"AMB-3171-02"`.
    pub id: String,
    /// The agency (OPD) the unit belongs to.
    pub agency_id: String,
    /// What the unit is.
    pub unit_type: UnitType,
    /// Where it stands in its duty cycle.
    pub status: UnitStatus,
    /// Last reported position.
    pub position: Position,
    /// When that position was measured.
    pub fix_at: Timestamp,
}

/// Effective straight-line speeds per unit type, km/h. See the module docs for the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpeedTable {
    kmh: [f64; UnitType::ALL.len()],
}

impl Default for SpeedTable {
    fn default() -> Self {
        let mut t = SpeedTable {
            kmh: [30.0; UnitType::ALL.len()],
        };
        for (ty, kmh) in [
            (UnitType::Ambulance, 40.0),
            (UnitType::FireEngine, 35.0),
            (UnitType::Rescue, 35.0),
            (UnitType::PolicePatrol, 45.0),
            (UnitType::SocialTeam, 30.0),
            (UnitType::Traffic, 40.0),
            (UnitType::Other, 30.0),
        ] {
            t.kmh[slot_of(ty)] = kmh;
        }
        t
    }
}

fn slot_of(ty: UnitType) -> usize {
    UnitType::ALL.iter().position(|t| *t == ty).unwrap_or(0)
}

/// A speed that is not a positive finite number of km/h.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("speed must be a positive number of km/h, got {0}")]
pub struct InvalidSpeed(pub f64);

impl SpeedTable {
    /// The speed for a unit type, km/h.
    pub fn kmh(&self, ty: UnitType) -> f64 {
        self.kmh.get(slot_of(ty)).copied().unwrap_or(30.0)
    }

    /// Sets the speed for a unit type, km/h.
    ///
    /// # Errors
    ///
    /// [`InvalidSpeed`] unless `kmh` is finite and positive.
    pub fn set_kmh(&mut self, ty: UnitType, kmh: f64) -> Result<(), InvalidSpeed> {
        if !(kmh.is_finite() && kmh > 0.0) {
            return Err(InvalidSpeed(kmh));
        }
        if let Some(s) = self.kmh.get_mut(slot_of(ty)) {
            *s = kmh;
        }
        Ok(())
    }

    /// Seconds to cover `distance_m` metres at the type's speed.
    pub fn eta_s(&self, ty: UnitType, distance_m: f64) -> f64 {
        distance_m / (self.kmh(ty) / 3.6)
    }
}

/// Which units a query considers. `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitFilter {
    /// Only this unit type.
    pub unit_type: Option<UnitType>,
    /// Only units of these agencies.
    pub agency_ids: Option<BTreeSet<String>>,
}

/// A nearest-units query.
#[derive(Debug, Clone, PartialEq)]
pub struct NearestQuery {
    /// The incident position.
    pub position: Position,
    /// How many available units to return.
    pub k: usize,
    /// Which units count.
    pub filter: UnitFilter,
    /// The current time, for staleness.
    pub now: Timestamp,
    /// A fix older than this many milliseconds makes the unit ineligible.
    pub stale_after_ms: i64,
    /// Speeds for `eta_s`.
    pub speeds: SpeedTable,
    /// At most this many exclusions are reported.
    pub max_excluded: usize,
}

impl NearestQuery {
    /// Default staleness limit: 5 minutes. Field devices report every 5–30 s, so 5 min means lost contact.
    pub const DEFAULT_STALE_AFTER_MS: i64 = 5 * 60 * 1000;
    /// Default number of exclusions reported.
    pub const DEFAULT_MAX_EXCLUDED: usize = 5;

    /// A query with no filter, default speeds, 5-minute staleness and up to 5 exclusions.
    pub fn new(position: Position, k: usize, now: Timestamp) -> NearestQuery {
        NearestQuery {
            position,
            k,
            filter: UnitFilter::default(),
            now,
            stale_after_ms: Self::DEFAULT_STALE_AFTER_MS,
            speeds: SpeedTable::default(),
            max_excluded: Self::DEFAULT_MAX_EXCLUDED,
        }
    }
}

/// An available unit recommended by [`UnitIndex::nearest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The unit's id.
    pub unit_id: String,
    /// Its agency.
    pub agency_id: String,
    /// Its type.
    pub unit_type: UnitType,
    /// Great-circle distance to the query position, metres.
    pub distance_m: f64,
    /// Straight-line ETA at the type's speed, seconds.
    pub eta_s: f64,
    /// Age of the position fix at `now`, milliseconds (0 for future-stamped fixes).
    pub fix_age_ms: i64,
}

/// Why a nearby unit was not recommended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum ExclusionReason {
    /// Not in service.
    OutOfService,
    /// Already committed to an incident.
    Busy {
        /// The unit's status (`assigned`, `en_route` or `on_scene`).
        status: UnitStatus,
    },
    /// Not the type asked for.
    WrongType {
        /// The unit's type.
        unit_type: UnitType,
    },
    /// Its last fix is too old to trust.
    StalePosition {
        /// Age of the fix at `now`, milliseconds.
        age_ms: i64,
    },
}

/// A unit skipped by [`UnitIndex::nearest`], with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exclusion {
    /// The unit's id.
    pub unit_id: String,
    /// Its agency (always one of the filter's, when the query names agencies).
    pub agency_id: String,
    /// Great-circle distance to the query position, metres.
    pub distance_m: f64,
    /// Why it was skipped.
    pub reason: ExclusionReason,
}

/// The answer of [`UnitIndex::nearest`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NearestUnits {
    /// Up to `k` available units, nearest first (ties by unit id).
    pub candidates: Vec<Candidate>,
    /// Up to `max_excluded` skipped units, nearest first: those closer than the last candidate, or the nearest
    /// skipped ones when fewer than `k` candidates exist.
    pub excluded: Vec<Exclusion>,
}

/// What a position fix did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixOutcome {
    /// The unit now stands at the new position.
    Applied,
    /// The fix was older than the stored one and was ignored.
    IgnoredOlder,
}

/// The unit id is not in the index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown unit {0}")]
pub struct UnknownUnit(pub String);

impl UnknownUnit {
    /// The stable snake_case error code.
    pub fn code(&self) -> &'static str {
        "unit_not_found"
    }
}

/// What the tree stores per unit: everything eligibility needs, so a scan never touches the full state of a
/// unit it skips (the states live elsewhere in memory; touching each one costs a cache miss).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Key {
    slot: u32,
    /// Interned agency id (see `UnitIndex::agencies`).
    agency: u32,
    unit_type: UnitType,
    status: UnitStatus,
    fix_at: Timestamp,
}

type Entry = GeomWithData<[f64; 2], Key>;

/// Why a unit is skipped, in the compact form used during a scan.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Skip {
    OutOfService,
    Busy(UnitStatus),
    WrongType(UnitType),
    Stale(i64),
}

/// The live index of units. Mutations take `&mut self`; the server keeps it behind a `std::sync` lock that is
/// never held across an `.await` (each operation is microseconds).
#[derive(Debug, Clone, Default)]
pub struct UnitIndex {
    tree: RTree<Entry>,
    slots: Vec<Option<UnitState>>,
    free: Vec<u32>,
    by_id: HashMap<String, u32>,
    /// Agency id → small integer, so tree entries stay `Copy` and filters compare integers.
    agencies: HashMap<String, u32>,
    extent: DataExtent,
}

/// Builds the tree entry of the unit in `slot`, interning its agency.
fn entry_of(agencies: &mut HashMap<String, u32>, slot: u32, unit: &UnitState) -> Entry {
    let next = u32::try_from(agencies.len()).unwrap_or(u32::MAX);
    let agency = match agencies.get(&unit.agency_id) {
        Some(a) => *a,
        None => {
            agencies.insert(unit.agency_id.clone(), next);
            next
        }
    };
    Entry::new(
        xy(unit.position),
        Key {
            slot,
            agency,
            unit_type: unit.unit_type,
            status: unit.status,
            fix_at: unit.fix_at,
        },
    )
}

impl UnitIndex {
    /// An empty index.
    pub fn new() -> UnitIndex {
        UnitIndex::default()
    }

    /// An index holding `units`, bulk-loaded (a bulk-loaded R-tree answers queries faster than one built by
    /// inserts). A repeated id keeps the last state.
    pub fn from_units(units: Vec<UnitState>) -> UnitIndex {
        let mut idx = UnitIndex::new();
        for unit in units {
            idx.extent.include(unit.position.lon(), unit.position.lat());
            match idx.by_id.get(&unit.id) {
                Some(&slot) => {
                    if let Some(s) = idx.slots.get_mut(slot as usize) {
                        *s = Some(unit);
                    }
                }
                None => {
                    let slot = u32::try_from(idx.slots.len()).unwrap_or(u32::MAX);
                    idx.by_id.insert(unit.id.clone(), slot);
                    idx.slots.push(Some(unit));
                }
            }
        }
        let mut entries = Vec::with_capacity(idx.slots.len());
        for (i, s) in idx.slots.iter().enumerate() {
            if let (Some(unit), Ok(slot)) = (s, u32::try_from(i)) {
                entries.push(entry_of(&mut idx.agencies, slot, unit));
            }
        }
        idx.tree = RTree::bulk_load(entries);
        idx
    }

    /// Number of units.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are no units.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// The state of a unit.
    pub fn get(&self, id: &str) -> Option<&UnitState> {
        let slot = *self.by_id.get(id)?;
        self.slots.get(slot as usize)?.as_ref()
    }

    /// Every unit, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &UnitState> {
        self.slots.iter().flatten()
    }

    /// Changes the unit in `slot` with `change`, then moves its tree entry if anything it holds changed.
    fn modify<R>(&mut self, slot: u32, change: impl FnOnce(&mut UnitState) -> R) -> Option<R> {
        let unit = self.slots.get_mut(slot as usize)?.as_mut()?;
        let before = entry_of(&mut self.agencies, slot, unit);
        let result = change(unit);
        let after = entry_of(&mut self.agencies, slot, unit);
        self.extent
            .include(unit.position.lon(), unit.position.lat());
        if before != after {
            self.tree.remove(&before);
            self.tree.insert(after);
        }
        Some(result)
    }

    /// Inserts a unit or replaces it wholesale, returning the previous state.
    pub fn upsert(&mut self, unit: UnitState) -> Option<UnitState> {
        if let Some(&slot) = self.by_id.get(&unit.id) {
            return self.modify(slot, |u| std::mem::replace(u, unit));
        }
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.slots.push(None);
                u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
            }
        };
        self.extent
            .include(unit.position.lon(), unit.position.lat());
        self.tree.insert(entry_of(&mut self.agencies, slot, &unit));
        self.by_id.insert(unit.id.clone(), slot);
        if let Some(s) = self.slots.get_mut(slot as usize) {
            *s = Some(unit);
        }
        None
    }

    /// Applies a position fix. A fix older than the stored one is ignored so reordered streams cannot move a
    /// unit back in time.
    ///
    /// # Errors
    ///
    /// [`UnknownUnit`] when the id is not in the index.
    pub fn update_position(
        &mut self,
        id: &str,
        position: Position,
        fix_at: Timestamp,
    ) -> Result<FixOutcome, UnknownUnit> {
        let slot = *self
            .by_id
            .get(id)
            .ok_or_else(|| UnknownUnit(id.to_owned()))?;
        self.modify(slot, |unit| {
            if fix_at < unit.fix_at {
                return FixOutcome::IgnoredOlder;
            }
            unit.position = position;
            unit.fix_at = fix_at;
            FixOutcome::Applied
        })
        .ok_or_else(|| UnknownUnit(id.to_owned()))
    }

    /// Changes a unit's status.
    ///
    /// # Errors
    ///
    /// [`UnknownUnit`] when the id is not in the index.
    pub fn set_status(&mut self, id: &str, status: UnitStatus) -> Result<(), UnknownUnit> {
        let slot = *self
            .by_id
            .get(id)
            .ok_or_else(|| UnknownUnit(id.to_owned()))?;
        self.modify(slot, |unit| unit.status = status)
            .ok_or_else(|| UnknownUnit(id.to_owned()))
    }

    /// Removes a unit, returning its last state.
    pub fn remove(&mut self, id: &str) -> Option<UnitState> {
        let slot = self.by_id.remove(id)?;
        let unit = self.slots.get_mut(slot as usize)?.take()?;
        self.tree.remove(&entry_of(&mut self.agencies, slot, &unit));
        self.free.push(slot);
        Some(unit)
    }

    /// The id of the unit in `slot` (empty if vacant; never the case for slots found in the tree).
    fn id_of(&self, slot: u32) -> &str {
        self.slots
            .get(slot as usize)
            .and_then(Option::as_ref)
            .map_or("", |u| u.id.as_str())
    }

    /// Nearest first, ties by unit id (looked up only on an exact distance tie).
    fn rank(&self, a: (f64, u32), b: (f64, u32)) -> Ordering {
        a.0.total_cmp(&b.0)
            .then_with(|| self.id_of(a.1).cmp(self.id_of(b.1)))
    }

    /// Inserts `(distance, slot, extra)` into a list sorted by rank, keeping at most `cap` items.
    fn insert_ranked<T>(&self, list: &mut Vec<(f64, u32, T)>, item: (f64, u32, T), cap: usize) {
        let at = list.partition_point(|x| self.rank((x.0, x.1), (item.0, item.1)).is_lt());
        if at < cap {
            list.insert(at, item);
            list.truncate(cap);
        }
    }

    /// The `k` nearest eligible units and the nearby units that were skipped. See the module docs.
    ///
    /// The search scans a square around the query that grows until it provably holds the answer: once `k`
    /// eligible units are known, the square is widened so that [`planar_lower_bound_m`] of its half-width
    /// exceeds the k-th distance, so every unit outside it is farther than every unit returned. Scanning an
    /// envelope is cheaper in rstar than its nearest-neighbour iterator, and the tree entries carry what the
    /// eligibility checks need.
    ///
    /// [`planar_lower_bound_m`]: crate::convert::planar_lower_bound_m
    pub fn nearest(&self, q: &NearestQuery) -> NearestUnits {
        if q.k == 0 || self.is_empty() {
            return NearestUnits::default();
        }
        let allowed: Option<Vec<u32>> = q.filter.agency_ids.as_ref().map(|set| {
            let mut v: Vec<u32> = set
                .iter()
                .filter_map(|a| self.agencies.get(a).copied())
                .collect();
            v.sort_unstable();
            v
        });
        let c = xy(q.position);
        let (qlon, qlat) = (q.position.lon(), q.position.lat());
        // Start with the square expected to hold about 2k units of any kind.
        let mut w = ((2 * q.k) as f64 / self.extent.density(self.len()))
            .sqrt()
            .clamp(1e-4, 360.0);
        let mut best: Vec<(f64, u32, ())> = Vec::with_capacity(q.k + 1);
        let mut skipped: Vec<(f64, u32, Skip)> = Vec::new();
        loop {
            best.clear();
            skipped.clear();
            let square = AABB::from_corners([c[0] - w, c[1] - w], [c[0] + w, c[1] + w]);
            for entry in self.tree.locate_in_envelope(&square) {
                if allowed
                    .as_deref()
                    .is_some_and(|a| a.binary_search(&entry.data.agency).is_err())
                {
                    continue;
                }
                let [lon, lat] = *entry.geom();
                let d = haversine_m(qlon, qlat, lon, lat);
                match classify(&entry.data, q) {
                    None => self.insert_ranked(&mut best, (d, entry.data.slot, ()), q.k),
                    Some(skip) => {
                        if q.max_excluded > 0 {
                            self.insert_ranked(
                                &mut skipped,
                                (d, entry.data.slot, skip),
                                q.max_excluded,
                            );
                        }
                    }
                }
            }
            if self.extent.within(c, w) {
                break;
            }
            let kth = match best.last() {
                Some((d, _, _)) if best.len() == q.k => *d,
                // Fewer than k eligible units so far: widen in proportion to what is missing.
                _ => {
                    let found = best.len().max(1) as f64;
                    w *= ((q.k as f64 / found).sqrt() * 1.5).clamp(1.5, 4.0);
                    continue;
                }
            };
            if self.extent.outside_square_bound_m(c, w) > kth {
                break;
            }
            // Jump to a square whose bound should exceed the k-th distance (kth / R radians, padded for the
            // latitude factor); the loop re-checks, so the estimate only has to be usually right.
            let needed = (kth / EARTH_RADIUS_M).to_degrees() * 1.2 + 1e-9;
            w = (w * 2.0).min(needed).max(w * 1.5);
        }
        let best = best
            .into_iter()
            .filter_map(|(d, slot, ())| Some((d, self.slots.get(slot as usize)?.as_ref()?)))
            .collect();
        let skipped = skipped
            .into_iter()
            .filter_map(|(d, slot, skip)| {
                let unit = self.slots.get(slot as usize)?.as_ref()?;
                let reason = match skip {
                    Skip::OutOfService => ExclusionReason::OutOfService,
                    Skip::Busy(status) => ExclusionReason::Busy { status },
                    Skip::WrongType(unit_type) => ExclusionReason::WrongType { unit_type },
                    Skip::Stale(age_ms) => ExclusionReason::StalePosition { age_ms },
                };
                Some((d, unit, reason))
            })
            .collect();
        finish(best, skipped, q)
    }

    /// The reference for [`UnitIndex::nearest`]: classify every unit, sort, cut. For tests and benchmarks.
    pub fn nearest_brute_force(&self, q: &NearestQuery) -> NearestUnits {
        if q.k == 0 {
            return NearestUnits::default();
        }
        let mut best = Vec::new();
        let mut skipped = Vec::new();
        for unit in self.iter() {
            if q.filter
                .agency_ids
                .as_ref()
                .is_some_and(|set| !set.contains(&unit.agency_id))
            {
                continue;
            }
            let d = q.position.haversine_m(unit.position);
            match exclusion(unit, q) {
                None => best.push((d, unit)),
                Some(reason) => skipped.push((d, unit, reason)),
            }
        }
        best.sort_by(|a, b| rank(a.0, a.1, b.0, b.1));
        best.truncate(q.k);
        skipped.sort_by(|a, b| rank(a.0, a.1, b.0, b.1));
        finish(best, skipped, q)
    }
}

/// Nearest first, ties by unit id.
fn rank(da: f64, a: &UnitState, db: f64, b: &UnitState) -> Ordering {
    da.total_cmp(&db).then_with(|| a.id.cmp(&b.id))
}

/// Turns the sorted lists into the answer: exclusions only count when closer than the last candidate.
fn finish(
    best: Vec<(f64, &UnitState)>,
    skipped: Vec<(f64, &UnitState, ExclusionReason)>,
    q: &NearestQuery,
) -> NearestUnits {
    let last = (best.len() == q.k).then(|| best.last().copied()).flatten();
    let excluded = skipped
        .into_iter()
        .filter(|(d, u, _)| last.is_none_or(|(ld, lu)| rank(*d, u, ld, lu).is_lt()))
        .take(q.max_excluded)
        .map(|(distance_m, u, reason)| Exclusion {
            unit_id: u.id.clone(),
            agency_id: u.agency_id.clone(),
            distance_m,
            reason,
        })
        .collect();
    let candidates = best
        .into_iter()
        .map(|(distance_m, u)| Candidate {
            unit_id: u.id.clone(),
            agency_id: u.agency_id.clone(),
            unit_type: u.unit_type,
            distance_m,
            eta_s: q.speeds.eta_s(u.unit_type, distance_m),
            fix_age_ms: q.now.millis_since(u.fix_at).max(0),
        })
        .collect();
    NearestUnits {
        candidates,
        excluded,
    }
}

/// [`exclusion`] on a tree entry: the same checks in the same order, agency compared by interned id.
fn classify(key: &Key, q: &NearestQuery) -> Option<Skip> {
    match key.status {
        UnitStatus::Available => {}
        UnitStatus::OutOfService => return Some(Skip::OutOfService),
        status @ (UnitStatus::Assigned | UnitStatus::EnRoute | UnitStatus::OnScene) => {
            return Some(Skip::Busy(status));
        }
    }
    if q.filter.unit_type.is_some_and(|t| t != key.unit_type) {
        return Some(Skip::WrongType(key.unit_type));
    }
    let age_ms = q.now.millis_since(key.fix_at);
    if age_ms > q.stale_after_ms {
        return Some(Skip::Stale(age_ms));
    }
    None
}

/// Why `unit` is not eligible for `q`, in the documented order; `None` when it is eligible.
fn exclusion(unit: &UnitState, q: &NearestQuery) -> Option<ExclusionReason> {
    match unit.status {
        UnitStatus::Available => {}
        UnitStatus::OutOfService => return Some(ExclusionReason::OutOfService),
        status @ (UnitStatus::Assigned | UnitStatus::EnRoute | UnitStatus::OnScene) => {
            return Some(ExclusionReason::Busy { status });
        }
    }
    if q.filter.unit_type.is_some_and(|t| t != unit.unit_type) {
        return Some(ExclusionReason::WrongType {
            unit_type: unit.unit_type,
        });
    }
    let age_ms = q.now.millis_since(unit.fix_at);
    if age_ms > q.stale_after_ms {
        return Some(ExclusionReason::StalePosition { age_ms });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(
        id: &str,
        ty: UnitType,
        status: UnitStatus,
        lon: f64,
        lat: f64,
        fix_ms: i64,
    ) -> UnitState {
        UnitState {
            id: id.into(),
            agency_id: "dinkes-3171".into(),
            unit_type: ty,
            status,
            position: Position::from_lon_lat(lon, lat).unwrap(),
            fix_at: Timestamp(fix_ms),
        }
    }

    const NOW: i64 = 1_700_000_000_000;

    #[test]
    fn busy_stale_and_wrong_type_units_are_explained_not_recommended() {
        let mut idx = UnitIndex::new();
        use UnitStatus::*;
        use UnitType::*;
        idx.upsert(unit("a-busy", Ambulance, EnRoute, 106.828, -6.176, NOW));
        idx.upsert(unit(
            "a-stale",
            Ambulance,
            Available,
            106.829,
            -6.176,
            NOW - 600_000,
        ));
        idx.upsert(unit(
            "police",
            PolicePatrol,
            Available,
            106.830,
            -6.176,
            NOW,
        ));
        idx.upsert(unit(
            "a-ok",
            Ambulance,
            Available,
            106.840,
            -6.176,
            NOW - 1_000,
        ));
        idx.upsert(unit("a-far", Ambulance, Available, 106.900, -6.176, NOW));
        let mut q = NearestQuery::new(
            Position::from_lon_lat(106.8271, -6.1754).unwrap(),
            1,
            Timestamp(NOW),
        );
        q.filter.unit_type = Some(Ambulance);
        let r = idx.nearest(&q);
        assert_eq!(r.candidates.len(), 1);
        let c = &r.candidates[0];
        assert_eq!(c.unit_id, "a-ok");
        assert_eq!(c.fix_age_ms, 1_000);
        // 40 km/h = 11.11 m/s.
        assert!((c.eta_s - c.distance_m / (40.0 / 3.6)).abs() < 1e-9);
        let reasons: Vec<_> = r
            .excluded
            .iter()
            .map(|e| (e.unit_id.as_str(), e.reason.clone()))
            .collect();
        assert_eq!(
            reasons,
            [
                ("a-busy", ExclusionReason::Busy { status: EnRoute }),
                (
                    "a-stale",
                    ExclusionReason::StalePosition { age_ms: 600_000 }
                ),
                (
                    "police",
                    ExclusionReason::WrongType {
                        unit_type: PolicePatrol
                    }
                ),
            ]
        );
        assert_eq!(r, idx.nearest_brute_force(&q));
    }

    #[test]
    fn other_agencies_units_are_neither_candidates_nor_exclusions_and_leave_the_askers_exclusions_whole()
     {
        let mut idx = UnitIndex::new();
        use UnitStatus::*;
        use UnitType::*;
        // Six busy units of another agency right at the incident, nearer than anything of the asker's.
        for i in 0..6 {
            let mut other = unit(
                &format!("other-{i}"),
                Ambulance,
                OnScene,
                106.8271,
                -6.1754,
                NOW,
            );
            other.agency_id = "damkar".into();
            idx.upsert(other);
        }
        let mut spare = unit("other-free", Ambulance, Available, 106.8272, -6.1754, NOW);
        spare.agency_id = "damkar".into();
        idx.upsert(spare);
        idx.upsert(unit(
            "own-out",
            Ambulance,
            OutOfService,
            106.830,
            -6.176,
            NOW,
        ));
        idx.upsert(unit("own-ok", Ambulance, Available, 106.840, -6.176, NOW));
        let mut q = NearestQuery::new(
            Position::from_lon_lat(106.8271, -6.1754).unwrap(),
            1,
            Timestamp(NOW),
        );
        q.filter.agency_ids = Some(["dinkes-3171".to_owned()].into());
        let r = idx.nearest(&q);
        assert_eq!(
            r.candidates
                .iter()
                .map(|c| c.unit_id.as_str())
                .collect::<Vec<_>>(),
            ["own-ok"]
        );
        let excluded: Vec<_> = r
            .excluded
            .iter()
            .map(|e| (e.unit_id.as_str(), e.reason.clone()))
            .collect();
        assert_eq!(excluded, [("own-out", ExclusionReason::OutOfService)]);
        assert_eq!(r, idx.nearest_brute_force(&q));
    }

    #[test]
    fn updates_move_units_and_ignore_older_fixes() {
        let mut idx = UnitIndex::new();
        idx.upsert(unit(
            "u1",
            UnitType::Ambulance,
            UnitStatus::Available,
            106.8,
            -6.2,
            NOW,
        ));
        idx.upsert(unit(
            "u2",
            UnitType::Ambulance,
            UnitStatus::Available,
            106.9,
            -6.2,
            NOW,
        ));
        let here = Position::from_lon_lat(106.95, -6.2).unwrap();
        let q = NearestQuery::new(here, 1, Timestamp(NOW + 1));
        assert_eq!(idx.nearest(&q).candidates[0].unit_id, "u2");
        assert_eq!(
            idx.update_position("u1", here, Timestamp(NOW + 1)),
            Ok(FixOutcome::Applied)
        );
        assert_eq!(idx.nearest(&q).candidates[0].unit_id, "u1");
        let back = Position::from_lon_lat(106.8, -6.2).unwrap();
        assert_eq!(
            idx.update_position("u1", back, Timestamp(NOW)),
            Ok(FixOutcome::IgnoredOlder)
        );
        assert_eq!(idx.nearest(&q).candidates[0].unit_id, "u1");
        assert_eq!(
            idx.update_position("nope", back, Timestamp(NOW)),
            Err(UnknownUnit("nope".into()))
        );
        idx.set_status("u1", UnitStatus::OutOfService).unwrap();
        assert_eq!(idx.nearest(&q).candidates[0].unit_id, "u2");
        assert!(idx.remove("u2").is_some());
        assert!(idx.nearest(&q).candidates.is_empty());
        assert_eq!(idx.len(), 1);
        assert_eq!(idx.tree.size(), 1);
    }

    #[test]
    fn speeds_must_be_positive() {
        let mut s = SpeedTable::default();
        assert_eq!(s.kmh(UnitType::PolicePatrol), 45.0);
        assert!(s.set_kmh(UnitType::Ambulance, 0.0).is_err());
        assert!(s.set_kmh(UnitType::Ambulance, f64::NAN).is_err());
        s.set_kmh(UnitType::Ambulance, 60.0).unwrap();
        assert!((s.eta_s(UnitType::Ambulance, 1_000.0) - 60.0).abs() < 1e-9);
    }
}
