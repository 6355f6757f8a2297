//! The server's geo service: the `siaga-spatial` indexes built from storage at start, rebuilt after imports,
//! and kept current as units move.
//!
//! Region and service-area indexes are immutable once built and swapped whole; the unit index is updated in
//! place. Locks are `std` locks: every critical section is a lookup or an in-memory update that never awaits.

use crate::store::{Store, UnitRow};
use anyhow::Context;
use serde::Serialize;
use siaga_core::agency::AgencyType;
use siaga_core::incident::{AgencyTable, Category, Victims};
use siaga_core::time::Timestamp;
use siaga_core::unit::{UnitStatus, UnitType};
use siaga_spatial::gazetteer::{self, Gazetteer, Place};
use siaga_spatial::import::{RegionImportOptions, parse_regions};
use siaga_spatial::layers::{AdminLayers, Agency, AgencyArea, RegionLevel};
use siaga_spatial::streets::{self, AreaCodes, OsmPlace, Street, StreetWay};
use siaga_spatial::units::{NearestQuery, NearestUnits, UnitFilter, UnitIndex, UnitState};
use siaga_spatial::{
    Capability, Facility, FacilityIndex, FacilityKind, JurisdictionIndex, Position,
};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

/// One level of a located point.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RegionLink {
    pub code: String,
    pub name: String,
    /// `province`, `regency`, `district` or `village`.
    pub level: String,
    /// False when the point lies outside every region of this level; `code` is then the nearest one.
    pub inside: bool,
    /// Distance to that region in metres (0 inside).
    pub distance_m: f64,
}

/// Where a point is and who is responsible there.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Location {
    /// Coarse to fine.
    pub region_chain: Vec<RegionLink>,
    /// True when the point is outside every loaded region (at sea, or beyond the data).
    pub outside: bool,
    /// Responsible agency id per agency type.
    pub agencies: BTreeMap<String, String>,
    /// The OPDs an incident of the asked category (and victims) filed here is escalated to, in the order of
    /// the category's agency table; present only when a category was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiving: Option<Vec<ReceivingAgency>>,
}

/// An OPD an incident filed at a point is escalated to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReceivingAgency {
    pub agency_type: AgencyType,
    pub agency_id: String,
}

impl Location {
    /// The responsible OPD of each agency type an incident of `category` with `victims` needs here (each OPD
    /// once): whom filing escalates it to.
    pub fn receiving_agencies(&self, category: Category, victims: Victims) -> Vec<ReceivingAgency> {
        let mut out: Vec<ReceivingAgency> = Vec::new();
        for t in AgencyTable::defaults().agencies_for(category, victims) {
            if let Some(id) = self.agencies.get(t.as_str())
                && !out.iter().any(|r| &r.agency_id == id)
            {
                out.push(ReceivingAgency {
                    agency_type: t,
                    agency_id: id.clone(),
                });
            }
        }
        out
    }

    /// The most specific region the point is inside.
    pub fn region_code(&self) -> Option<&str> {
        self.region_chain
            .iter()
            .rev()
            .find(|l| l.inside)
            .map(|l| l.code.as_str())
    }

    /// The regency (kab/kota) the point is in, or nearest to.
    pub fn regency_code(&self) -> Option<&str> {
        self.region_chain
            .iter()
            .find(|l| l.level == "regency")
            .map(|l| l.code.as_str())
    }
}

struct Static {
    layers: AdminLayers,
    facilities: FacilityIndex,
    gazetteer: Gazetteer,
}

/// The geo service shared by every request.
#[derive(Clone)]
pub struct Geo {
    statics: Arc<RwLock<Arc<Static>>>,
    units: Arc<RwLock<UnitIndex>>,
    /// The prepared road graph, when one is loaded (`[roads] graph`).
    roads: Arc<RwLock<Option<Arc<siaga_roads::RoadGraph>>>>,
    /// Bumped on every change to the unit index (a fix, a status, an upsert, a reload): what coverage caches
    /// are keyed on.
    units_version: Arc<std::sync::atomic::AtomicU64>,
    /// Population per region code (`[coverage] population_csv`), empty when none is configured.
    population: Arc<RwLock<std::collections::HashMap<String, u64>>>,
    /// Positions older than this are not recommended.
    pub stale_after_ms: i64,
}

