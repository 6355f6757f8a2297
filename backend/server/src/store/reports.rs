//! Reading the recorded history of a period for KPI reports and the heat map.
//!
//! Each query is a range scan on the time column its records are counted by, widened to cover the period in
//! every Indonesian time zone ([`Period::bounds_in_any_indonesian_zone`]); the exact local-day cut is made per
//! record by `siaga_core::kpi`, with the record's own region time zone. Linked rows (escalations, assignments,
//! SLA clocks, first answers) are reached from those records by key. The queries are independent and run
//! concurrently. Only what the computation needs is read: no caller number, name or address ever leaves here.
//!
//! Speed: a busy month is ~300 000 calls and ~570 000 SLA clocks. Reading them is cheap for both engines;
//! handing them to the driver one row at a time is not (seconds). So:
//!
//! * records are **packed**: each query returns one text row per hour (`group_concat` on SQLite,
//!   `string_agg` on PostgreSQL, the only SQL that differs by engine), split in Rust;
//! * SLA clocks are **counted in SQL** per hour, kind, OPD, category and region ([`SlaTally`]); only breached
//!   incident and assignment clocks come back one by one, for the breach list. Answer clocks are counted in the
//!   same pass as their calls. An hour never straddles a local midnight in WIB, WITA or WIT, so the counts still
//!   fall on the right local day.

use super::agents::AgentStateRow;
use super::{Store, StoreError, StoreResult, on_db};
use siaga_core::call::CallClass;
use siaga_core::incident::{Category, Priority};
use siaga_core::kpi::agents::{AgentState, AgentStateRecord, ShiftRecord};
use siaga_core::kpi::period::utc_offset_minutes_of;
use siaga_core::kpi::{
    AgentRecord, AssignmentRecord, CallBackRecord, CallRecord, EscalationRecord, IncidentRecord,
    KpiInput, Period, SlaClockRecord, SlaTally,
};
use siaga_core::role::Role;
use siaga_core::sla::SlaKind;
use siaga_core::time::{MS_PER_HOUR, Timestamp, WIB_OFFSET_MINUTES};
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

/// Reads the packed records of one query: each row holds the records of one hour, separated by `,`, with
/// fields separated by `|` (and, inside a field, sub-items by `;` and their parts by `/`). None of these
/// characters occurs in ids (UUIDs), region codes, enum names or decimal numbers.
struct Fields<'a> {
    parts: std::str::Split<'a, char>,
}

impl<'a> Fields<'a> {
    fn new(record: &'a str, sep: char) -> Self {
        Fields {
            parts: record.split(sep),
        }
    }

    fn text(&mut self) -> StoreResult<&'a str> {
        self.parts.next().ok_or_else(malformed)
    }

    fn opt_text(&mut self) -> StoreResult<Option<&'a str>> {
        Ok(Some(self.text()?).filter(|t| !t.is_empty()))
    }

    fn opt_i64(&mut self) -> StoreResult<Option<i64>> {
        match self.opt_text()? {
            Some(t) => t.parse().map(Some).map_err(|_| malformed()),
            None => Ok(None),
        }
    }

    fn i64(&mut self) -> StoreResult<i64> {
        self.opt_i64()?.ok_or_else(malformed)
    }
}

fn malformed() -> StoreError {
    StoreError::Other(anyhow::anyhow!("malformed packed report record"))
}

/// Every record in packed rows.
fn records(rows: &[String]) -> impl Iterator<Item = &str> {
    rows.iter()
        .flat_map(|r| r.split(','))
        .filter(|r| !r.is_empty())
}

const REGION_FILTER: &str = "($3 IS NULL OR {t}.region_code = $3 OR {t}.region_code LIKE $4)";

fn region_filter(table: &str) -> String {
    REGION_FILTER.replace("{t}", table)
}

/// `CAST(x AS TEXT)`, empty for NULL.
fn txt(expr: &str) -> String {
    format!("COALESCE(CAST({expr} AS TEXT), '')")
}

/// SQL deciding a clock's outcome at `$6` (as_of), the same rule as `siaga_core::kpi`: cancelled when it
/// stopped because its incident was withdrawn; otherwise breached when a breach was recorded, it stopped late,
/// or it runs past its deadline; met when it stopped in time; else running.
const BREACHED: &str = "(s.cancelled_at IS NULL AND (s.breached_at IS NOT NULL OR s.stopped_at > s.due_at \
     OR (s.stopped_at IS NULL AND s.due_at < $6)))";
