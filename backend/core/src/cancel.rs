//! Withdrawing an incident: cancelling it with a reason, and merging a duplicate report into its master.
//!
//! * [`CancelReason`]: why an incident was withdrawn (false alarm, duplicate of another, caller withdrew,
//!   handled elsewhere).
//! * [`may_cancel`]: who may cancel an incident in which state: the call taker who filed it while no OPD has
//!   verified it, a dispatcher of an OPD taking part, a supervisor; always within the lifecycle
//!   (`closed` and `cancelled` are final, a `resolved` incident is closed, not cancelled).
//! * [`check_merge`]: whether a duplicate may be merged into a master.
//!
//! What a cancellation does to clocks is the SLA engine's decision (`SlaEngine::cancel`, [`crate::sla::stop_decision`]):
//! a cancelled clock never breaches and counts as cancelled, not met or breached.

use crate::error::ErrorCode;
use crate::incident::IncidentStatus;
use crate::role::Role;
use crate::transition::{InvalidTransition, Lifecycle};
use crate::unit::string_enum;

string_enum! {
    /// Why an incident was cancelled.
    CancelReason, UnknownCancelReason, "cancel reason" {
        /// Nothing happened: a mistaken or malicious report found out after filing.
        FalseAlarm => "false_alarm",
        /// The same emergency as another incident (named by `duplicate_of`, or the master it was merged into).
        Duplicate => "duplicate",
        /// The caller no longer needs help.
        CallerWithdrew => "caller_withdrew",
        /// Another body (a neighbouring centre, a private service, bystanders) took care of it.
        HandledElsewhere => "handled_elsewhere",
    }
}

/// The person asking to cancel, as far as the rule needs to know them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Canceller {
    /// Their role.
    pub role: Role,
    /// Whether they filed the incident (for call takers).
    pub filed_it: bool,
    /// Whether their OPD takes part in the incident (escalated to it and not sent back; for dispatchers).
    pub takes_part: bool,
}

/// Why a cancellation or merge is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WithdrawRefusal {
    /// The role may not cancel at all, or not this incident (not hers, not their OPD's).
    #[error("{0}")]
    NotAllowed(&'static str),
    /// The lifecycle has no edge to `cancelled` from the incident's status.
    #[error(transparent)]
    Lifecycle(#[from] InvalidTransition<IncidentStatus>),
    /// A merge into the same incident.
    #[error("an incident cannot be merged into itself")]
    SameIncident,
    /// The master is closed or cancelled.
    #[error("the master incident is {0}; merge into an open incident")]
    MasterFinal(IncidentStatus),
    /// The master was itself merged into another incident.
    #[error("the master incident was itself merged into another; merge into that one")]
    MasterMerged,
    /// The two incidents lie in different regions.
    #[error("the two incidents are in different regions")]
    OtherRegion,
}

impl WithdrawRefusal {
    /// 403 for who asks, 409 for the state of either incident, 422 for a wrong master.
    pub fn code(&self) -> ErrorCode {
        match self {
            WithdrawRefusal::NotAllowed(_) => ErrorCode::Forbidden,
            WithdrawRefusal::Lifecycle(_)
            | WithdrawRefusal::MasterFinal(_)
            | WithdrawRefusal::MasterMerged => ErrorCode::InvalidTransition,
            WithdrawRefusal::SameIncident | WithdrawRefusal::OtherRegion => {
                ErrorCode::ValidationFailed
            }
        }
    }
}

/// Whether `who` may cancel an incident that is now `status`:
///
/// * a call taker: only an incident she filed, and only while no OPD verified it (`new`, `escalated`,
///   `rejected`); after that it is the OPD's;
/// * a dispatcher: while their OPD takes part in it;
/// * a supervisor: always;
/// * nobody else (admins manage accounts, responders report through their assignment).
///
/// Then the lifecycle: `closed`, `cancelled` and `resolved` cannot be cancelled.
///
/// ```
/// use siaga_core::cancel::{Canceller, may_cancel};
/// use siaga_core::incident::IncidentStatus;
/// use siaga_core::role::Role;
/// let taker = Canceller { role: Role::CallTaker, filed_it: true, takes_part: false };
/// assert!(may_cancel(taker, IncidentStatus::Escalated).is_ok());
/// assert!(may_cancel(taker, IncidentStatus::Verified).is_err());
/// ```
pub fn may_cancel(who: Canceller, status: IncidentStatus) -> Result<(), WithdrawRefusal> {
    use IncidentStatus::*;
    match who.role {
        Role::Supervisor => {}
        Role::Dispatcher if who.takes_part => {}
        Role::Dispatcher => {
            return Err(WithdrawRefusal::NotAllowed(
                "only a dispatcher of an OPD taking part in the incident may cancel it",
            ));
        }
        Role::CallTaker if !who.filed_it => {
            return Err(WithdrawRefusal::NotAllowed(
                "a call taker may cancel only an incident she filed",
            ));
        }
        Role::CallTaker if matches!(status, New | Escalated | Rejected) => {}
        Role::CallTaker if status.allowed_next().contains(&Cancelled) => {
            return Err(WithdrawRefusal::NotAllowed(
                "an OPD verified this incident; its dispatcher or a supervisor may cancel it",
            ));
        }
        Role::CallTaker => {}
        Role::Admin | Role::Responder | Role::Integration => {
            return Err(WithdrawRefusal::NotAllowed(
                "only call takers, dispatchers and supervisors cancel incidents",
            ));
        }
    }
    status.transition(Cancelled)?;
    Ok(())
}

/// One side of a merge, as the rule needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeSide<'a> {
    /// The incident's id.
    pub id: &'a str,
    /// Its status.
    pub status: IncidentStatus,
    /// Whether it was merged into another incident.
    pub merged: bool,
    /// Its region (`None`: of no known region).
    pub region_code: Option<&'a str>,
}

