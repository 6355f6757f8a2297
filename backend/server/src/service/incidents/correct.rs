//! Correcting a filed incident (`PATCH /api/v1/incidents/{id}`): priority, category and subcategory, location,
//! address, victims, description, time of event, reporter.
//!
//! * Who may change what is `siaga_core::correction::check` (the filing call taker until an OPD verifies, the
//!   verifying OPD's dispatchers after, a supervisor always; closed and cancelled incidents refuse).
//! * **Re-location** recomputes the region chain and the responsible OPDs with the filing's geo logic. Per
//!   agency type the category needs: when the OPD responsible at the new point is not the one taking part, the
//!   incident is escalated to the new one (a new row, or its old row escalated again) and taken from the old
//!   one (its row becomes `withdrawn` with the reason `relocated`; it is no longer part of the incident, so its
//!   queue drops it). A type nobody is responsible for at the new point keeps the OPD it has. Open
//!   assignments of the old OPD's units are kept: the crew may already be on the way; the new OPD's dispatcher
//!   or a supervisor cancels them if they are not wanted. A category or victims change alone moves no OPD
//!   (escalate adds one).
//! * **Priority or category** changes re-plan the running SLA clocks of the incident and of its assignments by
//!   `siaga_core::sla::replan`: each takes the new target of its kind from the moment of the change, the
//!   elapsed time kept; one already past its new deadline breaches with the change.
//! * One `incident.updated` event says what changed (`changes`, without reporter values), plus
//!   `incident.escalated` to OPDs a re-location added; one audit entry holds the changed fields before and
//!   after. The commit is guarded on the incident's status and `updated_at` as read: a concurrent change → 409.

use super::views::{IncidentView, view};
use super::{agency_ids, check_visible, event_agencies, incident_audience, load, parse_value};
use super::{refused, summary};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::DomainEvent;
use crate::events::incident::{
    EventIncidentAgency, FieldChange, IncidentEscalated, IncidentUpdated,
};
use crate::limits::{self, Address, LongText};
use crate::service::common;
use crate::state::AppState;
use crate::store::{ChangeSet, IncidentAgencyRow, IncidentRow, StoreError, incidents, sla};
use crate::views::{LonLat, validate_lon_lat};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use siaga_core::correction::{self, AgencyPart, CorrectableField, Editor, Refusal};
use siaga_core::incident::{Category, IncidentStatus, Priority, Subcategory, Victims};
use siaga_core::role::Role;
use siaga_core::scope::agency_takes_part;
use siaga_core::sla::{AreaClass, SlaKind, replan};
use siaga_core::time::Timestamp;
use siaga_core::transition::Lifecycle;
use siaga_spatial::Position;

use super::file::{Reporter, VictimsBody};

/// The reason a re-located incident's former OPD reads on its row.
pub const RELOCATED: &str = "relocated";

/// Changes to a filed incident. A field left out (or `null`) stays as it is; at least one is needed.
#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CorrectIncidentRequest {
    pub priority: Option<Priority>,
    pub category: Option<Category>,
    pub subcategory: Option<limits::Subcategory>,
    /// A new location re-locates the incident: region and responsible OPDs are recomputed.
    pub location: Option<LonLat>,
    /// Location uncertainty in metres.
    pub accuracy_m: Option<f64>,
    pub address: Option<Address>,
    pub victims: Option<VictimsBody>,
    pub description: Option<LongText>,
    /// When it happened (ms).
    pub occurred_at: Option<i64>,
    /// The reporter, as a whole (replaces the one on file).
    pub reporter: Option<Reporter>,
}

impl CorrectIncidentRequest {
    /// The fields the request names.
    fn fields(&self) -> Vec<CorrectableField> {
        use CorrectableField as F;
        [
            (self.priority.is_some(), F::Priority),
            (self.category.is_some(), F::Category),
            (self.subcategory.is_some(), F::Subcategory),
            (self.location.is_some(), F::Location),
            (self.accuracy_m.is_some(), F::AccuracyM),
            (self.address.is_some(), F::Address),
            (self.victims.is_some(), F::Victims),
            (self.description.is_some(), F::Description),
            (self.occurred_at.is_some(), F::OccurredAt),
            (self.reporter.is_some(), F::Reporter),
        ]
        .into_iter()
        .filter_map(|(named, f)| named.then_some(f))
        .collect()
    }
}

