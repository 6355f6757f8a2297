//! Tiered service lines: the server side of `siaga_core::routing`.
//!
//! A call on a tiered line (`[[routing.lines]]`) is offered to the regional team serving the caller's region
//! (from the AML fix when the call arrives, or from the locus the central call taker learns and sends with
//! [`route`]), and stays central otherwise. Only that team may take the call until its fallback instant;
//! [`fall_back_due`] (run by the `routing-fallback` cluster job) then hands it back to the central team. The
//! core decides where a call goes and when an offer ends; this module reads the caller's region from the geo
//! index, guards each change on the offer it acts on, and records the `call.routed` / `call.taken` events.

use super::calls::{self, CallView};
use super::common;
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::DomainEvent;
use crate::events::call::{CallRouted, CallTaken};
use crate::limits::ShortText;
use crate::state::AppState;
use crate::store::calls::{self as stmts, Offer};
use crate::store::{AuditEntry, CallRow, ChangeSet, NewEvent, StoreError, StoreResult};
use serde::{Deserialize, Serialize};
use serde_json::json;
use siaga_core::call::ServiceLineCode;
use siaga_core::position::{InvalidPosition, Position};
use siaga_core::routing::{RouteDecision, TeamId};
use siaga_core::sla::SlaKind;
use siaga_core::time::Timestamp;

/// A service line as configured: the emergency number, each tiered line (`[[routing.lines]]`) and each line
/// with a follow-up programme (`[[routing.follow_ups]]`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ServiceLineView {
    /// The code callers' calls carry (`112`, `quitline`).
    pub line: String,
    /// Offered to regional teams before the central team.
    pub tiered: bool,
    /// The regional teams and the region codes each serves (tiered lines).
    pub regional_teams: Vec<RegionalTeamView>,
    /// How long a regional team may leave a call before it falls back to central, in ms (tiered lines).
    pub fallback_after_ms: Option<i64>,
    /// Days after the first call on which follow-up calls are due (lines with a programme).
    pub follow_up_day_offsets: Vec<u32>,
}

/// A regional team of a tiered line.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RegionalTeamView {
    pub team_id: String,
    pub region_codes: Vec<String>,
}