/// Adds the streets and named places of the imported OSM extract, with their kelurahan and kecamatan (by the
/// codes stored at import) as context. A street whose stored geometry is unreadable is left out.
async fn add_osm(g: &mut Gazetteer, store: &Store, layers: &AdminLayers) -> anyhow::Result<()> {
    let names: std::collections::HashMap<&str, &str> =
        [RegionLevel::Village, RegionLevel::District]
            .into_iter()
            .filter_map(|l| layers.level(l))
            .flat_map(|idx| idx.areas().iter().map(|a| (a.id.as_str(), a.name.as_str())))
            .collect();
    let context = |area: &AreaCodes| {
        let village = area
            .village
            .as_deref()
            .and_then(|c| Some((c, *names.get(c)?)));
        let district = area.district.as_deref().and_then(|c| names.get(c).copied());
        gazetteer::area_context(village, district)
    };
    let rows = store.list_osm_streets().await?;
    let mut found = Vec::with_capacity(rows.len());
    for r in rows {
        let (Ok(position), Some(lines)) = (
            Position::from_lon_lat(r.lon, r.lat),
            multi_line(&r.geometry),
        ) else {
            tracing::warn!(street.id = %r.id, "stored street geometry unreadable; left out of the search");
            continue;
        };
        found.push(Street {
            id: r.id,
            name: r.name,
            highway: r.highway,
            area: AreaCodes {
                village: r.village_code,
                district: r.district_code,
            },
            lines,
            position,
        });
    }
    g.add_streets(found, |s| context(&s.area));
    let places = store
        .list_osm_places()
        .await?
        .into_iter()
        .filter_map(|r| {
            Some(OsmPlace {
                position: Position::from_lon_lat(r.lon, r.lat).ok()?,
                id: r.id,
                name: r.name,
                kind: r.kind,
                area: AreaCodes {
                    village: r.village_code,
                    district: r.district_code,
                },
            })
        })
        .collect();
    g.add_osm_places(places, |p| context(&p.area));
    Ok(())
}

/// The lines of a stored GeoJSON MultiLineString.
fn multi_line(geometry: &str) -> Option<Vec<Vec<Position>>> {
    let g: geojson::Geometry = geometry.parse().ok()?;
    let geojson::Value::MultiLineString(lines) = g.value else {
        return None;
    };
    lines
        .iter()
        .map(|l| {
            l.iter()
                .map(|c| siaga_spatial::convert::from_geojson(c).ok())
                .collect()
        })
        .collect()
}

/// A GeoJSON MultiLineString of `lines`, as stored.
pub fn multi_line_geojson(lines: &[Vec<Position>]) -> String {
    use siaga_spatial::PositionExt;
    geojson::Geometry::new(geojson::Value::MultiLineString(
        lines
            .iter()
            .map(|l| l.iter().map(|p| p.to_geojson()).collect())
            .collect(),
    ))
    .to_string()
}

fn level_of(name: &str) -> Option<RegionLevel> {
    RegionLevel::ALL.into_iter().find(|l| l.as_str() == name)
}

impl Geo {
    /// An empty service (no regions, units or facilities).
    pub fn empty() -> Geo {
        // Neither constructor can fail without input: the errors are about duplicates and bad references.
        let layers = AdminLayers::new(Vec::new(), Vec::new()).expect("empty layers are valid");
        let facilities = FacilityIndex::new(Vec::new()).expect("an empty facility list is valid");
        Geo {
            statics: Arc::new(RwLock::new(Arc::new(Static {
                layers,
                facilities,
                gazetteer: Gazetteer::default(),
            }))),
            units: Arc::new(RwLock::new(UnitIndex::new())),
            roads: Arc::new(RwLock::new(None)),
            units_version: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            population: Arc::default(),
            stale_after_ms: 60 * 60 * 1000,
        }
    }

    /// Builds every index from storage.
    pub async fn load(store: &Store) -> anyhow::Result<Geo> {
        let geo = Geo::empty();
        geo.reload(store).await?;
        Ok(geo)
    }

