//! Siaga's domain core: the vocabulary and the rules of a 112 centre.
//!
//! This crate owns the domain types (roles, agencies, units, calls, incidents, assignments) and the rules that
//! govern them (state machines, SLA clocks, routing). It deliberately does no I/O and reads no clock: time enters
//! as a [`time::Timestamp`] argument, so every rule is deterministic and testable without a server.
//!
//! Layout:
//!
//! * [`call`]: channels, call classes, the call lifecycle, service lines, caller-number (ANI) normalisation and
//!   the prank-flag rule.
//! * [`call_back`]: call-back tasks for abandoned, silent and to-be-confirmed calls: when one is created, when
//!   it is due, and what an attempt's outcome leaves.
//! * [`aml`]: the strict Advanced Mobile Location parser (SMS and HTTPS forms); a `cargo fuzz` target.
//! * [`incident`]: categories, priorities, the incident lifecycle, victims, incident numbers, duplicate
//!   detection and the category → agency table.
//! * [`cancel`]: withdrawing an incident (cancel with a reason, merge a duplicate into its master): who may,
//!   and when.
//! * [`assignment`]: a unit's assignment lifecycle and the unit status it implies.
//! * [`sla`]: SLA policies and the deterministic clock engine (quinn-proto shape).
//! * [`kpi`]: supervisor KPIs computed from recorded calls, incidents, SLA clocks and agent states; local-time
//!   periods and nearest-rank percentiles.
//! * [`routing`]: tiered routing of service lines to regional teams, and follow-up schedules.
//! * [`region`]: the region-code containment rule (`21.71` contains `21.71.10`).
//! * [`scope`]: who may see and act on what (region, agency, own calls), the one rule every read and command
//!   and the live stream's audience apply.
//! * [`transition`], [`error`], [`position`], [`time`]: the shared shapes those modules are built from.
//!
//! Architecture Invariant: this crate depends on no async runtime, database or HTTP crate.

#![warn(missing_docs)]

pub mod agency;
pub mod aml;
pub mod assignment;
pub mod call;
pub mod call_back;
pub mod cancel;
pub mod correction;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod incident;
pub mod kpi;
pub mod position;
pub mod region;
pub mod role;
pub mod routing;
pub mod scope;
pub mod sla;
pub mod time;
pub mod transition;
pub mod unit;

#[cfg(test)]
mod tests {
    /// Architecture Invariant: the core does no I/O. Enforced through its dependency list, since a crate that is
    /// not a dependency cannot be called.
    #[test]
    fn core_depends_on_no_runtime_database_or_http_crate() {
        let manifest = include_str!("../Cargo.toml");
        let deps = manifest.split("[dependencies]").nth(1).unwrap_or_default();
        let deps = deps.split("\n[").next().unwrap_or_default();
        for forbidden in [
            "tokio",
            "sqlx",
            "axum",
            "hyper",
            "reqwest",
            "tower",
            "async-std",
            "mio",
        ] {
            let listed = deps.lines().any(|l| l.trim_start().starts_with(forbidden));
            assert!(!listed, "siaga-core must not depend on {forbidden}");
        }
        assert!(
            deps.contains("serde"),
            "the [dependencies] table was not found"
        );
    }
}
