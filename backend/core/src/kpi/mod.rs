//! Key performance indicators of a 112 centre, computed from recorded events, never from typed-in totals.
//!
//! Input is plain records ([`CallRecord`], [`IncidentRecord`], [`SlaClockRecord`], agents, their states and
//! shifts) as the store reads them for a period; output is a [`KpiReport`]. No I/O, no clock: the moment the
//! report is made enters as `as_of`.
//!
//! * [`period`]: days, ISO weeks, months and ranges in local time (WIB/WITA/WIT).
//! * [`stats`]: nearest-rank percentiles and means, defined exactly.
//! * [`agents`]: agent states, time in state, schedule adherence, and the schedule upload parser.
//!
//! # Which records belong to a period
//!
//! Every record carries the UTC offset of its own region. A call belongs to the local day on which it **rang**
//! (so a call ringing at 23:58 and ending at 00:05 counts, whole, on the first day; its handling time too). An
//! incident belongs to the day it was **created**; its intervals and SLA clocks go with it, however late they
//! end. An answer-SLA clock goes with its call. Records outside the period are ignored, so a store may read a
//! generous window ([`Period::bounds_in_any_indonesian_zone`]) and leave the exact cut to this module.
//!
//! # Definitions
//!
//! * **Offered**: every call (any channel) that rang in the period. **Answered**: has an answer time.
//!   **Abandoned**: the caller hung up before an answer. Offered = answered + abandoned + unanswered, the last
//!   being calls still ringing or without an outcome.
//! * **Success call ratio**: (emergency + information calls) ÷ offered. No national formula is published for
//!   Indonesian 112 centres; local Kominfo reports split incoming calls into *panggilan terputus* (dropped) and,
//!   of those answered, *darurat*, *informasi*, *prank* and *ghost*. Counting emergency and information calls
//!   against everything offered makes dropped calls, pranks and ghost calls all lower the ratio.
//!   **Genuine share of answered** is the same numerator over answered calls, to separate abuse from capacity.
//! * **Average speed of answer (ASA)**: mean of answer − ring over answered calls.
//!   **Service level 15 s / 20 s**: calls answered within 15 s (20 s), inclusive, ÷ offered (NENA's call-
//!   answering standard counts against all calls arriving, so an abandoned call counts as not answered in time).
//! * **Average handling time (AHT)**: mean of end − answer over calls with both (talk time; Siaga records no
//!   separate wrap-up).
//! * **Prank/ghost ratio**: (prank + ghost) ÷ answered. **Prank ratio**: prank ÷ answered alone (a ghost call
//!   may be a dead line or a pocket dial; a prank is someone abusing the number, which is what centres report).
//! * **Abandon rate**: abandoned ÷ offered.
//! * **Intervals** per incident: first answer of a linked call → first escalation to an OPD → first assignment
//!   (dispatch) → first acknowledgement → first unit on scene → resolved → closed, plus answer → dispatch and
//!   answer → on scene. Count, mean, nearest-rank median and 90th percentile; a pair with a missing or earlier
//!   end (a back-dated entry) is left out of that interval.
//! * **Test calls** (class `test`, the start-of-shift check) are left out of every figure: they are neither
//!   offered, answered nor classified calls of the period.
//! * **Call-backs** ([`CallBackKpis`]), by the day the task was created: *created* tasks; *made*, tasks with at
//!   least one attempt (*attempts* counts them all); *reached*, tasks whose caller was reached; *within
//!   target*, tasks whose first attempt was at or before the due time (`siaga_core::call_back::within_target`);
//!   *open*, tasks not yet done at `as_of`. Ratios: reached ÷ made, within target ÷ created.
//! * **SLA compliance**: met ÷ (met + breached). A clock is *breached* when a breach was recorded, when it
//!   stopped after its deadline, or when it is still running past its deadline at `as_of`; *met* when it
//!   stopped by its deadline; otherwise *running* (left out of the ratio). A clock stopped because its incident
//!   was cancelled or merged (`cancelled_at`, see `siaga_core::sla::stop_decision`) is *cancelled*: counted on
//!   its own and left out of the ratio, whether or not its deadline had passed.
//! * **Withdrawn incidents** ([`IncidentKpis`]): of the period's incidents, how many were *resolved* (a unit
//!   resolved them), *closed*, *cancelled* (per [`CancelReason`], every reason listed) and *merged* into a
//!   master as duplicates (also counted as cancelled with reason `duplicate`).

pub mod agents;
pub mod period;
pub mod stats;

pub use period::{InvalidPeriod, Period};

