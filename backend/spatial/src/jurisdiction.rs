//! Point-in-area lookup over one set of areas (one administrative level, or a set of service areas).
//!
//! # Semantics (what [`JurisdictionIndex::locate`] answers)
//!
//! Let *M(p)* be the set of areas whose geometry `geo::Intersects` the point *p*: the boundary counts as inside.
//!
//! * *M(p)* has one area → [`Located::Inside`] that area.
//! * *M(p)* has several areas → [`Located::Inside`] the area with the **lowest id** in byte-wise string order
//!   (`"31.71" < "31.72"`). Neighbouring polygons in the shared data were simplified independently, so they
//!   overlap slightly (0.35 % of the area at kab/kota level) and a point near a border can be in two of them;
//!   the lowest code is a rule anyone can check by hand.
//! * *M(p)* is empty → [`Located::Outside`] with the area whose **boundary** (any ring, holes included) is
//!   nearest to *p* and the great-circle distance to it in metres. Equal distances also go to the lowest id.
//!
//! The distance to a boundary segment is the haversine distance from *p* to the segment's closest point, where
//! "closest" is found in a local equirectangular projection centred on *p* (longitude scaled by cos φₚ). That
//! closest point differs from the true geodesic closest point by far less than a metre for the ≤ 10 km
//! segments of the shared boundaries; the same function is used by the index and by
//! [`brute_force_locate`], so the two agree exactly.
//!
//! # Invariants
//!
//! * Answers are identical to [`brute_force_locate`], which applies the definition above with
//!   `geo::Intersects` over every area. Property tests check this on real kab/kota boundaries.
//! * Areas are stored sorted by id, so "lowest id" is "lowest area index" inside the index.
//! * A cache only ever answers where no boundary can pass (see `grid` for the default grid cache). The H3
//!   cache stores a cell only when no boundary segment of any area touches the cell's lon/lat bounding box;
//!   membership can only change across a boundary, so every point of that box has the same *M(p)*, and a
//!   lookup also checks that the point is inside the box, so H3's curved cell edges never matter.
//!
//! # Cost
//!
//! A grid hit is two array reads. A fine cell a boundary crosses holds a candidate list: the polygons whose
//! boundary touches the cell, tested lowest area first with a banded edge index (see `pip`), and the area
//! that holds the rest of the cell. `Outside` answers add a branch-and-bound search of the boundary segments'
//! R-tree, started from the segment nearest to the centre of the point's 1/8° hint cell: the point's distance
//! to that segment bounds the search before it opens the first node.

use crate::convert::{InvalidPosition, Position, PositionExt, haversine_m, planar_reach_deg, xy};
use crate::grid::{self, Grid};
use crate::nearest::DataExtent;
use crate::pip::PolygonIndex;
use geo::{Coord, LineString, MultiPolygon};
use h3o::{CellIndex, Resolution};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, ParentNode, PointDistance, RTree, RTreeNode, RTreeObject};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

/// One area: an administrative region or an agency's service area.
#[derive(Clone)]
pub struct Area {
    /// The unique id: a Kemendagri code such as `"31.71"`, or a service-area id. Ties resolve to the lowest id.
    pub id: String,
    /// The display name, e.g. `"Kota Adm. Jakarta Pusat"`.
    pub name: String,
    /// The area's shape, lon/lat degrees (x = longitude).
    pub geometry: MultiPolygon<f64>,
}

impl fmt::Debug for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The geometry can be megabytes; print its size only.
        f.debug_struct("Area")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("polygons", &self.geometry.0.len())
            .finish()
    }
}

/// The answer of a lookup. See the module docs for the exact rules.
#[derive(Debug, Clone, Copy)]
pub enum Located<'a> {
    /// The point is inside (or on the boundary of) this area; the lowest id wins where areas overlap.
    Inside {
        /// The area.
        area: &'a Area,
    },
    /// The point is in no area; this area's boundary is the nearest.
    Outside {
        /// The area with the nearest boundary.
        nearest: &'a Area,
        /// Great-circle distance from the point to that boundary, metres.
        distance_m: f64,
    },
}

impl<'a> Located<'a> {
    /// The area found: the containing one, or the nearest one when outside.
    pub fn area(&self) -> &'a Area {
        match self {
            Located::Inside { area } => area,
            Located::Outside { nearest, .. } => nearest,
        }
    }

    /// Whether the point is inside an area.
    pub fn is_inside(&self) -> bool {
        matches!(self, Located::Inside { .. })
    }

    /// Distance to the area in metres: 0 when inside.
    pub fn distance_m(&self) -> f64 {
        match self {
            Located::Inside { .. } => 0.0,
            Located::Outside { distance_m, .. } => *distance_m,
        }
    }
}

impl PartialEq for Located<'_> {
    /// Two answers are equal when they name the same area id and, outside, the same distance bit for bit.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Located::Inside { area: a }, Located::Inside { area: b }) => a.id == b.id,
            (
                Located::Outside {
                    nearest: a,
                    distance_m: da,
                },
                Located::Outside {
                    nearest: b,
                    distance_m: db,
                },
            ) => a.id == b.id && da.to_bits() == db.to_bits(),
            _ => false,
        }
    }
}

