//! Call-back tasks (`siaga_core::call_back`) and the caller history by number: the rows, their reads, and the
//! statements that create, claim and record an attempt on a task. Every change is guarded on the task still
//! being open (and, for a claim or an attempt, on who holds it), so two call takers working the same task at
//! once cannot both succeed.

use super::calls::CallRow;
use super::scope::{CALL_REGION, place_within};
use super::{Stmt, Store, StoreError, StoreResult, on_db};
use siaga_core::call_back::{CallBackOutcome, CallBackReason, CallBackStatus};

/// A call-back task, with the region its call belongs to (for scoping and events).
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct CallBackRow {
    pub id: String,
    pub call_id: String,
    pub incident_id: Option<String>,
    pub ani: String,
    pub reason: String,
    pub status: String,
    pub due_at: i64,
    pub note: Option<String>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<i64>,
    pub attempts: i64,
    pub first_attempt_at: Option<i64>,
    pub last_attempt_at: Option<i64>,
    pub last_outcome: Option<String>,
    pub last_note: Option<String>,
    pub last_by: Option<String>,
    pub done_at: Option<i64>,
    /// The region of the task's call (read only).
    pub place_region: Option<String>,
}

fn columns() -> String {
    format!(
        "b.id, b.call_id, b.incident_id, b.ani, b.reason, b.status, b.due_at, b.note, b.created_by, \
         b.created_at, b.claimed_by, b.claimed_at, b.attempts, b.first_attempt_at, b.last_attempt_at, \
         b.last_outcome, b.last_note, b.last_by, b.done_at, {CALL_REGION} AS place_region"
    )
}

/// Which call-back tasks to list.
#[derive(Debug, Clone, Default)]
pub struct CallBackFilter<'a> {
    /// `open` or `done`; `None` for both.
    pub status: Option<&'a str>,
    /// Only the tasks of this number.
    pub ani: Option<&'a str>,
    /// Only tasks due at or before this instant.
    pub due_before: Option<i64>,
    /// The reader's region scope: only tasks of calls located there (or not located).
    pub region: Option<&'a str>,
    /// An integration account's id: only tasks of the calls it registered.
    pub created_by: Option<&'a str>,
    pub limit: i64,
}

/// An incident linked to a caller's calls, as the caller history shows it.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct CallerIncidentRow {
    pub id: String,
    pub number: String,
    pub category: String,
    pub status: String,
    pub created_at: i64,
}

impl Store {
    /// Call-back tasks matching `f`: open ones soonest due first, then the rest newest first.
    pub async fn call_backs(&self, f: &CallBackFilter<'_>) -> StoreResult<Vec<CallBackRow>> {
        let sql = format!(
            "SELECT {} FROM call_backs b JOIN calls c ON c.id = b.call_id \
             WHERE ($1 IS NULL OR b.status = $1) AND ($2 IS NULL OR b.ani = $2) \
             AND ($3 IS NULL OR b.due_at <= $3) AND {} AND ($5 IS NULL OR c.created_by = $5) \
             ORDER BY CASE WHEN b.status = 'open' THEN 0 ELSE 1 END, \
                      CASE WHEN b.status = 'open' THEN b.due_at ELSE -b.created_at END, b.id LIMIT $6",
            columns(),
            place_within(CALL_REGION, 4)
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, CallBackRow>(&sql)
            .bind(f.status).bind(f.ani).bind(f.due_before).bind(f.region).bind(f.created_by).bind(f.limit)
            .fetch_all(p).await)?)
    }

    /// The call-back task with this id.
    pub async fn get_call_back(&self, id: &str) -> StoreResult<CallBackRow> {
        let sql = format!(
            "SELECT {} FROM call_backs b JOIN calls c ON c.id = b.call_id WHERE b.id = $1",
            columns()
        );
        on_db!(self, p => sqlx::query_as::<_, CallBackRow>(&sql).bind(id).fetch_optional(p).await)?
            .ok_or(StoreError::NotFound)
    }

    /// How many open call-back tasks the number has.
    pub async fn open_call_backs_of(&self, ani: &str) -> StoreResult<u64> {
        let n: i64 = on_db!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM call_backs WHERE ani = $1 AND status = 'open'")
            .bind(ani).fetch_one(p).await)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// A number's calls within the reader's scope, newest first (the caller history).
    pub async fn caller_calls(
        &self,
        ani: &str,
        region: Option<&str>,
        created_by: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<CallRow>> {
        let sql = format!(
            "SELECT {} FROM calls c WHERE c.ani = $1 AND {} AND ($3 IS NULL OR c.created_by = $3) \
             ORDER BY c.ring_at DESC, c.id LIMIT $4",
            super::calls::call_columns(),
            place_within(CALL_REGION, 2)
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, CallRow>(&sql)
            .bind(ani).bind(region).bind(created_by).bind(limit).fetch_all(p).await)?)
    }

    /// The earliest call of an incident: the one that created it, or one linked to it later.
    pub async fn first_call_of_incident(&self, incident_id: &str) -> StoreResult<Option<CallRow>> {
        let sql = format!(
            "SELECT {} FROM calls c WHERE c.incident_id = $1 \
             OR c.id IN (SELECT l.call_id FROM incident_calls l WHERE l.incident_id = $1) \
             ORDER BY c.ring_at, c.id LIMIT 1",
            super::calls::call_columns()
        );
        Ok(
            on_db!(self, p => sqlx::query_as::<_, CallRow>(&sql).bind(incident_id).fetch_optional(p).await)?,
        )
    }

    /// The incidents these calls created or were linked to, newest first.
    pub async fn incidents_of_calls(
        &self,
        call_ids: &[String],
    ) -> StoreResult<Vec<(String, CallerIncidentRow)>> {
        let mut out = Vec::new();
        // One small query per call: a history is at most a few dozen calls, and a list bind would differ
        // between the engines.
        for id in call_ids {
            let rows: Vec<CallerIncidentRow> = on_db!(self, p => sqlx::query_as::<_, CallerIncidentRow>(
                "SELECT i.id, i.number, i.category, i.status, i.created_at FROM incidents i \
                 WHERE i.id IN (SELECT c.incident_id FROM calls c WHERE c.id = $1 \
                                UNION SELECT l.incident_id FROM incident_calls l WHERE l.call_id = $1) \
                 ORDER BY i.created_at DESC")
                .bind(id).fetch_all(p).await)?;
            out.extend(rows.into_iter().map(|r| (id.clone(), r)));
        }
        Ok(out)
    }
}

