//! What travels to clients: the event vocabulary, the frames of the wire protocol, and who may see what.
//!
//! A domain event is a row of the durable log (`store::EventRow`) sent as one JSON text frame
//! `{ "seq", "at", "type", …payload }`; its text is rendered once per event and shared by every recipient.
//! Control frames (`hello`, `resync_required`, `position_ack`, `error`) carry no log position of their own.
//! `docs/events.schema.json` documents every frame; a test checks it names every [`EventKind`].

use crate::api::extract::Actor;
use crate::api::region_contains;
use crate::store::EventRow;
use axum::extract::ws::Utf8Bytes;
use serde::Serialize;
use siaga_core::role::Role;

/// The domain event types written to the log, as their dotted `type` string.
///
/// Producers write these strings in `NewEvent::event_type`. The stream passes unknown types through
/// unchanged (a newer producer must not break an older instance), but every type a client relies on is
/// listed here and in the JSON schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A call is ringing at the centre (no caller personal data: the number is masked).
    CallCreated,
    /// A call was answered, classified, ended or got its AML fix.
    CallUpdated,
    /// A call on a tiered line was offered to a regional team or handed (back) to the central team.
    CallRouted,
    /// A regional team member took a call offered to the team.
    CallTaken,
    /// A caller was enrolled in a line's follow-up programme.
    CallFollowUpScheduled,
    /// The outcome of a follow-up call was recorded.
    CallFollowUpRecorded,
    /// An incident was filed.
    IncidentCreated,
    /// An incident's fields changed.
    IncidentUpdated,
    /// An incident was escalated to one or more agencies (OPD).
    IncidentEscalated,
    /// An incident was closed.
    IncidentClosed,
    /// A unit was assigned to an incident.
    AssignmentCreated,
    /// An assignment moved (acknowledged, en route, on scene, …).
    AssignmentStatus,
    /// A unit was added to an agency's fleet.
    UnitCreated,
    /// A unit's status changed.
    UnitStatus,
    /// A unit moved (coalesced: at most one per unit per `live.position_event_interval_ms`).
    UnitPosition,
    /// An SLA clock passed its target.
    SlaBreach,
    /// A call taker's or dispatcher's agent state changed (ready, on call, aux, …).
    AgentState,
}

impl EventKind {
    /// Every kind, in a stable order.
    pub const ALL: [EventKind; 17] = [
        EventKind::CallCreated,
        EventKind::CallUpdated,
        EventKind::CallRouted,
        EventKind::CallTaken,
        EventKind::CallFollowUpScheduled,
        EventKind::CallFollowUpRecorded,
        EventKind::IncidentCreated,
        EventKind::IncidentUpdated,
        EventKind::IncidentEscalated,
        EventKind::IncidentClosed,
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
            EventKind::IncidentCreated => "incident.created",
            EventKind::IncidentUpdated => "incident.updated",
            EventKind::IncidentEscalated => "incident.escalated",
            EventKind::IncidentClosed => "incident.closed",
            EventKind::AssignmentCreated => "assignment.created",
            EventKind::AssignmentStatus => "assignment.status",
            EventKind::UnitCreated => "unit.created",
            EventKind::UnitStatus => "unit.status",
            EventKind::UnitPosition => "unit.position",
            EventKind::SlaBreach => "sla.breach",
            EventKind::AgentState => "agent.state",
        }
    }
}

/// Payload of a `unit.position` event.
#[derive(Debug, Clone, Serialize)]
pub struct UnitPositionPayload {
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

/// A log event ready to fan out: its audience, and its frame text rendered once.
#[derive(Debug)]
pub struct PreparedEvent {
    /// Position in the log.
    pub seq: i64,
    /// The dotted type.
    pub event_type: String,
    /// Agencies whose dispatchers may see it: `None` = every agency; an empty list = none.
    pub agency_ids: Option<Vec<String>>,
    /// The unit whose responder sees it.
    pub unit_id: Option<String>,
    /// The subject's region; `None` = visible to every region scope.
    pub region_code: Option<String>,
    /// The JSON frame `{seq, at, type, …payload}`.
    pub text: Utf8Bytes,
}

impl PreparedEvent {
    /// Renders a stored event. A payload that is not a JSON object is carried under `payload`, so a bad row
    /// is still delivered in order rather than silently skipped.
    pub fn from_row(row: EventRow) -> PreparedEvent {
        let parsed = serde_json::from_str(&row.payload).ok();
        PreparedEvent::from_parsed(row, parsed)
    }

