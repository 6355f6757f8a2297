//! Agent states and schedules: call takers and dispatchers go ready, AUX (with a reason) or log out;
//! supervisors see every agent's state and today's time in state, and upload shift schedules.
//!
//! Login and logout record `logged_in` / `logged_out` through [`record_login`] and [`record_logout`], which
//! the account workflows call. A call answered and not yet ended shows the agent as `on_call`, whatever
//! state was last recorded. Every recorded state carries its `agent.state` event, for supervisors (and admins)
//! in the agent's region only: no OPD's dispatchers, no call takers, no responders.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::oversight::AgentState as AgentStateEvent;
use crate::events::{DomainEvent, Reach};
use crate::limits::ShortText;
use crate::state::AppState;
use crate::store::agents::{AGENT_ROLES, AgentUserRow, ShiftRow};
use crate::store::{AuditEntry, UserRow};
use serde::{Deserialize, Serialize};
use siaga_core::kpi::Period;
use siaga_core::kpi::agents::{
    self as core_agents, AgentState, AgentStateRecord, AgentTime, InvalidShift, ShiftRecord,
    ShiftRow as UploadRow,
};
use siaga_core::kpi::period::{local_day, utc_offset_minutes_of};
use siaga_core::time::{Timestamp, WIT_OFFSET_MINUTES};
use std::collections::{HashMap, HashSet};

/// Most shifts accepted in one upload.
const MAX_SHIFTS_PER_UPLOAD: usize = 5_000;

fn is_agent_role(role: &str) -> bool {
    AGENT_ROLES.contains(&role)
}

/// Records a state of `user` with its `agent.state` event.
async fn record(
    state: &AppState,
    user: &UserRow,
    new_state: AgentState,
    reason: Option<&str>,
    at: i64,
    by_user_id: Option<&str>,
) -> ApiResult<()> {
    // Supervisors of the region the agent works for hear of it (a dispatcher: its agency's region).
    let region = state.store.user_region(&user.id).await?;
    let event = DomainEvent::AgentState(AgentStateEvent {
        user_id: user.id.clone(),
        username: user.username.clone(),
        role: user.role.clone(),
        state: new_state.as_str().to_owned(),
        reason: reason.map(str::to_owned),
        since: at,
        by_user_id: by_user_id.map(str::to_owned),
    })
    .to(&Reach::desk(region));
    state
        .store
        .record_agent_state(&user.id, new_state.as_str(), reason, at, by_user_id, &event)
        .await?;
    Ok(())
}

/// Records `logged_in` for an agent who just logged in. Other roles are not agents: nothing is recorded.
pub async fn record_login(state: &AppState, user: &UserRow, at: i64) -> ApiResult<()> {
    if is_agent_role(&user.role) {
        record(state, user, AgentState::LoggedIn, None, at, None).await?;
    }
    Ok(())
}

/// Records `logged_out` (with `reason`, e.g. `forced`) for an agent, unless already logged out.
pub async fn record_logout(
    state: &AppState,
    user: &UserRow,
    at: i64,
    reason: Option<&str>,
    by_user_id: Option<&str>,
) -> ApiResult<()> {
    if !is_agent_role(&user.role) {
        return Ok(());
    }
    let last = state.store.last_agent_state(&user.id).await?;
    if last.is_some_and(|s| s.state == AgentState::LoggedOut.as_str()) {
        return Ok(());
    }
    record(state, user, AgentState::LoggedOut, reason, at, by_user_id).await
}

/// A state an agent may choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SelectableState {
    /// Waiting for calls.
    Ready,
    /// Away from the queue; needs a reason.
    Aux,
    /// Out of the queue.
    LoggedOut,
}

/// A state change of the caller.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetStateRequest {
    /// `ready`, `aux` or `logged_out`.
    pub state: SelectableState,
    /// Why (required for `aux`: break, toilet, training, briefing, …); 1..=64 characters.
    pub reason: Option<ShortText>,
}

/// An agent's current state.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgentStateView {
    pub user_id: String,
    /// `logged_in`, `ready`, `on_call`, `aux` or `logged_out`.
    pub state: String,
    pub reason: Option<String>,
    /// Since when (ms since the epoch); `None` for an agent never logged in.
    pub since: Option<i64>,
}

