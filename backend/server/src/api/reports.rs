//! Supervisor reports over HTTP: KPIs of any period and scope, the monthly report, and the incident heat
//! map. Who may see which scope is decided in [`crate::service::reports`].

use super::error::ApiResult;
use super::extract::{Actor, AppQuery};
use crate::reports::heatmap::HeatmapView;
use crate::reports::{KpiReportView, MonthlyReportView, RenderedReport};
use crate::service::reports::{self, ReportOutput};
use crate::service::reports::{HeatmapQuery, ReportQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

fn file_response(r: RenderedReport) -> Response {
    let mut response = r.body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(r.content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", r.file_name)) {
        headers.insert(CONTENT_DISPOSITION, v);
    }
    response
}

fn report_response<T: Serialize>(output: ReportOutput<T>) -> Response {
    match output {
        ReportOutput::Json(view) => Json(view).into_response(),
        ReportOutput::File(file) => file_response(file),
    }
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
    Ok(report_response(
        reports::kpi_report(&state, &actor, q).await?,
    ))
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
    Ok(report_response(
        reports::monthly_report(&state, &actor, q).await?,
    ))
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
    Ok(Json(reports::heatmap(&state, &actor, q).await?))
}
