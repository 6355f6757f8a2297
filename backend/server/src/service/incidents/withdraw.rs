//! Withdrawing an incident: cancelling it with a reason, and merging a duplicate report into its master.
//!
//! Who may, and from which states, is `siaga_core::cancel`'s decision. A cancellation is one change set: the
//! incident becomes `cancelled` with its reason, each open assignment is cancelled through the assignments
//! service's one move path (`service::assignments::push_move`: unit freed, `assignment.status` to the crew),
//! every running clock of the incident and of those assignments stops as cancelled (never a breach), and an
//! `incident.cancelled` event and audit entries are written.
//!
//! A merge is also one change set: the duplicate's calls, call-back tasks and open assignments move to the
//! master (`store::incidents::move_to_master`), the master gains the duplicate's OPDs it lacked, and the
//! duplicate is cancelled as `duplicate` with `merged_into` naming the master, so its number leads there.
//! Screens hear `incident.cancelled` (with `merged_into`) for the duplicate and `incident.updated` (with
//! `merged_from`) for the master; no third event kind is needed.

use super::views::{IncidentView, reload};
use super::{
    agency_ids, check_visible, event_agencies, incident_audience, load, parse_value, refused,
    summary,
};
use crate::auth::Actor;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::events::DomainEvent;
use crate::events::incident::{IncidentCancelled, IncidentRef, IncidentUpdated};
use crate::limits::{Note, ShortText};
use crate::service::assignments::{Move, push_move};
use crate::service::common;
use crate::state::AppState;
use crate::store::incidents::{self, Cancellation};
use crate::store::{ChangeSet, IncidentAgencyRow, IncidentRow, StoreError};
use serde::Deserialize;
use serde_json::json;
use siaga_core::assignment::AssignmentStatus;
use siaga_core::cancel::{
    CancelReason, Canceller, MergeSide, WithdrawRefusal, check_merge, master_after_merge,
    may_cancel,
};
use siaga_core::incident::{IncidentNumber, IncidentStatus};
use siaga_core::role::Role;
use siaga_core::scope::AGENCY_REJECTED;
use siaga_core::sla::{SlaKind, StopCause};
use siaga_core::transition::Lifecycle;
use siaga_core::unit::UnitStatus;

/// Why an incident is cancelled.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// `false_alarm`, `duplicate`, `caller_withdrew` or `handled_elsewhere`.
    pub reason: CancelReason,
    /// The incident this one duplicates, by id or number (e.g. `BTM-20261124-0007`); required with
    /// `duplicate`, refused with any other reason.
    pub duplicate_of: Option<ShortText>,
    /// What the crews and the other desks should know.
    pub note: Option<Note>,
}

/// The master a duplicate is merged into.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The master incident, by id or number.
    pub into: ShortText,
}

/// Cancels the incident with its reason: its open assignments are cancelled (crews told, units freed) and its
/// clocks stop as cancelled.
///
/// # Errors
///
/// 403 for who may not (see `siaga_core::cancel::may_cancel`); 404 unknown; 409 from a final or resolved
/// status (naming the allowed moves) or after a concurrent change; 422 for `duplicate_of` missing, unknown,
/// itself, or given with another reason.
pub async fn cancel(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: CancelRequest,
) -> ApiResult<IncidentView> {
    let incident = load(state, id).await?;
    let agencies = state.store.incident_agencies(id).await?;
    check_visible(state, actor, &incident, &agencies).await?;
    let from: IncidentStatus = parse_value(&incident.status)?;
    may_cancel(canceller(actor, &incident, &agencies), from).map_err(|e| refusal(&e))?;
    let duplicate_of = match (req.reason, req.duplicate_of.as_deref().map(str::trim)) {
        (CancelReason::Duplicate, Some(other)) if !other.is_empty() => {
            let other = find(state, other, "duplicate_of").await?;
            if other.id == incident.id {
                return Err(ApiError::validation(
                    "duplicate_of",
                    "an incident cannot duplicate itself",
                ));
            }
            actor.require_place(other.region_code.as_deref())?;
            Some(other)
        }
        (CancelReason::Duplicate, _) => {
            return Err(ApiError::validation(
                "duplicate_of",
                "name the incident this one duplicates",
            ));
        }
        (_, Some(_)) => {
            return Err(ApiError::validation(
                "duplicate_of",
                "only a duplicate names the incident it duplicates",
            ));
        }
        (_, None) => None,
    };
    let note = req.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let now = state.now_ms();
    let mut set = ChangeSet::new(now);
    let withdrawal = Withdrawal {
        reason: req.reason,
        note,
        duplicate_of: duplicate_of.as_ref(),
        merged_into: None,
    };
    let freed = push_withdrawal(
        state,
        &mut set,
        actor,
        &incident,
        &agencies,
        from,
        &withdrawal,
    )
    .await?;
    state.store.commit(set).await?;
    for (unit, status) in freed {
        state.geo.unit_status(&unit, status);
    }
    reload(state, id).await
}

