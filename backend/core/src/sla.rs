//! Service-level agreements: how fast each step of handling an emergency should happen, and the clocks that
//! notice when it did not.
//!
//! * [`SlaPolicy`] holds the targets per category × priority (and urban/rural for arrival), with
//!   [`SlaPolicy::defaults`] and serde support so the server can load it from its TOML config.
//! * [`SlaEngine`] runs the clocks in the quinn-proto shape: the engine never reads a clock and never sleeps.
//!   The shell calls [`SlaEngine::poll_timeout`] to learn when to wake, sleeps until then, and calls
//!   [`SlaEngine::handle_timeout`] with the current time. Tests drive it with explicit timestamps.
//!
//! Clock semantics:
//!
//! * A clock for (subject, kind) runs from `started_at` with a target of `target_ms`. Its **deadline** is
//!   `started_at + target_ms`, the last instant at which the target is still met. It is **breached** once
//!   more than `target_ms` has elapsed, i.e. from `deadline + 1 ms`.
//! * Invariant: every clock yields at most one [`Breach`], either from `handle_timeout` or, if the shell had not
//!   polled in time, from the [`ClockOutcome`] that [`SlaEngine::stop`] returns. A breached clock keeps running
//!   until stopped (so its final elapsed time is known) but never breaches again.
//! * After a restart, [`SlaEngine::restore`] rebuilds clocks from stored start times; breaches that fell due
//!   while the server was down come out of the first `handle_timeout`, and breaches already recorded are not
//!   repeated.
//! * **Re-planning** ([`replan`], [`SlaEngine::retarget`]): when an incident's priority (or category) is
//!   corrected, each of its running clocks takes the target the policy gives its kind for the new priority,
//!   from the moment of the change, with the elapsed time kept: the start stays, `target_ms` becomes the new
//!   priority's target for that kind, and the deadline becomes `started_at + new target`. A clock that is
//!   already past the new deadline at the change breaches at the change (detected then, once); a clock whose
//!   breach was already reported stays breached, even if the new target would have been met. Stopped clocks
//!   are history and are not re-planned.

use crate::error::ErrorCode;
use crate::incident::{Category, Priority};
use crate::time::{MS_PER_SECOND, Timestamp};
use crate::unit::string_enum;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

string_enum! {
    /// Which step of the response a clock measures.
    SlaKind, UnknownSlaKind, "SLA kind" {
        /// Call rings → a call taker answers. Subject: the call.
        Answer => "answer",
        /// Call answered → incident escalated to an agency. Subject: the incident.
        Escalation => "escalation",
        /// Incident escalated → first unit assigned. Subject: the incident.
        Dispatch => "dispatch",
        /// Unit assigned → crew acknowledges. Subject: the assignment.
        Acknowledge => "acknowledge",
        /// Unit assigned → unit on scene. Subject: the assignment.
        Arrival => "arrival",
        /// Incident created → incident resolved. Subject: the incident.
        Resolution => "resolution",
    }
}

string_enum! {
    /// Whether an incident location is urban or rural; only the arrival target depends on it.
    AreaClass, UnknownAreaClass, "area class" {
        /// Kota, or a kabupaten's dense centre.
        Urban => "urban",
        /// Everywhere else.
        Rural => "rural",
    }
}

/// The targets for one priority, in seconds (seconds, not milliseconds, because people write these files).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Targets {
    /// Answer → escalated.
    pub escalation_s: u32,
    /// Escalated → first assignment.
    pub dispatch_s: u32,
    /// Assignment → acknowledged.
    pub acknowledge_s: u32,
    /// Assignment → on scene, in an urban area.
    pub arrival_urban_s: u32,
    /// Assignment → on scene, in a rural area.
    pub arrival_rural_s: u32,
    /// Incident created → resolved.
    pub resolution_s: u32,
}

/// Targets per priority. A priority left out of a configuration keeps its default targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PriorityTargets {
    /// Critical.
    pub p1: Targets,
    /// Urgent.
    pub p2: Targets,
    /// Normal.
    pub p3: Targets,
    /// Low.
    pub p4: Targets,
}