use crate::call::CallClass;
use crate::cancel::CancelReason;
use crate::incident::{Category, Priority};
use crate::role::Role;
use crate::sla::SlaKind;
use crate::time::{MS_PER_SECOND, Timestamp};
use agents::{AgentStateRecord, AgentTime, ShiftRecord};
use period::{date_of_day, local_day};
use serde::Serialize;
use stats::{Summary, mean, ratio};
use std::collections::{BTreeMap, HashMap};

/// Answer within this many milliseconds counts towards the first service level (15 s).
pub const SERVICE_LEVEL_1_MS: i64 = 15 * MS_PER_SECOND;
/// Answer within this many milliseconds counts towards the second service level (20 s).
pub const SERVICE_LEVEL_2_MS: i64 = 20 * MS_PER_SECOND;
/// At most this many SLA breaches are listed (the earliest); `breaches_total` always has the full count.
pub const MAX_LISTED_BREACHES: usize = 5_000;

/// One call (any channel) as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// When it started ringing (was offered).
    pub ring_at: Timestamp,
    /// When a call taker answered.
    pub answered_at: Option<Timestamp>,
    /// When it ended.
    pub ended_at: Option<Timestamp>,
    /// The caller hung up before an answer.
    pub abandoned: bool,
    /// What it turned out to be.
    pub class: Option<CallClass>,
    /// Who answered.
    pub call_taker_id: Option<String>,
    /// UTC offset of the call's region.
    pub utc_offset_minutes: i32,
}

/// One call-back task as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallBackRecord {
    /// When the task was created.
    pub created_at: Timestamp,
    /// When it was due.
    pub due_at: Timestamp,
    /// When its first attempt was made.
    pub first_attempt_at: Option<Timestamp>,
    /// Attempts made.
    pub attempts: u32,
    /// Whether an attempt reached the caller.
    pub reached: bool,
    /// Whether it is still open.
    pub open: bool,
    /// UTC offset of its call's region.
    pub utc_offset_minutes: i32,
}

/// An escalation of an incident to one OPD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationRecord {
    /// The OPD.
    pub agency_id: String,
    /// When it was escalated.
    pub escalated_at: Timestamp,
}

/// The milestones of one assignment of a unit to an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentRecord {
    /// The unit's OPD.
    pub agency_id: String,
    /// When the unit was assigned (dispatched).
    pub assigned_at: Timestamp,
    /// When its crew acknowledged.
    pub acknowledged_at: Option<Timestamp>,
    /// When it arrived.
    pub on_scene_at: Option<Timestamp>,
    /// The dispatcher who assigned it.
    pub assigned_by: Option<String>,
}

/// One incident with what happened to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentRecord {
    /// Category.
    pub category: Category,
    /// Priority.
    pub priority: Priority,
    /// Region where it happened.
    pub region_code: Option<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// The earliest answer among calls linked to it.
    pub first_answered_at: Option<Timestamp>,
    /// When it was resolved.
    pub resolved_at: Option<Timestamp>,
    /// When it was closed.
    pub closed_at: Option<Timestamp>,
    /// Why it was cancelled, when it was.
    pub cancelled: Option<CancelReason>,
    /// Whether it was merged into a master as a duplicate.
    pub merged: bool,
    /// Its escalations (in a report for one OPD, only that OPD's).
    pub escalations: Vec<EscalationRecord>,
    /// Its assignments (in a report for one OPD, only that OPD's).
    pub assignments: Vec<AssignmentRecord>,
    /// UTC offset of its region.
    pub utc_offset_minutes: i32,
}

/// One SLA clock with what it is attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaClockRecord {
    /// Which step it measures.
    pub kind: SlaKind,
    /// The OPD it measures, if any.
    pub agency_id: Option<String>,
    /// Category of the incident behind it (none for answer clocks).
    pub category: Option<Category>,
    /// Number of the incident behind it.
    pub incident_number: Option<String>,
    /// Last instant at which the target is met.
    pub due_at: Timestamp,
    /// When it stopped.
    pub stopped_at: Option<Timestamp>,
    /// When a breach was recorded.
    pub breached_at: Option<Timestamp>,
    /// When it stopped because its incident was withdrawn (cancelled or merged).
    pub cancelled_at: Option<Timestamp>,
    /// The instant that places it in a period: its call's ring or its incident's creation.
    pub attributed_at: Timestamp,
    /// UTC offset of its subject's region.
    pub utc_offset_minutes: i32,
}