/// Merges the duplicate `id` into the master named in `req`: calls, call-back tasks and open assignments
/// move, the master gains the duplicate's OPDs, and the duplicate is cancelled as `duplicate` with
/// `merged_into`. Returns the master as it is now.
///
/// # Errors
///
/// 403 as [`cancel`] on the duplicate, or when the master is out of the actor's scope; 404 unknown
/// duplicate; 409 when the duplicate cannot be cancelled, or the master is closed, cancelled or itself merged;
/// 422 for an unknown master, the incident itself, or a master of another region.
pub async fn merge(
    state: &AppState,
    actor: &Actor,
    id: &str,
    req: MergeRequest,
) -> ApiResult<IncidentView> {
    let dup = load(state, id).await?;
    let dup_agencies = state.store.incident_agencies(id).await?;
    check_visible(state, actor, &dup, &dup_agencies).await?;
    let dup_status: IncidentStatus = parse_value(&dup.status)?;
    // A merge cancels the duplicate: who may cancel it may merge it. Its own state is judged with the master.
    let who = canceller(actor, &dup, &dup_agencies);
    if let Err(e @ WithdrawRefusal::NotAllowed(_)) = may_cancel(who, dup_status) {
        return Err(refusal(&e));
    }
    let master = find(state, req.into.trim(), "into").await?;
    let master_status: IncidentStatus = parse_value(&master.status)?;
    check_merge(side(&dup, dup_status), side(&master, master_status)).map_err(|e| {
        let err = refusal(&e);
        if e.code() == ErrorCode::ValidationFailed {
            err.with_field("into")
        } else {
            err
        }
    })?;
    let master_agencies = state.store.incident_agencies(&master.id).await?;
    check_visible(state, actor, &master, &master_agencies).await?;

    let now = state.now_ms();
    let mut set = ChangeSet::new(now);
    let moved = state.store.incident_assignments(id).await?;
    let gets_open = moved.iter().any(|a| {
        a.status
            .parse::<AssignmentStatus>()
            .is_ok_and(|s| !s.is_final())
    });
    for s in incidents::move_to_master(id, &master.id, now) {
        set.push(s);
    }
    let note = format!("merged from {}", dup.number);
    let mut after = event_agencies(&master_agencies);
    let mut added = Vec::new();
    for a in dup_agencies.iter().filter(|a| a.status != AGENCY_REJECTED) {
        match master_agencies.iter().find(|m| m.agency_id == a.agency_id) {
            Some(m) if m.status == AGENCY_REJECTED => {
                set.push(incidents::reescalate_agency(
                    &master.id,
                    &a.agency_id,
                    now,
                    Some(&note),
                ));
            }
            Some(_) => continue,
            None => {
                set.push(incidents::add_agency(
                    &master.id,
                    &a.agency_id,
                    &a.agency_type,
                    now,
                    Some(&note),
                ));
            }
        }
        after.retain(|e| e.agency_id != a.agency_id);
        after.push(crate::events::incident::EventIncidentAgency {
            agency_id: a.agency_id.clone(),
            agency_type: a.agency_type.clone(),
            status: "escalated".to_owned(),
            reason: Some(note.clone()),
        });
        added.push(a.agency_id.clone());
    }
    // An OPD whose unit moved over with an open assignment accepted its part by assigning it.
    for a in &moved {
        if a.status
            .parse::<AssignmentStatus>()
            .is_ok_and(|s| !s.is_final())
        {
            set.push(incidents::accept_by_assignment(
                &master.id,
                &a.agency_id,
                now,
                &actor.user.id,
            ));
        }
    }
    let next = master_after_merge(master_status, gets_open)
        .or((master_status == IncidentStatus::New && !added.is_empty())
            .then_some(IncidentStatus::Escalated));
    let master_now = next.unwrap_or(master_status);
    let mut master_all = agency_ids(&master_agencies);
    master_all.extend(added.iter().cloned());
    master_all.sort_unstable();
    master_all.dedup();
    let master_audience = incident_audience(&master, &master_all);
    if let Some(to) = next {
        set.push(incidents::set_status(
            &master.id,
            master_status.as_str(),
            to.as_str(),
            now,
        ));
        if to == IncidentStatus::Dispatched {
            let clocks = state.store.subject_clocks("incident", &master.id).await?;
            common::stop_clocks(
                &mut set,
                &clocks,
                &[SlaKind::Dispatch],
                now,
                &master_audience,
            );
        }
    }
    let withdrawal = Withdrawal {
        reason: CancelReason::Duplicate,
        note: None,
        duplicate_of: Some(&master),
        merged_into: Some(&master),
    };
    push_withdrawal(
        state,
        &mut set,
        actor,
        &dup,
        &dup_agencies,
        dup_status,
        &withdrawal,
    )
    .await?;
    let mut master_summary = summary(&master, master_now.as_str(), after, now);
    master_summary.agency_ids.clone_from(&master_all);
    set.event(
        DomainEvent::IncidentUpdated(IncidentUpdated {
            merged_from: Some(reference(&dup)),
            ..IncidentUpdated::new(master_summary)
        })
        .to(&master_audience),
    );
    set.audit(common::audit(
        actor,
        now,
        "incident.merge",
        "incident",
        &master.id,
        Some(json!({"status": master_status})),
        Some(
            json!({"status": master_now, "merged_from": dup.id, "agencies_added": added,
            "assignments_moved": moved.iter().map(|a| &a.id).collect::<Vec<_>>()}),
        ),
    ));
    state.store.commit(set).await?;
    reload(state, &master.id).await
}

