//! Administrative levels stacked into a chain, and the agencies (OPD) responsible for a point.
//!
//! # Rules of [`AdminLayers::responsible`]
//!
//! For each [`AgencyType`] separately:
//!
//! 1. **Own polygons first.** Agencies whose [`AgencyArea::Polygon`] intersects the point (boundary inside).
//!    Several → the lowest agency id (byte-wise string order).
//! 2. **Region coverage otherwise.** Walk the chain from the finest loaded level (village) to the coarsest
//!    (province). At each level take the region the point is in, or, offshore, the nearest region when it is
//!    within [`AdminLayers::offshore_reach_m`] (default 12 nautical miles, the provincial sea limit). The first
//!    level where some agency of that type lists the region's code wins; several → the lowest agency id.
//!
//! A more specific assignment always beats a broader one: a Damkar post covering kecamatan `31.71.01` beats the
//! city-wide Damkar covering `31.71` inside that kecamatan.
//!
//! Each level is located independently, so near a border the kecamatan found need not lie in the kab/kota found
//! (the shared polygons overlap and leave slivers). The chain reports what each level says.

use crate::convert::{InvalidPosition, Position};
use crate::jurisdiction::{Area, BuildError, JurisdictionIndex, Located};
use geo::MultiPolygon;
use serde::{Deserialize, Serialize};
use siaga_core::agency::AgencyType;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

/// An administrative level, coarse to fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// Provinsi (code `NN`).
    Province,
    /// Kabupaten/kota (code `NN.NN`).
    Regency,
    /// Kecamatan (code `NN.NN.NN`).
    District,
    /// Desa/kelurahan (code `NN.NN.NN.NNNN`).
    Village,
}

impl RegionLevel {
    /// Every level, coarse to fine.
    pub const ALL: [RegionLevel; 4] = [
        RegionLevel::Province,
        RegionLevel::Regency,
        RegionLevel::District,
        RegionLevel::Village,
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::Regency => "regency",
            RegionLevel::District => "district",
            RegionLevel::Village => "village",
        }
    }
}

impl fmt::Display for RegionLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an agency is responsible.
#[derive(Debug, Clone, PartialEq)]
pub enum AgencyArea {
    /// The regions it covers, by code at any loaded level (e.g. `["31.71", "31.72.01"]`).
    Regions(Vec<String>),
    /// Its own service-area polygon (lon/lat degrees). Takes precedence over region coverage.
    Polygon(MultiPolygon<f64>),
}

/// An agency (OPD) and its service area.
#[derive(Debug, Clone, PartialEq)]
pub struct Agency {
    /// Unique id, e.g. `"damkar-3171"`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What help it sends.
    pub agency_type: AgencyType,
    /// Where it is responsible.
    pub area: AgencyArea,
}

/// One level of a [`AdminLayers::locate_chain`] answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainLink<'a> {
    /// The level.
    pub level: RegionLevel,
    /// The region containing the point, or the nearest one with its distance.
    pub located: Located<'a>,
}

impl ChainLink<'_> {
    /// The region's code.
    pub fn code(&self) -> &str {
        &self.located.area().id
    }

    /// The region's name.
    pub fn name(&self) -> &str {
        &self.located.area().name
    }
}

/// Why [`AdminLayers`] could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LayersError {
    /// Two agencies share an id.
    #[error("duplicate agency id {0}")]
    DuplicateAgency(String),
    /// An agency covers a region code that no loaded level has.
    #[error("agency {agency}: region {code} is not in any loaded level")]
    UnknownRegion {
        /// The agency's id.
        agency: String,
        /// The unknown code.
        code: String,
    },
    /// An agency covers no region.
    #[error("agency {0} covers no region")]
    NoCoverage(String),
    /// An agency's polygon is unusable.
    #[error("agency {agency}: {error}")]
    AgencyPolygon {
        /// The agency's id.
        agency: String,
        /// What is wrong with the polygon.
        error: BuildError,
    },
}

