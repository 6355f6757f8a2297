//! The shared shape of the domain's state machines (call, incident, assignment).
//!
//! Each machine is a `Copy` status enum implementing [`Lifecycle`]: a static table of allowed edges. A transition
//! is checked against that table and nothing else; guards that need more context (for example "all assignments
//! resolved") live beside the machine that needs them and run after this check.
//!
//! Invariant: a status with an empty [`Lifecycle::allowed_next`] is final; no transition leaves it.

use crate::error::ErrorCode;
use std::fmt;

/// A status enum with a fixed table of allowed transitions.
pub trait Lifecycle: Copy + Eq + fmt::Debug + fmt::Display + 'static {
    /// The statuses this one may move to, in a stable order. Empty for final statuses.
    fn allowed_next(self) -> &'static [Self];

    /// Whether no transition leaves this status.
    fn is_final(self) -> bool {
        self.allowed_next().is_empty()
    }

    /// Checks the edge `self → to` and returns `to` when the table allows it.
    ///
    /// A self-transition (`to == self`) is an error like any other edge not in the table, so a repeated request
    /// is visible to the caller (who may treat it as an idempotent replay).
    fn transition(self, to: Self) -> Result<Self, InvalidTransition<Self>> {
        if self.allowed_next().contains(&to) {
            Ok(to)
        } else {
            Err(InvalidTransition {
                from: self,
                to,
                allowed: self.allowed_next().to_vec(),
            })
        }
    }
}

/// A transition that the state machine does not have. `allowed` lists where `from` may go, so an API error body
/// can tell the user what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidTransition<S> {
    /// The current status.
    pub from: S,
    /// The status that was asked for.
    pub to: S,
    /// Every status `from` may move to (empty when `from` is final).
    pub allowed: Vec<S>,
}

impl<S> InvalidTransition<S> {
    /// Always [`ErrorCode::InvalidTransition`].
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidTransition
    }
}

impl<S: fmt::Display> fmt::Display for InvalidTransition<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot move from `{}` to `{}`; ", self.from, self.to)?;
        if self.allowed.is_empty() {
            return write!(f, "`{}` is final", self.from);
        }
        f.write_str("allowed: ")?;
        for (i, s) in self.allowed.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

/// Shared property tests: run them for every [`Lifecycle`] in its own module.
#[cfg(test)]
pub(crate) mod testing {
    use super::Lifecycle;

    /// `transition` agrees with `allowed_next` on every pair, final statuses have no way out, and every status
    /// is reachable from `initial`.
    pub(crate) fn check_lifecycle<S: Lifecycle + Ord>(all: &[S], initial: S) {
        for &from in all {
            for &to in all {
                let ok = from.transition(to);
                assert_eq!(
                    ok.is_ok(),
                    from.allowed_next().contains(&to),
                    "{from} -> {to}"
                );
                if let Err(e) = ok {
                    assert_eq!(
                        (e.from, e.to, e.allowed.as_slice()),
                        (from, to, from.allowed_next())
                    );
                }
            }
            assert!(
                !from.allowed_next().contains(&from),
                "{from} loops to itself"
            );
        }
        let mut reached = std::collections::BTreeSet::from([initial]);
        let mut frontier = vec![initial];
        while let Some(s) = frontier.pop() {
            for &n in s.allowed_next() {
                if reached.insert(n) {
                    frontier.push(n);
                }
            }
        }
        for s in all {
            assert!(reached.contains(s), "{s} is unreachable from {initial}");
        }
    }
}