impl PriorityTargets {
    fn get(&self, p: Priority) -> &Targets {
        match p {
            Priority::P1 => &self.p1,
            Priority::P2 => &self.p2,
            Priority::P3 => &self.p3,
            Priority::P4 => &self.p4,
        }
    }
}

/// Targets that differ for one category (and optionally one priority). Absent fields fall through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetOverride {
    /// The category this applies to.
    pub category: Category,
    /// The priority this applies to; `None` means every priority of the category.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// See [`Targets::escalation_s`].
    #[serde(default)]
    pub escalation_s: Option<u32>,
    /// See [`Targets::dispatch_s`].
    #[serde(default)]
    pub dispatch_s: Option<u32>,
    /// See [`Targets::acknowledge_s`].
    #[serde(default)]
    pub acknowledge_s: Option<u32>,
    /// See [`Targets::arrival_urban_s`].
    #[serde(default)]
    pub arrival_urban_s: Option<u32>,
    /// See [`Targets::arrival_rural_s`].
    #[serde(default)]
    pub arrival_rural_s: Option<u32>,
    /// See [`Targets::resolution_s`].
    #[serde(default)]
    pub resolution_s: Option<u32>,
}

impl TargetOverride {
    /// An override for every priority of `category` that changes nothing yet; set fields with struct update
    /// syntax.
    pub fn for_category(category: Category) -> TargetOverride {
        TargetOverride {
            category,
            priority: None,
            escalation_s: None,
            dispatch_s: None,
            acknowledge_s: None,
            arrival_urban_s: None,
            arrival_rural_s: None,
            resolution_s: None,
        }
    }
}

/// All SLA targets of a centre.
///
/// Lookup for (kind, category, priority, area): `answer` is one number for every call (the category is not
/// known while it rings). For the other kinds the most specific source that sets the field wins: an override
/// for this category *and* priority, then an override for this category with no priority, then the priority's
/// defaults. Among equally specific overrides the later one in the list wins.
///
/// Loadable from the server's TOML, for example:
///
/// ```toml
/// [sla]
/// answer_s = 15
/// [sla.priorities.p1]
/// escalation_s = 60
/// dispatch_s = 120
/// acknowledge_s = 60
/// arrival_urban_s = 900
/// arrival_rural_s = 1800
/// resolution_s = 14400
/// # … p2, p3, p4 …
/// [[sla.overrides]]
/// category = "health"
/// priority = "p1"
/// arrival_urban_s = 600
/// ```
///
/// Anything left out keeps its default ([`SlaPolicy::defaults`]): `answer_s = 5` alone is a whole policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlaPolicy {
    /// Ring → answer, for every call, in seconds.
    pub answer_s: u32,
    /// Default targets per priority.
    pub priorities: PriorityTargets,
    /// Category-specific targets.
    #[serde(default)]
    pub overrides: Vec<TargetOverride>,
}

/// An SLA policy that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSlaPolicy {
    /// A target of zero seconds would breach every clock at once.
    #[error("SLA target `{field}` must be greater than zero")]
    ZeroTarget {
        /// The field, as in the config file (`priorities.p1.dispatch_s`, `overrides[2].arrival_urban_s`).
        field: String,
    },
}

impl InvalidSlaPolicy {
    /// Always [`ErrorCode::ValidationFailed`]: a refused value.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::ValidationFailed
    }
}

const fn targets(
    escalation_s: u32,
    dispatch_s: u32,
    ack_s: u32,
    urban_s: u32,
    rural_s: u32,
    res_s: u32,
) -> Targets {
    Targets {
        escalation_s,
        dispatch_s,
        acknowledge_s: ack_s,
        arrival_urban_s: urban_s,
        arrival_rural_s: rural_s,
        resolution_s: res_s,
    }
}

const MIN: u32 = 60;
const HOUR: u32 = 60 * MIN;

