//! Payloads of the `call.*` events. The caller's number appears only masked.

use serde::{Deserialize, Serialize};

/// `call.created`: a call is ringing.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallCreated {
    pub call_id: String,
    /// `voice`, `sms`, …
    pub channel: String,
    /// The dialled line (`112`, `110`, a named service line).
    pub service_line: String,
    /// When the call started ringing (ms since the epoch).
    pub ring_at: i64,
    /// The caller's number with all but its last digits masked.
    pub ani_masked: String,
    /// Whether the number is flagged for repeated prank calls.
    pub prank_flag: bool,
    /// Whether an Advanced Mobile Location fix came with the call.
    pub has_aml: bool,
}

/// `call.updated`: a call changed status, or received its AML fix.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallUpdated {
    pub call_id: String,
    /// The new status, when the status changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Who changed it (user id), when a person did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// True when the call received an AML fix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_aml: Option<bool>,
}

/// `call.routed`: a tiered call was offered to a regional team, or handed (back) to the central team.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallRouted {
    pub call_id: String,
    /// `regional` or `central`.
    pub tier: String,
    /// The regional team offered the call; `null` for the central team.
    pub team_id: Option<String>,
    /// The region the routing decided on.
    pub region_code: Option<String>,
    /// When the offer falls back to the central team (ms), for a regional offer.
    pub fallback_at: Option<i64>,
    /// Why it went where it went.
    pub reason: String,
}

/// `call.taken`: a regional team member took a call offered to the team.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallTaken {
    pub call_id: String,
    pub team_id: String,
    /// The user who took it.
    pub by: String,
}

/// `call.follow_up_scheduled`: a caller was enrolled in a line's follow-up programme.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FollowUpScheduled {
    pub call_id: String,
    pub service_line: String,
    /// How many follow-up calls were planned.
    pub count: u32,
}

/// `call.follow_up_recorded`: the outcome of one follow-up call.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FollowUpRecorded {
    pub follow_up_id: String,
    pub call_id: String,
    /// Which call of the series (1 = first).
    pub ordinal: i64,
    pub outcome: String,
    /// Whether this outcome ends the series (no further calls).
    pub ends_series: bool,
    /// The user who recorded it.
    pub by: String,
}

/// `call.call_back_created`: a call-back task was created (for an abandoned or silent call, or on request).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallBackCreated {
    pub call_back_id: String,
    pub call_id: String,
    /// `abandoned`, `ghost` or `confirm`.
    pub reason: String,
    /// When it is due (ms since the epoch).
    pub due_at: i64,
    /// The number to call back, masked.
    pub ani_masked: String,
    /// Who asked for it; `null` when the system created it.
    pub by: Option<String>,
}

/// `call.call_back_updated`: a call-back task was claimed, or an attempt was recorded on it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CallBackUpdated {
    pub call_back_id: String,
    pub call_id: String,
    /// `open` or `done`.
    pub status: String,
    /// Who holds it now (`null`: back on the list).
    pub claimed_by: Option<String>,
    /// The outcome of the attempt, when one was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Attempts made so far.
    pub attempts: i64,
    /// Who made the change (user id).
    pub by: String,
}
