//! Which connected client receives which event: the one place the live stream's audience rules live.
//!
//! A client's [`Audience`] comes from its role and scope (`siaga_core::scope::Scope`, the rule every read
//! applies); an event's [`Reach`] from the service that wrote it. Supervisors and admins see everything in
//! their region scope, call takers the `call.*` and `incident.*` events in theirs, dispatchers what names
//! their agency (or no agency list at all), responders only what names their unit. Internal entries
//! (`events::session`) reach no one.
//!
//! The region of an event is its subject's place (`siaga_core::scope::place_within`): a call's (its incident's,
//! else the caller's locus), an incident's, an assignment's incident's, a unit's agency's for `unit.created`,
//! `unit.status` and `unit.position` (a unit belongs to the region its agency is based in, wherever it drives,
//! so a Jakarta-scoped supervisor never follows Batam's fleet), an agent's working region for `agent.state`.
//! An event of no region (a call not located yet) reaches every region's desk, as its subject does. An OPD
//! that sent an incident back is no longer named in its events' agencies.

use super::Reach;
use crate::auth::Actor;
use siaga_core::role::Role;

/// Who a connected client is, reduced to what decides which events it may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Supervisors and admins: everything inside their region scope.
    Overseer {
        /// `users.region_code`; `None` = every region.
        region: Option<String>,
    },
    /// Call takers: `call.*` and `incident.*` events inside their region scope.
    CallTaker {
        /// `users.region_code`; `None` = every region.
        region: Option<String>,
    },
    /// Dispatchers: events whose `agency_ids` is NULL or lists their agency.
    Dispatcher {
        /// The dispatcher's agency; empty when the account has none (then it sees only NULL-agency events).
        agency_id: String,
    },
    /// Responders: only events whose `unit_id` is their unit.
    Responder {
        /// The responder's unit; `None` = sees nothing.
        unit_id: Option<String>,
    },
}

impl Audience {
    /// The audience of an authenticated user.
    pub fn of(actor: &Actor) -> Audience {
        let region = actor.scope().region().map(str::to_owned);
        match actor.role {
            Role::Supervisor | Role::Admin => Audience::Overseer { region },
            Role::CallTaker => Audience::CallTaker { region },
            Role::Dispatcher => Audience::Dispatcher {
                agency_id: actor.user.agency_id.clone().unwrap_or_default(),
            },
            Role::Responder => Audience::Responder {
                unit_id: actor.user.unit_id.clone(),
            },
            // A gateway registers calls; it has no screen to keep current.
            Role::Integration => Audience::Responder { unit_id: None },
        }
    }

    /// Whether this audience may receive `event`.
    pub fn allows(&self, event_type: &str, reach: &Reach) -> bool {
        if super::session::is_internal(event_type) {
            return false;
        }
        match self {
            Audience::Overseer { region } => region_allows(region.as_deref(), reach),
            Audience::CallTaker { region } => {
                (event_type.starts_with("call.") || event_type.starts_with("incident."))
                    && region_allows(region.as_deref(), reach)
            }
            Audience::Dispatcher { agency_id } => match &reach.agency_ids {
                None => true,
                Some(ids) => !agency_id.is_empty() && ids.iter().any(|id| id == agency_id),
            },
            Audience::Responder { unit_id } => {
                unit_id.is_some() && reach.unit_id.as_deref() == unit_id.as_deref()
            }
        }
    }
}

fn region_allows(scope: Option<&str>, reach: &Reach) -> bool {
    siaga_core::scope::place_within(scope, reach.region_code.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sees(
        audience: &Audience,
        event_type: &str,
        agency_ids: Option<&str>,
        unit_id: Option<&str>,
        region: Option<&str>,
    ) -> bool {
        let reach = Reach {
            agency_ids: agency_ids.map(|l| {
                l.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }),
            unit_id: unit_id.map(Into::into),
            region_code: region.map(Into::into),
        };
        audience.allows(event_type, &reach)
    }

    #[test]
    fn dispatchers_see_null_or_listed_agencies_only() {
        let d = Audience::Dispatcher {
            agency_id: "damkar".into(),
        };
        assert!(sees(&d, "incident.created", None, None, None));
        assert!(sees(
            &d,
            "incident.created",
            Some("polres,damkar"),
            None,
            None
        ));
        assert!(!sees(&d, "incident.created", Some("polres"), None, None));
        assert!(!sees(&d, "incident.created", Some(""), None, None));
        let none = Audience::Dispatcher {
            agency_id: String::new(),
        };
        assert!(!sees(&none, "incident.created", Some(""), None, None));
    }

    #[test]
    fn responders_see_only_their_units_events() {
        let r = Audience::Responder {
            unit_id: Some("u1".into()),
        };
        assert!(sees(&r, "assignment.created", Some("x"), Some("u1"), None));
        assert!(!sees(&r, "assignment.created", None, Some("u2"), None));
        assert!(!sees(&r, "incident.created", None, None, None));
        let unbound = Audience::Responder { unit_id: None };
        assert!(!sees(&unbound, "incident.created", None, None, None));
    }

    #[test]
    fn region_scopes_are_hierarchical_and_call_takers_skip_units() {
        let s = Audience::Overseer {
            region: Some("21.71".into()),
        };
        assert!(sees(&s, "unit.position", Some("a"), Some("u"), None));
        assert!(sees(
            &s,
            "unit.position",
            Some("a"),
            Some("u"),
            Some("21.71")
        ));
        assert!(!sees(
            &s,
            "unit.position",
            Some("a"),
            Some("u"),
            Some("31.71")
        ));
        assert!(sees(&s, "sla.breach", None, None, Some("21.71.01")));
        assert!(!sees(&s, "sla.breach", None, None, Some("31.71")));
        let c = Audience::CallTaker { region: None };
        assert!(sees(&c, "call.arriving", None, None, Some("31.71")));
        assert!(sees(&c, "incident.closed", Some(""), None, None));
        assert!(!sees(&c, "unit.position", None, Some("u"), None));
        assert!(!sees(&c, "sla.breach", None, None, None));
    }
}