/// Why a [`JurisdictionIndex`] could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BuildError {
    /// No areas were given; an index must have at least one so `Outside` always names a nearest area.
    #[error("no areas given")]
    NoAreas,
    /// An area has an empty id.
    #[error("area #{index} has an empty id")]
    EmptyId {
        /// Position of the area in the input list.
        index: usize,
    },
    /// Two areas share an id.
    #[error("duplicate area id {id}")]
    DuplicateId {
        /// The repeated id.
        id: String,
    },
    /// An area has no polygon with at least one coordinate.
    #[error("area {id} has an empty geometry")]
    EmptyGeometry {
        /// The area's id.
        id: String,
    },
    /// A coordinate is not a valid lon/lat position.
    #[error("area {id}: {error}")]
    InvalidCoordinate {
        /// The area's id.
        id: String,
        /// What is wrong with the coordinate.
        error: InvalidPosition,
    },
    /// The H3 cache resolutions are reversed.
    #[error("cache resolution range {coarsest}..={finest} is empty")]
    CacheResolutions {
        /// Coarsest resolution asked for.
        coarsest: u8,
        /// Finest resolution asked for.
        finest: u8,
    },
}

impl BuildError {
    /// The stable snake_case error code.
    pub fn code(&self) -> &'static str {
        "invalid_areas"
    }
}

/// Which cache answers lookups before the exact test. The answers never depend on it, only speed and memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CacheKind {
    /// No cache: every lookup runs the exact test.
    None,
    /// A two-level lon/lat grid: coarse cells of `coarse_deg` degrees, each split into
    /// `fine_per_coarse` × `fine_per_coarse` fine cells where a boundary passes. Lookup is two array reads.
    Grid {
        /// Coarse cell size, degrees.
        coarse_deg: f64,
        /// Fine cells per coarse cell along each axis (1..=256).
        fine_per_coarse: u16,
    },
    /// H3 cells from `coarsest` (seed level) refined to `finest` near boundaries. Lookup converts the point
    /// to an H3 cell (about 0.4 µs with h3o 0.11) and probes a hash map per resolution.
    H3 {
        /// The coarsest resolution stored.
        coarsest: Resolution,
        /// The finest resolution stored.
        finest: Resolution,
    },
}

/// Tuning of a [`JurisdictionIndex`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JurisdictionOptions {
    /// The cache in front of the exact test.
    pub cache: CacheKind,
}

impl Default for JurisdictionOptions {
    /// A grid of 0.25° coarse cells split 32 × 32 (≈ 0.87 km fine cells). The `geo` benchmark on real kab/kota
    /// and kecamatan boundaries measured it several times faster than the H3 cache, whose point-to-cell
    /// conversion alone costs more than the exact test it saves; see `backend/spatial/BENCHMARKS.md`.
    fn default() -> Self {
        JurisdictionOptions {
            cache: CacheKind::Grid {
                coarse_deg: 0.25,
                fine_per_coarse: 32,
            },
        }
    }
}

/// One boundary segment in the nearest-boundary R-tree.
#[derive(Debug, Clone, Copy)]
struct Segment {
    a: [f64; 2],
    b: [f64; 2],
    area: u32,
}

impl Segment {
    /// Great-circle distance in metres from `p`.
    fn distance_m(&self, p: Position) -> f64 {
        segment_distance_m(
            p,
            Coord {
                x: self.a[0],
                y: self.a[1],
            },
            Coord {
                x: self.b[0],
                y: self.b[1],
            },
        )
    }
}

impl RTreeObject for Segment {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners(self.a, self.b)
    }
}

impl PointDistance for Segment {
    /// Planar squared distance in degrees² from `p` to the segment.
    fn distance_2(&self, p: &[f64; 2]) -> f64 {
        let (dx, dy) = (self.b[0] - self.a[0], self.b[1] - self.a[1]);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (((p[0] - self.a[0]) * dx + (p[1] - self.a[1]) * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (cx, cy) = (self.a[0] + t * dx, self.a[1] + t * dy);
        (p[0] - cx).powi(2) + (p[1] - cy).powi(2)
    }
}

/// A starting segment for [`JurisdictionIndex::nearest_boundary`] per cell of a coarse grid over the data:
/// the segment nearest to the cell's centre. A point's distance to it bounds the search from the first node,
/// so the search opens only nodes that can hold something at least as close.
#[derive(Debug, Clone, Default)]
struct Hints {
    min: [f64; 2],
    step: f64,
    cols: usize,
    rows: usize,
    cells: Vec<Segment>,
}

impl Hints {
    /// The hint of the cell holding `q`, or of the nearest cell when `q` is off the grid.
    fn at(&self, q: [f64; 2]) -> Option<&Segment> {
        if self.cells.is_empty() {
            return None;
        }
        let cell = |v: f64, min: f64, n: usize| {
            let i = ((v - min) / self.step).floor();
            if i.is_nan() || i < 0.0 {
                0
            } else {
                (i as usize).min(n - 1)
            }
        };
        let (c, r) = (
            cell(q[0], self.min[0], self.cols),
            cell(q[1], self.min[1], self.rows),
        );
        self.cells.get(r * self.cols + c)
    }
}

/// Side of a hint cell in degrees (about 14 km): 50,000 cells and 2 MB over Indonesia.
const HINT_STEP_DEG: f64 = 0.125;
/// At most about this many hint cells (and four per segment); wider data gets coarser cells.
const MAX_HINT_CELLS: usize = 1 << 20;

/// Children per node of the segment R-tree, against rstar's default of 6: a search from a hint opens fewer
/// levels (measured on the sea points with hints: 6 is slower, 32 no faster).
const SEG_MAX: usize = 16;

/// R-tree parameters of the segment tree.
#[derive(Debug, Clone, Copy)]
struct SegmentParams;

impl rstar::RTreeParams for SegmentParams {
    const MIN_SIZE: usize = SEG_MAX / 3;
    const MAX_SIZE: usize = SEG_MAX;
    const REINSERTION_COUNT: usize = SEG_MAX / 3;
    type DefaultInsertionStrategy = rstar::RStarInsertionStrategy;
}

/// A node of the segment R-tree waiting in [`JurisdictionIndex::nearest_boundary`]'s queue, nearest first.
struct NodeAt<'a> {
    /// Planar squared distance (degrees²) from the query point to the node's envelope.
    d2: f64,
    node: &'a ParentNode<Segment>,
}

impl PartialEq for NodeAt<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.d2.total_cmp(&other.d2).is_eq()
    }
}

