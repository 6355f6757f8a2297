//! Call-back tasks: the centre rings a caller back (`siaga_core::call_back`).
//!
//! A task is created on its own when a call is abandoned or classified ghost (silent), as the configured
//! `[dispatch.call_backs]` rule says, in the same change as the call's step — one open task per number; or on
//! request ("call back to confirm") by a call taker for a call, or by a call taker, supervisor or the
//! dispatcher of an OPD taking part for an incident (the incident's first call is rung back). Call takers and
//! supervisors work them from a list: claim one, ring, record the outcome. An outcome that did not reach the
//! caller puts the task back on the list, unclaimed, until the configured attempts are spent.
//!
//! This is not the follow-up programme of `service::follow_ups` (a series of calls days apart for a line's
//! programme, worked by an outbound team): a call-back is one task due in minutes, with a claimant and
//! repeated attempts, for the 112 desk itself. Both are scoped like calls and carry the caller's number, so
//! reading them is audited.

use super::calls;
use super::common;
use super::incidents;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::DomainEvent;
use crate::events::call::{CallBackCreated, CallBackUpdated};
use crate::limits::{Note, ShortText};
use crate::state::AppState;
use crate::store::call_backs::{self as stmts, NewCallBack};
use crate::store::{CallBackFilter, CallBackRow, CallRow, ChangeSet, NewEvent, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::json;
use siaga_core::call::{Ani, CallClass, CallStatus};
use siaga_core::call_back::{
    CallBackOutcome, CallBackReason, CallBackStatus, after_attempt, overdue,
};
use siaga_core::role::Role;
use siaga_core::time::Timestamp;

/// Who reads the list and works the tasks.
pub const WORK_ROLES: &[Role] = &[Role::CallTaker, Role::Supervisor];
/// Who reads the list.
pub const READ_ROLES: &[Role] = &[Role::CallTaker, Role::Supervisor, Role::Admin];
/// Who asks for a call back to confirm.
pub const REQUEST_ROLES: &[Role] = &[Role::CallTaker, Role::Supervisor, Role::Dispatcher];

/// A call-back task.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CallBackView {
    pub id: String,
    pub call_id: String,
    pub incident_id: Option<String>,
    /// The number to call back (personal data; reading tasks is audited).
    pub ani: String,
    /// `abandoned`, `ghost` or `confirm`.
    pub reason: String,
    /// `open` or `done`.
    pub status: String,
    pub due_at: i64,
    /// Open and past its due time at the moment of reading.
    pub overdue: bool,
    /// Why a person asked for it.
    pub note: Option<String>,
    /// Who asked for it (`null`: created by the system).
    pub created_by: Option<String>,
    pub created_at: i64,
    /// Who is working it now.
    pub claimed_by: Option<String>,
    pub claimed_at: Option<i64>,
    pub attempts: i64,
    pub first_attempt_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    /// `reached`, `no_answer`, `busy`, `switched_off` or `wrong_number`.
    pub last_outcome: Option<String>,
    pub last_note: Option<String>,
    pub last_by: Option<String>,
    pub done_at: Option<i64>,
}

impl CallBackView {
    fn of(r: CallBackRow, now: i64) -> CallBackView {
        let status = r.status.parse().unwrap_or(CallBackStatus::Done);
        CallBackView {
            overdue: overdue(status, Timestamp(r.due_at), Timestamp(now)),
            id: r.id,
            call_id: r.call_id,
            incident_id: r.incident_id,
            ani: r.ani,
            reason: r.reason,
            status: r.status,
            due_at: r.due_at,
            note: r.note,
            created_by: r.created_by,
            created_at: r.created_at,
            claimed_by: r.claimed_by,
            claimed_at: r.claimed_at,
            attempts: r.attempts,
            first_attempt_at: r.first_attempt_at,
            last_attempt_at: r.last_attempt_at,
            last_outcome: r.last_outcome,
            last_note: r.last_note,
            last_by: r.last_by,
            done_at: r.done_at,
        }
    }
}

