//! Geo queries: locate a point, nearest units, find a place by name, and the map layers (regions,
//! facilities) as GeoJSON. Everything here reads the in-memory geo index or the store; nothing is written.
//!
//! Points arrive as longitude and latitude in degrees and become a `Position` here, so an out-of-range point
//! is refused with the field that is wrong.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::geo::Location;
use crate::state::AppState;
use crate::views::LonLat;
use serde::{Deserialize, Serialize};
use siaga_core::incident::{Category, VictimCondition, Victims};
use siaga_core::time::Timestamp;
use siaga_core::unit::UnitType;
use siaga_spatial::Position;
use siaga_spatial::gazetteer::PlaceKind;
use siaga_spatial::units::UnitFilter;
use std::collections::BTreeSet;

/// A point.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PointQuery {
    pub lat: f64,
    pub lon: f64,
    /// With it, the answer names the OPDs an incident of this category filed here goes to (`receiving`).
    pub category: Option<Category>,
    /// The number of victims for `receiving` (some categories add health when anyone is hurt); default 0.
    pub victims: Option<u32>,
}

/// Query of [`nearest_units`].
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NearestQuery {
    pub lat: f64,
    pub lon: f64,
    pub unit_type: Option<UnitType>,
    /// How many (default 5, at most 50).
    pub k: Option<usize>,
}

/// A unit near a point.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NearestUnitView {
    pub unit_id: String,
    pub agency_id: String,
    pub unit_type: String,
    pub distance_m: f64,
    pub eta_s: f64,
}

/// An excluded unit near a point.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ExcludedUnitView {
    pub unit_id: String,
    pub distance_m: f64,
    #[schema(value_type = Object)]
    pub reason: serde_json::Value,
}

/// Nearest units and why closer ones were skipped.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NearestView {
    pub units: Vec<NearestUnitView>,
    pub excluded: Vec<ExcludedUnitView>,
}

/// Query of [`search_places`].
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlaceQuery {
    /// What the caller said: a region, facility, street or landmark name, or the start of its words ("Jl." for
    /// "Jalan", "Gg." for "Gang" and other usual abbreviations are understood; 2 to 100 characters).
    pub q: String,
    /// How many (default 8, at most 20).
    pub limit: Option<usize>,
    /// Rank places near this point first (e.g. the map's centre or the caller's AML fix), and pin a street at
    /// its point nearest to it; with `lat`.
    pub lon: Option<f64>,
    /// See `lon`.
    pub lat: Option<f64>,
}

/// A place found by name.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PlaceView {
    /// `region`, `facility`, `street` (an OpenStreetMap street in one kelurahan) or `poi` (a named
    /// OpenStreetMap place: a landmark, shop, office, named building, …).
    pub kind: String,
    /// The region code, facility id, or OSM id (`w…` for a street, `n…`/`w…`/`r…` for a place).
    pub id: String,
    pub name: String,
    /// The region's level (`province` … `village`), the facility's kind (`hospital`, `puskesmas`, …), the
    /// street's road class (`primary`, `residential`, …) or the place's OSM tag (`amenity=place_of_worship`).
    pub detail: String,
    /// Where it lies: for a region or facility coarse to fine (e.g. `Kepulauan Riau › Kota Batam`), for a
    /// street or place its kelurahan and kecamatan (e.g. `Kel. Kelapa Gading Timur, Kec. Kelapa Gading`).
    pub context: String,
    /// Where to put the pin: a point inside the region, the facility or place, or the point of the street
    /// nearest `lon`/`lat` (without them a point on the street near its middle).
    pub position: LonLat,
    /// A village's postal code (gazetteer), which the search matches too.
    pub postal_code: Option<String>,
}

/// Query of [`regions_geojson`].
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LayerQuery {
    /// `province`, `regency`, `district` or `village` (default `district`).
    pub level: Option<String>,
}

/// The position at `lon`/`lat`; 400 naming the coordinate that is out of range.
fn position(lon: f64, lat: f64) -> ApiResult<Position> {
    Position::from_lon_lat(lon, lat).map_err(|e| {
        let field = if lon.is_finite() && (-180.0..=180.0).contains(&lon) {
            "lat"
        } else {
            "lon"
        };
        ApiError::new(ErrorCode::BadRequest, e.to_string()).with_field(field)
    })
}

/// The region chain and the responsible OPD per agency type at a point.
pub fn locate(state: &AppState, q: &PointQuery) -> ApiResult<Location> {
    let mut location = state.geo.locate(position(q.lon, q.lat)?);
    if let Some(category) = q.category {
        let victims = Victims {
            count: q.victims.unwrap_or(0),
            condition: VictimCondition::Unknown,
        };
        location.receiving = Some(location.receiving_agencies(category, victims));
    }
    Ok(location)
}

