//! Calls: arrival (with Advanced Mobile Location), reading, answer, classification, end and a late AML fix.
//!
//! A call arrives ringing: its number is normalised, its service line checked, a repeat prank caller flagged
//! (`siaga_core::call::prank_flag`), its answer SLA clock started, and a call on a tiered line offered to the
//! regional team serving the AML position ([`super::routing`]). Its status then moves only along
//! `siaga_core::call::CallStatus`'s lifecycle, each step guarded on the status it leaves. Reading a call, one
//! or in a list, is audited: it carries the caller's number. Call events go to the desk (call takers,
//! supervisors, admins) of the call's region, never to agencies, and carry the number only masked.
//!
//! Scope (`siaga_core::scope`): a call belongs to the region of its incident, else of the caller's locus (the
//! AML fix located at arrival or when it comes late, or the locus a call taker routes by); a call of no region
//! yet is the whole desk's. A region-scoped call taker or supervisor reads and works only the calls of its
//! region; an integration account (a telephony gateway) only the calls it registered itself. The AML fix is
//! frozen once the call is classified or linked to an incident. An abandoned call, or one classified ghost, gets
//! its call-back task ([`super::call_backs`]) in the same change as the step. A `test` call (the start-of-shift
//! test) is an ordinary call on the line that leads to nothing and counts in no KPI.

use super::common;
use super::routing::{self, Locus};
use crate::auth::{Actor, out_of_region};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::call::{CallCreated, CallUpdated};
use crate::events::{DomainEvent, Reach};
use crate::limits::{AmlPayload, LongText, ShortText};
use crate::state::AppState;
use crate::store::calls::{self as stmts, CallFilter, NewCall};
use crate::store::{AuditEntry, CallRow, ChangeSet, Stmt, StoreError};
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

/// Who may read calls (they carry the caller's number).
pub const READ_ROLES: &[Role] = &[Role::CallTaker, Role::Supervisor, Role::Admin];

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
        let tier = if c.routed_to.is_some() {
            "regional"
        } else {
            "central"
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
                tier: tier.to_owned(),
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
    pub ani: ShortText,
    pub channel: Channel,
    /// `112` by default; `110` or a configured line name such as `quitline`.
    pub service_line: Option<ShortText>,
    /// When it started ringing (ms); now when absent.
    pub ring_at: Option<i64>,
    /// Raw AML payload (SMS `A"ML=1;…` form or the HTTPS key=value form).
    pub aml: Option<AmlPayload>,
}

/// An AML payload arriving after the call.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AmlRequest {
    pub payload: AmlPayload,
}

/// The call taker's classification.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    pub class: CallClass,
    pub notes: Option<LongText>,
}

/// Query of `GET /calls`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CallQuery {
    pub status: Option<CallStatus>,
    /// Only the calls the caller answered (its own desk's): what a call taker's console reads back after a
    /// reload.
    pub mine: Option<bool>,
    /// Only calls still on the line (`ringing`, `answered` or `classified`): not ended or abandoned.
    pub open: Option<bool>,
    pub limit: Option<u32>,
}

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

/// Call events go to call takers and supervisors of the call's region (`None`: every region), not to agencies.
pub fn reach(region: Option<&str>) -> Reach {
    Reach::desk(region.map(str::to_owned))
}

/// The region of a position, as the geo index knows it.
fn region_at(state: &AppState, fix: &AmlFix) -> Option<String> {
    state
        .geo
        .locate(fix.position)
        .region_code()
        .map(str::to_owned)
}