impl SlaPolicy {
    /// Defaults for an Indonesian 112 centre. They are starting points for a centre to tune, not regulation:
    ///
    /// * **answer** 15 s for every call (a common 112 benchmark: most calls answered within 10–20 s).
    ///
    /// | priority | escalation | dispatch | acknowledge | arrival urban | arrival rural | resolution |
    /// |----------|-----------:|---------:|------------:|--------------:|--------------:|-----------:|
    /// | p1       | 1 min      | 2 min    | 1 min       | 15 min        | 30 min        | 4 h        |
    /// | p2       | 2 min      | 5 min    | 2 min       | 30 min        | 60 min        | 12 h       |
    /// | p3       | 5 min      | 15 min   | 5 min       | 60 min        | 2 h           | 24 h       |
    /// | p4       | 10 min     | 60 min   | 15 min      | 4 h           | 8 h           | 72 h       |
    ///
    /// Overrides:
    ///
    /// * **fire**, p1 and p2: arrival 15 min urban. Permendagri 114/2018 sets a 15-minute response time for
    ///   fire services within their service area (wilayah manajemen kebakaran).
    /// * **health**, p1: arrival 10 min urban, 20 min rural (ambulance targets are shorter than police ones;
    ///   cardiac arrest survival falls by the minute).
    /// * **natural_disaster**, all priorities: resolution 72 h (floods and landslides last days; resolution
    ///   here means the emergency phase is handed over).
    pub fn defaults() -> SlaPolicy {
        let fire = |p| TargetOverride {
            priority: Some(p),
            arrival_urban_s: Some(15 * MIN),
            ..TargetOverride::for_category(Category::Fire)
        };
        SlaPolicy {
            answer_s: 15,
            priorities: PriorityTargets {
                p1: targets(MIN, 2 * MIN, MIN, 15 * MIN, 30 * MIN, 4 * HOUR),
                p2: targets(2 * MIN, 5 * MIN, 2 * MIN, 30 * MIN, HOUR, 12 * HOUR),
                p3: targets(5 * MIN, 15 * MIN, 5 * MIN, HOUR, 2 * HOUR, 24 * HOUR),
                p4: targets(10 * MIN, HOUR, 15 * MIN, 4 * HOUR, 8 * HOUR, 72 * HOUR),
            },
            overrides: vec![
                fire(Priority::P1),
                fire(Priority::P2),
                TargetOverride {
                    priority: Some(Priority::P1),
                    arrival_urban_s: Some(10 * MIN),
                    arrival_rural_s: Some(20 * MIN),
                    ..TargetOverride::for_category(Category::Health)
                },
                TargetOverride {
                    resolution_s: Some(72 * HOUR),
                    ..TargetOverride::for_category(Category::NaturalDisaster)
                },
            ],
        }
    }

    /// Checks that every target is positive. Call it after loading.
    pub fn validate(&self) -> Result<(), InvalidSlaPolicy> {
        let zero = |field: String| Err(InvalidSlaPolicy::ZeroTarget { field });
        if self.answer_s == 0 {
            return zero("answer_s".to_owned());
        }
        for p in Priority::ALL {
            let t = self.priorities.get(*p);
            for (name, v) in target_fields(t) {
                if v == 0 {
                    return zero(format!("priorities.{p}.{name}"));
                }
            }
        }
        for (index, o) in self.overrides.iter().enumerate() {
            for (name, v) in override_fields(o) {
                if v == Some(0) {
                    return zero(format!("overrides[{index}].{name}"));
                }
            }
        }
        Ok(())
    }

    /// The ring → answer target in milliseconds.
    pub fn answer_target_ms(&self) -> i64 {
        i64::from(self.answer_s) * MS_PER_SECOND
    }

