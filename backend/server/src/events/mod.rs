//! The event vocabulary: every domain event Siaga writes to its durable log, as one typed enum.
//!
//! A service records what happened as a [`DomainEvent`] with its [`Reach`] (who may see it) in the change's
//! `ChangeSet`; the store keeps it as a row (`type`, reach columns, JSON payload) and the live stream sends it
//! as one frame `{ "seq", "at", "type", …payload }`. The `type` strings are spelled only here
//! ([`EventKind::as_str`]), and [`schema`] generates `docs/events.schema.json` and the OpenAPI components the
//! map client's types come from, so a payload field cannot change without the client's types changing too.
//!
//! Layout: this file holds the enum, the kinds and the reach; one file per area holds its payloads
//! ([`call`], [`incident`], [`unit`] for units and assignments, [`oversight`] for SLA and agent states);
//! [`audience`] holds the rules deciding which connected client receives which event; [`schema`] builds the
//! JSON schema document; [`session`] holds the internal entries (revoked sessions) that the live feeds act on
//! and no client receives.
//!
//! Invariant: payloads carry no caller personal data (name, phone, address of the reporter, ANI): events fan
//! out widely and are kept for resuming clients.

pub mod audience;
pub mod call;
pub mod incident;
pub mod oversight;
pub mod schema;
pub mod session;
pub mod timeline;
pub mod unit;

use crate::store::{IncidentStateHook, NewEvent};
use serde::{Deserialize, Serialize};

pub use audience::Audience;

/// Everything that can happen, with its payload. Serialised with its dotted `type` beside the payload's
/// fields (`{"type": "incident.created", "incident_id": …}`), which is also the shape of a live frame.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type")]
pub enum DomainEvent {
    /// A call is ringing at the centre (no caller personal data: the number is masked).
    #[serde(rename = "call.created")]
    CallCreated(call::CallCreated),
    /// A call was answered, classified, ended or got its AML fix.
    #[serde(rename = "call.updated")]
    CallUpdated(call::CallUpdated),
    /// A call on a tiered line was offered to a regional team or handed (back) to the central team.
    #[serde(rename = "call.routed")]
    CallRouted(call::CallRouted),
    /// A regional team member took a call offered to the team.
    #[serde(rename = "call.taken")]
    CallTaken(call::CallTaken),
    /// A caller was enrolled in a line's follow-up programme.
    #[serde(rename = "call.follow_up_scheduled")]
    CallFollowUpScheduled(call::FollowUpScheduled),
    /// The outcome of a follow-up call was recorded.
    #[serde(rename = "call.follow_up_recorded")]
    CallFollowUpRecorded(call::FollowUpRecorded),
    /// A call-back task was created (abandoned or silent call, or on request).
    #[serde(rename = "call.call_back_created")]
    CallBackCreated(call::CallBackCreated),
    /// A call-back task was claimed or an attempt on it recorded.
    #[serde(rename = "call.call_back_updated")]
    CallBackUpdated(call::CallBackUpdated),
    /// An incident was filed.
    #[serde(rename = "incident.created")]
    IncidentCreated(incident::IncidentCreated),
    /// An incident's fields or state changed.
    #[serde(rename = "incident.updated")]
    IncidentUpdated(incident::IncidentUpdated),
    /// An incident was escalated to one or more agencies (OPD).
    #[serde(rename = "incident.escalated")]
    IncidentEscalated(incident::IncidentEscalated),
    /// An incident was closed.
    #[serde(rename = "incident.closed")]
    IncidentClosed(incident::IncidentClosed),
    /// An incident was cancelled (false alarm, duplicate, caller withdrew, handled elsewhere), or merged into
    /// its master as a duplicate.
    #[serde(rename = "incident.cancelled")]
    IncidentCancelled(incident::IncidentCancelled),
    /// A call taker, dispatcher, supervisor or crew added a note to an incident's timeline.
    #[serde(rename = "incident.note_added")]
    IncidentNoteAdded(incident::IncidentNoteAdded),
    /// A unit was assigned to an incident.
    #[serde(rename = "assignment.created")]
    AssignmentCreated(unit::AssignmentCreated),
    /// An assignment moved (acknowledged, en route, on scene, …).
    #[serde(rename = "assignment.status")]
    AssignmentStatus(unit::AssignmentStatusChanged),
    /// A unit was added to an agency's fleet.
    #[serde(rename = "unit.created")]
    UnitCreated(unit::UnitCreated),
    /// A unit's status changed.
    #[serde(rename = "unit.status")]
    UnitStatus(unit::UnitStatusChanged),
    /// A unit moved (coalesced: at most one per unit per `live.position_event_interval_ms`).
    #[serde(rename = "unit.position")]
    UnitPosition(unit::UnitPosition),
    /// An SLA clock passed its target.
    #[serde(rename = "sla.breach")]
    SlaBreach(oversight::SlaBreached),
    /// A call taker's or dispatcher's agent state changed (ready, on call, aux, …).
    #[serde(rename = "agent.state")]
    AgentState(oversight::AgentState),
}