/// A task as the API shows it at `now`.
pub(crate) fn view(r: CallBackRow, now: i64) -> CallBackView {
    CallBackView::of(r, now)
}

/// Query of `GET /call-backs`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CallBackQuery {
    /// `open` (default), `done` or `all`.
    pub status: Option<String>,
    /// Only tasks due at or before this instant (ms).
    pub due_before: Option<i64>,
    pub limit: Option<u32>,
}

/// "Call back to confirm": a task asked for by a person, for a call or for an incident (its first call).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallBackRequest {
    /// The call whose caller to ring back (call takers and supervisors).
    pub call_id: Option<ShortText>,
    /// Or the incident whose first caller to ring back.
    pub incident_id: Option<ShortText>,
    /// What to confirm.
    pub note: Option<Note>,
}

/// The result of one attempt.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallBackOutcomeRequest {
    pub outcome: CallBackOutcome,
    pub note: Option<Note>,
}

/// Adds the automatic task a call's step calls for, if the configured rule creates one, to `set` (the call's
/// own change). `class` is the class the step sets, if any.
pub(crate) async fn on_call_step(
    state: &AppState,
    set: &mut ChangeSet,
    call: &CallRow,
    to: CallStatus,
    class: Option<CallClass>,
    now: i64,
) -> ApiResult<()> {
    let rule = state.config.dispatch.call_backs;
    let Some(reason) = rule.automatic_reason(to, class) else {
        return Ok(());
    };
    let open = state.store.open_call_backs_of(&call.ani).await?;
    if !rule.creates(reason, open) {
        return Ok(());
    }
    let id = uuid::Uuid::now_v7().to_string();
    let due_at = rule.due_at(Timestamp(now)).0;
    let stmt = stmts::insert(&NewCallBack {
        id: &id,
        call_id: &call.id,
        incident_id: call.incident_id.as_deref(),
        ani: &call.ani,
        reason,
        due_at,
        note: None,
        created_by: None,
        at: now,
    });
    let event = created_event(&id, call, reason, due_at, None);
    set.record_once(stmt, event);
    Ok(())
}

fn created_event(
    id: &str,
    call: &CallRow,
    reason: CallBackReason,
    due_at: i64,
    by: Option<&str>,
) -> NewEvent {
    let masked = Ani::parse(&call.ani).map_or_else(|_| "***".to_owned(), |a| a.masked());
    DomainEvent::CallBackCreated(CallBackCreated {
        call_back_id: id.to_owned(),
        call_id: call.id.clone(),
        reason: reason.as_str().to_owned(),
        due_at,
        ani_masked: masked,
        by: by.map(str::to_owned),
    })
    .to(&calls::reach(call.place_region.as_deref()))
}

/// The call-back work list in the actor's scope: open tasks soonest due first (then done ones, newest
/// first, with `status=done|all`). Reading it is audited (tasks carry numbers).
pub async fn list(
    state: &AppState,
    actor: &Actor,
    q: CallBackQuery,
) -> ApiResult<Vec<CallBackView>> {
    actor.require(READ_ROLES)?;
    let status = match q.status.as_deref().unwrap_or("open") {
        "all" => None,
        s @ ("open" | "done") => Some(s),
        _ => {
            return Err(ApiError::validation(
                "status",
                "status must be open, done or all",
            ));
        }
    };
    let scope = actor.scope();
    let filter = CallBackFilter {
        status,
        ani: None,
        due_before: q.due_before,
        region: scope.region(),
        created_by: scope.own_calls(),
        limit: i64::from(q.limit.unwrap_or(200).clamp(1, 1000)),
    };
    let rows = state.store.call_backs(&filter).await?;
    let now = state.now_ms();
    if !rows.is_empty() {
        let entry = common::audit(
            actor,
            now,
            "call_back.read_personal",
            "call_back",
            "*",
            None,
            Some(json!({"count": rows.len()})),
        );
        state.store.append_audit(&entry).await?;
    }
    Ok(rows.into_iter().map(|r| CallBackView::of(r, now)).collect())
}