/// Checks a state change on its own: the state it asks for and its trimmed reason.
///
/// # Errors
///
/// 422 naming `reason`: control characters, missing for `aux`, or given with `ready` (a reason longer than
/// 64 characters is refused when the request is read, `limits::ShortText`).
pub fn check_state_request(req: &SetStateRequest) -> ApiResult<(AgentState, Option<&str>)> {
    let reason = req
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if let Some(r) = reason
        && r.chars().any(char::is_control)
    {
        return Err(ApiError::validation(
            "reason",
            "reason must not contain control characters",
        ));
    }
    let new_state = match (req.state, reason) {
        (SelectableState::Aux, None) => {
            return Err(ApiError::validation(
                "reason",
                "AUX needs a reason (break, toilet, training, briefing, …)",
            ));
        }
        (SelectableState::Ready, Some(_)) => {
            return Err(ApiError::validation(
                "reason",
                "only aux and logged_out take a reason",
            ));
        }
        (SelectableState::Ready, None) => AgentState::Ready,
        (SelectableState::Aux, Some(_)) => AgentState::Aux,
        (SelectableState::LoggedOut, _) => AgentState::LoggedOut,
    };
    Ok((new_state, reason))
}

/// Sets the actor's own agent state.
pub async fn set_my_state(
    state: &AppState,
    actor: &Actor,
    req: &SetStateRequest,
) -> ApiResult<AgentStateView> {
    let (new_state, reason) = check_state_request(req)?;
    let now = state.now_ms();
    record(state, &actor.user, new_state, reason, now, None).await?;
    Ok(AgentStateView {
        user_id: actor.user.id.clone(),
        state: new_state.as_str().to_owned(),
        reason: reason.map(str::to_owned),
        since: Some(now),
    })
}

/// An agent as the supervisor's board shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgentView {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub agency_id: Option<String>,
    pub region_code: Option<String>,
    /// Current state: `on_call` while a call the agent answered is open, else the last recorded state.
    pub state: String,
    /// AUX (or logout) reason.
    pub reason: Option<String>,
    /// Since when (ms since the epoch); `None` when never logged in.
    pub since: Option<i64>,
    /// Today (the agent's local day) up to now: time in state and adherence.
    pub today: AgentTime,
}

/// Every active agent within the actor's region scope: current state, since when, and today's time in state.
pub async fn list_agents(state: &AppState, actor: &Actor) -> ApiResult<Vec<AgentView>> {
    let now = state.clock.now();
    let zones = state.store.time_zones(None).await?;
    let users: Vec<AgentUserRow> = state
        .store
        .list_agent_users(None, actor.scope().region())
        .await?
        .into_iter()
        .filter(|u| u.active)
        .collect();
    // "Today" starts earliest in WIT; one read covers every agent's local day.
    let day_start = Period::Day(siaga_core::kpi::period::date_of_day(local_day(
        now,
        WIT_OFFSET_MINUTES,
    )))
    .bounds(WIT_OFFSET_MINUTES)
    .0;
    let (states, shifts, on_call) = tokio::try_join!(
        state.store.agent_states_between(day_start.0, now.0 + 1),
        state
            .store
            .agent_shifts_between(day_start.0, now.0 + siaga_core::time::MS_PER_DAY),
        state.store.agents_on_call(),
    )?;
    let states: Vec<AgentStateRecord> = states
        .into_iter()
        .filter_map(|s| {
            Some(AgentStateRecord {
                state: s.state.parse().ok()?,
                user_id: s.user_id,
                reason: s.reason,
                at: Timestamp(s.at),
            })
        })
        .collect();
    let shifts: Vec<ShiftRecord> = shifts
        .into_iter()
        .map(|s| ShiftRecord {
            user_id: s.user_id,
            start: Timestamp(s.shift_start),
            end: Timestamp(s.shift_end),
        })
        .collect();
    let on_call: HashMap<String, i64> = on_call.into_iter().collect();
    Ok(users
        .into_iter()
        .map(|u| {
            let offset = zones.offset_of(u.region_code.as_deref());
            let answered = on_call.get(&u.id).copied();
            agent_view(u, &states, &shifts, answered, offset, now)
        })
        .collect())
}

