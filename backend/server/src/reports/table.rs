//! A report as a list of named tables: the one shape both the CSV and the XLSX writers consume, so the two
//! formats cannot disagree. Column names are the JSON field names; durations stay in milliseconds and ratios
//! stay fractions (0..1), exactly as in the JSON.

use super::{KpiReportView, MonthlyReportView, ScopeView};
use siaga_core::kpi::{CallBackKpis, CallKpis, IncidentKpis};
use siaga_core::kpi::{DayKpis, IntervalKpi, KeyCount, PeriodView, SlaCounts};

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A whole number (counts, milliseconds).
    Int(i64),
    /// A fraction or other real number.
    Real(f64),
    /// No value (a ratio over zero, a mean of nothing).
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}
impl From<u64> for Cell {
    fn from(n: u64) -> Self {
        Cell::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl From<u32> for Cell {
    fn from(n: u32) -> Self {
        Cell::Int(i64::from(n))
    }
}
impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}
impl From<f64> for Cell {
    fn from(x: f64) -> Self {
        Cell::Real(x)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

/// A named table; the first column is the row key.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Sheet name / CSV section (at most 31 characters, the XLSX limit).
    pub name: &'static str,
    /// Column names.
    pub columns: Vec<&'static str>,
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
}

fn metric(rows: &mut Vec<Vec<Cell>>, name: &str, value: impl Into<Cell>) {
    rows.push(vec![name.into(), value.into()]);
}

fn summary(
    period: &PeriodView,
    scope: &ScopeView,
    as_of: i64,
    calls: &CallKpis,
    incidents: &IncidentKpis,
    sla: &SlaCounts,
    call_backs: &CallBackKpis,
) -> Table {
    let mut r = Vec::new();
    metric(&mut r, "period", period.text.clone());
    metric(&mut r, "first_day", period.first_day.clone());
    metric(&mut r, "last_day", period.last_day.clone());
    metric(&mut r, "region", scope.region.clone());
    metric(&mut r, "agency_id", scope.agency_id.clone());
    metric(&mut r, "as_of", as_of);
    metric(&mut r, "calls_offered", calls.offered);
    metric(&mut r, "calls_answered", calls.answered);
    metric(&mut r, "calls_abandoned", calls.abandoned);
    metric(&mut r, "calls_unanswered", calls.unanswered);
    metric(&mut r, "abandoned_ratio", calls.abandoned_ratio);
    metric(&mut r, "success_call_ratio", calls.success_call_ratio);
    metric(
        &mut r,
        "genuine_share_of_answered",
        calls.genuine_share_of_answered,
    );
    metric(&mut r, "asa_ms", calls.asa_ms);
    metric(
        &mut r,
        "answer_speed_median_ms",
        calls.answer_speed.median_ms,
    );
    metric(&mut r, "answer_speed_p90_ms", calls.answer_speed.p90_ms);
    metric(&mut r, "answered_within_15s", calls.answered_within_15s);
    metric(&mut r, "answered_within_20s", calls.answered_within_20s);
    metric(&mut r, "service_level_15s", calls.service_level_15s);
    metric(&mut r, "service_level_20s", calls.service_level_20s);
    metric(&mut r, "aht_ms", calls.aht_ms);
    metric(
        &mut r,
        "handling_time_median_ms",
        calls.handling_time.median_ms,
    );
    metric(&mut r, "handling_time_p90_ms", calls.handling_time.p90_ms);
    metric(&mut r, "calls_unclassified", calls.unclassified);
    metric(&mut r, "prank_ghost_ratio", calls.prank_ghost_ratio);
    metric(&mut r, "prank_ratio", calls.prank_ratio);
    metric(&mut r, "incidents_total", incidents.total);
    metric(&mut r, "incidents_resolved", incidents.resolved);
    metric(&mut r, "incidents_closed", incidents.closed);
    metric(&mut r, "incidents_cancelled", incidents.cancelled);
    for c in &incidents.cancelled_by_reason {
        metric(&mut r, &format!("incidents_cancelled_{}", c.key), c.count);
    }
    metric(&mut r, "incidents_merged", incidents.merged);
    metric(&mut r, "sla_met", sla.met);
    metric(&mut r, "sla_breached", sla.breached);
    metric(&mut r, "sla_running", sla.running);
    metric(&mut r, "sla_cancelled", sla.cancelled);
    metric(&mut r, "sla_compliance", sla.compliance);
    metric(&mut r, "call_backs_created", call_backs.created);
    metric(&mut r, "call_backs_made", call_backs.made);
    metric(&mut r, "call_back_attempts", call_backs.attempts);
    metric(&mut r, "call_backs_reached", call_backs.reached);
    metric(&mut r, "call_backs_within_target", call_backs.within_target);
    metric(&mut r, "call_backs_open", call_backs.open);
    metric(&mut r, "call_backs_reached_ratio", call_backs.reached_ratio);
    metric(
        &mut r,
        "call_backs_within_target_ratio",
        call_backs.within_target_ratio,
    );
    Table {
        name: "summary",
        columns: vec!["metric", "value"],
        rows: r,
    }
}

fn key_counts(name: &'static str, groups: &[(&str, &[KeyCount])]) -> Table {
    Table {
        name,
        columns: vec!["key", "dimension", "name", "count"],
        rows: groups
            .iter()
            .flat_map(|(dimension, list)| {
                list.iter().map(move |k| {
                    vec![
                        format!("{dimension}:{}", k.key).into(),
                        (*dimension).into(),
                        k.name.clone().into(),
                        k.count.into(),
                    ]
                })
            })
            .collect(),
    }
}

fn intervals(list: &[IntervalKpi]) -> Table {
    Table {
        name: "intervals",
        columns: vec![
            "interval",
            "count",
            "mean_ms",
            "median_ms",
            "p90_ms",
            "max_ms",
        ],
        rows: list
            .iter()
            .map(|i| {
                let s = &i.summary;
                vec![
                    i.interval.clone().into(),
                    s.count.into(),
                    s.mean_ms.into(),
                    s.median_ms.into(),
                    s.p90_ms.into(),
                    s.max_ms.into(),
                ]
            })
            .collect(),
    }
}

fn sla(name: &'static str, groups: &[(&str, &[SlaCounts])]) -> Table {
    Table {
        name,
        columns: vec![
            "key",
            "group",
            "name",
            "met",
            "breached",
            "running",
            "cancelled",
            "compliance",
        ],
        rows: groups
            .iter()
            .flat_map(|(group, list)| {
                list.iter().map(move |c| {
                    vec![
                        format!("{group}:{}", c.key).into(),
                        (*group).into(),
                        c.name.clone().into(),
                        c.met.into(),
                        c.breached.into(),
                        c.running.into(),
                        c.cancelled.into(),
                        c.compliance.into(),
                    ]
                })
            })
            .collect(),
    }
}

fn days(list: &[DayKpis]) -> Table {
    Table {
        name: "days",
        columns: vec![
            "date",
            "offered",
            "answered",
            "abandoned",
            "asa_ms",
            "service_level_15s",
            "aht_ms",
            "incidents",
            "sla_met",
            "sla_breached",
        ],
        rows: list
            .iter()
            .map(|d| {
                vec![
                    d.date.clone().into(),
                    d.offered.into(),
                    d.answered.into(),
                    d.abandoned.into(),
                    d.asa_ms.into(),
                    d.service_level_15s.into(),
                    d.aht_ms.into(),
                    d.incidents.into(),
                    d.sla_met.into(),
                    d.sla_breached.into(),
                ]
            })
            .collect(),
    }
}

/// The tables of the KPI report: summary, days, intervals, calls by class, incidents, SLA, breaches, agents.
pub fn kpi_tables(v: &KpiReportView) -> Vec<Table> {
    let r = &v.report;
    let mut breaches = Table {
        name: "sla_breaches",
        columns: vec![
            "key",
            "kind",
            "incident_number",
            "category",
            "agency_id",
            "agency_name",
            "due_at",
            "breached_at",
            "stopped_at",
            "overdue_ms",
        ],
        rows: Vec::new(),
    };
    for (n, b) in r.sla.breaches.iter().enumerate() {
        breaches.rows.push(vec![
            Cell::Int(n as i64 + 1),
            b.kind.clone().into(),
            b.incident_number.clone().into(),
            b.category.clone().into(),
            b.agency_id.clone().into(),
            b.agency_name.clone().into(),
            b.due_at.into(),
            b.breached_at.into(),
            b.stopped_at.into(),
            b.overdue_ms.into(),
        ]);
    }
    let agents = Table {
        name: "agents",
        columns: vec![
            "username",
            "display_name",
            "role",
            "calls_handled",
            "aht_ms",
            "talk_ms",
            "dispatches",
            "logged_in_ms",
            "ready_ms",
            "on_call_ms",
            "aux_ms",
            "scheduled_ms",
            "available_in_shift_ms",
            "adherence",
            "late_logins",
            "late_login_ms",
            "early_logouts",
            "early_logout_ms",
            "absent_shifts",
        ],
        rows: r
            .agents
            .iter()
            .map(|a| {
                let t = &a.time;
                vec![
                    a.username.clone().into(),
                    a.display_name.clone().into(),
                    a.role.as_str().into(),
                    a.calls_handled.into(),
                    a.aht_ms.into(),
                    a.talk_ms.into(),
                    a.dispatches.into(),
                    t.logged_in_ms.into(),
                    t.ready_ms.into(),
                    t.on_call_ms.into(),
                    t.aux_ms.into(),
                    t.scheduled_ms.into(),
                    t.available_in_shift_ms.into(),
                    t.adherence.into(),
                    t.late_logins.into(),
                    t.late_login_ms.into(),
                    t.early_logouts.into(),
                    t.early_logout_ms.into(),
                    t.absent_shifts.into(),
                ]
            })
            .collect(),
    };
    vec![
        summary(
            &r.period,
            &v.scope,
            r.as_of.0,
            &r.calls,
            &r.incidents,
            &r.sla.total,
            &r.call_backs,
        ),
        days(&r.days),
        intervals(&r.intervals),
        key_counts("calls_by_class", &[("class", &r.calls.by_class)]),
        key_counts(
            "incidents",
            &[
                ("category", &r.incidents.by_category),
                ("priority", &r.incidents.by_priority),
                ("agency", &r.incidents.by_agency),
                ("region", &r.incidents.by_region),
                ("cancelled", &r.incidents.cancelled_by_reason),
            ],
        ),
        sla(
            "sla",
            &[
                ("kind", &r.sla.by_kind),
                ("agency", &r.sla.by_agency),
                ("category", &r.sla.by_category),
                ("agency_category", &r.sla.by_agency_category),
            ],
        ),
        breaches,
        agents,
    ]
}

/// The tables of the monthly report: summary, intervals, SLA per OPD, days.
pub fn monthly_tables(v: &MonthlyReportView) -> Vec<Table> {
    vec![
        summary(
            &v.period,
            &v.scope,
            v.as_of,
            &v.calls,
            &v.incidents,
            &v.sla_total,
            &v.call_backs,
        ),
        intervals(&v.intervals),
        sla("sla_by_agency", &[("agency", &v.sla_by_agency)]),
        days(&v.days),
    ]
}
