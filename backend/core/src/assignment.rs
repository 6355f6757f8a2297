//! Assignments: one unit sent to one incident, and the statuses it moves through.
//!
//! `assigned → acknowledged → en_route → on_scene → resolved`, with two ways out: the unit's crew may
//! **decline** (with a [`DeclineReason`]) before it starts moving, and the dispatcher may **cancel** at any
//! point before the end. Each status implies a [`UnitStatus`] for the unit ([`AssignmentStatus::unit_status`]).
//!
//! Invariants: `resolved`, `declined` and `cancelled` are final; a decline always carries a reason, because
//! [`AssignmentUpdate::Decline`] cannot be built without one.
//!
//! Who moves an assignment ([`status_author`]): the crew posts its own steps from its app; a desk
//! (dispatcher, supervisor) cancels, and records a step the crew reported by radio, which is always marked
//! [`ReportedVia::Radio`] so a relayed step is never mistaken for the crew's own.

use crate::transition::{InvalidTransition, Lifecycle};
use crate::unit::{UnitStatus, string_enum};
use serde::{Deserialize, Serialize};

string_enum! {
    /// Where an assignment stands. See [`AssignmentStatus::allowed_next`].
    AssignmentStatus, UnknownAssignmentStatus, "assignment status" {
        /// The dispatcher chose the unit; the crew has not answered yet.
        Assigned => "assigned",
        /// The crew has seen and accepted it.
        Acknowledged => "acknowledged",
        /// Driving to the scene.
        EnRoute => "en_route",
        /// At the scene, working.
        OnScene => "on_scene",
        /// The unit's work is done. Final.
        Resolved => "resolved",
        /// The crew refused it before departing. Final.
        Declined => "declined",
        /// The dispatcher withdrew it. Final.
        Cancelled => "cancelled",
    }
}

impl Lifecycle for AssignmentStatus {
    /// * `assigned → acknowledged | declined | cancelled`
    /// * `acknowledged → en_route | declined | cancelled`
    /// * `en_route → on_scene | cancelled`
    /// * `on_scene → resolved | cancelled`
    /// * `resolved`, `declined`, `cancelled`: final
    fn allowed_next(self) -> &'static [AssignmentStatus] {
        use AssignmentStatus::*;
        match self {
            Assigned => &[Acknowledged, Declined, Cancelled],
            Acknowledged => &[EnRoute, Declined, Cancelled],
            EnRoute => &[OnScene, Cancelled],
            OnScene => &[Resolved, Cancelled],
            Resolved | Declined | Cancelled => &[],
        }
    }
}

impl AssignmentStatus {
    /// The status the assigned unit is in while its assignment is in this status.
    ///
    /// `assigned` and `acknowledged` → `assigned`; `en_route` → `en_route`; `on_scene` → `on_scene`; the final
    /// statuses → `available` (the unit is free again; taking it out of service is a separate decision).
    pub fn unit_status(self) -> UnitStatus {
        match self {
            AssignmentStatus::Assigned | AssignmentStatus::Acknowledged => UnitStatus::Assigned,
            AssignmentStatus::EnRoute => UnitStatus::EnRoute,
            AssignmentStatus::OnScene => UnitStatus::OnScene,
            AssignmentStatus::Resolved
            | AssignmentStatus::Declined
            | AssignmentStatus::Cancelled => UnitStatus::Available,
        }
    }

    /// Applies an update: checks the edge and returns the new status.
    pub fn apply(
        self,
        update: &AssignmentUpdate,
    ) -> Result<AssignmentStatus, InvalidTransition<AssignmentStatus>> {
        self.transition(update.target())
    }
}

string_enum! {
    /// Why a crew declined an assignment.
    DeclineReason, UnknownDeclineReason, "decline reason" {
        /// Already committed to another incident.
        Busy => "busy",
        /// The vehicle or equipment is not usable.
        VehicleProblem => "vehicle_problem",
        /// The incident is outside the unit's area or beyond its reach.
        OutOfArea => "out_of_area",
        /// The unit lacks the capability (a motorbike patrol sent to a house fire).
        NotCapable => "not_capable",
        /// Not enough crew on duty.
        NoCrew => "no_crew",
        /// Anything else; explain in the note.
        Other => "other",
    }
}

