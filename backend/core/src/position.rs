//! A point on the earth, with named longitude and latitude, and the great-circle distance between two points.
//!
//! This is the one position type of Siaga: the server, the geo index (`siaga-spatial` re-exports it) and the
//! domain rules all pass a [`Position`], and [`haversine_m`] is the one distance function, on the one earth
//! radius [`EARTH_RADIUS_M`].
//!
//! `Position` is validated on construction (finite, latitude in [-90, 90], longitude in [-180, 180]), so code
//! holding one never re-checks. There is deliberately no `new(a, b)`: the constructor is
//! [`Position::from_lon_lat`], named in GeoJSON order, because a swapped pair is the classic geo bug.
//!
//! Architecture Invariant: conversions to other libraries' conventions (`geo::Point`, `h3o::LatLng`, GeoJSON
//! `[lon, lat]`) live only in `siaga_spatial::convert`; this crate depends on no geo library.

use crate::error::ErrorCode;
use serde::{Deserialize, Serialize};

/// Mean earth radius in metres used by every distance in Siaga: the IUGG mean radius R₁ = 6 371 008.8 m (the
/// GRS80 value, and the one `geo::Haversine` uses).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A validated WGS 84 position in decimal degrees: longitude in [-180, 180], latitude in [-90, 90], both finite.
///
/// Once built, a `Position` is valid forever, so functions that take one cannot fail on coordinates. It
/// (de)serialises as `{ "lon": …, "lat": … }`, and deserialising validates.
///
/// ```
/// use siaga_core::position::{InvalidPosition, Position};
/// let monas = Position::from_lon_lat(106.8271, -6.1754)?;
/// assert_eq!(monas.lon(), 106.8271);
/// // Latitude first by mistake: 106.8 is not a latitude.
/// assert_eq!(Position::from_lon_lat(-6.1754, 106.8271), Err(InvalidPosition::Latitude));
/// # Ok::<(), InvalidPosition>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
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

/// A longitude/latitude pair that is not a position: NaN, infinite or out of range. The variant names the
/// coordinate at fault, so a caller can name the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidPosition {
    /// Longitude not finite or outside [-180, 180].
    #[error("longitude must be a finite number in [-180, 180]")]
    Longitude,
    /// Latitude not finite or outside [-90, 90]. A value such as 106.8 usually means lon and lat were swapped.
    #[error("latitude must be a finite number in [-90, 90]")]
    Latitude,
}

impl InvalidPosition {
    /// Always [`ErrorCode::ValidationFailed`]: a refused value.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::ValidationFailed
    }
}

impl Position {
    /// The position at longitude `lon` and latitude `lat` (degrees; **longitude first**, GeoJSON order).
    ///
    /// Both bounds are inclusive. `-0.0` is accepted and kept.
    ///
    /// # Errors
    ///
    /// [`InvalidPosition::Longitude`] when the longitude is not finite or out of range (checked first), else
    /// [`InvalidPosition::Latitude`] when the latitude is.
    pub fn from_lon_lat(lon: f64, lat: f64) -> Result<Position, InvalidPosition> {
        if !(lon.is_finite() && (-180.0..=180.0).contains(&lon)) {
            return Err(InvalidPosition::Longitude);
        }
        if !(lat.is_finite() && (-90.0..=90.0).contains(&lat)) {
            return Err(InvalidPosition::Latitude);
        }
        Ok(Position { lon, lat })
    }

    /// Longitude in degrees, in [-180, 180].
    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Latitude in degrees, in [-90, 90].
    pub fn lat(self) -> f64 {
        self.lat
    }

    /// Great-circle distance to `other` in metres: [`haversine_m`] between the two positions.
    pub fn haversine_m(self, other: Position) -> f64 {
        haversine_m(self.lon, self.lat, other.lon, other.lat)
    }
}

/// Great-circle distance in metres between two lon/lat points in degrees, on a sphere of radius
/// [`EARTH_RADIUS_M`]: the one distance function of Siaga.
///
/// This is the haversine formula exactly as `geo::Haversine` computes it, with the intermediate value clamped to
/// [0, 1] so that rounding near antipodal points gives π·R instead of NaN: the result is in [0, π·R] and never
/// NaN for finite input. It takes bare degrees (not [`Position`]s) for the geo index, whose R-trees store valid positions as
/// `[lon, lat]` and measure millions of them. The spherical model errs by up to about 0.5 % against the WGS 84
/// ellipsoid, far below the uncertainty of a caller's reported position.
pub fn haversine_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let phi1 = lat1.to_radians();
    let phi2 = lat2.to_radians();
    let d_phi = (lat2 - lat1).to_radians();
    let d_lambda = (lon2 - lon1).to_radians();
    let a = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
    EARTH_RADIUS_M * 2.0 * a.clamp(0.0, 1.0).sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(lon: f64, lat: f64) -> Position {
        Position::from_lon_lat(lon, lat).unwrap()
    }

    #[test]
    fn swapped_indonesian_coordinates_are_rejected() {
        // Monas, Jakarta: lon 106.8271, lat -6.1754. Swapped, the latitude would be 106.8.
        assert!(Position::from_lon_lat(106.8271, -6.1754).is_ok());
        assert_eq!(
            Position::from_lon_lat(-6.1754, 106.8271),
            Err(InvalidPosition::Latitude)
        );
        assert_eq!(
            Position::from_lon_lat(f64::NAN, 0.0),
            Err(InvalidPosition::Longitude)
        );
        assert_eq!(
            Position::from_lon_lat(180.000_001, 0.0),
            Err(InvalidPosition::Longitude)
        );
        assert_eq!(
            Position::from_lon_lat(0.0, f64::INFINITY),
            Err(InvalidPosition::Latitude)
        );
    }

    #[test]
    fn haversine_matches_known_distances() {
        // One degree of arc on the mean sphere: R·π/180 = 111 195.08 m.
        let one_deg = p(0.0, 0.0).haversine_m(p(1.0, 0.0));
        assert!((one_deg - 111_195.08).abs() < 0.01, "{one_deg}");
        // Monas to Bundaran HI, about 2.1 km by great circle.
        let d = p(106.8271, -6.1754).haversine_m(p(106.8230, -6.1949));
        assert!((2_150.0..2_250.0).contains(&d), "{d}");
        let antipode = p(0.0, 0.0).haversine_m(p(180.0, 0.0));
        assert!((antipode - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1e-6);
    }

    #[test]
    fn serde_uses_named_fields_and_validates() {
        let json = serde_json::to_string(&p(106.8, -6.2)).unwrap();
        assert_eq!(json, r#"{"lon":106.8,"lat":-6.2}"#);
        assert_eq!(
            serde_json::from_str::<Position>(&json).unwrap(),
            p(106.8, -6.2)
        );
        assert!(serde_json::from_str::<Position>(r#"{"lon":-6.2,"lat":106.8}"#).is_err());
    }

    proptest! {
        #[test]
        fn haversine_is_symmetric_and_bounded(
            a in (-180.0..=180.0f64, -90.0..=90.0f64), b in (-180.0..=180.0f64, -90.0..=90.0f64),
        ) {
            let (a, b) = (p(a.0, a.1), p(b.0, b.1));
            let d = a.haversine_m(b);
            prop_assert!((0.0..=std::f64::consts::PI * EARTH_RADIUS_M + 1e-6).contains(&d));
            prop_assert!((d - b.haversine_m(a)).abs() < 1e-6);
            prop_assert_eq!(a.haversine_m(a), 0.0);
        }
    }
}
