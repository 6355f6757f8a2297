//! An incident's timeline (`incident_timeline`): the durable, ordered story of an incident that outlives the
//! pruned event log.
//!
//! Entries are written only by [`Store::commit`], in the transaction of the change they tell: each event of a
//! `ChangeSet` that concerns an incident carries its [`TimelineDraft`] (derived from the typed event in
//! `events::timeline`), and services add drafts of their own for what has no event (a note, an SLA clock started
//! or stopped). A draft names its incident directly or through the assignment or SLA clock it is about; the
//! insert resolves that in SQL and writes nothing when there is no incident (a call's clock) or the subject was
//! not written (a clock that was running already). Entries are ordered by `(at, seq)`.

use super::changes::Stmt;
use super::{Store, StoreError, StoreResult, on_db};

/// What a timeline entry is about, as the insert finds its incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimelineSubject {
    /// The incident itself.
    Incident(String),
    /// An assignment of the incident (its `incident_id`).
    Assignment(String),
    /// An SLA clock on the incident or one of its assignments, written in this change (a clock started: no
    /// entry when the clock already ran and this change's insert did nothing).
    ClockStarted(String),
    /// An SLA clock this change stopped (no entry when another change stopped it first).
    ClockStopped(String),
    /// An SLA clock of an incident or assignment (a breach).
    Clock(String),
}

/// A timeline entry to write with a change. The actor, when not named, is the change's (its first audit entry
/// with an actor); a change without one (the SLA runner) is the system's.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineDraft {
    /// The entry's id (UUID v7).
    pub id: String,
    /// Which incident, directly or through its subject.
    pub subject: TimelineSubject,
    /// `note`, an event type (`incident.created`, `assignment.status`, `sla.breach`, …), or `sla.started` /
    /// `sla.stopped`.
    pub kind: String,
    /// The user who made the change, when the event names one.
    pub actor_id: Option<String>,
    /// The unit concerned (an assignment's, a crew note's).
    pub unit_id: Option<String>,
    /// A person's words: a note, a reason, a dispatcher's note to the crew.
    pub text: Option<String>,
    /// What the kind needs beyond the text (statuses, agencies, the clock's kind and target).
    pub detail: serde_json::Value,
    /// A note's client-generated id (unique per incident).
    pub client_ref: Option<String>,
    /// When it happened, when not the change's time (a note typed offline earlier).
    pub at: Option<i64>,
}

impl TimelineDraft {
    /// A draft about `subject` of `kind`, with no actor, text or detail yet.
    pub fn new(subject: TimelineSubject, kind: impl Into<String>) -> TimelineDraft {
        TimelineDraft {
            id: uuid::Uuid::now_v7().to_string(),
            subject,
            kind: kind.into(),
            actor_id: None,
            unit_id: None,
            text: None,
            detail: serde_json::Value::Object(serde_json::Map::new()),
            client_ref: None,
            at: None,
        }
    }
}

/// The change's actor: `(id, role)`.
pub(in crate::store) type ChangeActor<'a> = Option<(&'a str, Option<&'a str>)>;

/// The insert of `d` at the change's time `at`, its actor completed from the change's `actor`.
pub(in crate::store) fn insert(d: &TimelineDraft, at: i64, actor: ChangeActor<'_>) -> Stmt {
    let from = match &d.subject {
        TimelineSubject::Incident(_) => {
            "SELECT i.id AS incident_id FROM incidents i WHERE i.id = $2"
        }
        TimelineSubject::Assignment(_) => {
            "SELECT a.incident_id AS incident_id FROM assignments a WHERE a.id = $2"
        }
        TimelineSubject::ClockStarted(_) | TimelineSubject::Clock(_) => CLOCK_INCIDENT,
        TimelineSubject::ClockStopped(_) => CLOCK_STOPPED_INCIDENT,
    };
    let subject_id = match &d.subject {
        TimelineSubject::Incident(id)
        | TimelineSubject::Assignment(id)
        | TimelineSubject::ClockStarted(id)
        | TimelineSubject::ClockStopped(id)
        | TimelineSubject::Clock(id) => id.clone(),
    };
    let (actor_id, actor_role) = match (&d.actor_id, actor) {
        (None, Some((id, role))) => (Some(id.to_owned()), role.map(str::to_owned)),
        (Some(named), Some((id, role))) if named == id => {
            (Some(named.clone()), role.map(str::to_owned))
        }
        (named, _) => (named.clone(), None),
    };
    Stmt::new(format!(
        "INSERT INTO incident_timeline \
         (id, incident_id, at, kind, actor_id, actor_role, unit_id, text, detail, client_ref) \
         SELECT $1, s.incident_id, $3, $4, $5, $6, $7, $8, $9, $10 FROM ({from}) s \
         WHERE s.incident_id IS NOT NULL"
    ))
    .text(d.id.clone())
    .text(subject_id)
    .int(d.at.unwrap_or(at))
    .text(d.kind.clone())
    .opt_text(actor_id)
    .opt_text(actor_role)
    .opt_text(d.unit_id.clone())
    .opt_text(d.text.clone())
    .text(d.detail.to_string())
    .opt_text(d.client_ref.clone())
}

