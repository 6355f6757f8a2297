//! Moving units: a grid of per-class unit lists updated in place as position fixes stream in, and exact
//! nearest-k of available units.
//!
//! # Invariants
//!
//! * The grid (`unit_cells`) holds exactly one item per unit. An item carries the position plus what
//!   eligibility needs (slot, interned agency, type, status, fix time), so a scan never loads the full state of
//!   a unit it skips; any change to one of those rewrites the item (in place, or moved to its new cell and
//!   class list). `by_id` maps unit id → slot.
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

use crate::convert::{EARTH_RADIUS_M, Position, haversine_m};
use crate::nearest::DataExtent;
use crate::unit_cells::{
    CELLS_PER_DEG, Cell, EDGE_EPS_DEG, Item, Key, UNAVAILABLE, UnitCells, cell_of, type_slot,
};
use serde::{Deserialize, Serialize};
use siaga_core::time::Timestamp;
use siaga_core::unit::{UnitStatus, UnitType, Vehicle};
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
    /// What it drives (its road rules and speeds).
    #[serde(default)]
    pub vehicle: Vehicle,
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

/// Rings after which a ring search reads every cell instead (64 rings of 1/16° cells = 4°).
const MAX_RINGS: i32 = 64;

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
    cells: UnitCells,
    slots: Vec<Option<UnitState>>,
    free: Vec<u32>,
    by_id: HashMap<String, u32>,
    /// Agency id → small integer, so stored items stay `Copy` and filters compare integers.
    agencies: HashMap<String, u32>,
    extent: DataExtent,
}

/// Builds the stored item of the unit in `slot`, interning its agency.
fn entry_of(agencies: &mut HashMap<String, u32>, slot: u32, unit: &UnitState) -> Item {
    let next = u32::try_from(agencies.len()).unwrap_or(u32::MAX);
    let agency = match agencies.get(&unit.agency_id) {
        Some(a) => *a,
        None => {
            agencies.insert(unit.agency_id.clone(), next);
            next
        }
    };
    Item {
        lon: unit.position.lon(),
        lat: unit.position.lat(),
        key: Key {
            slot,
            agency,
            unit_type: unit.unit_type,
            status: unit.status,
            fix_at: unit.fix_at,
        },
    }
}

impl UnitIndex {
    /// An empty index.
    pub fn new() -> UnitIndex {
        UnitIndex::default()
    }

    /// An index holding `units`. A repeated id keeps the last state.
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
        for (i, s) in idx.slots.iter().enumerate() {
            if let (Some(unit), Ok(slot)) = (s, u32::try_from(i)) {
                idx.cells.insert(entry_of(&mut idx.agencies, slot, unit));
            }
        }
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