/// The kinds of [`DomainEvent`], without payload: what the log's `event_type` column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// `call.created`
    CallCreated,
    /// `call.updated`
    CallUpdated,
    /// `call.routed`
    CallRouted,
    /// `call.taken`
    CallTaken,
    /// `call.follow_up_scheduled`
    CallFollowUpScheduled,
    /// `call.follow_up_recorded`
    CallFollowUpRecorded,
    /// `call.call_back_created`
    CallBackCreated,
    /// `call.call_back_updated`
    CallBackUpdated,
    /// `incident.created`
    IncidentCreated,
    /// `incident.updated`
    IncidentUpdated,
    /// `incident.escalated`
    IncidentEscalated,
    /// `incident.closed`
    IncidentClosed,
    /// `incident.cancelled`
    IncidentCancelled,
    /// `incident.note_added`
    IncidentNoteAdded,
    /// `assignment.created`
    AssignmentCreated,
    /// `assignment.status`
    AssignmentStatus,
    /// `unit.created`
    UnitCreated,
    /// `unit.status`
    UnitStatus,
    /// `unit.position`
    UnitPosition,
    /// `sla.breach`
    SlaBreach,
    /// `agent.state`
    AgentState,
}

impl EventKind {
    /// Every kind, in a stable order.
    pub const ALL: [EventKind; 21] = [
        EventKind::CallCreated,
        EventKind::CallUpdated,
        EventKind::CallRouted,
        EventKind::CallTaken,
        EventKind::CallFollowUpScheduled,
        EventKind::CallFollowUpRecorded,
        EventKind::CallBackCreated,
        EventKind::CallBackUpdated,
        EventKind::IncidentCreated,
        EventKind::IncidentUpdated,
        EventKind::IncidentEscalated,
        EventKind::IncidentClosed,
        EventKind::IncidentCancelled,
        EventKind::IncidentNoteAdded,
        EventKind::AssignmentCreated,
        EventKind::AssignmentStatus,
        EventKind::UnitCreated,
        EventKind::UnitStatus,
        EventKind::UnitPosition,
        EventKind::SlaBreach,
        EventKind::AgentState,
    ];

    /// The dotted `type` string stored in the log and sent on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::CallCreated => "call.created",
            EventKind::CallUpdated => "call.updated",
            EventKind::CallRouted => "call.routed",
            EventKind::CallTaken => "call.taken",
            EventKind::CallFollowUpScheduled => "call.follow_up_scheduled",
            EventKind::CallFollowUpRecorded => "call.follow_up_recorded",
            EventKind::CallBackCreated => "call.call_back_created",
            EventKind::CallBackUpdated => "call.call_back_updated",
            EventKind::IncidentCreated => "incident.created",
            EventKind::IncidentUpdated => "incident.updated",
            EventKind::IncidentEscalated => "incident.escalated",
            EventKind::IncidentClosed => "incident.closed",
            EventKind::IncidentCancelled => "incident.cancelled",
            EventKind::IncidentNoteAdded => "incident.note_added",
            EventKind::AssignmentCreated => "assignment.created",
            EventKind::AssignmentStatus => "assignment.status",
            EventKind::UnitCreated => "unit.created",
            EventKind::UnitStatus => "unit.status",
            EventKind::UnitPosition => "unit.position",
            EventKind::SlaBreach => "sla.breach",
            EventKind::AgentState => "agent.state",
        }
    }

    /// The kind named by a stored `type` string; `None` for a type this version does not know (written by a
    /// newer instance: passed through to clients, never interpreted).
    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the kind is about calls (`call.*`).
    pub fn is_call(self) -> bool {
        self.as_str().starts_with("call.")
    }

    /// Whether the kind is about incidents (`incident.*`).
    pub fn is_incident(self) -> bool {
        self.as_str().starts_with("incident.")
    }
}

impl DomainEvent {
    /// The event's kind.
    pub fn kind(&self) -> EventKind {
        match self {
            DomainEvent::CallCreated(_) => EventKind::CallCreated,
            DomainEvent::CallUpdated(_) => EventKind::CallUpdated,
            DomainEvent::CallRouted(_) => EventKind::CallRouted,
            DomainEvent::CallTaken(_) => EventKind::CallTaken,
            DomainEvent::CallFollowUpScheduled(_) => EventKind::CallFollowUpScheduled,
            DomainEvent::CallFollowUpRecorded(_) => EventKind::CallFollowUpRecorded,
            DomainEvent::CallBackCreated(_) => EventKind::CallBackCreated,
            DomainEvent::CallBackUpdated(_) => EventKind::CallBackUpdated,
            DomainEvent::IncidentCreated(_) => EventKind::IncidentCreated,
            DomainEvent::IncidentUpdated(_) => EventKind::IncidentUpdated,
            DomainEvent::IncidentEscalated(_) => EventKind::IncidentEscalated,
            DomainEvent::IncidentClosed(_) => EventKind::IncidentClosed,
            DomainEvent::IncidentCancelled(_) => EventKind::IncidentCancelled,
            DomainEvent::IncidentNoteAdded(_) => EventKind::IncidentNoteAdded,
            DomainEvent::AssignmentCreated(_) => EventKind::AssignmentCreated,
            DomainEvent::AssignmentStatus(_) => EventKind::AssignmentStatus,
            DomainEvent::UnitCreated(_) => EventKind::UnitCreated,
            DomainEvent::UnitStatus(_) => EventKind::UnitStatus,
            DomainEvent::UnitPosition(_) => EventKind::UnitPosition,
            DomainEvent::SlaBreach(_) => EventKind::SlaBreach,
            DomainEvent::AgentState(_) => EventKind::AgentState,
        }
    }