/// Registers an arriving call: flags a repeat prank caller, offers a call on a tiered line to the regional
/// team serving its AML position, and starts the answer clock.
pub async fn register(
    state: &AppState,
    actor: &Actor,
    req: CreateCallRequest,
) -> ApiResult<CallView> {
    let now = state.now_ms();
    let call = check_new_call(&req, now)?;
    let prank = is_repeat_prank(state, &call.ani, call.ring_at).await?;
    let id = uuid::Uuid::now_v7().to_string();
    // A tiered line rings at the regional team serving the AML position, if any.
    let routed = state.config.routing.lines.is_tiered(&call.line).then(|| {
        let locus = call
            .fix
            .as_ref()
            .map_or(Locus::Unknown, |f| Locus::Point(f.position));
        routing::decide(state, &call.line, &locus, now)
    });
    let located = match &routed {
        Some(r) => r.region_code.clone(),
        None => call.fix.as_ref().and_then(|f| region_at(state, f)),
    };
    let offer = match &routed {
        Some(r) => r.offer(now),
        None => stmts::Offer {
            region_code: located.as_deref(),
            ..stmts::Offer::default()
        },
    };
    let mut set = ChangeSet::new(now);
    set.push(stmts::insert(&NewCall {
        id: &id,
        ani: call.ani.as_str(),
        channel: req.channel.as_str(),
        service_line: call.line.as_str(),
        ring_at: call.ring_at,
        aml: req.aml.as_deref().zip(call.fix.as_ref()),
        prank_flag: prank,
        offer,
        created_by: &actor.user.id,
        at: now,
    }));
    if let Some(r) = &routed {
        set.event(routing::routed_event(&id, r, "aml"));
    }
    let answer_target_ms = state.config.dispatch.sla.answer_target_ms();
    common::start_clock(
        &mut set,
        "call",
        &id,
        SlaKind::Answer,
        None,
        call.ring_at,
        answer_target_ms,
    );
    set.event(
        DomainEvent::CallCreated(CallCreated {
            call_id: id.clone(),
            channel: req.channel.as_str().to_owned(),
            service_line: call.line.as_str().to_owned(),
            ring_at: call.ring_at,
            ani_masked: call.ani.masked(),
            prank_flag: prank,
            has_aml: call.fix.is_some(),
        })
        .to(&reach(located.as_deref())),
    );
    set.audit(common::audit(
        actor,
        now,
        "call.create",
        "call",
        &id,
        None,
        None,
    ));
    state.store.commit(set).await?;
    view(state, &id).await
}

/// Whether `ani` calling at `ring_at` is a repeat prank caller under the configured rule.
async fn is_repeat_prank(state: &AppState, ani: &Ani, ring_at: i64) -> ApiResult<bool> {
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
    let prior = parsed.iter().map(|(a, at, class)| PriorCall {
        ani: a,
        at: *at,
        class: *class,
    });
    Ok(prank_flag(ani, Timestamp(ring_at), prior, rule).flagged)
}

/// Recent calls in the actor's scope, newest first, optionally of one status. Each call listed is a read of
/// its caller's number: one `call.read_personal` entry per call, committed before the list is answered.
pub async fn list(state: &AppState, actor: &Actor, q: CallQuery) -> ApiResult<Vec<CallView>> {
    actor.require(READ_ROLES)?;
    let scope = actor.scope();
    let filter = CallFilter {
        status: q.status.map(CallStatus::as_str),
        call_taker: q.mine.unwrap_or(false).then_some(actor.user.id.as_str()),
        open_only: q.open.unwrap_or(false),
        region: scope.region(),
        created_by: scope.own_calls(),
        limit: i64::from(q.limit.unwrap_or(100).clamp(1, 500)),
    };
    let calls = state.store.list_calls(&filter).await?;
    if !calls.is_empty() {
        let now = state.now_ms();
        let mut set = ChangeSet::new(now);
        for c in &calls {
            set.audit(AuditEntry {
                detail: Some("listed".to_owned()),
                ..read_entry(actor, now, &c.id)
            });
        }
        state.store.commit(set).await?;
    }
    Ok(calls.into_iter().map(CallView::from).collect())
}

/// One call, for one of [`READ_ROLES`] in whose scope it is. The read is audited (the caller's number is
/// personal data); the role is checked here because an idempotent replay reads a call too.
pub async fn get(state: &AppState, actor: &Actor, id: &str) -> ApiResult<CallView> {
    actor.require(READ_ROLES)?;
    let call = load(state, actor, id).await?;
    state
        .store
        .append_audit(&read_entry(actor, state.now_ms(), id))
        .await?;
    Ok(call.into())
}

