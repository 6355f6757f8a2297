//! Reading the recorded history of a period for KPI reports and the heat map.
//!
//! Each query is a range scan on the time column its records are counted by, widened to cover the period in
//! every Indonesian time zone ([`Period::bounds_in_any_indonesian_zone`]); the exact local-day cut is made per
//! record by `siaga_core::kpi`, with the record's own region time zone. Linked rows (escalations, assignments,
//! SLA clocks, first answers) are reached from those records by key. The queries are independent and run
//! concurrently. Only what the computation needs is read: no caller number, name or address ever leaves here.

use super::agents::AgentStateRow;
use super::{Store, StoreResult, on_db};
use siaga_core::call::CallClass;
use siaga_core::incident::{Category, Priority};
use siaga_core::kpi::agents::{AgentState, AgentStateRecord, ShiftRecord};
use siaga_core::kpi::period::utc_offset_minutes_of;
use siaga_core::kpi::{
    AgentRecord, AssignmentRecord, CallRecord, EscalationRecord, IncidentRecord, KpiInput, Period,
    SlaClockRecord,
};
use siaga_core::role::Role;
use siaga_core::sla::SlaKind;
use siaga_core::time::{Timestamp, WIB_OFFSET_MINUTES};
use std::collections::{BTreeMap, HashMap};

/// Which records a report covers.
#[derive(Debug, Clone, Default)]
pub struct ReportScope {
    /// A region code: the region and everything under it (`21.71` covers `21.71.10.1003`).
    pub region: Option<String>,
    /// One OPD: its escalated incidents, its assignments and SLA clocks, its dispatchers, and the calls linked to
    /// its incidents.
    pub agency_id: Option<String>,
}

impl ReportScope {
    /// `region.%`, the LIKE pattern of the region's descendants.
    fn descendants(&self) -> Option<String> {
        self.region.as_ref().map(|r| format!("{r}.%"))
    }
}

/// UTC offsets of regions, resolved through the region's ancestors.
#[derive(Debug, Clone, Default)]
pub struct TimeZones {
    by_code: HashMap<String, i32>,
    /// Used for records whose region (and its ancestors) has no known zone.
    pub fallback: i32,
}

impl TimeZones {
    /// The offset of `code`: its own zone, else its nearest ancestor's (`21.71.10` → `21.71` → `21`), else the
    /// fallback. Regions are loaded down to district level; villages inherit.
    pub fn offset_of(&self, code: Option<&str>) -> i32 {
        let Some(mut code) = code else {
            return self.fallback;
        };
        loop {
            if let Some(o) = self.by_code.get(code) {
                return *o;
            }
            match code.rsplit_once('.') {
                Some((parent, _)) => code = parent,
                None => return self.fallback,
            }
        }
    }
}

/// One incident position for the heat map.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct IncidentPoint {
    pub lon: f64,
    pub lat: f64,
}

/// Memoises [`TimeZones::offset_of`] per distinct code: hundreds of thousands of rows share a few codes.
struct OffsetCache<'a> {
    zones: &'a TimeZones,
    seen: HashMap<String, i32>,
}

impl OffsetCache<'_> {
    fn get(&mut self, code: Option<&str>) -> i32 {
        let Some(c) = code else {
            return self.zones.fallback;
        };
        if let Some(o) = self.seen.get(c) {
            return *o;
        }
        let o = self.zones.offset_of(Some(c));
        self.seen.insert(c.to_owned(), o);
        o
    }
}

type CallRow = (
    i64,
    Option<i64>,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);
type IncidentRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
);
type AssignmentRow = (
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
);
type ClockRow = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
);

const REGION_FILTER: &str = "($3 IS NULL OR {t}.region_code = $3 OR {t}.region_code LIKE $4)";

fn region_filter(table: &str) -> String {
    REGION_FILTER.replace("{t}", table)
}

impl Store {
    /// Time zones of every region above village level, falling back to `fallback_zone` (or WIB).
    pub async fn time_zones(&self, fallback_zone: Option<&str>) -> StoreResult<TimeZones> {
        let rows: Vec<(String, String)> = on_db!(self, p => sqlx::query_as(
            "SELECT code, time_zone FROM regions WHERE level <> 'village'").fetch_all(p).await)?;
        let by_code = rows
            .into_iter()
            .filter_map(|(code, tz)| utc_offset_minutes_of(&tz).map(|o| (code, o)))
            .collect();
        Ok(TimeZones {
            by_code,
            fallback: fallback_zone
                .and_then(utc_offset_minutes_of)
                .unwrap_or(WIB_OFFSET_MINUTES),
        })
    }

