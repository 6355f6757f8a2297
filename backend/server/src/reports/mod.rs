//! Reports: loading a period's history, computing its KPIs (in `siaga_core::kpi`), and writing them as JSON,
//! CSV or XLSX. Shared by the report service (`service::reports`, behind the HTTP API) and the `siaga report`
//! command.
//!
//! * [`build_kpi_report`] / [`build_monthly_report`]: store → core → report, with the scope attached.
//! * [`table`]: the report as named tables (one per XLSX sheet); [`csv`] and [`xlsx`] write those tables, so
//!   both formats always carry the same figures as the JSON.
//! * [`heatmap`]: incident counts per H3 cell as a GeoJSON FeatureCollection.
//!
//! Reports never contain personal data: no caller number, name or address is read to make them.

pub mod csv;
pub mod heatmap;
pub mod table;
pub mod xlsx;

use crate::store::Store;
use crate::store::reports::ReportScope;
use serde::Serialize;
use siaga_core::kpi::{self, IntervalKpi, KpiReport, Period, PeriodView};
use siaga_core::kpi::{CallBackKpis, CallKpis, DayKpis, IncidentKpis, SlaCounts};
use siaga_core::time::Timestamp;

/// Output format of a report.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    serde::Deserialize,
    utoipa::ToSchema,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    /// JSON (the default).
    #[default]
    Json,
    /// CSV in long form: `section,key,metric,value`.
    Csv,
    /// An Excel workbook, one sheet per table.
    Xlsx,
}

impl ReportFormat {
    /// File extension.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Json => "json",
            ReportFormat::Csv => "csv",
            ReportFormat::Xlsx => "xlsx",
        }
    }

    /// MIME type.
    pub fn content_type(self) -> &'static str {
        match self {
            ReportFormat::Json => "application/json",
            ReportFormat::Csv => "text/csv; charset=utf-8",
            ReportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }
}

impl std::str::FromStr for ReportFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "json" => Ok(ReportFormat::Json),
            "csv" => Ok(ReportFormat::Csv),
            "xlsx" => Ok(ReportFormat::Xlsx),
            other => Err(format!(
                "unknown format `{other}`; expected json, csv or xlsx"
            )),
        }
    }
}

/// Which records a report covers, as the report shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ScopeView {
    /// Region code (and everything under it); `None` = every region.
    pub region: Option<String>,
    /// One OPD; `None` = every OPD.
    pub agency_id: Option<String>,
}

impl From<&ReportScope> for ScopeView {
    fn from(s: &ReportScope) -> Self {
        ScopeView {
            region: s.region.clone(),
            agency_id: s.agency_id.clone(),
        }
    }
}

/// The KPI report with its scope.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct KpiReportView {
    /// What the report covers.
    pub scope: ScopeView,
    /// The figures.
    #[serde(flatten)]
    pub report: KpiReport,
}

/// The monthly report: totals, interval percentiles, SLA compliance per OPD, and a row per day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonthlyReportView {
    /// What the report covers.
    pub scope: ScopeView,
    /// The month.
    pub period: PeriodView,
    /// When the report was made (ms since the epoch).
    pub as_of: i64,
    /// Call totals.
    pub calls: CallKpis,
    /// Incident totals.
    pub incidents: IncidentKpis,
    /// Interval statistics.
    pub intervals: Vec<IntervalKpi>,
    /// SLA compliance over every clock.
    pub sla_total: SlaCounts,
    /// SLA compliance per OPD.
    pub sla_by_agency: Vec<SlaCounts>,
    /// Number of SLA breaches.
    pub sla_breaches_total: u64,
    /// Call-backs of abandoned, silent and to-be-confirmed calls.
    pub call_backs: CallBackKpis,
    /// One row per day.
    pub days: Vec<DayKpis>,
}

impl From<KpiReportView> for MonthlyReportView {
    fn from(v: KpiReportView) -> Self {
        let r = v.report;
        MonthlyReportView {
            scope: v.scope,
            period: r.period,
            as_of: r.as_of.0,
            calls: r.calls,
            incidents: r.incidents,
            intervals: r.intervals,
            sla_total: r.sla.total,
            sla_by_agency: r.sla.by_agency,
            sla_breaches_total: r.sla.breaches_total,
            call_backs: r.call_backs,
            days: r.days,
        }
    }
}

/// Loads and computes the KPI report of `period` within `scope`, as known at `as_of`.
pub async fn build_kpi_report(
    store: &Store,
    period: Period,
    scope: &ReportScope,
    as_of: Timestamp,
) -> anyhow::Result<KpiReportView> {
    let input = store.load_kpi_input(period, scope, as_of).await?;
    // The computation is CPU-bound (sorting up to a few hundred thousand durations); keep it off the async
    // workers so other requests are not delayed.
    let report = tokio::task::spawn_blocking(move || kpi::compute(&input)).await?;
    Ok(KpiReportView {
        scope: scope.into(),
        report,
    })
}

