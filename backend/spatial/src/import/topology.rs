//! Topology checks for imported polygons, in O(n log n) with an R-tree of segments.
//!
//! geo 0.33's `Validation` compares every segment of a ring with every other one (O(n²)), which takes far too
//! long on real kab/kota rings of several thousand vertices, and relates every pair of parts of a
//! MultiPolygon. These checks apply the same self-intersection rule as geo (a pair of segments that
//! intersect and are not consecutive around the ring) with an index, and add the multi-ring rules a valid
//! (Multi)Polygon needs:
//!
//! * rings never cross each other or overlap along a line (touching at a vertex is allowed);
//! * every hole lies inside its exterior;
//! * no part of a MultiPolygon lies inside another part.
//!
//! Known gap: two rings that meet at a shared vertex and cross there are not detected (that needs the angles
//! at the vertex). A differential test checks the self-intersection rule against geo on random rings.

use crate::pip::PolygonIndex;
use geo::line_intersection::{LineIntersection, line_intersection};
use geo::{Coord, CoordinatePosition, Intersects, Line, Polygon, coordinate_position::CoordPos};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// A ring address: (polygon index, ring index with 0 = exterior).
pub(crate) type RingRef = (usize, usize);

/// The first topology problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TopologyFault {
    /// Two non-consecutive segments of one ring intersect.
    SelfIntersection(RingRef),
    /// Two rings cross.
    RingsCross(RingRef, RingRef),
    /// Two rings share a stretch of boundary.
    RingsTouchAlongLine(RingRef, RingRef),
    /// A hole is not inside its polygon's exterior.
    HoleOutside(RingRef),
    /// One part of a MultiPolygon lies inside another.
    PolygonsOverlap(usize, usize),
}

struct Seg {
    line: Line<f64>,
    ring: RingRef,
}

/// Checks a (Multi)Polygon given as its parts. Rings are already closed with at least 4 positions.
pub(crate) fn check(polygons: &[Polygon<f64>]) -> Option<TopologyFault> {
    let mut segs = Vec::new();
    for (p, poly) in polygons.iter().enumerate() {
        for (r, ring) in std::iter::once(poly.exterior())
            .chain(poly.interiors())
            .enumerate()
        {
            for line in ring.lines() {
                segs.push(Seg { line, ring: (p, r) });
            }
        }
    }
    let tree = RTree::bulk_load(
        segs.iter()
            .enumerate()
            .map(|(i, s)| {
                GeomWithData::new(Rectangle::from_corners(xy(s.line.start), xy(s.line.end)), i)
            })
            .collect(),
    );
    for (i, s) in segs.iter().enumerate() {
        let env = AABB::from_corners(xy(s.line.start), xy(s.line.end));
        for cand in tree.locate_in_envelope_intersecting(&env) {
            let j = cand.data;
            if j <= i {
                continue;
            }
            let Some(o) = segs.get(j) else { continue };
            if let Some(fault) = pair_fault(s, o) {
                return Some(fault);
            }
        }
    }
    for (p, poly) in polygons.iter().enumerate() {
        if poly.interiors().is_empty() {
            continue;
        }
        let shell = Polygon::new(poly.exterior().clone(), vec![]);
        for (h, hole) in poly.interiors().iter().enumerate() {
            let first_off_boundary = hole
                .0
                .iter()
                .map(|c| shell.coordinate_position(c))
                .find(|pos| *pos != CoordPos::OnBoundary);
            if first_off_boundary == Some(CoordPos::Outside) {
                return Some(TopologyFault::HoleOutside((p, h + 1)));
            }
        }
    }
    parts_overlap(polygons)
}

fn xy(c: Coord<f64>) -> [f64; 2] {
    [c.x, c.y]
}

fn pair_fault(a: &Seg, b: &Seg) -> Option<TopologyFault> {
    if a.ring == b.ring {
        // geo's rule: intersecting segments that are not consecutive (sharing the joint vertex) around the ring.
        let hit =
            a.line.intersects(&b.line) && a.line.start != b.line.end && a.line.end != b.line.start;
        return hit.then_some(TopologyFault::SelfIntersection(a.ring));
    }
    match line_intersection(a.line, b.line)? {
        LineIntersection::SinglePoint {
            is_proper: true, ..
        } => Some(TopologyFault::RingsCross(a.ring, b.ring)),
        LineIntersection::SinglePoint { .. } => None,
        LineIntersection::Collinear { intersection } => (intersection.start != intersection.end)
            .then_some(TopologyFault::RingsTouchAlongLine(a.ring, b.ring)),
    }
}

