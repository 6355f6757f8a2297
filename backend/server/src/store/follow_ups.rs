//! Follow-up call tasks of the lines with a follow-up programme: the row, its reads, and the statements that
//! schedule a series and record an outcome. An outcome is recorded only on a pending task, so two people
//! recording the same task at once cannot both succeed.

use super::scope::{CALL_REGION, place_within};
use super::{Stmt, Store, StoreError, StoreResult, on_db};
use siaga_core::routing::{FollowUpOutcome, FollowUpTask};

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
    /// The reader's region scope: only tasks of calls located there (or not located).
    pub region: Option<String>,
    pub limit: i64,
}

const FOLLOW_UP_COLUMNS: &str = "id, call_id, service_line, ani, ordinal, day_offset, due_at, status, outcome, \
     note, attempted_at, by_user_id, created_at";

impl Store {
    /// Follow-up tasks matching `f`, soonest due first.
    pub async fn follow_ups(&self, f: &FollowUpFilter) -> StoreResult<Vec<FollowUpRow>> {
        let sql = format!(
            "SELECT {FOLLOW_UP_COLUMNS} FROM follow_ups f WHERE ($1 IS NULL OR status = $1) \
             AND ($2 IS NULL OR service_line = $2) AND ($3 IS NULL OR call_id = $3) \
             AND ($4 IS NULL OR due_at <= $4) \
             AND ($6 IS NULL OR EXISTS (SELECT 1 FROM calls c WHERE c.id = f.call_id AND {})) \
             ORDER BY due_at, call_id, ordinal LIMIT $5",
            place_within(CALL_REGION, 6)
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, FollowUpRow>(&sql)
            .bind(&f.status).bind(&f.service_line).bind(&f.call_id).bind(f.due_before).bind(f.limit)
            .bind(&f.region).fetch_all(p).await)?)
    }

    /// The follow-up task with this id.
    pub async fn get_follow_up(&self, id: &str) -> StoreResult<FollowUpRow> {
        let sql = format!("SELECT {FOLLOW_UP_COLUMNS} FROM follow_ups WHERE id = $1");
        on_db!(self, p => sqlx::query_as::<_, FollowUpRow>(&sql).bind(id).fetch_optional(p).await)?
            .ok_or(StoreError::NotFound)
    }
}

/// Schedules one pending task of a call's series. A call is enrolled once: a second series conflicts on the
/// table's unique key (call, ordinal) and the whole change rolls back.
pub fn insert(
    id: &str,
    call_id: &str,
    service_line: &str,
    ani: &str,
    task: &FollowUpTask,
    at: i64,
) -> Stmt {
    Stmt::new(
        "INSERT INTO follow_ups (id, call_id, service_line, ani, ordinal, day_offset, due_at, status, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)",
    )
    .text(id)
    .text(call_id)
    .text(service_line)
    .text(ani)
    .int(i64::from(task.ordinal))
    .int(i64::from(task.day_offset))
    .int(task.due_at.0)
    .int(at)
}

/// Records the outcome of a pending task, attempted by `by` at `at`.
pub fn record_outcome(
    id: &str,
    outcome: FollowUpOutcome,
    note: Option<&str>,
    by: &str,
    at: i64,
) -> Stmt {
    Stmt::new(
        "UPDATE follow_ups SET status = 'done', outcome = $2, note = $3, attempted_at = $4, by_user_id = $5 \
         WHERE id = $1 AND status = 'pending'",
    )
    .text(id)
    .text(outcome.as_str())
    .opt_text(note)
    .int(at)
    .text(by)
    .expect(1)
}

/// Cancels the pending tasks of a call's series other than `except_id` (an outcome ended the series).
pub fn cancel_rest(call_id: &str, except_id: &str) -> Stmt {
    Stmt::new(
        "UPDATE follow_ups SET status = 'cancelled' WHERE call_id = $1 AND status = 'pending' AND id <> $2",
    )
    .text(call_id)
    .text(except_id)
}
