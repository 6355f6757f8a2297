//! Tiered service lines and follow-up call tasks: the HTTP side of `siaga_core::routing`.
//!
//! A call on a tiered line (`[[routing.lines]]`) is offered to the regional team serving the caller's region
//! (from the AML fix when the call arrives, or from the locus the central call taker learns and sends with
//! `POST /calls/{id}/route`), and stays central otherwise. Only that team may take the call until its
//! fallback instant; the [`fallback`] task then hands it back to the central team. Lines with a follow-up
//! programme (`[[routing.follow_ups]]`) get call-back tasks scheduled from a call, each closed with an
//! outcome; an outcome that ends the series cancels the remaining tasks.

use super::calls::{CallView, call_audience, load_call};
use super::error::{ApiError, ApiResult, ErrorCode};
use super::extract::{Actor, AppJson, AppQuery};
use crate::service::common;
use crate::state::AppState;
use crate::store::{AuditEntry, CallRow, ChangeSet, FollowUpFilter, FollowUpRow, Stmt, StoreError};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use siaga_core::call::ServiceLineCode;
use siaga_core::position::Position;
use siaga_core::role::Role;
use siaga_core::routing::{FollowUpOutcome, RouteDecision, TeamId};
use siaga_core::sla::SlaKind;
use siaga_core::time::Timestamp;
use std::time::Duration;

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
    pub region_code: Option<String>,
    /// … a position: longitude and latitude in degrees.
    pub lon: Option<f64>,
    pub lat: Option<f64>,
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
#[utoipa::path(post, path = "/api/v1/calls/{id}/route", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RouteRequest, responses(
    (status = 200, body = CallView),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody, description = "ended, or already taken by a regional team"),
    (status = 422, body = super::error::ErrorBody),
))]
pub async fn route_call(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<RouteRequest>,
) -> ApiResult<Json<CallView>> {
    actor.require(&[Role::CallTaker, Role::Supervisor])?;
    let locus = match (req.region_code, req.lon, req.lat) {
        (Some(code), None, None) => {
            if state.store.get_region(&code).await.is_err() {
                return Err(ApiError::validation("region_code", "no such region"));
            }
            Locus::Region(code)
        }
        (None, Some(lon), Some(lat)) => {
            Locus::Point(Position::from_lon_lat(lon, lat).map_err(|e| {
                let field = match e {
                    siaga_core::position::InvalidPosition::Longitude => "lon",
                    siaga_core::position::InvalidPosition::Latitude => "lat",
                };
                ApiError::validation(field, e.to_string())
            })?)
        }
        _ => {
            return Err(ApiError::validation(
                "region_code",
                "send either region_code, or lon and lat",
            ));
        }
    };
    let call = load_call(&state, &id).await?;
    let line = tiered_line(&state, &call)?;
    if !is_live(&call) || call.taken_at.is_some() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "the call has ended or a regional team has taken it; it cannot be routed again",
        ));
    }
    let now = state.now_ms();
    let routed = decide(&state, &line, &locus, now);
    let mut set = ChangeSet::new(now);
    set.push(
        Stmt::new(
            "UPDATE calls SET routed_to = $2, region_code = $3, offered_at = $4, fallback_at = $5, \
             fell_back_at = NULL, updated_at = $6 \
             WHERE id = $1 AND taken_at IS NULL AND ended_at IS NULL AND updated_at = $7",
        )
        .text(&id)
        .opt_text(routed.team.clone())
        .opt_text(routed.region_code.clone())
        .opt_int(routed.team.as_ref().map(|_| now))
        .opt_int(routed.fallback_at)
        .int(now)
        .int(call.updated_at)
        .expect(1),
    );
    set.event(routed_event(&id, &routed, "locus"));
    set.audit(common::audit(
        &actor,
        now,
        "call.route",
        "call",
        &id,
        Some(json!({"routed_to": call.routed_to, "region_code": call.region_code})),
        Some(json!({"routed_to": routed.team, "region_code": routed.region_code})),
    ));
    state.store.commit(set).await?;
    Ok(Json(state.store.get_call(&id).await?.into()))
}