    /// Rebuilds the region, service-area, facility and unit indexes from storage.
    pub async fn reload(&self, store: &Store) -> anyhow::Result<()> {
        let regions = store.region_geometries(None).await?;
        let mut by_level: BTreeMap<RegionLevel, Vec<serde_json::Value>> = BTreeMap::new();
        for r in regions {
            let (Some(level), Some(geometry)) = (level_of(&r.level), r.geometry) else {
                continue;
            };
            let geometry: serde_json::Value = serde_json::from_str(&geometry)
                .with_context(|| format!("stored geometry of region {}", r.code))?;
            by_level.entry(level).or_default().push(serde_json::json!({
                "type": "Feature", "properties": {"code": r.code, "name": r.name}, "geometry": geometry,
            }));
        }
        let mut levels = Vec::new();
        for (level, features) in by_level {
            let fc =
                serde_json::json!({"type": "FeatureCollection", "features": features}).to_string();
            let set = parse_regions(fc.as_bytes(), &RegionImportOptions::new(level))
                .with_context(|| format!("stored {level} regions"))?;
            let index = JurisdictionIndex::new(set.areas)
                .map_err(|e| anyhow::anyhow!("indexing {level} regions: {e}"))?;
            levels.push((level, index));
        }
        let known: BTreeSet<String> = levels
            .iter()
            .flat_map(|(_, idx)| idx.areas().iter().map(|a| a.id.clone()))
            .collect();
        let agencies = store.list_agencies().await?;
        let areas = store.list_service_areas().await?;
        let mut spatial_agencies = Vec::new();
        for a in &agencies {
            let Ok(agency_type) = a.agency_type.parse::<AgencyType>() else {
                continue;
            };
            let mine: Vec<_> = areas.iter().filter(|s| s.agency_id == a.id).collect();
            let polygon = mine.iter().find_map(|s| s.geometry.as_deref());
            let area = match polygon {
                Some(g) => {
                    let fc = serde_json::json!({"type": "FeatureCollection", "features": [{
                        "type": "Feature", "properties": {"code": a.id, "name": a.name},
                        "geometry": serde_json::from_str::<serde_json::Value>(g)?}]})
                    .to_string();
                    let set = parse_regions(
                        fc.as_bytes(),
                        &RegionImportOptions::new(RegionLevel::Village),
                    )
                    .with_context(|| format!("service area of agency {}", a.code))?;
                    match set.areas.into_iter().next() {
                        Some(area) => AgencyArea::Polygon(area.geometry),
                        None => continue,
                    }
                }
                None => {
                    let codes: Vec<String> = mine
                        .iter()
                        .filter_map(|s| s.region_code.clone())
                        .filter(|c| known.contains(c))
                        .collect();
                    if codes.is_empty() {
                        continue;
                    }
                    AgencyArea::Regions(codes)
                }
            };
            spatial_agencies.push(Agency {
                id: a.id.clone(),
                name: a.name.clone(),
                agency_type,
                area,
            });
        }
        let layers = AdminLayers::new(levels, spatial_agencies)
            .map_err(|e| anyhow::anyhow!("building the jurisdiction layers: {e}"))?;
        let facilities = store
            .list_facilities()
            .await?
            .into_iter()
            .filter_map(|f| {
                Some(Facility {
                    position: Position::from_lon_lat(f.lon, f.lat).ok()?,
                    kind: match f.kind.as_str() {
                        "hospital" => FacilityKind::Hospital,
                        "puskesmas" => FacilityKind::Puskesmas,
                        "clinic" => FacilityKind::Clinic,
                        _ => FacilityKind::Other,
                    },
                    capabilities: f
                        .capabilities
                        .split(',')
                        .filter_map(|c| c.trim().parse::<Capability>().ok())
                        .collect(),
                    id: f.id,
                    name: f.name,
                })
            })
            .collect();
        let facilities = FacilityIndex::new(facilities)
            .map_err(|e| anyhow::anyhow!("indexing facilities: {e}"))?;
        let mut units = UnitIndex::new();
        for u in store.list_units(None, None).await? {
            if let Some(state) = unit_state(&u) {
                units.upsert(state);
            }
        }
        let mut places = gazetteer::region_places(&layers);
        let villages: Vec<gazetteer::Village> = store
            .list_gazetteer()
            .await?
            .into_iter()
            .map(|v| gazetteer::Village {
                position: v
                    .lon
                    .zip(v.lat)
                    .and_then(|(lon, lat)| Position::from_lon_lat(lon, lat).ok()),
                code: v.code,
                name: v.name,
                kind: v.kind,
                postal_code: v.postal_code,
            })
            .collect();
        let village_places = gazetteer::village_places(&villages, &places);
        places.extend(village_places);
        places.extend(gazetteer::facility_places(&facilities, &layers));
        let mut gazetteer = Gazetteer::new(places);
        add_osm(&mut gazetteer, store, &layers).await?;
        *self.statics.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(Static {
            layers,
            facilities,
            gazetteer,
        });
        *self.units.write().unwrap_or_else(|p| p.into_inner()) = units;
        self.bump_units();
        Ok(())
    }

