//! Positions and the conversions between coordinate conventions.
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
//! array. Everything else passes a [`Position`], whose fields are named.
//!
//! A swapped Indonesian coordinate fails loudly: Jakarta is `lon 106.8, lat −6.2`, and a latitude of 106.8 is
//! rejected by [`Position::from_lon_lat`].

use serde::{Deserialize, Serialize};

/// Mean earth radius in metres used for every distance in this crate: the GRS80 mean radius R₁, the same value
/// as `geo::Haversine`.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A validated WGS84 position: longitude in −180..=180 degrees, latitude in −90..=90 degrees, both finite.
///
/// Once built, a `Position` is valid forever, so index methods that take one cannot fail on coordinates.
///
/// ```
/// use siaga_spatial::Position;
/// let monas = Position::from_lon_lat(106.8271, -6.1754)?;
/// assert_eq!(monas.lon(), 106.8271);
/// // Latitude first by mistake: 106.8 is not a latitude.
/// assert!(Position::from_lon_lat(-6.1754, 106.8271).is_err());
/// # Ok::<(), siaga_spatial::InvalidPosition>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawPosition")]
pub struct Position {
    lon: f64,
    lat: f64,
}

/// The unvalidated wire shape `{ "lon": …, "lat": … }`.
#[derive(Deserialize)]
struct RawPosition {
    lon: f64,
    lat: f64,
}

impl TryFrom<RawPosition> for Position {
    type Error = InvalidPosition;
    fn try_from(raw: RawPosition) -> Result<Self, Self::Error> {
        Position::from_lon_lat(raw.lon, raw.lat)
    }
}

/// Why a longitude/latitude pair is not a [`Position`].
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum InvalidPosition {
    /// One of the values is NaN or infinite.
    #[error("coordinates must be finite numbers (lon {lon}, lat {lat})")]
    NotFinite {
        /// The longitude given, degrees.
        lon: f64,
        /// The latitude given, degrees.
        lat: f64,
    },
    /// The longitude is outside −180..=180 degrees.
    #[error("longitude {0} is outside -180..180")]
    LongitudeOutOfRange(f64),
    /// The latitude is outside −90..=90 degrees. A value like 106.8 usually means lon and lat were swapped.
    #[error("latitude {0} is outside -90..90 (are lon and lat swapped?)")]
    LatitudeOutOfRange(f64),
}

impl InvalidPosition {
    /// The stable snake_case error code (the vocabulary the API layer maps to a status).
    pub fn code(&self) -> &'static str {
        "invalid_position"
    }
}

impl Position {
    /// Validates and builds a position from longitude and latitude in degrees, **longitude first** (GeoJSON order).
    ///
    /// # Errors
    ///
    /// [`InvalidPosition`] when a value is not finite or out of range.
    pub fn from_lon_lat(lon: f64, lat: f64) -> Result<Position, InvalidPosition> {
        if !lon.is_finite() || !lat.is_finite() {
            return Err(InvalidPosition::NotFinite { lon, lat });
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(InvalidPosition::LongitudeOutOfRange(lon));
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(InvalidPosition::LatitudeOutOfRange(lat));
        }
        Ok(Position { lon, lat })
    }

    /// Reads a GeoJSON position `[lon, lat]` (extra elements such as altitude are ignored).
    ///
    /// # Errors
    ///
    /// [`InvalidPosition`] when fewer than two numbers are given or the values are invalid.
    pub fn from_geojson(position: &[f64]) -> Result<Position, InvalidPosition> {
        match position {
            [lon, lat, ..] => Position::from_lon_lat(*lon, *lat),
            _ => Err(InvalidPosition::NotFinite {
                lon: f64::NAN,
                lat: f64::NAN,
            }),
        }
    }

    /// Longitude in degrees (−180..=180).
    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Latitude in degrees (−90..=90).
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// The GeoJSON position `[lon, lat]`.
    pub fn to_geojson(self) -> Vec<f64> {
        vec![self.lon, self.lat]
    }

    /// As a `geo` coordinate (`x` = longitude, `y` = latitude).
    pub fn to_coord(self) -> geo::Coord<f64> {
        geo::Coord {
            x: self.lon,
            y: self.lat,
        }
    }

    /// As a `geo::Point` (`x` = longitude, `y` = latitude).
    pub fn to_point(self) -> geo::Point<f64> {
        geo::Point(self.to_coord())
    }

    /// As an `h3o::LatLng`. The argument order of `LatLng::new` is latitude first; this is the one place that
    /// calls it.
    pub fn to_lat_lng(self) -> h3o::LatLng {
        // LatLng::new rejects only non-finite values, and a Position is finite by construction.
        h3o::LatLng::new(self.lat, self.lon).expect("a Position is finite by construction")
    }

    /// Great-circle distance to `other` in metres (haversine formula, radius [`EARTH_RADIUS_M`]).
    pub fn distance_m(self, other: Position) -> f64 {
        haversine_m(self.lon, self.lat, other.lon, other.lat)
    }

    /// The position as `[lon, lat]` for the planar R-trees of this crate.
    pub(crate) fn xy(self) -> [f64; 2] {
        [self.lon, self.lat]
    }
}

/// Great-circle distance in metres between two lon/lat points in degrees.
///
/// This is the haversine formula exactly as `geo::Haversine.distance` computes it, with the intermediate value
/// clamped to 1 so nearly antipodal points give π·R instead of NaN.
pub fn haversine_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let phi1 = lat1.to_radians();
    let phi2 = lat2.to_radians();
    let d_phi = (lat2 - lat1).to_radians();
    let d_lambda = (lon2 - lon1).to_radians();
    let a = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
    EARTH_RADIUS_M * 2.0 * a.min(1.0).sqrt().asin()
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

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Distance;

    #[test]
    fn swapped_jakarta_coordinates_are_rejected() {
        assert!(Position::from_lon_lat(106.8, -6.2).is_ok());
        assert_eq!(
            Position::from_lon_lat(-6.2, 106.8),
            Err(InvalidPosition::LatitudeOutOfRange(106.8))
        );
        assert!(matches!(
            Position::from_lon_lat(f64::NAN, 1.0),
            Err(InvalidPosition::NotFinite { .. })
        ));
        assert_eq!(
            Position::from_lon_lat(180.5, 0.0),
            Err(InvalidPosition::LongitudeOutOfRange(180.5))
        );
        assert!(Position::from_geojson(&[106.8]).is_err());
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