/// The audit entry of reading a call's caller number.
fn read_entry(actor: &Actor, at: i64, id: &str) -> AuditEntry {
    common::audit(actor, at, "call.read_personal", "call", id, None, None)
}

/// The call's row, if the actor's scope covers it: 404 for an unknown id, 403 for a call of another region
/// (or, for an integration account, registered by another account).
pub(crate) async fn load(state: &AppState, actor: &Actor, id: &str) -> ApiResult<CallRow> {
    let call = state.store.get_call(id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("call"),
        other => other.into(),
    })?;
    check_scope(actor, &call)?;
    Ok(call)
}

/// 403 unless the actor's scope covers the call.
pub(crate) fn check_scope(actor: &Actor, call: &CallRow) -> ApiResult<()> {
    let scope = actor.scope();
    if scope.covers_call(call.created_by.as_deref(), call.place_region.as_deref()) {
        Ok(())
    } else if scope.own_calls().is_some() {
        Err(ApiError::forbidden(
            "integration accounts may touch only the calls they registered",
        ))
    } else {
        Err(out_of_region())
    }
}

/// The call as it is now (after a change).
pub(crate) async fn view(state: &AppState, id: &str) -> ApiResult<CallView> {
    Ok(state.store.get_call(id).await?.into())
}

/// A call taker picks the call up, which stops the answer clock. A call offered to a regional team is theirs
/// until it falls back; their answer takes the offer.
pub async fn answer(state: &AppState, actor: &Actor, id: &str) -> ApiResult<CallView> {
    let call = load(state, actor, id).await?;
    let now = state.now_ms();
    let update = if routing::check_pick_up(actor, &call, now)? {
        stmts::answer_taking_offer(id, &actor.user.id, now)
    } else {
        stmts::answer(id, &actor.user.id, now)
    };
    let change = StatusChange {
        to: CallStatus::Answered,
        update,
        action: "call.answer",
        stops_answer_clock: true,
        class: None,
    };
    change_status(state, actor, &call, change, now).await
}

/// Sets an answered call's class. `abandoned` is set by the system only.
pub async fn classify(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: ClassifyRequest,
) -> ApiResult<CallView> {
    if req.class == CallClass::Abandoned {
        return Err(ApiError::validation(
            "class",
            "abandoned is set by the system when a caller hangs up before answer",
        ));
    }
    let call = load(state, actor, id).await?;
    let now = state.now_ms();
    let change = StatusChange {
        to: CallStatus::Classified,
        update: stmts::classify(id, req.class, req.notes.as_deref(), now),
        action: "call.classify",
        stops_answer_clock: false,
        class: Some(req.class),
    };
    change_status(state, actor, &call, change, now).await
}

/// The line closes: an answered call ends; a ringing one is abandoned (and its answer clock stops).
pub async fn end(state: &AppState, actor: &Actor, id: &str) -> ApiResult<CallView> {
    let call = load(state, actor, id).await?;
    let from = call_status(&call)?;
    let to = from
        .on_hang_up()
        .ok_or_else(|| transition_error(from, CallStatus::Ended))?;
    let now = state.now_ms();
    let abandoned = to == CallStatus::Abandoned;
    let change = StatusChange {
        to,
        update: if abandoned {
            stmts::abandon(id, now)
        } else {
            stmts::end(id, now)
        },
        action: "call.end",
        stops_answer_clock: abandoned,
        class: None,
    };
    change_status(state, actor, &call, change, now).await
}

