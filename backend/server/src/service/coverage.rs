//! Coverage for the supervisor: the area reachable within the arrival target from the currently available units
//! of one type, and the share of a region's area (and, by uniform density, of its population) outside it.
//!
//! The target is the SLA policy's urban arrival target for the unit type's category at priority p1
//! ([`UnitType::arrival_category`]). With a road graph, the area is the isochrone of every snapped unit over its
//! vehicle's profile (`siaga-roads`; one search per vehicle, cars and motorbikes): the H3 cells (resolution
//! [`RESOLUTION`], about 0.74 km² each) holding a road node reached within the target; the isochrone's concave
//! hull is not built (it is not drawn and cost most of a recompute). A unit off the roads, or no graph at all,
//! counts as a circle of target × the unit type's straight-line speed ÷ the detour factor
//! `roads.straight_line_detour` (`basis: straight_line`), as the recommendations' straight-line estimates. Areas are counted in H3 cells: a region's cells are
//! those whose centre lies inside its polygon, and "covered" is the area of the region's cells that are also
//! reachable. The answer is cached per (unit type, OPD, region, unit-index version, graph), so polling is a map
//! lookup until a unit moves, changes status or its fix turns stale.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use geo::{Contains, Point};
use h3o::{CellIndex, LatLng, Resolution};
use serde::{Deserialize, Serialize};
use siaga_core::incident::Priority;
use siaga_core::sla::{AreaClass, SlaKind};
use siaga_core::time::Timestamp;
use siaga_core::unit::UnitType;
use siaga_spatial::units::SpeedTable;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

/// H3 resolution of the coverage cells (mean area about 0.74 km², edge about 0.53 km).
pub const RESOLUTION: Resolution = Resolution::Eight;

/// Query of [`coverage`].
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CoverageQuery {
    pub unit_type: UnitType,
    /// Kemendagri code of the region the shares are computed for; default the caller's region, if any.
    pub region: Option<String>,
}

/// How the reachable area was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CoverageBasis {
    /// Every unit was snapped to the road graph and its isochrone computed.
    Road,
    /// No road graph is loaded: circles of target × the type's speed ÷ `roads.straight_line_detour`.
    StraightLine,
    /// Road isochrones, plus circles for the units off the roads.
    Mixed,
}

/// A GeoJSON MultiPolygon: the reachable H3 cells, one polygon each.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct CoverageGeometry {
    /// Always `MultiPolygon`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Polygons of one closed `[lon, lat]` ring each.
    pub coordinates: Vec<Vec<Vec<[f64; 2]>>>,
}

/// Properties of the coverage feature.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct CoverageProperties {
    pub unit_type: UnitType,
    pub basis: CoverageBasis,
    pub target_s: u32,
    pub units: usize,
    pub cells: usize,
}

/// The reachable area as a GeoJSON Feature.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct CoverageFeature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    pub kind: String,
    pub geometry: CoverageGeometry,
    pub properties: CoverageProperties,
}

/// The region the shares are computed for.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct CoverageRegion {
    pub code: String,
    pub name: String,
}

/// Coverage of one unit type: a GeoJSON FeatureCollection (one feature, the reachable cells) with the totals.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct CoverageView {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: String,
    pub features: Vec<CoverageFeature>,
    pub unit_type: UnitType,
    /// The arrival target the area is reachable within, seconds.
    pub target_s: u32,
    pub basis: CoverageBasis,
    /// Available units with a fresh fix counted.
    pub units: usize,
    /// Units counted by straight line because they are off the roads (or there is no graph).
    pub units_straight_line: usize,
    /// H3 resolution of the cells the areas are counted in.
    pub h3_resolution: u8,
    /// The region in scope; `null` when neither `region` nor the caller's region names one.
    pub region: Option<CoverageRegion>,
    /// Area of the region's cells that are reachable, km².
    pub area_km2_covered: Option<f64>,
    /// Area of the region's cells, km².
    pub area_km2_total: Option<f64>,
    /// Share of the region's area not reachable within the target (0..1).
    pub share_outside: Option<f64>,
    /// The region's population (gazetteer), when known.
    pub population_total: Option<u64>,
    /// `population_total × share_outside`: the population outside, assuming uniform density in the region.
    pub population_outside: Option<u64>,
    /// Unit-index version the answer was computed at.
    pub positions_version: u64,
    /// Time the computation took, milliseconds (of the computation, not of a cache hit).
    pub compute_ms: f64,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    unit_type: UnitType,
    agency: Option<String>,
    region: Option<String>,
}

struct Entry {
    version: u64,
    graph: bool,
    /// The earliest moment a counted unit's fix turns stale: the answer is recomputed from then on.
    valid_until_ms: i64,
    view: Arc<CoverageView>,
}

/// A region's cells (centre inside its shape).
type RegionCells = Arc<Vec<CellIndex>>;

