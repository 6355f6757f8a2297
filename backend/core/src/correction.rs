//! Correcting a filed incident: who may change which of its fields, in which status.
//!
//! The rule follows the layers of the centre:
//!
//! * The **call taker who filed** the incident corrects it while it is hers: before any OPD verified it
//!   (`new`, `escalated`, or `rejected`: sent back to her to fix). Every field, the reporter included (she
//!   took the call).
//! * A **dispatcher** corrects it once her OPD took it on: her OPD's row is `verified` (its dispatcher verified
//!   it, or assigned a unit) and the incident is `verified`, `dispatched` or `resolved`. Every field but the
//!   reporter (the call taker's record of the call; the dispatcher asks a supervisor to change it).
//! * A **supervisor** corrects every field of any open incident of her region (the region is the scope rule's
//!   business, checked apart).
//! * Admins, responders and integration accounts never correct an incident.
//! * A `closed` or `cancelled` incident is final: nobody changes it (409, not 403: it is the incident's
//!   state, not the person, that refuses).
//!
//! [`check`] is the whole decision: pure, no I/O; the service gathers the facts ([`Editor`]) and applies it.

use crate::error::ErrorCode;
use crate::incident::IncidentStatus;
use crate::role::Role;
use crate::unit::string_enum;

string_enum! {
    /// A field of an incident that a correction may change. The names are the request body's field names.
    CorrectableField, UnknownCorrectableField, "correctable field" {
        /// How urgent it is (re-plans the running SLA clocks).
        Priority => "priority",
        /// What kind of emergency.
        Category => "category",
        /// The free-text detail under the category.
        Subcategory => "subcategory",
        /// Where it is (re-locates: region chain and responsible OPDs recomputed).
        Location => "location",
        /// The location's uncertainty in metres (changes with the location).
        AccuracyM => "accuracy_m",
        /// The address as told.
        Address => "address",
        /// How many victims and their worst condition.
        Victims => "victims",
        /// What happened.
        Description => "description",
        /// When it happened.
        OccurredAt => "occurred_at",
        /// Who reported it (personal data).
        Reporter => "reporter",
    }
}

/// An OPD's state on the incident, as `incident_agencies.status` stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgencyPart {
    /// Escalated to it, not yet decided.
    Escalated,
    /// Its dispatcher verified it (or assigned a unit to it).
    Verified,
    /// It sent the incident back.
    Rejected,
    /// The incident was never escalated to it (or is not any more).
    None,
}

impl AgencyPart {
    /// The part of a stored `incident_agencies.status` (`None` for no row or an unknown status).
    pub fn of(status: Option<&str>) -> AgencyPart {
        match status {
            Some("escalated") => AgencyPart::Escalated,
            Some("verified") => AgencyPart::Verified,
            Some("rejected") => AgencyPart::Rejected,
            _ => AgencyPart::None,
        }
    }
}

/// The facts about the person correcting that the rule needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Editor {
    /// The role.
    pub role: Role,
    /// Whether this account filed the incident.
    pub filed_it: bool,
    /// A dispatcher's OPD's state on the incident ([`AgencyPart::None`] for the other roles).
    pub agency: AgencyPart,
}

/// Why a correction is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The incident is closed or cancelled.
    #[error("a {0} incident is final and cannot be corrected")]
    Final(IncidentStatus),
    /// This person may not correct this incident now (or not this field).
    #[error("{reason}")]
    Forbidden {
        /// The field refused, when the refusal is about one field and not the whole incident.
        field: Option<CorrectableField>,
        /// A sentence for the person.
        reason: &'static str,
    },
}

impl Refusal {
    /// [`ErrorCode::InvalidTransition`] (409) for a final incident, [`ErrorCode::Forbidden`] (403) otherwise.
    pub fn code(&self) -> ErrorCode {
        match self {
            Refusal::Final(_) => ErrorCode::InvalidTransition,
            Refusal::Forbidden { .. } => ErrorCode::Forbidden,
        }
    }
}

fn forbidden(reason: &'static str) -> Refusal {
    Refusal::Forbidden {
        field: None,
        reason,
    }
}

