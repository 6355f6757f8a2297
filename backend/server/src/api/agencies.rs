//! Agencies (OPD), their units, and the regions they serve.

use super::error::{ApiError, ApiResult, ErrorCode};
use super::extract::{Actor, AppJson, AppQuery};
use crate::service::common;
use crate::state::AppState;
use crate::store::{AgencyRow, AuditEntry, ChangeSet, RegionRow, Stmt, StoreError, UnitRow};
pub use crate::views::{LonLat, UnitView, validate_lon_lat};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use siaga_core::agency::AgencyType;
use siaga_core::role::Role;
use siaga_core::unit::{UnitStatus, UnitType};

/// An agency (OPD).
#[derive(Serialize, utoipa::ToSchema)]
pub struct AgencyView {
    pub id: String,
    pub code: String,
    pub name: String,
    pub agency_type: String,
    pub region_code: String,
    pub phone: Option<String>,
}

impl From<AgencyRow> for AgencyView {
    fn from(a: AgencyRow) -> Self {
        AgencyView {
            id: a.id,
            code: a.code,
            name: a.name,
            agency_type: a.agency_type,
            region_code: a.region_code,
            phone: a.phone,
        }
    }
}

/// A new agency.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgencyRequest {
    /// Short unique code, e.g. `DAMKAR-BTM`.
    pub code: String,
    pub name: String,
    pub agency_type: AgencyType,
    /// The region (Kemendagri code) the agency belongs to.
    pub region_code: String,
    pub phone: Option<String>,
}

/// A new unit.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnitRequest {
    pub agency_id: String,
    /// Radio call sign, unique, e.g. `AMB-BTM-03`.
    pub call_sign: String,
    pub unit_type: UnitType,
    pub position: Option<LonLat>,
}

/// A manual status change (on/off duty). Other statuses follow assignments.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitStatusRequest {
    pub status: UnitStatus,
}

/// Query of [`list_units`].
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UnitQuery {
    /// Only this agency's units.
    pub agency_id: Option<String>,
}

/// A region.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RegionView {
    pub code: String,
    pub name: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub time_zone: String,
}

