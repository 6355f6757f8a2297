//! Reading the audit trail: filters and the entries as the API shows them (before/after states parsed back
//! into JSON).

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::store::{AuditFilter, AuditRow};
use serde::{Deserialize, Serialize};

/// Filters; every one optional.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: Option<String>,
    /// From this instant (ms since the epoch, inclusive).
    pub since: Option<i64>,
    /// Up to this instant (exclusive).
    pub until: Option<i64>,
    /// At most this many entries (default 100, at most 1000).
    pub limit: Option<u32>,
}

/// One audit entry.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub detail: Option<String>,
}

impl From<AuditRow> for AuditView {
    fn from(r: AuditRow) -> Self {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        AuditView {
            id: r.id,
            at: r.at,
            actor_id: r.actor_id,
            actor_role: r.actor_role,
            action: r.action,
            subject_type: r.subject_type,
            subject_id: r.subject_id,
            before: parse(r.before_json),
            after: parse(r.after_json),
            detail: r.detail,
        }
    }
}

/// Audit entries matching `q` in the actor's scope, newest first; at most `q.limit` (default 100, at most
/// 1000). A region-scoped supervisor reads what persons of its region did and what happened to the users,
/// calls, incidents, assignments and units of its region.
pub async fn list_audit(
    state: &AppState,
    actor: &Actor,
    q: AuditQuery,
) -> ApiResult<Vec<AuditView>> {
    let filter = AuditFilter {
        subject_type: q.subject_type,
        subject_id: q.subject_id,
        actor_id: q.actor_id,
        action: q.action,
        since: q.since,
        until: q.until,
        region: actor.scope().region().map(str::to_owned),
        limit: i64::from(q.limit.unwrap_or(100).clamp(1, 1000)),
    };
    let rows = state.store.list_audit(&filter).await?;
    Ok(rows.into_iter().map(AuditView::from).collect())
}
