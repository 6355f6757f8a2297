//! The conversions between coordinate conventions, for the one [`Position`] type of `siaga-core`.
//!
//! Three conventions meet in this crate and they disagree on order:
//!
//! | where                      | order                         |
//! |----------------------------|-------------------------------|
//! | GeoJSON `[x, y]`           | longitude, latitude           |
//! | `geo::Point::new(x, y)`    | longitude, latitude           |
//! | `h3o::LatLng::new(a, b)`   | **latitude**, longitude       |
//!
//! Architecture Invariant: this is the only module that calls `h3o::LatLng::new` or reads a GeoJSON position
//! array. Everything else passes a [`Position`], whose fields are named. [`Position`], [`InvalidPosition`],
//! [`EARTH_RADIUS_M`] and the one distance function [`haversine_m`] are `siaga_core::position`'s, re-exported
//! here so that the geo index and its callers name one type.
//!
//! A swapped Indonesian coordinate fails loudly: Jakarta is `lon 106.8, lat −6.2`, and a latitude of 106.8 is
//! rejected by [`Position::from_lon_lat`].

pub use siaga_core::position::{EARTH_RADIUS_M, InvalidPosition, Position, haversine_m};

/// The conversions of a [`Position`] into the conventions of the geo libraries and of GeoJSON.
///
/// [`Position`] belongs to `siaga-core`, which knows no geo library; these methods are its conversions, kept in
/// this one module. Bring the trait into scope to call them (`use siaga_spatial::PositionExt;`).
///
/// ```
/// use siaga_spatial::{Position, PositionExt};
/// let monas = Position::from_lon_lat(106.8271, -6.1754)?;
/// assert_eq!(monas.to_lat_lng().lat(), -6.1754);
/// assert_eq!(monas.to_point().x(), 106.8271);
/// # Ok::<(), siaga_spatial::InvalidPosition>(())
/// ```
pub trait PositionExt {
    /// The GeoJSON position `[lon, lat]`.
    fn to_geojson(self) -> Vec<f64>;
    /// As a `geo` coordinate (`x` = longitude, `y` = latitude).
    fn to_coord(self) -> geo::Coord<f64>;
    /// As a `geo::Point` (`x` = longitude, `y` = latitude).
    fn to_point(self) -> geo::Point<f64>;
    /// As an `h3o::LatLng`. The argument order of `LatLng::new` is latitude first; this is the one place that
    /// calls it.
    fn to_lat_lng(self) -> h3o::LatLng;
}

impl PositionExt for Position {
    fn to_geojson(self) -> Vec<f64> {
        vec![self.lon(), self.lat()]
    }

    fn to_coord(self) -> geo::Coord<f64> {
        geo::Coord {
            x: self.lon(),
            y: self.lat(),
        }
    }

    fn to_point(self) -> geo::Point<f64> {
        geo::Point(self.to_coord())
    }

    fn to_lat_lng(self) -> h3o::LatLng {
        // LatLng::new rejects only non-finite values, and a Position is finite by construction.
        h3o::LatLng::new(self.lat(), self.lon()).expect("a Position is finite by construction")
    }
}

/// Reads a GeoJSON position `[lon, lat]` (extra elements such as altitude are ignored).
///
/// # Errors
///
/// [`InvalidPosition`] when a value is not finite or out of range, or missing: an empty array lacks the
/// longitude, a one-element array the latitude.
pub fn from_geojson(position: &[f64]) -> Result<Position, InvalidPosition> {
    match position {
        [lon, lat, ..] => Position::from_lon_lat(*lon, *lat),
        [] => Err(InvalidPosition::Longitude),
        [_] => Err(InvalidPosition::Latitude),
    }
}

/// The position as `[lon, lat]` for the planar R-trees of this crate.
pub(crate) fn xy(p: Position) -> [f64; 2] {
    [p.lon(), p.lat()]
}

