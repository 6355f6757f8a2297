//! Who may see and act on what: the one scope rule of a Siaga centre.
//!
//! A user's [`Scope`] follows from its role and its bindings (region, agency, unit, own id):
//!
//! * **Desk** (admins, supervisors, call takers): the centre's work, limited to a region when the account has
//!   a `region_code` (`21.71` covers `21.71.10`, see [`region::contains`]).
//! * **Agency** (dispatchers, responders): the work of one OPD. An incident is the OPD's while it is escalated
//!   to it and not sent back: an OPD that rejected an incident is no longer part of it.
//! * **Own calls** (integration accounts, i.e. telephony gateways): the calls the account registered itself.
//!
//! Two kinds of subject carry a region, and they differ only in what an unknown region means:
//!
//! * **Places** (calls, incidents, units, events): the region where the work is. A call not located yet (no
//!   AML fix, no incident) or an incident outside every known boundary belongs to no region, so it is the whole
//!   centre's: every desk sees it, otherwise an unlocated call could never be answered by a regional desk. A
//!   unit's place is its agency's region (where it is based), not where it drives.
//! * **Persons** (user accounts): the region a person works for (its own `region_code`, else its agency's). A
//!   person of no region works for the whole centre, which is outside every regional scope: a region-scoped
//!   supervisor neither lists nor manages it. Only admins manage admins.
//!
//! The store applies the same two rules as SQL filters to lists (`store::scope`); single reads and commands
//! ask the methods here and answer 403.

use crate::region;
use crate::role::Role;

/// Whether a region scope (`None`: every region) covers a place of region `code` (`None`: not located, the
/// whole centre's).
///
/// ```
/// use siaga_core::scope::place_within;
/// assert!(place_within(Some("21.71"), Some("21.71.10")));
/// assert!(place_within(Some("21.71"), None));
/// assert!(!place_within(Some("31.71"), Some("21.71.10")));
/// ```
pub fn place_within(scope: Option<&str>, code: Option<&str>) -> bool {
    match (scope, code) {
        (None, _) | (_, None) => true,
        (Some(scope), Some(code)) => region::contains(scope, code),
    }
}

/// Whether a region scope (`None`: every region) covers a person working for region `code` (`None`: the
/// whole centre, which no regional scope covers).
///
/// ```
/// use siaga_core::scope::person_within;
/// assert!(person_within(None, None));
/// assert!(!person_within(Some("21.71"), None));
/// ```
pub fn person_within(scope: Option<&str>, code: Option<&str>) -> bool {
    match (scope, code) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(scope), Some(code)) => region::contains(scope, code),
    }
}

/// An OPD's state on an incident, as `incident_agencies.status` stores it.
pub const AGENCY_REJECTED: &str = "rejected";

/// An OPD's state on an incident that was taken from it because it is no longer responsible (the incident was
/// re-located into another OPD's area). Like [`AGENCY_REJECTED`], the OPD is no longer part of the incident.
pub const AGENCY_WITHDRAWN: &str = "withdrawn";

/// Whether an OPD whose row on an incident has `status` takes part in it: anything but sent back or withdrawn.
pub fn agency_takes_part(status: &str) -> bool {
    status != AGENCY_REJECTED && status != AGENCY_WITHDRAWN
}

/// How far one user's view and reach extend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Admins, supervisors and call takers: the centre's work, inside `region` when set.
    Desk {
        /// The account's region scope; `None`: every region.
        region: Option<String>,
        /// Admins (who alone manage admin accounts).
        admin: bool,
    },
    /// Dispatchers and responders: one agency's work.
    Agency {
        /// The agency; empty when the account has none (then it matches nothing).
        agency_id: String,
        /// A responder's unit (`None` for dispatchers).
        unit_id: Option<String>,
    },
    /// Integration accounts: the calls they registered.
    OwnCalls {
        /// The account's user id.
        user_id: String,
    },
}

