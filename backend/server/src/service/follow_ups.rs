//! Follow-up calls: lines with a follow-up programme (`[[routing.follow_ups]]`) get call-back tasks scheduled
//! from an answered call (`siaga_core::routing::FollowUpRule`), each closed with an outcome; an outcome that
//! ends the series cancels the remaining tasks. Tasks carry the caller's number, so listing them is audited.

use super::calls;
use super::common;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::DomainEvent;
use crate::events::call::{FollowUpRecorded, FollowUpScheduled};
use crate::limits::Note;
use crate::state::AppState;
use crate::store::follow_ups as stmts;
use crate::store::{ChangeSet, FollowUpFilter, FollowUpRow, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use siaga_core::call::ServiceLineCode;
use siaga_core::routing::FollowUpOutcome;
use siaga_core::time::Timestamp;

/// A follow-up call task.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FollowUpView {
    pub id: String,
    pub call_id: String,
    pub service_line: String,
    /// The number to call back (personal data; listing follow-ups is audited).
    pub ani: String,
    /// 1 for the first follow-up.
    pub ordinal: i64,
    pub day_offset: i64,
    pub due_at: i64,
    /// `pending`, `done` or `cancelled` (an earlier outcome ended the series).
    pub status: String,
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub attempted_at: Option<i64>,
    pub by_user_id: Option<String>,
}

impl From<FollowUpRow> for FollowUpView {
    fn from(r: FollowUpRow) -> Self {
        FollowUpView {
            id: r.id,
            call_id: r.call_id,
            service_line: r.service_line,
            ani: r.ani,
            ordinal: r.ordinal,
            day_offset: r.day_offset,
            due_at: r.due_at,
            status: r.status,
            outcome: r.outcome,
            note: r.note,
            attempted_at: r.attempted_at,
            by_user_id: r.by_user_id,
        }
    }
}

/// Query of `GET /follow-ups`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FollowUpQuery {
    /// `pending` (default), `done`, `cancelled` or `all`.
    pub status: Option<String>,
    pub service_line: Option<String>,
    pub call_id: Option<String>,
    /// Only tasks due at or before this instant (ms); `now` for the outbound team's work list.
    pub due_before: Option<i64>,
    pub limit: Option<u32>,
}

/// The result of one follow-up attempt.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRequest {
    pub outcome: FollowUpOutcome,
    pub note: Option<Note>,
}

/// Schedules the follow-up programme of the call's line (one task per configured day offset, counted from
/// the call's first ring). A call is enrolled once, and only once answered.
pub async fn schedule(
    state: &AppState,
    actor: &Actor,
    call_id: &str,
) -> ApiResult<Vec<FollowUpView>> {
    let call = calls::load(state, actor, call_id).await?;
    let line = ServiceLineCode::parse(&call.service_line)
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    let Some(rule) = state.config.routing.follow_up_rule(&line) else {
        return Err(ApiError::validation(
            "service_line",
            format!("line `{}` has no follow-up programme", line.as_str()),
        ));
    };
    if call.answered_at.is_none() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "only an answered call can be enrolled for follow-ups",
        ));
    }
    let now = state.now_ms();
    let tasks = rule.schedule(Timestamp(call.ring_at));
    let mut set = ChangeSet::new(now);
    for task in &tasks {
        let id = uuid::Uuid::now_v7().to_string();
        set.push(stmts::insert(
            &id,
            call_id,
            line.as_str(),
            &call.ani,
            task,
            now,
        ));
    }
    set.event(
        DomainEvent::CallFollowUpScheduled(FollowUpScheduled {
            call_id: call_id.to_owned(),
            service_line: line.as_str().to_owned(),
            count: u32::try_from(tasks.len()).unwrap_or(u32::MAX),
        })
        .to(&calls::reach(call.place_region.as_deref())),
    );
    let after = json!({"day_offsets": rule.day_offsets()});
    set.audit(common::audit(
        actor,
        now,
        "follow_up.schedule",
        "call",
        call_id,
        None,
        Some(after),
    ));
    state.store.commit(set).await.map_err(|e| match e {
        StoreError::Conflict { .. } => ApiError::new(
            ErrorCode::Conflict,
            "follow-ups are already scheduled for this call",
        ),
        other => other.into(),
    })?;
    let filter = FollowUpFilter {
        call_id: Some(call_id.to_owned()),
        limit: 1000,
        ..FollowUpFilter::default()
    };
    let rows = state.store.follow_ups(&filter).await?;
    Ok(rows.into_iter().map(FollowUpView::from).collect())
}

/// The outbound team's follow-up tasks, soonest due first. Reading them is audited (they carry numbers).
pub async fn list(
    state: &AppState,
    actor: &Actor,
    q: FollowUpQuery,
) -> ApiResult<Vec<FollowUpView>> {
    let status = match q.status.as_deref().unwrap_or("pending") {
        "all" => None,
        s @ ("pending" | "done" | "cancelled") => Some(s.to_owned()),
        _ => {
            return Err(ApiError::validation(
                "status",
                "status must be pending, done, cancelled or all",
            ));
        }
    };
    let filter = FollowUpFilter {
        status,
        service_line: q.service_line,
        call_id: q.call_id,
        due_before: q.due_before,
        region: actor.scope().region().map(str::to_owned),
        limit: i64::from(q.limit.unwrap_or(200).clamp(1, 1000)),
    };
    let rows = state.store.follow_ups(&filter).await?;
    let entry = common::audit(
        actor,
        state.now_ms(),
        "follow_up.read_personal",
        "follow_up",
        "*",
        None,
        Some(json!({"count": rows.len()})),
    );
    state.store.append_audit(&entry).await?;
    Ok(rows.into_iter().map(FollowUpView::from).collect())
}

/// Records the outcome of a pending follow-up call. `refused`, `wrong_number` and `completed` end the
/// series: the remaining tasks of the call are cancelled.
pub async fn record_outcome(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: OutcomeRequest,
) -> ApiResult<FollowUpView> {
    let task = state.store.get_follow_up(id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("follow-up"),
        other => other.into(),
    })?;
    let call = calls::load(state, actor, &task.call_id).await?;
    if task.status != "pending" {
        return Err(ApiError::new(
            ErrorCode::InvalidTransition,
            format!(
                "this follow-up is {}; only a pending one takes an outcome",
                task.status
            ),
        )
        .with_field("status")
        .with_allowed(Vec::new()));
    }
    let now = state.now_ms();
    let ends_series = req.outcome.ends_series();
    let mut set = ChangeSet::new(now);
    set.push(stmts::record_outcome(
        id,
        req.outcome,
        req.note.as_deref(),
        &actor.user.id,
        now,
    ));
    if ends_series {
        set.push(stmts::cancel_rest(&task.call_id, id));
    }
    set.event(
        DomainEvent::CallFollowUpRecorded(FollowUpRecorded {
            follow_up_id: id.to_owned(),
            call_id: task.call_id.clone(),
            ordinal: task.ordinal,
            outcome: req.outcome.as_str().to_owned(),
            ends_series,
            by: actor.user.id.clone(),
        })
        .to(&calls::reach(call.place_region.as_deref())),
    );
    set.audit(common::audit(
        actor,
        now,
        "follow_up.outcome",
        "follow_up",
        id,
        Some(json!({"status": task.status})),
        Some(json!({"status": "done", "outcome": req.outcome, "note": req.note})),
    ));
    state.store.commit(set).await?;
    Ok(state.store.get_follow_up(id).await?.into())
}