/// With no crossing rings, part `j` overlaps part `i` exactly when some vertex of `j` not on `i`'s boundary
/// lies inside `i` (or the other way round).
fn parts_overlap(polygons: &[Polygon<f64>]) -> Option<TopologyFault> {
    if polygons.len() < 2 {
        return None;
    }
    let indexes: Vec<PolygonIndex> = polygons.iter().map(PolygonIndex::new).collect();
    let tree = RTree::bulk_load(
        indexes
            .iter()
            .enumerate()
            .map(|(i, ix)| {
                let (min, max) = ix.bounds();
                GeomWithData::new(Rectangle::from_corners(xy(min), xy(max)), i)
            })
            .collect(),
    );
    for (i, ix) in indexes.iter().enumerate() {
        let (min, max) = ix.bounds();
        for cand in tree.locate_in_envelope_intersecting(&AABB::from_corners(xy(min), xy(max))) {
            let j = cand.data;
            if j == i {
                continue;
            }
            let (Some(outer), Some(inner)) = (polygons.get(i), polygons.get(j)) else {
                continue;
            };
            // Is part j inside part i? Decide on j's first vertex that is not on i's boundary.
            for v in &inner.exterior().0 {
                if !ix.intersects(*v) {
                    break;
                }
                match outer.coordinate_position(v) {
                    CoordPos::Inside => {
                        return Some(TopologyFault::PolygonsOverlap(i.min(j), i.max(j)));
                    }
                    CoordPos::Outside => break,
                    CoordPos::OnBoundary => {}
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Validation, polygon};
    use proptest::prelude::*;

    #[test]
    fn bowtie_hole_outside_and_overlapping_parts_are_found() {
        let bowtie =
            polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 2.0), (x: 2.0, y: 0.0), (x: 0.0, y: 2.0)];
        assert_eq!(
            check(&[bowtie]),
            Some(TopologyFault::SelfIntersection((0, 0)))
        );
        let hole_out = polygon![
            exterior: [(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0)],
            interiors: [[(x: 5.0, y: 5.0), (x: 6.0, y: 5.0), (x: 6.0, y: 6.0)]],
        ];
        assert_eq!(check(&[hole_out]), Some(TopologyFault::HoleOutside((0, 1))));
        let big = polygon![(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0)];
        let small = polygon![(x: 1.0, y: 1.0), (x: 2.0, y: 1.0), (x: 2.0, y: 2.0)];
        assert_eq!(
            check(&[big.clone(), small]),
            Some(TopologyFault::PolygonsOverlap(0, 1))
        );
        let crossing =
            polygon![(x: 3.0, y: 1.0), (x: 6.0, y: 1.0), (x: 6.0, y: 2.0), (x: 3.0, y: 2.0)];
        assert_eq!(
            check(&[big.clone(), crossing]),
            Some(TopologyFault::RingsCross((0, 0), (1, 0)))
        );
        let neighbour =
            polygon![(x: 4.0, y: 0.0), (x: 8.0, y: 0.0), (x: 8.0, y: 4.0), (x: 4.0, y: 4.0)];
        assert_eq!(
            check(&[big.clone(), neighbour]),
            Some(TopologyFault::RingsTouchAlongLine((0, 0), (1, 0)))
        );
        let corner = polygon![(x: 4.0, y: 4.0), (x: 8.0, y: 4.0), (x: 8.0, y: 8.0)];
        assert_eq!(check(&[big, corner]), None);
    }

    proptest! {
        /// Our indexed self-intersection rule equals geo's O(n²) one on small random rings.
        #[test]
        fn self_intersection_matches_geo(pts in prop::collection::vec((0i32..6, 0i32..6), 3..9)) {
            let coords: Vec<Coord<f64>> =
                pts.iter().map(|(x, y)| Coord { x: f64::from(*x), y: f64::from(*y) }).collect();
            let poly = Polygon::new(LineString(coords), vec![]);
            let geo_says = poly
                .validation_errors()
                .iter()
                .any(|e| matches!(e, geo::algorithm::validation::InvalidPolygon::SelfIntersection(_)));
            let we_say = matches!(check(std::slice::from_ref(&poly)), Some(TopologyFault::SelfIntersection(_)));
            prop_assert_eq!(we_say, geo_says);
        }
    }
}