    /// The target in milliseconds for a clock of `kind` on an incident of `category` and `priority` located in
    /// an `area` (`area` matters only for [`SlaKind::Arrival`]; `category` and `priority` not for
    /// [`SlaKind::Answer`]).
    pub fn target_ms(
        &self,
        kind: SlaKind,
        category: Category,
        priority: Priority,
        area: AreaClass,
    ) -> i64 {
        let pick = |t: &Targets| -> u32 {
            match (kind, area) {
                (SlaKind::Answer, _) => self.answer_s,
                (SlaKind::Escalation, _) => t.escalation_s,
                (SlaKind::Dispatch, _) => t.dispatch_s,
                (SlaKind::Acknowledge, _) => t.acknowledge_s,
                (SlaKind::Arrival, AreaClass::Urban) => t.arrival_urban_s,
                (SlaKind::Arrival, AreaClass::Rural) => t.arrival_rural_s,
                (SlaKind::Resolution, _) => t.resolution_s,
            }
        };
        let from_override = |o: &TargetOverride| -> Option<u32> {
            match (kind, area) {
                (SlaKind::Answer, _) => None,
                (SlaKind::Escalation, _) => o.escalation_s,
                (SlaKind::Dispatch, _) => o.dispatch_s,
                (SlaKind::Acknowledge, _) => o.acknowledge_s,
                (SlaKind::Arrival, AreaClass::Urban) => o.arrival_urban_s,
                (SlaKind::Arrival, AreaClass::Rural) => o.arrival_rural_s,
                (SlaKind::Resolution, _) => o.resolution_s,
            }
        };
        let specific = |with_priority: bool| {
            self.overrides
                .iter()
                .rev()
                .filter(|o| o.category == category)
                .filter(|o| {
                    if with_priority {
                        o.priority == Some(priority)
                    } else {
                        o.priority.is_none()
                    }
                })
                .find_map(from_override)
        };
        let s = specific(true)
            .or_else(|| specific(false))
            .unwrap_or_else(|| pick(self.priorities.get(priority)));
        i64::from(s) * MS_PER_SECOND
    }
}

/// Whether a unit's estimated travel time makes an incident's arrival target (see [`plan_arrival`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArrivalPlan {
    /// The arrival target that applies, in whole seconds.
    pub target_s: i64,
    /// The travel time rounded up to whole seconds.
    pub eta_s: i64,
    /// `eta_s <= target_s`: the unit arrives no later than the last instant at which the target is met (the
    /// same inclusive deadline the arrival clock uses).
    pub meets_target: bool,
}

/// Plans an arrival: the policy's [`SlaKind::Arrival`] target for `category`, `priority` and `area`, and whether
/// a unit `eta_s` seconds away makes it. An ETA that is not a number or negative cannot make any target (an
/// estimate that failed must not read as "on time"); fractions of a second round up.
pub fn plan_arrival(
    policy: &SlaPolicy,
    category: Category,
    priority: Priority,
    area: AreaClass,
    eta_s: f64,
) -> ArrivalPlan {
    let target_s = policy.target_ms(SlaKind::Arrival, category, priority, area) / MS_PER_SECOND;
    match eta_whole_seconds(eta_s) {
        Some(eta) => ArrivalPlan {
            target_s,
            eta_s: eta,
            meets_target: eta <= target_s,
        },
        None => ArrivalPlan {
            target_s,
            eta_s: i64::MAX,
            meets_target: false,
        },
    }
}

/// A travel time in whole seconds, rounded up; None when it is not a number or negative. Saturating: an absurd
/// ETA (a straight line across the globe at walking pace) is simply very late.
pub fn eta_whole_seconds(eta_s: f64) -> Option<i64> {
    (eta_s.is_finite() && eta_s >= 0.0).then(|| eta_s.ceil().min(i64::MAX as f64) as i64)
}

impl Default for SlaPolicy {
    fn default() -> Self {
        SlaPolicy::defaults()
    }
}

impl Default for PriorityTargets {
    fn default() -> Self {
        SlaPolicy::defaults().priorities
    }
}