/// A lower bound, in metres, on the great-circle distance between two points whose planar lon/lat distance
/// is at least `planar_deg` degrees, when both lie at |latitude| ≤ `max_abs_lat` degrees and their longitudes
/// differ by at most 180° (no wrap across the antimeridian; callers check this and skip pruning otherwise).
///
/// The bound is `2R·asin(c·sin(min(D, π)/2))` with `c = cos(max_abs_lat)` and D the planar distance in radians.
/// It is non-decreasing in D, so it holds for every later candidate of a nearest-first planar scan.
///
/// Proof sketch. The haversine value is h = sin²(Δφ/2) + cos φ₁ cos φ₂ sin²(Δλ/2) ≥ c²·(sin²a + sin²b) with
/// a = |Δφ|/2 and b = |Δλ|/2, both in [0, π/2]. Along a² + b² = (D/2)², the function u ↦ sin²(√u) is concave on
/// [0, π²/4] (its derivative sin(2√u)/(2√u) decreases), so sin²a + sin²b is smallest at an end of the feasible
/// range: sin²(D/2) when D ≤ π, and at least 1 beyond. Hence h ≥ c²·sin²(min(D, π)/2) and d = 2R·asin √h is at
/// least the bound. The result is shrunk by a relative 1e-9 and 1 µm to absorb rounding, so it only errs low.
/// A low bound costs time, never correctness.
pub fn planar_lower_bound_m(planar_deg: f64, max_abs_lat: f64) -> f64 {
    let d = planar_deg.to_radians();
    if !(d.is_finite() && d > 0.0) {
        return 0.0;
    }
    let c = max_abs_lat.abs().min(90.0).to_radians().cos();
    let bound = EARTH_RADIUS_M
        * 2.0
        * (c * (d.min(std::f64::consts::PI) / 2.0).sin())
            .min(1.0)
            .asin();
    (bound * (1.0 - 1e-9) - 1e-6).max(0.0)
}

