//! Agent (call taker and dispatcher) states, time in state, and schedule adherence.
//!
//! An agent's state history is a list of [`AgentStateRecord`]s. Each record opens an interval that lasts
//! until the agent's next record, or until `as_of` (the moment the report is made) for the last one. Before an
//! agent's first record, the agent is logged out.
//!
//! Definitions (all times clipped to the window being reported):
//!
//! * **Logged-in time**: time in any state except `logged_out`.
//! * **Available time**: time in `ready` or `on_call`. (A centre whose telephony does not report `on_call`
//!   keeps its agents in `ready` while talking, which counts the same.)
//! * **AUX time**: time in `aux`, also broken down by reason.
//! * **Scheduled time**: the part of the agent's shifts inside the window and before `as_of`.
//! * **Adherence**: available time inside scheduled shifts ÷ scheduled time.
//! * **Late login**: a shift at whose start the agent was logged out, and who logged in later during the
//!   shift; measured from the shift start to that login. A shift with no login at all counts as **absent**.
//! * **Early logout**: a shift (already over) at whose end the agent was logged out, having been logged in
//!   during it; measured from the last logout to the shift end.

use crate::time::Timestamp;
use crate::unit::string_enum;
use serde::Serialize;
use std::collections::BTreeMap;

string_enum! {
    /// Where an agent is in the working day.
    AgentState, UnknownAgentState, "agent state" {
        /// Logged in to Siaga, not yet ready for calls.
        LoggedIn => "logged_in",
        /// Waiting for the next call.
        Ready => "ready",
        /// Talking to a caller.
        OnCall => "on_call",
        /// Away from the queue for a stated reason (break, toilet, training, briefing, …).
        Aux => "aux",
        /// Out of the queue and of the application.
        LoggedOut => "logged_out",
    }
}

impl AgentState {
    /// Whether time in this state counts as available to take calls.
    pub fn is_available(self) -> bool {
        matches!(self, AgentState::Ready | AgentState::OnCall)
    }

    /// Whether the agent is logged in while in this state.
    pub fn is_logged_in(self) -> bool {
        self != AgentState::LoggedOut
    }
}

/// One recorded state change of one agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentStateRecord {
    /// The agent.
    pub user_id: String,
    /// The new state.
    pub state: AgentState,
    /// The AUX reason (or why a logout happened, e.g. `forced`).
    pub reason: Option<String>,
    /// When the agent entered the state.
    pub at: Timestamp,
}

/// One scheduled shift of one agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftRecord {
    /// The agent.
    pub user_id: String,
    /// Shift start.
    pub start: Timestamp,
    /// Shift end (after `start`).
    pub end: Timestamp,
}

/// Time in state and schedule adherence of one agent over one window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AgentTime {
    /// Time logged in, in any state but `logged_out`.
    pub logged_in_ms: i64,
    /// Time in `ready`.
    pub ready_ms: i64,
    /// Time in `on_call` (as recorded as a state).
    pub on_call_ms: i64,
    /// Time in `aux`.
    pub aux_ms: i64,
    /// AUX time per reason, ordered by reason.
    pub aux_by_reason: Vec<AuxReasonTime>,
    /// Scheduled shift time inside the window, up to `as_of`.
    pub scheduled_ms: i64,
    /// Available (`ready` + `on_call`) time inside scheduled shifts.
    pub available_in_shift_ms: i64,
    /// `available_in_shift_ms / scheduled_ms`; `None` without a schedule.
    pub adherence: Option<f64>,
    /// Shifts started while logged out and joined later.
    pub late_logins: u32,
    /// Total lateness of those logins.
    pub late_login_ms: i64,
    /// Shifts left before their end.
    pub early_logouts: u32,
    /// Total time between those logouts and the shift ends.
    pub early_logout_ms: i64,
    /// Shifts (started before `as_of`) without any login during them.
    pub absent_shifts: u32,
}

/// Time spent in AUX for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuxReasonTime {
    /// The reason as the agent gave it (lower-cased, trimmed).
    pub reason: String,
    /// Time in AUX for it.
    pub ms: i64,
}

/// An interval `[from, to)` of one state.
struct Span<'a> {
    from: i64,
    to: i64,
    state: AgentState,
    reason: Option<&'a str>,
}

