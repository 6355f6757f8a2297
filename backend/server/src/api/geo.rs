//! Geo endpoints: locate a point, nearest units, find a place by name, and map layers (regions, facilities) as
//! GeoJSON. The queries are in [`crate::service::geo`].

use super::error::ApiResult;
use super::extract::{Actor, AppQuery};
use crate::geo::Location;
use crate::service::geo;
use crate::service::geo::{
    LayerQuery, NearestQuery, NearestView, PlaceQuery, PlaceView, PointQuery,
};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use siaga_core::role::Role;

/// The region chain and the responsible OPD per agency type at a point.
#[utoipa::path(get, path = "/api/v1/geo/locate", tag = "geo", security(("bearer" = [])),
    params(PointQuery), responses((status = 200, body = Location), (status = 400, body = super::error::ErrorBody)))]
pub async fn locate(
    State(state): State<AppState>,
    _actor: Actor,
    AppQuery(q): AppQuery<PointQuery>,
) -> ApiResult<Json<Location>> {
    Ok(Json(geo::locate(&state, &q)?))
}

/// Gazetteer: regions (province to village, and villages of the imported gazetteer by name or postal code),
/// health facilities, and the streets and named places (landmarks) of the imported OpenStreetMap extract whose
/// names match `q` — every word of `q` begins a word of the name, case and accents ignored, "Jl."/"Jln" read
/// as "Jalan", "Gg." as "Gang", "Kel."/"Kec." as "Kelurahan"/"Kecamatan"; a street may be named without its
/// "Jalan", and words after the name may name its kelurahan or kecamatan — best first: the exact name, names
/// starting with `q`, names holding its words, then names and context holding them; within each, nearer
/// `lon`/`lat` first (25 km steps), then facilities and landmarks, streets and villages, coarser regions, then
/// the exact distance. A street is one result per kelurahan, pinned at its point nearest `lon`/`lat`.
#[utoipa::path(get, path = "/api/v1/geo/search", tag = "geo", security(("bearer" = [])),
    params(PlaceQuery), responses(
    (status = 200, body = Vec<PlaceView>),
    (status = 400, body = super::error::ErrorBody),
    (status = 403, body = super::error::ErrorBody)))]
pub async fn search_places(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<PlaceQuery>,
) -> ApiResult<Json<Vec<PlaceView>>> {
    actor.require(&[
        Role::CallTaker,
        Role::Dispatcher,
        Role::Supervisor,
        Role::Admin,
    ])?;
    Ok(Json(geo::search_places(&state, &q)?))
}

/// The nearest available units (of a type) of the agencies in the caller's scope, with great-circle distance
/// and ETA.
#[utoipa::path(get, path = "/api/v1/geo/nearest", tag = "geo", security(("bearer" = [])),
    params(NearestQuery), responses((status = 200, body = NearestView), (status = 400, body = super::error::ErrorBody), (status = 403, body = super::error::ErrorBody)))]
pub async fn nearest_units(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<NearestQuery>,
) -> ApiResult<Json<NearestView>> {
    actor.require(&[
        Role::Dispatcher,
        Role::Supervisor,
        Role::Admin,
        Role::CallTaker,
    ])?;
    Ok(Json(geo::nearest_units(&state, &actor, &q).await?))
}

/// Region boundaries of one level as a GeoJSON FeatureCollection (properties `code`, `name`, `level`).
#[utoipa::path(get, path = "/api/v1/geo/regions.geojson", tag = "geo", security(("bearer" = [])),
    params(LayerQuery), responses((status = 200, description = "GeoJSON FeatureCollection")))]
pub async fn regions_geojson(
    State(state): State<AppState>,
    _actor: Actor,
    AppQuery(q): AppQuery<LayerQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(geo::regions_geojson(&state, q).await?))
}

/// Health facilities as a GeoJSON FeatureCollection (properties `id`, `name`, `kind`, `capabilities`).
#[utoipa::path(get, path = "/api/v1/geo/facilities.geojson", tag = "geo", security(("bearer" = [])),
    responses((status = 200, description = "GeoJSON FeatureCollection")))]
pub async fn facilities_geojson(
    State(state): State<AppState>,
    _actor: Actor,
) -> ApiResult<Json<serde_json::Value>> {
    Ok(Json(geo::facilities_geojson(&state).await?))
}

/// Coverage of one unit type: the area reachable within the arrival target from the available units with a
/// fresh fix (road isochrones over the loaded graph, else circles of target × the type's speed), as a GeoJSON
/// FeatureCollection of H3 cells, with the share of the region's area (and estimated population) outside it.
/// Supervisors see every OPD's units, dispatchers their own OPD's.
#[utoipa::path(get, path = "/api/v1/coverage", tag = "geo", security(("bearer" = [])),
    params(crate::service::coverage::CoverageQuery), responses(
    (status = 200, body = crate::service::coverage::CoverageView),
    (status = 400, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody),
    (status = 403, body = super::error::ErrorBody)))]
pub async fn coverage(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<crate::service::coverage::CoverageQuery>,
) -> ApiResult<Json<crate::service::coverage::CoverageView>> {
    actor.require(&[Role::Supervisor, Role::Dispatcher])?;
    let view = crate::service::coverage::coverage(&state, &actor, &q).await?;
    Ok(Json(std::sync::Arc::unwrap_or_clone(view)))
}