    /// Changes the unit in `slot` with `change`, then updates its stored item if anything it holds changed.
    fn modify<R>(&mut self, slot: u32, change: impl FnOnce(&mut UnitState) -> R) -> Option<R> {
        let unit = self.slots.get_mut(slot as usize)?.as_mut()?;
        let before = entry_of(&mut self.agencies, slot, unit);
        let result = change(unit);
        let after = entry_of(&mut self.agencies, slot, unit);
        self.extent
            .include(unit.position.lon(), unit.position.lat());
        if before != after {
            self.cells.update(after);
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
        self.cells.insert(entry_of(&mut self.agencies, slot, &unit));
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
        self.cells.remove(slot);
        self.free.push(slot);
        Some(unit)
    }

    /// The id of the unit in `slot` (empty if vacant; never the case for slots found in the grid).
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
    /// Two ring searches over the grid (see `unit_cells`). The first reads only the lists of available units
    /// of the asked type (every available list when no type is asked) until `k` eligible units are known and
    /// [`planar_lower_bound_m`] of the distance to the edge of the read square exceeds the k-th distance, so
    /// every unit not read is farther than every unit returned. The second reads every list of the same rings
    /// outward again, collecting skipped units until the square's bound passes the last candidate's distance
    /// (or the `max_excluded`-th skipped one). Both fall back to reading every cell once a ring search has
    /// looked at more cells than there are units / 8 (a sparse fleet), which is cheaper than more rings.
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
        let allowed = allowed.as_deref();
        let in_query = |key: &Key| allowed.is_none_or(|a| a.binary_search(&key.agency).is_ok());
        let (qlon, qlat) = (q.position.lon(), q.position.lat());
        // cos of the largest |latitude| of the query and the data, for `quick_lower_bound_m`; 0 (latitude
        // difference only) where the data spans more than 180° of longitude.
        let cos_l = self
            .extent
            .bound_latitude([qlon, qlat])
            .map_or(0.0, |l| l.min(90.0).to_radians().cos());
        let eligible_classes = match q.filter.unit_type {
            Some(t) => {
                let c = type_slot(t);
                c..c + 1
            }
            None => 0..UNAVAILABLE,
        };

        let mut best: Vec<(f64, u32, ())> = Vec::with_capacity(q.k + 1);
        self.ring_search(
            q.position,
            |cell, best: &mut Vec<(f64, u32, ())>| {
                for list in cell.lists.get(eligible_classes.clone()).unwrap_or_default() {
                    for item in list {
                        if in_query(&item.key) && classify(&item.key, q).is_none() {
                            // Units provably beyond the k-th distance are not measured.
                            let limit = if best.len() == q.k {
                                best.last().map_or(f64::INFINITY, |b| b.0)
                            } else {
                                f64::INFINITY
                            };
                            if quick_lower_bound_m(item.lat - qlat, item.lon - qlon, cos_l) > limit
                            {
                                continue;
                            }
                            let d = haversine_m(qlon, qlat, item.lon, item.lat);
                            self.insert_ranked(best, (d, item.key.slot, ()), q.k);
                        }
                    }
                }
            },
            |bound, best| best.len() == q.k && best.last().is_some_and(|b| bound > b.0),
            &mut best,
        );

        let mut skipped: Vec<(f64, u32, Skip)> = Vec::new();
        if q.max_excluded > 0 {
            // Only skipped units ranked before the last candidate are reported (see `finish`).
            let last = (best.len() == q.k)
                .then(|| best.last().map(|b| (b.0, b.1)))
                .flatten();
            self.ring_search(
                q.position,
                |cell, skipped: &mut Vec<(f64, u32, Skip)>| {
                    for list in &cell.lists {
                        for item in list {
                            if !in_query(&item.key) {
                                continue;
                            }
                            let Some(skip) = classify(&item.key, q) else {
                                continue;
                            };
                            let mut limit = last.map_or(f64::INFINITY, |l| l.0);
                            if skipped.len() == q.max_excluded
                                && let Some(s) = skipped.last()
                            {
                                limit = limit.min(s.0);
                            }
                            if quick_lower_bound_m(item.lat - qlat, item.lon - qlon, cos_l) > limit
                            {
                                continue;
                            }
                            let d = haversine_m(qlon, qlat, item.lon, item.lat);
                            if last.is_some_and(|l| !self.rank((d, item.key.slot), l).is_lt()) {
                                continue;
                            }
                            self.insert_ranked(skipped, (d, item.key.slot, skip), q.max_excluded);
                        }
                    }
                },
                |bound, skipped| {
                    last.is_some_and(|l| bound > l.0)
                        || (skipped.len() == q.max_excluded
                            && skipped.last().is_some_and(|s| bound > s.0))
                },
                &mut skipped,
            );
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

    /// Reads the grid's cells in rings around `p` with `scan`, until `done(bound_m, acc)` holds for the
    /// great-circle lower bound of every unit not read yet, or everything was read. When the rings have
    /// visited more cells than there are units / 8, `acc` is cleared and every cell is read instead.
    fn ring_search<T>(
        &self,
        p: Position,
        scan: impl Fn(&Cell, &mut Vec<(f64, u32, T)>),
        done: impl Fn(f64, &[(f64, u32, T)]) -> bool,
        acc: &mut Vec<(f64, u32, T)>,
    ) {
        let (qlon, qlat) = (p.lon(), p.lat());
        let (cx, cy) = cell_of(qlon, qlat);
        let c = [qlon, qlat];
        let budget = (self.len() / 8).max(64);
        let mut visited = 0usize;
        let mut r: i32 = 0;
        loop {
            let mut visit = |ix: i32, iy: i32| {
                visited += 1;
                if let Some(cell) = self.cells.cell(ix, iy) {
                    scan(cell, acc);
                }
            };
            if r == 0 {
                visit(cx, cy);
            } else {
                for ix in cx - r..=cx + r {
                    visit(ix, cy - r);
                    visit(ix, cy + r);
                }
                for iy in cy - r + 1..cy + r {
                    visit(cx - r, iy);
                    visit(cx + r, iy);
                }
            }
            // Planar distance from `p` to the edge of the square of cells read so far (see `unit_cells`).
            let lo = |i: i32| f64::from(i - r) / CELLS_PER_DEG;
            let hi = |i: i32| f64::from(i + r + 1) / CELLS_PER_DEG;
            let w = (qlon - lo(cx))
                .min(hi(cx) - qlon)
                .min(qlat - lo(cy))
                .min(hi(cy) - qlat)
                - EDGE_EPS_DEG;
            if self.extent.within(c, w) || done(self.extent.outside_square_bound_m(c, w), acc) {
                return;
            }
            if visited > budget || r >= MAX_RINGS {
                acc.clear();
                for cell in self.cells.cells() {
                    scan(cell, acc);
                }
                return;
            }
            r += 1;
        }
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

/// A lower bound in metres on the great-circle distance between two points `dlat_deg`, `dlon_deg` apart whose
/// |latitude| is at most L with `cos_l` = cos L (or 0): R·√(Δφ² + cos²L·Δλ²)·(1 − m²/6), m = max(|Δφ|, |Δλ|)/2
/// in radians, shrunk for rounding; 0 when m > 1. Proof: the haversine value is at least
/// sin²(Δφ/2) + cos²L·sin²(Δλ/2), sin x ≥ x·(1 − x²/6), and asin y ≥ y (the full argument is in `sea`). No
/// trigonometry, so a scan can skip the exact `haversine_m` of units that cannot make the answer.
#[inline]
fn quick_lower_bound_m(dlat_deg: f64, dlon_deg: f64, cos_l: f64) -> f64 {
    let (a, b) = (dlat_deg.to_radians(), dlon_deg.to_radians());
    let m = a.abs().max(b.abs()) / 2.0;
    if m.is_nan() || m > 1.0 {
        return 0.0;
    }
    let bound = EARTH_RADIUS_M * (a * a + cos_l * cos_l * b * b).sqrt() * (1.0 - m * m / 6.0);
    (bound * (1.0 - 1e-9) - 1e-6).max(0.0)
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

/// [`exclusion`] on a stored item: the same checks in the same order, agency compared by interned id.
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
            vehicle: Vehicle::Car,
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
        assert_eq!(idx.cells.len(), 1);
    }

    #[test]
    fn quick_lower_bound_never_exceeds_the_haversine_distance() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        for i in 0..200_000 {
            // Half the pairs within a few km, the rest anywhere (up to antipodes and poles).
            let spread = if i % 2 == 0 { 0.05 } else { 360.0 };
            let (lon1, lat1) = (next() * 360.0 - 180.0, next() * 180.0 - 90.0);
            let lon2 = (lon1 + (next() - 0.5) * spread).clamp(-180.0, 180.0);
            let lat2 = (lat1 + (next() - 0.5) * spread / 2.0).clamp(-90.0, 90.0);
            let l = lat1.abs().max(lat2.abs());
            let lb = quick_lower_bound_m(lat2 - lat1, lon2 - lon1, l.to_radians().cos());
            let d = haversine_m(lon1, lat1, lon2, lat2);
            assert!(
                lb <= d,
                "{lb} > {d} for ({lon1}, {lat1}) – ({lon2}, {lat2})"
            );
            assert!(quick_lower_bound_m(lat2 - lat1, lon2 - lon1, 0.0) <= d);
        }
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