/// The coverage answers computed so far, per (unit type, OPD, region); one entry each, replaced when the unit
/// index moves on.
#[derive(Default)]
pub struct CoverageCache {
    entries: Mutex<HashMap<Key, Entry>>,
    /// Each region's cells, by code and the shape's vertex count (a re-imported shape is tiled again).
    regions: Mutex<HashMap<(String, usize), RegionCells>>,
}

impl CoverageCache {
    fn region_cells(&self, code: &str, shape: &geo::MultiPolygon<f64>) -> Arc<Vec<CellIndex>> {
        use geo::CoordsIter;
        let key = (code.to_owned(), shape.coords_count());
        if let Some(c) = self
            .regions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Arc::clone(c);
        }
        let cells = Arc::new(region_cells(shape));
        self.regions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, Arc::clone(&cells));
        cells
    }
}

/// The coverage of `q.unit_type`: supervisors see every OPD's units, dispatchers their own OPD's.
pub async fn coverage(
    state: &AppState,
    actor: &Actor,
    q: &CoverageQuery,
) -> ApiResult<Arc<CoverageView>> {
    let region = match q.region.as_deref() {
        Some(code) => {
            actor.require_region(code)?;
            Some(code.to_owned())
        }
        None => actor.user.region_code.clone(),
    };
    let key = Key {
        unit_type: q.unit_type,
        agency: actor.agency_scope().map(str::to_owned),
        region,
    };
    let now = state.now_ms();
    let version = state.geo.units_version();
    let graph = state.geo.roads();
    if let Some(e) = state
        .coverage
        .entries
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
        && e.version == version
        && e.graph == graph.is_some()
        && now < e.valid_until_ms
    {
        return Ok(Arc::clone(&e.view));
    }
    // A region asked for must have a shape; the caller's own region without one just gives no shares.
    let shape = match key.region.as_deref() {
        Some(code) => match state.geo.region_shape(code) {
            Some(s) => Some(s),
            None if q.region.is_some() => {
                return Err(ApiError::validation(
                    "region",
                    "no region with this code and a shape",
                ));
            }
            None => None,
        },
        None => None,
    };
    let population = key.region.as_deref().and_then(|c| state.geo.population(c));
    let started = std::time::Instant::now();
    let units = state
        .geo
        .available_units(key.unit_type, key.agency.as_deref(), Timestamp(now));
    let target_s = u32::try_from(
        state.config.dispatch.sla.target_ms(
            SlaKind::Arrival,
            key.unit_type.arrival_category(),
            Priority::P1,
            AreaClass::Urban,
        ) / 1000,
    )
    .unwrap_or(u32::MAX);
    let kmh = SpeedTable::default().kmh(key.unit_type);
    // The distance a straight-line estimate covers within the target: its route is the line times the detour.
    let radius_m = f64::from(target_s) * kmh / 3.6 / state.config.roads.straight_line_detour;
    let snap_max_m = state.config.roads.snap_max_m;
    let mut reachable: BTreeSet<CellIndex> = BTreeSet::new();
    let mut off_road = Vec::new();
    let mut on_road = 0;
    match graph.as_deref() {
        Some(g) => {
            let mut router = g.router();
            for p in siaga_roads::Profile::ALL {
                let snaps: Vec<siaga_roads::Snap> = units
                    .iter()
                    .filter(|u| crate::service::incidents::road_profile(u.vehicle) == p)
                    .filter_map(|u| {
                        let s = g.snap(p, [u.position.lon(), u.position.lat()], snap_max_m);
                        if s.is_none() {
                            off_road.push(u.position);
                        }
                        s
                    })
                    .collect();
                on_road += snaps.len();
                if !snaps.is_empty() {
                    reachable.extend(router.isochrone_cells(
                        p,
                        &snaps,
                        f64::from(target_s),
                        RESOLUTION,
                    ));
                }
            }
        }
        None => off_road.extend(units.iter().map(|u| u.position)),
    }
    for p in &off_road {
        reachable.extend(circle_cells(p.lon(), p.lat(), radius_m));
    }
    let basis = match (on_road, off_road.len()) {
        (_, 0) if graph.is_some() => CoverageBasis::Road,
        (0, _) => CoverageBasis::StraightLine,
        _ => CoverageBasis::Mixed,
    };
    let (region_view, covered, total) = match shape {
        Some((name, shape)) => {
            let cells = state
                .coverage
                .region_cells(key.region.as_deref().unwrap_or_default(), &shape);
            let total: f64 = cells.iter().map(|c| c.area_km2()).sum();
            let covered: f64 = cells
                .iter()
                .filter(|c| reachable.contains(c))
                .map(|c| c.area_km2())
                .sum();
            (
                Some(CoverageRegion {
                    code: key.region.clone().unwrap_or_default(),
                    name,
                }),
                Some(covered),
                Some(total),
            )
        }
        None => (None, None, None),
    };
    let share_outside = match (covered, total) {
        (Some(c), Some(t)) if t > 0.0 => Some(((t - c) / t).clamp(0.0, 1.0)),
        _ => None,
    };
    let population_outside = match (population, share_outside) {
        (Some(p), Some(s)) => Some((p as f64 * s).round() as u64),
        _ => None,
    };
    let polygons: Vec<Vec<Vec<[f64; 2]>>> = reachable.iter().map(|c| vec![ring(*c)]).collect();
    let cells = reachable.len();
    let view = Arc::new(CoverageView {
        kind: "FeatureCollection".into(),
        features: vec![CoverageFeature {
            kind: "Feature".into(),
            geometry: CoverageGeometry {
                kind: "MultiPolygon".into(),
                coordinates: polygons,
            },
            properties: CoverageProperties {
                unit_type: key.unit_type,
                basis,
                target_s,
                units: units.len(),
                cells,
            },
        }],
        unit_type: key.unit_type,
        target_s,
        basis,
        units: units.len(),
        units_straight_line: off_road.len(),
        h3_resolution: u8::from(RESOLUTION),
        region: region_view,
        area_km2_covered: covered.map(round3),
        area_km2_total: total.map(round3),
        share_outside: share_outside.map(|s| (s * 10_000.0).round() / 10_000.0),
        population_total: population,
        population_outside,
        positions_version: version,
        compute_ms: started.elapsed().as_secs_f64() * 1000.0,
    });
    tracing::debug!(unit_type = %key.unit_type, units = units.len(), cells, ms = view.compute_ms, "coverage computed");
    let valid_until_ms = units
        .iter()
        .map(|u| u.fix_at.0.saturating_add(state.geo.stale_after_ms) + 1)
        .min()
        .unwrap_or(i64::MAX);
    state
        .coverage
        .entries
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            key,
            Entry {
                version,
                graph: graph.is_some(),
                valid_until_ms,
                view: Arc::clone(&view),
            },
        );
    Ok(view)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The closed `[lon, lat]` ring of a cell.