/// Whether `duplicate` may be merged into `master`: two different incidents of the same region, the master
/// open (not closed, cancelled or itself merged), the duplicate one that may still be cancelled. Who asks is
/// checked by [`may_cancel`] on the duplicate (a merge cancels it) and by the caller's scope on the master.
pub fn check_merge(duplicate: MergeSide<'_>, master: MergeSide<'_>) -> Result<(), WithdrawRefusal> {
    if duplicate.id == master.id {
        return Err(WithdrawRefusal::SameIncident);
    }
    if master.merged {
        return Err(WithdrawRefusal::MasterMerged);
    }
    if matches!(
        master.status,
        IncidentStatus::Closed | IncidentStatus::Cancelled
    ) {
        return Err(WithdrawRefusal::MasterFinal(master.status));
    }
    duplicate.status.transition(IncidentStatus::Cancelled)?;
    if duplicate.region_code != master.region_code {
        return Err(WithdrawRefusal::OtherRegion);
    }
    Ok(())
}

/// The status a master moves to when a merge hands it the duplicate's open assignments (`gets_open`):
/// units are working it, so it is `dispatched` (from `new`, `escalated`, `rejected`, `verified` or
/// `resolved`: the duplicate's OPDs verified their part when they assigned them). Without open assignments
/// it stays where it is. `None` means it stays.
pub fn master_after_merge(master: IncidentStatus, gets_open: bool) -> Option<IncidentStatus> {
    use IncidentStatus::*;
    match master {
        New | Escalated | Rejected | Verified | Resolved if gets_open => Some(Dispatched),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use IncidentStatus::*;

    fn who(role: Role, filed_it: bool, takes_part: bool) -> Canceller {
        Canceller {
            role,
            filed_it,
            takes_part,
        }
    }

    #[test]
    fn a_call_taker_cancels_only_her_own_unverified_incident() {
        let mine = who(Role::CallTaker, true, false);
        for s in [New, Escalated, Rejected] {
            assert_eq!(may_cancel(mine, s), Ok(()), "{s}");
        }
        for s in [Verified, Dispatched] {
            assert_eq!(
                may_cancel(mine, s).map_err(|e| e.code()),
                Err(ErrorCode::Forbidden)
            );
        }
        let other = who(Role::CallTaker, false, false);
        assert_eq!(
            may_cancel(other, New).map_err(|e| e.code()),
            Err(ErrorCode::Forbidden)
        );
    }

    #[test]
    fn dispatchers_taking_part_and_supervisors_cancel_any_open_incident() {
        for w in [
            who(Role::Dispatcher, false, true),
            who(Role::Supervisor, false, false),
        ] {
            for s in [New, Escalated, Rejected, Verified, Dispatched] {
                assert_eq!(may_cancel(w, s), Ok(()), "{:?} {s}", w.role);
            }
        }
        assert_eq!(
            may_cancel(who(Role::Dispatcher, false, false), Verified).map_err(|e| e.code()),
            Err(ErrorCode::Forbidden)
        );
        for r in [Role::Admin, Role::Responder, Role::Integration] {
            assert_eq!(
                may_cancel(who(r, true, true), New).map_err(|e| e.code()),
                Err(ErrorCode::Forbidden)
            );
        }
    }

    #[test]
    fn final_and_resolved_incidents_refuse_with_their_allowed_moves() {
        let sup = who(Role::Supervisor, false, false);
        for s in [Resolved, Closed, Cancelled] {
            let e = may_cancel(sup, s).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidTransition);
            let WithdrawRefusal::Lifecycle(t) = e else {
                panic!("{s}: not a lifecycle refusal")
            };
            assert_eq!(t.allowed, s.allowed_next());
        }
        // A call taker's own closed incident is refused by the lifecycle, not by her role.
        assert_eq!(
            may_cancel(who(Role::CallTaker, true, false), Closed).map_err(|e| e.code()),
            Err(ErrorCode::InvalidTransition)
        );
    }

    fn side(id: &str, status: IncidentStatus) -> MergeSide<'_> {
        MergeSide {
            id,
            status,
            merged: false,
            region_code: Some("31.72"),
        }
    }

    #[test]
    fn a_merge_needs_two_open_incidents_of_one_region() {
        assert_eq!(
            check_merge(side("d", Escalated), side("m", Dispatched)),
            Ok(())
        );
        assert_eq!(
            check_merge(side("m", Escalated), side("m", Escalated)),
            Err(WithdrawRefusal::SameIncident)
        );
        for s in [Closed, Cancelled] {
            assert_eq!(
                check_merge(side("d", New), side("m", s)),
                Err(WithdrawRefusal::MasterFinal(s))
            );
        }
        let merged = MergeSide {
            merged: true,
            ..side("m", Cancelled)
        };
        assert_eq!(
            check_merge(side("d", New), merged),
            Err(WithdrawRefusal::MasterMerged)
        );
        assert_eq!(
            check_merge(side("d", Closed), side("m", New)).map_err(|e| e.code()),
            Err(ErrorCode::InvalidTransition)
        );
        let elsewhere = MergeSide {
            region_code: Some("31.75"),
            ..side("m", New)
        };
        assert_eq!(
            check_merge(side("d", New), elsewhere),
            Err(WithdrawRefusal::OtherRegion)
        );
    }

    #[test]
    fn a_master_that_gets_working_units_is_dispatched() {
        for s in [New, Escalated, Rejected, Verified, Resolved] {
            assert_eq!(master_after_merge(s, true), Some(Dispatched), "{s}");
            assert_eq!(master_after_merge(s, false), None, "{s}");
        }
        assert_eq!(master_after_merge(Dispatched, true), None);
    }
}