impl Eq for NodeAt<'_> {}

impl PartialOrd for NodeAt<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NodeAt<'_> {
    /// Reversed, so the standard max-heap pops the nearest node first.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.d2.total_cmp(&self.d2)
    }
}

/// Great-circle distance in metres from `p` to the segment `a`–`b` (lon/lat degrees).
///
/// The closest point is found in a local equirectangular projection centred on `p`. It lies on the planar
/// lon/lat segment, which is what the R-tree lower bound in `nearest` needs.
fn segment_distance_m(p: Position, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let k = p.lat().to_radians().cos();
    let (ax, ay) = ((a.x - p.lon()) * k, a.y - p.lat());
    let (dx, dy) = ((b.x - a.x) * k, b.y - a.y);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let cx = a.x + t * (b.x - a.x);
    let cy = a.y + t * (b.y - a.y);
    haversine_m(p.lon(), p.lat(), cx, cy)
}

/// The boundary segments of one ring, as both the index and the brute force enumerate them. A one-point ring
/// is the zero-length segment at that point.
fn ring_segments(ring: &LineString<f64>) -> impl Iterator<Item = (Coord<f64>, Coord<f64>)> + '_ {
    let single = match ring.0.as_slice() {
        [p] => Some((*p, *p)),
        _ => None,
    };
    ring.0.windows(2).map(|w| (w[0], w[1])).chain(single)
}

/// Every boundary segment of an area.
fn area_segments(area: &Area) -> impl Iterator<Item = (Coord<f64>, Coord<f64>)> + '_ {
    area.geometry
        .0
        .iter()
        .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
        .flat_map(ring_segments)
}

/// A fast hasher for cell keys (the splitmix64 finaliser): H3 indexes of coarse cells share their low bits
/// (unused digits are all 7), and the unit grid's packed cell coordinates of neighbouring cells differ in few
/// bits, so a plain multiplicative hash would collide; this one mixes every bit.
#[derive(Default)]
pub(crate) struct CellHasher(u64);

impl Hasher for CellHasher {
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// A cached cell: every point inside `min..=max` (lon/lat) resolves to `area`.
#[derive(Debug, Clone, Copy)]
struct CacheEntry {
    min: [f64; 2],
    max: [f64; 2],
    area: u32,
}

#[derive(Debug, Clone)]
struct CellCache {
    coarsest: u8,
    finest: Resolution,
    cells: HashMap<u64, CacheEntry, BuildHasherDefault<CellHasher>>,
}

/// Size of the cache, for benchmarks and capacity planning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// H3 cache: cached cells per resolution, `(resolution, count)`, coarsest first.
    pub cells_per_resolution: Vec<(u8, usize)>,
    /// H3 cache: cells visited while building.
    pub cells_visited: usize,
    /// Grid cache: `(coarse cells, fine blocks, fine cells left to the exact test)`.
    pub grid: Option<(usize, usize, usize)>,
}

#[derive(Debug, Clone)]
enum Cache {
    None,
    Grid(Grid),
    H3(CellCache),
}

/// Point-in-area index over one set of areas. Build once, query from many threads (`&self` only).
#[derive(Debug, Clone)]
pub struct JurisdictionIndex {
    areas: Vec<Area>,
    polygons: Vec<(PolygonIndex, u32)>,
    polygon_tree: RTree<GeomWithData<Rectangle<[f64; 2]>, u32>>,
    segment_tree: RTree<Segment, SegmentParams>,
    hints: Hints,
    extent: DataExtent,
    cache: Cache,
    cells_visited: usize,
}

impl JurisdictionIndex {
    /// Builds the index with [`JurisdictionOptions::default`].
    ///
    /// # Errors
    ///
    /// [`BuildError`] when the list is empty, an id is empty or repeated, a geometry is empty, or a coordinate
    /// is not a valid lon/lat position.
    pub fn new(areas: Vec<Area>) -> Result<JurisdictionIndex, BuildError> {
        JurisdictionIndex::with_options(areas, JurisdictionOptions::default())
    }