/// SLA clocks already counted by the store: how many of one kind, OPD and category, attached to subjects in
/// one region that started within one hour, were met, breached or still running at `as_of`.
///
/// Stores count clocks in SQL rather than sending every row. An hour is the coarsest slot that never straddles a
/// local midnight in any Indonesian zone (their offsets are whole hours), so each tally lies in exactly one
/// local day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaTally {
    /// Which step.
    pub kind: SlaKind,
    /// The OPD, if any.
    pub agency_id: Option<String>,
    /// Incident category (none for answer clocks).
    pub category: Option<Category>,
    /// The start of the hour in which the clocks' subjects started (ring or creation).
    pub attributed_at: Timestamp,
    /// UTC offset of the subjects' region.
    pub utc_offset_minutes: i32,
    /// Clocks stopped by their deadline.
    pub met: u64,
    /// Clocks breached (by the rule of [`SlaClockRecord`]).
    pub breached: u64,
    /// Clocks still running, not yet due.
    pub running: u64,
    /// Clocks stopped because their incident was withdrawn.
    pub cancelled: u64,
}

/// A call taker or dispatcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRecord {
    /// User id.
    pub user_id: String,
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role (call taker or dispatcher).
    pub role: Role,
    /// UTC offset of the agent's working day.
    pub utc_offset_minutes: i32,
}

/// Everything a report is computed from.
#[derive(Debug, Clone)]
pub struct KpiInput {
    /// The period reported.
    pub period: Period,
    /// When the report is made: running clocks and open states are measured up to here.
    pub as_of: Timestamp,
    /// Calls (records outside the period are ignored).
    pub calls: Vec<CallRecord>,
    /// Incidents.
    pub incidents: Vec<IncidentRecord>,
    /// SLA clocks, one by one: counted, and listed when breached.
    pub sla_clocks: Vec<SlaClockRecord>,
    /// SLA clocks counted by the store: counted only.
    pub sla_tallies: Vec<SlaTally>,
    /// Breached clocks to list whose counts are already in `sla_tallies`: listed only.
    pub sla_breach_details: Vec<SlaClockRecord>,
    /// Call-back tasks.
    pub call_backs: Vec<CallBackRecord>,
    /// Agents to report on.
    pub agents: Vec<AgentRecord>,
    /// Their state records: the last one before the period and all inside it.
    pub agent_states: Vec<AgentStateRecord>,
    /// Their shifts overlapping the period.
    pub shifts: Vec<ShiftRecord>,
    /// Display names of agencies by id.
    pub agency_names: BTreeMap<String, String>,
    /// Display names of regions by code.
    pub region_names: BTreeMap<String, String>,
}

// ---------------------------------------------------------------------------------------------------------------

/// The computed KPIs of one period and scope.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct KpiReport {
    /// The period.
    pub period: PeriodView,
    /// When the report was made (ms since the epoch).
    #[schema(value_type = i64)]
    pub as_of: Timestamp,
    /// Call handling.
    pub calls: CallKpis,
    /// Incident counts.
    pub incidents: IncidentKpis,
    /// Per-incident intervals.
    pub intervals: Vec<IntervalKpi>,
    /// SLA compliance.
    pub sla: SlaKpis,
    /// Call-backs of abandoned, silent and to-be-confirmed calls.
    pub call_backs: CallBackKpis,
    /// Per-agent figures.
    pub agents: Vec<AgentKpis>,
    /// One row per local day.
    pub days: Vec<DayKpis>,
}

/// A period as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PeriodView {
    /// Canonical text, `2026-11`, `2026-W47`, `2026-11-24` or `2026-11-01..2026-11-15`.
    pub text: String,
    /// `day`, `week`, `month` or `range`.
    pub kind: String,
    /// First local day, `yyyy-mm-dd`.
    pub first_day: String,
    /// Last local day (included).
    pub last_day: String,
}

/// Call-handling figures. Definitions in the [module docs](self).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CallKpis {
    /// Calls that rang in the period.
    pub offered: u64,
    /// Of those, answered.
    pub answered: u64,
    /// Of those, hung up before an answer.
    pub abandoned: u64,
    /// Neither answered nor abandoned (still ringing, or no outcome recorded).
    pub unanswered: u64,
    /// `abandoned ÷ offered`.
    pub abandoned_ratio: Option<f64>,
    /// (emergency + information) ÷ offered.
    pub success_call_ratio: Option<f64>,
    /// (emergency + information) ÷ answered.
    pub genuine_share_of_answered: Option<f64>,
    /// Average speed of answer.
    pub asa_ms: Option<i64>,
    /// Speed of answer distribution.
    pub answer_speed: Summary,
    /// Answered within 15 s (inclusive).
    pub answered_within_15s: u64,
    /// Answered within 20 s (inclusive).
    pub answered_within_20s: u64,
    /// `answered_within_15s ÷ offered`.
    pub service_level_15s: Option<f64>,
    /// `answered_within_20s ÷ offered`.
    pub service_level_20s: Option<f64>,
    /// Average handling time (answer → end).
    pub aht_ms: Option<i64>,
    /// Handling time distribution.
    pub handling_time: Summary,
    /// Calls per class, every class listed.
    pub by_class: Vec<KeyCount>,
    /// Answered calls without a class.
    pub unclassified: u64,
    /// (prank + ghost) ÷ answered.
    pub prank_ghost_ratio: Option<f64>,
    /// prank ÷ answered.
    pub prank_ratio: Option<f64>,
}