/// The service lines this deployment knows, from its configuration (read-only: lines are set in `siaga.toml`,
/// so every instance routes alike). `112` first, then the others by code.
pub fn service_lines(state: &AppState) -> Vec<ServiceLineView> {
    let routing = &state.config.routing;
    let mut codes = routing.tiered_line_codes();
    codes.extend(routing.follow_up_line_codes());
    codes.sort();
    codes.dedup();
    codes.retain(|c| c != ServiceLineCode::emergency().as_str());
    codes.insert(0, ServiceLineCode::emergency().as_str().to_owned());
    codes
        .into_iter()
        .map(|code| {
            let tiered = routing
                .lines
                .lines()
                .iter()
                .find(|l| l.line.as_str() == code);
            ServiceLineView {
                tiered: tiered.is_some(),
                regional_teams: tiered
                    .map(|l| {
                        l.regional_teams
                            .iter()
                            .map(|t| RegionalTeamView {
                                team_id: t.team_id.0.clone(),
                                region_codes: t.region_codes.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                fallback_after_ms: tiered.map(|l| l.fallback_after_ms),
                follow_up_day_offsets: routing
                    .follow_ups
                    .iter()
                    .find(|f| f.line.as_str() == code)
                    .map(|f| f.day_offsets.clone())
                    .unwrap_or_default(),
                line: code,
            }
        })
        .collect()
}

/// How many due offers one fallback pass looks at.
const FALLBACK_BATCH: i64 = 200;

/// Where the caller is, as far as routing knows.
pub enum Locus {
    /// A position (AML, or the call taker's pin).
    Point(Position),
    /// A region code the caller named.
    Region(String),
    /// Not located: the call stays central.
    Unknown,
}

/// A routing decision ready to store.
pub struct Routed {
    /// The regional team, or `None` for central.
    pub team: Option<String>,
    /// The most specific region the decision looked at.
    pub region_code: Option<String>,
    /// When the offer to the team ends (regional only).
    pub fallback_at: Option<i64>,
}

impl Routed {
    fn central() -> Routed {
        Routed {
            team: None,
            region_code: None,
            fallback_at: None,
        }
    }

    /// The decision as stored on the call, made at `at`.
    pub fn offer(&self, at: i64) -> Offer<'_> {
        Offer {
            team: self.team.as_deref(),
            region_code: self.region_code.as_deref(),
            offered_at: self.team.as_ref().map(|_| at),
            fallback_at: self.fallback_at,
        }
    }
}

/// Routes a call on `line` from `locus` at `now` with the configured table.
pub fn decide(state: &AppState, line: &ServiceLineCode, locus: &Locus, now: i64) -> Routed {
    let (chain, region_code): (Vec<String>, Option<String>) = match locus {
        Locus::Point(p) => {
            let located = match Position::from_lon_lat(p.lon(), p.lat()) {
                Ok(at) => state.geo.locate(at),
                Err(_) => return Routed::central(),
            };
            let chain = located
                .region_chain
                .iter()
                .filter(|l| l.inside)
                .map(|l| l.code.clone())
                .collect();
            (chain, located.region_code().map(str::to_owned))
        }
        Locus::Region(code) => {
            // "21.71.06" → ["21", "21.71", "21.71.06"]: Kemendagri codes nest by prefix.
            let parts: Vec<&str> = code.split('.').collect();
            let chain = (1..=parts.len()).map(|n| parts[..n].join(".")).collect();
            (chain, Some(code.clone()))
        }
        Locus::Unknown => (Vec::new(), None),
    };
    let table = &state.config.routing.lines;
    let decision = table.route(line, &chain);
    let fallback_at = table
        .fallback_at(line, &decision, Timestamp(now))
        .map(|t| t.0);
    Routed {
        team: match decision {
            RouteDecision::Central => None,
            RouteDecision::Regional(TeamId(t)) => Some(t),
        },
        region_code,
        fallback_at,
    }
}

/// The caller's locus, sent by the call taker.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteRequest {
    /// A region code the caller named (Kemendagri, e.g. `21.71`), or …
    pub region_code: Option<ShortText>,
    /// … a position: longitude and latitude in degrees.
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// The locus a [`RouteRequest`] names: a known region, or a valid position.
async fn locus(state: &AppState, req: RouteRequest) -> ApiResult<Locus> {
    match (req.region_code, req.lon, req.lat) {
        (Some(code), None, None) => {
            if state.store.get_region(&code).await.is_err() {
                return Err(ApiError::validation("region_code", "no such region"));
            }
            Ok(Locus::Region(code.into()))
        }
        (None, Some(lon), Some(lat)) => {
            let at = Position::from_lon_lat(lon, lat).map_err(|e| {
                let field = match e {
                    InvalidPosition::Longitude => "lon",
                    InvalidPosition::Latitude => "lat",
                };
                ApiError::validation(field, e.to_string())
            })?;
            Ok(Locus::Point(at))
        }
        _ => Err(ApiError::validation(
            "region_code",
            "send either region_code, or lon and lat",
        )),
    }
}

fn is_live(call: &CallRow) -> bool {
    call.ended_at.is_none() && matches!(call.status.as_str(), "ringing" | "answered" | "classified")
}

fn tiered_line(state: &AppState, call: &CallRow) -> ApiResult<ServiceLineCode> {
    let line = ServiceLineCode::parse(&call.service_line)
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    if state.config.routing.lines.is_tiered(&line) {
        Ok(line)
    } else {
        Err(ApiError::validation(
            "service_line",
            format!(
                "line `{}` is not tiered; its calls stay with the central team",
                line.as_str()
            ),
        ))
    }
}

/// Routes a call by the caller's locus (a tiered line only): offered to the regional team serving it, or kept
/// central. A call already taken by a regional team, or ended, cannot be routed again.
pub async fn route(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: RouteRequest,
) -> ApiResult<CallView> {
    let locus = locus(state, req).await?;
    let call = calls::load(state, actor, id).await?;
    let line = tiered_line(state, &call)?;
    if !is_live(&call) || call.taken_at.is_some() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "the call has ended or a regional team has taken it; it cannot be routed again",
        ));
    }
    let now = state.now_ms();
    let routed = decide(state, &line, &locus, now);
    let mut set = ChangeSet::new(now);
    set.push(stmts::route(id, &routed.offer(now), now, call.updated_at));
    set.event(routed_event(id, &routed, "locus"));
    set.audit(common::audit(
        actor,
        now,
        "call.route",
        "call",
        id,
        Some(json!({"routed_to": call.routed_to, "region_code": call.region_code})),
        Some(json!({"routed_to": routed.team, "region_code": routed.region_code})),
    ));
    state.store.commit(set).await?;
    calls::view(state, id).await
}

/// The `call.routed` event of a decision; `reason` says what it was made from (`aml`, `locus`, `fallback`).
pub(crate) fn routed_event(call_id: &str, routed: &Routed, reason: &str) -> NewEvent {
    let tier = if routed.team.is_some() {
        "regional"
    } else {
        "central"
    };
    DomainEvent::CallRouted(CallRouted {
        call_id: call_id.to_owned(),
        tier: tier.to_owned(),
        team_id: routed.team.clone(),
        region_code: routed.region_code.clone(),
        fallback_at: routed.fallback_at,
        reason: reason.to_owned(),
    })
    .to(&calls::reach(routed.region_code.as_deref()))
}

