//! An incident's timeline: reading it, and adding a note.
//!
//! The entries other than notes are written by the changes themselves (each event that concerns an incident
//! tells its entry, `events::timeline`; SLA clocks started and stopped add theirs in `common`), so this module
//! holds no list of commands. A note is written by anyone who may see the incident and act on it (call takers
//! and supervisors of its region, dispatchers of an OPD taking part, responders of an assigned unit); admins
//! and gateways read or write nothing here beyond what `GET /incidents/{id}` lets them.
//!
//! Offline safety: a note may carry a client-generated `client_ref`, unique per incident; re-sending it returns
//! the stored note (`created == false`) instead of a second one, also when two copies race (the unique index
//! decides, the loser reads the winner's). The request's `Idempotency-Key`, when it has one, names the note as
//! the change's subject, so a retry whose response was lost is answered with the note too.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::events::incident::{IncidentNoteAdded, TimelineEntry};
use crate::events::{DomainEvent, Reach, timeline};
use crate::limits::{ShortText, TimelineNote};
use crate::service::common;
use crate::service::incidents::{agency_ids, check_visible, incident_audience, load};
use crate::state::AppState;
use crate::store::{ChangeSet, StoreError, TimelineDraft, TimelineRow, TimelineSubject};
use serde::Deserialize;
use siaga_core::role::Role;

/// The subject type an audit entry (and so an `Idempotency-Key`) names a note by.
pub const SUBJECT: &str = "timeline_entry";

/// A note for an incident's timeline.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    /// What the writer learnt ("korban kedua ditemukan", "jalan ditutup, memutar").
    pub text: TimelineNote,
    /// A client-generated id of the note (a phone's outbox id): the same `client_ref` on the same incident
    /// is stored once.
    pub client_ref: Option<ShortText>,
    /// When the note was written (ms), if earlier than it is sent (typed offline); not before the incident was
    /// filed, and a time ahead of the server's clock is taken as now.
    pub at: Option<i64>,
}

/// How far ahead of the server's clock a phone's clock may be before its note's time is refused (ms).
const CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// An entry as the API shows it.
pub fn view(r: TimelineRow) -> TimelineEntry {
    let detail = r
        .detail
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_else(|| serde_json::Value::Object(serde_json::Map::new()));
    TimelineEntry {
        id: r.id,
        incident_id: r.incident_id,
        seq: r.seq,
        at: r.at,
        kind: r.kind,
        actor_id: r.actor_id,
        actor_role: r.actor_role,
        actor_name: r.actor_name,
        unit_id: r.unit_id,
        call_sign: r.call_sign,
        text: r.text,
        detail,
        client_ref: r.client_ref,
    }
}