fn target_fields(t: &Targets) -> [(&'static str, u32); 6] {
    [
        ("escalation_s", t.escalation_s),
        ("dispatch_s", t.dispatch_s),
        ("acknowledge_s", t.acknowledge_s),
        ("arrival_urban_s", t.arrival_urban_s),
        ("arrival_rural_s", t.arrival_rural_s),
        ("resolution_s", t.resolution_s),
    ]
}

fn override_fields(o: &TargetOverride) -> [(&'static str, Option<u32>); 6] {
    [
        ("escalation_s", o.escalation_s),
        ("dispatch_s", o.dispatch_s),
        ("acknowledge_s", o.acknowledge_s),
        ("arrival_urban_s", o.arrival_urban_s),
        ("arrival_rural_s", o.arrival_rural_s),
        ("resolution_s", o.resolution_s),
    ]
}

// ---------------------------------------------------------------------------------------------------------------
// The clock engine

/// Whether a stopped clock met its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaResult {
    /// Stopped with `elapsed_ms <= target_ms`.
    Met,
    /// Stopped with `elapsed_ms > target_ms`.
    Breached,
}

/// A clock that ran past its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breach<S> {
    /// What the clock measured (a call, an incident or an assignment id).
    pub subject: S,
    /// Which step.
    pub kind: SlaKind,
    /// When the clock started.
    pub started_at: Timestamp,
    /// The target, in milliseconds.
    pub target_ms: i64,
    /// The last instant the target was met (`started_at + target_ms`).
    pub deadline: Timestamp,
    /// When the engine noticed: the `now` of `handle_timeout`, or the stop time if the clock was stopped first.
    pub detected_at: Timestamp,
}

/// The result of stopping a clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockOutcome<S> {
    /// Met or breached.
    pub result: SlaResult,
    /// Milliseconds from start to stop (negative if stopped "before" it started, which counts as met).
    pub elapsed_ms: i64,
    /// The target, in milliseconds.
    pub target_ms: i64,
    /// The breach, if this clock breached and `handle_timeout` had not reported it yet. The shell must record
    /// it exactly like one from `handle_timeout`.
    pub breach: Option<Breach<S>>,
}

/// A running clock as stored outside the engine, for [`SlaEngine::restore`] and [`SlaEngine::clocks`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredClock<S> {
    /// What the clock measures.
    pub subject: S,
    /// Which step.
    pub kind: SlaKind,
    /// When it started.
    pub started_at: Timestamp,
    /// The target, in milliseconds (negative values are treated as 0).
    pub target_ms: i64,
    /// Whether its breach has already been reported (and recorded). Such a clock never breaches again.
    pub breach_reported: bool,
}

/// What [`SlaEngine::restore`] did, for the start-up log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RestoreSummary {
    /// Clocks added.
    pub restored: usize,
    /// Of those, clocks already past their deadline and not yet reported: the next `handle_timeout(now)`
    /// returns them.
    pub overdue: usize,
    /// Clocks skipped because one with the same (subject, kind) was already running.
    pub duplicates: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Clock {
    started_at: Timestamp,
    target_ms: i64,
    breach_reported: bool,
}

impl Clock {
    fn deadline(&self) -> Timestamp {
        self.started_at.plus_millis(self.target_ms)
    }

    /// The first instant at which the clock is breached.
    fn breach_at(&self) -> Timestamp {
        self.deadline().plus_millis(1)
    }
}

/// The running SLA clocks of a centre, keyed by (subject, kind). Deterministic: time only enters as arguments.
///
/// `S` is the subject identifier (for example an enum over call, incident and assignment ids).
#[derive(Debug, Clone)]
pub struct SlaEngine<S> {
    clocks: BTreeMap<(S, SlaKind), Clock>,
    /// Breach instants of the clocks not yet reported, ordered so the next one is first.
    pending: BTreeSet<(Timestamp, S, SlaKind)>,
}

impl<S: Ord + Clone> Default for SlaEngine<S> {
    fn default() -> Self {
        SlaEngine::new()
    }
}

impl<S: Ord + Clone> SlaEngine<S> {
    /// An engine with no clocks.
    pub fn new() -> SlaEngine<S> {
        SlaEngine {
            clocks: BTreeMap::new(),
            pending: BTreeSet::new(),
        }
    }