    /// [`PreparedEvent::from_row`] for a row whose payload the caller parsed already (`None`: not JSON).
    pub fn from_parsed(row: EventRow, parsed: Option<serde_json::Value>) -> PreparedEvent {
        let mut frame = serde_json::Map::new();
        frame.insert("seq".into(), row.seq.into());
        frame.insert("at".into(), row.at.into());
        frame.insert("type".into(), row.event_type.clone().into());
        match parsed {
            Some(serde_json::Value::Object(payload)) => {
                for (k, v) in payload {
                    // The envelope fields win: a payload cannot forge its own position in the log.
                    frame.entry(k).or_insert(v);
                }
            }
            Some(other) => {
                frame.insert("payload".into(), other);
            }
            None => {
                frame.insert("payload".into(), row.payload.into());
            }
        }
        let agency_ids = row.agency_ids.map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        });
        PreparedEvent {
            seq: row.seq,
            event_type: row.event_type,
            agency_ids,
            unit_id: row.unit_id,
            region_code: row.region_code,
            text: serde_json::Value::Object(frame).to_string().into(),
        }
    }
}

/// Who a connected client is, reduced to what decides which events it may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Supervisors and admins: everything inside their region scope.
    Overseer {
        /// `users.region_code`; `None` = every region.
        region: Option<String>,
    },
    /// Call takers: `call.*` and `incident.*` events inside their region scope.
    CallTaker {
        /// `users.region_code`; `None` = every region.
        region: Option<String>,
    },
    /// Dispatchers: events whose `agency_ids` is NULL or lists their agency.
    Dispatcher {
        /// The dispatcher's agency; empty when the account has none (then it sees only NULL-agency events).
        agency_id: String,
    },
    /// Responders: only events whose `unit_id` is their unit.
    Responder {
        /// The responder's unit; `None` = sees nothing.
        unit_id: Option<String>,
    },
}

impl Audience {
    /// The audience of an authenticated user.
    pub fn of(actor: &Actor) -> Audience {
        let region = actor.user.region_code.clone();
        match actor.role {
            Role::Supervisor | Role::Admin => Audience::Overseer { region },
            Role::CallTaker => Audience::CallTaker { region },
            Role::Dispatcher => Audience::Dispatcher {
                agency_id: actor.user.agency_id.clone().unwrap_or_default(),
            },
            Role::Responder => Audience::Responder {
                unit_id: actor.user.unit_id.clone(),
            },
            // A gateway registers calls; it has no screen to keep current.
            Role::Integration => Audience::Responder { unit_id: None },
        }
    }

    /// Whether this audience may receive `event`.
    pub fn allows(&self, event: &PreparedEvent) -> bool {
        match self {
            Audience::Overseer { region } => region_allows(region.as_deref(), event),
            Audience::CallTaker { region } => {
                (event.event_type.starts_with("call.") || event.event_type.starts_with("incident."))
                    && region_allows(region.as_deref(), event)
            }
            Audience::Dispatcher { agency_id } => match &event.agency_ids {
                None => true,
                Some(ids) => !agency_id.is_empty() && ids.iter().any(|id| id == agency_id),
            },
            Audience::Responder { unit_id } => {
                unit_id.is_some() && event.unit_id.as_deref() == unit_id.as_deref()
            }
        }
    }
}

fn region_allows(scope: Option<&str>, event: &PreparedEvent) -> bool {
    match (scope, event.region_code.as_deref()) {
        (None, _) | (_, None) => true,
        (Some(scope), Some(code)) => region_contains(scope, code),
    }
}

/// The user a connection belongs to, as `hello` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct HelloUser {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub agency_id: Option<String>,
    pub unit_id: Option<String>,
    pub region_code: Option<String>,
}

/// Frames the server sends that are not log events.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ControlFrame {
    /// First frame of every connection. Every log event after it has `seq` greater than this `seq`, in
    /// increasing order.
    Hello {
        /// Where the stream starts: `resume_from` when resuming, otherwise the current head.
        seq: i64,
        /// Server time (ms).
        at: i64,
        user: HelloUser,
        role: Role,
        /// Whether missed events are replayed before the live stream.
        resumed: bool,
    },
    /// The requested `resume_from` cannot be served (older than the oldest kept event, or unknown): reload a
    /// snapshot over HTTP. The live stream continues after `seq`.
    ResyncRequired {
        /// Events after this one follow on this connection.
        seq: i64,
        at: i64,
        /// What the client asked for.
        requested: i64,
        /// The oldest event still kept (0 when the log is empty).
        oldest_seq: i64,
        reason: String,
    },
    /// A position sent over the socket was accepted.
    PositionAck {
        at: i64,
        unit_id: String,
        /// The fix's own time, echoed.
        position_at: i64,
        /// The client's correlation value, echoed when given.
        #[serde(skip_serializing_if = "Option::is_none")]
        r#ref: Option<serde_json::Value>,
    },
    /// A client message was refused; the connection stays open.
    Error {
        at: i64,
        /// Stable code, as in HTTP error bodies (`invalid_json`, `validation_failed`, `forbidden`, …).
        code: crate::api::error::ErrorCode,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        r#ref: Option<serde_json::Value>,
    },
}

