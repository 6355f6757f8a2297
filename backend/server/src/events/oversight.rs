//! Payloads of the events supervisors watch: SLA breaches and agent states.

use serde::{Deserialize, Serialize};

/// `sla.breach`: a clock passed its target without being stopped.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SlaBreached {
    pub clock_id: String,
    /// `incident` or `assignment`.
    pub subject_type: String,
    pub subject_id: String,
    /// `answer`, `dispatch`, `acknowledge`, `arrival`, `resolution`, …
    pub kind: String,
    pub agency_id: Option<String>,
    pub started_at: i64,
    pub target_ms: i64,
    pub due_at: i64,
    /// When the breach was recorded (ms).
    pub detected_at: i64,
}

/// `agent.state`: a call taker's or dispatcher's state changed.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgentState {
    pub user_id: String,
    pub username: String,
    pub role: String,
    /// `ready`, `on_call`, `aux`, `logged_out`, …
    pub state: String,
    /// The AUX or forced-logout reason.
    pub reason: Option<String>,
    /// Since when (ms).
    pub since: i64,
    /// Who changed it, when not the agent (a supervisor's force logout).
    pub by_user_id: Option<String>,
}