    /// Starts the clock (subject, kind) at `started_at` with a target of `target_ms` (negative means 0).
    ///
    /// Returns `false` and changes nothing if that clock is already running: the first start wins, so replaying
    /// the same start event is harmless. `started_at` may lie in the past; if the clock is already overdue,
    /// the next `handle_timeout` reports it.
    pub fn start(
        &mut self,
        subject: S,
        kind: SlaKind,
        started_at: Timestamp,
        target_ms: i64,
    ) -> bool {
        self.insert(
            subject,
            kind,
            Clock {
                started_at,
                target_ms: target_ms.max(0),
                breach_reported: false,
            },
        )
    }

    fn insert(&mut self, subject: S, kind: SlaKind, clock: Clock) -> bool {
        let key = (subject, kind);
        if self.clocks.contains_key(&key) {
            return false;
        }
        if !clock.breach_reported {
            self.pending
                .insert((clock.breach_at(), key.0.clone(), kind));
        }
        self.clocks.insert(key, clock);
        true
    }

    /// Stops the clock (subject, kind) at `at` and says whether it met its target. `None` if no such clock runs
    /// (stopping twice is harmless).
    pub fn stop(&mut self, subject: &S, kind: SlaKind, at: Timestamp) -> Option<ClockOutcome<S>> {
        let key = (subject.clone(), kind);
        let clock = self.clocks.remove(&key)?;
        if !clock.breach_reported {
            self.pending
                .remove(&(clock.breach_at(), key.0.clone(), kind));
        }
        let elapsed_ms = at.millis_since(clock.started_at);
        // A clock once reported stays breached, also when a re-plan gave it a longer target since.
        let breached = clock.breach_reported || is_breached(clock.started_at, clock.target_ms, at);
        let breach = (breached && !clock.breach_reported).then(|| Breach {
            subject: key.0,
            kind,
            started_at: clock.started_at,
            target_ms: clock.target_ms,
            deadline: clock.deadline(),
            detected_at: at,
        });
        Some(ClockOutcome {
            result: if breached {
                SlaResult::Breached
            } else {
                SlaResult::Met
            },
            elapsed_ms,
            target_ms: clock.target_ms,
            breach,
        })
    }

    /// Stops every clock of `subject` at `at` (an incident was cancelled, a call dropped), in [`SlaKind`] order.
    pub fn stop_subject(&mut self, subject: &S, at: Timestamp) -> Vec<(SlaKind, ClockOutcome<S>)> {
        SlaKind::ALL
            .iter()
            .filter_map(|k| self.stop(subject, *k, at).map(|o| (*k, o)))
            .collect()
    }

    /// Cancels the clock (subject, kind): it stops without a result and is never reported as breached, even
    /// when its deadline has passed and `handle_timeout` has not run yet (its subject was withdrawn, so the
    /// step it measured is no longer owed). Returns whether such a clock ran.
    pub fn cancel(&mut self, subject: &S, kind: SlaKind) -> bool {
        let key = (subject.clone(), kind);
        let Some(clock) = self.clocks.remove(&key) else {
            return false;
        };
        if !clock.breach_reported {
            self.pending.remove(&(clock.breach_at(), key.0, kind));
        }
        true
    }

    /// Cancels every clock of `subject` ([`SlaEngine::cancel`]); returns the kinds that ran, in [`SlaKind`]
    /// order.
    pub fn cancel_subject(&mut self, subject: &S) -> Vec<SlaKind> {
        SlaKind::ALL
            .iter()
            .copied()
            .filter(|k| self.cancel(subject, *k))
            .collect()
    }

