//! Exact point-in-polygon over a horizontal-band edge index.
//!
//! [`PolygonIndex::intersects`] answers exactly what `geo::Intersects<Point>` answers for the same polygon
//! (boundary counts as inside), but looks only at the edges whose band contains the query latitude.
//!
//! Invariant: the winding rules below are a copy of geo 0.33's `coord_pos_relative_to_ring`, with the same
//! robust `orient2d` kernel. Edges whose y-range does not contain the query y contribute nothing to that
//! algorithm, and an edge lies in every band its y-range touches (band index is monotone in y), so skipping
//! other bands changes no answer. Holes are evaluated in ring order, as geo does. The differential tests in
//! `jurisdiction` check this equality on real boundaries.

use geo::{Coord, GeoNum, Kernel, Orientation, Polygon};

/// One polygon edge with the ring it belongs to (0 = exterior, 1.. = holes in order).
#[derive(Debug, Clone, Copy)]
struct Edge {
    a: Coord<f64>,
    b: Coord<f64>,
    ring: u32,
}

/// A polygon prepared for repeated exact point queries.
#[derive(Debug, Clone)]
pub(crate) struct PolygonIndex {
    min: Coord<f64>,
    max: Coord<f64>,
    inv_band_height: f64,
    n_bands: usize,
    /// `band_start[b]..band_start[b + 1]` indexes `edges` for band `b`; within a band edges are sorted by ring.
    band_start: Vec<u32>,
    edges: Vec<Edge>,
}

impl PolygonIndex {
    /// Builds the index. Empty polygons give an index that contains nothing, like geo.
    pub(crate) fn new(polygon: &Polygon<f64>) -> PolygonIndex {
        let mut edges = Vec::new();
        // Every ring contributes its consecutive pairs. A one-point ring contributes the zero-length edge
        // (p, p), which is "on boundary" exactly at p and nowhere else: geo's special case for such rings.
        if !polygon.exterior().0.is_empty() {
            for (ring, ls) in std::iter::once(polygon.exterior())
                .chain(polygon.interiors())
                .enumerate()
            {
                let ring = u32::try_from(ring).unwrap_or(u32::MAX);
                match ls.0.as_slice() {
                    [] => {}
                    [p] => edges.push(Edge { a: *p, b: *p, ring }),
                    pts => {
                        for w in pts.windows(2) {
                            edges.push(Edge {
                                a: w[0],
                                b: w[1],
                                ring,
                            });
                        }
                    }
                }
            }
        }
        let (mut min, mut max) = (
            Coord {
                x: f64::INFINITY,
                y: f64::INFINITY,
            },
            Coord {
                x: f64::NEG_INFINITY,
                y: f64::NEG_INFINITY,
            },
        );
        // Only the exterior bounds the polygon; holes lie inside it for valid input, and a hole poking out
        // cannot make a point outside the exterior "intersect".
        for e in edges.iter().filter(|e| e.ring == 0) {
            min.x = min.x.min(e.a.x).min(e.b.x);
            min.y = min.y.min(e.a.y).min(e.b.y);
            max.x = max.x.max(e.a.x).max(e.b.x);
            max.y = max.y.max(e.a.y).max(e.b.y);
        }
        // About four edges per band keeps the scan short without duplicating long edges too often.
        let n_bands = (edges.len() / 4).clamp(1, 1 << 16);
        let height = max.y - min.y;
        let inv_band_height = if height > 0.0 {
            n_bands as f64 / height
        } else {
            0.0
        };
        let mut index = PolygonIndex {
            min,
            max,
            inv_band_height,
            n_bands,
            band_start: Vec::new(),
            edges: Vec::new(),
        };
        let mut counts = vec![0u32; n_bands + 1];
        for e in &edges {
            let (lo, hi) = index.band_range(e);
            for c in &mut counts[lo..=hi] {
                *c += 1;
            }
        }
        let mut start = Vec::with_capacity(n_bands + 1);
        let mut acc = 0u32;
        for c in &counts[..n_bands] {
            start.push(acc);
            acc += c;
        }
        start.push(acc);
        let mut fill = start.clone();
        let mut placed = vec![
            Edge {
                a: Coord::zero(),
                b: Coord::zero(),
                ring: 0
            };
            acc as usize
        ];
        // Edges are pushed in ring order, so each band ends up sorted by ring without a sort.
        for e in &edges {
            let (lo, hi) = index.band_range(e);
            for slot in &mut fill[lo..=hi] {
                placed[*slot as usize] = *e;
                *slot += 1;
            }
        }
        index.band_start = start;
        index.edges = placed;
        index
    }

    /// The band of latitude `y`: monotone non-decreasing in `y`, clamped to the valid bands.
    fn band_of(&self, y: f64) -> usize {
        let f = (y - self.min.y) * self.inv_band_height;
        let last = self.n_bands.saturating_sub(1);
        if f > 0.0 { (f as usize).min(last) } else { 0 }
    }

    fn band_range(&self, e: &Edge) -> (usize, usize) {
        let lo = self.band_of(e.a.y.min(e.b.y));
        let hi = self.band_of(e.a.y.max(e.b.y));
        (lo, hi)
    }

    /// The bounding box of the exterior ring as `(min, max)`; `min > max` for an empty polygon.
    pub(crate) fn bounds(&self) -> (Coord<f64>, Coord<f64>) {
        (self.min, self.max)
    }