    /// The time zone of one region, `None` when the region does not exist.
    pub async fn region_time_zone(&self, code: &str) -> StoreResult<Option<String>> {
        Ok(on_db!(self, p => sqlx::query_scalar::<_, String>(
            "SELECT time_zone FROM regions WHERE code = $1").bind(code).fetch_optional(p).await)?)
    }

    /// Everything [`siaga_core::kpi::compute`] needs for `period` within `scope`, as known at `as_of`.
    pub async fn load_kpi_input(
        &self,
        period: Period,
        scope: &ReportScope,
        as_of: Timestamp,
    ) -> StoreResult<KpiInput> {
        let fallback = match &scope.region {
            Some(r) => self.region_time_zone(r).await?,
            None => None,
        };
        let zones = self.time_zones(fallback.as_deref()).await?;
        let (start, end) = period.bounds_in_any_indonesian_zone();
        let (start, end) = (start.0, end.0);
        let (calls, incidents, escalations, assignments, clocks, agents, states, shifts, names) = tokio::try_join!(
            self.report_calls(start, end, scope),
            self.report_incidents(start, end, scope),
            self.report_escalations(start, end, scope),
            self.report_assignments(start, end, scope),
            self.report_clocks(start, end, scope),
            self.list_agent_users(scope.agency_id.as_deref()),
            self.agent_states_between(start, end),
            self.agent_shifts_between(start, end),
            self.report_names(),
        )?;
        let mut offsets = OffsetCache {
            zones: &zones,
            seen: HashMap::new(),
        };

        let calls: Vec<CallRecord> = calls
            .into_iter()
            .map(
                |(ring_at, answered_at, ended_at, status, class, taker, region)| CallRecord {
                    ring_at: Timestamp(ring_at),
                    answered_at: answered_at.map(Timestamp),
                    ended_at: ended_at.map(Timestamp),
                    abandoned: answered_at.is_none()
                        && (status == "abandoned" || class.as_deref() == Some("abandoned")),
                    class: class.and_then(|c| c.parse::<CallClass>().ok()),
                    call_taker_id: taker,
                    utc_offset_minutes: offsets.get(region.as_deref()),
                },
            )
            .collect();

        let mut index: HashMap<String, usize> = HashMap::with_capacity(incidents.len());
        let mut records: Vec<IncidentRecord> = Vec::with_capacity(incidents.len());
        for (id, number, category, priority, region, created, resolved, closed, direct, linked) in
            incidents
        {
            // An unknown category or priority can only come from a newer server version; count it as other/p4
            // rather than dropping the incident from the totals.
            let first_answered_at = match (direct, linked) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let utc_offset_minutes = offsets.get(region.as_deref());
            index.insert(id, records.len());
            records.push(IncidentRecord {
                number,
                category: category.parse().unwrap_or(Category::Other),
                priority: priority.parse().unwrap_or(Priority::P4),
                region_code: region,
                created_at: Timestamp(created),
                first_answered_at: first_answered_at.map(Timestamp),
                resolved_at: resolved.map(Timestamp),
                closed_at: closed.map(Timestamp),
                escalations: Vec::new(),
                assignments: Vec::new(),
                utc_offset_minutes,
            });
        }
        for (incident_id, agency_id, escalated_at) in escalations {
            if let Some(&i) = index.get(&incident_id) {
                records[i].escalations.push(EscalationRecord {
                    agency_id,
                    escalated_at: Timestamp(escalated_at),
                });
            }
        }
        for (incident_id, agency_id, assigned, ack, on_scene, by) in assignments {
            if let Some(&i) = index.get(&incident_id) {
                records[i].assignments.push(AssignmentRecord {
                    agency_id,
                    assigned_at: Timestamp(assigned),
                    acknowledged_at: ack.map(Timestamp),
                    on_scene_at: on_scene.map(Timestamp),
                    assigned_by: by,
                });
            }
        }

        let sla_clocks = clocks
            .into_iter()
            .filter_map(
                |(kind, agency, category, number, due, stopped, breached, region, attributed)| {
                    Some(SlaClockRecord {
                        kind: kind.parse::<SlaKind>().ok()?,
                        agency_id: agency,
                        category: category.and_then(|c| c.parse().ok()),
                        incident_number: number,
                        due_at: Timestamp(due),
                        stopped_at: stopped.map(Timestamp),
                        breached_at: breached.map(Timestamp),
                        attributed_at: Timestamp(attributed),
                        utc_offset_minutes: offsets.get(region.as_deref()),
                    })
                },
            )
            .collect();

        // Agents: in a regional report, those of the region plus anyone who handled its calls or incidents.
        let mut worked: std::collections::HashSet<&str> = calls
            .iter()
            .filter_map(|c| c.call_taker_id.as_deref())
            .collect();
        worked.extend(records.iter().flat_map(|i| {
            i.assignments
                .iter()
                .filter_map(|a| a.assigned_by.as_deref())
        }));
        let agents: Vec<AgentRecord> = agents
            .into_iter()
            .filter(|a| {
                let in_region = match (&scope.region, &a.region_code) {
                    (None, _) => true,
                    (Some(scope), Some(code)) => crate::api::region_contains(scope, code),
                    (Some(_), None) => false,
                };
                (in_region && a.active) || worked.contains(a.id.as_str())
            })
            .filter_map(|a| {
                Some(AgentRecord {
                    utc_offset_minutes: a
                        .region_code
                        .as_deref()
                        .map_or(zones.fallback, |c| zones.offset_of(Some(c))),
                    role: a.role.parse::<Role>().ok()?,
                    user_id: a.id,
                    username: a.username,
                    display_name: a.display_name,
                })
            })
            .collect();
        let agent_states = states
            .into_iter()
            .filter_map(|s: AgentStateRow| {
                Some(AgentStateRecord {
                    state: s.state.parse::<AgentState>().ok()?,
                    user_id: s.user_id,
                    reason: s.reason,
                    at: Timestamp(s.at),
                })
            })
            .collect();
        let shifts = shifts
            .into_iter()
            .map(|s| ShiftRecord {
                user_id: s.user_id,
                start: Timestamp(s.shift_start),
                end: Timestamp(s.shift_end),
            })
            .collect();
        let (agency_names, region_names) = names;
        Ok(KpiInput {
            period,
            as_of,
            calls,
            incidents: records,
            sla_clocks,
            agents,
            agent_states,
            shifts,
            agency_names,
            region_names,
        })
    }