/// Creates a task asked for by a person ("call back to confirm"). Exactly one of `call_id` (call takers and
/// supervisors, in their scope) and `incident_id` (anyone who may see the incident: its first call is rung
/// back) names what to confirm.
pub async fn request(
    state: &AppState,
    actor: &Actor,
    req: CallBackRequest,
) -> ApiResult<CallBackView> {
    actor.require(REQUEST_ROLES)?;
    let (call, incident_id) = match (req.call_id.as_deref(), req.incident_id.as_deref()) {
        (Some(call_id), None) => {
            if actor.role == Role::Dispatcher {
                return Err(ApiError::forbidden(
                    "dispatchers ask for a call-back on an incident (incident_id), not a call",
                ));
            }
            let call = calls::load(state, actor, call_id).await.map_err(|e| {
                if e.code == ErrorCode::NotFound {
                    ApiError::validation("call_id", "no such call")
                } else {
                    e
                }
            })?;
            let incident = call.incident_id.clone();
            (call, incident)
        }
        (None, Some(incident_id)) => {
            let incident = incidents::load(state, incident_id).await.map_err(|e| {
                if e.code == ErrorCode::NotFound {
                    ApiError::validation("incident_id", "no such incident")
                } else {
                    e
                }
            })?;
            let agencies = state.store.incident_agencies(incident_id).await?;
            incidents::check_visible(state, actor, &incident, &agencies).await?;
            let call = state
                .store
                .first_call_of_incident(incident_id)
                .await?
                .ok_or_else(|| {
                    ApiError::validation(
                        "incident_id",
                        "the incident has no call to ring back (it was filed without one)",
                    )
                })?;
            (call, Some(incident_id.to_owned()))
        }
        _ => {
            return Err(ApiError::validation(
                "call_id",
                "name exactly one of call_id and incident_id",
            ));
        }
    };
    let now = state.now_ms();
    let id = uuid::Uuid::now_v7().to_string();
    let due_at = state.config.dispatch.call_backs.due_at(Timestamp(now)).0;
    let mut set = ChangeSet::new(now);
    set.push(stmts::insert(&NewCallBack {
        id: &id,
        call_id: &call.id,
        incident_id: incident_id.as_deref(),
        ani: &call.ani,
        reason: CallBackReason::Confirm,
        due_at,
        note: req.note.as_deref(),
        created_by: Some(&actor.user.id),
        at: now,
    }));
    set.event(created_event(
        &id,
        &call,
        CallBackReason::Confirm,
        due_at,
        Some(&actor.user.id),
    ));
    set.audit(common::audit(
        actor,
        now,
        "call_back.request",
        "call_back",
        &id,
        None,
        Some(json!({"call_id": call.id, "incident_id": incident_id, "note": req.note})),
    ));
    state.store.commit(set).await?;
    Ok(CallBackView::of(state.store.get_call_back(&id).await?, now))
}

/// The task, if the actor's scope covers its call.
async fn load(state: &AppState, actor: &Actor, id: &str) -> ApiResult<CallBackRow> {
    let task = state.store.get_call_back(id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("call-back"),
        other => other.into(),
    })?;
    let scope = actor.scope();
    if !scope.covers_place(task.place_region.as_deref()) {
        return Err(crate::auth::out_of_region());
    }
    Ok(task)
}

fn not_open(task: &CallBackRow) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidTransition,
        format!(
            "this call-back is {}; only an open one can be worked",
            task.status
        ),
    )
    .with_field("status")
    .with_allowed(Vec::new())
}

fn held_by_other(task: &CallBackRow) -> ApiError {
    ApiError::new(
        ErrorCode::Conflict,
        format!(
            "this call-back is being worked by user {}",
            task.claimed_by.as_deref().unwrap_or("?")
        ),
    )
    .with_field("claimed_by")
}

