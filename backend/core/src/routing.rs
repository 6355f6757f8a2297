//! Tiered routing of service lines, and follow-up schedules.
//!
//! Some lines (a smoking quitline, a mental-health line) are answered by regional teams where they exist and by
//! a central team everywhere else. [`RoutingTable::route`] picks the team from the caller's region chain;
//! [`RoutingTable::on_timeout`] falls back to the central team when a regional team does not answer in time.
//! Such lines also call people back: [`FollowUpRule::schedule`] turns "7 follow-ups at day offsets
//! [1, 3, 7, 14, 30, 60, 90]" into due instants.
//!
//! Invariants: a validated table serves each region code on a line from at most one team, so routing never
//! depends on list order; every decision is a pure function of its arguments.

use crate::call::ServiceLineCode;
use crate::error::ErrorCode;
use crate::time::{MS_PER_DAY, Timestamp};
use crate::unit::string_enum;
use serde::{Deserialize, Serialize};

/// A regional team's identifier, as configured (`"quitline-kepri"`).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct TeamId(pub String);

/// A team that answers a line for some regions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionalTeam {
    /// The team.
    pub team_id: TeamId,
    /// Region codes it serves (Kemendagri codes such as `21` for Kepulauan Riau or `21.71` for Batam). A code
    /// covers only itself; list a province code to serve the whole province.
    pub region_codes: Vec<String>,
}

/// How one service line is routed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineRouting {
    /// The line.
    pub line: ServiceLineCode,
    /// Teams that take calls from their regions.
    #[serde(default)]
    pub regional_teams: Vec<RegionalTeam>,
    /// How long a regional team may leave a call unanswered before it goes to the central team, in ms.
    pub fallback_after_ms: i64,
}

/// Where a call goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "tier", content = "team_id", rename_all = "snake_case")]
pub enum RouteDecision {
    /// The central team (the 112 centre itself, or the line's national desk).
    Central,
    /// A regional team.
    Regional(TeamId),
}

/// A routing table that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRoutingConfig {
    /// The same line is configured twice.
    #[error("service line `{line}` is configured more than once")]
    DuplicateLine {
        /// The line.
        line: ServiceLineCode,
    },
    /// Two teams of one line serve the same region code.
    #[error("region `{region_code}` on line `{line}` is served by more than one team")]
    DuplicateRegion {
        /// The line.
        line: ServiceLineCode,
        /// The region code.
        region_code: String,
    },
    /// A team id or region code is empty.
    #[error("line `{line}` has an empty team id or region code")]
    Empty {
        /// The line.
        line: ServiceLineCode,
    },
    /// The fallback delay is not positive.
    #[error("line `{line}` must have a positive fallback_after_ms")]
    Fallback {
        /// The line.
        line: ServiceLineCode,
    },
}

impl InvalidRoutingConfig {
    /// Always [`ErrorCode::ValidationFailed`]: a refused value.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::ValidationFailed
    }
}

/// Routing for every tiered line. Lines not in the table always go to the central team.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "Vec<LineRouting>", into = "Vec<LineRouting>")]
pub struct RoutingTable {
    lines: Vec<LineRouting>,
}

impl TryFrom<Vec<LineRouting>> for RoutingTable {
    type Error = InvalidRoutingConfig;
    fn try_from(lines: Vec<LineRouting>) -> Result<Self, Self::Error> {
        RoutingTable::new(lines)
    }
}

impl From<RoutingTable> for Vec<LineRouting> {
    fn from(t: RoutingTable) -> Self {
        t.lines
    }
}

impl RoutingTable {
    /// Validates and builds a table: each line once, positive fallback, no empty ids or codes, and no region
    /// code served by two teams of the same line.
    pub fn new(lines: Vec<LineRouting>) -> Result<RoutingTable, InvalidRoutingConfig> {
        for (i, l) in lines.iter().enumerate() {
            if lines[..i].iter().any(|o| o.line == l.line) {
                return Err(InvalidRoutingConfig::DuplicateLine {
                    line: l.line.clone(),
                });
            }
            if l.fallback_after_ms <= 0 {
                return Err(InvalidRoutingConfig::Fallback {
                    line: l.line.clone(),
                });
            }
            let mut seen = std::collections::BTreeSet::new();
            for team in &l.regional_teams {
                if team.team_id.0.is_empty() || team.region_codes.iter().any(String::is_empty) {
                    return Err(InvalidRoutingConfig::Empty {
                        line: l.line.clone(),
                    });
                }
                for code in &team.region_codes {
                    if !seen.insert(code.as_str()) {
                        return Err(InvalidRoutingConfig::DuplicateRegion {
                            line: l.line.clone(),
                            region_code: code.clone(),
                        });
                    }
                }
            }
        }
        Ok(RoutingTable { lines })
    }

