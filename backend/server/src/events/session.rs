//! Internal log entries: facts every instance's live feed acts on in log order, and no client ever receives.
//!
//! `session.revoked` names the sessions (their token hashes) that a logout, a force logout, a disabled
//! account or a password reset ended. The store writes it in the transaction that revokes them, so the feed
//! of whichever instance holds a websocket of such a session closes it before any later event can reach it,
//! on every instance sharing the database (`live::hub`).

use super::Reach;
use crate::store::NewEvent;
use serde::{Deserialize, Serialize};

/// The log's `event_type` of [`SessionsRevoked`].
const SESSIONS_REVOKED: &str = "session.revoked";

/// Sessions ended at once (their websockets must close).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionsRevoked {
    /// SHA-256 of each revoked token, as `sessions.token_hash` holds it (never the token itself).
    pub sessions: Vec<String>,
}

impl SessionsRevoked {
    /// The log row: internal, so visible to no audience ([`is_internal`]); its reach names no one either.
    pub fn row(sessions: &[String]) -> NewEvent {
        let note = SessionsRevoked {
            sessions: sessions.to_vec(),
        };
        NewEvent {
            event_type: SESSIONS_REVOKED.to_owned(),
            agency_ids: Reach::desk(None).agency_ids,
            unit_id: None,
            region_code: None,
            payload: serde_json::to_value(note).unwrap_or_else(|_| serde_json::json!({})),
            incident_state: None,
            timeline: None,
        }
    }

    /// Reads a stored row back; `None` for any other type or a payload that does not fit.
    pub fn from_stored(event_type: &str, payload: Option<&serde_json::Value>) -> Option<Self> {
        if event_type != SESSIONS_REVOKED {
            return None;
        }
        serde_json::from_value(payload?.clone()).ok()
    }
}

/// Whether a log type is internal: never sent to any client, on the live stream or in a replay.
pub fn is_internal(event_type: &str) -> bool {
    event_type == SESSIONS_REVOKED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revocation_reads_back_and_is_internal() {
        let row = SessionsRevoked::row(&["ab".into(), "cd".into()]);
        assert!(is_internal(&row.event_type));
        assert!(super::super::EventKind::parse(&row.event_type).is_none());
        let back = SessionsRevoked::from_stored(&row.event_type, Some(&row.payload)).unwrap();
        assert_eq!(back.sessions, ["ab", "cd"]);
        assert!(SessionsRevoked::from_stored("incident.updated", Some(&row.payload)).is_none());
    }
}
