//! Incidents in the store: their rows and reads, and the statements for a [`ChangeSet`](super::ChangeSet):
//! filing, the agencies (OPD) an incident is escalated to and their decisions, linked calls, the assignment a
//! dispatcher creates, and closing.
//!
//! Each function returns one guarded statement (or the few that belong together) named after what it does;
//! the services decide when to use them. Guards (`.expect(1)` or a `WHERE status = …`) make a concurrent change
//! roll the whole set back instead of overwriting it. The incident number is bound with [`Arg::Number`]: the
//! store allocates it in the commit's own transaction, so numbers stay gap-free.

use super::scope::place_within;
use super::{Arg, Stmt, Store, StoreError, StoreResult, on_db};

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
    /// Why it was cancelled (`siaga_core::cancel::CancelReason`), with the canceller's note.
    pub cancel_reason: Option<String>,
    pub cancel_note: Option<String>,
    pub cancelled_at: Option<i64>,
    pub cancelled_by: Option<String>,
    /// The incident this one duplicates (cancelled as `duplicate`).
    pub duplicate_of: Option<String>,
    /// The master this duplicate was merged into: its number leads there.
    pub merged_into: Option<String>,
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

/// Filter for [`Store::list_incidents`].
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    /// Only incidents this agency takes part in (escalated to it and not sent back).
    pub agency_id: Option<String>,
    /// Only incidents inside this region scope (or of no known region: `siaga_core::scope::place_within`).
    pub region_scope: Option<String>,
    /// Only open incidents (not closed or cancelled).
    pub open_only: bool,
    /// Only incidents created at or after this instant.
    pub since: Option<i64>,
    /// Only incidents filed by this user.
    pub created_by: Option<String>,
    /// At most this many, newest first.
    pub limit: i64,
}

const INCIDENT_COLUMNS: &str = "i.id, i.number, i.status, i.category, i.subcategory, i.priority, \
     i.reporter_name, i.reporter_phone, i.reporter_address, i.reporter_lon, i.reporter_lat, i.lon, i.lat, \
     i.accuracy_m, i.address, i.region_code, i.region_chain, i.victims_count, i.victim_condition, \
     i.description, i.occurred_at, i.created_by, i.created_at, i.updated_at, i.resolved_at, i.closed_at, \
     i.closed_by, i.final_report, i.cancel_reason, i.cancel_note, i.cancelled_at, i.cancelled_by, \
     i.duplicate_of, i.merged_into";

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
                    WHERE a.incident_id = i.id AND a.agency_id = $1 AND a.status NOT IN ('rejected', 'withdrawn'))) \
             AND {} \
             AND ($3 = FALSE OR i.status NOT IN ('closed', 'cancelled')) \
             AND ($4 IS NULL OR i.created_at >= $4) \
             AND ($6 IS NULL OR i.created_by = $6) \
             ORDER BY i.created_at DESC LIMIT $5",
            place_within("i.region_code", 2)
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, IncidentRow>(&sql)
            .bind(&f.agency_id).bind(&f.region_scope).bind(f.open_only).bind(f.since).bind(f.limit)
            .bind(&f.created_by).fetch_all(p).await)?)
    }

    /// The id of the incident with this number, following merges: a merged duplicate's number names its
    /// master (a chain is followed, at most a few links; merges into a merged master are refused).
    pub async fn incident_id_by_number(&self, number: &str) -> StoreResult<Option<String>> {
        let found = on_db!(self, p => sqlx::query_as::<_, (String, Option<String>)>(
            "SELECT id, merged_into FROM incidents WHERE number = $1").bind(number).fetch_optional(p).await)?;
        let Some((mut id, mut next)) = found else {
            return Ok(None);
        };
        for _ in 0..8 {
            let Some(master) = next else { break };
            id = master;
            next = on_db!(self, p => sqlx::query_scalar::<_, Option<String>>(
                "SELECT merged_into FROM incidents WHERE id = $1").bind(&id).fetch_optional(p).await)?
                .flatten();
        }
        Ok(Some(id))
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

    /// The region with this code, its incident number prefix and time zone.
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

/// The columns of a new incident row (the number is allocated by the commit).
#[derive(Debug, Clone)]
pub struct NewIncident<'a> {
    pub id: &'a str,
    pub status: &'a str,
    pub category: &'a str,
    pub subcategory: Option<&'a str>,
    pub priority: &'a str,
    pub reporter_name: Option<&'a str>,
    pub reporter_phone: Option<&'a str>,
    pub reporter_address: Option<&'a str>,
    pub reporter_lon: Option<f64>,
    pub reporter_lat: Option<f64>,
    pub lon: f64,
    pub lat: f64,
    pub accuracy_m: Option<f64>,
    pub address: Option<&'a str>,
    pub region_code: Option<&'a str>,
    /// The region chain as JSON text.
    pub region_chain: &'a str,
    pub victims_count: i64,
    pub victim_condition: &'a str,
    pub description: Option<&'a str>,
    pub occurred_at: Option<i64>,
    pub created_by: &'a str,
    pub created_at: i64,
}

