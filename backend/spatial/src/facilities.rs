//! Health facilities (faskes): static points with a kind and capabilities, and exact nearest-k.
//!
//! Invariant: [`FacilityIndex::nearest`] returns exactly what [`FacilityIndex::nearest_brute_force`] returns:
//! the `k` facilities with the capability, ordered by great-circle distance and then by id.

use crate::convert::{InvalidPosition, Position, xy};
use crate::nearest::{DataExtent, planar_order};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;

/// What a facility is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacilityKind {
    /// Rumah sakit (RS): general or specialist hospital.
    Hospital,
    /// Puskesmas: community health centre.
    Puskesmas,
    /// Klinik: clinic.
    Clinic,
    /// Anything else: midwife practice, pharmacy, health office.
    Other,
}

/// A health-facility capability that dispatch filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// `igd_24h`: a 24-hour emergency department (Instalasi Gawat Darurat).
    Igd24h,
    /// `icu`: intensive care unit.
    Icu,
    /// `ponek`: comprehensive emergency obstetric and newborn care (PONEK).
    Ponek,
    /// `trauma`: trauma surgery.
    Trauma,
    /// `burn`: burn unit.
    Burn,
    /// `stroke`: stroke unit.
    Stroke,
}

macro_rules! names {
    ($ty:ident, $err:ident, $what:literal { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in a stable order.
            pub const ALL: &'static [$ty] = &[$($ty::$v),+];
            /// The stable snake_case name.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$v => $s),+ }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        #[doc = concat!("The text was not a known ", $what, ".")]
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[error("unknown {} `{}`; expected one of {}", $what, .0, [$($s),+].join(", "))]
        pub struct $err(pub String);
        impl FromStr for $ty {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| $err(s.to_owned()))
            }
        }
    };
}

names!(FacilityKind, UnknownFacilityKind, "facility kind" {
    Hospital => "hospital", Puskesmas => "puskesmas", Clinic => "clinic", Other => "other",
});
names!(Capability, UnknownCapability, "capability" {
    Igd24h => "igd_24h", Icu => "icu", Ponek => "ponek", Trauma => "trauma", Burn => "burn", Stroke => "stroke",
});

/// One health facility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facility {
    /// Unique id, e.g. the Kemenkes facility code `"R3171015"`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What the facility is.
    pub kind: FacilityKind,
    /// Where it is.
    pub position: Position,
    /// What it can treat.
    pub capabilities: BTreeSet<Capability>,
}

/// A facility found by [`FacilityIndex::nearest`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NearbyFacility<'a> {
    /// The facility.
    pub facility: &'a Facility,
    /// Great-circle distance from the query point, metres.
    pub distance_m: f64,
}

/// Why a [`FacilityIndex`] could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FacilityIndexError {
    /// Two facilities share an id.
    #[error("duplicate facility id {0}")]
    DuplicateId(String),
}

impl FacilityIndexError {
    /// The stable snake_case error code.
    pub fn code(&self) -> &'static str {
        "invalid_facilities"
    }
}

/// Static index of facilities. Build once, query from many threads.
#[derive(Debug, Clone)]
pub struct FacilityIndex {
    facilities: Vec<Facility>,
    by_id: HashMap<String, u32>,
    tree: RTree<GeomWithData<[f64; 2], u32>>,
    extent: DataExtent,
}