/// The incident's timeline, oldest first, for whoever may see the incident.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    incident_id: &str,
) -> ApiResult<Vec<TimelineEntry>> {
    let incident = load(state, incident_id).await?;
    let agencies = state.store.incident_agencies(incident_id).await?;
    check_visible(state, actor, &incident, &agencies).await?;
    Ok(state
        .store
        .incident_timeline(incident_id)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

/// One note by id, for whoever may see its incident (an idempotent retry's answer).
pub async fn get(state: &AppState, actor: &Actor, id: &str) -> ApiResult<TimelineEntry> {
    let row = state.store.timeline_entry(id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("timeline entry"),
        other => other.into(),
    })?;
    let incident = load(state, &row.incident_id).await?;
    let agencies = state.store.incident_agencies(&row.incident_id).await?;
    check_visible(state, actor, &incident, &agencies).await?;
    Ok(view(row))
}

/// Adds a note to the incident's timeline; `created` is false when the note's `client_ref` was stored before
/// (the stored note is returned).
pub async fn add_note(
    state: &AppState,
    actor: &Actor,
    incident_id: &str,
    req: NoteRequest,
) -> ApiResult<(TimelineEntry, bool)> {
    if matches!(actor.role, Role::Admin | Role::Integration) {
        return Err(ApiError::forbidden(
            "notes are written by call takers, dispatchers, crews and supervisors",
        ));
    }
    let text = req.text.trim();
    if text.is_empty() {
        return Err(ApiError::validation("text", "write the note"));
    }
    let client_ref = req
        .client_ref
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let incident = load(state, incident_id).await?;
    let agencies = state.store.incident_agencies(incident_id).await?;
    check_visible(state, actor, &incident, &agencies).await?;
    if let Some(r) = client_ref
        && let Some(stored) = state.store.timeline_note_by_ref(incident_id, r).await?
    {
        return Ok((view(stored), false));
    }
    let now = state.now_ms();
    let at = match req.at {
        None => now,
        Some(at) if at < incident.created_at || at > now.saturating_add(CLOCK_SKEW_MS) => {
            return Err(ApiError::validation(
                "at",
                "a note's time lies between the incident's filing and now",
            ));
        }
        Some(at) => at.min(now),
    };
    let unit_id = match actor.role {
        Role::Responder => actor.user.unit_id.clone(),
        _ => None,
    };
    let mut draft = TimelineDraft::new(
        TimelineSubject::Incident(incident_id.to_owned()),
        timeline::NOTE,
    );
    draft.actor_id = Some(actor.user.id.clone());
    draft.unit_id = unit_id.clone();
    draft.text = Some(text.to_owned());
    draft.client_ref = client_ref.map(str::to_owned);
    draft.at = Some(at);
    let id = draft.id.clone();

    let mut set = ChangeSet::new(now);
    set.timeline(draft);
    set.audit(common::audit(
        actor,
        now,
        "incident.note",
        SUBJECT,
        &id,
        None,
        Some(serde_json::json!({ "incident_id": incident_id, "unit_id": unit_id })),
    ));
    // The event carries the entry as the commit stores it: every field is decided here except the order of
    // writing, which the table assigns; the event says `seq` 0 and a screen orders by `at` (then `seq` once
    // it reloads), so the event can be appended in the note's own transaction.
    let entry = TimelineEntry {
        id: id.clone(),
        incident_id: incident_id.to_owned(),
        seq: 0,
        at,
        kind: timeline::NOTE.into(),
        actor_id: Some(actor.user.id.clone()),
        actor_role: Some(actor.role.to_string()),
        actor_name: Some(actor.user.display_name.clone()),
        unit_id: unit_id.clone(),
        call_sign: None,
        text: Some(text.to_owned()),
        detail: serde_json::Value::Object(serde_json::Map::new()),
        client_ref: client_ref.map(str::to_owned),
    };
    let event = |reach: &Reach| {
        DomainEvent::IncidentNoteAdded(IncidentNoteAdded {
            incident_id: incident_id.to_owned(),
            entry: entry.clone(),
        })
        .to(reach)
    };
    // The incident's audience, and the responders of every unit assigned to it (a reach names one unit, so
    // each assigned unit gets its own copy; screens de-duplicate by the entry's id).
    let audience = incident_audience(&incident, &agency_ids(&agencies));
    set.event(event(&audience));
    let mut units: Vec<String> = state
        .store
        .incident_assignments(incident_id)
        .await?
        .into_iter()
        .map(|a| a.unit_id)
        .collect();
    units.sort_unstable();
    units.dedup();
    for unit in units {
        set.event(event(&Reach {
            agency_ids: Some(Vec::new()),
            unit_id: Some(unit),
            region_code: incident.region_code.clone(),
        }));
    }
    match state.store.commit(set).await {
        Ok(_) => {}
        // Another copy of the same note won the race: answer with it.
        Err(StoreError::Conflict { constraint })
            if client_ref.is_some() && constraint != "idempotency_keys" =>
        {
            if let Some(r) = client_ref
                && let Some(stored) = state.store.timeline_note_by_ref(incident_id, r).await?
            {
                return Ok((view(stored), false));
            }
            return Err(StoreError::Conflict { constraint }.into());
        }
        Err(e) => return Err(e.into()),
    }
    Ok((view(state.store.timeline_entry(&id).await?), true))
}
