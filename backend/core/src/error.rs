//! The vocabulary of failures: one stable [`ErrorCode`] per thing a caller can get wrong.
//!
//! Every error type in this crate has a `code(&self) -> ErrorCode` method. The code is the machine-readable part
//! of an API error body and the translation key in the map-client. This module deliberately knows nothing of
//! HTTP: the status for each code is decided once, in the server's API layer.
//!
//! Invariant: codes are never renamed once shipped (the UI and stored audit records key on them); add new ones.

use crate::unit::string_enum;

string_enum! {
    /// A stable snake_case identifier for a kind of failure.
    ErrorCode, UnknownErrorCode, "error code" {
        /// A state machine was asked to take an edge it does not have.
        InvalidTransition => "invalid_transition",
        /// An incident cannot be marked resolved while assignments are still open (or none was resolved).
        AssignmentsOpen => "assignments_open",
        /// An incident cannot be marked dispatched without an open assignment.
        NoOpenAssignment => "no_open_assignment",
        /// An Advanced Mobile Location payload was malformed.
        InvalidAml => "invalid_aml",
        /// A well-formed AML payload said the handset had no position fix.
        AmlNoLocation => "aml_no_location",
        /// A caller number (ANI) could not be normalised.
        InvalidAni => "invalid_ani",
        /// A service line code was neither a short dial code nor a configured name.
        InvalidServiceLine => "invalid_service_line",
        /// A longitude/latitude pair was out of range or not finite.
        InvalidPosition => "invalid_position",
        /// An incident number did not have the form `BTM-20261124-0007`.
        InvalidIncidentNumber => "invalid_incident_number",
        /// An incident subcategory was empty or too long.
        InvalidSubcategory => "invalid_subcategory",
        /// An SLA policy had a zero target or another inconsistency.
        InvalidSlaPolicy => "invalid_sla_policy",
        /// A service-line routing table was inconsistent (duplicate region, empty team id, …).
        InvalidRoutingConfig => "invalid_routing_config",
        /// A follow-up rule had no offsets or offsets out of order.
        InvalidFollowUpRule => "invalid_follow_up_rule",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {c}");
            assert!(
                c.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{c}"
            );
            assert_eq!(c.as_str().parse::<ErrorCode>(), Ok(*c));
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::Value::from(c.as_str())
            );
        }
    }
}
