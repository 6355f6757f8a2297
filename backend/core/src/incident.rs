//! Incidents: what happened, how urgent it is, where it stands, who must respond, and whether it was already
//! reported.
//!
//! * [`Category`], [`Subcategory`], [`Priority`], [`Victims`]: the description a call taker files.
//! * [`IncidentStatus`]: the lifecycle (see [`IncidentStatus::allowed_next`]), with two guards that need the
//!   incident's assignments ([`IncidentStatus::transition_with`]) and the automatic moves that assignments cause
//!   ([`IncidentStatus::follow_assignments`]).
//! * [`IncidentNumber`]: the human-facing number `BTM-20261124-0007`.
//! * [`duplicate_candidates`]: earlier incidents that may be the same emergency reported again.
//! * [`AgencyTable`]: which agency types a category needs.
//!
//! Invariants: a status change is always checked against the lifecycle table first; an `IncidentNumber` that
//! exists formats to exactly the text it was parsed from.

use crate::agency::AgencyType;
use crate::assignment::AssignmentStatus;
use crate::error::ErrorCode;
use crate::position::Position;
use crate::time::{LocalDate, Timestamp};
use crate::transition::{InvalidTransition, Lifecycle};
use crate::unit::string_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

string_enum! {
    /// What kind of emergency it is. Drives the agency table and the SLA policy.
    Category, UnknownCategory, "incident category" {
        /// Fires of buildings, vehicles, land and forest (karhutla).
        Fire => "fire",
        /// Road, rail and water traffic accidents (laka lantas).
        TrafficAccident => "traffic_accident",
        /// Medical emergencies: illness, injury, childbirth.
        Health => "health",
        /// Crimes in progress or just committed.
        Crime => "crime",
        /// Floods, landslides, earthquakes, volcanic eruptions, tsunami, extreme weather.
        NaturalDisaster => "natural_disaster",
        /// Disturbances of public order: fallen trees, loose animals, blocked roads, noise.
        PublicOrder => "public_order",
        /// Riots and brawls between groups (tawuran).
        Riot => "riot",
        /// Violence against women and children (KDRT, child abuse).
        ViolenceWomenChildren => "violence_women_children",
        /// Anything else.
        Other => "other",
    }
}

/// Free-text detail under a category (`"kebakaran rumah"`, `"banjir"`): trimmed, 1..=100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "kebakaran rumah")]
pub struct Subcategory(String);

/// A subcategory that is empty after trimming or longer than 100 characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("subcategory must be 1 to 100 characters")]
pub struct InvalidSubcategory;

impl InvalidSubcategory {
    /// Always [`ErrorCode::ValidationFailed`]: a refused value.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::ValidationFailed
    }
}

impl Subcategory {
    /// Longest subcategory, in characters (not bytes).
    pub const MAX_CHARS: usize = 100;