    /// The next instant at which a clock will breach, or `None` if no unreported clock runs. The shell should
    /// call [`SlaEngine::handle_timeout`] at or after this instant. An instant in the past means "now".
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        self.pending.first().map(|(t, _, _)| *t)
    }

    /// Reports every clock that has breached by `now` and was not reported before, in breach order (ties by
    /// subject, then kind). Each clock is reported once in its lifetime; it keeps running until stopped.
    pub fn handle_timeout(&mut self, now: Timestamp) -> Vec<Breach<S>> {
        let mut out = Vec::new();
        while let Some((at, _, _)) = self.pending.first() {
            if *at > now {
                break;
            }
            let Some((_, subject, kind)) = self.pending.pop_first() else {
                break;
            };
            if let Some(clock) = self.clocks.get_mut(&(subject.clone(), kind)) {
                clock.breach_reported = true;
                out.push(Breach {
                    subject,
                    kind,
                    started_at: clock.started_at,
                    target_ms: clock.target_ms,
                    deadline: clock.deadline(),
                    detected_at: now,
                });
            }
        }
        out
    }

    /// Re-plans the running clock (subject, kind) to `target_ms` at `at` (see [`replan`]): the start stays,
    /// the deadline moves to `started_at + target_ms`. Returns `None` when no such clock runs; otherwise the
    /// breach the change raises (the clock was not reported and is past its new deadline at `at`, so it is
    /// reported now, with `detected_at = at`), or `None` inside when it raises none.
    pub fn retarget(
        &mut self,
        subject: &S,
        kind: SlaKind,
        target_ms: i64,
        at: Timestamp,
    ) -> Option<Option<Breach<S>>> {
        let key = (subject.clone(), kind);
        let clock = self.clocks.get_mut(&key)?;
        if !clock.breach_reported {
            self.pending
                .remove(&(clock.breach_at(), key.0.clone(), kind));
        }
        let plan = replan(clock.started_at, target_ms, clock.breach_reported, at);
        clock.target_ms = plan.target_ms;
        if plan.breached_now {
            clock.breach_reported = true;
            return Some(Some(Breach {
                subject: key.0,
                kind,
                started_at: clock.started_at,
                target_ms: clock.target_ms,
                deadline: plan.deadline,
                detected_at: at,
            }));
        }
        if !clock.breach_reported {
            let breach_at = clock.breach_at();
            self.pending.insert((breach_at, key.0, kind));
        }
        Some(None)
    }

    /// Adds clocks loaded from storage after a restart. Clocks already running keep their state (duplicates are
    /// counted and skipped). Clocks whose breach was reported before the restart stay silent; the others that
    /// are overdue at `now` are returned by the next `handle_timeout`.
    pub fn restore(
        &mut self,
        clocks: impl IntoIterator<Item = StoredClock<S>>,
        now: Timestamp,
    ) -> RestoreSummary {
        let mut summary = RestoreSummary::default();
        for c in clocks {
            let clock = Clock {
                started_at: c.started_at,
                target_ms: c.target_ms.max(0),
                breach_reported: c.breach_reported,
            };
            let overdue = !clock.breach_reported && clock.breach_at() <= now;
            if self.insert(c.subject, c.kind, clock) {
                summary.restored += 1;
                summary.overdue += usize::from(overdue);
            } else {
                summary.duplicates += 1;
            }
        }
        summary
    }

    /// Every running clock, ordered by subject then kind.
    pub fn clocks(&self) -> impl Iterator<Item = StoredClock<S>> + '_ {
        self.clocks.iter().map(|((subject, kind), c)| StoredClock {
            subject: subject.clone(),
            kind: *kind,
            started_at: c.started_at,
            target_ms: c.target_ms,
            breach_reported: c.breach_reported,
        })
    }

    /// Whether the clock (subject, kind) is running.
    pub fn is_running(&self, subject: &S, kind: SlaKind) -> bool {
        self.clocks.contains_key(&(subject.clone(), kind))
    }

    /// Number of running clocks.
    pub fn len(&self) -> usize {
        self.clocks.len()
    }

    /// Whether no clock is running.
    pub fn is_empty(&self) -> bool {
        self.clocks.is_empty()
    }
}

/// Whether a clock started at `started_at` with a target of `target_ms` (negative means 0) is breached at `at`:
/// more than the target has elapsed, so the deadline `started_at + target_ms` itself still meets it.
///
/// The one breach rule of Siaga: [`SlaEngine`] applies it to the clocks it runs, and a shell that stops a
/// stored clock outside an engine (a request closing a step) applies it to decide whether that stop records a
/// breach the engine's owner has not reported yet.
///
/// ```
/// use siaga_core::sla::is_breached;
/// use siaga_core::time::Timestamp;
/// let start = Timestamp(1_000);
/// assert!(!is_breached(start, 60_000, Timestamp(61_000)));
/// assert!(is_breached(start, 60_000, Timestamp(61_001)));
/// ```
pub fn is_breached(started_at: Timestamp, target_ms: i64, at: Timestamp) -> bool {
    at.millis_since(started_at) > target_ms.max(0)
}