string_enum! {
    /// How a step the crew took reached Siaga when the crew did not post it from its own app.
    ReportedVia, UnknownReportedVia, "reporting channel" {
        /// The crew told a dispatcher by radio (or phone), who recorded it.
        Radio => "radio",
    }
}

/// Who posts a status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAuthor {
    /// The unit's crew, from its own app.
    Crew,
    /// A dispatcher or supervisor at a desk.
    Desk,
}

/// Why a status change is refused for its author, before the lifecycle is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatusAuthorError {
    /// A crew withdraws from an assignment by declining; cancelling is the dispatcher's decision.
    #[error("only a dispatcher cancels an assignment; decline it instead")]
    CrewCannotCancel,
    /// A crew's own step comes from its app; `reported_via` is for a desk relaying the crew's report.
    #[error(
        "the crew posts its own steps; reported_via is for a dispatcher recording a radio report"
    )]
    CrewDoesNotRelay,
    /// A cancellation is the desk's own decision, not something the crew reported.
    #[error("a cancellation is the dispatcher's own decision, not a reported step")]
    CancelIsNotReported,
}

impl StatusAuthorError {
    /// The wire error: 403 for a move the author may not make, 422 (naming `reported_via`) for a wrong
    /// channel.
    pub fn code(self) -> crate::error::ErrorCode {
        match self {
            StatusAuthorError::CrewCannotCancel => crate::error::ErrorCode::Forbidden,
            StatusAuthorError::CrewDoesNotRelay | StatusAuthorError::CancelIsNotReported => {
                crate::error::ErrorCode::ValidationFailed
            }
        }
    }
}

/// Decides who may post `to` and how the step is recorded: `Ok(None)` for the crew's own step or a desk's
/// cancellation, `Ok(Some(Radio))` for a crew step a desk records (with or without `asked`: a desk has no
/// other way to learn it).
///
/// ```
/// use siaga_core::assignment::{status_author, AssignmentStatus, ReportedVia, StatusAuthor};
/// assert_eq!(status_author(AssignmentStatus::EnRoute, StatusAuthor::Desk, None), Ok(Some(ReportedVia::Radio)));
/// assert_eq!(status_author(AssignmentStatus::EnRoute, StatusAuthor::Crew, None), Ok(None));
/// ```
///
/// # Errors
///
/// [`StatusAuthorError`] when the author may not post `to`, or names a channel that does not fit.
pub fn status_author(
    to: AssignmentStatus,
    author: StatusAuthor,
    asked: Option<ReportedVia>,
) -> Result<Option<ReportedVia>, StatusAuthorError> {
    match (author, to) {
        (StatusAuthor::Crew, AssignmentStatus::Cancelled) => {
            Err(StatusAuthorError::CrewCannotCancel)
        }
        (StatusAuthor::Crew, _) if asked.is_some() => Err(StatusAuthorError::CrewDoesNotRelay),
        (StatusAuthor::Crew, _) => Ok(None),
        (StatusAuthor::Desk, AssignmentStatus::Cancelled) if asked.is_some() => {
            Err(StatusAuthorError::CancelIsNotReported)
        }
        (StatusAuthor::Desk, AssignmentStatus::Cancelled) => Ok(None),
        (StatusAuthor::Desk, _) => Ok(Some(ReportedVia::Radio)),
    }
}

/// A request to move an assignment forward. Carries what the target status requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum AssignmentUpdate {
    /// The crew accepts.
    Acknowledge,
    /// The crew departs.
    EnRoute,
    /// The crew arrives.
    OnScene,
    /// The crew's work is done.
    Resolve,
    /// The crew refuses, saying why.
    Decline {
        /// The reason, from a fixed list so it can be counted.
        reason: DeclineReason,
        /// Optional free text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The dispatcher withdraws the assignment.
    Cancel,
}