    /// Trims surrounding whitespace and checks the length. Control characters are rejected too (they would
    /// corrupt CSV exports and log lines).
    pub fn parse(s: &str) -> Result<Subcategory, InvalidSubcategory> {
        let t = s.trim();
        let n = t.chars().count();
        if n == 0 || n > Self::MAX_CHARS || t.chars().any(char::is_control) {
            return Err(InvalidSubcategory);
        }
        Ok(Subcategory(t.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Subcategory {
    type Error = InvalidSubcategory;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Subcategory::parse(&s)
    }
}

impl From<Subcategory> for String {
    fn from(s: Subcategory) -> String {
        s.0
    }
}

string_enum! {
    /// How urgent an incident is. `p1` is the most urgent; the derived order sorts `p1` first.
    ///
    /// Four levels, as in most CAD triage schemes, so a call taker can decide in seconds:
    Priority, UnknownPriority, "priority" {
        /// Critical: an immediate threat to life (cardiac arrest, people trapped in a fire, a crime in progress
        /// with weapons). Respond now, nearest unit, lights and sirens.
        P1 => "p1",
        /// Urgent: serious and likely to get worse without quick help (injury accident, spreading fire without
        /// people inside, assault just ended).
        P2 => "p2",
        /// Normal: needs a response, no immediate danger (minor accident, theft reported afterwards).
        P3 => "p3",
        /// Low: can wait or be scheduled (fallen tree off the road, noise, advice).
        P4 => "p4",
    }
}

string_enum! {
    /// The worst known condition among the victims.
    VictimCondition, UnknownVictimCondition, "victim condition" {
        /// Not known yet.
        Unknown => "unknown",
        /// Walking wounded.
        Minor => "minor",
        /// Needs hospital care.
        Serious => "serious",
        /// Life-threatening.
        Critical => "critical",
        /// At least one death.
        Deceased => "deceased",
    }
}

/// How many people are hurt, and how badly (the worst case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Victims {
    /// Number of victims known so far; 0 when none are reported.
    pub count: u32,
    /// The worst condition among them; `unknown` when `count` is 0 or nobody has seen them.
    pub condition: VictimCondition,
}

impl Victims {
    /// No victims reported.
    pub const NONE: Victims = Victims {
        count: 0,
        condition: VictimCondition::Unknown,
    };

    /// Whether anyone is hurt (`count > 0`). Drives the "+ health" rows of the agency table.
    pub fn any(self) -> bool {
        self.count > 0
    }
}

// ---------------------------------------------------------------------------------------------------------------

string_enum! {
    /// Where an incident stands. See [`IncidentStatus::allowed_next`] for the edges.
    IncidentStatus, UnknownIncidentStatus, "incident status" {
        /// Filed by the call taker, not yet handed to an agency.
        New => "new",
        /// Handed to the responsible agencies' dispatchers (layer 2).
        Escalated => "escalated",
        /// A dispatcher accepted it as real and theirs.
        Verified => "verified",
        /// At least one unit is assigned and working it.
        Dispatched => "dispatched",
        /// Every assignment is finished and at least one unit resolved the situation.
        Resolved => "resolved",
        /// Reviewed and archived. Final.
        Closed => "closed",
        /// A dispatcher sent it back to the call taker (wrong agency, missing details).
        Rejected => "rejected",
        /// Withdrawn: a duplicate, a false alarm, or the caller no longer needs help. Final.
        Cancelled => "cancelled",
    }
}

impl Lifecycle for IncidentStatus {
    /// * `new → escalated | cancelled`
    /// * `escalated → verified | rejected | cancelled`
    /// * `rejected → escalated | cancelled` (the call taker fixes and re-escalates, or withdraws)
    /// * `verified → dispatched | cancelled`
    /// * `dispatched → resolved | verified | cancelled` (`verified` when every unit declined or was cancelled,
    ///   so the incident needs dispatching again)
    /// * `resolved → closed | dispatched` (`dispatched` when more help is sent after all)
    /// * `closed`, `cancelled`: final
    fn allowed_next(self) -> &'static [IncidentStatus] {
        use IncidentStatus::*;
        match self {
            New => &[Escalated, Cancelled],
            Escalated => &[Verified, Rejected, Cancelled],
            Rejected => &[Escalated, Cancelled],
            Verified => &[Dispatched, Cancelled],
            Dispatched => &[Resolved, Verified, Cancelled],
            Resolved => &[Closed, Dispatched],
            Closed | Cancelled => &[],
        }
    }
}

/// Why an incident's status cannot change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncidentTransitionError {
    /// The lifecycle has no such edge.
    #[error(transparent)]
    Invalid(#[from] InvalidTransition<IncidentStatus>),
    /// `resolved` needs every assignment finished and at least one of them resolved.
    #[error("cannot resolve: {open} assignment(s) still open, {resolved} resolved")]
    AssignmentsOpen {
        /// Assignments not yet in a final status.
        open: usize,
        /// Assignments that are resolved.
        resolved: usize,
    },
    /// `dispatched` needs at least one open assignment.
    #[error("cannot mark dispatched without an open assignment")]
    NoOpenAssignment,
}

impl IncidentTransitionError {
    /// Always [`ErrorCode::InvalidTransition`]: the incident is not in a state that allows the change (its
    /// lifecycle, or its assignments, forbid it).
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidTransition
    }
}

