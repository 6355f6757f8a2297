//! Geometry on the way into a tile: Web Mercator projection to the unit square, clipping to a tile's square
//! (with a buffer), tile coordinates, simplification and quantisation, all with `geo`.

use geo::{
    Area, BooleanOps, BoundingRect, Coord, LineString, MultiLineString, MultiPolygon, Orient,
    Point, Polygon, Rect, Simplify, orient::Direction,
};
use serde::{Deserialize, Serialize};

/// Tile extent in MVT units.
pub const EXTENT: f64 = 4096.0;
/// Extra margin around a tile, in MVT units, so lines and fills join seamlessly across tile edges.
pub const BUFFER: f64 = 64.0;

/// A feature's geometry, in the unit square (Web Mercator, x east, y south).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Geom {
    Point(Point<f64>),
    Lines(MultiLineString<f64>),
    Polygons(MultiPolygon<f64>),
}

const MAX_LAT: f64 = 85.051_128_78;

/// Lon/lat degrees → unit square.
pub fn project(c: Coord<f64>) -> Coord<f64> {
    let lat = c.y.clamp(-MAX_LAT, MAX_LAT).to_radians();
    Coord {
        x: (c.x + 180.0) / 360.0,
        y: (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0,
    }
}

/// Unit square → lon/lat degrees.
pub fn unproject(c: Coord<f64>) -> Coord<f64> {
    let n = std::f64::consts::PI * (1.0 - 2.0 * c.y);
    Coord {
        x: c.x * 360.0 - 180.0,
        y: n.sinh().atan().to_degrees(),
    }
}

pub fn project_point(p: Point<f64>) -> Point<f64> {
    Point(project(p.0))
}

pub fn project_lines(l: &MultiLineString<f64>) -> MultiLineString<f64> {
    MultiLineString(
        l.iter()
            .map(|ls| LineString(ls.coords().map(|c| project(*c)).collect()))
            .collect(),
    )
}

pub fn project_polygons(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let ring = |ls: &LineString<f64>| LineString(ls.coords().map(|c| project(*c)).collect());
    MultiPolygon(
        mp.iter()
            .map(|p| Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect()))
            .collect(),
    )
}

/// The square of tile z/x/y in the unit square, grown by `buffer` MVT units on each side.
pub fn tile_rect(z: u8, x: u32, y: u32, buffer: f64) -> Rect<f64> {
    let size = 1.0 / f64::from(1u32 << z);
    let pad = size * buffer / EXTENT;
    Rect::new(
        Coord {
            x: f64::from(x) * size - pad,
            y: f64::from(y) * size - pad,
        },
        Coord {
            x: f64::from(x + 1) * size + pad,
            y: f64::from(y + 1) * size + pad,
        },
    )
}

/// The range of tiles at zoom `z` that a box touches (clamped to the world).
pub fn tile_range(z: u8, r: Rect<f64>) -> (u32, u32, u32, u32) {
    let n = f64::from(1u32 << z);
    let max = (1u32 << z) - 1;
    let to = |v: f64| ((v * n).floor().max(0.0) as u32).min(max);
    (to(r.min().x), to(r.min().y), to(r.max().x), to(r.max().y))
}

fn inside(r: &Rect<f64>, b: &Rect<f64>) -> bool {
    b.min().x >= r.min().x
        && b.min().y >= r.min().y
        && b.max().x <= r.max().x
        && b.max().y <= r.max().y
}

fn disjoint(r: &Rect<f64>, b: &Rect<f64>) -> bool {
    b.max().x < r.min().x || b.min().x > r.max().x || b.max().y < r.min().y || b.min().y > r.max().y
}

/// The part of `g` inside `r`; None when nothing is left.
pub fn clip(g: &Geom, r: &Rect<f64>) -> Option<Geom> {
    let b = crate::schema::bbox(g)?;
    if disjoint(r, &b) {
        return None;
    }
    if inside(r, &b) {
        return Some(g.clone());
    }
    match g {
        Geom::Point(_) => None,
        Geom::Lines(l) => {
            let clipped = r.to_polygon().clip(l, false);
            let lines: Vec<_> = clipped.0.into_iter().filter(|l| l.0.len() >= 2).collect();
            (!lines.is_empty()).then_some(Geom::Lines(MultiLineString(lines)))
        }
        Geom::Polygons(p) => {
            let clipped = p.intersection(&r.to_polygon());
            (!clipped.0.is_empty()).then_some(Geom::Polygons(clipped))
        }
    }
}

/// Whether a clipped geometry covers the whole of `r` (a fill tile: sea, land, forest…).
pub fn covers(g: &Geom, r: &Rect<f64>) -> bool {
    match g {
        Geom::Polygons(p) => {
            let area = r.width() * r.height();
            p.0.len() == 1
                && p.0[0].interiors().is_empty()
                && p.unsigned_area() >= area * (1.0 - 1e-9)
        }
        _ => false,
    }
}