/// Whether `editor` may change `fields` of an incident in `status`. See the module docs for the rule.
///
/// # Errors
///
/// [`Refusal::Final`] for a closed or cancelled incident (whoever asks); [`Refusal::Forbidden`] naming the
/// first field refused, or none when the person may change nothing of it now.
pub fn check(
    editor: Editor,
    status: IncidentStatus,
    fields: &[CorrectableField],
) -> Result<(), Refusal> {
    use IncidentStatus::*;
    match editor.role {
        Role::Admin | Role::Responder | Role::Integration => {
            return Err(forbidden(
                "only the call taker who filed it, its OPD's dispatcher or a supervisor corrects an incident",
            ));
        }
        _ => {}
    }
    if matches!(status, Closed | Cancelled) {
        return Err(Refusal::Final(status));
    }
    match editor.role {
        Role::Supervisor => Ok(()),
        Role::CallTaker => {
            if !editor.filed_it {
                return Err(forbidden(
                    "a call taker corrects only the incidents she filed; ask a supervisor",
                ));
            }
            if matches!(status, New | Escalated | Rejected) {
                Ok(())
            } else {
                Err(forbidden(
                    "an OPD verified this incident: its dispatcher or a supervisor corrects it now",
                ))
            }
        }
        Role::Dispatcher => {
            if editor.agency != AgencyPart::Verified {
                return Err(forbidden(
                    "a dispatcher corrects an incident once her OPD has verified it",
                ));
            }
            if !matches!(status, Verified | Dispatched | Resolved) {
                return Err(forbidden(
                    "a dispatcher corrects an incident once her OPD has verified it",
                ));
            }
            match fields.iter().find(|f| **f == CorrectableField::Reporter) {
                Some(f) => Err(Refusal::Forbidden {
                    field: Some(*f),
                    reason: "the reporter is the call taker's record of the call; ask a supervisor to correct it",
                }),
                None => Ok(()),
            }
        }
        Role::Admin | Role::Responder | Role::Integration => Err(forbidden("not allowed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CorrectableField as F;
    use IncidentStatus::*;

    const ALL_FIELDS: &[CorrectableField] = CorrectableField::ALL;

    fn editor(role: Role, filed_it: bool, agency: AgencyPart) -> Editor {
        Editor {
            role,
            filed_it,
            agency,
        }
    }

    #[test]
    fn the_filing_call_taker_corrects_every_field_until_an_opd_verifies() {
        let e = editor(Role::CallTaker, true, AgencyPart::None);
        for s in [New, Escalated, Rejected] {
            assert_eq!(check(e, s, ALL_FIELDS), Ok(()), "{s}");
        }
        for s in [Verified, Dispatched, Resolved] {
            let got = check(e, s, &[F::Description]).unwrap_err();
            assert_eq!(got.code(), ErrorCode::Forbidden, "{s}");
        }
    }

    #[test]
    fn another_call_taker_does_not_correct_it() {
        let e = editor(Role::CallTaker, false, AgencyPart::None);
        assert_eq!(
            check(e, Escalated, &[F::Priority]).unwrap_err().code(),
            ErrorCode::Forbidden
        );
    }

    #[test]
    fn a_dispatcher_corrects_once_her_opd_verified_but_not_the_reporter() {
        let verified = editor(Role::Dispatcher, false, AgencyPart::Verified);
        for s in [Verified, Dispatched, Resolved] {
            let without_reporter: Vec<_> = ALL_FIELDS
                .iter()
                .copied()
                .filter(|f| *f != F::Reporter)
                .collect();
            assert_eq!(check(verified, s, &without_reporter), Ok(()), "{s}");
            assert_eq!(
                check(verified, s, &[F::Address, F::Reporter]),
                Err(Refusal::Forbidden {
                    field: Some(F::Reporter),
                    reason: "the reporter is the call taker's record of the call; ask a supervisor to correct it",
                })
            );
        }
        // Before her OPD decides, or after it sent it back, or when it was never hers: refused.
        for part in [
            AgencyPart::Escalated,
            AgencyPart::Rejected,
            AgencyPart::None,
        ] {
            let e = editor(Role::Dispatcher, false, part);
            for s in [Escalated, Verified, Dispatched] {
                assert_eq!(
                    check(e, s, &[F::Priority]).unwrap_err().code(),
                    ErrorCode::Forbidden,
                    "{part:?} {s}"
                );
            }
        }
        // An incident back at the call taker is not the dispatcher's to correct.
        assert!(check(verified, Rejected, &[F::Priority]).is_err());
    }

    #[test]
    fn a_supervisor_corrects_any_open_incident() {
        let e = editor(Role::Supervisor, false, AgencyPart::None);
        for s in [New, Escalated, Rejected, Verified, Dispatched, Resolved] {
            assert_eq!(check(e, s, ALL_FIELDS), Ok(()), "{s}");
        }
    }

    #[test]
    fn a_final_incident_refuses_everyone_with_a_conflict() {
        for role in [Role::Supervisor, Role::CallTaker, Role::Dispatcher] {
            let e = editor(role, true, AgencyPart::Verified);
            for s in [Closed, Cancelled] {
                let got = check(e, s, &[F::Description]).unwrap_err();
                assert_eq!(got, Refusal::Final(s));
                assert_eq!(got.code(), ErrorCode::InvalidTransition);
            }
        }
    }

    #[test]
    fn admins_responders_and_gateways_never_correct() {
        for role in [Role::Admin, Role::Responder, Role::Integration] {
            let e = editor(role, true, AgencyPart::Verified);
            for s in [New, Verified, Closed] {
                assert_eq!(
                    check(e, s, &[F::Description]).unwrap_err().code(),
                    ErrorCode::Forbidden,
                    "{role} {s}"
                );
            }
        }
    }

    #[test]
    fn agency_part_reads_the_stored_status() {
        assert_eq!(AgencyPart::of(Some("verified")), AgencyPart::Verified);
        assert_eq!(AgencyPart::of(Some("escalated")), AgencyPart::Escalated);
        assert_eq!(AgencyPart::of(Some("rejected")), AgencyPart::Rejected);
        assert_eq!(AgencyPart::of(Some("withdrawn")), AgencyPart::None);
        assert_eq!(AgencyPart::of(None), AgencyPart::None);
    }
}
