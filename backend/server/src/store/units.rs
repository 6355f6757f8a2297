//! Unit statements for a [`ChangeSet`](super::ChangeSet). A unit's status is written only here, so every
//! workflow that moves a unit (assignment, crew transitions, a dispatcher's direct change) uses one guard rule.

use super::{Stmt, UnitRow};

/// Adds a unit to its agency's fleet; a taken call sign makes the commit a conflict.
pub fn insert(u: &UnitRow) -> Stmt {
    Stmt::new(
        "INSERT INTO units (id, agency_id, call_sign, unit_type, status, lon, lat, position_at, \
         created_at, updated_at, vehicle) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .text(&u.id)
    .text(&u.agency_id)
    .text(&u.call_sign)
    .text(&u.unit_type)
    .text(&u.status)
    .opt_float(u.lon)
    .opt_float(u.lat)
    .opt_int(u.position_at)
    .int(u.created_at)
    .int(u.updated_at)
    .text(&u.vehicle)
}

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