/// Whether `actor` may pick up `call` at `now`: a call offered to a regional team (not yet fallen back)
/// belongs to that team only. Returns true when picking it up takes the offer. Once the fallback instant has
/// passed the call is the central team's, even before the fallback job has recorded it.
pub fn check_pick_up(actor: &Actor, call: &CallRow, now: i64) -> ApiResult<bool> {
    let Some(team) = call.routed_to.as_deref() else {
        return Ok(false);
    };
    let fallen_back = call.fell_back_at.is_some() || call.fallback_at.is_some_and(|t| now >= t);
    if fallen_back || call.taken_at.is_some() {
        return Ok(false);
    }
    if actor.user.team_id.as_deref() == Some(team) {
        Ok(true)
    } else {
        Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "the call is offered to team `{team}` until it falls back to the central team at {}",
                call.fallback_at.unwrap_or_default()
            ),
        ))
    }
}

/// A member of the regional team takes a call offered to it (before the fallback); a ringing call is answered
/// by taking it, which stops its answer clock.
pub async fn take(state: &AppState, actor: &Actor, id: &str) -> ApiResult<CallView> {
    let Some(team) = actor.user.team_id.clone() else {
        return Err(ApiError::forbidden(
            "only members of a regional team take offered calls",
        ));
    };
    let call = calls::load(state, actor, id).await?;
    let now = state.now_ms();
    let offered_to_me = call.routed_to.as_deref() == Some(team.as_str())
        && call.taken_at.is_none()
        && call.fell_back_at.is_none()
        && call.fallback_at.is_none_or(|t| now < t)
        && is_live(&call);
    if !offered_to_me {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            format!(
                "the call is not offered to team `{team}` (taken, fallen back to central, or ended)"
            ),
        ));
    }
    let mut set = ChangeSet::new(now);
    set.push(stmts::take(id, &team, &actor.user.id, now));
    let reach = calls::reach(call.place_region.as_deref());
    if call.status == "ringing" {
        let clocks = state.store.subject_clocks("call", id).await?;
        common::stop_clocks(&mut set, &clocks, &[SlaKind::Answer], now, &reach);
    }
    set.event(
        DomainEvent::CallTaken(CallTaken {
            call_id: id.to_owned(),
            team_id: team.clone(),
            by: actor.user.id.clone(),
        })
        .to(&reach),
    );
    set.audit(common::audit(
        actor,
        now,
        "call.take",
        "call",
        id,
        Some(json!({"status": call.status, "call_taker_id": call.call_taker_id})),
        Some(json!({"taken_by": actor.user.id, "team_id": team})),
    ));
    state.store.commit(set).await?;
    calls::view(state, id).await
}

/// Hands every offer that has run out back to the central team, each in its own change. Returns the fallback
/// instant (ms) of the soonest offer still running, if any, so the caller knows when to look again.
pub async fn fall_back_due(state: &AppState) -> StoreResult<Option<i64>> {
    let now = state.clock.now();
    let table = &state.config.routing.lines;
    let mut next: Option<i64> = None;
    for call in state.store.calls_awaiting_fallback(FALLBACK_BATCH).await? {
        let (Some(team), Some(offered_at)) = (call.routed_to.clone(), call.offered_at) else {
            continue;
        };
        let due = match ServiceLineCode::parse(&call.service_line) {
            // The core decides; a line no longer configured falls back at once.
            Ok(line) if table.is_tiered(&line) => {
                let offer = RouteDecision::Regional(TeamId(team.clone()));
                table.on_timeout(&line, &offer, Timestamp(offered_at), now)
                    == RouteDecision::Central
            }
            _ => true,
        };
        if due {
            fall_back(state, &call, &team, now.0).await?;
        } else {
            let at = call.fallback_at.unwrap_or(now.0);
            next = Some(next.map_or(at, |n| n.min(at)));
        }
    }
    Ok(next)
}

/// Hands one call that `team` did not take back to the central team (a system change: no actor).
async fn fall_back(state: &AppState, call: &CallRow, team: &str, now: i64) -> StoreResult<()> {
    let mut set = ChangeSet::new(now);
    set.push(stmts::fall_back(&call.id, team, now));
    let routed = Routed {
        team: None,
        region_code: call.region_code.clone(),
        fallback_at: None,
    };
    set.event(routed_event(&call.id, &routed, "fallback"));
    set.audit(AuditEntry {
        at: now,
        actor_id: None,
        actor_role: None,
        action: "call.fallback".into(),
        subject_type: "call".into(),
        subject_id: Some(call.id.clone()),
        before: Some(json!({"routed_to": team})),
        after: Some(json!({"routed_to": null})),
        detail: None,
    });
    match state.store.commit(set).await {
        // Taken (or routed again) at the same moment: nothing to do.
        Ok(_) | Err(StoreError::Stale { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}