    /// The payload alone (the frame's fields other than `type`), as stored in the log.
    pub fn payload(&self) -> serde_json::Value {
        // Serialising plain structs of strings and numbers cannot fail; an empty object would still be a
        // well-formed frame.
        let mut v = serde_json::to_value(self).unwrap_or_else(|_| serde_json::json!({}));
        if let Some(map) = v.as_object_mut() {
            map.remove("type");
        }
        v
    }

    /// Reads a stored event back: its `type` column and JSON payload. `None` for a kind this version does not
    /// know or a payload that does not fit its kind.
    pub fn from_stored(event_type: &str, payload: &serde_json::Value) -> Option<DomainEvent> {
        let mut map = payload.as_object()?.clone();
        map.insert("type".into(), event_type.into());
        serde_json::from_value(serde_json::Value::Object(map)).ok()
    }

    /// The incident whose live state ([`incident::IncidentLive`]) this event carries: every `incident.*` and
    /// `assignment.*` event.
    pub fn live_incident(&self) -> Option<&str> {
        match self {
            DomainEvent::IncidentCreated(e) => Some(&e.incident.incident_id),
            DomainEvent::IncidentUpdated(e) => Some(&e.incident.incident_id),
            DomainEvent::IncidentEscalated(e) => Some(&e.incident.incident_id),
            DomainEvent::IncidentClosed(e) => Some(&e.incident.incident_id),
            DomainEvent::IncidentCancelled(e) => Some(&e.incident.incident_id),
            DomainEvent::AssignmentCreated(e) => Some(&e.incident_id),
            DomainEvent::AssignmentStatus(e) => Some(&e.incident_id),
            _ => None,
        }
    }

    /// This event as a row to append, visible to `reach`. Events about an incident ask the commit to add the
    /// incident's live state as the change leaves it, and carry the incident timeline entry they tell
    /// ([`DomainEvent::timeline_entry`]), which the commit writes in the same transaction.
    pub fn to(self, reach: &Reach) -> NewEvent {
        let incident_state = self.live_incident().map(|id| IncidentStateHook {
            incident_id: id.to_owned(),
            fill: incident::IncidentLive::fill,
        });
        NewEvent {
            event_type: self.kind().as_str().to_owned(),
            agency_ids: reach.agency_ids.clone(),
            unit_id: reach.unit_id.clone(),
            region_code: reach.region_code.clone(),
            payload: self.payload(),
            incident_state,
            timeline: self.timeline_entry(),
        }
    }
}

/// Who may see an event: the columns the live stream filters on (see [`Audience::allows`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    /// Agencies whose dispatchers see it: `None` = every agency; an empty list = none.
    pub agency_ids: Option<Vec<String>>,
    /// The unit whose responder sees it.
    pub unit_id: Option<String>,
    /// The subject's region, for region-scoped supervisors and call takers; `None` = every region scope.
    pub region_code: Option<String>,
}

impl Reach {
    /// Dispatchers of no agency and no responder: call takers, supervisors and admins (within `region`).
    pub fn desk(region_code: Option<String>) -> Reach {
        Reach {
            agency_ids: Some(Vec::new()),
            unit_id: None,
            region_code,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_every_variant_has_its_kind() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EventKind::parse("call.arriving"), None);
    }

    #[test]
    fn payloads_are_stored_without_type_and_read_back() {
        let e = DomainEvent::UnitStatus(unit::UnitStatusChanged {
            unit_id: "u1".into(),
            status: "available".into(),
            call_sign: None,
            from: Some("busy".into()),
            by: None,
        });
        let row = e.clone().to(&Reach::default());
        assert_eq!(row.event_type, "unit.status");
        assert!(row.payload.get("type").is_none());
        assert_eq!(row.payload["from"], "busy");
        let back = DomainEvent::from_stored(&row.event_type, &row.payload).unwrap();
        assert_eq!(back.kind(), EventKind::UnitStatus);
        // The serde tag and the kind's string agree for every variant that can be built here.
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["type"], e.kind().as_str());
    }
}
