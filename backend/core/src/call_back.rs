//! Call-back tasks: the centre rings a caller back. The Batam phone SOP promises a call-back within 30 minutes
//! for a dropped call, and Polri's 110 flow has the central operator reconnect with the caller to confirm.
//!
//! * [`CallBackReason`]: why the task exists — an abandoned call, a silent (ghost) call, or a person asking
//!   for one ("call back to confirm").
//! * [`CallBackRule`]: which reasons create a task on their own, how soon it is due and how many attempts
//!   are made; read from the server's configuration file.
//! * [`CallBackOutcome`] and [`after_attempt`]: what one attempt gave, and whether the task stays open.
//!
//! The rule on "no answer", written down: an attempt that did not reach the caller (`no_answer`, `busy`,
//! `switched_off`) leaves the task **open** for another attempt, released so any call taker may take it, until
//! [`CallBackRule::max_attempts`] attempts were made; then it is done, unreached. `reached` and `wrong_number`
//! end it at once. A task's due time never moves: a second attempt after the due time is late, and the
//! figures say so.

use crate::call::{CallClass, CallStatus};
use crate::time::{MS_PER_MINUTE, Timestamp};
use crate::unit::string_enum;
use serde::{Deserialize, Serialize};

string_enum! {
    /// Why a call-back task exists.
    CallBackReason, UnknownCallBackReason, "call-back reason" {
        /// The caller hung up before the call was answered.
        Abandoned => "abandoned",
        /// The call was answered but nobody spoke (classified `ghost`).
        Ghost => "ghost",
        /// A call taker or dispatcher asked for one, to confirm what the caller reported.
        Confirm => "confirm",
    }
}

string_enum! {
    /// What one call-back attempt gave.
    CallBackOutcome, UnknownCallBackOutcome, "call-back outcome" {
        /// Spoke to the caller. Ends the task.
        Reached => "reached",
        /// It rang; nobody picked up. The task stays open for another attempt.
        NoAnswer => "no_answer",
        /// The line was busy. The task stays open for another attempt.
        Busy => "busy",
        /// The network said the phone is off or out of reach. The task stays open for another attempt.
        SwitchedOff => "switched_off",
        /// The number belongs to someone who did not call. Ends the task.
        WrongNumber => "wrong_number",
    }
}

impl CallBackOutcome {
    /// Whether this outcome ends the task whatever the attempt count.
    pub fn ends_task(self) -> bool {
        matches!(
            self,
            CallBackOutcome::Reached | CallBackOutcome::WrongNumber
        )
    }
}

string_enum! {
    /// Where a call-back task is. A task being worked is `open` with a claimant.
    CallBackStatus, UnknownCallBackStatus, "call-back status" {
        /// Waiting for (another) attempt.
        Open => "open",
        /// Reached, a wrong number, or out of attempts. Final.
        Done => "done",
    }
}

/// When call-back tasks are created and how they are worked. Deserialisable so the server reads it from its
/// configuration file (`[dispatch.call_backs]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallBackRule {
    /// Create a task for every abandoned call.
    pub abandoned: bool,
    /// Create a task for every call classified `ghost` (silent).
    pub ghost: bool,
    /// Minutes from a task's creation to its due time (at least 1).
    pub due_minutes: u32,
    /// Attempts after which an unreached task is done (at least 1).
    pub max_attempts: u32,
}

impl Default for CallBackRule {
    /// Abandoned and silent calls are called back within 30 minutes (the Batam SOP), three attempts.
    fn default() -> Self {
        CallBackRule {
            abandoned: true,
            ghost: true,
            due_minutes: 30,
            max_attempts: 3,
        }
    }
}

impl CallBackRule {
    /// The reason a call that just reached `status` with `class` gets a task on its own, if the rule creates
    /// one: `abandoned` when it was abandoned, `ghost` when it was classified ghost. A test call never gets
    /// one, nor does any other class.
    pub fn automatic_reason(
        &self,
        status: CallStatus,
        class: Option<CallClass>,
    ) -> Option<CallBackReason> {
        if class == Some(CallClass::Test) {
            return None;
        }
        if status == CallStatus::Abandoned || class == Some(CallClass::Abandoned) {
            return self.abandoned.then_some(CallBackReason::Abandoned);
        }
        if class == Some(CallClass::Ghost) {
            return self.ghost.then_some(CallBackReason::Ghost);
        }
        None
    }

    /// When a task created at `created_at` is due.
    pub fn due_at(&self, created_at: Timestamp) -> Timestamp {
        created_at.plus_millis(i64::from(self.due_minutes.max(1)) * MS_PER_MINUTE)
    }

    /// Whether an automatic task should be created when the number already has `open_tasks` open ones: one
    /// open task per number, so a caller who dropped three times in a minute is rung back once (the history
    /// shows every call). A task asked for by a person is always created.
    pub fn creates(&self, reason: CallBackReason, open_tasks: u64) -> bool {
        reason == CallBackReason::Confirm || open_tasks == 0
    }
}

