//! The spatial store behind [`crate::units::UnitIndex`]: a hashed lon/lat grid of 1/16° cells (≈ 7 km), each
//! holding its units in one contiguous list per class, where a class is "available, of type T" (one per unit
//! type) or "not available". A nearest query walks rings of cells outward from the query's cell, so it reads
//! only the lists of the classes it asks for and never re-reads a cell; a position fix that stays in its cell
//! and class is an in-place write, and any other move is a `swap_remove` plus a `push` (no tree rebalancing).
//!
//! Why not the R-tree it replaced: with 100,000 units an rstar envelope query descends five levels per call
//! and the old search re-ran it on every widening, mixing the 11 % eligible units with the 89 % it then had to
//! skip; its p99 was 52 µs (see `docs/PERFORMANCE.md`).
//!
//! Invariant (why the ring bound is exact): a unit is stored in the cell `(floor(lon·16), floor(lat·16))`.
//! After the rings up to `r` around the query's cell are read, every unit not yet read has its cell index
//! outside that square of cells, so its planar lon/lat distance from the query is at least the distance from
//! the query to the square's edge (less a rounding hair, [`EDGE_EPS_DEG`]); callers turn that planar distance
//! into a great-circle lower bound with `DataExtent::outside_square_bound_m`.

use crate::jurisdiction::CellHasher;
use siaga_core::time::Timestamp;
use siaga_core::unit::{UnitStatus, UnitType};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// Cells per degree. A power of two, so cell edges are exact binary fractions.
pub(crate) const CELLS_PER_DEG: f64 = 16.0;
/// Rounding allowance subtracted from the planar distance to a square's edge, degrees.
pub(crate) const EDGE_EPS_DEG: f64 = 1e-9;
/// The number of classes: one per unit type while available, plus "not available".
pub(crate) const CLASSES: usize = UnitType::ALL.len() + 1;
/// The class of every unit that is not available.
pub(crate) const UNAVAILABLE: usize = UnitType::ALL.len();

/// What a scan needs to decide eligibility and rank, stored beside the position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Key {
    pub(crate) slot: u32,
    /// Interned agency id.
    pub(crate) agency: u32,
    pub(crate) unit_type: UnitType,
    pub(crate) status: UnitStatus,
    pub(crate) fix_at: Timestamp,
}

/// One stored unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Item {
    pub(crate) lon: f64,
    pub(crate) lat: f64,
    pub(crate) key: Key,
}

/// The class of a unit: its type's slot while available, else [`UNAVAILABLE`].
pub(crate) fn class_of(key: &Key) -> usize {
    match key.status {
        UnitStatus::Available => type_slot(key.unit_type),
        _ => UNAVAILABLE,
    }
}

/// The position of a type in `UnitType::ALL`.
pub(crate) fn type_slot(ty: UnitType) -> usize {
    UnitType::ALL.iter().position(|t| *t == ty).unwrap_or(0)
}

/// One grid cell: a list per class.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cell {
    pub(crate) lists: [Vec<Item>; CLASSES],
}

/// Where a unit is stored.
#[derive(Debug, Clone, Copy)]
struct Place {
    cell: u32,
    class: u8,
    index: u32,
}

/// The grid.
#[derive(Debug, Clone, Default)]
pub(crate) struct UnitCells {
    by_key: HashMap<u64, u32, BuildHasherDefault<CellHasher>>,
    cells: Vec<Cell>,
    /// Per unit slot, where it is stored (`None` for vacant slots).
    places: Vec<Option<Place>>,
    len: usize,
}

/// The cell coordinates of a position. Monotone in each coordinate.
#[inline]
pub(crate) fn cell_of(lon: f64, lat: f64) -> (i32, i32) {
    (
        (lon * CELLS_PER_DEG).floor() as i32,
        (lat * CELLS_PER_DEG).floor() as i32,
    )
}

#[inline]
fn pack(ix: i32, iy: i32) -> u64 {
    (u64::from(ix as u32) << 32) | u64::from(iy as u32)
}

impl UnitCells {
    /// Number of stored units.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The cell at `(ix, iy)`, if any unit was ever stored there.
    #[inline]
    pub(crate) fn cell(&self, ix: i32, iy: i32) -> Option<&Cell> {
        let i = *self.by_key.get(&pack(ix, iy))?;
        self.cells.get(i as usize)
    }

    /// Every cell (for the exhaustive fallback scan).
    pub(crate) fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// Stores `item`, which must not be stored yet.
    pub(crate) fn insert(&mut self, item: Item) {
        let (ix, iy) = cell_of(item.lon, item.lat);
        let next = u32::try_from(self.cells.len()).unwrap_or(u32::MAX);
        let cell = *self.by_key.entry(pack(ix, iy)).or_insert(next);
        if cell == next {
            self.cells.push(Cell::default());
        }
        let class = class_of(&item.key);
        let Some(list) = self
            .cells
            .get_mut(cell as usize)
            .and_then(|c| c.lists.get_mut(class))
        else {
            return;
        };
        let index = u32::try_from(list.len()).unwrap_or(u32::MAX);
        list.push(item);
        let slot = item.key.slot as usize;
        if self.places.len() <= slot {
            self.places.resize(slot + 1, None);
        }
        if let Some(p) = self.places.get_mut(slot) {
            *p = Some(Place {
                cell,
                class: class as u8,
                index,
            });
        }
        self.len += 1;
    }

    /// Removes the unit in `slot`; the last item of its list takes its place.
    pub(crate) fn remove(&mut self, slot: u32) {
        let Some(place) = self.places.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        let Some(list) = self
            .cells
            .get_mut(place.cell as usize)
            .and_then(|c| c.lists.get_mut(usize::from(place.class)))
        else {
            return;
        };
        if (place.index as usize) >= list.len() {
            return;
        }
        list.swap_remove(place.index as usize);
        if let Some(moved) = list.get(place.index as usize)
            && let Some(Some(p)) = self.places.get_mut(moved.key.slot as usize)
        {
            p.index = place.index;
        }
        self.len -= 1;
    }

    /// Replaces the stored item of `item.key.slot`: in place when cell and class stay, else remove + insert.
    pub(crate) fn update(&mut self, item: Item) {
        let slot = item.key.slot;
        if let Some(Some(place)) = self.places.get(slot as usize).copied()
            && usize::from(place.class) == class_of(&item.key)
        {
            let (ix, iy) = cell_of(item.lon, item.lat);
            if self.by_key.get(&pack(ix, iy)) == Some(&place.cell)
                && let Some(stored) = self
                    .cells
                    .get_mut(place.cell as usize)
                    .and_then(|c| c.lists.get_mut(usize::from(place.class)))
                    .and_then(|l| l.get_mut(place.index as usize))
            {
                *stored = item;
                return;
            }
        }
        self.remove(slot);
        self.insert(item);
    }
}
