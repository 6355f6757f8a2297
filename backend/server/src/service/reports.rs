//! Supervisor reports as the API asks for them: who may see which scope, the period and format asked for,
//! and the incident heat map. Building and rendering a report is [`crate::reports`]' work, shared with the
//! `siaga report` command.
//!
//! Who sees what: supervisors and admins any region and OPD (a region-scoped supervisor only inside their
//! region, which is also the default scope); dispatchers only their own OPD. Other roles are refused.

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::reports::heatmap::{self, HeatmapView};
use crate::reports::{self, KpiReportView, MonthlyReportView, RenderedReport, ReportFormat};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::reports::ReportScope;
use serde::Deserialize;
use siaga_core::incident::Category;
use siaga_core::kpi::Period;
use siaga_core::role::Role;
use siaga_core::time::MS_PER_DAY;

/// Query of the KPI and monthly reports.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `2026-11`, `2026-W47`, `2026-11-24` or `2026-11-01..2026-11-15`, in each region's local time.
    pub period: String,
    /// Region code; the region and everything under it.
    pub region: Option<String>,
    /// One OPD (dispatchers: always their own).
    pub agency_id: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// Query of the heat map.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HeatmapQuery {
    /// Start (ms since the epoch or RFC 3339); default 30 days before `to`.
    pub from: Option<String>,
    /// End, excluded (ms since the epoch or RFC 3339); default now.
    pub to: Option<String>,
    /// A period instead of `from`/`to` (`2026-11`, `2026-W47`, …), in the scope's local time.
    pub period: Option<String>,
    /// Only this incident category.
    pub category: Option<String>,
    /// H3 resolution, clamped to 4..=10; default 7.
    pub resolution: Option<u8>,
    /// Region code.
    pub region: Option<String>,
    /// One OPD.
    pub agency_id: Option<String>,
}

/// A report in the format asked for: the view itself for JSON, else a rendered file.
pub enum ReportOutput<T> {
    /// `format=json` (the default).
    Json(T),
    /// CSV or XLSX.
    File(RenderedReport),
}

/// Decides the scope a report may cover for `actor`, checking that the region and agency exist.
async fn scope_for(
    state: &AppState,
    actor: &Actor,
    region: Option<String>,
    agency_id: Option<String>,
) -> ApiResult<ReportScope> {
    let agency_id = match actor.role {
        Role::Supervisor | Role::Admin => agency_id,
        Role::Dispatcher => {
            let own = actor.agency_scope().unwrap_or("").to_owned();
            if agency_id.as_ref().is_some_and(|a| *a != own) {
                return Err(ApiError::forbidden(
                    "dispatchers see reports of their own OPD only",
                ));
            }
            Some(own)
        }
        _ => {
            return Err(ApiError::forbidden(format!(
                "role {} may not see reports; allowed roles: supervisor, admin, dispatcher",
                actor.role
            )));
        }
    };
    let region = match (region, actor.user.region_code.clone()) {
        (Some(r), _) => {
            actor.require_region(&r)?;
            Some(r)
        }
        (None, scope) => scope,
    };
    if let Some(r) = &region
        && state.store.region_time_zone(r).await?.is_none()
    {
        return Err(ApiError::validation("region", "no such region"));
    }
    if let Some(a) = &agency_id {
        match state.store.get_agency(a).await {
            Err(StoreError::NotFound) => {
                return Err(ApiError::validation("agency_id", "no such agency"));
            }
            other => {
                other?;
            }
        }
    }
    Ok(ReportScope { region, agency_id })
}

fn parse_period(text: &str) -> ApiResult<Period> {
    text.parse::<Period>()
        .map_err(|e| ApiError::validation("period", e.to_string()))
}

fn parse_format(text: Option<&str>) -> ApiResult<ReportFormat> {
    text.map_or(Ok(ReportFormat::Json), |f| {
        f.parse().map_err(|m: String| {
            ApiError::validation("format", m).with_allowed(vec![
                "json".into(),
                "csv".into(),
                "xlsx".into(),
            ])
        })
    })
}