/// The task's status after an attempt with `outcome`, the `attempts`-th one (counting this one).
pub fn after_attempt(
    outcome: CallBackOutcome,
    attempts: u32,
    rule: &CallBackRule,
) -> CallBackStatus {
    if outcome.ends_task() || attempts >= rule.max_attempts.max(1) {
        CallBackStatus::Done
    } else {
        CallBackStatus::Open
    }
}

/// Whether a task was called back within its target: its first attempt was made at or before its due time.
pub fn within_target(due_at: Timestamp, first_attempt_at: Option<Timestamp>) -> bool {
    first_attempt_at.is_some_and(|a| a <= due_at)
}

/// Whether an open task is overdue at `now` (past its due time with no attempt yet made in time).
pub fn overdue(status: CallBackStatus, due_at: Timestamp, now: Timestamp) -> bool {
    status == CallBackStatus::Open && now > due_at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abandoned_and_silent_calls_get_a_task_test_calls_never() {
        let rule = CallBackRule::default();
        assert_eq!(
            rule.automatic_reason(CallStatus::Abandoned, Some(CallClass::Abandoned)),
            Some(CallBackReason::Abandoned)
        );
        assert_eq!(
            rule.automatic_reason(CallStatus::Abandoned, None),
            Some(CallBackReason::Abandoned)
        );
        assert_eq!(
            rule.automatic_reason(CallStatus::Classified, Some(CallClass::Ghost)),
            Some(CallBackReason::Ghost)
        );
        for class in CallClass::ALL {
            if !matches!(class, CallClass::Ghost | CallClass::Abandoned) {
                assert_eq!(
                    rule.automatic_reason(CallStatus::Classified, Some(*class)),
                    None,
                    "{class}"
                );
            }
        }
        assert_eq!(
            rule.automatic_reason(CallStatus::Abandoned, Some(CallClass::Test)),
            None
        );
        let off = CallBackRule {
            abandoned: false,
            ghost: false,
            ..rule
        };
        assert_eq!(off.automatic_reason(CallStatus::Abandoned, None), None);
        assert_eq!(
            off.automatic_reason(CallStatus::Classified, Some(CallClass::Ghost)),
            None
        );
    }

    #[test]
    fn due_in_thirty_minutes_by_default() {
        let rule = CallBackRule::default();
        assert_eq!(rule.due_at(Timestamp(0)), Timestamp(1_800_000));
        let zero = CallBackRule {
            due_minutes: 0,
            ..rule
        };
        assert_eq!(zero.due_at(Timestamp(0)), Timestamp(60_000));
    }

    #[test]
    fn no_answer_keeps_the_task_open_until_the_last_attempt() {
        let rule = CallBackRule::default();
        assert_eq!(
            after_attempt(CallBackOutcome::NoAnswer, 1, &rule),
            CallBackStatus::Open
        );
        assert_eq!(
            after_attempt(CallBackOutcome::Busy, 2, &rule),
            CallBackStatus::Open
        );
        assert_eq!(
            after_attempt(CallBackOutcome::SwitchedOff, 3, &rule),
            CallBackStatus::Done
        );
        assert_eq!(
            after_attempt(CallBackOutcome::Reached, 1, &rule),
            CallBackStatus::Done
        );
        assert_eq!(
            after_attempt(CallBackOutcome::WrongNumber, 1, &rule),
            CallBackStatus::Done
        );
    }

    #[test]
    fn one_open_automatic_task_per_number() {
        let rule = CallBackRule::default();
        assert!(rule.creates(CallBackReason::Abandoned, 0));
        assert!(!rule.creates(CallBackReason::Abandoned, 1));
        assert!(!rule.creates(CallBackReason::Ghost, 2));
        assert!(rule.creates(CallBackReason::Confirm, 1));
    }

    #[test]
    fn target_is_met_by_a_first_attempt_at_or_before_due() {
        let due = Timestamp(1_000);
        assert!(within_target(due, Some(Timestamp(1_000))));
        assert!(!within_target(due, Some(Timestamp(1_001))));
        assert!(!within_target(due, None));
        assert!(overdue(CallBackStatus::Open, due, Timestamp(1_001)));
        assert!(!overdue(CallBackStatus::Open, due, Timestamp(1_000)));
        assert!(!overdue(CallBackStatus::Done, due, Timestamp(9_999)));
    }

    #[test]
    fn rule_reads_from_configuration_with_defaults() {
        let rule: CallBackRule =
            serde_json::from_str(r#"{"ghost":false,"due_minutes":15}"#).unwrap();
        assert_eq!(
            rule,
            CallBackRule {
                abandoned: true,
                ghost: false,
                due_minutes: 15,
                max_attempts: 3
            }
        );
        assert!(serde_json::from_str::<CallBackRule>(r#"{"x":1}"#).is_err());
    }
}
