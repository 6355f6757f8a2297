//! Assignment statements for a [`ChangeSet`](super::ChangeSet): a crew's or dispatcher's move of an
//! assignment, and the incident status that follows its assignments. Each is guarded by the status it moves
//! from, so of two concurrent moves one commits and the other rolls back whole. The reads are
//! [`Store::get_assignment`](super::Store::get_assignment) and its neighbours.

use super::Stmt;
use siaga_core::assignment::{AssignmentStatus, ReportedVia};

/// The timestamp column that records when an assignment reached `status`.
fn reached_at_column(status: AssignmentStatus) -> &'static str {
    match status {
        AssignmentStatus::Assigned => "assigned_at",
        AssignmentStatus::Acknowledged => "acknowledged_at",
        AssignmentStatus::EnRoute => "en_route_at",
        AssignmentStatus::OnScene => "on_scene_at",
        AssignmentStatus::Resolved => "resolved_at",
        AssignmentStatus::Declined => "declined_at",
        AssignmentStatus::Cancelled => "cancelled_at",
    }
}

/// The column recording how the crew's step `status` reached Siaga; none for the desk's own steps.
fn reported_via_column(status: AssignmentStatus) -> Option<&'static str> {
    match status {
        AssignmentStatus::Acknowledged => Some("acknowledged_via"),
        AssignmentStatus::EnRoute => Some("en_route_via"),
        AssignmentStatus::OnScene => Some("on_scene_via"),
        AssignmentStatus::Resolved => Some("resolved_via"),
        AssignmentStatus::Declined => Some("declined_via"),
        AssignmentStatus::Assigned | AssignmentStatus::Cancelled => None,
    }
}

/// Moves an assignment from `from` to `to` at `at`, stamping the step's time and how it was reported
/// (`via`, e.g. `radio`; none for the crew's own step); `reason` and `note` replace the stored ones only when
/// given.
pub fn set_status(
    assignment_id: &str,
    from: AssignmentStatus,
    to: AssignmentStatus,
    reason: Option<&str>,
    note: Option<&str>,
    via: Option<ReportedVia>,
    at: i64,
) -> Stmt {
    let column = reached_at_column(to);
    let via_set = reported_via_column(to)
        .map(|c| format!(", {c} = $7"))
        .unwrap_or_default();
    let stmt = Stmt::new(format!(
        "UPDATE assignments SET status = $2, {column} = $3, reason = COALESCE($4, reason), \
         note = COALESCE($5, note), updated_at = $3{via_set} WHERE id = $1 AND status = $6"
    ))
    .text(assignment_id)
    .text(to.as_str())
    .int(at)
    .opt_text(reason)
    .opt_text(note)
    .text(from.as_str());
    if via_set.is_empty() {
        stmt.expect(1)
    } else {
        stmt.opt_text(via.map(ReportedVia::as_str)).expect(1)
    }
}

/// Moves an incident from `from` to `to` because its assignments moved (dispatched → resolved, or back to
/// verified when every unit declined), stamping `resolved_at` when it is resolved.
pub fn incident_follows(incident_id: &str, from: &str, to: &str, at: i64) -> Stmt {
    Stmt::new(
        "UPDATE incidents SET status = $2, updated_at = $3, \
         resolved_at = CASE WHEN $2 = 'resolved' THEN $3 ELSE resolved_at END \
         WHERE id = $1 AND status = $4",
    )
    .text(incident_id)
    .text(to)
    .int(at)
    .text(from)
    .expect(1)
}