/// Files an incident under the number the commit allocates.
pub fn insert(i: &NewIncident<'_>) -> Stmt {
    Stmt::new(
        "INSERT INTO incidents (id, number, status, category, subcategory, priority, reporter_name, \
         reporter_phone, reporter_address, reporter_lon, reporter_lat, lon, lat, accuracy_m, address, \
         region_code, region_chain, victims_count, victim_condition, description, occurred_at, created_by, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
         $16, $17, $18, $19, $20, $21, $22, $23, $23)",
    )
    .text(i.id)
    .arg(Arg::Number)
    .text(i.status)
    .text(i.category)
    .opt_text(i.subcategory)
    .text(i.priority)
    .opt_text(i.reporter_name)
    .opt_text(i.reporter_phone)
    .opt_text(i.reporter_address)
    .opt_float(i.reporter_lon)
    .opt_float(i.reporter_lat)
    .float(i.lon)
    .float(i.lat)
    .opt_float(i.accuracy_m)
    .opt_text(i.address)
    .opt_text(i.region_code)
    .text(i.region_chain)
    .int(i.victims_count)
    .text(i.victim_condition)
    .opt_text(i.description)
    .opt_int(i.occurred_at)
    .text(i.created_by)
    .int(i.created_at)
}

/// The guarded move of an incident from `from` to `to` (a concurrent change makes the whole set fail).
pub fn set_status(id: &str, from: &str, to: &str, at: i64) -> Stmt {
    Stmt::new("UPDATE incidents SET status = $2, updated_at = $3 WHERE id = $1 AND status = $4")
        .text(id)
        .text(to)
        .int(at)
        .text(from)
        .expect(1)
}

/// Writes a corrected incident: every correctable column (and the status, when a re-location escalated an
/// incident nobody had), guarded on the status and `updated_at` it was read with, so a concurrent change of
/// the incident fails the whole set (409) instead of being overwritten.
pub fn correct(after: &IncidentRow, from_status: &str, from_updated_at: i64) -> Stmt {
    Stmt::new(
        "UPDATE incidents SET status = $2, category = $3, subcategory = $4, priority = $5, reporter_name = $6, \
         reporter_phone = $7, reporter_address = $8, reporter_lon = $9, reporter_lat = $10, lon = $11, lat = $12, \
         accuracy_m = $13, address = $14, region_code = $15, region_chain = $16, victims_count = $17, \
         victim_condition = $18, description = $19, occurred_at = $20, updated_at = $21 \
         WHERE id = $1 AND status = $22 AND updated_at = $23",
    )
    .text(&after.id)
    .text(&after.status)
    .text(&after.category)
    .opt_text(after.subcategory.as_deref())
    .text(&after.priority)
    .opt_text(after.reporter_name.as_deref())
    .opt_text(after.reporter_phone.as_deref())
    .opt_text(after.reporter_address.as_deref())
    .opt_float(after.reporter_lon)
    .opt_float(after.reporter_lat)
    .float(after.lon)
    .float(after.lat)
    .opt_float(after.accuracy_m)
    .opt_text(after.address.as_deref())
    .opt_text(after.region_code.as_deref())
    .opt_text(after.region_chain.as_deref())
    .int(after.victims_count)
    .text(&after.victim_condition)
    .opt_text(after.description.as_deref())
    .opt_int(after.occurred_at)
    .int(after.updated_at)
    .text(from_status)
    .int(from_updated_at)
    .expect(1)
}