impl IncidentStatus {
    /// Checks `self → to` against the lifecycle table, then against the incident's `assignments` (their
    /// current statuses, in any order):
    ///
    /// * `→ resolved` needs no open assignment and at least one resolved one;
    /// * `→ dispatched` needs at least one open assignment.
    ///
    /// "Open" means not final: `assigned`, `acknowledged`, `en_route` or `on_scene`.
    pub fn transition_with(
        self,
        to: IncidentStatus,
        assignments: &[AssignmentStatus],
    ) -> Result<IncidentStatus, IncidentTransitionError> {
        self.transition(to)?;
        let open = assignments.iter().filter(|a| !a.is_final()).count();
        let resolved = assignments
            .iter()
            .filter(|a| **a == AssignmentStatus::Resolved)
            .count();
        match to {
            IncidentStatus::Resolved if open > 0 || resolved == 0 => {
                Err(IncidentTransitionError::AssignmentsOpen { open, resolved })
            }
            IncidentStatus::Dispatched if open == 0 => {
                Err(IncidentTransitionError::NoOpenAssignment)
            }
            _ => Ok(to),
        }
    }

    /// The status an incident moves to by itself after its assignments changed, or `None` to stay:
    ///
    /// * `verified` or `resolved` with an open assignment → `dispatched`;
    /// * `dispatched` with every assignment final and one resolved → `resolved`;
    /// * `dispatched` with every assignment final and none resolved (all declined or cancelled) → `verified`.
    ///
    /// Every status returned is an allowed edge from `self` that passes [`IncidentStatus::transition_with`].
    pub fn follow_assignments(self, assignments: &[AssignmentStatus]) -> Option<IncidentStatus> {
        let open = assignments.iter().any(|a| !a.is_final());
        let resolved = assignments.contains(&AssignmentStatus::Resolved);
        match self {
            IncidentStatus::Verified | IncidentStatus::Resolved if open => {
                Some(IncidentStatus::Dispatched)
            }
            IncidentStatus::Dispatched if !open && resolved => Some(IncidentStatus::Resolved),
            IncidentStatus::Dispatched if !open => Some(IncidentStatus::Verified),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------

/// The number people read out on the radio: `BTM-20261124-0007`.
///
/// Region prefix of 2..=5 ASCII uppercase letters (the centre's code, e.g. `BTM` for Batam), the local date the
/// incident was filed (`yyyymmdd`, in the centre's time zone), and the day's sequence number, zero-padded to at
/// least four digits (`0007`, `12345`). Sequences start at 1 each day and reach at most 999 999 999.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IncidentNumber {
    prefix: String,
    date: LocalDate,
    seq: u32,
}

/// Which part of an incident number is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidIncidentNumber {
    /// Not three parts separated by `-`.
    #[error("incident number must look like BTM-20261124-0007")]
    Shape,
    /// The prefix is not 2..=5 uppercase ASCII letters.
    #[error("incident number prefix must be 2 to 5 uppercase letters")]
    Prefix,
    /// The date is not eight digits naming a real date.
    #[error("incident number date must be a real date as yyyymmdd")]
    Date,
    /// The sequence is not 4..=9 digits, is zero, or has a needless leading zero beyond four digits.
    #[error(
        "incident number sequence must be 4 to 9 digits, at least 1, without extra leading zeros"
    )]
    Sequence,
}

impl InvalidIncidentNumber {
    /// Always [`ErrorCode::ValidationFailed`]: a refused value.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::ValidationFailed
    }
}

impl IncidentNumber {
    /// Largest sequence number (nine digits).
    pub const MAX_SEQ: u32 = 999_999_999;