/// Checks the request's values on their own (no database), or 422 naming the field.
fn check_values(req: &CorrectIncidentRequest, now: i64) -> ApiResult<Option<Position>> {
    if req.fields().is_empty() {
        return Err(ApiError::validation(
            "body",
            "name at least one field to change",
        ));
    }
    if let Some(p) = req.reporter.as_ref().and_then(|r| r.position) {
        validate_lon_lat(p, "reporter.position")?;
    }
    if let Some(a) = req.accuracy_m
        && !(a.is_finite() && a >= 0.0)
    {
        return Err(ApiError::validation(
            "accuracy_m",
            "accuracy_m must be a non-negative number",
        ));
    }
    if req.victims.is_some_and(|v| v.count > 100_000) {
        return Err(ApiError::validation(
            "victims.count",
            "victims.count is implausibly large",
        ));
    }
    if let Some(s) = req.subcategory.as_deref()
        && Subcategory::parse(s).is_err()
    {
        return Err(ApiError::validation(
            "subcategory",
            format!(
                "subcategory must be 1 to {} characters without control characters",
                Subcategory::MAX_CHARS
            ),
        ));
    }
    if let Some(t) = req.occurred_at
        && !(0..=now.saturating_add(60_000)).contains(&t)
    {
        return Err(ApiError::validation(
            "occurred_at",
            "occurred_at must be a time (ms) not in the future",
        ));
    }
    let Some(loc) = req.location else {
        return Ok(None);
    };
    validate_lon_lat(loc, "location")?;
    Position::from_lon_lat(loc.lon, loc.lat)
        .map(Some)
        .map_err(|e| ApiError::validation("location", e.to_string()))
}

/// The API error of a refused correction: 409 for a final incident, 403 (naming the field) otherwise.
fn refusal(r: &Refusal) -> ApiError {
    match r {
        Refusal::Final(_) => ApiError::new(r.code(), r.to_string()).with_allowed(Vec::new()),
        Refusal::Forbidden { field, .. } => {
            let e = ApiError::new(r.code(), r.to_string());
            match field {
                Some(f) => e.with_field(f.as_str()),
                None => e,
            }
        }
    }
}

