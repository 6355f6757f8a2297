//! Reads of assignments and SLA clocks (incidents: [`super::incidents`], calls: [`super::calls`]). Writes go
//! through [`super::ChangeSet`].

use super::{Store, StoreError, StoreResult, on_db};

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
    /// `radio` where a dispatcher recorded the step the crew reported by radio (see `store::assignments::set_status`).
    pub acknowledged_via: Option<String>,
    pub en_route_via: Option<String>,
    pub on_scene_via: Option<String>,
    pub resolved_via: Option<String>,
    pub declined_via: Option<String>,
    /// The travel time estimated when the unit was assigned, seconds.
    pub planned_eta_s: Option<i64>,
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
    /// Set when the clock stopped because its subject was withdrawn (cancelled or merged): it counts as
    /// neither met nor breached.
    pub cancelled_at: Option<i64>,
}

const ASSIGNMENT_COLUMNS: &str = "id, incident_id, unit_id, agency_id, status, assigned_by, assigned_at, \
     acknowledged_at, en_route_at, on_scene_at, resolved_at, declined_at, cancelled_at, reason, note, \
     share_reporter, updated_at, acknowledged_via, en_route_via, on_scene_via, resolved_via, declined_via, planned_eta_s";

const CLOCK_COLUMNS: &str = "id, subject_type, subject_id, kind, agency_id, started_at, target_ms, due_at, stopped_at, breached_at, \
     cancelled_at";

/// The assignments of incident `$1`, oldest first.
pub(super) fn incident_assignments_sql() -> String {
    format!(
        "SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE incident_id = $1 ORDER BY assigned_at, id"
    )
}

/// The SLA clocks of incident `$1`: its own, then those of its assignments, each by start time.
pub(super) fn incident_clocks_sql() -> String {
    format!(
        "SELECT {CLOCK_COLUMNS} FROM sla_clocks WHERE (subject_type = 'incident' AND subject_id = $1) \
         OR (subject_type = 'assignment' AND subject_id IN (SELECT id FROM assignments WHERE incident_id = $1)) \
         ORDER BY CASE WHEN subject_type = 'incident' THEN 0 ELSE 1 END, started_at, kind"
    )
}

/// An incident's assignments and SLA clocks as one transaction sees them: what `incident.*` and
/// `assignment.*` events carry so that screens need not read the incident back (see
/// [`super::IncidentStateHook`]).
#[derive(Debug, Clone, Default)]
pub struct IncidentState {
    pub assignments: Vec<AssignmentRow>,
    pub clocks: Vec<SlaClockRow>,
}

impl Store {
    /// The assignment with this id.
    pub async fn get_assignment(&self, id: &str) -> StoreResult<AssignmentRow> {
        let sql = format!("SELECT {ASSIGNMENT_COLUMNS} FROM assignments WHERE id = $1");
        on_db!(self, p => sqlx::query_as::<_, AssignmentRow>(&sql).bind(id).fetch_optional(p).await)?
            .ok_or(StoreError::NotFound)
    }

    /// Assignments of an incident, oldest first.
    pub async fn incident_assignments(&self, incident_id: &str) -> StoreResult<Vec<AssignmentRow>> {
        let sql = incident_assignments_sql();
        Ok(
            on_db!(self, p => sqlx::query_as::<_, AssignmentRow>(&sql).bind(incident_id).fetch_all(p).await)?,
        )
    }

    /// The SLA clocks of an incident and of its assignments (the incident's first).
    pub async fn incident_clocks(&self, incident_id: &str) -> StoreResult<Vec<SlaClockRow>> {
        let sql = incident_clocks_sql();
        Ok(
            on_db!(self, p => sqlx::query_as::<_, SlaClockRow>(&sql).bind(incident_id).fetch_all(p).await)?,
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
            "SELECT {CLOCK_COLUMNS} FROM sla_clocks WHERE stopped_at IS NULL AND breached_at IS NULL AND cancelled_at IS NULL ORDER BY due_at"
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, SlaClockRow>(&sql).fetch_all(p).await)?)
    }
}