impl LayersError {
    /// The stable snake_case error code.
    pub fn code(&self) -> &'static str {
        "invalid_agencies"
    }
}

/// Administrative levels plus agencies. Immutable once built: the server swaps a new one in whole.
#[derive(Debug, Clone)]
pub struct AdminLayers {
    levels: BTreeMap<RegionLevel, JurisdictionIndex>,
    /// Sorted by id, so the lowest index is the lowest id.
    agencies: Vec<Agency>,
    /// Per agency type, the polygon service areas as a jurisdiction index keyed by agency id.
    polygons: BTreeMap<AgencyType, JurisdictionIndex>,
    /// Region code → agencies (indexes, ascending) covering it.
    coverage: HashMap<String, Vec<u32>>,
    offshore_reach_m: f64,
}

impl AdminLayers {
    /// 12 nautical miles in metres: the sea belt a province administers (UU 23/2014), used as the default reach
    /// for offshore points.
    pub const DEFAULT_OFFSHORE_REACH_M: f64 = 22_224.0;

    /// Builds the layers. A level given twice keeps the last index.
    ///
    /// # Errors
    ///
    /// [`LayersError`] for duplicate agency ids, unknown or empty region lists, and unusable polygons.
    pub fn new(
        levels: Vec<(RegionLevel, JurisdictionIndex)>,
        mut agencies: Vec<Agency>,
    ) -> Result<AdminLayers, LayersError> {
        let levels: BTreeMap<_, _> = levels.into_iter().collect();
        agencies.sort_by(|a, b| a.id.cmp(&b.id));
        let mut seen = HashSet::new();
        let mut coverage: HashMap<String, Vec<u32>> = HashMap::new();
        let mut polygon_areas: BTreeMap<AgencyType, Vec<Area>> = BTreeMap::new();
        for (i, agency) in agencies.iter().enumerate() {
            if !seen.insert(agency.id.as_str()) {
                return Err(LayersError::DuplicateAgency(agency.id.clone()));
            }
            match &agency.area {
                AgencyArea::Regions(codes) => {
                    if codes.is_empty() {
                        return Err(LayersError::NoCoverage(agency.id.clone()));
                    }
                    for code in codes {
                        if !levels.values().any(|l| l.get(code).is_some()) {
                            return Err(LayersError::UnknownRegion {
                                agency: agency.id.clone(),
                                code: code.clone(),
                            });
                        }
                        let list = coverage.entry(code.clone()).or_default();
                        let i = u32::try_from(i).unwrap_or(u32::MAX);
                        if !list.contains(&i) {
                            list.push(i);
                        }
                    }
                }
                AgencyArea::Polygon(mp) => {
                    polygon_areas
                        .entry(agency.agency_type)
                        .or_default()
                        .push(Area {
                            id: agency.id.clone(),
                            name: agency.name.clone(),
                            geometry: mp.clone(),
                        });
                }
            }
        }
        let mut polygons = BTreeMap::new();
        for (ty, areas) in polygon_areas {
            // Rebuilding per type keeps the "lowest id wins" rule of JurisdictionIndex for overlapping areas.
            let index =
                JurisdictionIndex::new(areas).map_err(|error| LayersError::AgencyPolygon {
                    agency: match &error {
                        BuildError::EmptyGeometry { id }
                        | BuildError::InvalidCoordinate { id, .. }
                        | BuildError::DuplicateId { id } => id.clone(),
                        _ => String::new(),
                    },
                    error,
                })?;
            polygons.insert(ty, index);
        }
        Ok(AdminLayers {
            levels,
            agencies,
            polygons,
            coverage,
            offshore_reach_m: Self::DEFAULT_OFFSHORE_REACH_M,
        })
    }

