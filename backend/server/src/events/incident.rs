//! Payloads of the `incident.*` events: what a dispatcher's queue and map and a call taker's list show of an
//! incident, without the reporter's personal data.

use crate::store::IncidentState;
use crate::views::{AssignmentView, ClockView, LonLat};
use serde::{Deserialize, Serialize};

/// An incident's assignments and SLA clocks as the change an event describes left them: what a dispatcher's
/// queue, map and alarms show, so that no screen reads the incident back after an event. The commit reads
/// them in the change's own transaction (`store::IncidentStateHook`). Not part of it, because events fan out
/// widely: the reporter's identity, which a screen reads once when a desk opens the incident.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentLive {
    /// Every assignment of the incident, oldest first.
    pub assignments: Vec<AssignmentView>,
    /// The incident's SLA clocks, then its assignments' clocks.
    pub sla: Vec<ClockView>,
}

impl IncidentLive {
    /// The live state from what the commit read.
    pub fn from_state(state: &IncidentState) -> IncidentLive {
        IncidentLive {
            assignments: state
                .assignments
                .iter()
                .cloned()
                .map(AssignmentView::from)
                .collect(),
            sla: state.clocks.iter().cloned().map(ClockView::from).collect(),
        }
    }

    /// Writes the live state into a stored payload's `live` field (the `fill` of the commit's hook).
    pub fn fill(payload: &mut serde_json::Value, state: &IncidentState) {
        if let (Some(map), Ok(live)) = (
            payload.as_object_mut(),
            serde_json::to_value(IncidentLive::from_state(state)),
        ) {
            map.insert("live".into(), live);
        }
    }
}

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
    /// The assignments and SLA clocks as this change left them (written by the commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<IncidentLive>,
}

/// An agency (OPD) an incident is escalated to, as events carry it (the fields of `IncidentAgencyView`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventIncidentAgency {
    pub agency_id: String,
    pub agency_type: String,
    /// `escalated`, `verified`, `rejected` or `withdrawn` (taken from it by a re-location).
    pub status: String,
    /// Why the OPD sent it back, the call taker's note when escalated after filing, or `relocated`.
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
    /// A correction (`PATCH /incidents/{id}`): each field it changed, with the values before and after
    /// (`reporter` is named without values: personal data stays out of events).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<FieldChange>>,
    /// The OPDs a re-location escalated the incident to (they also get `incident.escalated`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated_to: Option<Vec<String>>,
    /// The OPDs a re-location took the incident from (their row is `withdrawn`, reason `relocated`): their
    /// queues drop it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_from: Option<Vec<String>>,
    /// A duplicate merged into this incident just now: its calls and open assignments are this incident's
    /// now (the duplicate's own `incident.cancelled` says `merged_into`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<IncidentRef>,
}

impl IncidentUpdated {
    /// The incident as it is now, with no particular change named (fill in the fields that apply).
    pub fn new(incident: IncidentSummary) -> IncidentUpdated {
        IncidentUpdated {
            incident,
            agency_id: None,
            decision: None,
            reason: None,
            linked_call_id: None,
            changes: None,
            escalated_to: None,
            withdrawn_from: None,
            merged_from: None,
        }
    }
}

/// One field a correction changed.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldChange {
    /// `priority`, `category`, `subcategory`, `location`, `region_code`, `accuracy_m`, `address`, `victims`,
    /// `description`, `occurred_at` or `reporter`.
    pub field: String,
    /// The value before (absent for `reporter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<serde_json::Value>,
    /// The value after (absent for `reporter`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<serde_json::Value>,
}

/// Another incident named by an event: its id and number.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentRef {
    pub incident_id: String,
    /// Human number, e.g. `BTM-20261125-0007`.
    pub number: String,
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

/// `incident.cancelled`: the incident was withdrawn. Its open assignments were cancelled in the same change
/// (each with its own `assignment.status`) and its clocks stopped as cancelled.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IncidentCancelled {
    #[serde(flatten)]
    pub incident: IncidentSummary,
    /// `false_alarm`, `duplicate`, `caller_withdrew` or `handled_elsewhere`.
    pub reason: String,
    /// The canceller's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The incident it duplicates (`reason = duplicate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<IncidentRef>,
    /// The master it was merged into: screens showing this incident follow the link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<IncidentRef>,
    /// The user who cancelled it.
    pub by: String,
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