fn ring(c: CellIndex) -> Vec<[f64; 2]> {
    let mut r: Vec<[f64; 2]> = c.boundary().iter().map(|ll| [ll.lng(), ll.lat()]).collect();
    if let Some(first) = r.first().copied() {
        r.push(first);
    }
    r
}

/// Mean distance between neighbouring cell centres at [`RESOLUTION`], metres (√3 × the 0.53 km edge).
const CENTRE_SPACING_M: f64 = 920.0;

/// The cells whose centre lies within `radius_m` of `(lon, lat)`.
fn circle_cells(lon: f64, lat: f64, radius_m: f64) -> Vec<CellIndex> {
    let Ok(ll) = LatLng::new(lat, lon) else {
        return Vec::new();
    };
    let origin = ll.to_cell(RESOLUTION);
    let k = (radius_m / CENTRE_SPACING_M).ceil() as u32 + 2;
    origin
        .grid_disk::<Vec<_>>(k)
        .into_iter()
        .filter(|c| LatLng::from(*c).distance_m(ll) <= radius_m)
        .collect()
}

/// The cells whose centre lies inside `shape` (lon/lat).
fn region_cells(shape: &geo::MultiPolygon<f64>) -> Vec<CellIndex> {
    use geo::BoundingRect;
    let Some(rect) = shape.bounding_rect() else {
        return Vec::new();
    };
    let (Ok(centre), Ok(corner)) = (
        LatLng::new(rect.center().y, rect.center().x),
        LatLng::new(rect.min().y, rect.min().x),
    ) else {
        return Vec::new();
    };
    let k = (centre.distance_m(corner) / CENTRE_SPACING_M * 1.2).ceil() as u32 + 2;
    centre
        .to_cell(RESOLUTION)
        .grid_disk::<Vec<_>>(k)
        .into_iter()
        .filter(|c| {
            let ll = LatLng::from(*c);
            shape.contains(&Point::new(ll.lng(), ll.lat()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_circle_holds_about_its_area_in_cells() {
        // 6 km around Monas: π × 36 ≈ 113 km².
        let cells = circle_cells(106.8271, -6.1754, 6000.0);
        let area: f64 = cells.iter().map(|c| c.area_km2()).sum();
        assert!(
            (100.0..126.0).contains(&area),
            "{area} km² in {} cells",
            cells.len()
        );
    }

    #[test]
    fn a_square_region_is_tiled_by_its_centres() {
        // About 11 × 11 km at the equator-ish latitude of Jakarta.
        let square = geo::MultiPolygon::new(vec![geo::Polygon::new(
            geo::LineString::from(vec![
                (106.75, -6.25),
                (106.85, -6.25),
                (106.85, -6.15),
                (106.75, -6.15),
                (106.75, -6.25),
            ]),
            vec![],
        )]);
        let area: f64 = region_cells(&square).iter().map(|c| c.area_km2()).sum();
        assert!((110.0..135.0).contains(&area), "{area}");
        let ring = ring(LatLng::new(-6.2, 106.8).unwrap().to_cell(RESOLUTION));
        assert_eq!(ring.len(), 7);
        assert_eq!(ring.first(), ring.last());
    }
}