/// Takes an incident away from an agency that is no longer responsible for it (it was re-located into
/// another OPD's area): the row stays as history with status `withdrawn` and the reason; the OPD is no longer
/// part of the incident. Guarded on the state it was read in.
pub fn withdraw_agency(
    incident_id: &str,
    agency_id: &str,
    from: &str,
    at: i64,
    by: &str,
    reason: &str,
) -> Stmt {
    Stmt::new(
        "UPDATE incident_agencies SET status = 'withdrawn', decided_at = $3, decided_by = $4, reason = $5 \
         WHERE incident_id = $1 AND agency_id = $2 AND status = $6",
    )
    .text(incident_id)
    .text(agency_id)
    .int(at)
    .text(by)
    .text(reason)
    .text(from)
    .expect(1)
}

/// Closes an incident with its final report, guarded on the status it was read in.
pub fn close(id: &str, from: &str, at: i64, by: &str, report: &str) -> Stmt {
    Stmt::new(
        "UPDATE incidents SET status = 'closed', closed_at = $2, closed_by = $3, final_report = $4, updated_at = $2 \
         WHERE id = $1 AND status = $5",
    )
    .text(id)
    .int(at)
    .text(by)
    .text(report)
    .text(from)
    .expect(1)
}

/// What a cancellation stores on the incident.
#[derive(Debug, Clone)]
pub struct Cancellation<'a> {
    pub reason: &'a str,
    pub note: Option<&'a str>,
    pub by: &'a str,
    pub duplicate_of: Option<&'a str>,
    /// The master, when the cancellation is a merge.
    pub merged_into: Option<&'a str>,
}

/// Cancels an incident with its reason, guarded on the status it was read in.
pub fn cancel(id: &str, from: &str, at: i64, c: &Cancellation<'_>) -> Stmt {
    Stmt::new(
        "UPDATE incidents SET status = 'cancelled', cancel_reason = $2, cancel_note = $3, cancelled_at = $4, \
         cancelled_by = $5, duplicate_of = $6, merged_into = $7, updated_at = $4 WHERE id = $1 AND status = $8",
    )
    .text(id)
    .text(c.reason)
    .opt_text(c.note)
    .int(at)
    .text(c.by)
    .opt_text(c.duplicate_of)
    .opt_text(c.merged_into)
    .text(from)
    .expect(1)
}

/// The tables whose rows follow a merged duplicate to its master: `(table, incident column, whether the
/// table has an updated_at to stamp)`. Each is moved by one `UPDATE … SET column = master WHERE column =
/// duplicate` in the merge's change set; a further table that belongs to an incident (notes, a timeline) is one
/// more line here.
const MERGED_TABLES: &[(&str, &str, bool)] = &[
    ("incident_calls", "incident_id", false),
    ("calls", "incident_id", true),
    ("assignments", "incident_id", true),
    ("call_backs", "incident_id", false),
    // The timeline (notes and the story so far): the master's then tells both in time order.
    ("incident_timeline", "incident_id", false),
];

/// Moves what belongs to `duplicate` (its calls, assignments, call-back tasks, timeline) to `master`.
pub fn move_to_master(duplicate: &str, master: &str, at: i64) -> Vec<Stmt> {
    MERGED_TABLES
        .iter()
        .map(|(table, column, stamped)| {
            let sql = format!("UPDATE {table} SET {column} = $2 WHERE {column} = $1");
            if *stamped {
                Stmt::new(sql.replace(" WHERE", ", updated_at = $3 WHERE"))
                    .text(duplicate)
                    .text(master)
                    .int(at)
            } else {
                Stmt::new(sql).text(duplicate).text(master)
            }
        })
        .collect()
}

/// Escalates an incident to an agency it was not escalated to before (a duplicate fails the set).
pub fn add_agency(
    incident_id: &str,
    agency_id: &str,
    agency_type: &str,
    at: i64,
    note: Option<&str>,
) -> Stmt {
    Stmt::new(
        "INSERT INTO incident_agencies (incident_id, agency_id, agency_type, status, escalated_at, reason) \
         VALUES ($1, $2, $3, 'escalated', $4, $5)",
    )
    .text(incident_id)
    .text(agency_id)
    .text(agency_type)
    .int(at)
    .opt_text(note)
}

