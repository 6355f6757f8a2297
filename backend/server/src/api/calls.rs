//! Calls: arrival (with Advanced Mobile Location), answer, classification, end.

use super::error::{ApiError, ApiResult, ErrorCode};
use super::extract::{Actor, AppJson, AppQuery};
use crate::events::Reach;
use crate::service::common;
use crate::state::AppState;
use crate::store::{CallRow, ChangeSet, Stmt, StoreError};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use siaga_core::aml::{self, AmlFix};
use siaga_core::call::{
    Ani, CallClass, CallStatus, Channel, PriorCall, ServiceLineCode, prank_flag,
};
use siaga_core::role::Role;
use siaga_core::sla::SlaKind;
use siaga_core::time::Timestamp;
use siaga_core::transition::Lifecycle;

/// A caller position from AML.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AmlView {
    pub lon: f64,
    pub lat: f64,
    /// Uncertainty radius in metres.
    pub radius_m: f64,
    /// When the phone computed it (ms since the epoch).
    pub at: i64,
    /// The raw payload as received.
    pub raw: String,
}

/// A call.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CallView {
    pub id: String,
    /// Caller number (personal data; reading a call is audited).
    pub ani: String,
    pub channel: String,
    pub service_line: String,
    pub status: String,
    pub class: Option<String>,
    pub ring_at: i64,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub call_taker_id: Option<String>,
    pub aml: Option<AmlView>,
    /// The number is a repeat prank caller.
    pub prank_flag: bool,
    pub incident_id: Option<String>,
    pub notes: Option<String>,
    /// Where a tiered line routed the call (always `central` on other lines).
    pub route: CallRoute,
}

/// The routing state of a call on a tiered service line.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CallRoute {
    /// `central` or `regional`.
    pub tier: String,
    /// The regional team the call is offered to or was taken by.
    pub team_id: Option<String>,
    /// The region the routing decision used (the caller's locus).
    pub region_code: Option<String>,
    /// When the call was offered to the regional team.
    pub offered_at: Option<i64>,
    /// When it falls back to central unless the team takes it first.
    pub fallback_at: Option<i64>,
    /// When a team member took it, and who.
    pub taken_at: Option<i64>,
    pub taken_by: Option<String>,
    /// When it fell back to central because the team did not take it in time.
    pub fell_back_at: Option<i64>,
}

impl From<CallRow> for CallView {
    fn from(c: CallRow) -> Self {
        let aml = match (c.aml_lon, c.aml_lat, c.aml_radius_m, c.aml_at, c.aml_raw) {
            (Some(lon), Some(lat), Some(radius_m), Some(at), Some(raw)) => Some(AmlView {
                lon,
                lat,
                radius_m,
                at,
                raw,
            }),
            _ => None,
        };
        CallView {
            id: c.id,
            ani: c.ani,
            channel: c.channel,
            service_line: c.service_line,
            status: c.status,
            class: c.class,
            ring_at: c.ring_at,
            answered_at: c.answered_at,
            ended_at: c.ended_at,
            call_taker_id: c.call_taker_id,
            aml,
            prank_flag: c.prank_flag,
            incident_id: c.incident_id,
            notes: c.notes,
            route: CallRoute {
                tier: if c.routed_to.is_some() {
                    "regional"
                } else {
                    "central"
                }
                .to_owned(),
                team_id: c.routed_to,
                region_code: c.region_code,
                offered_at: c.offered_at,
                fallback_at: c.fallback_at,
                taken_at: c.taken_at,
                taken_by: c.taken_by,
                fell_back_at: c.fell_back_at,
            },
        }
    }
}

/// A call arriving.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCallRequest {
    /// Caller number as the network delivered it.
    pub ani: String,
    pub channel: Channel,
    /// `112` by default; `110` or a configured line name such as `quitline`.
    pub service_line: Option<String>,
    /// When it started ringing (ms); now when absent.
    pub ring_at: Option<i64>,
    /// Raw AML payload (SMS `A"ML=1;…` form or the HTTPS key=value form).
    pub aml: Option<String>,
}