    /// Regions, facilities, streets and landmarks whose names match `query`, best first (see
    /// [`Gazetteer::search`]).
    pub fn search_places(&self, query: &str, limit: usize, near: Option<Position>) -> Vec<Place> {
        self.statics().gazetteer.search(query, limit, near)
    }

    /// How many places the search holds (regions, villages, facilities, streets and landmarks).
    pub fn searchable_places(&self) -> usize {
        self.statics().gazetteer.len()
    }

    /// The kelurahan/desa and kecamatan codes of the loaded regions at `p`.
    pub fn area_codes(&self, p: Position) -> AreaCodes {
        AreaCodes::at(&self.statics().layers, p)
    }

    /// Street ways grouped into streets per kelurahan (see [`streets::group_streets`]).
    pub fn group_streets(&self, ways: Vec<StreetWay>) -> Vec<Street> {
        streets::group_streets(ways, &self.statics().layers)
    }

    fn statics(&self) -> Arc<Static> {
        Arc::clone(&self.statics.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// The region chain and responsible agencies at a point.
    pub fn locate(&self, p: Position) -> Location {
        let statics = self.statics();
        let chain = statics.layers.chain_at(p);
        let region_chain: Vec<RegionLink> = chain
            .iter()
            .map(|l| RegionLink {
                code: l.code().to_owned(),
                name: l.name().to_owned(),
                level: l.level.as_str().to_owned(),
                inside: l.located.is_inside(),
                distance_m: l.located.distance_m(),
            })
            .collect();
        let outside = !region_chain.iter().any(|l| l.inside);
        let agencies = statics
            .layers
            .responsible_at(p)
            .into_iter()
            .map(|(t, id)| (t.as_str().to_owned(), id.to_owned()))
            .collect();
        Location {
            region_chain,
            outside,
            agencies,
            receiving: None,
        }
    }

    /// The `k` nearest available units matching the filter, with exclusions explained.
    pub fn nearest_units(
        &self,
        p: Position,
        k: usize,
        filter: UnitFilter,
        now: Timestamp,
    ) -> NearestUnits {
        let mut q = NearestQuery::new(p, k, now);
        q.filter = filter;
        q.stale_after_ms = self.stale_after_ms;
        self.units
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .nearest(&q)
    }

    /// The `k` nearest facilities (with a capability, if given): `(id, name, kind, position, distance_m)`.
    pub fn nearest_facilities(
        &self,
        p: Position,
        k: usize,
        capability: Option<Capability>,
    ) -> Vec<(Facility, f64)> {
        let statics = self.statics();
        statics
            .facilities
            .nearest_to(p, k, capability)
            .into_iter()
            .map(|n| (n.facility.clone(), n.distance_m))
            .collect()
    }

    /// The road graph, if one is loaded.
    pub fn roads(&self) -> Option<Arc<siaga_roads::RoadGraph>> {
        self.roads.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Loads the prepared road graph at `path` when the file exists (none: the straight-line fallback). A file
    /// that is there but unreadable or not a prepared graph is an error, so a broken graph fails at start.
    pub fn load_roads(&self, path: &std::path::Path) -> anyhow::Result<()> {
        if !path.exists() {
            tracing::info!(path = %path.display(), "no road graph: recommendations use the straight line");
            return Ok(());
        }
        let graph = siaga_roads::RoadGraph::load(path)
            .with_context(|| format!("roads.graph: {}", path.display()))?;
        let stats = graph.stats();
        tracing::info!(path = %path.display(), nodes = stats.nodes, segments = stats.segments, "road graph loaded");
        *self.roads.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(graph));
        Ok(())
    }

    /// A unit's indexed state (type, status, last position).
    pub fn unit(&self, unit_id: &str) -> Option<UnitState> {
        self.units
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(unit_id)
            .cloned()
    }

    /// Updates a unit's position in place (from a GPS fix).
    pub fn unit_moved(&self, unit_id: &str, p: Position, at: Timestamp) {
        let mut units = self.units.write().unwrap_or_else(|e| e.into_inner());
        if let Ok(siaga_spatial::units::FixOutcome::Applied) = units.update_position(unit_id, p, at)
        {
            self.bump_units();
        }
    }

    /// Updates a unit's status in place.
    pub fn unit_status(&self, unit_id: &str, status: UnitStatus) {
        let mut units = self.units.write().unwrap_or_else(|e| e.into_inner());
        if units.get(unit_id).is_some_and(|u| u.status != status)
            && units.set_status(unit_id, status).is_ok()
        {
            self.bump_units();
        }
    }

    /// True when the unit index holds this unit.
    pub fn knows_unit(&self, unit_id: &str) -> bool {
        self.units
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(unit_id)
            .is_some()
    }

    /// Adds or replaces a unit.
    pub fn unit_upsert(&self, row: &UnitRow) {
        if let Some(state) = unit_state(row) {
            let mut units = self.units.write().unwrap_or_else(|e| e.into_inner());
            if units.get(&state.id) != Some(&state) {
                units.upsert(state);
                self.bump_units();
            }
        }
    }

    fn bump_units(&self) {
        self.units_version
            .fetch_add(1, std::sync::atomic::Ordering::Release);
    }

    /// The unit index's version: changes whenever a unit moves, changes status or is added or replaced.
    pub fn units_version(&self) -> u64 {
        self.units_version
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// The available units of `unit_type` (of `agency` only, when given) whose last fix is fresh at `now`.
    pub fn available_units(
        &self,
        unit_type: UnitType,
        agency: Option<&str>,
        now: Timestamp,
    ) -> Vec<UnitState> {
        self.units
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|u| {
                u.unit_type == unit_type
                    && u.status == UnitStatus::Available
                    && agency.is_none_or(|a| a == u.agency_id)
                    && now.0 - u.fix_at.0 <= self.stale_after_ms
            })
            .cloned()
            .collect()
    }

    /// Reads a population table: CSV with the columns `code` and `population_total` (rows without a number are
    /// skipped). A missing file or column is an error, so a wrong path fails at start.
    pub fn load_population(&self, path: &std::path::Path) -> anyhow::Result<()> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("coverage.population_csv: {}", path.display()))?;
        let table = parse_population(&text)
            .with_context(|| format!("coverage.population_csv: {}", path.display()))?;
        tracing::info!(path = %path.display(), regions = table.len(), "population table loaded");
        *self.population.write().unwrap_or_else(|e| e.into_inner()) = table;
        Ok(())
    }