impl AssignmentUpdate {
    /// The status this update moves to.
    pub fn target(&self) -> AssignmentStatus {
        match self {
            AssignmentUpdate::Acknowledge => AssignmentStatus::Acknowledged,
            AssignmentUpdate::EnRoute => AssignmentStatus::EnRoute,
            AssignmentUpdate::OnScene => AssignmentStatus::OnScene,
            AssignmentUpdate::Resolve => AssignmentStatus::Resolved,
            AssignmentUpdate::Decline { .. } => AssignmentStatus::Declined,
            AssignmentUpdate::Cancel => AssignmentStatus::Cancelled,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::transition::testing::check_lifecycle;
    use AssignmentStatus as S;

    #[test]
    fn assignment_lifecycle_is_consistent() {
        check_lifecycle(S::ALL, S::Assigned);
    }

    #[test]
    fn full_run_updates_the_unit_status_at_each_step() {
        let steps = [
            (
                AssignmentUpdate::Acknowledge,
                S::Acknowledged,
                UnitStatus::Assigned,
            ),
            (AssignmentUpdate::EnRoute, S::EnRoute, UnitStatus::EnRoute),
            (AssignmentUpdate::OnScene, S::OnScene, UnitStatus::OnScene),
            (
                AssignmentUpdate::Resolve,
                S::Resolved,
                UnitStatus::Available,
            ),
        ];
        let mut s = S::Assigned;
        assert_eq!(s.unit_status(), UnitStatus::Assigned);
        for (update, want, unit) in steps {
            s = s.apply(&update).unwrap();
            assert_eq!((s, s.unit_status()), (want, unit));
        }
    }

    #[test]
    fn crew_cannot_decline_once_moving() {
        let decline = AssignmentUpdate::Decline {
            reason: DeclineReason::Busy,
            note: None,
        };
        assert_eq!(S::Acknowledged.apply(&decline), Ok(S::Declined));
        let e = S::EnRoute.apply(&decline).unwrap_err();
        assert_eq!(e.allowed, vec![S::OnScene, S::Cancelled]);
        assert_eq!(e.code(), ErrorCode::InvalidTransition);
    }

    #[test]
    fn dispatcher_can_cancel_until_the_end() {
        for s in [S::Assigned, S::Acknowledged, S::EnRoute, S::OnScene] {
            assert_eq!(s.apply(&AssignmentUpdate::Cancel), Ok(S::Cancelled), "{s}");
        }
        for s in [S::Resolved, S::Declined, S::Cancelled] {
            assert!(s.apply(&AssignmentUpdate::Cancel).is_err(), "{s}");
            assert_eq!(s.unit_status(), UnitStatus::Available);
        }
    }

    #[test]
    fn a_desk_records_crew_steps_as_radio_reports_and_cancels_as_its_own_decision() {
        use StatusAuthor::{Crew, Desk};
        let radio = Some(ReportedVia::Radio);
        for s in [
            S::Acknowledged,
            S::EnRoute,
            S::OnScene,
            S::Resolved,
            S::Declined,
        ] {
            assert_eq!(status_author(s, Desk, None), Ok(radio), "{s}");
            assert_eq!(status_author(s, Desk, radio), Ok(radio), "{s}");
            assert_eq!(status_author(s, Crew, None), Ok(None), "{s}");
            assert_eq!(
                status_author(s, Crew, radio),
                Err(StatusAuthorError::CrewDoesNotRelay)
            );
        }
        assert_eq!(status_author(S::Cancelled, Desk, None), Ok(None));
        let e = status_author(S::Cancelled, Desk, radio).unwrap_err();
        assert_eq!(
            (e, e.code()),
            (
                StatusAuthorError::CancelIsNotReported,
                ErrorCode::ValidationFailed
            )
        );
        let e = status_author(S::Cancelled, Crew, None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::Forbidden);
    }

    #[test]
    fn decline_on_the_wire_requires_a_reason() {
        let update: AssignmentUpdate = serde_json::from_str(
            r#"{"status":"decline","reason":"vehicle_problem","note":"ban bocor"}"#,
        )
        .unwrap();
        assert_eq!(update.target(), S::Declined);
        assert!(serde_json::from_str::<AssignmentUpdate>(r#"{"status":"decline"}"#).is_err());
        let ack: AssignmentUpdate = serde_json::from_str(r#"{"status":"acknowledge"}"#).unwrap();
        assert_eq!(ack, AssignmentUpdate::Acknowledge);
    }
}