impl FacilityIndex {
    /// Builds the index.
    ///
    /// # Errors
    ///
    /// [`FacilityIndexError::DuplicateId`] when two facilities share an id.
    pub fn new(facilities: Vec<Facility>) -> Result<FacilityIndex, FacilityIndexError> {
        let mut by_id = HashMap::with_capacity(facilities.len());
        let mut extent = DataExtent::default();
        for (i, f) in facilities.iter().enumerate() {
            if by_id
                .insert(f.id.clone(), u32::try_from(i).unwrap_or(u32::MAX))
                .is_some()
            {
                return Err(FacilityIndexError::DuplicateId(f.id.clone()));
            }
            extent.include(f.position.lon(), f.position.lat());
        }
        let tree = RTree::bulk_load(
            facilities
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    GeomWithData::new(xy(f.position), u32::try_from(i).unwrap_or(u32::MAX))
                })
                .collect(),
        );
        Ok(FacilityIndex {
            facilities,
            by_id,
            tree,
            extent,
        })
    }

    /// All facilities, in input order.
    pub fn facilities(&self) -> &[Facility] {
        &self.facilities
    }

    /// The facility with this id.
    pub fn get(&self, id: &str) -> Option<&Facility> {
        self.by_id
            .get(id)
            .and_then(|i| self.facilities.get(*i as usize))
    }

    /// The `k` nearest facilities to `lon`/`lat` (degrees, longitude first) that have `capability` (any facility
    /// when `None`), nearest first, ties by id.
    ///
    /// # Errors
    ///
    /// [`InvalidPosition`] for NaN, infinite or out-of-range coordinates.
    pub fn nearest(
        &self,
        lon: f64,
        lat: f64,
        k: usize,
        capability: Option<Capability>,
    ) -> Result<Vec<NearbyFacility<'_>>, InvalidPosition> {
        Ok(self.nearest_to(Position::from_lon_lat(lon, lat)?, k, capability))
    }

    /// [`FacilityIndex::nearest`] for a validated position.
    pub fn nearest_to(
        &self,
        p: Position,
        k: usize,
        capability: Option<Capability>,
    ) -> Vec<NearbyFacility<'_>> {
        let mut best: Vec<NearbyFacility<'_>> = Vec::with_capacity(k + 1);
        if k == 0 {
            return best;
        }
        for (item, bound) in planar_order(&self.tree, xy(p), self.extent) {
            if best.len() == k && best.last().is_some_and(|w| bound > w.distance_m) {
                break;
            }
            let Some(f) = self.facilities.get(item.data as usize) else {
                continue;
            };
            if capability.is_some_and(|c| !f.capabilities.contains(&c)) {
                continue;
            }
            let found = NearbyFacility {
                facility: f,
                distance_m: p.haversine_m(f.position),
            };
            let at = best.partition_point(|b| order(b, &found).is_lt());
            if at < k {
                best.insert(at, found);
                best.truncate(k);
            }
        }
        best
    }

    /// The reference for [`FacilityIndex::nearest_to`]: filter everything, sort by (distance, id), take `k`.
    pub fn nearest_brute_force(
        &self,
        p: Position,
        k: usize,
        capability: Option<Capability>,
    ) -> Vec<NearbyFacility<'_>> {
        let mut all: Vec<NearbyFacility<'_>> = self
            .facilities
            .iter()
            .filter(|f| capability.is_none_or(|c| f.capabilities.contains(&c)))
            .map(|f| NearbyFacility {
                facility: f,
                distance_m: p.haversine_m(f.position),
            })
            .collect();
        all.sort_by(order);
        all.truncate(k);
        all
    }
}

/// Nearest first, then by id so equal distances have one answer.
fn order(a: &NearbyFacility<'_>, b: &NearbyFacility<'_>) -> std::cmp::Ordering {
    a.distance_m
        .total_cmp(&b.distance_m)
        .then_with(|| a.facility.id.cmp(&b.facility.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fac(id: &str, lon: f64, lat: f64, caps: &[Capability]) -> Facility {
        Facility {
            id: id.into(),
            name: id.into(),
            kind: FacilityKind::Hospital,
            position: Position::from_lon_lat(lon, lat).unwrap(),
            capabilities: caps.iter().copied().collect(),
        }
    }

    #[test]
    fn nearest_with_capability_skips_facilities_without_it() {
        let idx = FacilityIndex::new(vec![
            fac("near", 106.83, -6.18, &[]),
            fac("igd", 106.90, -6.20, &[Capability::Igd24h]),
            fac(
                "far-igd",
                107.60,
                -6.90,
                &[Capability::Igd24h, Capability::Icu],
            ),
        ])
        .unwrap();
        let any = idx.nearest(106.8271, -6.1754, 1, None).unwrap();
        assert_eq!(any[0].facility.id, "near");
        let igd = idx
            .nearest(106.8271, -6.1754, 5, Some(Capability::Igd24h))
            .unwrap();
        let ids: Vec<_> = igd.iter().map(|n| n.facility.id.as_str()).collect();
        assert_eq!(ids, ["igd", "far-igd"]);
        assert!(igd[0].distance_m > 7_000.0 && igd[0].distance_m < 9_000.0);
        assert!(idx.nearest(f64::NAN, 0.0, 1, None).is_err());
        assert!(idx.nearest(106.8, -6.2, 0, None).unwrap().is_empty());
    }

    #[test]
    fn names_round_trip_and_duplicates_are_rejected() {
        for c in Capability::ALL {
            assert_eq!(c.as_str().parse::<Capability>(), Ok(*c));
        }
        assert!(
            "igd"
                .parse::<Capability>()
                .unwrap_err()
                .to_string()
                .contains("igd_24h")
        );
        let dup = FacilityIndex::new(vec![fac("a", 1.0, 1.0, &[]), fac("a", 2.0, 2.0, &[])]);
        assert_eq!(
            dup.unwrap_err(),
            FacilityIndexError::DuplicateId("a".into())
        );
    }
}