/// An AML payload arriving after the call.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmlRequest {
    pub payload: String,
}

/// The call taker's classification.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    pub class: CallClass,
    pub notes: Option<String>,
}

/// Query of [`list_calls`].
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CallQuery {
    pub status: Option<CallStatus>,
    pub limit: Option<u32>,
}

const CALL_ROLES: &[Role] = &[Role::CallTaker, Role::Supervisor, Role::Admin];

/// Parses an AML payload in either wire form; errors name the AML field at fault.
pub fn parse_aml(raw: &str) -> ApiResult<AmlFix> {
    let trimmed = raw.trim();
    let parsed = if trimmed.starts_with("A\"ML=") {
        aml::parse_sms(trimmed)
    } else {
        aml::parse_https(trimmed)
    };
    parsed.map_err(|e| {
        let field = e
            .field
            .map_or_else(|| "aml".to_owned(), |f| format!("aml.{f}"));
        ApiError::validation(field, format!("AML payload refused: {e}"))
    })
}

/// A [`CreateCallRequest`] with its fields parsed.
#[derive(Debug)]
pub struct CheckedCall {
    pub ani: Ani,
    pub line: ServiceLineCode,
    /// When it started ringing (ms), defaulted to now.
    pub ring_at: i64,
    pub fix: Option<AmlFix>,
}

/// Checks a new call's fields on their own (no database). Pure: `now` is the server clock in ms.
///
/// # Errors
///
/// 422 naming the field at fault (`ani`, `service_line`, `ring_at`, or `aml.<AML field>`).
pub fn check_new_call(req: &CreateCallRequest, now: i64) -> ApiResult<CheckedCall> {
    let ani = Ani::parse(&req.ani).map_err(|e| ApiError::validation("ani", e.to_string()))?;
    let line = match req.service_line.as_deref() {
        Some(l) => ServiceLineCode::parse(l)
            .map_err(|e| ApiError::validation("service_line", e.to_string()))?,
        None => ServiceLineCode::emergency(),
    };
    let ring_at = req.ring_at.unwrap_or(now);
    if ring_at > now + 60_000 || ring_at < now - 86_400_000 {
        return Err(ApiError::validation(
            "ring_at",
            "ring_at must be within the last day",
        ));
    }
    let fix = req.aml.as_deref().map(parse_aml).transpose()?;
    Ok(CheckedCall {
        ani,
        line,
        ring_at,
        fix,
    })
}