/// The `call.routed` event.
pub fn routed_event(call_id: &str, routed: &Routed, reason: &str) -> crate::store::NewEvent {
    common::event(
        "call.routed",
        &call_audience(),
        json!({"call_id": call_id, "tier": if routed.team.is_some() { "regional" } else { "central" },
               "team_id": routed.team, "region_code": routed.region_code,
               "fallback_at": routed.fallback_at, "reason": reason}),
    )
}

/// Whether `actor` may pick up `call` at `now`: a call offered to a regional team (not yet fallen back)
/// belongs to that team only. Returns true when picking it up takes the offer. Once the fallback instant has
/// passed the call is the central team's, even before the fallback task has recorded it.
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
/// by taking it.
#[utoipa::path(post, path = "/api/v1/calls/{id}/take", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 200, body = CallView),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody, description = "not offered to this team, or fallen back"),
))]
pub async fn take_call(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<CallView>> {
    actor.require(&[Role::CallTaker])?;
    let Some(team) = actor.user.team_id.clone() else {
        return Err(ApiError::forbidden(
            "only members of a regional team take offered calls",
        ));
    };
    let call = load_call(&state, &id).await?;
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
    set.push(
        Stmt::new(
            "UPDATE calls SET taken_at = $2, taken_by = $3, call_taker_id = $3, \
             status = CASE WHEN status = 'ringing' THEN 'answered' ELSE status END, \
             answered_at = COALESCE(answered_at, $2), updated_at = $2 \
             WHERE id = $1 AND routed_to = $4 AND taken_at IS NULL AND fell_back_at IS NULL AND ended_at IS NULL",
        )
        .text(&id)
        .int(now)
        .text(&actor.user.id)
        .text(&team)
        .expect(1),
    );
    let audience = call_audience();
    if call.status == "ringing" {
        let clocks = state.store.subject_clocks("call", &id).await?;
        common::stop_clocks(&mut set, &clocks, &[SlaKind::Answer], now, &audience);
    }
    set.event(common::event(
        "call.taken",
        &audience,
        json!({"call_id": id, "team_id": team, "by": actor.user.id}),
    ));
    set.audit(common::audit(
        &actor,
        now,
        "call.take",
        "call",
        &id,
        Some(json!({"status": call.status, "call_taker_id": call.call_taker_id})),
        Some(json!({"taken_by": actor.user.id, "team_id": team})),
    ));
    state.store.commit(set).await?;
    Ok(Json(state.store.get_call(&id).await?.into()))
}

/// How often the fallback task looks for new offers when none is due sooner.
const FALLBACK_RESYNC: Duration = Duration::from_millis(500);

/// The fallback task: one instance of the cluster (the `routing-fallback` lease) hands calls that a regional
/// team did not take in time back to the central team, at the moment their offer ends.
pub fn start_fallback(
    state: AppState,
    stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let job_state = state.clone();
    crate::live::lease::spawn_leader_job(
        &state,
        "routing-fallback",
        Duration::from_secs(1),
        stop,
        move || fallback(job_state.clone()),
    )
}

async fn fallback(state: AppState) {
    loop {
        let wait = match fallback_once(&state).await {
            Ok(wait) => wait,
            Err(e) => {
                tracing::warn!(error = %e, "routing fallback pass failed; retrying");
                FALLBACK_RESYNC
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// Falls back every due offer; returns how long to sleep.
pub async fn fallback_once(state: &AppState) -> Result<Duration, StoreError> {
    let now = state.clock.now();
    let table = &state.config.routing.lines;
    let mut next: Option<i64> = None;
    for call in state.store.calls_awaiting_fallback(200).await? {
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
        if !due {
            let at = call.fallback_at.unwrap_or(now.0);
            next = Some(next.map_or(at, |n| n.min(at)));
            continue;
        }
        let mut set = ChangeSet::new(now.0);
        set.push(
            Stmt::new(
                "UPDATE calls SET routed_to = NULL, fell_back_at = $2, updated_at = $2 \
                 WHERE id = $1 AND routed_to = $3 AND taken_at IS NULL AND fell_back_at IS NULL",
            )
            .text(&call.id)
            .int(now.0)
            .text(&team)
            .expect(1),
        );
        let routed = Routed {
            team: None,
            region_code: call.region_code.clone(),
            fallback_at: None,
        };
        set.event(routed_event(&call.id, &routed, "fallback"));
        set.audit(AuditEntry {
            at: now.0,
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
            Ok(_) | Err(StoreError::Stale { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    let wait = next.map_or(FALLBACK_RESYNC, |t| {
        Duration::from_millis(u64::try_from(t - state.now_ms()).unwrap_or(0)).min(FALLBACK_RESYNC)
    });
    Ok(wait)
}

// ---------------------------------------------------------------------------------------------------------------

/// A follow-up call task.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FollowUpView {
    pub id: String,
    pub call_id: String,
    pub service_line: String,
    /// The number to call back (personal data; listing follow-ups is audited).
    pub ani: String,
    /// 1 for the first follow-up.
    pub ordinal: i64,
    pub day_offset: i64,
    pub due_at: i64,
    /// `pending`, `done` or `cancelled` (an earlier outcome ended the series).
    pub status: String,
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub attempted_at: Option<i64>,
    pub by_user_id: Option<String>,
}

impl From<FollowUpRow> for FollowUpView {
    fn from(r: FollowUpRow) -> Self {
        FollowUpView {
            id: r.id,
            call_id: r.call_id,
            service_line: r.service_line,
            ani: r.ani,
            ordinal: r.ordinal,
            day_offset: r.day_offset,
            due_at: r.due_at,
            status: r.status,
            outcome: r.outcome,
            note: r.note,
            attempted_at: r.attempted_at,
            by_user_id: r.by_user_id,
        }
    }
}

const FOLLOW_UP_ROLES: &[Role] = &[Role::CallTaker, Role::Supervisor];

fn follow_up_audience() -> crate::events::Reach {
    call_audience()
}

/// Schedules the follow-up programme of the call's line (one task per configured day offset, counted from
/// the call's first ring). A call is enrolled once.
#[utoipa::path(post, path = "/api/v1/calls/{id}/follow-ups", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), responses(
    (status = 201, body = Vec<FollowUpView>),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody, description = "already scheduled, or the call was never answered"),
    (status = 422, body = super::error::ErrorBody, description = "the line has no follow-up programme"),
))]
pub async fn schedule_follow_ups(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<Vec<FollowUpView>>)> {
    actor.require(FOLLOW_UP_ROLES)?;
    let call = load_call(&state, &id).await?;
    let line = ServiceLineCode::parse(&call.service_line)
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    let Some(rule) = state.config.routing.follow_up_rule(&line) else {
        return Err(ApiError::validation(
            "service_line",
            format!("line `{}` has no follow-up programme", line.as_str()),
        ));
    };
    if call.answered_at.is_none() {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "only an answered call can be enrolled for follow-ups",
        ));
    }
    let now = state.now_ms();
    let mut set = ChangeSet::new(now);
    for task in rule.schedule(Timestamp(call.ring_at)) {
        set.push(
            Stmt::new(
                "INSERT INTO follow_ups (id, call_id, service_line, ani, ordinal, day_offset, due_at, status, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8)",
            )
            .text(uuid::Uuid::now_v7().to_string())
            .text(&id)
            .text(line.as_str())
            .text(&call.ani)
            .int(i64::from(task.ordinal))
            .int(i64::from(task.day_offset))
            .int(task.due_at.0)
            .int(now),
        );
    }
    set.event(common::event(
        "call.follow_up_scheduled",
        &follow_up_audience(),
        json!({"call_id": id, "service_line": line.as_str(), "count": rule.day_offsets().len()}),
    ));
    set.audit(common::audit(
        &actor,
        now,
        "follow_up.schedule",
        "call",
        &id,
        None,
        Some(json!({"day_offsets": rule.day_offsets()})),
    ));
    state.store.commit(set).await.map_err(|e| match e {
        StoreError::Conflict { .. } => ApiError::new(
            ErrorCode::Conflict,
            "follow-ups are already scheduled for this call",
        ),
        other => other.into(),
    })?;
    let rows = state
        .store
        .follow_ups(&FollowUpFilter {
            call_id: Some(id),
            limit: 1000,
            ..FollowUpFilter::default()
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(rows.into_iter().map(FollowUpView::from).collect()),
    ))
}

/// Query of [`list_follow_ups`].
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FollowUpQuery {
    /// `pending` (default), `done`, `cancelled` or `all`.
    pub status: Option<String>,
    pub service_line: Option<String>,
    pub call_id: Option<String>,
    /// Only tasks due at or before this instant (ms); `now` for the outbound team's work list.
    pub due_before: Option<i64>,
    pub limit: Option<u32>,
}

/// The outbound team's follow-up tasks, soonest due first. Reading them is audited (they carry numbers).
#[utoipa::path(get, path = "/api/v1/follow-ups", tag = "calls", security(("bearer" = [])),
    params(FollowUpQuery), responses(
    (status = 200, body = Vec<FollowUpView>),
    (status = 403, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody),
))]
pub async fn list_follow_ups(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<FollowUpQuery>,
) -> ApiResult<Json<Vec<FollowUpView>>> {
    actor.require(&[Role::CallTaker, Role::Supervisor, Role::Admin])?;
    let status = match q.status.as_deref().unwrap_or("pending") {
        "all" => None,
        s @ ("pending" | "done" | "cancelled") => Some(s.to_owned()),
        _ => {
            return Err(ApiError::validation(
                "status",
                "status must be pending, done, cancelled or all",
            ));
        }
    };
    let rows = state
        .store
        .follow_ups(&FollowUpFilter {
            status,
            service_line: q.service_line,
            call_id: q.call_id,
            due_before: q.due_before,
            limit: i64::from(q.limit.unwrap_or(200).clamp(1, 1000)),
        })
        .await?;
    state
        .store
        .append_audit(&common::audit(
            &actor,
            state.now_ms(),
            "follow_up.read_personal",
            "follow_up",
            "*",
            None,
            Some(json!({"count": rows.len()})),
        ))
        .await?;
    Ok(Json(rows.into_iter().map(FollowUpView::from).collect()))
}

/// The result of one follow-up attempt.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRequest {
    pub outcome: FollowUpOutcome,
    pub note: Option<String>,
}