/// One agent's board entry from the day's state records and shifts of every agent; `answered` is when the
/// agent answered the call still open, if any, and `offset` the agent's UTC offset in minutes.
fn agent_view(
    u: AgentUserRow,
    states: &[AgentStateRecord],
    shifts: &[ShiftRecord],
    answered: Option<i64>,
    offset: i32,
    now: Timestamp,
) -> AgentView {
    let mine: Vec<&AgentStateRecord> = states.iter().filter(|s| s.user_id == u.id).collect();
    let my_shifts: Vec<&ShiftRecord> = shifts.iter().filter(|s| s.user_id == u.id).collect();
    let today = Period::Day(siaga_core::kpi::period::date_of_day(local_day(now, offset)));
    let time = core_agents::agent_time(&mine, &my_shifts, today.bounds(offset), now);
    let current = core_agents::current_state(&mine, now);
    let (state_name, reason, since) = match (answered, current) {
        (Some(answered), _) => (AgentState::OnCall.as_str().to_owned(), None, Some(answered)),
        (None, Some(s)) => (s.state.as_str().to_owned(), s.reason.clone(), Some(s.at.0)),
        (None, None) => (AgentState::LoggedOut.as_str().to_owned(), None, None),
    };
    AgentView {
        user_id: u.id,
        username: u.username,
        display_name: u.display_name,
        role: u.role,
        agency_id: u.agency_id,
        region_code: u.region_code,
        state: state_name,
        reason,
        since,
        today: time,
    }
}

/// One shift, in the agent's local time.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftRequest {
    /// The agent's username.
    pub username: ShortText,
    /// Local start with date, `2026-11-24 07:00`.
    pub shift_start: ShortText,
    /// Local end with date, `2026-11-24 15:00` (an overnight shift ends on the next date).
    pub shift_end: ShortText,
    /// IANA time zone of the times; default: the agent's region zone, else WIB.
    pub time_zone: Option<ShortText>,
}

/// What an upload stored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScheduleUploadView {
    /// Shifts stored (new or replaced).
    pub imported: usize,
}

