//! Reading the audit trail (supervisors and admins).

use super::error::ApiResult;
use super::extract::{Actor, AppQuery};
use crate::service::audit::{self, AuditQuery, AuditView};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use siaga_core::role::Role;

/// Audit entries, newest first (a region-scoped supervisor's: those of its region).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])),
    params(AuditQuery), responses(
    (status = 200, body = Vec<AuditView>),
    (status = 403, body = super::error::ErrorBody),
))]
pub async fn list_audit(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditView>>> {
    actor.require(&[Role::Supervisor, Role::Admin])?;
    Ok(Json(audit::list_audit(&state, &actor, q).await?))
}
