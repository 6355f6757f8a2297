//! Nearest-first scans over planar lon/lat R-trees with a great-circle stopping bound.
//!
//! rstar orders candidates by planar distance in degrees, which is not great-circle order (a degree of
//! longitude is shorter than a degree of latitude away from the equator). A scan therefore walks candidates in
//! planar order, computes each one's great-circle distance, and may stop only once
//! [`planar_lower_bound_m`] of the current planar distance exceeds the worst distance it still needs: no later
//! candidate can then be closer. Callers re-rank what they collected by great-circle distance.

use crate::convert::planar_lower_bound_m;
use rstar::{AABB, PointDistance, RTree, RTreeObject};

/// The extent of the indexed data, kept so the stopping bound stays valid. It only ever grows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DataExtent {
    min_lon: f64,
    max_lon: f64,
    min_lat: f64,
    max_lat: f64,
    max_abs_lat: f64,
}

impl Default for DataExtent {
    fn default() -> Self {
        DataExtent {
            min_lon: f64::INFINITY,
            max_lon: f64::NEG_INFINITY,
            min_lat: f64::INFINITY,
            max_lat: f64::NEG_INFINITY,
            max_abs_lat: 0.0,
        }
    }
}

impl DataExtent {
    /// Widens the extent to include a point.
    pub(crate) fn include(&mut self, lon: f64, lat: f64) {
        self.min_lon = self.min_lon.min(lon);
        self.max_lon = self.max_lon.max(lon);
        self.min_lat = self.min_lat.min(lat);
        self.max_lat = self.max_lat.max(lat);
        self.max_abs_lat = self.max_abs_lat.max(lat.abs());
    }

    /// The lon/lat box of everything included, `(min, max)`; `None` before anything is.
    pub(crate) fn bounds(&self) -> Option<([f64; 2], [f64; 2])> {
        (self.min_lon <= self.max_lon && self.min_lat <= self.max_lat)
            .then_some(([self.min_lon, self.min_lat], [self.max_lon, self.max_lat]))
    }

    /// Whether the square of half-width `w` degrees around `q` contains all the data.
    pub(crate) fn within(&self, q: [f64; 2], w: f64) -> bool {
        q[0] - w <= self.min_lon
            && q[0] + w >= self.max_lon
            && q[1] - w <= self.min_lat
            && q[1] + w >= self.max_lat
    }

    /// Lower bound in metres on the great-circle distance from `q` to any data point outside the square of
    /// half-width `w` degrees around `q` (its planar distance is more than `w`); 0 when pruning is unsafe.
    pub(crate) fn outside_square_bound_m(&self, q: [f64; 2], w: f64) -> f64 {
        self.bound_latitude(q)
            .map_or(0.0, |lat| planar_lower_bound_m(w, lat))
    }

    /// The latitude to use for the bound at query point `q`, or `None` when pruning is unsafe because the
    /// query and the data together span more than 180° of longitude (the bound assumes no antimeridian wrap).
    pub(crate) fn bound_latitude(&self, q: [f64; 2]) -> Option<f64> {
        let span = self.max_lon.max(q[0]) - self.min_lon.min(q[0]);
        (span <= 180.0).then(|| self.max_abs_lat.max(q[1].abs()))
    }
}

/// Candidates of `tree` in planar nearest-first order from `q`, each with a lower bound in metres on the
/// great-circle distance of this and every later candidate. The bound is 0 when pruning is unsafe.
pub(crate) fn planar_order<'a, T>(
    tree: &'a RTree<T>,
    q: [f64; 2],
    extent: DataExtent,
) -> impl Iterator<Item = (&'a T, f64)> + 'a
where
    T: RTreeObject<Envelope = AABB<[f64; 2]>> + PointDistance,
{
    let lat = extent.bound_latitude(q);
    tree.nearest_neighbor_iter_with_distance_2(&q)
        .map(move |(item, d2)| {
            let bound = lat.map_or(0.0, |lat| planar_lower_bound_m(d2.sqrt(), lat));
            (item, bound)
        })
}
