//! What travels to clients: the event vocabulary, the frames of the wire protocol, and who may see what.
//!
//! A domain event is a row of the durable log (`store::EventRow`) sent as one JSON text frame
//! `{ "seq", "at", "type", …payload }`; its text is rendered once per event and shared by every recipient.
//! Control frames (`hello`, `resync_required`, `position_ack`, `error`) carry no log position of their own.
//! The domain events themselves and who may see them are `crate::events`.

use crate::events::Reach;
use crate::events::session::SessionsRevoked;
use crate::store::EventRow;
use axum::extract::ws::Utf8Bytes;
use serde::Serialize;
use siaga_core::role::Role;

pub use crate::events::Audience;

/// A log event ready to fan out: its audience, and its frame text rendered once.
#[derive(Debug)]
pub struct PreparedEvent {
    /// Position in the log.
    pub seq: i64,
    /// The dotted type.
    pub event_type: String,
    /// Who may see it.
    pub reach: Reach,
    /// The JSON frame `{seq, at, type, …payload}`.
    pub text: Utf8Bytes,
    /// The sessions (token hashes) an internal `session.revoked` entry ends; empty for every other event.
    pub revoked_sessions: Vec<String>,
}

impl PreparedEvent {
    /// Whether a client of `audience` may receive this event.
    pub fn visible_to(&self, audience: &Audience) -> bool {
        audience.allows(&self.event_type, &self.reach)
    }

    /// Whether this entry ends the session with this token hash (its websocket must close).
    pub fn revokes(&self, token_hash: &str) -> bool {
        self.revoked_sessions.iter().any(|s| s == token_hash)
    }

    /// Renders a stored event. A payload that is not a JSON object is carried under `payload`, so a bad row
    /// is still delivered in order rather than silently skipped.
    pub fn from_row(row: EventRow) -> PreparedEvent {
        let parsed = serde_json::from_str(&row.payload).ok();
        PreparedEvent::from_parsed(row, parsed)
    }

    /// [`PreparedEvent::from_row`] for a row whose payload the caller parsed already (`None`: not JSON).
    pub fn from_parsed(row: EventRow, parsed: Option<serde_json::Value>) -> PreparedEvent {
        let revoked_sessions = SessionsRevoked::from_stored(&row.event_type, parsed.as_ref())
            .map(|r| r.sessions)
            .unwrap_or_default();
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
            reach: Reach {
                agency_ids,
                unit_id: row.unit_id,
                region_code: row.region_code,
            },
            text: serde_json::Value::Object(frame).to_string().into(),
            revoked_sessions,
        }
    }
}

/// The fields every domain event frame carries beside its payload.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EventEnvelope {
    /// Position in the log: strictly increasing on a connection, possibly with gaps (events the user may not
    /// see are skipped).
    pub seq: i64,
    /// When the change was committed (ms since the epoch).
    pub at: i64,
}

/// Client to server: a GPS fix of the responder's own unit (an admin names `unit_id`). Answered with
/// `position_ack` or `error`. Parsed by `live::socket::parse_client_frame`; this type documents it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientPositionFrame {
    /// Always `position`.
    #[schema(pattern = "^position$")]
    pub r#type: String,
    /// The unit the fix is for; the sender's own unit when absent.
    pub unit_id: Option<String>,
    #[serde(flatten)]
    pub fix: crate::live::position::PositionFix,
    /// Any value; echoed in the answer.
    #[schema(value_type = Option<Object>)]
    pub r#ref: Option<serde_json::Value>,
}

/// The user a connection belongs to, as `hello` shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HelloUser {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub agency_id: Option<String>,
    pub unit_id: Option<String>,
    pub region_code: Option<String>,
}

/// Frames the server sends that are not log events.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
        #[schema(value_type = Option<Object>)]
        r#ref: Option<serde_json::Value>,
    },
    /// A client message was refused; the connection stays open.
    Error {
        at: i64,
        /// Stable code, as in HTTP error bodies (`invalid_json`, `validation_failed`, `forbidden`, …).
        code: crate::error::ErrorCode,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Option<Object>)]
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
}
