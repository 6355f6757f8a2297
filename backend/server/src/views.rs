//! The shapes the API shows of the domain, shared by the services that build them, the handlers that send
//! them and the events that carry them: one definition each, so a unit on `GET /units` and in a
//! `unit.created` event cannot drift apart.
//!
//! A position on the wire is [`LonLat`] (longitude first, as in GeoJSON); it becomes a domain position only
//! through [`validate_lon_lat`].

use crate::error::{ApiError, ApiResult};
use crate::store::UnitRow;
use serde::{Deserialize, Serialize};

/// A position on the wire.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema, Clone, Copy, PartialEq)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

/// A unit (vehicle or team).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnitView {
    pub id: String,
    pub agency_id: String,
    pub call_sign: String,
    pub unit_type: String,
    pub status: String,
    pub position: Option<LonLat>,
    /// When the last position fix was taken (ms since the epoch).
    pub position_at: Option<i64>,
}

impl From<UnitRow> for UnitView {
    fn from(u: UnitRow) -> Self {
        let position = match (u.lon, u.lat) {
            (Some(lon), Some(lat)) => Some(LonLat { lon, lat }),
            _ => None,
        };
        UnitView {
            id: u.id,
            agency_id: u.agency_id,
            call_sign: u.call_sign,
            unit_type: u.unit_type,
            status: u.status,
            position,
            position_at: u.position_at,
        }
    }
}

/// 422 unless the position is a real WGS84 coordinate.
pub fn validate_lon_lat(p: LonLat, field: &str) -> ApiResult<()> {
    if !p.lon.is_finite() || !(-180.0..=180.0).contains(&p.lon) {
        return Err(ApiError::validation(
            format!("{field}.lon"),
            "lon must be between -180 and 180",
        ));
    }
    if !p.lat.is_finite() || !(-90.0..=90.0).contains(&p.lat) {
        return Err(ApiError::validation(
            format!("{field}.lat"),
            "lat must be between -90 and 90",
        ));
    }
    Ok(())
}