/// Turns one agent's records (any order) into consecutive spans ending at `as_of`. Records after `as_of` are
/// ignored. Before the first record the agent is logged out (no span).
fn spans<'a>(records: &[&'a AgentStateRecord], as_of: i64) -> Vec<Span<'a>> {
    let mut sorted: Vec<&AgentStateRecord> = records
        .iter()
        .copied()
        .filter(|r| r.at.0 <= as_of)
        .collect();
    sorted.sort_by_key(|r| r.at);
    let mut out = Vec::with_capacity(sorted.len());
    for (i, r) in sorted.iter().enumerate() {
        let to = sorted.get(i + 1).map_or(as_of, |n| n.at.0);
        if to > r.at.0 {
            out.push(Span {
                from: r.at.0,
                to,
                state: r.state,
                reason: r.reason.as_deref(),
            });
        }
    }
    out
}

fn overlap(a: (i64, i64), b: (i64, i64)) -> i64 {
    (a.1.min(b.1) - a.0.max(b.0)).max(0)
}

/// The state at instant `t` (the last span starting at or before `t`), logged out before any.
fn state_at(spans: &[Span<'_>], t: i64) -> AgentState {
    spans
        .iter()
        .rev()
        .find(|s| s.from <= t && t < s.to)
        .map_or(AgentState::LoggedOut, |s| s.state)
}

/// Time in state and adherence of one agent over `window = [start, end)`, as known at `as_of`.
///
/// `records` must hold the agent's last record before the window (if any) and every record inside it;
/// `shifts` the agent's shifts that overlap the window. Records of other agents must not be passed.
pub fn agent_time(
    records: &[&AgentStateRecord],
    shifts: &[&ShiftRecord],
    window: (Timestamp, Timestamp),
    as_of: Timestamp,
) -> AgentTime {
    let spans = spans(records, as_of.0);
    let win = (window.0.0, window.1.0.min(as_of.0));
    let mut t = AgentTime::default();
    let mut aux: BTreeMap<String, i64> = BTreeMap::new();
    for s in &spans {
        let d = overlap((s.from, s.to), win);
        if d == 0 {
            continue;
        }
        if s.state.is_logged_in() {
            t.logged_in_ms += d;
        }
        match s.state {
            AgentState::Ready => t.ready_ms += d,
            AgentState::OnCall => t.on_call_ms += d,
            AgentState::Aux => {
                t.aux_ms += d;
                let reason = s.reason.unwrap_or("").trim().to_lowercase();
                *aux.entry(reason).or_default() += d;
            }
            AgentState::LoggedIn | AgentState::LoggedOut => {}
        }
    }
    t.aux_by_reason = aux
        .into_iter()
        .map(|(reason, ms)| AuxReasonTime { reason, ms })
        .collect();

    for shift in shifts {
        let sh = (shift.start.0, shift.end.0);
        let scheduled = overlap(sh, win);
        if shift.start.0 >= as_of.0 || overlap(sh, (window.0.0, window.1.0)) == 0 {
            continue;
        }
        t.scheduled_ms += scheduled;
        let in_shift = (sh.0.max(win.0), sh.1.min(win.1));
        t.available_in_shift_ms += spans
            .iter()
            .filter(|s| s.state.is_available())
            .map(|s| overlap((s.from, s.to), in_shift))
            .sum::<i64>();
        // Lateness and early leaving are judged on the whole shift, so a shift straddling the window edge is
        // judged the same in both reports.
        let upto = sh.1.min(as_of.0);
        let logged_in_during = spans
            .iter()
            .any(|s| s.state.is_logged_in() && overlap((s.from, s.to), (sh.0, upto)) > 0);
        if !logged_in_during {
            t.absent_shifts += 1;
            continue;
        }
        if !state_at(&spans, sh.0).is_logged_in()
            && let Some(login) = spans
                .iter()
                .find(|s| s.state.is_logged_in() && s.from > sh.0 && s.from < sh.1)
        {
            t.late_logins += 1;
            t.late_login_ms += login.from - sh.0;
        }
        if sh.1 <= as_of.0
            && !state_at(&spans, sh.1 - 1).is_logged_in()
            && let Some(logout) = spans
                .iter()
                .rev()
                .find(|s| s.state == AgentState::LoggedOut && s.from > sh.0 && s.from < sh.1)
        {
            t.early_logouts += 1;
            t.early_logout_ms += sh.1 - logout.from;
        }
    }
    t.adherence = super::stats::ratio(
        u64::try_from(t.available_in_shift_ms).unwrap_or(0),
        u64::try_from(t.scheduled_ms).unwrap_or(0),
    );
    t
}

/// The state an agent is in at `as_of` and since when, from the agent's records; logged out without any.
pub fn current_state<'a>(
    records: &[&'a AgentStateRecord],
    as_of: Timestamp,
) -> Option<&'a AgentStateRecord> {
    records
        .iter()
        .copied()
        .filter(|r| r.at <= as_of)
        .max_by_key(|r| r.at)
}