    /// Builds the index with explicit cache options.
    ///
    /// # Errors
    ///
    /// As [`JurisdictionIndex::new`], plus [`BuildError::CacheResolutions`] for a reversed range.
    pub fn with_options(
        mut areas: Vec<Area>,
        options: JurisdictionOptions,
    ) -> Result<JurisdictionIndex, BuildError> {
        validate_areas(&areas)?;
        if let CacheKind::H3 { coarsest, finest } = options.cache
            && coarsest > finest
        {
            return Err(BuildError::CacheResolutions {
                coarsest: u8::from(coarsest),
                finest: u8::from(finest),
            });
        }
        areas.sort_by(|a, b| a.id.cmp(&b.id));

        let mut polygons = Vec::new();
        let mut segments = Vec::new();
        let mut extent = DataExtent::default();
        for (i, area) in areas.iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            for poly in &area.geometry.0 {
                if !poly.exterior().0.is_empty() {
                    polygons.push((PolygonIndex::new(poly), i));
                }
            }
            for (a, b) in area_segments(area) {
                extent.include(a.x, a.y);
                extent.include(b.x, b.y);
                segments.push(Segment {
                    a: [a.x, a.y],
                    b: [b.x, b.y],
                    area: i,
                });
            }
        }
        let polygon_tree = RTree::bulk_load(
            polygons
                .iter()
                .enumerate()
                .map(|(i, (p, _))| {
                    let (min, max) = p.bounds();
                    GeomWithData::new(
                        Rectangle::from_corners([min.x, min.y], [max.x, max.y]),
                        u32::try_from(i).unwrap_or(u32::MAX),
                    )
                })
                .collect(),
        );
        let mut index = JurisdictionIndex {
            areas,
            polygons,
            polygon_tree,
            segment_tree: RTree::bulk_load_with_params(segments),
            hints: Hints::default(),
            extent,
            cache: Cache::None,
            cells_visited: 0,
        };
        index.hints = index.build_hints();
        match options.cache {
            CacheKind::None => {}
            CacheKind::H3 { coarsest, finest } => index.build_cache(coarsest, finest),
            CacheKind::Grid {
                coarse_deg,
                fine_per_coarse,
            } => {
                // Validated areas have segments, so the extent has bounds; the fallback keeps this total.
                let bounds = index.extent.bounds().unwrap_or(([0.0; 2], [0.0; 2]));
                // Polygon ids follow the order `polygons` was filled in above.
                let segments = index
                    .areas
                    .iter()
                    .flat_map(|a| a.geometry.0.iter())
                    .filter(|poly| !poly.exterior().0.is_empty())
                    .enumerate()
                    .flat_map(|(id, poly)| {
                        let id = u32::try_from(id).unwrap_or(u32::MAX);
                        std::iter::once(poly.exterior())
                            .chain(poly.interiors())
                            .flat_map(ring_segments)
                            .map(move |(a, b)| ([a.x, a.y], [b.x, b.y], id))
                    });
                let grid = Grid::build(
                    bounds,
                    coarse_deg,
                    usize::from(fine_per_coarse),
                    segments,
                    |x, y| index.resolve(Coord { x, y }),
                    |x, y, skip| index.resolve_without(Coord { x, y }, skip),
                    |poly| index.polygons.get(poly as usize).map_or(u32::MAX, |p| p.1),
                );
                index.cache = Cache::Grid(grid);
            }
        }
        Ok(index)
    }

    /// The areas, sorted by id.
    pub fn areas(&self) -> &[Area] {
        &self.areas
    }

    /// The area with this id.
    pub fn get(&self, id: &str) -> Option<&Area> {
        self.areas
            .binary_search_by(|a| a.id.as_str().cmp(id))
            .ok()
            .and_then(|i| self.areas.get(i))
    }

    /// Locates a longitude/latitude in degrees, **longitude first**. See the module docs for the rules.
    ///
    /// ```
    /// use geo::{MultiPolygon, polygon};
    /// use siaga_spatial::{Area, JurisdictionIndex, Located};
    /// let square = |id: &str, x0: f64| Area {
    ///     id: id.into(),
    ///     name: id.into(),
    ///     geometry: MultiPolygon(vec![polygon![(x: x0, y: 0.0), (x: x0 + 1.0, y: 0.0),
    ///                                           (x: x0 + 1.0, y: 1.0), (x: x0, y: 1.0)]]),
    /// };
    /// let index = JurisdictionIndex::new(vec![square("B", 1.0), square("A", 0.0)])?;
    /// // On the shared edge x = 1 both areas intersect the point: the lowest id wins.
    /// assert_eq!(index.locate(1.0, 0.5)?.area().id, "A");
    /// assert!(matches!(index.locate(3.0, 0.5)?, Located::Outside { .. }));
    /// assert!(index.locate(f64::NAN, 0.5).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`InvalidPosition`] for NaN, infinite or out-of-range coordinates.
    pub fn locate(&self, lon: f64, lat: f64) -> Result<Located<'_>, InvalidPosition> {
        Ok(self.locate_position(Position::from_lon_lat(lon, lat)?))
    }

    /// Locates a validated position. See the module docs for the rules.
    pub fn locate_position(&self, p: Position) -> Located<'_> {
        match self.find(p) {
            Some(area) => Located::Inside { area },
            None => {
                let (nearest, distance_m) = self.nearest_boundary(p);
                Located::Outside {
                    nearest,
                    distance_m,
                }
            }
        }
    }

    /// The area containing `p` (lowest id on overlaps), without the nearest-boundary search when there is none.
    pub fn find(&self, p: Position) -> Option<&Area> {
        let idx = match &self.cache {
            Cache::Grid(grid) => match grid.lookup(p.lon(), p.lat()) {
                grid::MISS => self.resolve(p.to_coord()),
                grid::NONE => None,
                v if v >= grid::LIST_BASE => self.resolve_listed(grid.list(v), p.to_coord()),
                area => Some(area),
            },
            Cache::H3(cache) => cache.lookup(p).or_else(|| self.resolve(p.to_coord())),
            Cache::None => self.resolve(p.to_coord()),
        }?;
        self.areas.get(idx as usize)
    }

    /// Every area whose geometry intersects `p`, in id order. Empty in the sea or in a sliver gap.
    pub fn containing(&self, p: Position) -> Vec<&Area> {
        let c = p.to_coord();
        let mut found: Vec<u32> = self
            .polygon_tree
            .locate_all_at_point(&xy(p))
            .filter_map(|r| self.polygons.get(r.data as usize))
            .filter(|(poly, _)| poly.intersects(c))
            .map(|(_, area)| *area)
            .collect();
        found.sort_unstable();
        found.dedup();
        found
            .into_iter()
            .filter_map(|i| self.areas.get(i as usize))
            .collect()
    }

    /// The area whose boundary is nearest to `p`, with the great-circle distance in metres (lowest id on ties).
    /// Points inside an area get the distance to that area's boundary or a closer neighbour's.
    pub fn nearest_boundary(&self, p: Position) -> (&Area, f64) {
        let (d, seg) = self.nearest_segment(p, self.hints.at(xy(p)));
        // The index always has at least one segment (validated at build), so the search finds one; the
        // fallback keeps this total.
        let area = seg
            .and_then(|s| self.areas.get(s.area as usize))
            .or_else(|| self.areas.first());
        match area {
            Some(a) => (a, d),
            None => unreachable_empty_index(),
        }
    }

    /// The boundary segment nearest to `p` and its great-circle distance in metres (lowest area id on ties),
    /// starting from `hint`, any segment: its distance bounds the search from the start.
    fn nearest_segment(&self, p: Position, hint: Option<&Segment>) -> (f64, Option<Segment>) {
        // Branch and bound over the segment R-tree's nodes, nearest envelope first. Once a segment `m` metres
        // away is found, a node or segment whose planar distance exceeds the planar reach of `m` cannot hold a
        // closer one, nor an equally close one of a lower area id: its great-circle lower bound exceeds `m`.
        // Unlike rstar's nearest-neighbour iterator, which queues every child of every node it opens, this
        // never queues what the best candidate so far already rules out.
        let q = xy(p);
        let lat = self.extent.bound_latitude(q);
        let reach2 = |m: f64| {
            lat.map_or(f64::INFINITY, |lat| {
                let r = planar_reach_deg(m, lat);
                r * r
            })
        };
        let mut best = (f64::INFINITY, u32::MAX);
        let mut best_seg = None;
        let mut within2 = f64::INFINITY;
        if let Some(seg) = hint {
            best = (seg.distance_m(p), seg.area);
            best_seg = Some(*seg);
            within2 = reach2(best.0);
        }
        let mut queue = std::collections::BinaryHeap::with_capacity(64);
        queue.push(NodeAt {
            d2: 0.0,
            node: self.segment_tree.root(),
        });
        while let Some(NodeAt { d2, node }) = queue.pop() {
            if d2 > within2 {
                break;
            }
            for child in node.children() {
                match child {
                    RTreeNode::Leaf(seg) => {
                        if seg.distance_2(&q) > within2 {
                            continue;
                        }
                        let d = seg.distance_m(p);
                        if (d, seg.area) < best {
                            best = (d, seg.area);
                            best_seg = Some(*seg);
                            within2 = reach2(d);
                        }
                    }
                    RTreeNode::Parent(inner) => {
                        let d2 = inner.envelope().distance_2(&q);
                        if d2 <= within2 {
                            queue.push(NodeAt { d2, node: inner });
                        }
                    }
                }
            }
        }
        (best.0, best_seg)
    }

    /// The hint grid: square cells of [`HINT_STEP_DEG`] over the segments' extent (coarser when that would
    /// make more than [`MAX_HINT_CELLS`] cells, or more than four per segment), each with the segment nearest
    /// to its centre.
    fn build_hints(&self) -> Hints {
        let Some((min, max)) = self.extent.bounds() else {
            return Hints::default();
        };
        let (w, h) = (max[0] - min[0], max[1] - min[1]);
        // Never many more cells than segments: a few segments spread over a wide extent need no fine grid.
        let max_cells = MAX_HINT_CELLS.min(4 * self.segment_tree.size().max(256));
        let step = HINT_STEP_DEG.max((w * h / max_cells as f64).sqrt());
        // Both counts are at least 1 and their product at most about `max_cells`.
        let cols = ((w / step).ceil() as usize).max(1);
        let rows = ((h / step).ceil() as usize).max(1);
        let mut cells = Vec::with_capacity(cols * rows);
        for r in 0..rows {
            for c in 0..cols {
                let centre = Position::from_lon_lat(
                    min[0] + (c as f64 + 0.5) * step,
                    min[1] + (r as f64 + 0.5) * step,
                );
                // A neighbour's segment is a close start for the next cell's own search.
                match centre.map(|p| self.nearest_segment(p, cells.last())) {
                    Ok((_, Some(seg))) => cells.push(seg),
                    _ => return Hints::default(),
                }
            }
        }
        Hints {
            min,
            step,
            cols,
            rows,
            cells,
        }
    }

    /// Size of the H3 cache.
    pub fn cache_stats(&self) -> CacheStats {
        let mut per: std::collections::BTreeMap<u8, usize> = std::collections::BTreeMap::new();
        if let Cache::H3(cache) = &self.cache {
            for key in cache.cells.keys() {
                if let Ok(cell) = CellIndex::try_from(*key) {
                    *per.entry(u8::from(cell.resolution())).or_default() += 1;
                }
            }
        }
        CacheStats {
            cells_per_resolution: per.into_iter().collect(),
            cells_visited: self.cells_visited,
            grid: match &self.cache {
                Cache::Grid(g) => Some(g.stats()),
                _ => None,
            },
        }
    }

    /// An estimate of the heap memory held by the index itself (edge bands, R-trees, cache), in bytes. The
    /// areas' own geometries are not counted.
    pub fn approx_index_bytes(&self) -> usize {
        let polys: usize = self.polygons.iter().map(|(p, _)| p.heap_bytes()).sum();
        // Each segment is a node entry in its parent's child list; bulk loading fills nodes of up to
        // `SEG_MAX` children, so the parents' own entries add about one in `SEG_MAX / 2` at most.
        let seg =
            self.segment_tree.size() * (SEG_MAX + 2) / SEG_MAX * size_of::<RTreeNode<Segment>>();
        let hints = self.hints.cells.capacity() * size_of::<Segment>();
        let ptree = self.polygon_tree.size() * 48 * 3 / 2;
        let cache = match &self.cache {
            Cache::None => 0,
            Cache::Grid(g) => g.heap_bytes(),
            Cache::H3(c) => c.cells.capacity() * (size_of::<(u64, CacheEntry)>() + 1),
        };
        polys + seg + hints + ptree + cache
    }

    /// Exact membership in a grid cell with a candidate list: `default` (the lowest area containing the
    /// whole cell, or `grid::NONE`) unless a listed polygon, tested lowest area first, contains `c` and has a
    /// lower area.
    #[inline]
    fn resolve_listed(&self, (default, polys): (u32, &[u32]), c: Coord<f64>) -> Option<u32> {
        for &p in polys {
            let Some((poly, area)) = self.polygons.get(p as usize) else {
                continue;
            };
            if *area >= default {
                break;
            }
            if poly.intersects(c) {
                return Some(*area);
            }
        }
        (default != grid::NONE).then_some(default)
    }

    /// [`Self::resolve`] ignoring the polygons in `skip` (sorted polygon ids).
    fn resolve_without(&self, c: Coord<f64>, skip: &[u32]) -> Option<u32> {
        let mut best: Option<u32> = None;
        for r in self.polygon_tree.locate_all_at_point(&[c.x, c.y]) {
            if skip.binary_search(&r.data).is_ok() {
                continue;
            }
            let Some((poly, area)) = self.polygons.get(r.data as usize) else {
                continue;
            };
            if best.is_some_and(|b| b <= *area) {
                continue;
            }
            if poly.intersects(c) {
                best = Some(*area);
            }
        }
        best
    }

    /// Exact membership: the lowest area index among polygons intersecting `c`.
    fn resolve(&self, c: Coord<f64>) -> Option<u32> {
        let mut best: Option<u32> = None;
        for r in self.polygon_tree.locate_all_at_point(&[c.x, c.y]) {
            let Some((poly, area)) = self.polygons.get(r.data as usize) else {
                continue;
            };
            if best.is_some_and(|b| b <= *area) {
                continue;
            }
            if poly.intersects(c) {
                best = Some(*area);
            }
        }
        best
    }

    /// Builds the H3 cache top-down: seed cells at `coarsest` cover the data, a cell with no boundary segment
    /// touching its bounding box is cached (if some area contains it), and a cell with segments is refined
    /// into its children until `finest`.
    fn build_cache(&mut self, coarsest: Resolution, finest: Resolution) {
        let mut cells: HashMap<u64, CacheEntry, BuildHasherDefault<CellHasher>> =
            HashMap::default();
        let mut visited = 0usize;
        let mut stack: Vec<CellIndex> = self.seed_cells(coarsest);
        while let Some(cell) = stack.pop() {
            visited += 1;
            let (min, max) = cell_bounds(cell);
            let touched = self
                .segment_tree
                .locate_in_envelope_intersecting(&AABB::from_corners(min, max))
                .next()
                .is_some();
            if touched {
                if cell.resolution() < finest
                    && let Some(next) = cell.resolution().succ()
                {
                    stack.extend(cell.children(next));
                }
                continue;
            }
            let center = Coord {
                x: (min[0] + max[0]) / 2.0,
                y: (min[1] + max[1]) / 2.0,
            };
            if let Some(area) = self.resolve(center) {
                cells.insert(u64::from(cell), CacheEntry { min, max, area });
            }
        }
        cells.shrink_to_fit();
        self.cells_visited = visited;
        self.cache = Cache::H3(CellCache {
            coarsest: u8::from(coarsest),
            finest,
            cells,
        });
    }

    /// Cells at `res` covering every polygon envelope, found by sampling each envelope on a grid finer than
    /// the cells. A missed cell only means a cache miss, never a wrong answer.
    fn seed_cells(&self, res: Resolution) -> Vec<CellIndex> {
        // Degrees per km at the equator ≈ 1/111.2; sample at half an edge so no whole cell slips between samples.
        let step = (res.edge_length_km() / 111.2 / 2.0).max(1e-6);
        let mut seeds: HashSet<CellIndex> = HashSet::new();
        for r in self.polygon_tree.iter() {
            let env = r.geom().envelope();
            let (lo, hi) = (env.lower(), env.upper());
            let nx = (((hi[0] - lo[0]) / step).ceil() as usize).min(100_000);
            let ny = (((hi[1] - lo[1]) / step).ceil() as usize).min(100_000);
            for i in 0..=nx {
                for j in 0..=ny {
                    let lon = (lo[0] + i as f64 * step).min(hi[0]);
                    let lat = (lo[1] + j as f64 * step).min(hi[1]);
                    if let Ok(p) = Position::from_lon_lat(lon, lat) {
                        seeds.insert(p.to_lat_lng().to_cell(res));
                    }
                }
            }
        }
        let mut seeds: Vec<CellIndex> = seeds.into_iter().collect();
        seeds.sort_unstable();
        seeds
    }
}