/// The bindings of a user account that its scope follows from.
#[derive(Debug, Clone, Copy)]
pub struct Account<'a> {
    /// Its role.
    pub role: Role,
    /// Its user id.
    pub user_id: &'a str,
    /// `users.region_code`.
    pub region: Option<&'a str>,
    /// `users.agency_id`.
    pub agency_id: Option<&'a str>,
    /// `users.unit_id`.
    pub unit_id: Option<&'a str>,
}

impl Scope {
    /// The scope of an account.
    pub fn of(a: Account<'_>) -> Scope {
        match a.role {
            Role::Admin | Role::Supervisor | Role::CallTaker => Scope::Desk {
                region: a.region.map(str::to_owned),
                admin: a.role == Role::Admin,
            },
            Role::Dispatcher => Scope::Agency {
                agency_id: a.agency_id.unwrap_or_default().to_owned(),
                unit_id: None,
            },
            Role::Responder => Scope::Agency {
                agency_id: a.agency_id.unwrap_or_default().to_owned(),
                // A responder without a unit gets one no row has.
                unit_id: Some(a.unit_id.unwrap_or_default().to_owned()),
            },
            Role::Integration => Scope::OwnCalls {
                user_id: a.user_id.to_owned(),
            },
        }
    }

    /// The region a desk is limited to (`None`: every region, or not a desk).
    pub fn region(&self) -> Option<&str> {
        match self {
            Scope::Desk { region, .. } => region.as_deref(),
            _ => None,
        }
    }

    /// The agency an agency-bound account is limited to (`None` for the others).
    pub fn agency(&self) -> Option<&str> {
        match self {
            Scope::Agency { agency_id, .. } => Some(agency_id),
            _ => None,
        }
    }

    /// The integration account whose calls alone are in scope (`None` for the others).
    pub fn own_calls(&self) -> Option<&str> {
        match self {
            Scope::OwnCalls { user_id } => Some(user_id),
            _ => None,
        }
    }

    /// Whether a place of region `code` lies inside the scope's region (always, for scopes not bound to one).
    pub fn covers_place(&self, code: Option<&str>) -> bool {
        place_within(self.region(), code)
    }

    /// Whether the agency's work (its units, their positions) is in scope: its own for an agency-bound
    /// account, any agency based inside the region for a desk, none for an integration account.
    pub fn covers_agency(&self, agency_id: &str, agency_region: &str) -> bool {
        match self {
            Scope::Desk { region, .. } => place_within(region.as_deref(), Some(agency_region)),
            Scope::Agency { agency_id: own, .. } => !own.is_empty() && own == agency_id,
            Scope::OwnCalls { .. } => false,
        }
    }

    /// Whether a call registered by `created_by` and located in `region` (the region of its incident, else of
    /// the caller's locus) is in scope. Calls are the desk's and their gateway's: never an agency's.
    pub fn covers_call(&self, created_by: Option<&str>, region: Option<&str>) -> bool {
        match self {
            Scope::Desk { region: own, .. } => place_within(own.as_deref(), region),
            Scope::Agency { .. } => false,
            Scope::OwnCalls { user_id } => created_by == Some(user_id.as_str()),
        }
    }

    /// Whether a user account of `role` working for `region` (its own region, else its agency's) is one this
    /// scope oversees: lists, schedules, forces out. Desks only; admins only by admins.
    pub fn covers_person(&self, role: Role, region: Option<&str>) -> bool {
        match self {
            Scope::Desk { region: own, admin } => {
                (*admin || role != Role::Admin) && person_within(own.as_deref(), region)
            }
            Scope::Agency { .. } | Scope::OwnCalls { .. } => false,
        }
    }

