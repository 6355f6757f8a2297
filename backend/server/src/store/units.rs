//! Unit statements for a [`ChangeSet`](super::ChangeSet). A unit's status is written only here, so every
//! workflow that moves a unit (assignment, crew transitions, a dispatcher's direct change) uses one guard rule.

use super::Stmt;

/// Sets a unit's status to `to`. With `from`, the change rolls back unless the unit was in that status
/// (someone else moved it first); without, it follows the caller's decision whatever the unit showed.
pub fn set_status(unit_id: &str, from: Option<&str>, to: &str, at: i64) -> Stmt {
    match from {
        Some(from) => {
            Stmt::new("UPDATE units SET status = $2, updated_at = $3 WHERE id = $1 AND status = $4")
                .text(unit_id)
                .text(to)
                .int(at)
                .text(from)
                .expect(1)
        }
        None => Stmt::new("UPDATE units SET status = $2, updated_at = $3 WHERE id = $1")
            .text(unit_id)
            .text(to)
            .int(at),
    }
}