/// Records the outcome of a follow-up call. `refused`, `wrong_number` and `completed` end the series: the
/// remaining tasks of the call are cancelled.
#[utoipa::path(post, path = "/api/v1/follow-ups/{id}/outcome", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = OutcomeRequest, responses(
    (status = 200, body = FollowUpView),
    (status = 403, body = super::error::ErrorBody),
    (status = 404, body = super::error::ErrorBody),
    (status = 409, body = super::error::ErrorBody, description = "already recorded or cancelled"),
    (status = 422, body = super::error::ErrorBody),
))]
pub async fn record_follow_up_outcome(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<OutcomeRequest>,
) -> ApiResult<Json<FollowUpView>> {
    actor.require(FOLLOW_UP_ROLES)?;
    let task = state.store.get_follow_up(&id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("follow-up"),
        other => other.into(),
    })?;
    if task.status != "pending" {
        return Err(ApiError::new(
            ErrorCode::InvalidTransition,
            format!(
                "this follow-up is {}; only a pending one takes an outcome",
                task.status
            ),
        )
        .with_field("status")
        .with_allowed(Vec::new()));
    }
    let now = state.now_ms();
    let mut set = ChangeSet::new(now);
    set.push(
        Stmt::new(
            "UPDATE follow_ups SET status = 'done', outcome = $2, note = $3, attempted_at = $4, by_user_id = $5 \
             WHERE id = $1 AND status = 'pending'",
        )
        .text(&id)
        .text(req.outcome.as_str())
        .opt_text(req.note.clone())
        .int(now)
        .text(&actor.user.id)
        .expect(1),
    );
    if req.outcome.ends_series() {
        set.push(
            Stmt::new(
                "UPDATE follow_ups SET status = 'cancelled' WHERE call_id = $1 AND status = 'pending' AND id <> $2",
            )
            .text(&task.call_id)
            .text(&id),
        );
    }
    set.event(common::event(
        "call.follow_up_recorded",
        &follow_up_audience(),
        json!({"follow_up_id": id, "call_id": task.call_id, "ordinal": task.ordinal,
               "outcome": req.outcome, "ends_series": req.outcome.ends_series(), "by": actor.user.id}),
    ));
    set.audit(common::audit(
        &actor,
        now,
        "follow_up.outcome",
        "follow_up",
        &id,
        Some(json!({"status": task.status})),
        Some(json!({"status": "done", "outcome": req.outcome, "note": req.note})),
    ));
    state.store.commit(set).await?;
    Ok(Json(state.store.get_follow_up(&id).await?.into()))
}
