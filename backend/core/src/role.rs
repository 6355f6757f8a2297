//! Who a user is in the centre. The role decides which endpoints and events a user may reach.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The roles of a Siaga deployment: five for people, one for machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Layer 1: answers 112 calls, classifies them and files incidents.
    CallTaker,
    /// Layer 2: an OPD's operator who verifies incidents and assigns units.
    Dispatcher,
    /// Layer 3: a unit's crew on a phone; acknowledges and works assignments.
    Responder,
    /// Watches agents, SLA compliance and KPIs; may force a user out.
    Supervisor,
    /// Manages users, agencies, units and data imports.
    Admin,
    /// A telephony or SMS gateway: registers arriving calls, their AML payloads and hang-ups, with a
    /// long-lived service token. Nothing else.
    Integration,
}

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 6] = [
        Role::CallTaker,
        Role::Dispatcher,
        Role::Responder,
        Role::Supervisor,
        Role::Admin,
        Role::Integration,
    ];

    /// The stable snake_case name used in the database, JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::CallTaker => "call_taker",
            Role::Dispatcher => "dispatcher",
            Role::Responder => "responder",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
            Role::Integration => "integration",
        }
    }

    /// Whether a user of this role must belong to an agency (OPD).
    pub fn requires_agency(self) -> bool {
        matches!(self, Role::Dispatcher | Role::Responder)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of the role names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role `{0}`; expected one of call_taker, dispatcher, responder, supervisor, admin, integration"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        assert!("root".parse::<Role>().is_err());
    }
}