/// Attaches an AML payload that arrived after the call was created (or a newer fix), and locates the call by
/// it. 409 naming `aml` once the call is classified or linked to an incident: the fix is then part of the
/// record. The audit entry keeps the fix it replaces.
pub async fn attach_aml(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: AmlRequest,
) -> ApiResult<CallView> {
    let fix = parse_aml(&req.payload)?;
    let call = load(state, actor, id).await?;
    if let Some(why) = fix_record::frozen(&call) {
        return Err(ApiError::new(ErrorCode::Conflict, why).with_field("aml"));
    }
    let region = region_at(state, &fix);
    let now = state.now_ms();
    let mut set = ChangeSet::new(now);
    set.push(stmts::attach_aml(
        id,
        &req.payload,
        &fix,
        region.as_deref(),
        now,
        call.aml_raw.as_deref(),
    ));
    set.event(
        DomainEvent::CallUpdated(CallUpdated {
            call_id: id.to_owned(),
            status: None,
            by: None,
            has_aml: Some(true),
        })
        .to(&reach(region.as_deref().or(call.place_region.as_deref()))),
    );
    set.audit(common::audit(
        actor,
        now,
        "call.aml",
        "call",
        id,
        fix_record::stored(&call),
        Some(fix_record::json(
            fix.position.lon(),
            fix.position.lat(),
            fix.radius_m,
            fix.time.0,
        )),
    ));
    state.store.commit(set).await.map_err(|e| match e {
        StoreError::Stale { .. } => ApiError::new(
            ErrorCode::Conflict,
            "the call was classified, linked or given another fix at the same moment; reload it",
        )
        .with_field("aml"),
        other => other.into(),
    })?;
    view(state, id).await
}

/// The call's AML fix as the record keeps it.
mod fix_record {
    use crate::store::CallRow;
    use serde_json::{Value, json};

    /// Why the fix may no longer change (`siaga_core::call::aml_fix_frozen`), if it may not.
    pub(super) fn frozen(call: &CallRow) -> Option<&'static str> {
        siaga_core::call::aml_fix_frozen(call.classified_at.is_some(), call.incident_id.is_some())
    }

    /// A fix as the audit keeps it: position, uncertainty and time. Not the raw payload, which may carry the
    /// caller's number and device identity that the audit trail (read by supervisors) does not copy.
    pub(super) fn json(lon: f64, lat: f64, radius_m: f64, at: i64) -> Value {
        json!({"aml": {"lon": lon, "lat": lat, "radius_m": radius_m, "at": at}})
    }

    /// The fix stored now, as the audit's `before` (`None` when the call has none).
    pub(super) fn stored(call: &CallRow) -> Option<Value> {
        Some(json(
            call.aml_lon?,
            call.aml_lat?,
            call.aml_radius_m?,
            call.aml_at?,
        ))
    }
}

/// One step of a call's lifecycle: the guarded statement making it, and what it records.
struct StatusChange {
    to: CallStatus,
    update: Stmt,
    /// The audit action.
    action: &'static str,
    /// Whether the step ends the wait for an answer.
    stops_answer_clock: bool,
    /// The class the step sets, if it classifies.
    class: Option<CallClass>,
}

/// Commits a step of a call's lifecycle, if the lifecycle allows it from the call's status, with its event
/// and audit entry.
async fn change_status(
    state: &AppState,
    actor: &Actor,
    call: &CallRow,
    change: StatusChange,
    now: i64,
) -> ApiResult<CallView> {
    let from = call_status(call)?;
    let to = change.to;
    from.transition(to)
        .map_err(|_| transition_error(from, to))?;
    let mut set = ChangeSet::new(now);
    set.push(change.update);
    // An abandoned or silent call gets its call-back task in the same change.
    super::call_backs::on_call_step(state, &mut set, call, to, change.class, now).await?;
    let reach = reach(call.place_region.as_deref());
    if change.stops_answer_clock {
        let clocks = state.store.subject_clocks("call", &call.id).await?;
        common::stop_clocks(&mut set, &clocks, &[SlaKind::Answer], now, &reach);
    }
    set.event(
        DomainEvent::CallUpdated(CallUpdated {
            call_id: call.id.clone(),
            status: Some(to.as_str().to_owned()),
            by: Some(actor.user.id.clone()),
            has_aml: None,
        })
        .to(&reach),
    );
    set.audit(common::audit(
        actor,
        now,
        change.action,
        "call",
        &call.id,
        Some(json!({"status": call.status, "class": call.class})),
        Some(json!({"status": to})),
    ));
    state.store.commit(set).await?;
    view(state, &call.id).await
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
