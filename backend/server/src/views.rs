//! The shapes the API shows of the domain, shared by the services that build them, the handlers that send
//! them and the events that carry them: one definition each, so a unit on `GET /units` and in a
//! `unit.created` event cannot drift apart.
//!
//! A position on the wire is [`LonLat`] (longitude first, as in GeoJSON); it becomes a domain position only
//! through [`validate_lon_lat`].

use crate::error::{ApiError, ApiResult};
use crate::store::{AssignmentRow, SlaClockRow, UnitRow};
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
    /// What the unit drives, `car` or `motorbike`: its routes, drive-time ETAs and coverage follow that
    /// vehicle's road rules.
    pub vehicle: String,
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
            vehicle: u.vehicle,
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

/// An SLA clock.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClockView {
    pub kind: String,
    pub subject_type: String,
    pub subject_id: String,
    pub started_at: i64,
    pub due_at: i64,
    pub stopped_at: Option<i64>,
    pub breached_at: Option<i64>,
    /// Set when the clock stopped because its incident was withdrawn (cancelled or merged): neither met nor
    /// breached.
    pub cancelled_at: Option<i64>,
}

impl From<SlaClockRow> for ClockView {
    fn from(c: SlaClockRow) -> Self {
        ClockView {
            kind: c.kind,
            subject_type: c.subject_type,
            subject_id: c.subject_id,
            started_at: c.started_at,
            due_at: c.due_at,
            stopped_at: c.stopped_at,
            breached_at: c.breached_at,
            cancelled_at: c.cancelled_at,
        }
    }
}

/// An assignment of a unit to an incident.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AssignmentView {
    pub id: String,
    pub incident_id: String,
    pub unit_id: String,
    pub agency_id: String,
    pub status: String,
    pub assigned_at: i64,
    pub acknowledged_at: Option<i64>,
    pub en_route_at: Option<i64>,
    pub on_scene_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub declined_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub reason: Option<String>,
    pub note: Option<String>,
    /// The crew's steps a dispatcher recorded from a radio report (`acknowledged`, `en_route`, `on_scene`,
    /// `resolved`, `declined`), in lifecycle order; the other steps the crew posted itself.
    pub radio_reported: Vec<String>,
    /// The travel time Siaga estimated for the unit when it was assigned (road graph or straight line),
    /// seconds: the planned ETA to set beside the arrival clock's target. None when the unit had no position.
    #[serde(default)]
    pub planned_eta_s: Option<i64>,
}

impl From<AssignmentRow> for AssignmentView {
    fn from(a: AssignmentRow) -> Self {
        AssignmentView {
            id: a.id,
            incident_id: a.incident_id,
            unit_id: a.unit_id,
            agency_id: a.agency_id,
            status: a.status,
            assigned_at: a.assigned_at,
            acknowledged_at: a.acknowledged_at,
            en_route_at: a.en_route_at,
            on_scene_at: a.on_scene_at,
            resolved_at: a.resolved_at,
            declined_at: a.declined_at,
            cancelled_at: a.cancelled_at,
            planned_eta_s: a.planned_eta_s,
            radio_reported: [
                ("acknowledged", &a.acknowledged_via),
                ("en_route", &a.en_route_via),
                ("on_scene", &a.on_scene_via),
                ("resolved", &a.resolved_via),
                ("declined", &a.declined_via),
            ]
            .into_iter()
            .filter(|(_, via)| via.as_deref() == Some("radio"))
            .map(|(step, _)| step.to_owned())
            .collect(),
            reason: a.reason,
            note: a.note,
        }
    }
}
