//! Agencies (OPD, Organisasi Perangkat Daerah): the bodies that send help.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What kind of help an agency sends. One agency has exactly one type.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AgencyType {
    /// Dinas Kesehatan, PSC 119, hospitals' ambulance services.
    Health,
    /// Damkar (Dinas Pemadam Kebakaran dan Penyelamatan).
    Fire,
    /// BPBD (Badan Penanggulangan Bencana Daerah), Basarnas.
    Disaster,
    /// Polres / Polsek.
    Police,
    /// Dinas Sosial, DP3A (women and children protection).
    Social,
    /// Dinas Perhubungan.
    Transport,
    /// Anything else (Satpol PP, PLN, PDAM, …).
    Other,
}

impl AgencyType {
    /// Every agency type, in a stable order.
    pub const ALL: [AgencyType; 7] = [
        AgencyType::Health,
        AgencyType::Fire,
        AgencyType::Disaster,
        AgencyType::Police,
        AgencyType::Social,
        AgencyType::Transport,
        AgencyType::Other,
    ];

    /// The stable snake_case name used in the database, JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            AgencyType::Health => "health",
            AgencyType::Fire => "fire",
            AgencyType::Disaster => "disaster",
            AgencyType::Police => "police",
            AgencyType::Social => "social",
            AgencyType::Transport => "transport",
            AgencyType::Other => "other",
        }
    }
}

impl fmt::Display for AgencyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of the agency type names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown agency type `{0}`; expected one of health, fire, disaster, police, social, transport, other"
)]
pub struct UnknownAgencyType(pub String);

impl FromStr for AgencyType {
    type Err = UnknownAgencyType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AgencyType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownAgencyType(s.to_owned()))
    }
}