    /// Whether an agency-bound account takes part in an incident whose OPDs are `agencies` (id, status): its
    /// agency is among them and has not sent it back. Desks always do (their region is checked apart);
    /// integration accounts never.
    pub fn takes_part<'a>(&self, mut agencies: impl Iterator<Item = (&'a str, &'a str)>) -> bool {
        match self {
            Scope::Desk { .. } => true,
            Scope::Agency { agency_id, .. } => {
                !agency_id.is_empty()
                    && agencies.any(|(id, status)| id == agency_id && agency_takes_part(status))
            }
            Scope::OwnCalls { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(role: Role, region: Option<&str>, agency: Option<&str>) -> Scope {
        Scope::of(Account {
            role,
            user_id: "me",
            region,
            agency_id: agency,
            unit_id: None,
        })
    }

    #[test]
    fn places_of_no_region_are_everyones_persons_of_no_region_no_regions() {
        let batam = scope(Role::Supervisor, Some("21.71"), None);
        assert!(batam.covers_place(Some("21.71.10")));
        assert!(batam.covers_place(None));
        assert!(!batam.covers_place(Some("31.71")));
        assert!(!batam.covers_place(Some("21.710")));
        assert!(batam.covers_person(Role::CallTaker, Some("21.71.10")));
        assert!(!batam.covers_person(Role::CallTaker, None));
        assert!(!batam.covers_person(Role::Dispatcher, Some("31.71")));
        let centre = scope(Role::Supervisor, None, None);
        assert!(centre.covers_place(Some("31.71")));
        assert!(centre.covers_person(Role::Supervisor, None));
    }

    #[test]
    fn only_admins_manage_admins_and_only_desks_manage_anyone() {
        let supervisor = scope(Role::Supervisor, None, None);
        assert!(!supervisor.covers_person(Role::Admin, None));
        assert!(scope(Role::Admin, None, None).covers_person(Role::Admin, None));
        let dispatcher = scope(Role::Dispatcher, None, Some("dinkes"));
        assert!(!dispatcher.covers_person(Role::Responder, Some("21.71")));
    }

    #[test]
    fn an_opd_that_sent_an_incident_back_is_no_longer_part_of_it() {
        let dinkes = scope(Role::Dispatcher, None, Some("dinkes"));
        let parts = |rows: &'static [(&'static str, &'static str)]| rows.iter().copied();
        assert!(dinkes.takes_part(parts(&[("damkar", "escalated"), ("dinkes", "verified")])));
        assert!(dinkes.takes_part(parts(&[("dinkes", "escalated")])));
        assert!(!dinkes.takes_part(parts(&[("dinkes", "rejected")])));
        assert!(!dinkes.takes_part(parts(&[("dinkes", "withdrawn")])));
        assert!(!dinkes.takes_part(parts(&[("damkar", "escalated")])));
        let none = scope(Role::Dispatcher, None, None);
        assert!(!none.takes_part(parts(&[("", "escalated")])));
        assert!(scope(Role::CallTaker, Some("31.71"), None).takes_part(parts(&[])));
    }

    #[test]
    fn calls_are_the_desks_in_region_and_a_gateways_own() {
        let jakarta = scope(Role::CallTaker, Some("31.71"), None);
        assert!(!jakarta.covers_call(None, Some("21.71.10")));
        assert!(jakarta.covers_call(None, None));
        let gateway = Scope::of(Account {
            role: Role::Integration,
            user_id: "pbx",
            region: None,
            agency_id: None,
            unit_id: None,
        });
        assert!(gateway.covers_call(Some("pbx"), Some("21.71")));
        assert!(!gateway.covers_call(Some("other"), None));
        assert!(!gateway.covers_call(None, None));
        let dispatcher = scope(Role::Dispatcher, None, Some("dinkes"));
        assert!(!dispatcher.covers_call(None, None));
    }

    #[test]
    fn agencies_are_in_scope_by_membership_or_by_their_region() {
        let batam = scope(Role::Supervisor, Some("21.71"), None);
        assert!(batam.covers_agency("dinkes", "21.71"));
        assert!(!batam.covers_agency("dinkes-jkt", "31.71"));
        let dinkes = scope(Role::Dispatcher, None, Some("dinkes"));
        assert!(dinkes.covers_agency("dinkes", "21.71"));
        assert!(!dinkes.covers_agency("damkar", "21.71"));
    }
}