    /// Builds a number from its parts, validating the prefix and the sequence.
    pub fn new(
        prefix: &str,
        date: LocalDate,
        seq: u32,
    ) -> Result<IncidentNumber, InvalidIncidentNumber> {
        if !(2..=5).contains(&prefix.len()) || !prefix.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(InvalidIncidentNumber::Prefix);
        }
        if seq == 0 || seq > Self::MAX_SEQ {
            return Err(InvalidIncidentNumber::Sequence);
        }
        Ok(IncidentNumber {
            prefix: prefix.to_owned(),
            date,
            seq,
        })
    }

    /// Parses the canonical text form. Exactly one text maps to each number: `0007` parses, `00007` does not.
    pub fn parse(s: &str) -> Result<IncidentNumber, InvalidIncidentNumber> {
        let mut parts = s.split('-');
        let (Some(prefix), Some(date), Some(seq), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(InvalidIncidentNumber::Shape);
        };
        let date = LocalDate::parse_compact(date).ok_or(InvalidIncidentNumber::Date)?;
        let canonical = (4..=9).contains(&seq.len())
            && seq.bytes().all(|b| b.is_ascii_digit())
            && (seq.len() == 4 || !seq.starts_with('0'));
        if !canonical {
            return Err(InvalidIncidentNumber::Sequence);
        }
        let seq = seq.parse().map_err(|_| InvalidIncidentNumber::Sequence)?;
        IncidentNumber::new(prefix, date, seq)
    }

    /// The region prefix (`BTM`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The local date the incident was filed.
    pub fn date(&self) -> LocalDate {
        self.date
    }

    /// The day's sequence number (1-based).
    pub fn seq(&self) -> u32 {
        self.seq
    }
}

impl fmt::Display for IncidentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}-{:04}",
            self.prefix,
            self.date.to_compact(),
            self.seq
        )
    }
}

/// On the wire an incident number is its text form, so the schema is a patterned string.
impl utoipa::PartialSchema for IncidentNumber {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^[A-Z]{2,5}-[0-9]{8}-([0-9]{4}|[1-9][0-9]{4,8})$"))
            .description(Some("Incident number, e.g. BTM-20261124-0007"))
            .into()
    }
}

impl utoipa::ToSchema for IncidentNumber {}

impl FromStr for IncidentNumber {
    type Err = InvalidIncidentNumber;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IncidentNumber::parse(s)
    }
}

impl TryFrom<String> for IncidentNumber {
    type Error = InvalidIncidentNumber;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        IncidentNumber::parse(&s)
    }
}

impl From<IncidentNumber> for String {
    fn from(n: IncidentNumber) -> String {
        n.to_string()
    }
}

// ---------------------------------------------------------------------------------------------------------------

/// What a new report looks like to the duplicate rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DuplicateProbe {
    /// Where it happened.
    pub position: Position,
    /// When it was reported.
    pub at: Timestamp,
    /// What it is.
    pub category: Category,
}

/// An existing incident offered to the duplicate rule. `id` is whatever the caller uses to name incidents.
#[derive(Debug, Clone, PartialEq)]
pub struct ExistingIncident<Id> {
    /// The caller's identifier, returned in matches.
    pub id: Id,
    /// Where it happened.
    pub position: Position,
    /// When it was created.
    pub at: Timestamp,
    /// What it is.
    pub category: Category,
}

/// An existing incident that may be the same emergency as the probe.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateCandidate<Id> {
    /// The existing incident's identifier.
    pub id: Id,
    /// Great-circle distance from the probe, in metres.
    pub distance_m: f64,
    /// Absolute time between the two reports, in milliseconds.
    pub time_gap_ms: i64,
}

/// Existing incidents that may be the same emergency as `probe`, nearest first.
///
/// A match has the same category, lies within `radius_m` metres (inclusive, great-circle distance by
/// [`Position::haversine_m`]) and was created within `window_ms` of the probe in either direction (inclusive;
/// reports can arrive out of order). Ties in distance are broken by the smaller time gap, then by input order.
/// Negative or NaN limits match nothing. Which incidents to offer (open ones, this centre's) is the caller's
/// choice.
pub fn duplicate_candidates<Id: Clone>(
    probe: &DuplicateProbe,
    existing: &[ExistingIncident<Id>],
    radius_m: f64,
    window_ms: i64,
) -> Vec<DuplicateCandidate<Id>> {
    let mut out: Vec<DuplicateCandidate<Id>> = existing
        .iter()
        .filter(|e| e.category == probe.category)
        .filter_map(|e| {
            let time_gap_ms = e.at.millis_since(probe.at).saturating_abs();
            let distance_m = probe.position.haversine_m(e.position);
            (time_gap_ms <= window_ms && distance_m <= radius_m).then(|| DuplicateCandidate {
                id: e.id.clone(),
                distance_m,
                time_gap_ms,
            })
        })
        .collect();
    // `sort_by` is stable, which gives the input-order tie-break. Distances are never NaN (haversine_m).
    out.sort_by(|a, b| {
        a.distance_m
            .total_cmp(&b.distance_m)
            .then(a.time_gap_ms.cmp(&b.time_gap_ms))
    });
    out
}