    /// The population of region `code`, when the population table has it.
    pub fn population(&self, code: &str) -> Option<u64> {
        self.population
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(code)
            .copied()
    }

    /// The name and shape of the region `code`, at whichever level it is indexed.
    pub fn region_shape(&self, code: &str) -> Option<(String, geo::MultiPolygon<f64>)> {
        let statics = self.statics();
        RegionLevel::ALL.into_iter().find_map(|l| {
            let area = statics
                .layers
                .level(l)?
                .areas()
                .iter()
                .find(|a| a.id == code)?;
            Some((area.name.clone(), area.geometry.clone()))
        })
    }
}

/// `code → population_total` of a CSV with a header naming both columns (plain comma-separated, no quoted
/// commas in these columns).
fn parse_population(text: &str) -> anyhow::Result<std::collections::HashMap<String, u64>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .context("empty file")?
        .split(',')
        .map(str::trim)
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .with_context(|| format!("no `{name}` column"))
    };
    let (code, pop) = (col("code")?, col("population_total")?);
    Ok(lines
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            Some((
                f.get(code)?.trim().to_owned(),
                f.get(pop)?.trim().parse().ok()?,
            ))
        })
        .collect())
}

fn unit_state(u: &UnitRow) -> Option<UnitState> {
    Some(UnitState {
        id: u.id.clone(),
        agency_id: u.agency_id.clone(),
        unit_type: u.unit_type.parse::<UnitType>().ok()?,
        vehicle: u.vehicle.parse().unwrap_or_default(),
        status: u.status.parse::<UnitStatus>().ok()?,
        position: Position::from_lon_lat(u.lon?, u.lat?).ok()?,
        fix_at: Timestamp(u.position_at.unwrap_or(u.updated_at)),
    })
}
