//! How an event tells itself in an incident's timeline: [`DomainEvent::timeline_entry`], a pure function from a
//! typed event to the entry its change writes (`store::timeline`).
//!
//! Every `incident.*` and `assignment.*` event tells one entry of its own type, with the event's words (a
//! reason, a note to the crew) as text and what else it says (statuses, the OPD's decision, the agencies added,
//! what changed) as detail — without the incident summary every incident event repeats (location, victims,
//! description: the incident view shows those). A kind added later is told the same way without a change here,
//! as long as its payload names `incident_id`. An `sla.breach` of an incident's or an assignment's clock is told
//! too. Calls, units and agents are not an incident's story; nor is `incident.note_added`, which announces an
//! entry the note's service writes itself.

use super::{DomainEvent, EventKind};
use crate::store::{TimelineDraft, TimelineSubject};
use serde_json::{Map, Value};

/// The kind of a note's entry.
pub const NOTE: &str = "note";
/// The kind of the entry of an SLA clock started on an incident or an assignment (no event announces it).
pub const SLA_STARTED: &str = "sla.started";
/// The kind of the entry of an SLA clock stopped, with whether it met its target (no event announces it).
pub const SLA_STOPPED: &str = "sla.stopped";

/// The fields of `IncidentSummary` that every `incident.*` event repeats; the timeline keeps `status` only.
const SUMMARY_FIELDS: [&str; 14] = [
    "incident_id",
    "number",
    "category",
    "priority",
    "location",
    "address",
    "region_code",
    "victims",
    "agency_ids",
    "subcategory",
    "description",
    "created_at",
    "updated_at",
    "agencies",
];

impl DomainEvent {
    /// The timeline entry this event tells, or `None` when it is not part of an incident's story.
    pub fn timeline_entry(&self) -> Option<TimelineDraft> {
        let kind = self.kind();
        match self {
            DomainEvent::IncidentNoteAdded(_) => None,
            DomainEvent::SlaBreach(b) => {
                let subject = match b.subject_type.as_str() {
                    "incident" | "assignment" => TimelineSubject::Clock(b.clock_id.clone()),
                    _ => return None,
                };
                let mut d = TimelineDraft::new(subject, kind.as_str());
                d.detail = serde_json::json!({
                    "clock_id": b.clock_id,
                    "sla_kind": b.kind,
                    "agency_id": b.agency_id,
                    "started_at": b.started_at,
                    "target_ms": b.target_ms,
                    "due_at": b.due_at,
                });
                Some(d)
            }
            DomainEvent::IncidentCreated(e) => {
                let mut d = TimelineDraft::new(
                    TimelineSubject::Incident(e.incident.incident_id.clone()),
                    kind.as_str(),
                );
                d.detail = serde_json::json!({
                    "status": e.incident.status,
                    "category": e.incident.category,
                    "priority": e.incident.priority,
                    "agency_ids": e.incident.agency_ids,
                });
                Some(d)
            }
            DomainEvent::AssignmentCreated(e) => {
                let mut d = TimelineDraft::new(
                    TimelineSubject::Incident(e.incident_id.clone()),
                    kind.as_str(),
                );
                d.unit_id = Some(e.unit_id.clone());
                d.text = e.note.clone();
                d.detail = serde_json::json!({
                    "assignment_id": e.assignment_id,
                    "agency_id": e.agency_id,
                    "status": e.status,
                });
                Some(d)
            }
            DomainEvent::AssignmentStatus(e) => {
                let mut d = TimelineDraft::new(
                    TimelineSubject::Incident(e.incident_id.clone()),
                    kind.as_str(),
                );
                d.actor_id = Some(e.by.clone());
                d.unit_id = Some(e.unit_id.clone());
                d.text = e.reason.clone().or_else(|| e.note.clone());
                let mut detail = serde_json::json!({
                    "assignment_id": e.assignment_id,
                    "agency_id": e.agency_id,
                    "from": e.from,
                    "status": e.status,
                    "reported_via": e.reported_via,
                });
                if e.reason.is_some()
                    && let Some(note) = &e.note
                {
                    detail["note"] = note.clone().into();
                }
                d.detail = detail;
                Some(d)
            }
            _ if is_incident_story(kind) => generic(kind, &self.payload()),
            _ => None,
        }
    }
}

/// Whether events of `kind` belong to an incident's story.
fn is_incident_story(kind: EventKind) -> bool {
    kind.is_incident() || kind.as_str().starts_with("assignment.")
}