// ---------------------------------------------------------------------------------------------------------------

/// A shift row as uploaded: the agent's username and wall-clock start and end with dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftRow {
    /// The agent's username.
    pub username: String,
    /// Wall-clock start, `2026-11-24 07:00`.
    pub start: String,
    /// Wall-clock end, `2026-11-24 15:00` (an overnight shift ends on the next date).
    pub end: String,
    /// IANA zone the times are in; the agent's region zone when absent.
    pub time_zone: Option<String>,
}

/// Why a schedule upload was refused: the 1-based line (CSV) or 0-based row index (JSON) and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {row}: {field}: {message}")]
pub struct InvalidShift {
    /// Row number as the uploader counts it.
    pub row: usize,
    /// The column at fault.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

/// Longest accepted shift: 24 hours.
pub const MAX_SHIFT_MS: i64 = 24 * crate::time::MS_PER_HOUR;

/// Parses a schedule CSV: a header naming `username`, `shift_start`, `shift_end` and optionally `time_zone`
/// (any order), then one shift per line. Blank lines are skipped; fields may be wrapped in double quotes.
/// Row numbers in errors are file line numbers (the header is line 1).
pub fn parse_schedule_csv(text: &str) -> Result<Vec<ShiftRow>, InvalidShift> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Ok(Vec::new());
    };
    let cols: Vec<String> = split_csv_line(header)
        .iter()
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let find = |name: &'static str| cols.iter().position(|c| c == name);
    let missing = |field: &'static str| InvalidShift {
        row: 1,
        field,
        message: "the header must name username, shift_start and shift_end".into(),
    };
    let user_col = find("username").ok_or_else(|| missing("username"))?;
    let start_col = find("shift_start").ok_or_else(|| missing("shift_start"))?;
    let end_col = find("shift_end").ok_or_else(|| missing("shift_end"))?;
    let tz_col = find("time_zone");
    lines
        .map(|(i, line)| {
            let fields = split_csv_line(line);
            let get = |c: usize, field: &'static str| {
                fields
                    .get(c)
                    .filter(|v| !v.is_empty())
                    .cloned()
                    .ok_or_else(|| InvalidShift {
                        row: i + 1,
                        field,
                        message: "is missing".into(),
                    })
            };
            Ok(ShiftRow {
                username: get(user_col, "username")?,
                start: get(start_col, "shift_start")?,
                end: get(end_col, "shift_end")?,
                time_zone: tz_col
                    .and_then(|c| fields.get(c))
                    .filter(|v| !v.is_empty())
                    .cloned(),
            })
        })
        .collect()
}

fn split_csv_line(line: &str) -> Vec<String> {
    line.split(',')
        .map(|f| {
            let f = f.trim();
            f.strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .unwrap_or(f)
                .trim()
                .to_owned()
        })
        .collect()
}

/// Turns a row's wall-clock times into instants in a zone `utc_offset_minutes` east of UTC, checking that the
/// shift runs forwards and lasts at most [`MAX_SHIFT_MS`].
pub fn shift_instants(
    row: &ShiftRow,
    index: usize,
    utc_offset_minutes: i32,
) -> Result<(Timestamp, Timestamp), InvalidShift> {
    let bad = |field: &'static str, message: &str| InvalidShift {
        row: index,
        field,
        message: message.to_owned(),
    };
    let start =
        super::period::parse_local_datetime(&row.start, utc_offset_minutes).ok_or_else(|| {
            bad(
                "shift_start",
                "must be a local date and time, 2026-11-24 07:00",
            )
        })?;
    let end =
        super::period::parse_local_datetime(&row.end, utc_offset_minutes).ok_or_else(|| {
            bad(
                "shift_end",
                "must be a local date and time, 2026-11-24 15:00",
            )
        })?;
    if end <= start {
        return Err(bad(
            "shift_end",
            "must be after shift_start (an overnight shift ends on the next date)",
        ));
    }
    if end.millis_since(start) > MAX_SHIFT_MS {
        return Err(bad("shift_end", "a shift lasts at most 24 hours"));
    }
    Ok((start, end))
}