/// What a new task records.
pub struct NewCallBack<'a> {
    pub id: &'a str,
    pub call_id: &'a str,
    pub incident_id: Option<&'a str>,
    pub ani: &'a str,
    pub reason: CallBackReason,
    pub due_at: i64,
    pub note: Option<&'a str>,
    /// `None` when the system creates it.
    pub created_by: Option<&'a str>,
    pub at: i64,
}

/// Creates a task. An automatic one is inserted only while the number has no open task (the rule of
/// `CallBackRule::creates`, kept here too so two calls dropping at once cannot both insert one); pair it with
/// `ChangeSet::record_once` so its event is written only when it was.
pub fn insert(t: &NewCallBack<'_>) -> Stmt {
    let guard = if t.reason == CallBackReason::Confirm {
        ""
    } else {
        " WHERE NOT EXISTS (SELECT 1 FROM call_backs o WHERE o.ani = $4 AND o.status = 'open')"
    };
    Stmt::new(format!(
        "INSERT INTO call_backs (id, call_id, incident_id, ani, reason, status, due_at, note, created_by, \
         created_at, attempts) SELECT $1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, 0{guard}"
    ))
    .text(t.id)
    .text(t.call_id)
    .opt_text(t.incident_id)
    .text(t.ani)
    .text(t.reason.as_str())
    .int(t.due_at)
    .opt_text(t.note)
    .opt_text(t.created_by)
    .int(t.at)
}

/// `by` claims an open task nobody else holds (claiming one's own again is a no-op that still succeeds).
pub fn claim(id: &str, by: &str, at: i64) -> Stmt {
    Stmt::new(
        "UPDATE call_backs SET claimed_by = $2, claimed_at = $3 WHERE id = $1 AND status = 'open' \
         AND (claimed_by IS NULL OR claimed_by = $2)",
    )
    .text(id)
    .text(by)
    .int(at)
    .expect(1)
}

/// Records the `attempts`-th attempt by `by`, leaving the task in `status`. An open task goes back to the
/// list unclaimed; a done one keeps who finished it. Guarded on the task being open and held by `by` or by
/// nobody.
pub fn record_attempt(
    id: &str,
    outcome: CallBackOutcome,
    note: Option<&str>,
    status: CallBackStatus,
    by: &str,
    at: i64,
) -> Stmt {
    let done = status == CallBackStatus::Done;
    Stmt::new(
        "UPDATE call_backs SET attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, $4), \
         last_attempt_at = $4, last_outcome = $2, last_note = $3, last_by = $5, status = $6, \
         done_at = $7, claimed_by = $8, claimed_at = CASE WHEN $8 IS NULL THEN NULL ELSE claimed_at END \
         WHERE id = $1 AND status = 'open' AND (claimed_by IS NULL OR claimed_by = $5)",
    )
    .text(id)
    .text(outcome.as_str())
    .opt_text(note)
    .int(at)
    .text(by)
    .text(status.as_str())
    .opt_int(done.then_some(at))
    .opt_text(done.then_some(by))
    .expect(1)
}
