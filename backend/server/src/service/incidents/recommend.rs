//! What to send to an incident: the nearest available units of the actor's OPD (or of every escalated OPD for
//! a supervisor), the units left out and why, and the nearest facilities with a 24-hour emergency department.

use super::{check_visible, load};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::StoreError;
use crate::views::LonLat;
use serde::Serialize;
use siaga_core::time::Timestamp;
use siaga_spatial::Position;
use siaga_spatial::units::UnitFilter;
use std::collections::{BTreeSet, HashMap};

/// A recommended unit.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitRecommendation {
    pub unit_id: String,
    pub call_sign: String,
    pub unit_type: String,
    pub agency_id: String,
    /// Great-circle distance in metres.
    pub distance_m: f64,
    /// Estimated travel time in seconds at the unit type's configured speed.
    pub eta_s: f64,
}

/// A unit that was not recommended, and why.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitExclusion {
    pub unit_id: String,
    pub call_sign: String,
    pub distance_m: f64,
    /// `busy`, `out_of_service`, `wrong_type` or `stale_position` (only units of the asker's OPD, or of the
    /// OPDs taking part for a desk, are weighed at all).
    pub reason: String,
}

/// A nearby health facility.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FacilityRecommendation {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub position: LonLat,
    pub distance_m: f64,
}

/// What to send.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RecommendationsView {
    pub units: Vec<UnitRecommendation>,
    pub excluded: Vec<UnitExclusion>,
    pub facilities: Vec<FacilityRecommendation>,
}

/// The recommendations for the incident.
pub async fn recommendations(
    state: &AppState,
    actor: &Actor,
    id: &str,
) -> ApiResult<RecommendationsView> {
    let incident = load(state, id).await?;
    let agencies = state.store.incident_agencies(id).await?;
    check_visible(state, actor, &incident, &agencies).await?;
    // A dispatcher's own OPD, or (for a desk) every OPD taking part in the incident.
    let allowed: BTreeSet<String> = match actor.scope().agency() {
        Some(own) => [own.to_owned()].into(),
        None => super::agency_ids(&agencies).into_iter().collect(),
    };
    let p = Position::from_lon_lat(incident.lon, incident.lat)
        .map_err(|e| ApiError::internal(e.into()))?;
    let filter = UnitFilter {
        unit_type: None,
        agency_ids: Some(allowed),
    };
    let found = state
        .geo
        .nearest_units(p, 5, filter, Timestamp(state.now_ms()));
    let named = found
        .candidates
        .iter()
        .map(|c| &c.unit_id)
        .chain(found.excluded.iter().map(|e| &e.unit_id));
    let call_signs = call_signs(state, named).await?;
    let call_sign = |uid: &str| call_signs.get(uid).cloned().unwrap_or_default();
    let units = found
        .candidates
        .iter()
        .map(|c| UnitRecommendation {
            call_sign: call_sign(&c.unit_id),
            unit_id: c.unit_id.clone(),
            unit_type: c.unit_type.as_str().to_owned(),
            agency_id: c.agency_id.clone(),
            distance_m: c.distance_m,
            eta_s: c.eta_s,
        })
        .collect();
    let excluded = found
        .excluded
        .iter()
        .map(|e| UnitExclusion {
            call_sign: call_sign(&e.unit_id),
            unit_id: e.unit_id.clone(),
            distance_m: e.distance_m,
            reason: serde_json::to_value(&e.reason)
                .ok()
                .and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_owned))
                .unwrap_or_default(),
        })
        .collect();
    Ok(RecommendationsView {
        units,
        excluded,
        facilities: facilities(state, p),
    })
}

/// Call signs of the few units named only: reading the whole fleet here cost a full table scan per request
/// (10 000 units: most of the request's time).
async fn call_signs<'a>(
    state: &AppState,
    unit_ids: impl Iterator<Item = &'a String>,
) -> ApiResult<HashMap<String, String>> {
    let mut out = HashMap::new();
    for uid in unit_ids {
        if out.contains_key(uid) {
            continue;
        }
        match state.store.get_unit(uid).await {
            Ok(u) => {
                out.insert(uid.clone(), u.call_sign);
            }
            Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// The three nearest facilities with a 24-hour emergency department.
fn facilities(state: &AppState, p: Position) -> Vec<FacilityRecommendation> {
    state
        .geo
        .nearest_facilities(p, 3, Some(siaga_spatial::Capability::Igd24h))
        .into_iter()
        .map(|(f, d)| FacilityRecommendation {
            id: f.id,
            name: f.name,
            kind: serde_json::to_value(f.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            position: LonLat {
                lon: f.position.lon(),
                lat: f.position.lat(),
            },
            distance_m: d,
        })
        .collect()
}
