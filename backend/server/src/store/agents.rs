//! Agent states (logged in, ready, on call, AUX, logged out) and scheduled shifts of call takers and
//! dispatchers. States are appended, never updated: time in state is computed from the history.

use super::events::{EventSink, NewEvent};
use super::scope::{USER_REGION, person_within};
use super::{Store, StoreResult, on_db, on_db_write};

/// Roles whose members are agents (their states and schedules are tracked).
pub const AGENT_ROLES: [&str; 2] = ["call_taker", "dispatcher"];

/// One recorded state change.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgentStateRow {
    pub user_id: String,
    pub state: String,
    pub reason: Option<String>,
    pub at: i64,
}

/// A user who is an agent, with what reports need of them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgentUserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub agency_id: Option<String>,
    pub region_code: Option<String>,
    pub active: bool,
}

/// One scheduled shift.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShiftRow {
    pub user_id: String,
    pub shift_start: i64,
    pub shift_end: i64,
}

impl Store {
    /// Appends a state change of an agent.
    ///
    /// `event` (the `agent.state` event telling supervisors' boards) is appended in the same transaction.
    pub async fn record_agent_state(
        &self,
        user_id: &str,
        state: &str,
        reason: Option<&str>,
        at: i64,
        by_user_id: Option<&str>,
        event: &NewEvent,
    ) -> StoreResult<()> {
        let rows = on_db_write!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO agent_states (user_id, state, reason, at, by_user_id) VALUES ($1, $2, $3, $4, $5)")
                .bind(user_id).bind(state).bind(reason).bind(at).bind(by_user_id)
                .execute(&mut *tx).await?;
            let rows = tx.insert_events(at, std::slice::from_ref(event)).await?;
            tx.commit().await?;
            rows
        });
        self.announce_events(rows);
        Ok(())
    }

    /// The latest state record of one agent, if any.
    pub async fn last_agent_state(&self, user_id: &str) -> StoreResult<Option<AgentStateRow>> {
        Ok(on_db!(self, p => sqlx::query_as::<_, AgentStateRow>(
            "SELECT user_id, state, reason, at FROM agent_states WHERE user_id = $1 \
             ORDER BY at DESC, id DESC LIMIT 1")
            .bind(user_id).fetch_optional(p).await)?)
    }

    /// Every agent (call takers and dispatchers), optionally only the dispatchers of one agency, and only
    /// those working inside a region scope (`region`; an agent of no region is in no regional scope).
    pub async fn list_agent_users(
        &self,
        agency_id: Option<&str>,
        region: Option<&str>,
    ) -> StoreResult<Vec<AgentUserRow>> {
        let sql = format!(
            "SELECT u.id, u.username, u.display_name, u.role, u.agency_id, u.region_code, u.active \
             FROM users u WHERE u.role IN ($1, $2) AND ($3 IS NULL OR u.agency_id = $3) AND {} \
             ORDER BY u.username",
            person_within(USER_REGION, 4)
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, AgentUserRow>(&sql)
            .bind(AGENT_ROLES[0]).bind(AGENT_ROLES[1]).bind(agency_id).bind(region).fetch_all(p).await)?)
    }

    /// State records that describe every agent over `[start, end)`: each agent's last record before `start`
    /// and all records inside the window, ordered by time.
    pub async fn agent_states_between(
        &self,
        start: i64,
        end: i64,
    ) -> StoreResult<Vec<AgentStateRow>> {
        // The correlated subquery probes agent_states_user_at once per agent; the second part is a range scan
        // on agent_states_at.
        Ok(on_db!(self, p => sqlx::query_as::<_, AgentStateRow>(
            "SELECT s.user_id, s.state, s.reason, s.at FROM users u \
             JOIN agent_states s ON s.id = (SELECT x.id FROM agent_states x \
                  WHERE x.user_id = u.id AND x.at < $1 ORDER BY x.at DESC, x.id DESC LIMIT 1) \
             WHERE u.role IN ($3, $4) \
             UNION ALL \
             SELECT user_id, state, reason, at FROM agent_states WHERE at >= $1 AND at < $2 \
             ORDER BY at")
            .bind(start).bind(end).bind(AGENT_ROLES[0]).bind(AGENT_ROLES[1]).fetch_all(p).await)?)
    }

    /// Shifts that overlap `[start, end)`.
    pub async fn agent_shifts_between(&self, start: i64, end: i64) -> StoreResult<Vec<ShiftRow>> {
        // No shift is longer than a day (checked on upload), so a lower bound on shift_start keeps this a range
        // scan on agent_shifts_start.
        let day_ms = siaga_core::time::MS_PER_DAY;
        Ok(on_db!(self, p => sqlx::query_as::<_, ShiftRow>(
            "SELECT user_id, shift_start, shift_end FROM agent_shifts \
             WHERE shift_start >= $1 AND shift_start < $2 AND shift_end > $3 ORDER BY shift_start")
            .bind(start - day_ms).bind(end).bind(start).fetch_all(p).await)?)
    }

    /// Stores shifts, replacing a stored shift of the same agent with the same start. All or nothing.
    pub async fn upsert_agent_shifts(
        &self,
        shifts: &[ShiftRow],
        now: i64,
        by_user_id: &str,
    ) -> StoreResult<()> {
        on_db_write!(self, p => async {
            let mut tx = p.begin().await?;
            for s in shifts {
                sqlx::query(
                    "INSERT INTO agent_shifts (user_id, shift_start, shift_end, created_at, created_by) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, shift_start) DO UPDATE SET \
                     shift_end = excluded.shift_end, created_at = excluded.created_at, \
                     created_by = excluded.created_by")
                    .bind(&s.user_id).bind(s.shift_start).bind(s.shift_end).bind(now).bind(by_user_id)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await
        }.await)?;
        Ok(())
    }

    /// Shifts of one agent overlapping `[start, end)`.
    pub async fn agent_shifts_of(
        &self,
        user_id: &str,
        start: i64,
        end: i64,
    ) -> StoreResult<Vec<ShiftRow>> {
        Ok(on_db!(self, p => sqlx::query_as::<_, ShiftRow>(
            "SELECT user_id, shift_start, shift_end FROM agent_shifts \
             WHERE user_id = $1 AND shift_start < $3 AND shift_end > $2 ORDER BY shift_start")
            .bind(user_id).bind(start).bind(end).fetch_all(p).await)?)
    }

    /// Agents with a call answered and not yet ended, with the earliest such answer: they are on a call now.
    pub async fn agents_on_call(&self) -> StoreResult<Vec<(String, i64)>> {
        Ok(on_db!(self, p => sqlx::query_as::<_, (String, i64)>(
            "SELECT call_taker_id, MIN(answered_at) FROM calls \
             WHERE ended_at IS NULL AND call_taker_id IS NOT NULL AND answered_at IS NOT NULL \
             GROUP BY call_taker_id")
            .fetch_all(p).await)?)
    }
}