/// Simplifies (Douglas–Peucker, in the unit square) with a tolerance of `units` MVT units at zoom `z`.
pub fn simplify(g: &Geom, z: u8, units: f64) -> Geom {
    let eps = units / (EXTENT * f64::from(1u32 << z));
    match g {
        Geom::Point(_) => g.clone(),
        Geom::Lines(l) => Geom::Lines(l.simplify(eps)),
        Geom::Polygons(p) => Geom::Polygons(p.simplify(eps)),
    }
}

/// A geometry in a tile's integer MVT coordinates, ready to encode; None when it vanishes at this zoom
/// (shorter than a unit, or an area smaller than `min_area` square units, unless `keep_tiny`).
pub fn to_tile(
    g: &Geom,
    z: u8,
    x: u32,
    y: u32,
    tolerance: f64,
    min_area: f64,
    keep_tiny: bool,
) -> Option<TileGeom> {
    let scale = EXTENT * f64::from(1u32 << z);
    let (ox, oy) = (f64::from(x) * EXTENT, f64::from(y) * EXTENT);
    let tc = |c: &Coord<f64>| Coord {
        x: (c.x * scale - ox).round(),
        y: (c.y * scale - oy).round(),
    };
    let line = |ls: &LineString<f64>| {
        let mut out: Vec<Coord<f64>> = Vec::with_capacity(ls.0.len());
        for c in ls.coords().map(tc) {
            if out.last() != Some(&c) {
                out.push(c);
            }
        }
        LineString(out)
    };
    match g {
        Geom::Point(p) => {
            let c = tc(&p.0);
            (c.x >= 0.0 && c.y >= 0.0 && c.x < EXTENT && c.y < EXTENT)
                .then_some(TileGeom::Point(Point(c)))
        }
        Geom::Lines(l) => {
            let lines: Vec<_> = l
                .iter()
                .map(line)
                .map(|ls| ls.simplify(tolerance))
                .filter(|ls| ls.0.len() >= 2)
                .collect();
            (!lines.is_empty()).then_some(TileGeom::Lines(MultiLineString(lines)))
        }
        Geom::Polygons(mp) => {
            let ring_ok = |ls: &LineString<f64>| {
                ls.0.len() >= 4 && Polygon::new(ls.clone(), vec![]).unsigned_area() >= min_area
            };
            let polygons: Vec<_> = mp
                .iter()
                .filter_map(|p| {
                    let exterior = line(p.exterior()).simplify(tolerance);
                    if !ring_ok(&exterior) {
                        // Like tippecanoe's tiny-polygon reduction: land and water smaller than a unit stay
                        // visible as a one-unit square instead of vanishing from the low zooms.
                        let c = exterior.0.first()?;
                        return keep_tiny.then(|| {
                            let (x, y) = (c.x, c.y);
                            Polygon::new(
                                LineString::from(vec![
                                    (x, y),
                                    (x + 1.0, y),
                                    (x + 1.0, y + 1.0),
                                    (x, y + 1.0),
                                    (x, y),
                                ]),
                                vec![],
                            )
                            .orient(Direction::Default)
                        });
                    }
                    let holes = p
                        .interiors()
                        .iter()
                        .map(line)
                        .map(|r| r.simplify(tolerance))
                        .filter(ring_ok)
                        .collect();
                    // MVT wants exterior rings with positive area in tile coordinates (y down): `geo`'s
                    // counter-clockwise default, read in those coordinates.
                    Some(Polygon::new(exterior, holes).orient(Direction::Default))
                })
                .collect();
            (!polygons.is_empty()).then_some(TileGeom::Polygons(MultiPolygon(polygons)))
        }
    }
}

/// A geometry in tile coordinates.
pub enum TileGeom {
    Point(Point<f64>),
    Lines(MultiLineString<f64>),
    Polygons(MultiPolygon<f64>),
}

impl TileGeom {
    pub fn to_mvt(self) -> Result<geozero::mvt::tile::Feature, geozero::error::GeozeroError> {
        use geozero::ToMvt;
        // geozero reads `geo::Geometry`, not the individual geometry types.
        let g: geo::Geometry<f64> = match self {
            TileGeom::Point(p) => geo::Geometry::Point(p),
            TileGeom::Lines(l) => geo::Geometry::MultiLineString(l),
            TileGeom::Polygons(p) => geo::Geometry::MultiPolygon(p),
        };
        g.to_mvt_unscaled()
    }
}

/// The bounding box of a set of geometries' bounding boxes.
pub fn union_rect(a: Option<Rect<f64>>, b: Rect<f64>) -> Rect<f64> {
    match a {
        None => b,
        Some(a) => Rect::new(
            Coord {
                x: a.min().x.min(b.min().x),
                y: a.min().y.min(b.min().y),
            },
            Coord {
                x: a.max().x.max(b.max().x),
                y: a.max().y.max(b.max().y),
            },
        ),
    }
}

/// Lon/lat box → unit-square box.
pub fn project_rect(west: f64, south: f64, east: f64, north: f64) -> Rect<f64> {
    Rect::new(
        project(Coord { x: west, y: north }),
        project(Coord { x: east, y: south }),
    )
}

pub fn bounding(mp: &MultiPolygon<f64>) -> Option<Rect<f64>> {
    mp.bounding_rect()
}