/// The entry of an incident event told the common way: its own fields as detail, a reason or note as text.
fn generic(kind: EventKind, payload: &Value) -> Option<TimelineDraft> {
    let incident_id = payload.get("incident_id")?.as_str()?.to_owned();
    let mut detail: Map<String, Value> = payload.as_object()?.clone();
    for f in SUMMARY_FIELDS {
        detail.remove(f);
    }
    let text = ["reason", "note"]
        .iter()
        .find_map(|k| detail.get(*k).and_then(Value::as_str).map(str::to_owned));
    let mut d = TimelineDraft::new(TimelineSubject::Incident(incident_id), kind.as_str());
    d.unit_id = detail
        .get("unit_id")
        .and_then(Value::as_str)
        .map(str::to_owned);
    d.text = text;
    d.detail = Value::Object(detail);
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::incident::{
        EventVictims, IncidentEscalated, IncidentSummary, IncidentUpdated,
    };
    use crate::events::oversight::SlaBreached;
    use crate::events::unit::{AssignmentStatusChanged, UnitStatusChanged};
    use crate::views::LonLat;

    fn summary() -> IncidentSummary {
        IncidentSummary {
            incident_id: "i1".into(),
            number: Some("BTM-20261125-0007".into()),
            status: "verified".into(),
            category: "fire".into(),
            priority: "p1".into(),
            location: LonLat {
                lon: 104.0,
                lat: 1.1,
            },
            address: Some("Jl. Raja Ali Haji".into()),
            region_code: Some("21.71".into()),
            victims: EventVictims {
                count: 2,
                condition: "serious".into(),
            },
            agency_ids: vec!["damkar".into()],
            subcategory: None,
            description: Some("kebakaran gudang".into()),
            created_at: Some(1),
            updated_at: Some(2),
            agencies: None,
            live: None,
        }
    }

    #[test]
    fn a_rejection_is_told_with_its_reason_and_agency_without_the_summary() {
        // Built from its wire form, so fields added to the payload later need no change here.
        let mut payload = serde_json::to_value(summary()).unwrap();
        payload["agency_id"] = "damkar".into();
        payload["decision"] = "rejected".into();
        payload["reason"] = "bukan wilayah kami".into();
        let e = DomainEvent::IncidentUpdated(
            serde_json::from_value::<IncidentUpdated>(payload).unwrap(),
        );
        let d = e.timeline_entry().unwrap();
        assert_eq!(d.kind, "incident.updated");
        assert_eq!(d.subject, TimelineSubject::Incident("i1".into()));
        assert_eq!(d.text.as_deref(), Some("bukan wilayah kami"));
        assert_eq!(d.detail["decision"], "rejected");
        assert_eq!(d.detail["agency_id"], "damkar");
        assert_eq!(d.detail["status"], "verified");
        assert!(d.detail.get("description").is_none());
        assert!(d.detail.get("location").is_none());
    }

    #[test]
    fn an_escalation_names_the_agencies_it_added_and_the_note() {
        let mut payload = serde_json::to_value(summary()).unwrap();
        payload["escalated_to"] = serde_json::json!(["polres"]);
        payload["note"] = "ada korban terjepit".into();
        let e = DomainEvent::IncidentEscalated(
            serde_json::from_value::<IncidentEscalated>(payload).unwrap(),
        );
        let d = e.timeline_entry().unwrap();
        assert_eq!(d.kind, "incident.escalated");
        assert_eq!(d.detail["escalated_to"][0], "polres");
        assert_eq!(d.text.as_deref(), Some("ada korban terjepit"));
    }

    #[test]
    fn an_assignment_step_is_told_by_its_crew_with_both_statuses() {
        let e = DomainEvent::AssignmentStatus(
            serde_json::from_value::<AssignmentStatusChanged>(serde_json::json!({
                "assignment_id": "a1", "incident_id": "i1", "incident_number": "BTM-20261125-0007",
                "unit_id": "u1", "agency_id": "damkar", "status": "en_route", "from": "acknowledged",
                "reason": null, "note": null, "by": "user-9", "reported_via": "radio",
            }))
            .unwrap(),
        );
        let d = e.timeline_entry().unwrap();
        assert_eq!(d.subject, TimelineSubject::Incident("i1".into()));
        assert_eq!(d.actor_id.as_deref(), Some("user-9"));
        assert_eq!(d.unit_id.as_deref(), Some("u1"));
        assert_eq!(
            (d.detail["from"].as_str(), d.detail["status"].as_str()),
            (Some("acknowledged"), Some("en_route"))
        );
        assert_eq!(d.detail["reported_via"], "radio");
    }

    #[test]
    fn breaches_of_incident_and_assignment_clocks_are_told_and_a_calls_is_not() {
        let breach = |subject_type: &str| {
            DomainEvent::SlaBreach(SlaBreached {
                clock_id: "c1".into(),
                subject_type: subject_type.into(),
                subject_id: "s1".into(),
                kind: "acknowledge".into(),
                agency_id: None,
                started_at: 1,
                target_ms: 60_000,
                due_at: 60_001,
                detected_at: 60_002,
            })
        };
        let d = breach("assignment").timeline_entry().unwrap();
        assert_eq!(d.subject, TimelineSubject::Clock("c1".into()));
        assert_eq!(d.detail["sla_kind"], "acknowledge");
        assert!(breach("incident").timeline_entry().is_some());
        assert!(breach("call").timeline_entry().is_none());
    }

    #[test]
    fn unit_events_are_no_incidents_story() {
        let e = DomainEvent::UnitStatus(UnitStatusChanged {
            unit_id: "u1".into(),
            status: "available".into(),
            call_sign: None,
            from: None,
            by: None,
        });
        assert!(e.timeline_entry().is_none());
    }

    #[test]
    fn an_incident_event_added_later_is_told_from_its_payload() {
        let payload = serde_json::json!({
            "incident_id": "i1", "status": "cancelled", "category": "fire", "reason": "false_alarm",
            "location": {"lon": 1.0, "lat": 2.0}, "changes": {"priority": {"from": "p2", "to": "p1"}},
        });
        let d = generic(EventKind::IncidentUpdated, &payload).unwrap();
        assert_eq!(d.text.as_deref(), Some("false_alarm"));
        assert_eq!(d.detail["changes"]["priority"]["to"], "p1");
        assert!(d.detail.get("location").is_none());
        assert!(
            generic(
                EventKind::IncidentUpdated,
                &serde_json::json!({"label": "x"})
            )
            .is_none()
        );
    }
}