    /// Sets how far offshore, in metres, a point still belongs to its nearest region for responsibility.
    pub fn with_offshore_reach_m(mut self, metres: f64) -> AdminLayers {
        self.offshore_reach_m = if metres.is_finite() {
            metres.max(0.0)
        } else {
            0.0
        };
        self
    }

    /// The offshore reach in metres (see the module docs).
    pub fn offshore_reach_m(&self) -> f64 {
        self.offshore_reach_m
    }

    /// The index of one level, if loaded.
    pub fn level(&self, level: RegionLevel) -> Option<&JurisdictionIndex> {
        self.levels.get(&level)
    }

    /// The agency with this id.
    pub fn agency(&self, id: &str) -> Option<&Agency> {
        self.agencies
            .binary_search_by(|a| a.id.as_str().cmp(id))
            .ok()
            .and_then(|i| self.agencies.get(i))
    }

    /// The region at each loaded level, coarse to fine, for `lon`/`lat` in degrees (longitude first).
    ///
    /// # Errors
    ///
    /// [`InvalidPosition`] for NaN, infinite or out-of-range coordinates.
    pub fn locate_chain(&self, lon: f64, lat: f64) -> Result<Vec<ChainLink<'_>>, InvalidPosition> {
        Ok(self.chain_at(Position::from_lon_lat(lon, lat)?))
    }

    /// [`AdminLayers::locate_chain`] for a validated position.
    pub fn chain_at(&self, p: Position) -> Vec<ChainLink<'_>> {
        self.levels
            .iter()
            .map(|(level, index)| ChainLink {
                level: *level,
                located: index.locate_position(p),
            })
            .collect()
    }

    /// The responsible agency id per agency type at `lon`/`lat` (degrees, longitude first). Types with no
    /// responsible agency are absent. See the module docs for the rules.
    ///
    /// # Errors
    ///
    /// [`InvalidPosition`] for NaN, infinite or out-of-range coordinates.
    pub fn responsible(
        &self,
        lon: f64,
        lat: f64,
    ) -> Result<BTreeMap<AgencyType, &str>, InvalidPosition> {
        Ok(self.responsible_at(Position::from_lon_lat(lon, lat)?))
    }

    /// [`AdminLayers::responsible`] for a validated position.
    pub fn responsible_at(&self, p: Position) -> BTreeMap<AgencyType, &str> {
        let mut out: BTreeMap<AgencyType, &str> = BTreeMap::new();
        for (ty, index) in &self.polygons {
            if let Some(area) = index.find(p) {
                out.insert(*ty, area.id.as_str());
            }
        }
        // Finest level first; within a level agencies are in id order, so the first hit per type is the lowest id.
        for link in self.chain_at(p).iter().rev() {
            if link.located.distance_m() > self.offshore_reach_m {
                continue;
            }
            let Some(list) = self.coverage.get(link.code()) else {
                continue;
            };
            for i in list {
                if let Some(agency) = self.agencies.get(*i as usize) {
                    // Keeps an earlier winner: a polygon, a finer level, or a lower id at this level.
                    out.entry(agency.agency_type).or_insert(agency.id.as_str());
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn sq(id: &str, x0: f64, y0: f64, s: f64) -> Area {
        Area {
            id: id.into(),
            name: format!("Region {id}"),
            geometry: MultiPolygon(vec![polygon![
                (x: x0, y: y0), (x: x0 + s, y: y0), (x: x0 + s, y: y0 + s), (x: x0, y: y0 + s)
            ]]),
        }
    }

    fn agency(id: &str, ty: AgencyType, area: AgencyArea) -> Agency {
        Agency {
            id: id.into(),
            name: id.into(),
            agency_type: ty,
            area,
        }
    }

    fn layers() -> AdminLayers {
        let regency = JurisdictionIndex::new(vec![sq("31.71", 106.0, -7.0, 1.0)]).unwrap();
        let district = JurisdictionIndex::new(vec![
            sq("31.71.01", 106.0, -7.0, 0.5),
            sq("31.71.02", 106.5, -7.0, 0.5),
        ])
        .unwrap();
        let regions = |c: &[&str]| AgencyArea::Regions(c.iter().map(|s| s.to_string()).collect());
        AdminLayers::new(
            vec![(RegionLevel::District, district), (RegionLevel::Regency, regency)],
            vec![
                agency("damkar-3171", AgencyType::Fire, regions(&["31.71"])),
                agency("damkar-pos-01", AgencyType::Fire, regions(&["31.71.01"])),
                agency("psc-3171", AgencyType::Health, regions(&["31.71"])),
                agency("polres-b", AgencyType::Police, regions(&["31.71"])),
                agency("polres-a", AgencyType::Police, regions(&["31.71"])),
                agency(
                    "psc-zone",
                    AgencyType::Health,
                    AgencyArea::Polygon(MultiPolygon(vec![polygon![
                        (x: 106.6, y: -6.9), (x: 106.7, y: -6.9), (x: 106.7, y: -6.8), (x: 106.6, y: -6.8)
                    ]])),
                ),
            ],
        )
        .unwrap()
    }

    #[test]
    fn chain_lists_each_level_coarse_to_fine() {
        let l = layers();
        let chain = l.locate_chain(106.2, -6.8).unwrap();
        let codes: Vec<_> = chain.iter().map(|c| (c.level, c.code())).collect();
        assert_eq!(
            codes,
            [
                (RegionLevel::Regency, "31.71"),
                (RegionLevel::District, "31.71.01")
            ]
        );
        assert_eq!(chain[0].name(), "Region 31.71");
    }

    #[test]
    fn specific_coverage_beats_broad_and_polygons_beat_regions() {
        let l = layers();
        let r = l.responsible(106.2, -6.8).unwrap();
        assert_eq!(r[&AgencyType::Fire], "damkar-pos-01");
        assert_eq!(r[&AgencyType::Health], "psc-3171");
        // Two police agencies cover the same region: the lowest id wins.
        assert_eq!(r[&AgencyType::Police], "polres-a");
        let r = l.responsible(106.65, -6.85).unwrap();
        assert_eq!(r[&AgencyType::Fire], "damkar-3171");
        assert_eq!(r[&AgencyType::Health], "psc-zone");
    }

    #[test]
    fn offshore_points_within_reach_keep_their_agencies() {
        let l = layers();
        // 0.1° west of the regency edge ≈ 11 km: within 12 nautical miles.
        assert_eq!(
            l.responsible(105.9, -6.5).unwrap()[&AgencyType::Fire],
            "damkar-pos-01"
        );
        // 1° away ≈ 110 km: nobody.
        assert!(l.responsible(105.0, -6.5).unwrap().is_empty());
        let strict = layers().with_offshore_reach_m(0.0);
        assert!(strict.responsible(105.9, -6.5).unwrap().is_empty());
    }

    #[test]
    fn unknown_region_and_duplicates_are_rejected() {
        let regency = JurisdictionIndex::new(vec![sq("31.71", 106.0, -7.0, 1.0)]).unwrap();
        let err = AdminLayers::new(
            vec![(RegionLevel::Regency, regency.clone())],
            vec![agency(
                "x",
                AgencyType::Fire,
                AgencyArea::Regions(vec!["99.99".into()]),
            )],
        )
        .unwrap_err();
        assert_eq!(
            err,
            LayersError::UnknownRegion {
                agency: "x".into(),
                code: "99.99".into()
            }
        );
        let a = agency(
            "x",
            AgencyType::Fire,
            AgencyArea::Regions(vec!["31.71".into()]),
        );
        let err = AdminLayers::new(vec![(RegionLevel::Regency, regency)], vec![a.clone(), a])
            .unwrap_err();
        assert_eq!(err, LayersError::DuplicateAgency("x".into()));
    }
}