/// Registers an arriving call (call takers, or a telephony/SMS gateway with an `integration` service token).
/// Starts the answer SLA clock, flags repeat prank callers and routes tiered lines.
#[utoipa::path(post, path = "/api/v1/calls", tag = "calls", security(("bearer" = [])),
    request_body = CreateCallRequest, responses(
    (status = 201, body = CallView),
    (status = 403, body = super::error::ErrorBody),
    (status = 422, body = super::error::ErrorBody),
))]
pub async fn create_call(
    State(state): State<AppState>,
    actor: Actor,
    AppJson(req): AppJson<CreateCallRequest>,
) -> ApiResult<(StatusCode, Json<CallView>)> {
    actor.require(&[Role::CallTaker, Role::Admin, Role::Integration])?;
    let now = state.now_ms();
    let CheckedCall {
        ani,
        line,
        ring_at,
        fix,
    } = check_new_call(&req, now)?;
    let rule = state.config.dispatch.prank;
    let history = state
        .store
        .calls_from(ani.as_str(), ring_at - rule.window_ms)
        .await?;
    let parsed: Vec<(Ani, Timestamp, Option<CallClass>)> = history
        .iter()
        .filter_map(|c| {
            Some((
                Ani::parse(&c.ani).ok()?,
                Timestamp(c.ring_at),
                c.class.as_deref().and_then(|k| k.parse().ok()),
            ))
        })
        .collect();
    let verdict = prank_flag(
        &ani,
        Timestamp(ring_at),
        parsed.iter().map(|(a, at, class)| PriorCall {
            ani: a,
            at: *at,
            class: *class,
        }),
        rule,
    );
    let id = uuid::Uuid::now_v7().to_string();
    // A tiered line rings at the regional team serving the AML position, if any.
    let routed = state.config.routing.lines.is_tiered(&line).then(|| {
        let locus = fix.as_ref().map_or(super::routing::Locus::Unknown, |f| {
            super::routing::Locus::Point(f.position)
        });
        super::routing::decide(&state, &line, &locus, now)
    });
    let mut set = ChangeSet::new(now);
    set.push(
        Stmt::new(
            "INSERT INTO calls (id, ani, channel, service_line, status, ring_at, aml_raw, aml_lon, aml_lat, \
             aml_radius_m, aml_at, prank_flag, created_at, updated_at, routed_to, region_code, offered_at, \
             fallback_at) \
             VALUES ($1, $2, $3, $4, 'ringing', $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16)",
        )
        .text(&id)
        .text(ani.as_str())
        .text(req.channel.as_str())
        .text(line.as_str())
        .int(ring_at)
        .opt_text(req.aml.clone())
        .opt_float(fix.as_ref().map(|f| f.position.lon()))
        .opt_float(fix.as_ref().map(|f| f.position.lat()))
        .opt_float(fix.as_ref().map(|f| f.radius_m))
        .opt_int(fix.as_ref().map(|f| f.time.0))
        .boolean(verdict.flagged)
        .int(now)
        .opt_text(routed.as_ref().and_then(|r| r.team.clone()))
        .opt_text(routed.as_ref().and_then(|r| r.region_code.clone()))
        .opt_int(routed.as_ref().and_then(|r| r.team.as_ref().map(|_| now)))
        .opt_int(routed.as_ref().and_then(|r| r.fallback_at)),
    );
    if let Some(r) = &routed {
        set.event(super::routing::routed_event(&id, r, "aml"));
    }
    common::start_clock(
        &mut set,
        "call",
        &id,
        SlaKind::Answer,
        None,
        ring_at,
        state.config.dispatch.sla.answer_target_ms(),
    );
    let audience = call_audience();
    set.event(common::event(
        "call.created",
        &audience,
        json!({"call_id": id, "channel": req.channel, "service_line": line.as_str(),
               "ring_at": ring_at, "ani_masked": ani.masked(), "prank_flag": verdict.flagged,
               "has_aml": fix.is_some()}),
    ));
    set.audit(common::audit(
        &actor,
        now,
        "call.create",
        "call",
        &id,
        None,
        None,
    ));
    state.store.commit(set).await?;
    let call = state.store.get_call(&id).await?;
    Ok((StatusCode::CREATED, Json(call.into())))
}

/// Call events go to call takers and supervisors, not to agencies.
pub(crate) fn call_audience() -> Reach {
    Reach {
        agency_ids: Some(Vec::new()),
        unit_id: None,
        region_code: None,
    }
}

/// Recent calls, newest first (the call takers' queue with `status=ringing`).
#[utoipa::path(get, path = "/api/v1/calls", tag = "calls", security(("bearer" = [])),
    params(CallQuery), responses((status = 200, body = Vec<CallView>), (status = 403, body = super::error::ErrorBody)))]
pub async fn list_calls(
    State(state): State<AppState>,
    actor: Actor,
    AppQuery(q): AppQuery<CallQuery>,
) -> ApiResult<Json<Vec<CallView>>> {
    actor.require(CALL_ROLES)?;
    let limit = i64::from(q.limit.unwrap_or(100).clamp(1, 500));
    let calls = state
        .store
        .list_calls(q.status.map(CallStatus::as_str), limit)
        .await?;
    Ok(Json(calls.into_iter().map(CallView::from).collect()))
}

