//! Agencies (OPD), their units, and the regions they serve, over HTTP. The workflows are
//! `service::agencies` and `service::units`.

use super::error::ApiResult;
use super::extract::{Actor, AppJson, AppQuery};
pub use crate::service::agencies::{
    AgencyView, CreateAgencyRequest, RegionView, UpdateAgencyRequest,
};
pub use crate::service::units::{CreateUnitRequest, UnitStatusRequest};
use crate::service::{agencies, units};
use crate::state::AppState;
pub use crate::views::{LonLat, UnitView, validate_lon_lat};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use siaga_core::role::Role;

/// Query of [`list_units`].
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UnitQuery {
    /// Only this agency's units.
    pub agency_id: Option<String>,
}

/// Query of [`list_regions`].
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RegionQuery {
    /// `province`, `regency`, `district` or `village`.
    pub level: Option<String>,
}

/// Every agency (any logged-in user: call takers need them to route).
#[utoipa::path(get, path = "/api/v1/agencies", tag = "agencies", security(("bearer" = [])), responses(
    (status = 200, body = Vec<AgencyView>),
    (status = 401, body = super::error::ErrorBody),
))]
pub async fn list_agencies(
    State(state): State<AppState>,
    _actor: Actor,
) -> ApiResult<Json<Vec<AgencyView>>> {
    Ok(Json(agencies::list(&state).await?))
}

/// Creates an agency (admins).
#[utoipa::path(post, path = "/api/v1/agencies", tag = "agencies", security(("bearer" = [])),
    request_body = CreateAgencyRequest, responses(
    (status = 201, body = AgencyView),
    (status = 403, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody),
))]
pub async fn create_agency(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(req): AppJson<CreateAgencyRequest>,
) -> ApiResult<(StatusCode, Json<AgencyView>)> {
    actor.require(&[Role::Admin])?;
    let agency = agencies::create(&state, &actor, req).await?;
    Ok((StatusCode::CREATED, Json(agency)))
}

/// Renames an agency or changes its phone (admins). Audited.
#[utoipa::path(patch, path = "/api/v1/agencies/{id}", tag = "agencies", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UpdateAgencyRequest, responses(
    (status = 200, body = AgencyView),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody, description = "changed by someone else meanwhile"),
    (status = 422, body = super::error::ErrorBody),
))]
pub async fn update_agency(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<UpdateAgencyRequest>,
) -> ApiResult<Json<AgencyView>> {
    actor.require(&[Role::Admin])?;
    Ok(Json(agencies::update(&state, &actor, &id, req).await?))
}

/// Units visible to the caller: a dispatcher sees its agency's, a responder its own unit, others all.
#[utoipa::path(get, path = "/api/v1/units", tag = "agencies", security(("bearer" = [])),
    params(UnitQuery), responses(
    (status = 200, body = Vec<UnitView>),
    (status = 403, body = super::error::ErrorBody),
))]
pub async fn list_units(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<UnitQuery>,
) -> ApiResult<Json<Vec<UnitView>>> {
    Ok(Json(
        units::list(&state, &actor, q.agency_id.as_deref()).await?,
    ))
}

/// Creates a unit (admins).
#[utoipa::path(post, path = "/api/v1/units", tag = "agencies", security(("bearer" = [])),
    request_body = CreateUnitRequest, responses(
    (status = 201, body = UnitView),
    (status = 403, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody),
))]
pub async fn create_unit(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(req): AppJson<CreateUnitRequest>,
) -> ApiResult<(StatusCode, Json<UnitView>)> {
    actor.require(&[Role::Admin])?;
    let unit = units::create(&state, &actor, req).await?;
    Ok((StatusCode::CREATED, Json(unit)))
}

/// One unit, if the caller may see it.
#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "agencies", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, body = UnitView),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
))]
pub async fn get_unit(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<UnitView>> {
    Ok(Json(units::get(&state, &actor, &id).await?))
}

/// Puts a unit on or off duty (`available` ⇄ `out_of_service`): its agency's dispatchers, its own
/// responder, admins. Statuses on an assignment follow the assignment and cannot be set here.
#[utoipa::path(patch, path = "/api/v1/units/{id}/status", tag = "agencies", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UnitStatusRequest, responses(
    (status = 200, body = UnitView),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody, description = "not a manual status change"),
))]
pub async fn update_unit_status(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<UnitStatusRequest>,
) -> ApiResult<Json<UnitView>> {
    actor.require(&[Role::Dispatcher, Role::Responder, Role::Admin])?;
    Ok(Json(units::set_status(&state, &actor, &id, req).await?))
}

/// Regions known to this deployment (any logged-in user).
#[utoipa::path(get, path = "/api/v1/regions", tag = "agencies", security(("bearer" = [])),
    params(RegionQuery), responses(
    (status = 200, body = Vec<RegionView>),
    (status = 401, body = super::error::ErrorBody),
))]
pub async fn list_regions(
    State(state): State<AppState>,
    _actor: Actor,
    AppQuery(q): AppQuery<RegionQuery>,
) -> ApiResult<Json<Vec<RegionView>>> {
    Ok(Json(agencies::regions(&state, q.level.as_deref()).await?))
}