/// A schedule upload as received: the body and the media type it was sent as.
#[derive(Debug, Clone, Copy)]
pub enum ScheduleUpload<'a> {
    /// `text/csv` with a header `username,shift_start,shift_end[,time_zone]`.
    Csv(&'a [u8]),
    /// `application/json`: an array of [`ShiftRequest`].
    Json(&'a [u8]),
}

impl<'a> ScheduleUpload<'a> {
    /// The upload of `body` sent as `mime` (lowercase, without parameters); 415 for any other type.
    pub fn of_media_type(mime: &str, body: &'a [u8]) -> ApiResult<ScheduleUpload<'a>> {
        match mime {
            "text/csv" => Ok(ScheduleUpload::Csv(body)),
            "application/json" => Ok(ScheduleUpload::Json(body)),
            _ => Err(ApiError::new(
                ErrorCode::UnsupportedMediaType,
                "send the schedule as `text/csv` or `application/json`",
            )),
        }
    }
}

fn shift_error(e: InvalidShift, csv: bool) -> ApiError {
    let field = if csv {
        format!("line {}: {}", e.row, e.field)
    } else {
        format!("[{}].{}", e.row, e.field)
    };
    ApiError::validation(field, e.to_string())
}

/// The rows of an upload, each with the number its errors name (CSV line, or JSON index); and whether it was
/// CSV.
fn upload_rows(upload: ScheduleUpload<'_>) -> ApiResult<(Vec<(usize, UploadRow)>, bool)> {
    match upload {
        ScheduleUpload::Csv(body) => {
            let text = std::str::from_utf8(body)
                .map_err(|_| ApiError::validation("body", "the CSV is not UTF-8"))?;
            if text.contains('\0') {
                return Err(ApiError::validation(
                    "body",
                    "the CSV must not contain the NUL character",
                ));
            }
            let rows = core_agents::parse_schedule_csv(text).map_err(|e| shift_error(e, true))?;
            // Data lines are numbered from 2 (after the header), blank lines aside.
            let numbered = text
                .lines()
                .enumerate()
                .skip(1)
                .filter(|(_, l)| !l.trim().is_empty())
                .map(|(i, _)| i + 1)
                .zip(rows)
                .collect();
            Ok((numbered, true))
        }
        ScheduleUpload::Json(body) => {
            let rows: Vec<ShiftRequest> = crate::json::parse_json(body)?;
            let numbered = rows
                .into_iter()
                .enumerate()
                .map(|(i, r)| {
                    let row = UploadRow {
                        username: r.username.into(),
                        start: r.shift_start.into(),
                        end: r.shift_end.into(),
                        time_zone: r.time_zone.map(String::from),
                    };
                    (i, row)
                })
                .collect();
            Ok((numbered, false))
        }
    }
}

/// Stores agent shifts, replacing stored shifts of the same agent and start. Every row is checked (known
/// agent within the actor's region, valid times, no overlap) before any is stored.
pub async fn upload_schedules(
    state: &AppState,
    actor: &Actor,
    upload: ScheduleUpload<'_>,
) -> ApiResult<ScheduleUploadView> {
    let (rows, csv) = upload_rows(upload)?;
    if rows.len() > MAX_SHIFTS_PER_UPLOAD {
        return Err(ApiError::validation(
            "body",
            format!("at most {MAX_SHIFTS_PER_UPLOAD} shifts per upload"),
        ));
    }
    let shifts = resolve_shifts(state, actor, &rows, csv).await?;
    check_overlaps(state, &shifts, &rows, csv).await?;
    let now = state.now_ms();
    state
        .store
        .upsert_agent_shifts(&shifts, now, &actor.user.id)
        .await?;
    state
        .store
        .append_audit(&AuditEntry {
            at: now,
            actor_id: Some(actor.user.id.clone()),
            actor_role: Some(actor.role.to_string()),
            action: "agent.schedule_upload".into(),
            subject_type: "agent_shifts".into(),
            detail: Some(format!("{} shifts", shifts.len())),
            ..AuditEntry::default()
        })
        .await?;
    Ok(ScheduleUploadView {
        imported: shifts.len(),
    })
}

fn bad_row(row: usize, field: &'static str, message: &str, csv: bool) -> ApiError {
    shift_error(
        InvalidShift {
            row,
            field,
            message: message.to_owned(),
        },
        csv,
    )
}

/// Each row as a shift of a known agent within the actor's region, in UTC.
async fn resolve_shifts(
    state: &AppState,
    actor: &Actor,
    rows: &[(usize, UploadRow)],
    csv: bool,
) -> ApiResult<Vec<ShiftRow>> {
    let agents: HashMap<String, AgentUserRow> = state
        .store
        .list_agent_users(None, None)
        .await?
        .into_iter()
        .map(|u| (u.username.clone(), u))
        .collect();
    // A region-scoped supervisor schedules the agents working in its region only.
    let in_scope: Option<HashSet<String>> = match actor.scope().region() {
        Some(region) => Some(
            state
                .store
                .list_agent_users(None, Some(region))
                .await?
                .into_iter()
                .map(|u| u.id)
                .collect(),
        ),
        None => None,
    };
    let zones = state.store.time_zones(None).await?;
    let mut shifts: Vec<ShiftRow> = Vec::with_capacity(rows.len());
    for (n, row) in rows {
        let Some(agent) = agents.get(row.username.trim()) else {
            return Err(bad_row(
                *n,
                "username",
                "no call taker or dispatcher with this username",
                csv,
            ));
        };
        if in_scope
            .as_ref()
            .is_some_and(|ids| !ids.contains(&agent.id))
        {
            return Err(ApiError::forbidden(format!(
                "row {n}: this agent works outside your region"
            )));
        }
        let offset = match row.time_zone.as_deref() {
            Some(tz) => utc_offset_minutes_of(tz).ok_or_else(|| {
                bad_row(
                    *n,
                    "time_zone",
                    "must be Asia/Jakarta, Asia/Makassar or Asia/Jayapura",
                    csv,
                )
            })?,
            None => zones.offset_of(agent.region_code.as_deref()),
        };
        let (start, end) =
            core_agents::shift_instants(row, *n, offset).map_err(|e| shift_error(e, csv))?;
        shifts.push(ShiftRow {
            user_id: agent.id.clone(),
            shift_start: start.0,
            shift_end: end.0,
        });
    }
    Ok(shifts)
}

/// Refuses overlaps within the upload, and with stored shifts other than those this upload replaces.
async fn check_overlaps(
    state: &AppState,
    shifts: &[ShiftRow],
    rows: &[(usize, UploadRow)],
    csv: bool,
) -> ApiResult<()> {
    for (i, s) in shifts.iter().enumerate() {
        let clash_in_upload = shifts.iter().enumerate().any(|(j, o)| {
            j != i
                && o.user_id == s.user_id
                && o.shift_start != s.shift_start
                && o.shift_start < s.shift_end
                && s.shift_start < o.shift_end
        });
        let stored = state
            .store
            .agent_shifts_of(&s.user_id, s.shift_start, s.shift_end)
            .await?;
        let clash_stored = stored.iter().any(|o| {
            o.shift_start != s.shift_start
                && !shifts
                    .iter()
                    .any(|u| u.user_id == o.user_id && u.shift_start == o.shift_start)
        });
        if clash_in_upload || clash_stored {
            return Err(bad_row(
                rows[i].0,
                "shift_start",
                "overlaps another shift of this agent",
                csv,
            ));
        }
    }
    Ok(())
}
