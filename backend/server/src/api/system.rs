//! Liveness, readiness and metrics.

use super::error::{ApiError, ApiResult, ErrorCode};
use super::extract::{Actor, bearer_token};
use crate::auth::token_hash;
use crate::state::AppState;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use serde::Serialize;
use siaga_core::role::Role;

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

/// Who may read `/metrics`: a supervisor or an admin, or a scraper presenting the configured
/// `auth.metrics_token` (Prometheus cannot log in). The counters name routes and statuses, not people, but
/// they show how busy the centre is and which instance leads, which is not for everyone.
pub struct MetricsReader;

impl FromRequestParts<AppState> for MetricsReader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(expected) = &state.config.auth.metrics_token {
            // Hashes compared, so the comparison takes as long whatever the presented token shares.
            if bearer_token(parts).is_some_and(|t| token_hash(&t) == token_hash(expected)) {
                return Ok(MetricsReader);
            }
        }
        Actor::from_request_parts(parts, state)
            .await?
            .require(&[Role::Supervisor, Role::Admin])?;
        Ok(MetricsReader)
    }
}

/// Prometheus metrics (text exposition format 0.0.4).
///
/// Request counts and latencies per route, cluster job leadership and database reachability. Read by
/// supervisors and admins, or by a scraper presenting `auth.metrics_token` as its bearer token.
#[utoipa::path(get, path = "/metrics", tag = "system", security(("bearer" = [])), responses(
    (status = 200, content_type = "text/plain", body = String,
        description = "Prometheus text exposition format 0.0.4"),
))]
pub async fn metrics(State(state): State<AppState>, _reader: MetricsReader) -> impl IntoResponse {
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