/// The incident of a clock on an incident or on one of its assignments (none for a call's clock).
const CLOCK_INCIDENT: &str = "SELECT CASE WHEN c.subject_type = 'incident' THEN c.subject_id \
     ELSE a.incident_id END AS incident_id FROM sla_clocks c \
     LEFT JOIN assignments a ON c.subject_type = 'assignment' AND a.id = c.subject_id \
     WHERE c.id = $2 AND c.subject_type IN ('incident', 'assignment')";

/// [`CLOCK_INCIDENT`] of a clock this change stopped (its `stopped_at` is the change's time).
const CLOCK_STOPPED_INCIDENT: &str = "SELECT CASE WHEN c.subject_type = 'incident' THEN c.subject_id \
     ELSE a.incident_id END AS incident_id FROM sla_clocks c \
     LEFT JOIN assignments a ON c.subject_type = 'assignment' AND a.id = c.subject_id \
     WHERE c.id = $2 AND c.subject_type IN ('incident', 'assignment') AND c.stopped_at = $3";

/// A stored timeline entry, with its actor's display name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TimelineRow {
    pub seq: i64,
    pub id: String,
    pub incident_id: String,
    pub at: i64,
    pub kind: String,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub actor_name: Option<String>,
    pub unit_id: Option<String>,
    pub call_sign: Option<String>,
    pub text: Option<String>,
    pub detail: Option<String>,
    pub client_ref: Option<String>,
}

const COLUMNS: &str = "t.seq, t.id, t.incident_id, t.at, t.kind, t.actor_id, t.actor_role, \
     u.display_name AS actor_name, t.unit_id, un.call_sign AS call_sign, t.text, t.detail, t.client_ref \
     FROM incident_timeline t LEFT JOIN users u ON u.id = t.actor_id LEFT JOIN units un ON un.id = t.unit_id";

impl Store {
    /// An incident's timeline, oldest first (`at`, then the order of writing).
    pub async fn incident_timeline(&self, incident_id: &str) -> StoreResult<Vec<TimelineRow>> {
        let sql = format!("SELECT {COLUMNS} WHERE t.incident_id = $1 ORDER BY t.at, t.seq");
        Ok(on_db!(self, p => sqlx::query_as::<_, TimelineRow>(&sql)
            .bind(incident_id).fetch_all(p).await)?)
    }

    /// One timeline entry by id.
    pub async fn timeline_entry(&self, id: &str) -> StoreResult<TimelineRow> {
        let sql = format!("SELECT {COLUMNS} WHERE t.id = $1");
        on_db!(self, p => sqlx::query_as::<_, TimelineRow>(&sql).bind(id).fetch_optional(p).await)?
            .ok_or(StoreError::NotFound)
    }

    /// The note an incident's timeline holds under a client's reference, if any.
    pub async fn timeline_note_by_ref(
        &self,
        incident_id: &str,
        client_ref: &str,
    ) -> StoreResult<Option<TimelineRow>> {
        let sql = format!("SELECT {COLUMNS} WHERE t.incident_id = $1 AND t.client_ref = $2");
        Ok(on_db!(self, p => sqlx::query_as::<_, TimelineRow>(&sql)
            .bind(incident_id).bind(client_ref).fetch_optional(p).await)?)
    }
}
