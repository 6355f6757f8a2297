//! The caller history by number: what a call taker sees the moment a call rings — the number's earlier calls
//! (class and time), the incidents they created or joined (number, category, status), whether the number is
//! flagged as a repeat prank caller and *why* (the prank calls inside the configured window that make the
//! flag, `siaga_core::call::counts_as_prank`), and its open call-back tasks.
//!
//! Scoped as calls are: a region-scoped desk sees the calls and tasks of its region only; the prank verdict is
//! the system's own (every call of the number in the window counts, as when the call was registered). Reading
//! it is one audited personal-data read (`caller.read_personal`, listing the calls shown).

use super::call_backs::{self, CallBackView};
use super::calls::READ_ROLES;
use super::common;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::CallBackFilter;
use serde::Serialize;
use serde_json::json;
use siaga_core::call::{Ani, CallClass, PriorCall, counts_as_prank, prank_flag};
use siaga_core::time::Timestamp;

/// Earlier calls shown at most.
const MAX_CALLS: i64 = 50;

/// A number's history.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CallerHistoryView {
    /// The number, E.164.
    pub ani: String,
    /// Its calls in the reader's scope, newest first (at most 50), the ringing one included.
    pub calls: Vec<CallerCallView>,
    /// Incidents those calls created or were linked to, newest first.
    pub incidents: Vec<CallerIncidentView>,
    /// The repeat-prank flag and why.
    pub prank: PrankView,
    /// Open call-back tasks of the number.
    pub call_backs: Vec<CallBackView>,
}

/// One earlier call.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CallerCallView {
    pub id: String,
    pub ring_at: i64,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub status: String,
    pub class: Option<String>,
    pub channel: String,
    pub service_line: String,
    pub incident_id: Option<String>,
}

/// An incident a call of the number created or joined.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CallerIncidentView {
    pub id: String,
    pub number: String,
    pub category: String,
    pub status: String,
    pub created_at: i64,
    /// The number's calls linked to it.
    pub call_ids: Vec<String>,
}

/// The repeat-prank verdict now, with the calls that make it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PrankView {
    pub flagged: bool,
    /// Prank calls inside the window.
    pub pranks_in_window: u32,
    /// Prank calls needed to flag (the configured rule).
    pub threshold: u32,
    /// The window, in ms back from now.
    pub window_ms: i64,
    /// The prank calls counted, newest first: the reason for the flag.
    pub calls: Vec<PrankCallView>,
}

/// One prank call counted towards the flag.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PrankCallView {
    pub call_id: String,
    pub ring_at: i64,
    /// What the call taker noted when classifying it.
    pub notes: Option<String>,
}

/// The history of the number `raw` (any spelling [`Ani::parse`] accepts).
pub async fn history(state: &AppState, actor: &Actor, raw: &str) -> ApiResult<CallerHistoryView> {
    actor.require(READ_ROLES)?;
    let ani = Ani::parse(raw).map_err(|e| ApiError::validation("ani", e.to_string()))?;
    let scope = actor.scope();
    let now = state.now_ms();
    let calls = state
        .store
        .caller_calls(ani.as_str(), scope.region(), scope.own_calls(), MAX_CALLS)
        .await?;

    // The verdict, from every call of the number in the window (as at registration), and its reason.
    let rule = state.config.dispatch.prank;
    let window = state
        .store
        .calls_from(ani.as_str(), now - rule.window_ms)
        .await?;
    let classes: Vec<Option<CallClass>> = window
        .iter()
        .map(|c| c.class.as_deref().and_then(|k| k.parse().ok()))
        .collect();
    let prior: Vec<PriorCall<'_>> = window
        .iter()
        .zip(&classes)
        .map(|(c, class)| PriorCall {
            ani: &ani,
            at: Timestamp(c.ring_at),
            class: *class,
        })
        .collect();
    let verdict = prank_flag(&ani, Timestamp(now), prior.iter().cloned(), rule);
    let mut prank_calls: Vec<PrankCallView> = window
        .iter()
        .zip(&prior)
        .filter(|(_, p)| counts_as_prank(&ani, Timestamp(now), p, rule))
        .map(|(c, _)| PrankCallView {
            call_id: c.id.clone(),
            ring_at: c.ring_at,
            notes: c.notes.clone(),
        })
        .collect();
    prank_calls.reverse();

    let ids: Vec<String> = calls.iter().map(|c| c.id.clone()).collect();
    let mut incidents: Vec<CallerIncidentView> = Vec::new();
    for (call_id, i) in state.store.incidents_of_calls(&ids).await? {
        match incidents.iter_mut().find(|v| v.id == i.id) {
            Some(v) => v.call_ids.push(call_id),
            None => incidents.push(CallerIncidentView {
                id: i.id,
                number: i.number,
                category: i.category,
                status: i.status,
                created_at: i.created_at,
                call_ids: vec![call_id],
            }),
        }
    }
    incidents.sort_by_key(|i| std::cmp::Reverse(i.created_at));

    let tasks = state
        .store
        .call_backs(&CallBackFilter {
            status: Some("open"),
            ani: Some(ani.as_str()),
            due_before: None,
            region: scope.region(),
            created_by: scope.own_calls(),
            limit: 20,
        })
        .await?;
    let entry = common::audit(
        actor,
        now,
        "caller.read_personal",
        "caller",
        &ani.masked(),
        None,
        Some(json!({"calls": ids, "call_backs": tasks.iter().map(|t| &t.id).collect::<Vec<_>>()})),
    );
    state.store.append_audit(&entry).await?;

    Ok(CallerHistoryView {
        ani: ani.as_str().to_owned(),
        calls: calls
            .into_iter()
            .map(|c| CallerCallView {
                id: c.id,
                ring_at: c.ring_at,
                answered_at: c.answered_at,
                ended_at: c.ended_at,
                status: c.status,
                class: c.class,
                channel: c.channel,
                service_line: c.service_line,
                incident_id: c.incident_id,
            })
            .collect(),
        incidents,
        prank: PrankView {
            flagged: verdict.flagged,
            pranks_in_window: verdict.pranks_in_window,
            threshold: rule.threshold.max(1),
            window_ms: rule.window_ms,
            calls: prank_calls,
        },
        call_backs: tasks
            .into_iter()
            .map(|t| call_backs::view(t, now))
            .collect(),
    })
}