/// One call. Reading it is audited (the caller's number is personal data).
#[utoipa::path(get, path = "/api/v1/calls/{id}", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = CallView), (status = 403, body = super::error::ErrorBody), (status = 404, body = super::error::ErrorBody)))]
pub async fn get_call(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<CallView>> {
    actor.require(CALL_ROLES)?;
    let call = load_call(&state, &id).await?;
    state
        .store
        .append_audit(&common::audit(
            &actor,
            state.now_ms(),
            "call.read_personal",
            "call",
            &id,
            None,
            None,
        ))
        .await?;
    Ok(Json(call.into()))
}

pub(crate) async fn load_call(state: &AppState, id: &str) -> ApiResult<CallRow> {
    state.store.get_call(id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("call"),
        other => other.into(),
    })
}

fn call_status(call: &CallRow) -> ApiResult<CallStatus> {
    call.status
        .parse()
        .map_err(|e: siaga_core::call::UnknownCallStatus| ApiError::internal(e.into()))
}

fn transition_error(from: CallStatus, to: CallStatus) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidTransition,
        format!("a {from} call cannot become {to}"),
    )
    .with_field("status")
    .with_allowed(
        from.allowed_next()
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
    )
}

/// Commits a status change of a call, guarded on its current status, with its event and audit entry.
async fn change_call(
    state: &AppState,
    actor: &Actor,
    call: &CallRow,
    to: CallStatus,
    update: Stmt,
    action: &str,
    stop_answer_clock: bool,
) -> ApiResult<CallView> {
    let from = call_status(call)?;
    from.transition(to)
        .map_err(|_| transition_error(from, to))?;
    let now = state.now_ms();
    let mut set = ChangeSet::new(now);
    set.push(update.expect(1));
    let audience = call_audience();
    if stop_answer_clock {
        let clocks = state.store.subject_clocks("call", &call.id).await?;
        common::stop_clocks(&mut set, &clocks, &[SlaKind::Answer], now, &audience);
    }
    set.event(common::event(
        "call.updated",
        &audience,
        json!({"call_id": call.id, "status": to, "by": actor.user.id}),
    ));
    set.audit(common::audit(
        actor,
        now,
        action,
        "call",
        &call.id,
        Some(json!({"status": call.status, "class": call.class})),
        Some(json!({"status": to})),
    ));
    state.store.commit(set).await?;
    Ok(state.store.get_call(&call.id).await?.into())
}

/// A call taker picks the call up; stops the answer clock.
#[utoipa::path(post, path = "/api/v1/calls/{id}/answer", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = CallView), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn answer_call(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<CallView>> {
    actor.require(&[Role::CallTaker])?;
    let call = load_call(&state, &id).await?;
    // A call offered to a regional team is theirs until it falls back; their answer takes the offer.
    let now = state.now_ms();
    let takes_offer = super::routing::check_pick_up(&actor, &call, now)?;
    let update = if takes_offer {
        Stmt::new(
            "UPDATE calls SET status = 'answered', answered_at = $2, call_taker_id = $3, updated_at = $2, \
             taken_at = $2, taken_by = $3 WHERE id = $1 AND status = 'ringing' AND taken_at IS NULL \
             AND fell_back_at IS NULL",
        )
    } else {
        Stmt::new(
            "UPDATE calls SET status = 'answered', answered_at = $2, call_taker_id = $3, updated_at = $2 \
             WHERE id = $1 AND status = 'ringing'",
        )
    }
    .text(&id)
    .int(now)
    .text(&actor.user.id);
    Ok(Json(
        change_call(
            &state,
            &actor,
            &call,
            CallStatus::Answered,
            update,
            "call.answer",
            true,
        )
        .await?,
    ))
}