/// Call-back figures. Definitions in the [module docs](self).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CallBackKpis {
    /// Tasks created in the period.
    pub created: u64,
    /// Of those, with at least one attempt.
    pub made: u64,
    /// Attempts made on them.
    pub attempts: u64,
    /// Of those, the caller reached.
    pub reached: u64,
    /// Of those, first attempt at or before the due time.
    pub within_target: u64,
    /// Of those, still open at `as_of`.
    pub open: u64,
    /// `reached ÷ made`.
    pub reached_ratio: Option<f64>,
    /// `within_target ÷ created`.
    pub within_target_ratio: Option<f64>,
}

/// A count under a key (a class, category, agency id or region code) with its display name when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct KeyCount {
    /// The key.
    pub key: String,
    /// Display name (agencies and regions).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The count.
    pub count: u64,
}

/// Incident counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IncidentKpis {
    /// Incidents created in the period.
    pub total: u64,
    /// Per category, every category listed.
    pub by_category: Vec<KeyCount>,
    /// Per priority, every priority listed.
    pub by_priority: Vec<KeyCount>,
    /// Per OPD escalated to (an incident escalated to two OPDs counts under both).
    pub by_agency: Vec<KeyCount>,
    /// Per region code of the incident (`unknown` when it has none).
    pub by_region: Vec<KeyCount>,
    /// Resolved by a unit (closed ones included).
    pub resolved: u64,
    /// Closed with a final report.
    pub closed: u64,
    /// Cancelled (false alarm, duplicate, caller withdrew, handled elsewhere; merged duplicates included).
    pub cancelled: u64,
    /// Cancelled, per reason (every reason listed).
    pub cancelled_by_reason: Vec<KeyCount>,
    /// Merged into a master as duplicates.
    pub merged: u64,
}

/// One per-incident interval with its statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct IntervalKpi {
    /// `answer_to_escalation`, `escalation_to_dispatch`, …
    pub interval: String,
    /// Statistics over the incidents that have both ends.
    #[serde(flatten)]
    pub summary: Summary,
}

/// Met/breached/running counts and compliance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SlaCounts {
    /// What is counted: a kind, agency id, category, or `agency_id/category`.
    pub key: String,
    /// Display name (agencies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Stopped by the deadline.
    pub met: u64,
    /// Breached.
    pub breached: u64,
    /// Still running, not yet due.
    pub running: u64,
    /// Stopped because the incident was withdrawn (cancelled or merged): left out of the compliance.
    pub cancelled: u64,
    /// `met ÷ (met + breached)`.
    pub compliance: Option<f64>,
}

/// SLA compliance over the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SlaKpis {
    /// Every clock.
    pub total: SlaCounts,
    /// Per SLA kind.
    pub by_kind: Vec<SlaCounts>,
    /// Per OPD (`centre` for clocks of no OPD, such as answering).
    pub by_agency: Vec<SlaCounts>,
    /// Per incident category (`none` for answer clocks).
    pub by_category: Vec<SlaCounts>,
    /// Per OPD and category, keyed `agency_id/category`.
    pub by_agency_category: Vec<SlaCounts>,
    /// Breached clocks sent one by one (individual clocks and breach details), earliest first, at most
    /// [`MAX_LISTED_BREACHES`]. The server lists incident and assignment clocks; a breached answer clock is
    /// counted in the totals but not listed, since each is a call answered late or not at all.
    pub breaches: Vec<SlaBreach>,
    /// Number of listable breaches in the period (the list may be cut at [`MAX_LISTED_BREACHES`]).
    pub breaches_total: u64,
}

/// One breached SLA clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SlaBreach {
    /// Which step.
    pub kind: String,
    /// Incident number (none for answer clocks).
    pub incident_number: Option<String>,
    /// Incident category.
    pub category: Option<String>,
    /// The OPD measured.
    pub agency_id: Option<String>,
    /// Its display name.
    pub agency_name: Option<String>,
    /// Deadline (ms since the epoch).
    pub due_at: i64,
    /// When the breach happened (recorded, or the first millisecond after the deadline).
    pub breached_at: i64,
    /// When the clock stopped, if it did.
    pub stopped_at: Option<i64>,
    /// How far past the deadline it stopped (or `as_of` if still running).
    pub overdue_ms: i64,
}