/// Corrects an incident. See the module docs.
pub async fn correct(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: CorrectIncidentRequest,
) -> ApiResult<IncidentView> {
    let now = state.now_ms();
    let position = check_values(&req, now)?;
    let before = load(state, id).await?;
    let agencies = state.store.incident_agencies(id).await?;
    check_visible(state, actor, &before, &agencies).await?;
    let from: IncidentStatus = parse_value(&before.status)?;
    let own = actor.scope().agency().map(str::to_owned);
    let editor = Editor {
        role: actor.role,
        filed_it: before.created_by.as_deref() == Some(actor.user.id.as_str()),
        agency: match (&own, actor.role) {
            (Some(own), Role::Dispatcher) => AgencyPart::of(
                agencies
                    .iter()
                    .find(|a| &a.agency_id == own)
                    .map(|a| a.status.as_str()),
            ),
            _ => AgencyPart::None,
        },
    };
    correction::check(editor, from, &req.fields()).map_err(|r| refusal(&r))?;

    let mut after = apply(&before, &req);
    after.updated_at = now;
    let mut plan = AgencyPlan::default();
    if let Some(p) = position {
        relocate(state, actor, &mut after, &agencies, p, &mut plan).await?;
    }
    let changes = changes_of(&before, &after);
    if changes.is_empty() {
        // Every value named is the one on file: nothing to record.
        return view(state, before, true).await;
    }
    let to = if plan.added.is_empty() {
        from
    } else {
        next_status(from)?
    };
    after.status = to.as_str().to_owned();

    let mut set = ChangeSet::new(now);
    set.push(incidents::correct(
        &after,
        &before.status,
        before.updated_at,
    ));
    let mut agencies_after = event_agencies(&agencies);
    plan.stage(&mut set, &mut agencies_after, id, &actor.user.id, now);
    let taking_part: Vec<String> = agencies_after
        .iter()
        .filter(|a| agency_takes_part(&a.status))
        .map(|a| a.agency_id.clone())
        .collect();
    let mut hears = agency_ids(&agencies);
    hears.extend(taking_part.iter().cloned());
    hears.sort_unstable();
    hears.dedup();
    let reach = incident_audience(&after, &hears);
    let category: Category = parse_value(&after.category)?;
    let priority: Priority = parse_value(&after.priority)?;
    if !plan.added.is_empty() {
        let target = state.config.dispatch.sla.target_ms(
            SlaKind::Dispatch,
            category,
            priority,
            AreaClass::Urban,
        );
        common::start_clock(
            &mut set,
            "incident",
            id,
            SlaKind::Dispatch,
            None,
            now,
            target,
        );
    }
    if after.priority != before.priority || after.category != before.category {
        replan_clocks(state, &mut set, &after, category, priority, &reach).await?;
    }
    let mut incident_now = summary(&after, to.as_str(), agencies_after, now);
    incident_now.agency_ids.clone_from(&taking_part);
    let updated = IncidentUpdated {
        changes: Some(changes.iter().map(|c| c.event.clone()).collect()),
        escalated_to: (!plan.added.is_empty()).then(|| plan.added_ids()),
        withdrawn_from: (!plan.withdrawn.is_empty()).then(|| plan.withdrawn_ids()),
        ..IncidentUpdated::new(incident_now.clone())
    };
    set.event(DomainEvent::IncidentUpdated(updated).to(&reach));
    if !plan.added.is_empty() {
        let escalated = IncidentEscalated {
            incident: incident_now,
            escalated_to: Some(plan.added_ids()),
            note: Some(RELOCATED.to_owned()),
        };
        set.event(
            DomainEvent::IncidentEscalated(escalated).to(&incident_audience(&after, &taking_part)),
        );
    }
    set.audit(audit_entry(actor, now, id, &changes, &plan));
    state.store.commit(set).await.map_err(|e| match e {
        StoreError::Stale { .. } => ApiError::new(
            ErrorCode::Conflict,
            "the incident changed meanwhile; reload it and correct again",
        ),
        other => other.into(),
    })?;
    tracing::info!(incident.id = %id, fields = changes.len(), escalated = plan.added.len(),
        withdrawn = plan.withdrawn.len(), "incident corrected");
    let still_sees_reporter = match actor.role {
        Role::Dispatcher => own.is_none_or(|o| taking_part.contains(&o)),
        _ => true,
    };
    view(state, load(state, id).await?, still_sees_reporter).await
}

/// The incident row with the request's values applied (location fields are set by [`relocate`]).
fn apply(before: &IncidentRow, req: &CorrectIncidentRequest) -> IncidentRow {
    let mut after = before.clone();
    if let Some(p) = req.priority {
        after.priority = p.as_str().to_owned();
    }
    if let Some(c) = req.category {
        after.category = c.as_str().to_owned();
    }
    if let Some(s) = req.subcategory.as_deref() {
        after.subcategory = Subcategory::parse(s).ok().map(|s| s.as_str().to_owned());
    }
    if let Some(a) = req.accuracy_m {
        after.accuracy_m = Some(a);
    }
    if let Some(a) = req.address.as_deref() {
        after.address = Some(a.to_owned());
    }
    if let Some(v) = req.victims {
        after.victims_count = i64::from(v.count);
        after.victim_condition = v.condition.as_str().to_owned();
    }
    if let Some(d) = req.description.as_deref() {
        after.description = Some(d.to_owned());
    }
    if let Some(t) = req.occurred_at {
        after.occurred_at = Some(t);
    }
    if let Some(r) = &req.reporter {
        after.reporter_name = r.name.as_deref().map(str::to_owned);
        after.reporter_phone = r.phone.as_deref().map(str::to_owned);
        after.reporter_address = r.address.as_deref().map(str::to_owned);
        after.reporter_lon = r.position.map(|p| p.lon);
        after.reporter_lat = r.position.map(|p| p.lat);
    }
    after
}

/// Where a re-location escalating to an OPD takes an incident in `from`: `new` (nobody was responsible) and
/// `rejected` (everybody sent it back) become `escalated`; others stay.
fn next_status(from: IncidentStatus) -> ApiResult<IncidentStatus> {
    match from {
        IncidentStatus::New | IncidentStatus::Rejected => {
            let to = IncidentStatus::Escalated;
            from.transition(to).map_err(|e| refused(&e))?;
            Ok(to)
        }
        other => Ok(other),
    }
}

