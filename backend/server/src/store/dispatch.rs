//! Reads of incidents, assignments and SLA clocks. Writes go through [`super::ChangeSet`].

use super::{Store, StoreError, StoreResult, on_db};

/// An incident row.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct IncidentRow {
    pub id: String,
    pub number: String,
    pub status: String,
    pub category: String,
    pub subcategory: Option<String>,
    pub priority: String,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub reporter_address: Option<String>,
    pub reporter_lon: Option<f64>,
    pub reporter_lat: Option<f64>,
    pub lon: f64,
    pub lat: f64,
    pub accuracy_m: Option<f64>,
    pub address: Option<String>,
    pub region_code: Option<String>,
    pub region_chain: Option<String>,
    pub victims_count: i64,
    pub victim_condition: String,
    pub description: Option<String>,
    pub occurred_at: Option<i64>,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub closed_by: Option<String>,
    pub final_report: Option<String>,
}

/// One agency an incident was escalated to.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct IncidentAgencyRow {
    pub incident_id: String,
    pub agency_id: String,
    pub agency_type: String,
    pub status: String,
    pub escalated_at: i64,
    pub decided_at: Option<i64>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
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

/// Filter for [`Store::list_incidents`].
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    /// Only incidents escalated to this agency.
    pub agency_id: Option<String>,
    /// Only incidents whose region code starts with this scope.
    pub region_scope: Option<String>,
    /// Only open incidents (not closed or cancelled).
    pub open_only: bool,
    /// Only incidents created at or after this instant.
    pub since: Option<i64>,
    /// At most this many, newest first.
    pub limit: i64,
}

const INCIDENT_COLUMNS: &str = "i.id, i.number, i.status, i.category, i.subcategory, i.priority, \
     i.reporter_name, i.reporter_phone, i.reporter_address, i.reporter_lon, i.reporter_lat, i.lon, i.lat, \
     i.accuracy_m, i.address, i.region_code, i.region_chain, i.victims_count, i.victim_condition, \
     i.description, i.occurred_at, i.created_by, i.created_at, i.updated_at, i.resolved_at, i.closed_at, \
     i.closed_by, i.final_report";

const ASSIGNMENT_COLUMNS: &str = "id, incident_id, unit_id, agency_id, status, assigned_by, assigned_at, \
     acknowledged_at, en_route_at, on_scene_at, resolved_at, declined_at, cancelled_at, reason, note, \
     share_reporter, updated_at";

const CLOCK_COLUMNS: &str = "id, subject_type, subject_id, kind, agency_id, started_at, target_ms, due_at, stopped_at, breached_at";

impl Store {
    /// The incident with this id.
    pub async fn get_incident(&self, id: &str) -> StoreResult<IncidentRow> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents i WHERE i.id = $1");
        on_db!(self, p => sqlx::query_as::<_, IncidentRow>(&sql).bind(id).fetch_optional(p).await)?
            .ok_or(StoreError::NotFound)
    }

    /// Incidents matching the filter, newest first.
    pub async fn list_incidents(&self, f: &IncidentFilter) -> StoreResult<Vec<IncidentRow>> {
        let sql = format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents i \
             WHERE ($1 IS NULL OR EXISTS (SELECT 1 FROM incident_agencies a \
                    WHERE a.incident_id = i.id AND a.agency_id = $1)) \
             AND ($2 IS NULL OR i.region_code = $2 OR i.region_code LIKE $2 || '.%') \
             AND ($3 = FALSE OR i.status NOT IN ('closed', 'cancelled')) \
             AND ($4 IS NULL OR i.created_at >= $4) \
             ORDER BY i.created_at DESC LIMIT $5"
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, IncidentRow>(&sql)
            .bind(&f.agency_id).bind(&f.region_scope).bind(f.open_only).bind(f.since).bind(f.limit)
            .fetch_all(p).await)?)
    }

    /// The agencies an incident was escalated to.
    pub async fn incident_agencies(
        &self,
        incident_id: &str,
    ) -> StoreResult<Vec<IncidentAgencyRow>> {
        Ok(on_db!(self, p => sqlx::query_as::<_, IncidentAgencyRow>(
            "SELECT incident_id, agency_id, agency_type, status, escalated_at, decided_at, decided_by, reason \
             FROM incident_agencies WHERE incident_id = $1 ORDER BY escalated_at, agency_id")
            .bind(incident_id).fetch_all(p).await)?)
    }

    /// Call ids linked to an incident.
    pub async fn incident_call_ids(&self, incident_id: &str) -> StoreResult<Vec<String>> {
        Ok(on_db!(self, p => sqlx::query_scalar::<_, String>(
            "SELECT call_id FROM incident_calls WHERE incident_id = $1 ORDER BY linked_at")
            .bind(incident_id).fetch_all(p).await)?)
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

    /// The region with this code, with its geometry.
    pub async fn region_prefix_and_zone(
        &self,
        code: &str,
    ) -> StoreResult<Option<(Option<String>, String)>> {
        Ok(
            on_db!(self, p => sqlx::query_as::<_, (Option<String>, String)>(
            "SELECT number_prefix, time_zone FROM regions WHERE code = $1").bind(code).fetch_optional(p).await)?,
        )
    }
}