/// Sets the call's class. `abandoned` is set by the system only.
#[utoipa::path(post, path = "/api/v1/calls/{id}/classify", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = ClassifyRequest,
    responses((status = 200, body = CallView), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn classify_call(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<ClassifyRequest>,
) -> ApiResult<Json<CallView>> {
    actor.require(&[Role::CallTaker])?;
    if req.class == CallClass::Abandoned {
        return Err(ApiError::validation(
            "class",
            "abandoned is set by the system when a caller hangs up before answer",
        ));
    }
    let call = load_call(&state, &id).await?;
    let now = state.now_ms();
    let update = Stmt::new(
        "UPDATE calls SET status = 'classified', class = $2, classified_at = $3, notes = $4, updated_at = $3 \
         WHERE id = $1 AND status = 'answered'",
    )
    .text(&id)
    .text(req.class.as_str())
    .int(now)
    .opt_text(req.notes);
    Ok(Json(
        change_call(
            &state,
            &actor,
            &call,
            CallStatus::Classified,
            update,
            "call.classify",
            false,
        )
        .await?,
    ))
}

/// The line closes: an answered call ends; a ringing one is abandoned.
#[utoipa::path(post, path = "/api/v1/calls/{id}/end", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), responses((status = 200, body = CallView), (status = 403, body = super::error::ErrorBody), (status = 409, body = super::error::ErrorBody)))]
pub async fn end_call(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
) -> ApiResult<Json<CallView>> {
    actor.require(&[Role::CallTaker, Role::Admin, Role::Integration])?;
    let call = load_call(&state, &id).await?;
    let from = call_status(&call)?;
    let to = from
        .on_hang_up()
        .ok_or_else(|| transition_error(from, CallStatus::Ended))?;
    let now = state.now_ms();
    let update = if to == CallStatus::Abandoned {
        Stmt::new(
            "UPDATE calls SET status = 'abandoned', class = 'abandoned', ended_at = $2, updated_at = $2 \
             WHERE id = $1 AND status = 'ringing'",
        )
    } else {
        Stmt::new(
            "UPDATE calls SET status = 'ended', ended_at = $2, updated_at = $2 \
             WHERE id = $1 AND status IN ('answered', 'classified')",
        )
    }
    .text(&id)
    .int(now);
    Ok(Json(
        change_call(
            &state,
            &actor,
            &call,
            to,
            update,
            "call.end",
            to == CallStatus::Abandoned,
        )
        .await?,
    ))
}

/// Attaches an AML payload that arrived after the call was created.
#[utoipa::path(post, path = "/api/v1/calls/{id}/aml", tag = "calls", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AmlRequest,
    responses((status = 200, body = CallView), (status = 403, body = super::error::ErrorBody), (status = 422, body = super::error::ErrorBody)))]
pub async fn attach_aml(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<String>,
    AppJson(req): AppJson<AmlRequest>,
) -> ApiResult<Json<CallView>> {
    actor.require(&[Role::CallTaker, Role::Admin, Role::Integration])?;
    let fix = parse_aml(&req.payload)?;
    load_call(&state, &id).await?;
    let now = state.now_ms();
    let mut set = ChangeSet::new(now);
    set.push(
        Stmt::new(
            "UPDATE calls SET aml_raw = $2, aml_lon = $3, aml_lat = $4, aml_radius_m = $5, aml_at = $6, \
             updated_at = $7 WHERE id = $1",
        )
        .text(&id)
        .text(&req.payload)
        .float(fix.position.lon())
        .float(fix.position.lat())
        .float(fix.radius_m)
        .int(fix.time.0)
        .int(now)
        .expect(1),
    );
    set.event(common::event(
        "call.updated",
        &call_audience(),
        json!({"call_id": id, "has_aml": true}),
    ));
    set.audit(common::audit(
        &actor, now, "call.aml", "call", &id, None, None,
    ));
    state.store.commit(set).await?;
    Ok(Json(state.store.get_call(&id).await?.into()))
}