/// Places whose names (or postal codes) match `q.q`, best first; see the `/geo/search` operation.
pub fn search_places(state: &AppState, q: &PlaceQuery) -> ApiResult<Vec<PlaceView>> {
    let query = q.q.trim();
    let chars = query.chars().count();
    if !(2..=100).contains(&chars) {
        return Err(
            ApiError::new(ErrorCode::BadRequest, "q must be 2 to 100 characters").with_field("q"),
        );
    }
    let limit = q.limit.unwrap_or(8);
    if !(1..=20).contains(&limit) {
        return Err(
            ApiError::new(ErrorCode::BadRequest, "limit must be 1 to 20").with_field("limit"),
        );
    }
    let near = match (q.lon, q.lat) {
        (Some(lon), Some(lat)) => Some(position(lon, lat)?),
        (None, None) => None,
        (Some(_), None) => {
            return Err(
                ApiError::new(ErrorCode::BadRequest, "lat is needed with lon").with_field("lat"),
            );
        }
        (None, Some(_)) => {
            return Err(
                ApiError::new(ErrorCode::BadRequest, "lon is needed with lat").with_field("lon"),
            );
        }
    };
    let found = state.geo.search_places(query, limit, near);
    Ok(found
        .into_iter()
        .map(|p| {
            let (kind, detail) = match p.kind {
                PlaceKind::Region { level } => ("region", level),
                PlaceKind::Facility { kind } => ("facility", kind),
                PlaceKind::Street { highway } => ("street", highway),
                PlaceKind::Poi { kind } => ("poi", kind),
            };
            PlaceView {
                kind: kind.to_owned(),
                id: p.id,
                name: p.name,
                detail,
                context: p.context,
                position: LonLat {
                    lon: p.position.lon(),
                    lat: p.position.lat(),
                },
                postal_code: p.postal_code,
            }
        })
        .collect())
}

/// The agencies whose units the actor may see (`siaga_core::scope::Scope::covers_agency`): its own for a
/// dispatcher or responder, those based in its region for a region-scoped desk, every one (`None`) otherwise.
async fn visible_agencies(state: &AppState, actor: &Actor) -> ApiResult<Option<BTreeSet<String>>> {
    let scope = actor.scope();
    if let Some(own) = scope.agency() {
        return Ok(Some([own.to_owned()].into()));
    }
    if scope.region().is_none() {
        return Ok(None);
    }
    Ok(Some(
        state
            .store
            .list_agencies()
            .await?
            .into_iter()
            .filter(|a| scope.covers_agency(&a.id, &a.region_code))
            .map(|a| a.id)
            .collect(),
    ))
}

/// The nearest available units (of a type) the actor may dispatch or see, with distance and ETA, and the
/// nearer units left out and why: only units of agencies in the actor's scope, excluded ones included.
pub async fn nearest_units(
    state: &AppState,
    actor: &Actor,
    q: &NearestQuery,
) -> ApiResult<NearestView> {
    let p = position(q.lon, q.lat)?;
    let agencies = visible_agencies(state, actor).await?;
    let filter = UnitFilter {
        unit_type: q.unit_type,
        agency_ids: agencies,
    };
    let found = state.geo.nearest_units(
        p,
        q.k.unwrap_or(5).clamp(1, 50),
        filter,
        Timestamp(state.now_ms()),
    );
    Ok(NearestView {
        units: found
            .candidates
            .into_iter()
            .map(|c| NearestUnitView {
                unit_id: c.unit_id,
                agency_id: c.agency_id,
                unit_type: c.unit_type.as_str().to_owned(),
                distance_m: c.distance_m,
                eta_s: c.eta_s,
            })
            .collect(),
        excluded: found
            .excluded
            .into_iter()
            .map(|e| ExcludedUnitView {
                unit_id: e.unit_id,
                distance_m: e.distance_m,
                reason: serde_json::to_value(e.reason).unwrap_or_default(),
            })
            .collect(),
    })
}

/// Region boundaries of one level (default `district`) as a GeoJSON FeatureCollection; a region whose
/// stored geometry is missing or unreadable is left out.
pub async fn regions_geojson(state: &AppState, q: LayerQuery) -> ApiResult<serde_json::Value> {
    let level = q.level.unwrap_or_else(|| "district".to_owned());
    let rows = state.store.region_geometries(Some(&level)).await?;
    let features: Vec<serde_json::Value> = rows
        .into_iter()
        .filter_map(|r| {
            let geometry: serde_json::Value = serde_json::from_str(r.geometry.as_deref()?).ok()?;
            Some(serde_json::json!({
                "type": "Feature", "id": r.code,
                "properties": {"code": r.code, "name": r.name, "level": r.level},
                "geometry": geometry,
            }))
        })
        .collect();
    Ok(serde_json::json!({"type": "FeatureCollection", "features": features}))
}

/// Health facilities as a GeoJSON FeatureCollection of points.
pub async fn facilities_geojson(state: &AppState) -> ApiResult<serde_json::Value> {
    let features: Vec<serde_json::Value> = state
        .store
        .list_facilities()
        .await?
        .into_iter()
        .map(|f| {
            serde_json::json!({
                "type": "Feature", "id": f.id,
                "properties": {"id": f.id, "name": f.name, "kind": f.kind, "capabilities": f.capabilities,
                               "address": f.address},
                "geometry": {"type": "Point", "coordinates": [f.lon, f.lat]},
            })
        })
        .collect();
    Ok(serde_json::json!({"type": "FeatureCollection", "features": features}))
}