/// KPIs of a period within the scope `actor` may see.
pub async fn kpi_report(
    state: &AppState,
    actor: &Actor,
    q: ReportQuery,
) -> ApiResult<ReportOutput<KpiReportView>> {
    let period = parse_period(&q.period)?;
    let format = parse_format(q.format.as_deref())?;
    let scope = scope_for(state, actor, q.region, q.agency_id).await?;
    let report = reports::build_kpi_report(&state.store, period, &scope, state.clock.now()).await?;
    if format == ReportFormat::Json {
        return Ok(ReportOutput::Json(report));
    }
    Ok(ReportOutput::File(reports::render_kpi(&report, format)?))
}

/// The monthly report of a month within the scope `actor` may see.
pub async fn monthly_report(
    state: &AppState,
    actor: &Actor,
    q: ReportQuery,
) -> ApiResult<ReportOutput<MonthlyReportView>> {
    let period = parse_period(&q.period)?;
    if !matches!(period, Period::Month { .. }) {
        return Err(ApiError::validation(
            "period",
            "the monthly report needs a month, e.g. 2026-11",
        ));
    }
    let format = parse_format(q.format.as_deref())?;
    let scope = scope_for(state, actor, q.region, q.agency_id).await?;
    let report: MonthlyReportView =
        reports::build_monthly_report(&state.store, period, &scope, state.clock.now()).await?;
    if format == ReportFormat::Json {
        return Ok(ReportOutput::Json(report));
    }
    Ok(ReportOutput::File(reports::render_monthly(
        &report, format,
    )?))
}

fn parse_instant(field: &'static str, text: &str) -> ApiResult<i64> {
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .map_err(|_| {
            ApiError::validation(
                field,
                "must be milliseconds since the epoch or an RFC 3339 time",
            )
        })
}

fn parse_category(text: Option<&str>) -> ApiResult<Option<Category>> {
    text.map(|c| {
        c.parse::<Category>().map_err(|e| {
            ApiError::validation("category", e.to_string()).with_allowed(
                Category::ALL
                    .iter()
                    .map(|c| c.as_str().to_owned())
                    .collect(),
            )
        })
    })
    .transpose()
}

/// The window `[from, to)` of a heat map: a period in the scope's local time, or instants (default: the 30
/// days up to now). At most 366 days.
async fn heatmap_window(
    state: &AppState,
    q: &HeatmapQuery,
    scope: &ReportScope,
) -> ApiResult<(i64, i64)> {
    let (from, to) = match (&q.period, &q.from, &q.to) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(ApiError::validation(
                "period",
                "give either period or from/to, not both",
            ));
        }
        (Some(p), None, None) => {
            let period = parse_period(p)?;
            let zone = match &scope.region {
                Some(r) => state.store.region_time_zone(r).await?,
                None => None,
            };
            let zones = state.store.time_zones(zone.as_deref()).await?;
            let (a, b) = period.bounds(zones.fallback);
            (a.0, b.0)
        }
        (None, from, to) => {
            let to = match to {
                Some(t) => parse_instant("to", t)?,
                None => state.now_ms(),
            };
            let from = match from {
                Some(f) => parse_instant("from", f)?,
                None => to - 30 * MS_PER_DAY,
            };
            (from, to)
        }
    };
    if to <= from {
        return Err(ApiError::validation("to", "must be after from"));
    }
    if to - from > 366 * MS_PER_DAY {
        return Err(ApiError::validation(
            "to",
            "the heat map spans at most 366 days",
        ));
    }
    Ok((from, to))
}

/// Incidents per H3 cell within the scope `actor` may see.
pub async fn heatmap(state: &AppState, actor: &Actor, q: HeatmapQuery) -> ApiResult<HeatmapView> {
    let scope = scope_for(state, actor, q.region.clone(), q.agency_id.clone()).await?;
    let category = parse_category(q.category.as_deref())?;
    let (from, to) = heatmap_window(state, &q, &scope).await?;
    let points = state
        .store
        .incident_points(from, to, category.map(Category::as_str), &scope)
        .await?;
    let resolution = q.resolution.unwrap_or(7);
    // Binning a period's incidents into H3 cells is CPU work: it runs off the async workers.
    tokio::task::spawn_blocking(move || {
        heatmap::heatmap(points.into_iter().map(|p| (p.lon, p.lat)), resolution)
    })
    .await
    .map_err(|e| ApiError::internal(e.into()))
}