/// The planar reach of a distance bound: a distance in degrees beyond which every planar lon/lat distance has
/// [`planar_lower_bound_m`] above `m` (for the same `max_abs_lat`). A branch-and-bound search that has found a
/// candidate `m` metres away can skip everything farther than this, comparing squared planar distances only.
///
/// The inverse of the bound's formula, taken at the largest `m` its rounding allowance lets through, and then
/// widened by a relative 1e-9: it only errs high (skipping less), never low. Infinite when no planar distance
/// is far enough (the bound never exceeds `m`).
pub fn planar_reach_deg(m: f64, max_abs_lat: f64) -> f64 {
    if !m.is_finite() {
        return f64::INFINITY;
    }
    let c = max_abs_lat.abs().min(90.0).to_radians().cos();
    // planar_lower_bound_m(D) ≤ m  ⟺  2R·asin(c·sin(D/2)) ≤ (m + 1e-6) / (1 − 1e-9).
    let half_angle = (m.max(0.0) + 1e-6) / (1.0 - 1e-9) / EARTH_RADIUS_M / 2.0;
    if half_angle >= std::f64::consts::FRAC_PI_2 || c <= 0.0 {
        return f64::INFINITY;
    }
    let ratio = half_angle.sin() / c;
    if ratio >= 1.0 {
        return f64::INFINITY;
    }
    (2.0 * ratio.asin()).to_degrees() * (1.0 + 1e-9) + 1e-12
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Distance;

    #[test]
    fn the_planar_reach_inverts_the_lower_bound_and_only_errs_high() {
        for lat in [0.0, 6.0, 11.0, 45.0, 80.0] {
            for d in [1e-7, 1e-4, 0.01, 0.3, 1.0, 3.0, 10.0, 45.0, 90.0, 170.0] {
                let m = planar_lower_bound_m(d, lat);
                let reach = planar_reach_deg(m, lat);
                // Every distance whose bound is within m lies within the reach...
                assert!(reach >= d, "lat {lat} d {d}: reach {reach}");
                // ...and the reach is tight: a little farther, the bound exceeds m.
                let beyond = reach * 1.000_01 + 1e-9;
                if beyond < 180.0 {
                    assert!(
                        planar_lower_bound_m(beyond, lat) > m,
                        "lat {lat} d {d}: loose reach {reach}"
                    );
                }
            }
        }
        assert_eq!(planar_reach_deg(f64::INFINITY, 6.0), f64::INFINITY);
        assert_eq!(
            planar_reach_deg(3.0e7, 6.0),
            f64::INFINITY,
            "half the earth away: no distance is beyond"
        );
        assert!(
            planar_reach_deg(0.0, 6.0) > 0.0,
            "the rounding allowance reaches past zero"
        );
    }

    #[test]
    fn swapped_jakarta_coordinates_are_rejected() {
        assert!(Position::from_lon_lat(106.8, -6.2).is_ok());
        assert_eq!(
            Position::from_lon_lat(-6.2, 106.8),
            Err(InvalidPosition::Latitude)
        );
        assert_eq!(
            Position::from_lon_lat(f64::NAN, 1.0),
            Err(InvalidPosition::Longitude)
        );
        assert_eq!(
            Position::from_lon_lat(180.5, 0.0),
            Err(InvalidPosition::Longitude)
        );
        assert_eq!(from_geojson(&[106.8]), Err(InvalidPosition::Latitude));
        assert_eq!(from_geojson(&[]), Err(InvalidPosition::Longitude));
        assert_eq!(
            from_geojson(&[106.8, -6.2, 12.0]).map(PositionExt::to_geojson),
            Ok(vec![106.8, -6.2])
        );
    }

    #[test]
    fn h3_gets_latitude_first() {
        let p = Position::from_lon_lat(106.8271, -6.1754).unwrap();
        let ll = p.to_lat_lng();
        assert!((ll.lat() - -6.1754).abs() < 1e-12);
        assert!((ll.lng() - 106.8271).abs() < 1e-12);
        let pt = p.to_point();
        assert_eq!((pt.x(), pt.y()), (106.8271, -6.1754));
    }

    #[test]
    fn position_deserialises_with_validation() {
        let ok: Position = serde_json::from_str(r#"{"lon":106.8,"lat":-6.2}"#).unwrap();
        assert_eq!(ok.lat(), -6.2);
        assert!(serde_json::from_str::<Position>(r#"{"lon":-6.2,"lat":106.8}"#).is_err());
    }

    #[test]
    fn haversine_matches_geo() {
        let pairs = [
            ((106.8271, -6.1754), (107.6187, -6.9025)),
            ((104.0537, 1.25), (104.0537, 1.2501)),
            ((95.0, 6.0), (141.0, -11.0)),
            ((0.0, 0.0), (0.0, 0.0)),
        ];
        for ((a, b), (c, d)) in pairs {
            let ours = haversine_m(a, b, c, d);
            let theirs = geo::Haversine.distance(geo::Point::new(a, b), geo::Point::new(c, d));
            assert!(
                (ours - theirs).abs() <= 1e-9 * theirs.max(1.0),
                "{ours} vs {theirs}"
            );
        }
        // Antipodal points give half the circumference, not NaN.
        let half = haversine_m(0.0, 0.0, 180.0, 0.0);
        assert!((half - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1e-3);
    }

    #[test]
    fn lower_bound_never_exceeds_true_distance() {
        // Deterministic sweep over offsets and latitudes, including large and antimeridian-sized offsets.
        let mut tightest: f64 = 0.0;
        for lat_i in -89..=89 {
            let lat = f64::from(lat_i);
            for step in 0..200 {
                let s = f64::from(step);
                let dlat = (s * 0.37).sin() * (s * 0.05).powi(2);
                let dlon = (s * 0.53).cos() * (s * 0.9).min(180.0);
                let lat2 = (lat + dlat).clamp(-90.0, 90.0);
                let lon2 = 100.0 + dlon;
                let true_m = haversine_m(100.0, lat, lon2, lat2);
                let planar = ((lon2 - 100.0).powi(2) + (lat2 - lat).powi(2)).sqrt();
                let max_lat = lat.abs().max(lat2.abs());
                let bound = planar_lower_bound_m(planar, max_lat);
                assert!(
                    bound <= true_m,
                    "lat {lat} dlon {dlon} dlat {dlat}: {bound} > {true_m}"
                );
                if true_m > 0.0 {
                    tightest = tightest.max(bound / true_m);
                }
            }
        }
        // The bound is also useful: near the equator it is within a few percent of the truth.
        assert!(tightest > 0.99, "bound too loose: {tightest}");
        assert!(planar_lower_bound_m(f64::NAN, 0.0) == 0.0);
    }
}
