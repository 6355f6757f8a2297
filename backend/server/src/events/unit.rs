//! Payloads of the `unit.*` and `assignment.*` events.

use super::incident::{EventVictims, IncidentLive};
use crate::views::{LonLat, UnitView};
use serde::{Deserialize, Serialize};

/// `assignment.created`: a unit was assigned; what its crew needs to set off.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AssignmentCreated {
    pub assignment_id: String,
    pub incident_id: String,
    pub incident_number: String,
    pub unit_id: String,
    pub call_sign: String,
    pub agency_id: String,
    pub status: String,
    pub category: String,
    pub priority: String,
    pub location: LonLat,
    pub address: Option<String>,
    pub victims: EventVictims,
    /// The dispatcher's note to the crew.
    pub note: Option<String>,
    /// The travel time estimated for the unit when it was assigned, seconds (see `AssignmentView`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_eta_s: Option<i64>,
    /// The incident's assignments and SLA clocks as this change left them (written by the commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<IncidentLive>,
}

/// `assignment.status`: an assignment moved; names its incident so screens need no lookup.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AssignmentStatusChanged {
    pub assignment_id: String,
    pub incident_id: String,
    pub incident_number: String,
    pub unit_id: String,
    pub agency_id: String,
    /// The new status.
    pub status: String,
    /// The status before.
    pub from: String,
    pub reason: Option<String>,
    pub note: Option<String>,
    /// The user who moved it.
    pub by: String,
    /// `radio` when a dispatcher recorded a step the crew reported by radio; absent for the crew's own step
    /// and for a cancellation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported_via: Option<String>,
    /// The incident's assignments and SLA clocks as this change left them (written by the commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<IncidentLive>,
}

/// `unit.created`: a unit joined an agency's fleet.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnitCreated {
    pub unit_id: String,
    pub unit: UnitView,
}

/// `unit.status`: a unit's status changed.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnitStatusChanged {
    pub unit_id: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_sign: Option<String>,
    /// The status before, when a person changed it directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The user who changed it directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// `unit.position`: a unit moved.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UnitPosition {
    /// The unit that moved.
    pub unit_id: String,
    /// Its agency (OPD).
    pub agency_id: String,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Horizontal accuracy radius in metres, as the device reported it.
    pub accuracy_m: Option<f64>,
    /// Direction of travel in degrees clockwise from north.
    pub heading_deg: Option<f64>,
    /// Ground speed in metres per second.
    pub speed_mps: Option<f64>,
    /// When the device took the fix (ms since the epoch).
    pub position_at: i64,
}