    async fn report_calls(
        &self,
        start: i64,
        end: i64,
        scope: &ReportScope,
    ) -> StoreResult<Vec<CallRow>> {
        let sql = format!(
            "SELECT c.ring_at, c.answered_at, c.ended_at, c.status, c.class, c.call_taker_id, c.region_code \
             FROM calls c WHERE c.ring_at >= $1 AND c.ring_at < $2 AND {} \
             AND ($5 IS NULL OR EXISTS (SELECT 1 FROM incident_agencies ia \
                  WHERE ia.incident_id = c.incident_id AND ia.agency_id = $5))",
            region_filter("c")
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, CallRow>(&sql)
            .bind(start).bind(end).bind(&scope.region).bind(scope.descendants()).bind(&scope.agency_id)
            .fetch_all(p).await)?)
    }

    async fn report_incidents(
        &self,
        start: i64,
        end: i64,
        scope: &ReportScope,
    ) -> StoreResult<Vec<IncidentRow>> {
        // The first answer comes from calls.incident_id (the incident a call created) and from incident_calls
        // (calls linked later as duplicates); the engines differ on a NULL-ignoring two-argument minimum, so
        // both are read and the smaller is taken in Rust.
        let sql = format!(
            "SELECT i.id, i.number, i.category, i.priority, i.region_code, i.created_at, i.resolved_at, \
             i.closed_at, \
             (SELECT MIN(c.answered_at) FROM calls c WHERE c.incident_id = i.id), \
             (SELECT MIN(c.answered_at) FROM incident_calls l JOIN calls c ON c.id = l.call_id \
              WHERE l.incident_id = i.id) \
             FROM incidents i WHERE i.created_at >= $1 AND i.created_at < $2 AND {} \
             AND ($5 IS NULL OR EXISTS (SELECT 1 FROM incident_agencies ia \
                  WHERE ia.incident_id = i.id AND ia.agency_id = $5))",
            region_filter("i")
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, IncidentRow>(&sql)
            .bind(start).bind(end).bind(&scope.region).bind(scope.descendants()).bind(&scope.agency_id)
            .fetch_all(p).await)?)
    }

    async fn report_escalations(
        &self,
        start: i64,
        end: i64,
        scope: &ReportScope,
    ) -> StoreResult<Vec<(String, String, i64)>> {
        let sql = format!(
            "SELECT ia.incident_id, ia.agency_id, ia.escalated_at FROM incidents i \
             JOIN incident_agencies ia ON ia.incident_id = i.id \
             WHERE i.created_at >= $1 AND i.created_at < $2 AND {} AND ($5 IS NULL OR ia.agency_id = $5)",
            region_filter("i")
        );
        Ok(
            on_db!(self, p => sqlx::query_as::<_, (String, String, i64)>(&sql)
            .bind(start).bind(end).bind(&scope.region).bind(scope.descendants()).bind(&scope.agency_id)
            .fetch_all(p).await)?,
        )
    }

    async fn report_assignments(
        &self,
        start: i64,
        end: i64,
        scope: &ReportScope,
    ) -> StoreResult<Vec<AssignmentRow>> {
        let sql = format!(
            "SELECT a.incident_id, a.agency_id, a.assigned_at, a.acknowledged_at, a.on_scene_at, a.assigned_by \
             FROM incidents i JOIN assignments a ON a.incident_id = i.id \
             WHERE i.created_at >= $1 AND i.created_at < $2 AND {} AND ($5 IS NULL OR a.agency_id = $5)",
            region_filter("i")
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, AssignmentRow>(&sql)
            .bind(start).bind(end).bind(&scope.region).bind(scope.descendants()).bind(&scope.agency_id)
            .fetch_all(p).await)?)
    }

    async fn report_clocks(
        &self,
        start: i64,
        end: i64,
        scope: &ReportScope,
    ) -> StoreResult<Vec<ClockRow>> {
        // A clock is placed in a period by its subject: a call by its ring, an incident (or an assignment's
        // incident) by its creation, the same instants the rest of the report counts by.
        let agency = "($5 IS NULL OR s.agency_id = $5)";
        let sql = format!(
            "SELECT s.kind, s.agency_id, i.category, i.number, s.due_at, s.stopped_at, s.breached_at, \
             i.region_code, i.created_at FROM incidents i \
             JOIN sla_clocks s ON s.subject_type = 'incident' AND s.subject_id = i.id \
             WHERE i.created_at >= $1 AND i.created_at < $2 AND {ri} AND {agency} \
             UNION ALL \
             SELECT s.kind, s.agency_id, i.category, i.number, s.due_at, s.stopped_at, s.breached_at, \
             i.region_code, i.created_at FROM incidents i \
             JOIN assignments a ON a.incident_id = i.id \
             JOIN sla_clocks s ON s.subject_type = 'assignment' AND s.subject_id = a.id \
             WHERE i.created_at >= $1 AND i.created_at < $2 AND {ri} AND {agency} \
             UNION ALL \
             SELECT s.kind, s.agency_id, NULL, NULL, s.due_at, s.stopped_at, s.breached_at, \
             c.region_code, c.ring_at FROM calls c \
             JOIN sla_clocks s ON s.subject_type = 'call' AND s.subject_id = c.id \
             WHERE c.ring_at >= $1 AND c.ring_at < $2 AND {rc} AND {agency}",
            ri = region_filter("i"),
            rc = region_filter("c"),
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, ClockRow>(&sql)
            .bind(start).bind(end).bind(&scope.region).bind(scope.descendants()).bind(&scope.agency_id)
            .fetch_all(p).await)?)
    }

    /// Display names of agencies (by id) and of regions above village level (by code).
    async fn report_names(
        &self,
    ) -> StoreResult<(BTreeMap<String, String>, BTreeMap<String, String>)> {
        let agencies: Vec<(String, String)> = on_db!(self, p => sqlx::query_as(
            "SELECT id, name FROM agencies").fetch_all(p).await)?;
        let regions: Vec<(String, String)> = on_db!(self, p => sqlx::query_as(
            "SELECT code, name FROM regions WHERE level <> 'village'").fetch_all(p).await)?;
        Ok((
            agencies.into_iter().collect(),
            regions.into_iter().collect(),
        ))
    }

    /// Positions of incidents created in `[from, to)`, optionally of one category, within `scope`.
    pub async fn incident_points(
        &self,
        from: i64,
        to: i64,
        category: Option<&str>,
        scope: &ReportScope,
    ) -> StoreResult<Vec<IncidentPoint>> {
        let sql = format!(
            "SELECT i.lon, i.lat FROM incidents i WHERE i.created_at >= $1 AND i.created_at < $2 AND {} \
             AND ($5 IS NULL OR EXISTS (SELECT 1 FROM incident_agencies ia \
                  WHERE ia.incident_id = i.id AND ia.agency_id = $5)) \
             AND ($6 IS NULL OR i.category = $6)",
            region_filter("i")
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, IncidentPoint>(&sql)
            .bind(from).bind(to).bind(&scope.region).bind(scope.descendants()).bind(&scope.agency_id)
            .bind(category).fetch_all(p).await)?)
    }
}