/// The OPDs a re-location escalates to and takes the incident from.
#[derive(Default)]
struct AgencyPlan {
    /// (agency id, agency type, whether it has a row to escalate again).
    added: Vec<(String, String, bool)>,
    /// (agency id, its row's status as read).
    withdrawn: Vec<(String, String)>,
}

impl AgencyPlan {
    fn added_ids(&self) -> Vec<String> {
        self.added.iter().map(|(a, _, _)| a.clone()).collect()
    }

    fn withdrawn_ids(&self) -> Vec<String> {
        self.withdrawn.iter().map(|(a, _)| a.clone()).collect()
    }

    /// Pushes the statements and updates the agencies' states as events carry them.
    fn stage(
        &self,
        set: &mut ChangeSet,
        after: &mut Vec<EventIncidentAgency>,
        id: &str,
        by: &str,
        now: i64,
    ) {
        for (agency_id, from) in &self.withdrawn {
            set.push(incidents::withdraw_agency(
                id, agency_id, from, now, by, RELOCATED,
            ));
            for a in after.iter_mut().filter(|a| &a.agency_id == agency_id) {
                a.status = siaga_core::scope::AGENCY_WITHDRAWN.to_owned();
                a.reason = Some(RELOCATED.to_owned());
            }
        }
        for (agency_id, agency_type, again) in &self.added {
            if *again {
                set.push(incidents::reescalate_agency(
                    id,
                    agency_id,
                    now,
                    Some(RELOCATED),
                ));
                for a in after.iter_mut().filter(|a| &a.agency_id == agency_id) {
                    a.status = "escalated".to_owned();
                    a.reason = Some(RELOCATED.to_owned());
                }
            } else {
                set.push(incidents::add_agency(
                    id,
                    agency_id,
                    agency_type,
                    now,
                    Some(RELOCATED),
                ));
                after.push(EventIncidentAgency {
                    agency_id: agency_id.clone(),
                    agency_type: agency_type.clone(),
                    status: "escalated".to_owned(),
                    reason: Some(RELOCATED.to_owned()),
                });
            }
        }
    }
}

/// Moves the incident to `p`: its region chain, and per agency type the OPD responsible there.
async fn relocate(
    state: &AppState,
    actor: &Actor,
    after: &mut IncidentRow,
    agencies: &[IncidentAgencyRow],
    p: Position,
    plan: &mut AgencyPlan,
) -> ApiResult<()> {
    let location = state.geo.locate(p);
    if location.outside && !location.region_chain.is_empty() {
        return Err(ApiError::validation(
            "location",
            "the location is outside every region of this centre",
        ));
    }
    actor.require_place(location.region_code())?;
    after.lon = p.lon();
    after.lat = p.lat();
    after.region_code = location.region_code().map(str::to_owned);
    after.region_chain = Some(
        serde_json::to_string(&location.region_chain).map_err(|e| ApiError::internal(e.into()))?,
    );
    let category: Category = parse_value(&after.category)?;
    let victims = Victims {
        count: u32::try_from(after.victims_count).unwrap_or(u32::MAX),
        condition: parse_value(&after.victim_condition)?,
    };
    for r in location.receiving_agencies(category, victims) {
        let t = r.agency_type.as_str();
        let current: Vec<&IncidentAgencyRow> = agencies
            .iter()
            .filter(|a| a.agency_type == t && agency_takes_part(&a.status))
            .collect();
        if current.iter().any(|a| a.agency_id == r.agency_id) {
            continue;
        }
        for old in current {
            plan.withdrawn
                .push((old.agency_id.clone(), old.status.clone()));
        }
        let again = agencies.iter().any(|a| a.agency_id == r.agency_id);
        plan.added.push((r.agency_id.clone(), t.to_owned(), again));
    }
    plan.withdrawn.sort();
    plan.withdrawn.dedup();
    Ok(())
}