/// Figures of one agent.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AgentKpis {
    /// User id.
    pub user_id: String,
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Calls answered in the period.
    pub calls_handled: u64,
    /// Their mean handling time.
    pub aht_ms: Option<i64>,
    /// Their summed handling time.
    pub talk_ms: i64,
    /// Units assigned by this agent to incidents of the period.
    pub dispatches: u64,
    /// Time in state and adherence.
    #[serde(flatten)]
    pub time: AgentTime,
}

/// One local day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DayKpis {
    /// `yyyy-mm-dd`.
    pub date: String,
    /// Calls offered.
    pub offered: u64,
    /// Calls answered.
    pub answered: u64,
    /// Calls abandoned.
    pub abandoned: u64,
    /// Average speed of answer.
    pub asa_ms: Option<i64>,
    /// Answered within 15 s ÷ offered.
    pub service_level_15s: Option<f64>,
    /// Average handling time.
    pub aht_ms: Option<i64>,
    /// Incidents created.
    pub incidents: u64,
    /// SLA clocks met.
    pub sla_met: u64,
    /// SLA clocks breached.
    pub sla_breached: u64,
}

// ---------------------------------------------------------------------------------------------------------------

/// Names of the per-incident intervals, in report order.
pub const INTERVALS: [&str; 8] = [
    "answer_to_escalation",
    "escalation_to_dispatch",
    "dispatch_to_acknowledge",
    "acknowledge_to_on_scene",
    "on_scene_to_resolved",
    "resolved_to_closed",
    "answer_to_dispatch",
    "answer_to_on_scene",
];

#[derive(Default)]
struct CallAcc {
    offered: u64,
    answered: u64,
    abandoned: u64,
    speed_sum: i128,
    within_1: u64,
    within_2: u64,
    handling_sum: i128,
    handled: u64,
}

impl CallAcc {
    fn add(&mut self, c: &CallRecord) -> (Option<i64>, Option<i64>) {
        self.offered += 1;
        let speed = c.answered_at.map(|a| a.millis_since(c.ring_at).max(0));
        let handling = match (c.answered_at, c.ended_at) {
            (Some(a), Some(e)) if e >= a => Some(e.millis_since(a)),
            _ => None,
        };
        if let Some(s) = speed {
            self.answered += 1;
            self.speed_sum += i128::from(s);
            self.within_1 += u64::from(s <= SERVICE_LEVEL_1_MS);
            self.within_2 += u64::from(s <= SERVICE_LEVEL_2_MS);
        } else if c.abandoned {
            self.abandoned += 1;
        }
        if let Some(h) = handling {
            self.handled += 1;
            self.handling_sum += i128::from(h);
        }
        (speed, handling)
    }
}

#[derive(Default)]
struct SlaAcc {
    met: u64,
    breached: u64,
    running: u64,
    cancelled: u64,
}

