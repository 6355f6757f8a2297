//! Units (vehicles and teams) of the agencies: who sees which, an admin adding one, and a person putting a unit
//! on or off duty. Every change updates this instance's geo index at once; other instances follow the
//! `unit.*` event (`live::feed`).
//!
//! The statuses between `assigned` and `on_scene` are not set here: they follow the unit's assignment
//! (`service::assignments`).

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::unit::{UnitCreated, UnitStatusChanged};
use crate::events::{DomainEvent, Reach};
use crate::limits::ShortText;
use crate::service::common::{self, parse_stored};
use crate::state::AppState;
use crate::store::{ChangeSet, StoreError, UnitRow, units};
use crate::views::{LonLat, UnitView, validate_lon_lat};
use serde::Deserialize;
use serde_json::json;
use siaga_core::role::Role;
use siaga_core::unit::{UnitStatus, UnitType, Vehicle};

/// A new unit.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnitRequest {
    pub agency_id: ShortText,
    /// Radio call sign, unique, e.g. `AMB-BTM-03`.
    pub call_sign: ShortText,
    pub unit_type: UnitType,
    /// What the unit drives; default the unit type's (a car). A motorbike's routes, drive-time ETAs and
    /// coverage may use tracks and gang paths open to motorbikes, never toll roads.
    pub vehicle: Option<Vehicle>,
    pub position: Option<LonLat>,
}

/// A manual status change (on/off duty). Other statuses follow assignments.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitStatusRequest {
    pub status: UnitStatus,
}

/// The statuses a person sets by hand.
const MANUAL: [UnitStatus; 2] = [UnitStatus::Available, UnitStatus::OutOfService];

/// Units visible to the actor, optionally of one agency: a dispatcher sees its agency's, a responder its own
/// unit, a desk those of agencies based in its region (all without a region scope).
///
/// # Errors
///
/// 403 when the actor asks for another agency than its own.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    agency_id: Option<&str>,
) -> ApiResult<Vec<UnitView>> {
    if let Some(agency_id) = agency_id {
        actor.require_agency(agency_id)?;
    }
    let agency = agency_id.or(actor.agency_scope());
    let mut units = state
        .store
        .list_units(agency, actor.scope().region())
        .await?;
    if actor.role == Role::Responder {
        let own = actor.user.unit_id.as_deref().unwrap_or("");
        units.retain(|u| u.id == own);
    }
    Ok(units.into_iter().map(UnitView::from).collect())
}

/// One unit, if the actor may see it.
///
/// # Errors
///
/// 404 for an unknown id; 403 for another agency's unit, or a responder's other unit.
pub async fn get(state: &AppState, actor: &Actor, id: &str) -> ApiResult<UnitView> {
    Ok(visible(state, actor, id).await?.0.into())
}

/// Adds a unit to an agency's fleet, `available` at its optional station position.
///
/// # Errors
///
/// 422 for an unknown agency, a bad call sign or position; 409 when the call sign is taken.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    req: CreateUnitRequest,
) -> ApiResult<UnitView> {
    let agency = match state.store.get_agency(&req.agency_id).await {
        Err(StoreError::NotFound) => {
            return Err(ApiError::validation("agency_id", "no such agency"));
        }
        other => other?,
    };
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
        agency_id: req.agency_id.into(),
        call_sign: call_sign.to_owned(),
        unit_type: req.unit_type.as_str().to_owned(),
        vehicle: req
            .vehicle
            .unwrap_or(req.unit_type.default_vehicle())
            .as_str()
            .to_owned(),
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
    set.push(units::insert(&row));
    let view = UnitView::from(row.clone());
    set.event(
        DomainEvent::UnitCreated(UnitCreated {
            unit_id: row.id.clone(),
            unit: view.clone(),
        })
        .to(&fleet_reach(&row, &agency.region_code)),
    );
    set.audit(common::audit(
        actor,
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
    Ok(view)
}

/// Puts a unit on or off duty (`available` ⇄ `out_of_service`).
///
/// # Errors
///
/// 403/404 as [`get`]; 409 listing the allowed statuses when either side is not a manual status, or when an
/// assignment moved the unit first.
pub async fn set_status(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: UnitStatusRequest,
) -> ApiResult<UnitView> {
    let (unit, region) = visible(state, actor, id).await?;
    let current: UnitStatus = parse_stored(&unit.status)?;
    if !MANUAL.contains(&current) || !MANUAL.contains(&req.status) {
        let allowed = if MANUAL.contains(&current) {
            MANUAL
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
    set.push(units::set_status(
        id,
        Some(current.as_str()),
        req.status.as_str(),
        now,
    ));
    set.event(
        DomainEvent::UnitStatus(UnitStatusChanged {
            unit_id: unit.id.clone(),
            status: req.status.as_str().to_owned(),
            call_sign: None,
            from: Some(current.as_str().to_owned()),
            by: Some(actor.user.id.clone()),
        })
        .to(&fleet_reach(&unit, &region)),
    );
    set.audit(common::audit(
        actor,
        now,
        "unit.status",
        "unit",
        id,
        Some(json!({"status": current})),
        Some(json!({"status": req.status})),
    ));
    state.store.commit(set).await?;
    state.geo.unit_status(id, req.status);
    Ok(state.store.get_unit(id).await?.into())
}

/// Who hears about a unit itself: its agency's dispatchers, its own responder, and the desks of the region its
/// agency is based in (`agency_region`).
pub(crate) fn fleet_reach(unit: &UnitRow, agency_region: &str) -> Reach {
    Reach {
        agency_ids: Some(vec![unit.agency_id.clone()]),
        unit_id: Some(unit.id.clone()),
        region_code: Some(agency_region.to_owned()),
    }
}

/// The unit and its agency's region, or 403/404 when the actor may not see it.
async fn visible(state: &AppState, actor: &Actor, id: &str) -> ApiResult<(UnitRow, String)> {
    let unit = state.store.get_unit(id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("unit"),
        other => other.into(),
    })?;
    let region = state.store.get_agency(&unit.agency_id).await?.region_code;
    if !actor.scope().covers_agency(&unit.agency_id, &region) {
        return Err(ApiError::forbidden(
            "this unit belongs to another agency (OPD) or region than yours",
        ));
    }
    if actor.role == Role::Responder && actor.user.unit_id.as_deref() != Some(unit.id.as_str()) {
        return Err(ApiError::forbidden("responders see only their own unit"));
    }
    Ok((unit, region))
}