/// Escalates an incident again to an agency that sent it back (or from which it was withdrawn); the note
/// replaces the reason.
pub fn reescalate_agency(incident_id: &str, agency_id: &str, at: i64, note: Option<&str>) -> Stmt {
    Stmt::new(
        "UPDATE incident_agencies SET status = 'escalated', escalated_at = $3, decided_at = NULL, \
         decided_by = NULL, reason = $4 WHERE incident_id = $1 AND agency_id = $2 \
         AND status IN ('rejected', 'withdrawn')",
    )
    .text(incident_id)
    .text(agency_id)
    .int(at)
    .opt_text(note)
    .expect(1)
}

/// An agency's decision (`verified` or `rejected`, with the reason) on an incident escalated to it; fails the
/// set when the agency decided in the meantime.
pub fn decide_agency(
    incident_id: &str,
    agency_id: &str,
    decision: &str,
    at: i64,
    by: &str,
    reason: Option<&str>,
) -> Stmt {
    Stmt::new(
        "UPDATE incident_agencies SET status = $3, decided_at = $4, decided_by = $5, \
         reason = COALESCE($6, reason) WHERE incident_id = $1 AND agency_id = $2 AND status = 'escalated'",
    )
    .text(incident_id)
    .text(agency_id)
    .text(decision)
    .int(at)
    .text(by)
    .opt_text(reason)
    .expect(1)
}

/// Marks the agency's row verified because its dispatcher assigned a unit (a no-op when it already decided).
pub fn accept_by_assignment(incident_id: &str, agency_id: &str, at: i64, by: &str) -> Stmt {
    Stmt::new(
        "UPDATE incident_agencies SET status = 'verified', decided_at = $3, decided_by = $4 \
         WHERE incident_id = $1 AND agency_id = $2 AND status = 'escalated'",
    )
    .text(incident_id)
    .text(agency_id)
    .int(at)
    .text(by)
}

/// Links a call to an incident; the guard refuses a call that another request linked first.
pub fn link_call(incident_id: &str, call_id: &str, at: i64) -> [Stmt; 2] {
    [
        Stmt::new(
            "INSERT INTO incident_calls (incident_id, call_id, linked_at) VALUES ($1, $2, $3)",
        )
        .text(incident_id)
        .text(call_id)
        .int(at),
        Stmt::new(
            "UPDATE calls SET incident_id = $2, updated_at = $3 WHERE id = $1 AND incident_id IS NULL",
        )
        .text(call_id)
        .text(incident_id)
        .int(at)
        .expect(1),
    ]
}

/// The columns of a new assignment.
#[derive(Debug, Clone)]
pub struct NewAssignment<'a> {
    pub id: &'a str,
    pub incident_id: &'a str,
    pub unit_id: &'a str,
    pub agency_id: &'a str,
    pub assigned_by: &'a str,
    pub assigned_at: i64,
    pub note: Option<&'a str>,
    pub share_reporter: bool,
    /// See [`super::AssignmentRow::planned_eta_s`].
    pub planned_eta_s: Option<i64>,
}

/// Assigns a unit to an incident (status `assigned`).
pub fn insert_assignment(a: &NewAssignment<'_>) -> Stmt {
    Stmt::new(
        "INSERT INTO assignments (id, incident_id, unit_id, agency_id, status, assigned_by, assigned_at, note, \
         share_reporter, updated_at, planned_eta_s) VALUES ($1, $2, $3, $4, 'assigned', $5, $6, $7, $8, $6, $9)",
    )
    .text(a.id)
    .text(a.incident_id)
    .text(a.unit_id)
    .text(a.agency_id)
    .text(a.assigned_by)
    .int(a.assigned_at)
    .opt_text(a.note)
    .boolean(a.share_reporter)
    .opt_int(a.planned_eta_s)
}

/// The answer → escalation clock of an incident filed from an answered call: it is measured at filing, so it
/// is written started at the answer and already stopped (and breached when the filing came too late).
pub fn escalation_clock(
    id: &str,
    incident_id: &str,
    answered_at: i64,
    target_ms: i64,
    stopped_at: i64,
    breached_at: Option<i64>,
) -> Stmt {
    Stmt::new(
        "INSERT INTO sla_clocks (id, subject_type, subject_id, kind, started_at, target_ms, due_at, \
         stopped_at, breached_at) VALUES ($1, 'incident', $2, 'escalation', $3, $4, $5, $6, $7)",
    )
    .text(id)
    .text(incident_id)
    .int(answered_at)
    .int(target_ms)
    .int(answered_at + target_ms)
    .int(stopped_at)
    .opt_int(breached_at)
}