impl SlaAcc {
    fn view(&self, key: String, name: Option<String>) -> SlaCounts {
        SlaCounts {
            key,
            name,
            met: self.met,
            breached: self.breached,
            running: self.running,
            cancelled: self.cancelled,
            compliance: ratio(self.met, self.met + self.breached),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Met,
    Breached,
    Running,
    Cancelled,
}

fn outcome(c: &SlaClockRecord, as_of: Timestamp) -> Outcome {
    if c.cancelled_at.is_some() {
        return Outcome::Cancelled;
    }
    let late_stop = c.stopped_at.is_some_and(|s| s > c.due_at);
    let overdue = c.stopped_at.is_none() && as_of > c.due_at;
    if c.breached_at.is_some() || late_stop || overdue {
        Outcome::Breached
    } else if c.stopped_at.is_some() {
        Outcome::Met
    } else {
        Outcome::Running
    }
}

fn key_counts(map: BTreeMap<String, u64>, names: &BTreeMap<String, String>) -> Vec<KeyCount> {
    map.into_iter()
        .map(|(key, count)| KeyCount {
            name: names.get(&key).cloned(),
            key,
            count,
        })
        .collect()
}

fn earliest(times: impl Iterator<Item = Timestamp>) -> Option<Timestamp> {
    times.min()
}

fn span(from: Option<Timestamp>, to: Option<Timestamp>) -> Option<i64> {
    match (from, to) {
        (Some(f), Some(t)) if t >= f => Some(t.millis_since(f)),
        _ => None,
    }
}

/// Computes the report. Deterministic: the same input gives the same report.
pub fn compute(input: &KpiInput) -> KpiReport {
    let period = &input.period;
    let first = period.first_day_number();
    let n_days = usize::try_from(period.last_day_number() - first + 1).unwrap_or(0);
    let day_index = |ts: Timestamp, offset: i32| -> Option<usize> {
        let d = local_day(ts, offset);
        period
            .contains_day(d)
            .then(|| usize::try_from(d - first).ok())
            .flatten()
    };
    let mut days: Vec<(CallAcc, u64, SlaAcc)> = (0..n_days).map(|_| Default::default()).collect();

    // Calls.
    let mut all = CallAcc::default();
    let mut speeds = Vec::new();
    let mut handlings = Vec::new();
    let mut by_class: BTreeMap<CallClass, u64> = CallClass::ALL
        .iter()
        .filter(|c| c.counts_in_kpis())
        .map(|c| (*c, 0))
        .collect();
    let mut unclassified = 0u64;
    let mut per_agent: HashMap<&str, (u64, i128, u64)> = HashMap::new();
    for c in &input.calls {
        if c.class.is_some_and(|k| !k.counts_in_kpis()) {
            continue;
        }
        let Some(day) = day_index(c.ring_at, c.utc_offset_minutes) else {
            continue;
        };
        let (speed, handling) = all.add(c);
        days[day].0.add(c);
        speeds.extend(speed);
        handlings.extend(handling);
        match c.class {
            Some(class) => *by_class.entry(class).or_default() += 1,
            None if c.answered_at.is_some() => unclassified += 1,
            None => {}
        }
        if let (Some(agent), Some(_)) = (c.call_taker_id.as_deref(), c.answered_at) {
            let e = per_agent.entry(agent).or_default();
            e.0 += 1;
            if let Some(h) = handling {
                e.1 += i128::from(h);
                e.2 += 1;
            }
        }
    }
    let class_count = |cls: CallClass| by_class.get(&cls).copied().unwrap_or(0);
    let genuine = class_count(CallClass::Emergency) + class_count(CallClass::Information);
    let calls = CallKpis {
        offered: all.offered,
        answered: all.answered,
        abandoned: all.abandoned,
        unanswered: all.offered - all.answered - all.abandoned,
        abandoned_ratio: ratio(all.abandoned, all.offered),
        success_call_ratio: ratio(genuine, all.offered),
        genuine_share_of_answered: ratio(genuine, all.answered),
        asa_ms: mean(all.speed_sum, all.answered),
        answer_speed: Summary::of(&mut speeds),
        answered_within_15s: all.within_1,
        answered_within_20s: all.within_2,
        service_level_15s: ratio(all.within_1, all.offered),
        service_level_20s: ratio(all.within_2, all.offered),
        aht_ms: mean(all.handling_sum, all.handled),
        handling_time: Summary::of(&mut handlings),
        by_class: by_class
            .iter()
            .map(|(k, v)| KeyCount {
                key: k.as_str().to_owned(),
                name: None,
                count: *v,
            })
            .collect(),
        unclassified,
        prank_ghost_ratio: ratio(
            class_count(CallClass::Prank) + class_count(CallClass::Ghost),
            all.answered,
        ),
        prank_ratio: ratio(class_count(CallClass::Prank), all.answered),
    };

    // Incidents and intervals.
    let mut by_category: BTreeMap<Category, u64> = Category::ALL.iter().map(|c| (*c, 0)).collect();
    let mut by_priority: BTreeMap<Priority, u64> = Priority::ALL.iter().map(|p| (*p, 0)).collect();
    let mut by_agency: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_region: BTreeMap<String, u64> = BTreeMap::new();
    let mut samples: [Vec<i64>; 8] = Default::default();
    let mut dispatches: HashMap<&str, u64> = HashMap::new();
    let mut total_incidents = 0u64;
    let mut by_reason: BTreeMap<CancelReason, u64> =
        CancelReason::ALL.iter().map(|r| (*r, 0)).collect();
    let (mut resolved, mut closed, mut merged) = (0u64, 0u64, 0u64);
    for i in &input.incidents {
        let Some(day) = day_index(i.created_at, i.utc_offset_minutes) else {
            continue;
        };
        total_incidents += 1;
        resolved += u64::from(i.resolved_at.is_some());
        closed += u64::from(i.closed_at.is_some());
        merged += u64::from(i.merged);
        if let Some(r) = i.cancelled {
            *by_reason.entry(r).or_default() += 1;
        }
        days[day].1 += 1;
        *by_category.entry(i.category).or_default() += 1;
        *by_priority.entry(i.priority).or_default() += 1;
        let mut agencies: Vec<&str> = i.escalations.iter().map(|e| e.agency_id.as_str()).collect();
        agencies.sort_unstable();
        agencies.dedup();
        for a in agencies {
            *by_agency.entry(a.to_owned()).or_default() += 1;
        }
        let region = i.region_code.clone().unwrap_or_else(|| "unknown".into());
        *by_region.entry(region).or_default() += 1;
        for a in &i.assignments {
            if let Some(by) = a.assigned_by.as_deref() {
                *dispatches.entry(by).or_default() += 1;
            }
        }

        let answer = i.first_answered_at;
        let escalation = earliest(i.escalations.iter().map(|e| e.escalated_at));
        let dispatch = earliest(i.assignments.iter().map(|a| a.assigned_at));
        let ack = earliest(i.assignments.iter().filter_map(|a| a.acknowledged_at));
        let on_scene = earliest(i.assignments.iter().filter_map(|a| a.on_scene_at));
        let pairs = [
            (answer, escalation),
            (escalation, dispatch),
            (dispatch, ack),
            (ack, on_scene),
            (on_scene, i.resolved_at),
            (i.resolved_at, i.closed_at),
            (answer, dispatch),
            (answer, on_scene),
        ];
        for (k, (from, to)) in pairs.into_iter().enumerate() {
            samples[k].extend(span(from, to));
        }
    }
    let intervals = INTERVALS
        .iter()
        .zip(samples.iter_mut())
        .map(|(name, values)| IntervalKpi {
            interval: (*name).to_owned(),
            summary: Summary::of(values),
        })
        .collect();
    let incidents = IncidentKpis {
        total: total_incidents,
        by_category: by_category
            .iter()
            .map(|(k, v)| KeyCount {
                key: k.as_str().to_owned(),
                name: None,
                count: *v,
            })
            .collect(),
        by_priority: by_priority
            .iter()
            .map(|(k, v)| KeyCount {
                key: k.as_str().to_owned(),
                name: None,
                count: *v,
            })
            .collect(),
        by_agency: key_counts(by_agency, &input.agency_names),
        by_region: key_counts(by_region, &input.region_names),
        resolved,
        closed,
        cancelled: by_reason.values().sum(),
        cancelled_by_reason: by_reason
            .iter()
            .map(|(k, v)| KeyCount {
                key: k.as_str().to_owned(),
                name: None,
                count: *v,
            })
            .collect(),
        merged,
    };

    // SLA clocks.
    let mut total = SlaAcc::default();
    let mut by_kind: BTreeMap<SlaKind, SlaAcc> = BTreeMap::new();
    let mut sla_agency: BTreeMap<String, SlaAcc> = BTreeMap::new();
    let mut sla_category: BTreeMap<String, SlaAcc> = BTreeMap::new();
    let mut sla_agency_category: BTreeMap<(String, String), SlaAcc> = BTreeMap::new();
    let mut count = |kind: SlaKind,
                     agency: &Option<String>,
                     category: Option<Category>,
                     day: usize,
                     met: u64,
                     breached: u64,
                     running: u64,
                     cancelled: u64| {
        let agency = agency.clone().unwrap_or_else(|| "centre".into());
        let category = category.map_or_else(|| "none".to_owned(), |k| k.as_str().to_owned());
        let accs = [
            &mut total,
            by_kind.entry(kind).or_default(),
            sla_agency.entry(agency.clone()).or_default(),
            sla_category.entry(category.clone()).or_default(),
            sla_agency_category.entry((agency, category)).or_default(),
            &mut days[day].2,
        ];
        for acc in accs {
            acc.met += met;
            acc.breached += breached;
            acc.running += running;
            acc.cancelled += cancelled;
        }
    };
    for t in &input.sla_tallies {
        if let Some(day) = day_index(t.attributed_at, t.utc_offset_minutes) {
            count(
                t.kind,
                &t.agency_id,
                t.category,
                day,
                t.met,
                t.breached,
                t.running,
                t.cancelled,
            );
        }
    }
    let mut breaches = Vec::new();
    for c in &input.sla_clocks {
        let Some(day) = day_index(c.attributed_at, c.utc_offset_minutes) else {
            continue;
        };
        let o = outcome(c, input.as_of);
        count(
            c.kind,
            &c.agency_id,
            c.category,
            day,
            u64::from(o == Outcome::Met),
            u64::from(o == Outcome::Breached),
            u64::from(o == Outcome::Running),
            u64::from(o == Outcome::Cancelled),
        );
        if o == Outcome::Breached {
            breaches.push(c);
        }
    }
    breaches.extend(input.sla_breach_details.iter().filter(|c| {
        day_index(c.attributed_at, c.utc_offset_minutes).is_some()
            && outcome(c, input.as_of) == Outcome::Breached
    }));
    let mut breaches: Vec<SlaBreach> = breaches
        .into_iter()
        .map(|c| {
            let breached_at = c.breached_at.unwrap_or(c.due_at.plus_millis(1));
            let end = c.stopped_at.unwrap_or(input.as_of);
            SlaBreach {
                kind: c.kind.as_str().to_owned(),
                incident_number: c.incident_number.clone(),
                category: c.category.map(|k| k.as_str().to_owned()),
                agency_id: c.agency_id.clone(),
                agency_name: c
                    .agency_id
                    .as_ref()
                    .and_then(|a| input.agency_names.get(a).cloned()),
                due_at: c.due_at.0,
                breached_at: breached_at.0,
                stopped_at: c.stopped_at.map(|s| s.0),
                overdue_ms: end.millis_since(c.due_at).max(0),
            }
        })
        .collect();
    breaches.sort_by(|a, b| {
        (a.breached_at, &a.incident_number, &a.kind).cmp(&(
            b.breached_at,
            &b.incident_number,
            &b.kind,
        ))
    });
    let breaches_total = breaches.len() as u64;
    breaches.truncate(MAX_LISTED_BREACHES);
    let names = &input.agency_names;
    let sla = SlaKpis {
        total: total.view("all".into(), None),
        by_kind: by_kind
            .iter()
            .map(|(k, a)| a.view(k.as_str().to_owned(), None))
            .collect(),
        by_agency: sla_agency
            .iter()
            .map(|(k, a)| a.view(k.clone(), names.get(k).cloned()))
            .collect(),
        by_category: sla_category
            .iter()
            .map(|(k, a)| a.view(k.clone(), None))
            .collect(),
        by_agency_category: sla_agency_category
            .iter()
            .map(|((ag, cat), a)| a.view(format!("{ag}/{cat}"), names.get(ag).cloned()))
            .collect(),
        breaches,
        breaches_total,
    };

    let call_backs = call_back_kpis(input, &day_index);

    // Agents.
    let mut states_of: HashMap<&str, Vec<&AgentStateRecord>> = HashMap::new();
    for s in &input.agent_states {
        states_of.entry(s.user_id.as_str()).or_default().push(s);
    }
    let mut shifts_of: HashMap<&str, Vec<&ShiftRecord>> = HashMap::new();
    for s in &input.shifts {
        shifts_of.entry(s.user_id.as_str()).or_default().push(s);
    }
    let mut agents: Vec<AgentKpis> = input
        .agents
        .iter()
        .map(|a| {
            let id = a.user_id.as_str();
            let (handled, talk, with_end) = per_agent.get(id).copied().unwrap_or_default();
            let time = agents::agent_time(
                states_of.get(id).map_or(&[][..], Vec::as_slice),
                shifts_of.get(id).map_or(&[][..], Vec::as_slice),
                period.bounds(a.utc_offset_minutes),
                input.as_of,
            );
            AgentKpis {
                user_id: a.user_id.clone(),
                username: a.username.clone(),
                display_name: a.display_name.clone(),
                role: a.role,
                calls_handled: handled,
                aht_ms: mean(talk, with_end),
                talk_ms: i64::try_from(talk).unwrap_or(i64::MAX),
                dispatches: dispatches.get(id).copied().unwrap_or(0),
                time,
            }
        })
        .collect();
    agents.sort_by(|a, b| a.username.cmp(&b.username));

    let days = days
        .into_iter()
        .enumerate()
        .map(|(i, (c, incidents, s))| DayKpis {
            date: date_of_day(first + i as i64).to_string(),
            offered: c.offered,
            answered: c.answered,
            abandoned: c.abandoned,
            asa_ms: mean(c.speed_sum, c.answered),
            service_level_15s: ratio(c.within_1, c.offered),
            aht_ms: mean(c.handling_sum, c.handled),
            incidents,
            sla_met: s.met,
            sla_breached: s.breached,
        })
        .collect();

    KpiReport {
        period: PeriodView {
            text: period.to_string(),
            kind: period.kind().to_owned(),
            first_day: period.first_day().to_string(),
            last_day: period.last_day().to_string(),
        },
        as_of: input.as_of,
        calls,
        incidents,
        intervals,
        sla,
        call_backs,
        agents,
        days,
    }
}

/// The call-back figures of the tasks created in the period.
fn call_back_kpis(
    input: &KpiInput,
    day_index: &dyn Fn(Timestamp, i32) -> Option<usize>,
) -> CallBackKpis {
    let mut k = CallBackKpis::default();
    for t in &input.call_backs {
        if day_index(t.created_at, t.utc_offset_minutes).is_none() {
            continue;
        }
        k.created += 1;
        k.attempts += u64::from(t.attempts);
        k.made += u64::from(t.attempts > 0);
        k.reached += u64::from(t.reached);
        k.open += u64::from(t.open);
        k.within_target += u64::from(crate::call_back::within_target(
            t.due_at,
            t.first_attempt_at,
        ));
    }
    k.reached_ratio = ratio(k.reached, k.made);
    k.within_target_ratio = ratio(k.within_target, k.created);
    k
}

#[cfg(test)]
mod tests;
