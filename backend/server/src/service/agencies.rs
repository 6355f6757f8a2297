//! Agencies (OPD) and the regions they serve: the lists every screen needs to route, and an admin adding an
//! agency. Units are `service::units`.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::limits::{Name, PhoneNumber, ShortText};
use crate::service::common;
use crate::state::AppState;
use crate::store::{AgencyRow, ChangeSet, RegionRow, StoreError, insert_agency, update_agency};
use serde::{Deserialize, Serialize};
use siaga_core::agency::AgencyType;

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
    pub code: ShortText,
    pub name: Name,
    pub agency_type: AgencyType,
    /// The region (Kemendagri code) the agency belongs to.
    pub region_code: ShortText,
    pub phone: Option<PhoneNumber>,
}

/// Changes to an agency: its name and phone. Its code, type and region stay (incidents, units, reports and
/// routing refer to them).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgencyRequest {
    pub name: Option<Name>,
    pub phone: Option<PhoneNumber>,
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

/// Every agency, ordered by code.
pub async fn list(state: &AppState) -> ApiResult<Vec<AgencyView>> {
    let agencies = state.store.list_agencies().await?;
    Ok(agencies.into_iter().map(AgencyView::from).collect())
}

/// Adds an agency, with its audit entry.
///
/// # Errors
///
/// 422 naming an empty or over-long field; 409 when the code is taken.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    req: CreateAgencyRequest,
) -> ApiResult<AgencyView> {
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
        phone: req.phone.map(String::from),
        created_at: now,
        updated_at: now,
    };
    let mut set = ChangeSet::new(now);
    set.push(insert_agency(&row));
    set.audit(common::audit(
        actor,
        now,
        "agency.create",
        "agency",
        &row.id,
        None,
        serde_json::to_value(&row).ok(),
    ));
    state.store.commit(set).await.map_err(|e| match e {
        StoreError::Conflict { .. } => {
            ApiError::new(ErrorCode::Conflict, "an agency with this code exists").with_field("code")
        }
        other => other.into(),
    })?;
    Ok(row.into())
}

/// Renames an agency or changes its phone, with its audit entry.
///
/// # Errors
///
/// 404 for an unknown id; 422 naming an empty name or a request that changes nothing; 409 when another edit
/// came first.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: UpdateAgencyRequest,
) -> ApiResult<AgencyView> {
    let before = state.store.get_agency(id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("agency"),
        other => other.into(),
    })?;
    if req.name.is_none() && req.phone.is_none() {
        return Err(ApiError::validation(
            "name",
            "nothing to change: give name or phone",
        ));
    }
    let name = match &req.name {
        Some(n) if n.trim().is_empty() => {
            return Err(ApiError::validation("name", "name must not be empty"));
        }
        Some(n) => n.trim().to_owned(),
        None => before.name.clone(),
    };
    let now = state.now_ms();
    let after = AgencyRow {
        name,
        phone: req.phone.map(String::from).or_else(|| before.phone.clone()),
        updated_at: now.max(before.updated_at + 1),
        ..before.clone()
    };
    let mut set = ChangeSet::new(now);
    set.push(update_agency(&after, before.updated_at));
    set.audit(common::audit(
        actor,
        now,
        "agency.update",
        "agency",
        id,
        serde_json::to_value(&before).ok(),
        serde_json::to_value(&after).ok(),
    ));
    state.store.commit(set).await?;
    Ok(after.into())
}

/// Regions known to this deployment, optionally of one level, ordered by code.
pub async fn regions(state: &AppState, level: Option<&str>) -> ApiResult<Vec<RegionView>> {
    let regions = state.store.list_regions(level).await?;
    Ok(regions.into_iter().map(RegionView::from).collect())
}