const MET: &str = "(s.cancelled_at IS NULL AND s.breached_at IS NULL AND s.stopped_at IS NOT NULL \
     AND s.stopped_at <= s.due_at)";
const RUNNING: &str = "(s.breached_at IS NULL AND s.stopped_at IS NULL AND s.due_at >= $6)";
const CANCELLED: &str = "(s.cancelled_at IS NOT NULL)";

/// A call-back task as the report reads it: created, due, first attempt, attempts, last outcome, status, and
/// its call's region.
type CallBackFields = (
    i64,
    i64,
    Option<i64>,
    i64,
    Option<String>,
    String,
    Option<String>,
);

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
        let agg = self.string_agg();
        let (calls, incidents, clocks, agents, states, shifts, names, backs) = tokio::try_join!(
            self.report_calls(agg, start, end, scope, as_of.0),
            self.report_incidents(agg, start, end, scope),
            self.report_sla_clocks(agg, start, end, scope, as_of.0),
            self.list_agent_users(scope.agency_id.as_deref(), None),
            self.agent_states_between(start, end),
            self.agent_shifts_between(start, end),
            self.report_names(),
            self.report_call_backs(start, end, scope),
        )?;
        let mut offsets = OffsetCache {
            zones: &zones,
            seen: HashMap::new(),
        };

        let mut call_records = Vec::with_capacity(records(&calls).size_hint().0);
        let mut answer_tallies: HashMap<(i64, Option<&str>), (u64, u64, u64)> = HashMap::new();
        for rec in records(&calls) {
            let mut f = Fields::new(rec, '|');
            let ring_at = f.i64()?;
            let answered_at = f.opt_i64()?;
            let ended_at = f.opt_i64()?;
            let status = f.text()?;
            let class = f.opt_text()?;
            let taker = f.opt_text()?;
            let region = f.opt_text()?;
            let answer_sla = f.opt_text()?;
            if let Some(outcome) = answer_sla {
                let slot = answer_tallies
                    .entry((ring_at.div_euclid(MS_PER_HOUR), region))
                    .or_insert((0u64, 0u64, 0u64));
                match outcome {
                    "m" => slot.0 += 1,
                    "b" => slot.1 += 1,
                    _ => slot.2 += 1,
                }
            }
            call_records.push(CallRecord {
                ring_at: Timestamp(ring_at),
                answered_at: answered_at.map(Timestamp),
                ended_at: ended_at.map(Timestamp),
                abandoned: answered_at.is_none()
                    && (status == "abandoned" || class == Some("abandoned")),
                class: class.and_then(|c| c.parse::<CallClass>().ok()),
                call_taker_id: taker.map(str::to_owned),
                utc_offset_minutes: offsets.get(region),
            });
        }
        let calls = call_records;

        let mut records_out: Vec<IncidentRecord> = Vec::new();
        for rec in records(&incidents) {
            let mut f = Fields::new(rec, '|');
            let category = f.text()?;
            let priority = f.text()?;
            let region = f.opt_text()?;
            let created = f.i64()?;
            let resolved = f.opt_i64()?;
            let closed = f.opt_i64()?;
            let direct = f.opt_i64()?;
            let linked = f.opt_i64()?;
            let first_answered_at = match (direct, linked) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let mut escalations = Vec::new();
            for item in f.text()?.split(';').filter(|i| !i.is_empty()) {
                let mut p = Fields::new(item, '/');
                escalations.push(EscalationRecord {
                    agency_id: p.text()?.to_owned(),
                    escalated_at: Timestamp(p.i64()?),
                });
            }
            let mut assignments = Vec::new();
            for item in f.text()?.split(';').filter(|i| !i.is_empty()) {
                let mut p = Fields::new(item, '/');
                assignments.push(AssignmentRecord {
                    agency_id: p.text()?.to_owned(),
                    assigned_at: Timestamp(p.i64()?),
                    acknowledged_at: p.opt_i64()?.map(Timestamp),
                    on_scene_at: p.opt_i64()?.map(Timestamp),
                    assigned_by: p.opt_text()?.map(str::to_owned),
                });
            }
            let cancelled = f.opt_text()?.and_then(|r| r.parse().ok());
            let merged = f.text()? == "1";
            // An unknown category or priority can only come from a newer server version; count it as
            // other/p4 rather than dropping the incident from the totals.
            records_out.push(IncidentRecord {
                category: category.parse().unwrap_or(Category::Other),
                priority: priority.parse().unwrap_or(Priority::P4),
                utc_offset_minutes: offsets.get(region),
                region_code: region.map(str::to_owned),
                created_at: Timestamp(created),
                first_answered_at: first_answered_at.map(Timestamp),
                resolved_at: resolved.map(Timestamp),
                closed_at: closed.map(Timestamp),
                cancelled,
                merged,
                escalations,
                assignments,
            });
        }
        let records = records_out;

        let mut sla_tallies: Vec<SlaTally> = answer_tallies
            .into_iter()
            .map(|((hour, region), (met, breached, running))| SlaTally {
                kind: SlaKind::Answer,
                agency_id: None,
                category: None,
                attributed_at: Timestamp(hour * MS_PER_HOUR),
                utc_offset_minutes: offsets.get(region),
                met,
                breached,
                running,
                cancelled: 0,
            })
            .collect();
        let mut sla_breach_details = Vec::new();
        for rec in self::records(&clocks) {
            let mut f = Fields::new(rec, '|');
            let hour = f.i64()?;
            let kind = f.text()?;
            let agency = f.opt_text()?;
            let category = f.opt_text()?;
            let region = f.opt_text()?;
            let (met, breached, running) = (f.i64()?, f.i64()?, f.i64()?);
            let cancelled = f.i64()?;
            let Ok(kind) = kind.parse::<SlaKind>() else {
                continue;
            };
            let category = category.and_then(|c| c.parse().ok());
            let utc_offset_minutes = offsets.get(region);
            sla_tallies.push(SlaTally {
                kind,
                agency_id: agency.map(str::to_owned),
                category,
                attributed_at: Timestamp(hour * MS_PER_HOUR),
                utc_offset_minutes,
                met: u64::try_from(met).unwrap_or(0),
                breached: u64::try_from(breached).unwrap_or(0),
                running: u64::try_from(running).unwrap_or(0),
                cancelled: u64::try_from(cancelled).unwrap_or(0),
            });
            if breached > 0 {
                // A breached clock is a group of its own: the rest of the record is its detail.
                let number = f.opt_text()?;
                let attributed = f.i64()?;
                let due = f.i64()?;
                let stopped = f.opt_i64()?;
                let breached_at = f.opt_i64()?;
                sla_breach_details.push(SlaClockRecord {
                    kind,
                    agency_id: agency.map(str::to_owned),
                    category,
                    incident_number: number.map(str::to_owned),
                    due_at: Timestamp(due),
                    stopped_at: stopped.map(Timestamp),
                    breached_at: breached_at.map(Timestamp),
                    cancelled_at: None,
                    attributed_at: Timestamp(attributed),
                    utc_offset_minutes,
                });
            }
        }

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
                    (Some(scope), Some(code)) => siaga_core::region::contains(scope, code),
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
        let call_backs = backs
            .into_iter()
            .map(|b| CallBackRecord {
                created_at: Timestamp(b.0),
                due_at: Timestamp(b.1),
                first_attempt_at: b.2.map(Timestamp),
                attempts: u32::try_from(b.3).unwrap_or(0),
                reached: b.4.as_deref() == Some("reached"),
                open: b.5 == "open",
                utc_offset_minutes: offsets.get(b.6.as_deref()),
            })
            .collect();
        Ok(KpiInput {
            period,
            as_of,
            calls,
            incidents: records,
            sla_clocks: Vec::new(),
            sla_tallies,
            sla_breach_details,
            call_backs,
            agents,
            agent_states,
            shifts,
            agency_names,
            region_names,
        })
    }

    /// The engine's string aggregate: the one piece of report SQL that differs between engines.
    fn string_agg(&self) -> &'static str {
        match self.engine() {
            crate::config::DatabaseEngine::Sqlite => "group_concat",
            crate::config::DatabaseEngine::Postgres => "string_agg",
        }
    }

    /// Runs a packing query (one text row per hour) with `$1..$5` = window start, end, region, region's
    /// descendants pattern, agency, and `$6` = `as_of` when given.
    async fn packed(
        &self,
        sql: &str,
        start: i64,
        end: i64,
        scope: &ReportScope,
        as_of: Option<i64>,
    ) -> StoreResult<Vec<String>> {
        Ok(on_db!(self, p => {
            let q = sqlx::query_scalar::<_, String>(sql)
                .bind(start).bind(end).bind(&scope.region).bind(scope.descendants()).bind(&scope.agency_id);
            let q = match as_of {
                Some(t) => q.bind(t),
                None => q,
            };
            q.fetch_all(p).await
        })?)
    }

    // Report queries pack the records of each hour into one text row (`group_concat` / `string_agg`). Both
    // engines execute these reads in a fraction of a second; what costs is handing hundreds of thousands of
    // rows one by one to the driver, so the rows are handed over an hour at a time and split in Rust.

    /// Calls of the window, each with the outcome of its answer-SLA clock (`m`, `b`, `r` or empty), so
    /// answer clocks are counted in the same pass.
    async fn report_calls(
        &self,
        agg: &str,
        start: i64,
        end: i64,
        scope: &ReportScope,
        as_of: i64,
    ) -> StoreResult<Vec<String>> {
        let sql = format!(
            "SELECT {agg}(rec, ',') FROM (SELECT c.ring_at / {MS_PER_HOUR} AS h, \
             CAST(c.ring_at AS TEXT) || '|' || {} || '|' || {} || '|' || c.status || '|' || \
             COALESCE(c.class, '') || '|' || COALESCE(c.call_taker_id, '') || '|' || COALESCE(c.region_code, '') \
             || '|' || CASE WHEN s.id IS NULL THEN '' WHEN {BREACHED} THEN 'b' WHEN {MET} THEN 'm' ELSE 'r' END AS rec \
             FROM calls c LEFT JOIN sla_clocks s ON s.subject_type = 'call' AND s.subject_id = c.id \
                  AND s.kind = 'answer' AND ($5 IS NULL OR s.agency_id = $5) \
             WHERE c.ring_at >= $1 AND c.ring_at < $2 AND {} AND (c.class IS NULL OR c.class <> 'test') \
             AND ($5 IS NULL OR EXISTS (SELECT 1 FROM incident_agencies ia \
                  WHERE ia.incident_id = c.incident_id AND ia.agency_id = $5))) x GROUP BY h",
            txt("c.answered_at"),
            txt("c.ended_at"),
            region_filter("c")
        );
        self.packed(&sql, start, end, scope, Some(as_of)).await
    }

    async fn report_incidents(
        &self,
        agg: &str,
        start: i64,
        end: i64,
        scope: &ReportScope,
    ) -> StoreResult<Vec<String>> {
        // The first answer comes from calls.incident_id (the incident a call created) and from incident_calls
        // (calls linked later as duplicates); the engines differ on a NULL-ignoring two-argument minimum, so
        // both are read and the smaller is taken in Rust. Escalations and assignments ride along as `;`-lists.
        // Each linked table is aggregated per incident in one grouped join over the window's incidents
        // (`w`), rather than by a subquery per incident, which PostgreSQL runs as one index probe each.
        let w = format!(
            "SELECT j.id FROM incidents j WHERE j.created_at >= $1 AND j.created_at < $2 AND {}",
            region_filter("j")
        );
        let sql = format!(
            "SELECT {agg}(rec, ',') FROM (SELECT i.created_at / {MS_PER_HOUR} AS h, \
             i.category || '|' || i.priority || '|' || COALESCE(i.region_code, '') || '|' || \
             CAST(i.created_at AS TEXT) || '|' || {resolved} || '|' || {closed} || '|' || \
             {direct} || '|' || {linked} || '|' || COALESCE(e.list, '') || '|' || COALESCE(asg.list, '') || '|' || \
             COALESCE(i.cancel_reason, '') || '|' || CASE WHEN i.merged_into IS NULL THEN '0' ELSE '1' END AS rec \
             FROM incidents i \
             LEFT JOIN (SELECT c.incident_id AS id, MIN(c.answered_at) AS m FROM ({w}) w \
                  JOIN calls c ON c.incident_id = w.id GROUP BY c.incident_id) fd ON fd.id = i.id \
             LEFT JOIN (SELECT l.incident_id AS id, MIN(c.answered_at) AS m FROM ({w}) w \
                  JOIN incident_calls l ON l.incident_id = w.id JOIN calls c ON c.id = l.call_id \
                  GROUP BY l.incident_id) fl ON fl.id = i.id \
             LEFT JOIN (SELECT ia.incident_id AS id, \
                  {agg}(ia.agency_id || '/' || CAST(ia.escalated_at AS TEXT), ';') AS list FROM ({w}) w \
                  JOIN incident_agencies ia ON ia.incident_id = w.id WHERE ($5 IS NULL OR ia.agency_id = $5) \
                  GROUP BY ia.incident_id) e ON e.id = i.id \
             LEFT JOIN (SELECT a.incident_id AS id, {agg}(a.agency_id || '/' || CAST(a.assigned_at AS TEXT) \
                  || '/' || {ack} || '/' || {on_scene} || '/' || COALESCE(a.assigned_by, ''), ';') AS list \
                  FROM ({w}) w JOIN assignments a ON a.incident_id = w.id WHERE ($5 IS NULL OR a.agency_id = $5) \
                  GROUP BY a.incident_id) asg ON asg.id = i.id \
             WHERE i.created_at >= $1 AND i.created_at < $2 AND {region} \
             AND ($5 IS NULL OR EXISTS (SELECT 1 FROM incident_agencies ia \
                  WHERE ia.incident_id = i.id AND ia.agency_id = $5))) x GROUP BY h",
            resolved = txt("i.resolved_at"),
            closed = txt("i.closed_at"),
            direct = txt("fd.m"),
            linked = txt("fl.m"),
            ack = txt("a.acknowledged_at"),
            on_scene = txt("a.on_scene_at"),
            region = region_filter("i"),
        );
        self.packed(&sql, start, end, scope, None).await
    }

    /// Incident and assignment SLA clocks of the window's incidents, counted per hour (of the incident's
    /// creation), kind, OPD, category and region, except that each breached clock is its own group carrying
    /// the details the breach list shows. One pass over the clocks gives both the counts and the list.
    async fn report_sla_clocks(
        &self,
        agg: &str,
        start: i64,
        end: i64,
        scope: &ReportScope,
        as_of: i64,
    ) -> StoreResult<Vec<String>> {
        let agency = "($5 IS NULL OR s.agency_id = $5)";
        let cols = format!(
            "i.created_at / {MS_PER_HOUR} AS h, s.kind AS kind, s.agency_id AS agency, i.category AS category, \
             i.region_code AS region, i.number AS number, i.created_at AS attributed, s.due_at AS due, \
             s.stopped_at AS stopped, s.breached_at AS breached_at, \
             CASE WHEN {MET} THEN 1 ELSE 0 END AS met, CASE WHEN {BREACHED} THEN 1 ELSE 0 END AS breached, \
             CASE WHEN {RUNNING} THEN 1 ELSE 0 END AS running, CASE WHEN {CANCELLED} THEN 1 ELSE 0 END AS cancelled, \
             CASE WHEN {BREACHED} THEN s.id END AS detail"
        );
        let sql = format!(
            "SELECT {agg}(rec, ',') FROM (SELECT h, CAST(h AS TEXT) || '|' || kind || '|' || \
             COALESCE(agency, '') || '|' || COALESCE(category, '') || '|' || COALESCE(region, '') || '|' || \
             CAST(SUM(met) AS TEXT) || '|' || CAST(SUM(breached) AS TEXT) || '|' || CAST(SUM(running) AS TEXT) \
             || '|' || CAST(SUM(cancelled) AS TEXT) || '|' || COALESCE(MIN(number), '') || '|' || CAST(MIN(attributed) AS TEXT) || '|' || \
             CAST(MIN(due) AS TEXT) || '|' || {} || '|' || {} AS rec FROM ( \
             SELECT {cols} FROM incidents i \
             JOIN sla_clocks s ON s.subject_type = 'incident' AND s.subject_id = i.id \
             WHERE i.created_at >= $1 AND i.created_at < $2 AND {ri} AND {agency} \
             UNION ALL \
             SELECT {cols} FROM incidents i \
             JOIN assignments a ON a.incident_id = i.id \
             JOIN sla_clocks s ON s.subject_type = 'assignment' AND s.subject_id = a.id \
             WHERE i.created_at >= $1 AND i.created_at < $2 AND {ri} AND {agency} \
             ) k GROUP BY h, kind, agency, category, region, detail) x GROUP BY h",
            txt("MIN(stopped)"),
            txt("MIN(breached_at)"),
            ri = region_filter("i"),
        );
        self.packed(&sql, start, end, scope, Some(as_of)).await
    }

    /// Call-back tasks created in the window, with the region of their call. In an OPD's report, those of
    /// calls linked to its incidents.
    async fn report_call_backs(
        &self,
        start: i64,
        end: i64,
        scope: &ReportScope,
    ) -> StoreResult<Vec<CallBackFields>> {
        let sql = format!(
            "SELECT b.created_at, b.due_at, b.first_attempt_at, b.attempts, b.last_outcome, b.status, \
             c.region_code FROM call_backs b JOIN calls c ON c.id = b.call_id \
             WHERE b.created_at >= $1 AND b.created_at < $2 AND {} \
             AND ($5 IS NULL OR EXISTS (SELECT 1 FROM incident_agencies ia \
                  WHERE ia.incident_id = c.incident_id AND ia.agency_id = $5))",
            region_filter("c")
        );
        Ok(on_db!(self, p => sqlx::query_as(&sql)
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
