//! Reads of calls, assignments and SLA clocks (incidents: [`super::incidents`]). Writes go through [`super::ChangeSet`].

use super::{Store, StoreError, StoreResult, on_db};

/// A call row.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct CallRow {
    pub id: String,
    pub ani: String,
    pub channel: String,
    pub service_line: String,
    pub status: String,
    pub class: Option<String>,
    pub ring_at: i64,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub classified_at: Option<i64>,
    pub call_taker_id: Option<String>,
    pub aml_raw: Option<String>,
    pub aml_lon: Option<f64>,
    pub aml_lat: Option<f64>,
    pub aml_radius_m: Option<f64>,
    pub aml_at: Option<i64>,
    pub region_code: Option<String>,
    /// The regional team the call is offered to or taken by (`None`: central).
    pub routed_to: Option<String>,
    pub prank_flag: bool,
    pub incident_id: Option<String>,
    pub notes: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub offered_at: Option<i64>,
    pub fallback_at: Option<i64>,
    pub taken_at: Option<i64>,
    pub taken_by: Option<String>,
    pub fell_back_at: Option<i64>,
}

/// An assignment row.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AssignmentRow {
    pub id: String,
    pub incident_id: String,
    pub unit_id: String,
    pub agency_id: String,
    pub status: String,
    pub assigned_by: Option<String>,
    pub assigned_at: i64,
    pub acknowledged_at: Option<i64>,
    pub en_route_at: Option<i64>,
    pub on_scene_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub declined_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub share_reporter: bool,
    pub updated_at: i64,
}

/// An SLA clock row.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct SlaClockRow {
    pub id: String,
    pub subject_type: String,
    pub subject_id: String,
    pub kind: String,
    pub agency_id: Option<String>,
    pub started_at: i64,
    pub target_ms: i64,
    pub due_at: i64,
    pub stopped_at: Option<i64>,
    pub breached_at: Option<i64>,
}

pub(super) const CALL_COLUMNS: &str = "id, ani, channel, service_line, status, class, ring_at, answered_at, ended_at, \
     classified_at, call_taker_id, aml_raw, aml_lon, aml_lat, aml_radius_m, aml_at, region_code, routed_to, \
     prank_flag, incident_id, notes, created_at, updated_at, offered_at, fallback_at, taken_at, taken_by, \
     fell_back_at";

const ASSIGNMENT_COLUMNS: &str = "id, incident_id, unit_id, agency_id, status, assigned_by, assigned_at, \
     acknowledged_at, en_route_at, on_scene_at, resolved_at, declined_at, cancelled_at, reason, note, \
     share_reporter, updated_at";

const CLOCK_COLUMNS: &str = "id, subject_type, subject_id, kind, agency_id, started_at, target_ms, due_at, stopped_at, breached_at";

impl Store {
    /// The call with this id.
    pub async fn get_call(&self, id: &str) -> StoreResult<CallRow> {
        let sql = format!("SELECT {CALL_COLUMNS} FROM calls WHERE id = $1");
        on_db!(self, p => sqlx::query_as::<_, CallRow>(&sql).bind(id).fetch_optional(p).await)?
            .ok_or(StoreError::NotFound)
    }

    /// Calls, newest first, optionally of one status.
    pub async fn list_calls(&self, status: Option<&str>, limit: i64) -> StoreResult<Vec<CallRow>> {
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM calls WHERE ($1 IS NULL OR status = $1) ORDER BY ring_at DESC LIMIT $2"
        );
        Ok(
            on_db!(self, p => sqlx::query_as::<_, CallRow>(&sql).bind(status).bind(limit).fetch_all(p).await)?,
        )
    }

    /// Earlier calls from `ani` since `since` (for the prank flag), any class.
    pub async fn calls_from(&self, ani: &str, since: i64) -> StoreResult<Vec<CallRow>> {
        let sql = format!(
            "SELECT {CALL_COLUMNS} FROM calls WHERE ani = $1 AND ring_at >= $2 ORDER BY ring_at"
        );
        Ok(
            on_db!(self, p => sqlx::query_as::<_, CallRow>(&sql).bind(ani).bind(since).fetch_all(p).await)?,
        )
    }

    /// The assignment with this id.
    pub async fn get_assignment(&self, id: &str) -> StoreResult<AssignmentRow> {
        let sql = format!("SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE id = $1");
        on_db!(self, p => sqlx::query_as::<_, AssignmentRow>(&sql).bind(id).fetch_optional(p).await)?
            .ok_or(StoreError::NotFound)
    }

    /// Assignments of an incident, oldest first.
    pub async fn incident_assignments(&self, incident_id: &str) -> StoreResult<Vec<AssignmentRow>> {
        let sql = format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE incident_id = $1 ORDER BY assigned_at, id"
        );
        Ok(
            on_db!(self, p => sqlx::query_as::<_, AssignmentRow>(&sql).bind(incident_id).fetch_all(p).await)?,
        )
    }

    /// Assignments of a unit, newest first (open ones only when `open_only`).
    pub async fn unit_assignments(
        &self,
        unit_id: &str,
        open_only: bool,
    ) -> StoreResult<Vec<AssignmentRow>> {
        let sql = format!(
            "SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE unit_id = $1 \
             AND ($2 = FALSE OR status IN ('assigned', 'acknowledged', 'en_route', 'on_scene')) \
             ORDER BY assigned_at DESC"
        );
        Ok(
            on_db!(self, p => sqlx::query_as::<_, AssignmentRow>(&sql).bind(unit_id).bind(open_only).fetch_all(p).await)?,
        )
    }

    /// SLA clocks of a subject.
    pub async fn subject_clocks(
        &self,
        subject_type: &str,
        subject_id: &str,
    ) -> StoreResult<Vec<SlaClockRow>> {
        let sql = format!(
            "SELECT {CLOCK_COLUMNS} FROM sla_clocks WHERE subject_type = $1 AND subject_id = $2 ORDER BY started_at, kind"
        );
        Ok(
            on_db!(self, p => sqlx::query_as::<_, SlaClockRow>(&sql).bind(subject_type).bind(subject_id).fetch_all(p).await)?,
        )
    }

    /// Clocks that are running and not yet breached (what the SLA runner watches).
    pub async fn running_clocks(&self) -> StoreResult<Vec<SlaClockRow>> {
        let sql = format!(
            "SELECT {CLOCK_COLUMNS} FROM sla_clocks WHERE stopped_at IS NULL AND breached_at IS NULL ORDER BY due_at"
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, SlaClockRow>(&sql).fetch_all(p).await)?)
    }
}