// ---------------------------------------------------------------------------------------------------------------

/// The agency types one category needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgencyRule {
    /// The category this rule is for.
    pub category: Category,
    /// Agency types that always respond, in order of responsibility (the first leads).
    pub agencies: Vec<AgencyType>,
    /// Agency types added when anyone is hurt ([`Victims::any`]).
    #[serde(default)]
    pub with_victims: Vec<AgencyType>,
}

/// Which agency types respond to each category: a table with built-in defaults that configuration can
/// override per category. Dispatchers can always add agencies by hand; the table is the starting point.
///
/// Defaults:
///
/// | category                  | agencies        | plus, when anyone is hurt |
/// |---------------------------|-----------------|---------------------------|
/// | fire                      | fire            | health                    |
/// | traffic_accident          | police          | health                    |
/// | health                    | health          |                           |
/// | crime                     | police          |                           |
/// | natural_disaster          | disaster        | health                    |
/// | public_order              | police          |                           |
/// | riot                      | police          |                           |
/// | violence_women_children   | social, police  |                           |
/// | other                     | police          |                           |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgencyTable {
    rules: Vec<AgencyRule>,
}

impl AgencyTable {
    /// The defaults above.
    pub fn defaults() -> AgencyTable {
        use AgencyType::*;
        let rule = |category, agencies: &[AgencyType], with_victims: &[AgencyType]| AgencyRule {
            category,
            agencies: agencies.to_vec(),
            with_victims: with_victims.to_vec(),
        };
        AgencyTable {
            rules: vec![
                rule(Category::Fire, &[Fire], &[Health]),
                rule(Category::TrafficAccident, &[Police], &[Health]),
                rule(Category::Health, &[Health], &[]),
                rule(Category::Crime, &[Police], &[]),
                rule(Category::NaturalDisaster, &[Disaster], &[Health]),
                rule(Category::PublicOrder, &[Police], &[]),
                rule(Category::Riot, &[Police], &[]),
                rule(Category::ViolenceWomenChildren, &[Social, Police], &[]),
                rule(Category::Other, &[Police], &[]),
            ],
        }
    }

    /// The defaults with `overrides` replacing the rule of each category they name (a later override of the
    /// same category wins). Categories not named keep their default.
    pub fn with_overrides(overrides: impl IntoIterator<Item = AgencyRule>) -> AgencyTable {
        let mut table = AgencyTable::defaults();
        for o in overrides {
            if let Some(r) = table.rules.iter_mut().find(|r| r.category == o.category) {
                *r = o;
            }
        }
        table
    }

    /// The agency types for `category`: the rule's `agencies`, then its `with_victims` when `victims.any()`,
    /// without repeats, in that order.
    pub fn agencies_for(&self, category: Category, victims: Victims) -> Vec<AgencyType> {
        let Some(rule) = self.rules.iter().find(|r| r.category == category) else {
            return Vec::new();
        };
        let extra = if victims.any() {
            rule.with_victims.as_slice()
        } else {
            &[]
        };
        let mut out = Vec::new();
        for a in rule.agencies.iter().chain(extra) {
            if !out.contains(a) {
                out.push(*a);
            }
        }
        out
    }
}

impl Default for AgencyTable {
    fn default() -> Self {
        AgencyTable::defaults()
    }
}

#[cfg(test)]
#[path = "incident_tests.rs"]
mod tests;