/// The lon/lat bounding box of an H3 cell's boundary vertices.
fn cell_bounds(cell: CellIndex) -> ([f64; 2], [f64; 2]) {
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    for ll in cell.boundary().iter() {
        min[0] = min[0].min(ll.lng());
        min[1] = min[1].min(ll.lat());
        max[0] = max[0].max(ll.lng());
        max[1] = max[1].max(ll.lat());
    }
    (min, max)
}

impl CellCache {
    /// The cached area for `p`, if an ancestor cell of `p` is cached and its box contains `p`.
    fn lookup(&self, p: Position) -> Option<u32> {
        let cell = p.to_lat_lng().to_cell(self.finest);
        let [x, y] = xy(p);
        for res in self.coarsest..=u8::from(self.finest) {
            let Ok(res) = Resolution::try_from(res) else {
                continue;
            };
            let Some(key) = cell.parent(res) else {
                continue;
            };
            if let Some(e) = self.cells.get(&u64::from(key)) {
                // Descendants of a cached cell are never cached, so this is the only candidate.
                let inside = x >= e.min[0] && x <= e.max[0] && y >= e.min[1] && y <= e.max[1];
                return inside.then_some(e.area);
            }
        }
        None
    }
}

#[cold]
fn unreachable_empty_index() -> ! {
    // Building rejects an empty area list and empty geometries, so there is always a nearest area.
    unreachable!("a JurisdictionIndex always has at least one boundary segment")
}