/// A running clock re-planned to a new target (see the module docs, *Re-planning*).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replan {
    /// The new target, in milliseconds (negative means 0).
    pub target_ms: i64,
    /// The new deadline: `started_at + target_ms`.
    pub deadline: Timestamp,
    /// Whether the change itself raises the clock's breach: it was not breached before and is past its new
    /// deadline at the change.
    pub breached_now: bool,
}

/// The one re-planning rule: a clock started at `started_at` whose target changes to `target_ms` at `at`
/// keeps its start (the elapsed time counts), gets the deadline `started_at + target_ms`, and breaches at the
/// change when it is past that deadline then and `already_breached` is false. A clock already breached stays
/// breached (`breached_now` is false: its breach was raised once already).
///
/// ```
/// use siaga_core::sla::replan;
/// use siaga_core::time::Timestamp;
/// // Started at 0 with 15 min; at 3 min the priority goes to p1 (2 min): overdue, breached now.
/// let p = replan(Timestamp(0), 120_000, false, Timestamp(180_000));
/// assert_eq!(p.deadline, Timestamp(120_000));
/// assert!(p.breached_now);
/// // At 1 min instead: 1 min left.
/// assert!(!replan(Timestamp(0), 120_000, false, Timestamp(60_000)).breached_now);
/// ```
pub fn replan(
    started_at: Timestamp,
    target_ms: i64,
    already_breached: bool,
    at: Timestamp,
) -> Replan {
    let target_ms = target_ms.max(0);
    Replan {
        target_ms,
        deadline: started_at.plus_millis(target_ms),
        breached_now: !already_breached && is_breached(started_at, target_ms, at),
    }
}

/// Why a running clock stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopCause {
    /// The step it measured was done (answered, escalated, acknowledged, arrived, resolved, closed).
    Done,
    /// Its subject was withdrawn (the incident cancelled or merged into another, its assignment cancelled
    /// with it): the step is no longer owed.
    Cancelled,
}

/// What stopping a stored clock records, decided by [`stop_decision`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopDecision {
    /// Record a breach now: the clock ran past its target and nobody recorded it yet.
    pub record_breach: bool,
    /// Mark the clock cancelled: it counts as neither met nor breached in the figures.
    pub cancelled: bool,
}

/// What to record when a stored clock (started at `started_at`, target `target_ms`, its breach already
/// recorded or not) stops at `at` for `cause`:
///
/// * done: a breach is recorded when the clock is past its target and none was recorded yet ([`is_breached`]);
/// * cancelled: never a breach; the clock is marked cancelled unless its breach was recorded before the
///   cancellation (that breach was raised and seen while the step was still owed, so it stays a breach).
///
/// ```
/// use siaga_core::sla::{StopCause, StopDecision, stop_decision};
/// use siaga_core::time::Timestamp;
/// let late = stop_decision(Timestamp(0), 1_000, false, Timestamp(5_000), StopCause::Cancelled);
/// assert_eq!(late, StopDecision { record_breach: false, cancelled: true });
/// ```
pub fn stop_decision(
    started_at: Timestamp,
    target_ms: i64,
    breach_recorded: bool,
    at: Timestamp,
    cause: StopCause,
) -> StopDecision {
    match cause {
        StopCause::Done => StopDecision {
            record_breach: !breach_recorded && is_breached(started_at, target_ms, at),
            cancelled: false,
        },
        StopCause::Cancelled => StopDecision {
            record_breach: false,
            cancelled: !breach_recorded,
        },
    }
}

#[cfg(test)]
#[path = "sla_tests.rs"]
mod tests;
