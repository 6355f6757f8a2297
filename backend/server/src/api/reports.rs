//! Supervisor reports: KPIs of any period and scope, the monthly report, and the incident heat map.
//!
//! Who sees what: supervisors and admins any region and OPD (a region-scoped supervisor only inside their
//! region, which is also the default scope); dispatchers only their own OPD. Other roles are refused.

use super::error::{ApiError, ApiResult};
use super::extract::{Actor, AppQuery};
use crate::reports::heatmap::{self, HeatmapView};
use crate::reports::{self, KpiReportView, MonthlyReportView, RenderedReport, ReportFormat};
use crate::state::AppState;
use crate::store::StoreError;
use crate::store::reports::ReportScope;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
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

fn file_response(r: RenderedReport) -> Response {
    let mut response = r.body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(r.content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", r.file_name)) {
        headers.insert(CONTENT_DISPOSITION, v);
    }
    response
}

/// KPIs of a period: calls, incidents, intervals, SLA compliance, agents, and a row per day.
#[utoipa::path(get, path = "/api/v1/reports/kpi", tag = "reports", security(("bearer" = [])),
    params(ReportQuery), responses(
    (status = 200, description = "The report as JSON, CSV (`section,key,metric,value`) or XLSX", content(
        (KpiReportView = "application/json"),
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    (status = 403, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody, description = "bad period, format, region or agency"),
))]
pub async fn kpi_report(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<ReportQuery>,
) -> ApiResult<Response> {
    let period = parse_period(&q.period)?;
    let format = parse_format(q.format.as_deref())?;
    let scope = scope_for(&state, &actor, q.region, q.agency_id).await?;
    let report = reports::build_kpi_report(&state.store, period, &scope, state.clock.now()).await?;
    if format == ReportFormat::Json {
        return Ok(Json(report).into_response());
    }
    Ok(file_response(reports::render_kpi(&report, format)?))
}

/// The monthly report: totals, interval percentiles, SLA compliance per OPD and a row per day.
#[utoipa::path(get, path = "/api/v1/reports/monthly", tag = "reports", security(("bearer" = [])),
    params(ReportQuery), responses(
    (status = 200, description = "The report as JSON, CSV or XLSX", content(
        (MonthlyReportView = "application/json"),
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    (status = 403, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody, description = "the period is not a month, or another bad parameter"),
))]
pub async fn monthly_report(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<ReportQuery>,
) -> ApiResult<Response> {
    let period = parse_period(&q.period)?;
    if !matches!(period, Period::Month { .. }) {
        return Err(ApiError::validation(
            "period",
            "the monthly report needs a month, e.g. 2026-11",
        ));
    }
    let format = parse_format(q.format.as_deref())?;
    let scope = scope_for(&state, &actor, q.region, q.agency_id).await?;
    let report: MonthlyReportView =
        reports::build_monthly_report(&state.store, period, &scope, state.clock.now()).await?;
    if format == ReportFormat::Json {
        return Ok(Json(report).into_response());
    }
    Ok(file_response(reports::render_monthly(&report, format)?))
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

/// Incidents per H3 cell as a GeoJSON FeatureCollection of cell polygons with `count`.
#[utoipa::path(get, path = "/api/v1/reports/heatmap", tag = "reports", security(("bearer" = [])),
    params(HeatmapQuery), responses(
    (status = 200, body = HeatmapView),
    (status = 403, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody),
))]
pub async fn heatmap(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<HeatmapQuery>,
) -> ApiResult<Json<HeatmapView>> {
    let scope = scope_for(&state, &actor, q.region, q.agency_id).await?;
    let category = match q.category.as_deref() {
        Some(c) => Some(c.parse::<Category>().map_err(|e| {
            ApiError::validation("category", e.to_string()).with_allowed(
                Category::ALL
                    .iter()
                    .map(|c| c.as_str().to_owned())
                    .collect(),
            )
        })?),
        None => None,
    };
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
    let points = state
        .store
        .incident_points(from, to, category.map(Category::as_str), &scope)
        .await?;
    let resolution = q.resolution.unwrap_or(7);
    let view = tokio::task::spawn_blocking(move || {
        heatmap::heatmap(points.into_iter().map(|p| (p.lon, p.lat)), resolution)
    })
    .await
    .map_err(|e| ApiError::internal(e.into()))?;
    Ok(Json(view))
}