    /// Heap bytes held by the edge bands.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.edges.capacity() * size_of::<Edge>() + self.band_start.capacity() * 4
    }

    /// Whether the closed polygon (boundary included) contains `c`, identical to `geo::Intersects`.
    pub(crate) fn intersects(&self, c: Coord<f64>) -> bool {
        if !(c.x >= self.min.x && c.x <= self.max.x && c.y >= self.min.y && c.y <= self.max.y) {
            return false;
        }
        let band = self.band_of(c.y);
        let (Some(&lo), Some(&hi)) = (self.band_start.get(band), self.band_start.get(band + 1))
        else {
            return false;
        };
        let Some(edges) = self.edges.get(lo as usize..hi as usize) else {
            return false;
        };

        let mut ring = u32::MAX;
        let mut winding = 0i32;
        for e in edges {
            if e.ring != ring {
                if ring != u32::MAX {
                    // Finish the previous ring; a boundary hit already returned.
                    if let Some(answer) = Self::decide(ring, winding) {
                        return answer;
                    }
                } else if e.ring != 0 {
                    // No exterior edge in this band: the exterior's winding number is 0.
                    return false;
                }
                ring = e.ring;
                winding = 0;
            }
            match crossing(e, c) {
                Crossing::Boundary => {
                    // geo: exterior on boundary → boundary; first non-outside hole on boundary → boundary.
                    // Holes before this one were all outside, or we would have returned already.
                    return true;
                }
                Crossing::Winding(w) => winding += w,
            }
        }
        if ring == u32::MAX {
            return false;
        }
        // Reaching here means the exterior (always the first ring seen) was "inside" and no hole claimed the
        // point, unless the last ring settles it.
        Self::decide(ring, winding).unwrap_or(true)
    }

    /// Decides from a finished ring (no boundary hit): `Some(answer)` when the ring settles the polygon,
    /// `None` to continue with the next hole.
    fn decide(ring: u32, winding: i32) -> Option<bool> {
        let inside_ring = winding != 0;
        match (ring, inside_ring) {
            // Outside the exterior: outside the polygon.
            (0, false) => Some(false),
            // Inside the exterior: the holes decide.
            (0, true) => None,
            // Inside a hole: outside the polygon. geo stops at the first hole that is not "outside".
            (_, true) => Some(false),
            (_, false) => None,
        }
    }
}

enum Crossing {
    Boundary,
    Winding(i32),
}

/// One edge's contribution to the winding number of `c`, copied from geo's `coord_pos_relative_to_ring`:
/// an upward edge includes its start and excludes its end, a downward edge the reverse, horizontal edges are
/// excluded, and the crossing must lie strictly right of `c`.
#[inline]
fn crossing(e: &Edge, c: Coord<f64>) -> Crossing {
    // An edge entirely left of `c` can neither cross the rightward ray nor contain `c`.
    if e.a.x < c.x && e.b.x < c.x {
        return Crossing::Winding(0);
    }
    if e.a.y <= c.y {
        if e.b.y >= c.y {
            let o = <f64 as GeoNum>::Ker::orient2d(e.a, e.b, c);
            if o == Orientation::CounterClockwise && e.b.y != c.y {
                return Crossing::Winding(1);
            } else if o == Orientation::Collinear && between(c.x, e.a.x, e.b.x) {
                return Crossing::Boundary;
            }
        }
    } else if e.b.y <= c.y {
        let o = <f64 as GeoNum>::Ker::orient2d(e.a, e.b, c);
        if o == Orientation::Clockwise {
            return Crossing::Winding(-1);
        } else if o == Orientation::Collinear && between(c.x, e.a.x, e.b.x) {
            return Crossing::Boundary;
        }
    }
    Crossing::Winding(0)
}

/// geo's `value_in_between`: inclusive, bounds in either order.
#[inline]
fn between(v: f64, b1: f64, b2: f64) -> bool {
    if b1 < b2 {
        v >= b1 && v <= b2
    } else {
        v >= b2 && v <= b1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Intersects, polygon};

    fn check(p: &Polygon<f64>, pts: &[(f64, f64)]) {
        let idx = PolygonIndex::new(p);
        for &(x, y) in pts {
            let c = Coord { x, y };
            assert_eq!(
                idx.intersects(c),
                p.intersects(&c),
                "point ({x}, {y}) on {p:?}"
            );
        }
    }

    fn grid() -> Vec<(f64, f64)> {
        let mut v = Vec::new();
        for i in -2..=22 {
            for j in -2..=22 {
                v.push((f64::from(i) * 0.5, f64::from(j) * 0.5));
            }
        }
        v
    }

    #[test]
    fn square_with_hole_matches_geo_on_a_grid_including_boundaries() {
        let p = polygon![
            exterior: [(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)],
            interiors: [[(x: 2.0, y: 2.0), (x: 4.0, y: 2.0), (x: 4.0, y: 4.0), (x: 2.0, y: 4.0)],
                        [(x: 6.0, y: 6.0), (x: 8.0, y: 6.0), (x: 7.0, y: 8.0)]],
        ];
        check(&p, &grid());
    }

    #[test]
    fn concave_and_degenerate_rings_match_geo() {
        let zigzag = polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 5.0, y: 2.0),
                              (x: 0.0, y: 10.0), (x: 0.0, y: 5.0), (x: 0.0, y: 5.0)];
        check(&zigzag, &grid());
        let flat = polygon![(x: 0.0, y: 1.0), (x: 5.0, y: 1.0), (x: 10.0, y: 1.0)];
        check(&flat, &grid());
        let point = Polygon::new(geo::LineString(vec![Coord { x: 1.0, y: 1.0 }]), vec![]);
        check(&point, &grid());
        let empty: Polygon<f64> = Polygon::new(geo::LineString(vec![]), vec![]);
        check(&empty, &grid());
    }
}