/// What withdraws an incident: why, and the incident it duplicates or was merged into.
struct Withdrawal<'a> {
    reason: CancelReason,
    note: Option<&'a str>,
    duplicate_of: Option<&'a IncidentRow>,
    merged_into: Option<&'a IncidentRow>,
}

/// Adds to `set` the cancellation of `incident` (read in status `from`): the incident row, its open
/// assignments cancelled (unless a merge moved them to the master), every running clock of the incident and
/// of those assignments cancelled, the `incident.cancelled` event and the audit entry. Returns the units freed,
/// for the geo index once the set is committed.
async fn push_withdrawal(
    state: &AppState,
    set: &mut ChangeSet,
    actor: &Actor,
    incident: &IncidentRow,
    agencies: &[IncidentAgencyRow],
    from: IncidentStatus,
    w: &Withdrawal<'_>,
) -> ApiResult<Vec<(String, UnitStatus)>> {
    let now = set.at;
    set.push(incidents::cancel(
        &incident.id,
        from.as_str(),
        now,
        &Cancellation {
            reason: w.reason.as_str(),
            note: w.note,
            by: &actor.user.id,
            duplicate_of: w.duplicate_of.map(|i| i.id.as_str()),
            merged_into: w.merged_into.map(|i| i.id.as_str()),
        },
    ));
    let clocks = state.store.subject_clocks("incident", &incident.id).await?;
    common::cancel_clocks(set, &clocks, now);
    let mut freed = Vec::new();
    if w.merged_into.is_none() {
        for a in state.store.incident_assignments(&incident.id).await? {
            let Ok(status) = a.status.parse::<AssignmentStatus>() else {
                continue;
            };
            if status.is_final() {
                continue;
            }
            let clocks = state.store.subject_clocks("assignment", &a.id).await?;
            let step = Move {
                from: status,
                to: AssignmentStatus::Cancelled,
                reason: Some(w.reason.as_str()),
                note: w.note,
                via: None,
                cause: StopCause::Cancelled,
            };
            let unit_status = push_move(set, actor, &a, incident, &step, &clocks);
            freed.push((a.unit_id.clone(), unit_status));
        }
    }
    let audience = incident_audience(incident, &agency_ids(agencies));
    set.event(
        DomainEvent::IncidentCancelled(IncidentCancelled {
            incident: summary(incident, "cancelled", event_agencies(agencies), now),
            reason: w.reason.as_str().to_owned(),
            note: w.note.map(str::to_owned),
            duplicate_of: w.duplicate_of.map(reference),
            merged_into: w.merged_into.map(reference),
            by: actor.user.id.clone(),
        })
        .to(&audience),
    );
    set.audit(common::audit(
        actor,
        now,
        if w.merged_into.is_some() {
            "incident.merged_into"
        } else {
            "incident.cancel"
        },
        "incident",
        &incident.id,
        Some(json!({"status": from})),
        Some(json!({"status": "cancelled", "reason": w.reason, "note": w.note,
            "duplicate_of": w.duplicate_of.map(|i| &i.id), "merged_into": w.merged_into.map(|i| &i.id),
            "assignments_cancelled": freed.len()})),
    ));
    Ok(freed)
}