/// The monthly report of a month.
pub async fn build_monthly_report(
    store: &Store,
    period: Period,
    scope: &ReportScope,
    as_of: Timestamp,
) -> anyhow::Result<MonthlyReportView> {
    Ok(build_kpi_report(store, period, scope, as_of).await?.into())
}

/// A report rendered in one format, with a file name.
pub struct RenderedReport {
    /// The bytes.
    pub body: Vec<u8>,
    /// MIME type.
    pub content_type: &'static str,
    /// A file name, `siaga-kpi-2026-11-21.71.xlsx`.
    pub file_name: String,
}

fn file_name(kind: &str, period: &PeriodView, scope: &ScopeView, format: ReportFormat) -> String {
    let mut name = format!("siaga-{kind}-{}", period.text.replace("..", "_"));
    if let Some(r) = &scope.region {
        name.push('-');
        name.push_str(r);
    }
    if let Some(a) = &scope.agency_id {
        name.push_str("-opd-");
        name.push_str(a);
    }
    format!("{name}.{}", format.extension())
}

/// Renders the KPI report.
pub fn render_kpi(v: &KpiReportView, format: ReportFormat) -> anyhow::Result<RenderedReport> {
    let body = match format {
        ReportFormat::Json => serde_json::to_vec_pretty(v)?,
        ReportFormat::Csv => csv::write(&table::kpi_tables(v)).into_bytes(),
        ReportFormat::Xlsx => xlsx::write(&table::kpi_tables(v))?,
    };
    Ok(RenderedReport {
        body,
        content_type: format.content_type(),
        file_name: file_name("kpi", &v.report.period, &v.scope, format),
    })
}

/// Renders the monthly report.
pub fn render_monthly(
    v: &MonthlyReportView,
    format: ReportFormat,
) -> anyhow::Result<RenderedReport> {
    let body = match format {
        ReportFormat::Json => serde_json::to_vec_pretty(v)?,
        ReportFormat::Csv => csv::write(&table::monthly_tables(v)).into_bytes(),
        ReportFormat::Xlsx => xlsx::write(&table::monthly_tables(v))?,
    };
    Ok(RenderedReport {
        body,
        content_type: format.content_type(),
        file_name: file_name("monthly", &v.period, &v.scope, format),
    })
}

/// `siaga report`: writes a report of the configured database to a file.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// `2026-11`, `2026-W47`, `2026-11-24` or `2026-11-01..2026-11-15`.
    #[arg(long)]
    pub period: String,
    /// Region code (the region and everything under it).
    #[arg(long)]
    pub region: Option<String>,
    /// One OPD (agency id).
    #[arg(long)]
    pub agency_id: Option<String>,
    /// `xlsx` (default), `csv` or `json`.
    #[arg(long, default_value = "xlsx")]
    pub format: ReportFormat,
    /// The monthly report instead of the full KPI report (the period must be a month).
    #[arg(long)]
    pub monthly: bool,
    /// Output file; default `siaga-<kind>-<period>[-<region>].<format>` in the current folder; `-` for stdout.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// Database URL (sqlite://… or postgres://…); default: the configured one.
    #[arg(long)]
    pub database_url: Option<String>,
}

/// Runs `siaga report`.
pub async fn run_cli(config: &crate::config::Config, args: &ReportArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    let period: Period = args.period.parse().context("--period")?;
    if args.monthly && !matches!(period, Period::Month { .. }) {
        anyhow::bail!("--monthly needs a month, e.g. --period 2026-11");
    }
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| config.database_url());
    let store = Store::connect(&url, 4).await?;
    store.migrate().await?;
    if let Some(r) = &args.region {
        anyhow::ensure!(
            store.region_time_zone(r).await?.is_some(),
            "no region with code {r}"
        );
    }
    let scope = ReportScope {
        region: args.region.clone(),
        agency_id: args.agency_id.clone(),
    };
    let as_of = Timestamp(chrono::Utc::now().timestamp_millis());
    let started = std::time::Instant::now();
    let rendered = if args.monthly {
        render_monthly(
            &build_monthly_report(&store, period, &scope, as_of).await?,
            args.format,
        )?
    } else {
        render_kpi(
            &build_kpi_report(&store, period, &scope, as_of).await?,
            args.format,
        )?
    };
    store.close().await;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from(&rendered.file_name));
    if out.as_os_str() == "-" {
        std::io::stdout().write_all(&rendered.body)?;
    } else {
        std::fs::write(&out, &rendered.body)
            .with_context(|| format!("writing {}", out.display()))?;
        eprintln!(
            "wrote {} ({} bytes) in {} ms",
            out.display(),
            rendered.body.len(),
            started.elapsed().as_millis()
        );
    }
    Ok(())
}