/// Checks the input of [`JurisdictionIndex::with_options`].
fn validate_areas(areas: &[Area]) -> Result<(), BuildError> {
    if areas.is_empty() {
        return Err(BuildError::NoAreas);
    }
    let mut seen = HashSet::new();
    for (index, area) in areas.iter().enumerate() {
        if area.id.is_empty() {
            return Err(BuildError::EmptyId { index });
        }
        if !seen.insert(area.id.as_str()) {
            return Err(BuildError::DuplicateId {
                id: area.id.clone(),
            });
        }
        let mut any = false;
        for (a, _) in area_segments(area) {
            any = true;
            Position::from_lon_lat(a.x, a.y).map_err(|error| BuildError::InvalidCoordinate {
                id: area.id.clone(),
                error,
            })?;
        }
        if !any {
            return Err(BuildError::EmptyGeometry {
                id: area.id.clone(),
            });
        }
    }
    Ok(())
}

/// The reference implementation of [`JurisdictionIndex::locate_position`]: the module-doc rules applied with
/// `geo::Intersects` over every area and a scan over every boundary segment. Slow; for tests and benchmarks.
/// `None` only when `areas` has no boundary segment at all.
pub fn brute_force_locate(areas: &[Area], p: Position) -> Option<Located<'_>> {
    use geo::Intersects;
    let point = p.to_point();
    let inside = areas
        .iter()
        .filter(|a| a.geometry.intersects(&point))
        .min_by(|a, b| a.id.cmp(&b.id));
    if let Some(area) = inside {
        return Some(Located::Inside { area });
    }
    let mut best: Option<(f64, &Area)> = None;
    for area in areas {
        for (a, b) in area_segments(area) {
            let d = segment_distance_m(p, a, b);
            let better = match best {
                None => true,
                Some((bd, barea)) => d < bd || (d == bd && area.id < barea.id),
            };
            if better {
                best = Some((d, area));
            }
        }
    }
    best.map(|(distance_m, nearest)| Located::Outside {
        nearest,
        distance_m,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(id: &str, x0: f64, y0: f64, size: f64) -> Area {
        Area {
            id: id.into(),
            name: format!("Area {id}"),
            geometry: MultiPolygon(vec![polygon![
                (x: x0, y: y0), (x: x0 + size, y: y0), (x: x0 + size, y: y0 + size), (x: x0, y: y0 + size)
            ]]),
        }
    }

    fn index() -> JurisdictionIndex {
        JurisdictionIndex::new(vec![
            square("32.73", 107.0, -7.0, 0.5),
            square("31.71", 106.5, -7.0, 0.5),
            // Overlaps 32.73 on x 107.4..107.5.
            square("32.04", 107.4, -7.0, 0.5),
        ])
        .unwrap()
    }

    #[test]
    fn any_starting_segment_gives_the_same_nearest_boundary() {
        // The hint only bounds the search: from every segment of the index as the start, and from none, each
        // point gets the same distance and the same area, ties to the lowest area included (x = 107.0 and the
        // overlap are equidistant from two areas' edges).
        let idx = index();
        let starts: Vec<Segment> = idx.segment_tree.iter().copied().collect();
        for i in 0..=40 {
            for j in 0..=20 {
                let p =
                    Position::from_lon_lat(105.0 + f64::from(i) * 0.1, -8.5 + f64::from(j) * 0.15)
                        .unwrap();
                let (d, seg) = idx.nearest_segment(p, None);
                let area = seg.unwrap().area;
                for s in &starts {
                    let (d2, seg2) = idx.nearest_segment(p, Some(s));
                    assert_eq!((d2, seg2.unwrap().area), (d, area), "{p:?} from {s:?}");
                }
                assert_eq!(idx.nearest_boundary(p).1, d);
            }
        }
    }

    #[test]
    fn shared_edge_resolves_to_lowest_code() {
        let idx = index();
        // x = 107.0 is the edge between 31.71 and 32.73.
        assert_eq!(idx.locate(107.0, -6.8).unwrap().area().id, "31.71");
        // Inside the overlap of 32.04 and 32.73.
        assert_eq!(idx.locate(107.45, -6.8).unwrap().area().id, "32.04");
        let all: Vec<_> = idx
            .containing(Position::from_lon_lat(107.45, -6.8).unwrap())
            .iter()
            .map(|a| a.id.clone())
            .collect();
        assert_eq!(all, ["32.04", "32.73"]);
    }

    #[test]
    fn sea_point_names_nearest_area_with_distance() {
        let idx = index();
        let p = Position::from_lon_lat(106.0, -6.75).unwrap();
        match idx.locate_position(p) {
            Located::Outside {
                nearest,
                distance_m,
            } => {
                assert_eq!(nearest.id, "31.71");
                // 0.5° of longitude at 6.75° S ≈ 55.2 km.
                let expected = haversine_m(106.0, -6.75, 106.5, -6.75);
                assert!(
                    (distance_m - expected).abs() < 1.0,
                    "{distance_m} vs {expected}"
                );
            }
            other => panic!("expected Outside, got {other:?}"),
        }
    }

    #[test]
    fn invalid_input_is_a_typed_error() {
        let idx = index();
        assert!(matches!(
            idx.locate(f64::NAN, 0.0),
            Err(InvalidPosition::Longitude)
        ));
        assert!(matches!(
            idx.locate(-6.8, 107.0),
            Err(InvalidPosition::Latitude)
        ));
        assert!(idx.locate(f64::INFINITY, 0.0).is_err());
    }

    #[test]
    fn build_rejects_bad_input() {
        assert_eq!(
            JurisdictionIndex::new(vec![]).unwrap_err(),
            BuildError::NoAreas
        );
        let dup =
            JurisdictionIndex::new(vec![square("1", 0.0, 0.0, 1.0), square("1", 2.0, 0.0, 1.0)]);
        assert_eq!(dup.unwrap_err(), BuildError::DuplicateId { id: "1".into() });
        let swapped = JurisdictionIndex::new(vec![square("1", -7.0, 106.0, 1.0)]);
        assert!(matches!(
            swapped.unwrap_err(),
            BuildError::InvalidCoordinate { .. }
        ));
        let empty = Area {
            id: "e".into(),
            name: "e".into(),
            geometry: MultiPolygon(vec![]),
        };
        assert!(matches!(
            JurisdictionIndex::new(vec![empty]).unwrap_err(),
            BuildError::EmptyGeometry { .. }
        ));
    }

    #[test]
    fn cache_and_no_cache_agree_with_brute_force_on_a_grid() {
        let areas = index().areas().to_vec();
        let build = |cache| {
            JurisdictionIndex::with_options(areas.clone(), JurisdictionOptions { cache }).unwrap()
        };
        let grid = JurisdictionIndex::new(areas.clone()).unwrap();
        let fine_grid = build(CacheKind::Grid {
            coarse_deg: 0.1,
            fine_per_coarse: 7,
        });
        let h3 = build(CacheKind::H3 {
            coarsest: Resolution::Four,
            finest: Resolution::Eight,
        });
        let plain = build(CacheKind::None);
        assert!(
            h3.cache_stats()
                .cells_per_resolution
                .iter()
                .map(|c| c.1)
                .sum::<usize>()
                > 0
        );
        assert!(grid.cache_stats().grid.is_some());
        for i in 0..=60 {
            for j in 0..=30 {
                let p = Position::from_lon_lat(
                    106.3 + f64::from(i) * 0.025,
                    -7.2 + f64::from(j) * 0.025,
                )
                .unwrap();
                let expected = brute_force_locate(&areas, p).unwrap();
                for idx in [&grid, &fine_grid, &h3, &plain] {
                    assert_eq!(idx.locate_position(p), expected, "{p:?}");
                }
            }
        }
    }

    /// Spotted while adding the `geojson` fuzz target: a long diagonal edge used to mark every fine cell of its
    /// bounding box, so a world-sized triangle asked for about 10⁹ cells (gigabytes) before the index was built.
    #[test]
    fn a_world_sized_triangle_builds_a_small_grid_that_agrees_with_brute_force() {
        let areas = vec![Area {
            id: "world".into(),
            name: "World".into(),
            geometry: MultiPolygon(vec![polygon![
                (x: -179.0, y: -89.0), (x: 179.0, y: 89.0), (x: -179.0, y: 89.0)
            ]]),
        }];
        let index = JurisdictionIndex::new(areas.clone()).unwrap();
        assert!(
            index.approx_index_bytes() < 256 << 20,
            "{} bytes",
            index.approx_index_bytes()
        );
        // Points on, just above and just below the diagonal, and far from it.
        for i in 0..=200 {
            let t = f64::from(i) / 200.0;
            let (x, y) = (-179.0 + 358.0 * t, -89.0 + 178.0 * t);
            for dy in [0.0, 0.001, -0.001, 0.01, -0.01, 5.0, -5.0] {
                let Ok(p) = Position::from_lon_lat(x, (y + dy).clamp(-90.0, 90.0)) else {
                    continue;
                };
                let expected = brute_force_locate(&areas, p).unwrap();
                assert_eq!(index.locate_position(p), expected, "{p:?}");
            }
        }
    }
}