impl From<RegionRow> for RegionView {
    fn from(r: RegionRow) -> Self {
        RegionView {
            code: r.code,
            name: r.name,
            level: r.level,
            parent_code: r.parent_code,
            time_zone: r.time_zone,
        }
    }
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
    let agencies = state.store.list_agencies().await?;
    Ok(Json(agencies.into_iter().map(AgencyView::from).collect()))
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
    let code = req.code.trim();
    if code.is_empty() || code.len() > 32 {
        return Err(ApiError::validation("code", "code must be 1-32 characters"));
    }
    if req.name.trim().is_empty() {
        return Err(ApiError::validation("name", "name is required"));
    }
    if req.region_code.trim().is_empty() {
        return Err(ApiError::validation(
            "region_code",
            "region_code is required",
        ));
    }
    let now = state.now_ms();
    let row = AgencyRow {
        id: uuid::Uuid::now_v7().to_string(),
        code: code.to_owned(),
        name: req.name.trim().to_owned(),
        agency_type: req.agency_type.as_str().to_owned(),
        region_code: req.region_code.trim().to_owned(),
        phone: req.phone,
        created_at: now,
        updated_at: now,
    };
    state.store.create_agency(&row).await.map_err(|e| match e {
        StoreError::Conflict { .. } => {
            ApiError::new(ErrorCode::Conflict, "an agency with this code exists").with_field("code")
        }
        other => other.into(),
    })?;
    audit(
        &state,
        &actor,
        "agency.create",
        "agency",
        &row.id,
        None,
        serde_json::to_value(&row).ok(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
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
    if let Some(agency_id) = q.agency_id.as_deref() {
        actor.require_agency(agency_id)?;
    }
    let agency = q.agency_id.as_deref().or(actor.agency_scope());
    let mut units = state.store.list_units(agency).await?;
    if actor.role == Role::Responder {
        let own = actor.user.unit_id.as_deref().unwrap_or("");
        units.retain(|u| u.id == own);
    }
    Ok(Json(units.into_iter().map(UnitView::from).collect()))
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
    match state.store.get_agency(&req.agency_id).await {
        Err(StoreError::NotFound) => {
            return Err(ApiError::validation("agency_id", "no such agency"));
        }
        other => {
            other?;
        }
    }
    let call_sign = req.call_sign.trim();
    if call_sign.is_empty() || call_sign.len() > 32 {
        return Err(ApiError::validation(
            "call_sign",
            "call_sign must be 1-32 characters",
        ));
    }
    if let Some(p) = req.position {
        validate_lon_lat(p, "position")?;
    }
    let now = state.now_ms();
    let row = UnitRow {
        id: uuid::Uuid::now_v7().to_string(),
        agency_id: req.agency_id,
        call_sign: call_sign.to_owned(),
        unit_type: req.unit_type.as_str().to_owned(),
        status: UnitStatus::Available.as_str().to_owned(),
        lon: req.position.map(|p| p.lon),
        lat: req.position.map(|p| p.lat),
        position_at: req.position.map(|_| now),
        created_at: now,
        updated_at: now,
    };
    // One transaction: the unit, its audit entry and the `unit.created` event, from which every instance adds
    // it to its geo index (recommendable at once) and dispatchers' maps show it.
    let mut set = ChangeSet::new(now);
    set.push(
        Stmt::new(
            "INSERT INTO units (id, agency_id, call_sign, unit_type, status, lon, lat, position_at, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .text(&row.id)
        .text(&row.agency_id)
        .text(&row.call_sign)
        .text(&row.unit_type)
        .text(&row.status)
        .opt_float(row.lon)
        .opt_float(row.lat)
        .opt_int(row.position_at)
        .int(row.created_at)
        .int(row.updated_at),
    );
    let view = UnitView::from(row.clone());
    set.event(common::event(
        "unit.created",
        &crate::events::Reach {
            agency_ids: Some(vec![row.agency_id.clone()]),
            unit_id: Some(row.id.clone()),
            region_code: None,
        },
        json!({"unit_id": row.id, "unit": view}),
    ));
    set.audit(common::audit(
        &actor,
        now,
        "unit.create",
        "unit",
        &row.id,
        None,
        serde_json::to_value(&row).ok(),
    ));
    state.store.commit(set).await.map_err(|e| match e {
        StoreError::Conflict { .. } => {
            ApiError::new(ErrorCode::Conflict, "a unit with this call sign exists")
                .with_field("call_sign")
        }
        other => other.into(),
    })?;
    // Recommendable here at once; other instances add it from the event.
    state.geo.unit_upsert(&row);
    Ok((StatusCode::CREATED, Json(view)))
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
    let unit = visible_unit(&state, &actor, &id).await?;
    Ok(Json(unit.into()))
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
    let unit = visible_unit(&state, &actor, &id).await?;
    let manual = [UnitStatus::Available, UnitStatus::OutOfService];
    let current: UnitStatus = unit
        .status
        .parse()
        .map_err(|e: siaga_core::unit::UnknownUnitStatus| ApiError::internal(e.into()))?;
    if !manual.contains(&current) || !manual.contains(&req.status) {
        let allowed = if manual.contains(&current) {
            manual
                .iter()
                .filter(|s| **s != current)
                .map(|s| s.as_str().to_owned())
                .collect()
        } else {
            Vec::new()
        };
        return Err(ApiError::new(
            ErrorCode::InvalidTransition,
            format!(
                "unit is {current}; only available and out_of_service are set by hand, the rest follow assignments"
            ),
        )
        .with_field("status")
        .with_allowed(allowed));
    }
    // One transaction: the guarded status change (a concurrent assignment wins), its audit entry and the
    // `unit.status` event, so every dispatcher's map and the unit's phone see the change at once.
    let now = state.now_ms();
    let mut set = ChangeSet::new(now);
    set.push(crate::store::units::set_status(
        &id,
        Some(current.as_str()),
        req.status.as_str(),
        now,
    ));
    let audience = crate::events::Reach {
        agency_ids: Some(vec![unit.agency_id.clone()]),
        unit_id: Some(unit.id.clone()),
        region_code: None,
    };
    set.event(common::event(
        "unit.status",
        &audience,
        json!({"unit_id": unit.id, "status": req.status, "from": current, "by": actor.user.id}),
    ));
    set.audit(common::audit(
        &actor,
        now,
        "unit.status",
        "unit",
        &id,
        Some(json!({"status": current})),
        Some(json!({"status": req.status})),
    ));
    state.store.commit(set).await?;
    state.geo.unit_status(&id, req.status);
    let after = state.store.get_unit(&id).await?;
    Ok(Json(after.into()))
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
    let regions = state.store.list_regions(q.level.as_deref()).await?;
    Ok(Json(regions.into_iter().map(RegionView::from).collect()))
}

/// The unit, or 403/404 when the caller may not see it.
async fn visible_unit(state: &AppState, actor: &Actor, id: &str) -> ApiResult<UnitRow> {
    let unit = state.store.get_unit(id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("unit"),
        other => other.into(),
    })?;
    actor.require_agency(&unit.agency_id)?;
    if actor.role == Role::Responder && actor.user.unit_id.as_deref() != Some(unit.id.as_str()) {
        return Err(ApiError::forbidden("responders see only their own unit"));
    }
    Ok(unit)
}

/// Appends an audit entry for an actor's change.
pub async fn audit(
    state: &AppState,
    actor: &Actor,
    action: &str,
    subject_type: &str,
    subject_id: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> ApiResult<()> {
    state
        .store
        .append_audit(&AuditEntry {
            at: state.now_ms(),
            actor_id: Some(actor.user.id.clone()),
            actor_role: Some(actor.role.to_string()),
            action: action.to_owned(),
            subject_type: subject_type.to_owned(),
            subject_id: Some(subject_id.to_owned()),
            before,
            after,
            detail: None,
        })
        .await?;
    Ok(())
}