/// Re-plans the running clocks of the incident and of its assignments to the new category and priority
/// (`siaga_core::sla::replan`), raising the breach of one the change leaves overdue.
async fn replan_clocks(
    state: &AppState,
    set: &mut ChangeSet,
    incident: &IncidentRow,
    category: Category,
    priority: Priority,
    reach: &crate::events::Reach,
) -> ApiResult<()> {
    let mut clocks = state.store.subject_clocks("incident", &incident.id).await?;
    for a in state.store.incident_assignments(&incident.id).await? {
        clocks.extend(state.store.subject_clocks("assignment", &a.id).await?);
    }
    let policy = &state.config.dispatch.sla;
    let now = set.at;
    for c in clocks.into_iter().filter(|c| c.stopped_at.is_none()) {
        let Ok(kind) = c.kind.parse::<SlaKind>() else {
            continue;
        };
        if kind == SlaKind::Answer {
            continue;
        }
        let target = policy.target_ms(kind, category, priority, AreaClass::Urban);
        if target == c.target_ms {
            continue;
        }
        let plan = replan(
            Timestamp(c.started_at),
            target,
            c.breached_at.is_some(),
            Timestamp(now),
        );
        set.push(sla::retarget_clock(&c.id, plan.target_ms, plan.deadline.0));
        if plan.breached_now {
            let replanned = crate::store::SlaClockRow {
                target_ms: plan.target_ms,
                due_at: plan.deadline.0,
                ..c.clone()
            };
            set.record_once(
                sla::record_breach(&c.id, now),
                common::breach_event(&replanned, now, reach),
            );
        }
    }
    Ok(())
}

/// One changed field: what the event says, and the values the audit entry keeps.
struct Change {
    event: FieldChange,
    before: Value,
    after: Value,
}

/// The fields whose values differ between the rows, in request order. Reporter values stay out of the
/// event (personal data): it says only that the reporter changed.
fn changes_of(b: &IncidentRow, a: &IncidentRow) -> Vec<Change> {
    let mut out = Vec::new();
    let mut push = |field: &str, before: Value, after: Value, personal: bool| {
        if before != after {
            out.push(Change {
                event: FieldChange {
                    field: field.to_owned(),
                    before: (!personal).then(|| before.clone()),
                    after: (!personal).then(|| after.clone()),
                },
                before,
                after,
            });
        }
    };
    push("priority", json!(b.priority), json!(a.priority), false);
    push("category", json!(b.category), json!(a.category), false);
    push(
        "subcategory",
        json!(b.subcategory),
        json!(a.subcategory),
        false,
    );
    push(
        "location",
        json!({"lon": b.lon, "lat": b.lat}),
        json!({"lon": a.lon, "lat": a.lat}),
        false,
    );
    push(
        "region_code",
        json!(b.region_code),
        json!(a.region_code),
        false,
    );
    push(
        "accuracy_m",
        json!(b.accuracy_m),
        json!(a.accuracy_m),
        false,
    );
    push("address", json!(b.address), json!(a.address), false);
    push(
        "victims",
        json!({"count": b.victims_count, "condition": b.victim_condition}),
        json!({"count": a.victims_count, "condition": a.victim_condition}),
        false,
    );
    push(
        "description",
        json!(b.description),
        json!(a.description),
        false,
    );
    push(
        "occurred_at",
        json!(b.occurred_at),
        json!(a.occurred_at),
        false,
    );
    let reporter = |r: &IncidentRow| {
        json!({"name": r.reporter_name, "phone": r.reporter_phone, "address": r.reporter_address,
               "lon": r.reporter_lon, "lat": r.reporter_lat})
    };
    push("reporter", reporter(b), reporter(a), true);
    out
}

/// The audit entry: the changed fields before and after (the reporter's too: the audit trail is the record
/// of who changed personal data), and the OPDs a re-location moved.
fn audit_entry(
    actor: &Actor,
    now: i64,
    id: &str,
    changes: &[Change],
    plan: &AgencyPlan,
) -> crate::store::AuditEntry {
    let mut before = Map::new();
    let mut after = Map::new();
    for c in changes {
        before.insert(c.event.field.clone(), c.before.clone());
        after.insert(c.event.field.clone(), c.after.clone());
    }
    if !plan.added.is_empty() || !plan.withdrawn.is_empty() {
        before.insert("agency_ids".into(), json!(plan.withdrawn_ids()));
        after.insert("agency_ids".into(), json!(plan.added_ids()));
    }
    common::audit(
        actor,
        now,
        "incident.correct",
        "incident",
        id,
        Some(Value::Object(before)),
        Some(Value::Object(after)),
    )
}