/// One side of a merge, as the merge rule needs it.
fn side(i: &IncidentRow, status: IncidentStatus) -> MergeSide<'_> {
    MergeSide {
        id: &i.id,
        status,
        merged: i.merged_into.is_some(),
        region_code: i.region_code.as_deref(),
    }
}

/// Who is asking, as the cancel rule needs them.
fn canceller(actor: &Actor, incident: &IncidentRow, agencies: &[IncidentAgencyRow]) -> Canceller {
    let scope = actor.scope();
    Canceller {
        role: actor.role,
        filed_it: incident.created_by.as_deref() == Some(actor.user.id.as_str()),
        takes_part: actor.role == Role::Dispatcher
            && scope.takes_part(
                agencies
                    .iter()
                    .map(|a| (a.agency_id.as_str(), a.status.as_str())),
            ),
    }
}

/// The refusal as an API error: 403, or 409 naming the allowed moves, or 422.
fn refusal(e: &WithdrawRefusal) -> ApiError {
    match e {
        WithdrawRefusal::Lifecycle(t) => refused(t),
        WithdrawRefusal::MasterFinal(_) | WithdrawRefusal::MasterMerged => {
            ApiError::new(e.code(), e.to_string()).with_allowed(Vec::new())
        }
        other => ApiError::new(other.code(), other.to_string()),
    }
}

/// An incident named by id or by number (a merged duplicate's number names its master), or 422 naming
/// `field`.
async fn find(state: &AppState, key: &str, field: &str) -> ApiResult<IncidentRow> {
    let id = if IncidentNumber::parse(key).is_ok() {
        state.store.incident_id_by_number(key).await?
    } else {
        Some(key.to_owned())
    };
    let unknown = || ApiError::validation(field, format!("no incident {key}"));
    let Some(id) = id else {
        return Err(unknown());
    };
    state.store.get_incident(&id).await.map_err(|e| match e {
        StoreError::NotFound => unknown(),
        other => other.into(),
    })
}

/// An incident as another incident's event names it.
fn reference(i: &IncidentRow) -> IncidentRef {
    IncidentRef {
        incident_id: i.id.clone(),
        number: i.number.clone(),
    }
}
