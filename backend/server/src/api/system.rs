//! Liveness, readiness and metrics.

use super::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde::Serialize;

/// Status of a health probe.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HealthView {
    /// `ok` when healthy.
    pub status: &'static str,
    /// Storage engine in use (`sqlite` or `postgres`), on readiness only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// The process is up (does not touch the database).
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = HealthView)))]
pub async fn healthz() -> Json<HealthView> {
    Json(HealthView {
        status: "ok",
        database: None,
    })
}

/// The database answers: the instance can serve requests.
#[utoipa::path(get, path = "/readyz", tag = "system", responses(
    (status = 200, body = HealthView),
    (status = 503, body = super::error::ErrorBody, description = "database unreachable"),
))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<Json<HealthView>> {
    state.store.ping().await.map_err(|e| ApiError {
        source: Some(e.into()),
        ..ApiError::new(ErrorCode::Unavailable, "database unreachable")
    })?;
    let database = match state.store.engine() {
        crate::config::DatabaseEngine::Sqlite => "sqlite",
        crate::config::DatabaseEngine::Postgres => "postgres",
    };
    Ok(Json(HealthView {
        status: "ok",
        database: Some(database),
    }))
}

/// Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let up = if state.store.ping().await.is_ok() {
        1.0
    } else {
        0.0
    };
    let body = state.metrics.render(&[(
        "siaga_database_up",
        "1 when the database answered the last probe.",
        up,
    )]);
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