    /// Every configured line.
    pub fn lines(&self) -> &[LineRouting] {
        &self.lines
    }

    /// Whether `line` is tiered (has an entry in the table).
    pub fn is_tiered(&self, line: &ServiceLineCode) -> bool {
        self.line(line).is_some()
    }

    fn line(&self, line: &ServiceLineCode) -> Option<&LineRouting> {
        self.lines.iter().find(|l| &l.line == line)
    }

    /// Where a call on `line` from a caller located in `region_chain` goes.
    ///
    /// `region_chain` lists the caller's regions from the broadest to the most specific (province, regency,
    /// district, village: `["21", "21.71", "21.71.04"]`). The most specific code that some team serves wins.
    /// No match, an empty chain (caller location unknown) or a line not in the table: [`RouteDecision::Central`].
    pub fn route<R: AsRef<str>>(
        &self,
        line: &ServiceLineCode,
        region_chain: &[R],
    ) -> RouteDecision {
        let Some(l) = self.line(line) else {
            return RouteDecision::Central;
        };
        region_chain
            .iter()
            .rev()
            .find_map(|code| {
                l.regional_teams
                    .iter()
                    .find(|t| t.region_codes.iter().any(|c| c == code.as_ref()))
            })
            .map_or(RouteDecision::Central, |t| {
                RouteDecision::Regional(t.team_id.clone())
            })
    }

    /// When a call offered to a regional team at `offered_at` falls back to the central team; `None` for
    /// central decisions (nothing to fall back to) and lines not in the table.
    pub fn fallback_at(
        &self,
        line: &ServiceLineCode,
        decision: &RouteDecision,
        offered_at: Timestamp,
    ) -> Option<Timestamp> {
        match decision {
            RouteDecision::Central => None,
            RouteDecision::Regional(_) => self
                .line(line)
                .map(|l| offered_at.plus_millis(l.fallback_after_ms)),
        }
    }

