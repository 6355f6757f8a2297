//! Reads for tiered routing (calls waiting for a regional team) and follow-up call tasks. Writes go through
//! [`super::ChangeSet`].

use super::{CallRow, Store, StoreError, StoreResult, on_db};

/// A follow-up call task.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct FollowUpRow {
    pub id: String,
    pub call_id: String,
    pub service_line: String,
    pub ani: String,
    pub ordinal: i64,
    pub day_offset: i64,
    pub due_at: i64,
    pub status: String,
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub attempted_at: Option<i64>,
    pub by_user_id: Option<String>,
    pub created_at: i64,
}

/// Which follow-ups to list.
#[derive(Debug, Clone, Default)]
pub struct FollowUpFilter {
    pub status: Option<String>,
    pub service_line: Option<String>,
    pub call_id: Option<String>,
    /// Only tasks due at or before this instant.
    pub due_before: Option<i64>,
    pub limit: i64,
}

const FOLLOW_UP_COLUMNS: &str = "id, call_id, service_line, ani, ordinal, day_offset, due_at, status, outcome, \
     note, attempted_at, by_user_id, created_at";

impl Store {
    /// Calls offered to a regional team that has not taken them, not ended and not fallen back, soonest
    /// fallback first.
    pub async fn calls_awaiting_fallback(&self, limit: i64) -> StoreResult<Vec<CallRow>> {
        let sql = format!(
            "SELECT {} FROM calls WHERE routed_to IS NOT NULL AND taken_at IS NULL AND fell_back_at IS NULL \
             AND fallback_at IS NOT NULL AND ended_at IS NULL ORDER BY fallback_at LIMIT $1",
            super::dispatch::CALL_COLUMNS
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, CallRow>(&sql).bind(limit).fetch_all(p).await)?)
    }

    /// Follow-up tasks matching `f`, soonest due first.
    pub async fn follow_ups(&self, f: &FollowUpFilter) -> StoreResult<Vec<FollowUpRow>> {
        let sql = format!(
            "SELECT {FOLLOW_UP_COLUMNS} FROM follow_ups WHERE ($1 IS NULL OR status = $1) \
             AND ($2 IS NULL OR service_line = $2) AND ($3 IS NULL OR call_id = $3) \
             AND ($4 IS NULL OR due_at <= $4) ORDER BY due_at, call_id, ordinal LIMIT $5"
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, FollowUpRow>(&sql)
            .bind(&f.status).bind(&f.service_line).bind(&f.call_id).bind(f.due_before).bind(f.limit)
            .fetch_all(p).await)?)
    }

    /// The follow-up task with this id.
    pub async fn get_follow_up(&self, id: &str) -> StoreResult<FollowUpRow> {
        let sql = format!("SELECT {FOLLOW_UP_COLUMNS} FROM follow_ups WHERE id = $1");
        on_db!(self, p => sqlx::query_as::<_, FollowUpRow>(&sql).bind(id).fetch_optional(p).await)?
            .ok_or(StoreError::NotFound)
    }
}