/// The actor takes an open task nobody else holds, so two call takers do not ring the same caller.
pub async fn claim(state: &AppState, actor: &Actor, id: &str) -> ApiResult<CallBackView> {
    actor.require(WORK_ROLES)?;
    let task = load(state, actor, id).await?;
    if task.status != CallBackStatus::Open.as_str() {
        return Err(not_open(&task));
    }
    if task
        .claimed_by
        .as_deref()
        .is_some_and(|c| c != actor.user.id)
    {
        return Err(held_by_other(&task));
    }
    let now = state.now_ms();
    let mut set = ChangeSet::new(now);
    set.push(stmts::claim(id, &actor.user.id, now));
    set.event(
        DomainEvent::CallBackUpdated(CallBackUpdated {
            call_back_id: id.to_owned(),
            call_id: task.call_id.clone(),
            status: task.status.clone(),
            claimed_by: Some(actor.user.id.clone()),
            outcome: None,
            attempts: task.attempts,
            by: actor.user.id.clone(),
        })
        .to(&calls::reach(task.place_region.as_deref())),
    );
    set.audit(common::audit(
        actor,
        now,
        "call_back.claim",
        "call_back",
        id,
        Some(json!({"claimed_by": task.claimed_by})),
        Some(json!({"claimed_by": actor.user.id})),
    ));
    state.store.commit(set).await.map_err(|e| match e {
        StoreError::Stale { .. } => ApiError::new(
            ErrorCode::Conflict,
            "someone else claimed or finished this call-back at the same moment; reload the list",
        ),
        other => other.into(),
    })?;
    Ok(CallBackView::of(state.store.get_call_back(id).await?, now))
}

/// Records one attempt on an open task (claimed by the actor, or by nobody: recording claims it). `reached`
/// and `wrong_number` finish it; another outcome puts it back on the list until the attempts are spent.
pub async fn record_outcome(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: CallBackOutcomeRequest,
) -> ApiResult<CallBackView> {
    actor.require(WORK_ROLES)?;
    let task = load(state, actor, id).await?;
    if task.status != CallBackStatus::Open.as_str() {
        return Err(not_open(&task));
    }
    if task
        .claimed_by
        .as_deref()
        .is_some_and(|c| c != actor.user.id)
    {
        return Err(held_by_other(&task));
    }
    let attempts = u32::try_from(task.attempts + 1).unwrap_or(u32::MAX);
    let status = after_attempt(req.outcome, attempts, &state.config.dispatch.call_backs);
    let now = state.now_ms();
    let mut set = ChangeSet::new(now);
    set.push(stmts::record_attempt(
        id,
        req.outcome,
        req.note.as_deref(),
        status,
        &actor.user.id,
        now,
    ));
    let claimed_by = (status == CallBackStatus::Done).then(|| actor.user.id.clone());
    set.event(
        DomainEvent::CallBackUpdated(CallBackUpdated {
            call_back_id: id.to_owned(),
            call_id: task.call_id.clone(),
            status: status.as_str().to_owned(),
            claimed_by,
            outcome: Some(req.outcome.as_str().to_owned()),
            attempts: i64::from(attempts),
            by: actor.user.id.clone(),
        })
        .to(&calls::reach(task.place_region.as_deref())),
    );
    set.audit(common::audit(
        actor,
        now,
        "call_back.outcome",
        "call_back",
        id,
        Some(json!({"status": task.status, "attempts": task.attempts})),
        Some(json!({"status": status, "attempts": attempts, "outcome": req.outcome, "note": req.note})),
    ));
    state.store.commit(set).await.map_err(|e| match e {
        StoreError::Stale { .. } => ApiError::new(
            ErrorCode::Conflict,
            "someone else claimed or finished this call-back at the same moment; reload the list",
        ),
        other => other.into(),
    })?;
    Ok(CallBackView::of(state.store.get_call_back(id).await?, now))
}