    /// The decision after a timer fired at `now` for a call still unanswered: [`RouteDecision::Central`] once
    /// `now` has reached [`RoutingTable::fallback_at`] (inclusive), otherwise `decision` unchanged (a timer that
    /// fires early changes nothing).
    pub fn on_timeout(
        &self,
        line: &ServiceLineCode,
        decision: &RouteDecision,
        offered_at: Timestamp,
        now: Timestamp,
    ) -> RouteDecision {
        match self.fallback_at(line, decision, offered_at) {
            Some(due) if now >= due => RouteDecision::Central,
            _ => decision.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------

/// When to call a person back: one follow-up per day offset, counted from a base instant (usually the first
/// call). Deserialisable from config, e.g. `day_offsets = [1, 3, 7, 14, 30, 60, 90]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawFollowUpRule", into = "RawFollowUpRule")]
pub struct FollowUpRule {
    day_offsets: Vec<u32>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFollowUpRule {
    day_offsets: Vec<u32>,
}

impl TryFrom<RawFollowUpRule> for FollowUpRule {
    type Error = InvalidFollowUpRule;
    fn try_from(raw: RawFollowUpRule) -> Result<Self, Self::Error> {
        FollowUpRule::new(raw.day_offsets)
    }
}

impl From<FollowUpRule> for RawFollowUpRule {
    fn from(r: FollowUpRule) -> Self {
        RawFollowUpRule {
            day_offsets: r.day_offsets,
        }
    }
}

/// A follow-up rule with no offsets, or offsets not strictly increasing, or beyond ten years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("follow-up day offsets must be non-empty, strictly increasing, and at most 3650")]
pub struct InvalidFollowUpRule;

impl InvalidFollowUpRule {
    /// Always [`ErrorCode::ValidationFailed`]: a refused value.
    pub fn code(&self) -> ErrorCode {
        ErrorCode::ValidationFailed
    }
}

/// One scheduled follow-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpTask {
    /// Which follow-up this is, from 1.
    pub ordinal: u32,
    /// The day offset it came from.
    pub day_offset: u32,
    /// When it is due: the base instant plus `day_offset` days of 24 h.
    pub due_at: Timestamp,
}

impl FollowUpRule {
    /// Longest offset accepted, in days.
    pub const MAX_DAY_OFFSET: u32 = 3_650;

    /// The rule for `day_offsets`, which must be non-empty, strictly increasing and at most
    /// [`FollowUpRule::MAX_DAY_OFFSET`]. Offset 0 (same day) is allowed.
    pub fn new(day_offsets: Vec<u32>) -> Result<FollowUpRule, InvalidFollowUpRule> {
        let increasing = day_offsets.windows(2).all(|w| w[0] < w[1]);
        let bounded = day_offsets
            .last()
            .is_some_and(|d| *d <= Self::MAX_DAY_OFFSET);
        if increasing && bounded {
            Ok(FollowUpRule { day_offsets })
        } else {
            Err(InvalidFollowUpRule)
        }
    }

    /// The offsets, in days.
    pub fn day_offsets(&self) -> &[u32] {
        &self.day_offsets
    }

    /// The follow-ups due after `base`, one per offset, in order.
    ///
    /// A day is exactly 24 h: Indonesia has no daylight saving time, so the follow-up falls at the same local
    /// wall-clock time as `base`.
    pub fn schedule(&self, base: Timestamp) -> Vec<FollowUpTask> {
        (1..)
            .zip(&self.day_offsets)
            .map(|(ordinal, d)| FollowUpTask {
                ordinal,
                day_offset: *d,
                due_at: base.plus_millis(i64::from(*d) * MS_PER_DAY),
            })
            .collect()
    }
}

string_enum! {
    /// What happened when a follow-up was attempted.
    FollowUpOutcome, UnknownFollowUpOutcome, "follow-up outcome" {
        /// Spoke to the person; the programme continues.
        Reached => "reached",
        /// Nobody answered; try again later.
        NoAnswer => "no_answer",
        /// The person asked not to be called again. Ends the series.
        Refused => "refused",
        /// The number belongs to someone else. Ends the series.
        WrongNumber => "wrong_number",
        /// The person finished the programme. Ends the series.
        Completed => "completed",
    }
}

impl FollowUpOutcome {
    /// Whether no further follow-ups should be made after this outcome.
    pub fn ends_series(self) -> bool {
        matches!(
            self,
            FollowUpOutcome::Refused | FollowUpOutcome::WrongNumber | FollowUpOutcome::Completed
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &str) -> ServiceLineCode {
        ServiceLineCode::parse(s).unwrap()
    }

    fn team(id: &str, codes: &[&str]) -> RegionalTeam {
        RegionalTeam {
            team_id: TeamId(id.into()),
            region_codes: codes.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    fn quitline() -> RoutingTable {
        RoutingTable::new(vec![LineRouting {
            line: line("quitline"),
            regional_teams: vec![
                team("kepri", &["21"]),
                team("batam", &["21.71"]),
                team("bali", &["51"]),
            ],
            fallback_after_ms: 30_000,
        }])
        .unwrap()
    }

    fn regional(id: &str) -> RouteDecision {
        RouteDecision::Regional(TeamId(id.into()))
    }

    #[test]
    fn most_specific_region_wins() {
        let t = quitline();
        let q = line("quitline");
        assert_eq!(t.route(&q, &["21", "21.71", "21.71.04"]), regional("batam"));
        assert_eq!(t.route(&q, &["21", "21.72"]), regional("kepri"));
        assert_eq!(t.route(&q, &["51", "51.71"]), regional("bali"));
        assert_eq!(t.route(&q, &["31", "31.71"]), RouteDecision::Central);
        assert_eq!(t.route::<&str>(&q, &[]), RouteDecision::Central);
        assert_eq!(
            t.route(&line("112"), &["21", "21.71"]),
            RouteDecision::Central,
            "untiered line"
        );
    }

    #[test]
    fn unanswered_regional_call_falls_back_to_central_at_the_deadline() {
        let t = quitline();
        let q = line("quitline");
        let offered = Timestamp(1_000);
        assert_eq!(
            t.fallback_at(&q, &regional("batam"), offered),
            Some(Timestamp(31_000))
        );
        assert_eq!(
            t.on_timeout(&q, &regional("batam"), offered, Timestamp(30_999)),
            regional("batam")
        );
        assert_eq!(
            t.on_timeout(&q, &regional("batam"), offered, Timestamp(31_000)),
            RouteDecision::Central
        );
        assert_eq!(t.fallback_at(&q, &RouteDecision::Central, offered), None);
    }

    #[test]
    fn inconsistent_tables_are_rejected() {
        let q = line("quitline");
        let mk = |teams, ms| LineRouting {
            line: q.clone(),
            regional_teams: teams,
            fallback_after_ms: ms,
        };
        let dup = RoutingTable::new(vec![mk(vec![team("a", &["21"]), team("b", &["21"])], 1)])
            .unwrap_err();
        assert_eq!(
            dup,
            InvalidRoutingConfig::DuplicateRegion {
                line: q.clone(),
                region_code: "21".into()
            }
        );
        assert_eq!(dup.code(), ErrorCode::ValidationFailed);
        assert!(matches!(
            RoutingTable::new(vec![mk(vec![], 0)]),
            Err(InvalidRoutingConfig::Fallback { .. })
        ));
        assert!(matches!(
            RoutingTable::new(vec![mk(vec![team("", &["21"])], 1)]),
            Err(InvalidRoutingConfig::Empty { .. })
        ));
        assert!(matches!(
            RoutingTable::new(vec![mk(vec![], 1), mk(vec![], 2)]),
            Err(InvalidRoutingConfig::DuplicateLine { .. })
        ));
    }

    #[test]
    fn routing_table_loads_from_toml() {
        #[derive(Deserialize)]
        struct Config {
            lines: RoutingTable,
        }
        let text = r#"
            [[lines]]
            line = "quitline"
            fallback_after_ms = 30000
            [[lines.regional_teams]]
            team_id = "batam"
            region_codes = ["21.71"]
        "#;
        let c: Config = toml::from_str(text).unwrap();
        assert_eq!(
            c.lines.route(&line("quitline"), &["21", "21.71"]),
            regional("batam")
        );
        assert!(toml::from_str::<Config>(&text.replace("30000", "0")).is_err());
        assert!(toml::from_str::<Config>(&text.replace("quitline", "Quit Line")).is_err());
    }

    #[test]
    fn seven_follow_ups_fall_on_the_configured_days() {
        let rule = FollowUpRule::new(vec![1, 3, 7, 14, 30, 60, 90]).unwrap();
        let base = Timestamp(1_795_515_330_000);
        let tasks = rule.schedule(base);
        assert_eq!(tasks.len(), 7);
        assert_eq!(
            tasks[0],
            FollowUpTask {
                ordinal: 1,
                day_offset: 1,
                due_at: base.plus_millis(86_400_000)
            }
        );
        assert_eq!(tasks[6].ordinal, 7);
        assert_eq!(tasks[6].due_at.millis_since(base), 90 * 86_400_000);
        assert!(tasks.windows(2).all(|w| w[0].due_at < w[1].due_at));
        let from_toml: FollowUpRule =
            toml::from_str("day_offsets = [1, 3, 7, 14, 30, 60, 90]").unwrap();
        assert_eq!(from_toml, rule);
    }

    #[test]
    fn bad_follow_up_rules_are_rejected() {
        assert_eq!(FollowUpRule::new(vec![]), Err(InvalidFollowUpRule));
        assert_eq!(FollowUpRule::new(vec![1, 3, 3]), Err(InvalidFollowUpRule));
        assert_eq!(FollowUpRule::new(vec![7, 3]), Err(InvalidFollowUpRule));
        assert_eq!(FollowUpRule::new(vec![1, 3651]), Err(InvalidFollowUpRule));
        assert!(FollowUpRule::new(vec![0]).is_ok());
        assert!(toml::from_str::<FollowUpRule>("day_offsets = [3, 1]").is_err());
    }

    #[test]
    fn only_final_outcomes_end_the_series() {
        let ending: Vec<_> = FollowUpOutcome::ALL
            .iter()
            .filter(|o| o.ends_series())
            .map(|o| o.as_str())
            .collect();
        assert_eq!(ending, ["refused", "wrong_number", "completed"]);
    }
}