impl ControlFrame {
    /// The frame as JSON text.
    pub fn to_text(&self) -> Utf8Bytes {
        // Serialising these plain structs cannot fail; an empty object is a harmless fallback.
        serde_json::to_string(self)
            .unwrap_or_else(|_| "{}".to_owned())
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(
        event_type: &str,
        agency_ids: Option<&str>,
        unit_id: Option<&str>,
        region: Option<&str>,
    ) -> PreparedEvent {
        PreparedEvent::from_row(EventRow {
            seq: 7,
            at: 1,
            event_type: event_type.into(),
            agency_ids: agency_ids.map(Into::into),
            unit_id: unit_id.map(Into::into),
            region_code: region.map(Into::into),
            payload: r#"{"incident_id":"i1","seq":999}"#.into(),
        })
    }

    #[test]
    fn frames_carry_envelope_and_payload_and_the_envelope_wins() {
        let e = event("incident.created", None, None, None);
        let v: serde_json::Value = serde_json::from_str(e.text.as_str()).unwrap();
        assert_eq!(v["seq"], 7);
        assert_eq!(v["type"], "incident.created");
        assert_eq!(v["incident_id"], "i1");
    }

    #[test]
    fn dispatchers_see_null_or_listed_agencies_only() {
        let d = Audience::Dispatcher {
            agency_id: "damkar".into(),
        };
        assert!(d.allows(&event("incident.created", None, None, None)));
        assert!(d.allows(&event(
            "incident.created",
            Some("polres,damkar"),
            None,
            None
        )));
        assert!(!d.allows(&event("incident.created", Some("polres"), None, None)));
        assert!(!d.allows(&event("incident.created", Some(""), None, None)));
        let none = Audience::Dispatcher {
            agency_id: String::new(),
        };
        assert!(!none.allows(&event("incident.created", Some(""), None, None)));
    }

    #[test]
    fn responders_see_only_their_units_events() {
        let r = Audience::Responder {
            unit_id: Some("u1".into()),
        };
        assert!(r.allows(&event("assignment.created", Some("x"), Some("u1"), None)));
        assert!(!r.allows(&event("assignment.created", None, Some("u2"), None)));
        assert!(!r.allows(&event("incident.created", None, None, None)));
        let unbound = Audience::Responder { unit_id: None };
        assert!(!unbound.allows(&event("incident.created", None, None, None)));
    }

    #[test]
    fn region_scopes_are_hierarchical_and_call_takers_skip_units() {
        let s = Audience::Overseer {
            region: Some("21.71".into()),
        };
        assert!(s.allows(&event("unit.position", Some("a"), Some("u"), None)));
        assert!(s.allows(&event("sla.breach", None, None, Some("21.71.01"))));
        assert!(!s.allows(&event("sla.breach", None, None, Some("31.71"))));
        let c = Audience::CallTaker { region: None };
        assert!(c.allows(&event("call.arriving", None, None, Some("31.71"))));
        assert!(c.allows(&event("incident.closed", Some(""), None, None)));
        assert!(!c.allows(&event("unit.position", None, Some("u"), None)));
        assert!(!c.allows(&event("sla.breach", None, None, None)));
    }

    #[test]
    fn the_schema_file_names_every_event_kind() {
        let schema = include_str!("../../../../docs/events.schema.json");
        let v: serde_json::Value = serde_json::from_str(schema).unwrap();
        let text = v.to_string();
        for kind in EventKind::ALL {
            assert!(
                text.contains(&format!("\"{}\"", kind.as_str())),
                "docs/events.schema.json lacks {}",
                kind.as_str()
            );
        }
        for control in [
            "hello",
            "resync_required",
            "position_ack",
            "error",
            "position",
        ] {
            assert!(
                text.contains(&format!("\"{control}\"")),
                "schema lacks {control}"
            );
        }
    }
}
