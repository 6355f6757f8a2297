//! Payloads of the `incident.*` events: what a dispatcher's queue and map and a call taker's list show of an
//! incident, without the reporter's personal data.

use crate::views::LonLat;
use serde::{Deserialize, Serialize};

/// Victims as events carry them.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventVictims {
    pub count: i64,
    /// `unknown`, `minor`, `serious`, `critical`, `deceased`, …
    pub condition: String,
}

/// What every `incident.*` event says about its incident.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentSummary {
    pub incident_id: String,
    /// Human number, e.g. `BTM-20261125-0007`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub status: String,
    pub category: String,
    pub priority: String,
    pub location: LonLat,
    pub address: Option<String>,
    pub region_code: Option<String>,
    pub victims: EventVictims,
    /// The agencies (OPD) the incident is escalated to.
    pub agency_ids: Vec<String>,
    /// Free-form subcategory chosen by the call taker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcategory: Option<String>,
    /// What the call taker wrote about the emergency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When the incident was filed (ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<i64>,
    /// When the incident last changed (ms): this event's change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
    /// Each agency's state of the incident as it is after this change (what the dispatcher's queue and the
    /// call taker's "sent back" list show); absent when the event was built without them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agencies: Option<Vec<EventIncidentAgency>>,
}

/// An agency (OPD) an incident is escalated to, as events carry it (the fields of `IncidentAgencyView`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventIncidentAgency {
    pub agency_id: String,
    pub agency_type: String,
    /// `escalated`, `verified` or `rejected`.
    pub status: String,
    /// Why the OPD sent it back, or the call taker's note when escalated after filing.
    pub reason: Option<String>,
}

/// `incident.created`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentCreated {
    #[serde(flatten)]
    pub incident: IncidentSummary,
}

/// `incident.updated`: the incident as it is now, and what the change was when it was an OPD's decision or
/// a linked call.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentUpdated {
    #[serde(flatten)]
    pub incident: IncidentSummary,
    /// The OPD that verified or rejected it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency_id: Option<String>,
    /// `verified` or `rejected`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    /// Why the OPD rejected it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A call linked to the incident as a duplicate report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_call_id: Option<String>,
}

/// `incident.escalated`: sent to one or more agencies.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentEscalated {
    #[serde(flatten)]
    pub incident: IncidentSummary,
    /// The agencies added by this escalation (absent when it is the filing's own escalation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated_to: Option<Vec<String>>,
    /// The call taker's note to the new OPD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `incident.closed`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentClosed {
    #[serde(flatten)]
    pub incident: IncidentSummary,
}

/// One entry of an incident's timeline, as `GET /incidents/{id}/timeline` lists it and `incident.note_added`
/// carries it. No reporter personal data: entries are told from events and notes.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    /// The entry's id: what a client de-duplicates on.
    pub id: String,
    pub incident_id: String,
    /// The order of writing: entries are ordered by `at`, then `seq`.
    pub seq: i64,
    /// When it happened (ms).
    pub at: i64,
    /// `note`; an event type (`incident.created`, `incident.updated`, `incident.escalated`, `incident.closed`,
    /// `assignment.created`, `assignment.status`, `sla.breach`, and any `incident.*` or `assignment.*` type
    /// added later); `sla.started` or `sla.stopped`.
    pub kind: String,
    /// Who made the change or wrote the note; absent for the system (an SLA breach found on time).
    pub actor_id: Option<String>,
    /// The actor's role then: `call_taker`, `dispatcher`, `responder`, `supervisor`, …
    pub actor_role: Option<String>,
    /// The actor's display name.
    pub actor_name: Option<String>,
    /// The unit concerned (an assignment's, a crew note's).
    pub unit_id: Option<String>,
    /// That unit's call sign.
    pub call_sign: Option<String>,
    /// A person's words: the note, a reason, a dispatcher's note to the crew.
    pub text: Option<String>,
    /// What the kind needs beyond the text: statuses (`status`, `from`), `decision`, `agency_id`,
    /// `escalated_to`, `reported_via`, an SLA clock's `sla_kind`, `target_ms` and `due_at`, … (an object).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    /// A note's client-generated id (the offline outbox's), when it came with one.
    pub client_ref: Option<String>,
}

/// `incident.note_added`: a note joined an incident's timeline.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentNoteAdded {
    pub incident_id: String,
    /// The note, as the timeline lists it.
    pub entry: TimelineEntry,
}
