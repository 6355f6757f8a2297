//! Units of work: every domain change is a [`ChangeSet`] of guarded statements, events and audit entries
//! committed in one transaction on either engine.
//!
//! Handlers read, let the domain core decide, then commit what changes. Guards make this optimistic: a
//! statement may demand that it touched exactly N rows (`UPDATE … WHERE id = $1 AND status = 'assigned'`);
//! if another request changed the row in between, the whole set rolls back with [`StoreError::Stale`]
//! and nothing — row, event or audit entry — is written. Every transaction starts with a write, so SQLite
//! takes its write lock up front and waits (busy timeout) instead of failing on a lock upgrade.

use super::audit::AuditSink;
use super::events::{EventSink, NewEvent};
use super::timeline::{self, TimelineDraft};
use super::{AuditEntry, Store, StoreError, StoreResult, on_db_write};

/// A value bound to a statement.
#[derive(Debug, Clone)]
pub(in crate::store) enum Arg {
    /// 64-bit integer (times in ms, counts).
    I64(i64),
    /// Optional 64-bit integer.
    OptI64(Option<i64>),
    /// Floating point.
    F64(f64),
    /// Optional floating point.
    OptF64(Option<f64>),
    /// Text.
    Text(String),
    /// Optional text.
    OptText(Option<String>),
    /// Boolean.
    Bool(bool),
    /// The incident number allocated by [`ChangeSet::number`], as text.
    Number,
}

/// One statement with its arguments and an optional row-count guard. Only the store builds one (its SQL text
/// never leaves `store`); services receive them from named store functions and add them to a [`ChangeSet`].
#[derive(Debug, Clone)]
pub struct Stmt {
    sql: String,
    args: Vec<Arg>,
    expect_rows: Option<u64>,
}

impl Stmt {
    /// A statement with `$1…` placeholders.
    pub(in crate::store) fn new(sql: impl Into<String>) -> Stmt {
        Stmt {
            sql: sql.into(),
            args: Vec::new(),
            expect_rows: None,
        }
    }

    /// Binds the next argument.
    pub(in crate::store) fn arg(mut self, a: Arg) -> Stmt {
        self.args.push(a);
        self
    }

    /// Binds text.
    pub(in crate::store) fn text(self, s: impl Into<String>) -> Stmt {
        self.arg(Arg::Text(s.into()))
    }

    /// Binds optional text.
    pub(in crate::store) fn opt_text(self, s: Option<impl Into<String>>) -> Stmt {
        self.arg(Arg::OptText(s.map(Into::into)))
    }

    /// Binds an integer.
    pub(in crate::store) fn int(self, v: i64) -> Stmt {
        self.arg(Arg::I64(v))
    }

    /// Binds an optional integer.
    pub(in crate::store) fn opt_int(self, v: Option<i64>) -> Stmt {
        self.arg(Arg::OptI64(v))
    }

    /// Binds a float.
    pub(in crate::store) fn float(self, v: f64) -> Stmt {
        self.arg(Arg::F64(v))
    }

    /// Binds an optional float.
    pub(in crate::store) fn opt_float(self, v: Option<f64>) -> Stmt {
        self.arg(Arg::OptF64(v))
    }

    /// Binds a boolean.
    pub(in crate::store) fn boolean(self, v: bool) -> Stmt {
        self.arg(Arg::Bool(v))
    }

    /// Rolls the whole set back unless this statement touches exactly `n` rows.
    pub(in crate::store) fn expect(mut self, n: u64) -> Stmt {
        self.expect_rows = Some(n);
        self
    }
}

/// Everything one change writes, committed atomically.
#[derive(Debug, Clone, Default)]
pub struct ChangeSet {
    /// When the change happens (ms); stamped on events.
    pub at: i64,
    /// Allocate an incident number first: `(prefix, local day yyyymmdd)`. Bound where [`Arg::Number`] appears.
    pub number: Option<(String, String)>,
    /// Statements, in order.
    pub stmts: Vec<Stmt>,
    /// Events to append (after the statements).
    pub events: Vec<NewEvent>,
    /// `(event, statement)` index pairs from [`ChangeSet::record_once`]: the event is appended only if the
    /// statement touched a row.
    pub announced_by: Vec<(usize, usize)>,
    /// Audit entries to append.
    pub audit: Vec<AuditEntry>,
    /// Indexes into `events` of the events that name the allocated number (their payload's `number`).
    pub numbered_events: Vec<usize>,
    /// Timeline entries of their own (a note, an SLA clock started or stopped), written after those the
    /// appended events carry ([`NewEvent::timeline`]).
    pub timeline: Vec<TimelineDraft>,
}

/// What a committed change produced.
#[derive(Debug, Clone, Default)]
pub struct Committed {
    /// The incident number, when one was allocated.
    pub number: Option<String>,
    /// Sequence numbers of the appended events.
    pub seqs: Vec<i64>,
}

impl ChangeSet {
    /// An empty change at `at`.
    pub fn new(at: i64) -> ChangeSet {
        ChangeSet {
            at,
            ..ChangeSet::default()
        }
    }

    /// Adds a statement.
    pub fn push(&mut self, s: Stmt) -> &mut Self {
        self.stmts.push(s);
        self
    }

    /// Adds an event.
    pub fn event(&mut self, e: NewEvent) -> &mut Self {
        self.events.push(e);
        self
    }

    /// Adds an event whose payload names the incident number this change allocates: the commit writes the
    /// number into the payload's `number` field in the same transaction, so the event is never without it.
    pub fn numbered_event(&mut self, e: NewEvent) -> &mut Self {
        self.numbered_events.push(self.events.len());
        self.events.push(e);
        self
    }

    /// Adds a statement that records a fact at most one writer may record, guarded on its absence (`… AND
    /// breached_at IS NULL`), with the event announcing it. A statement that touches no row means another
    /// writer recorded and announced the fact first: the change then commits without the event instead of
    /// rolling back, because nothing it decided on has changed.
    pub fn record_once(&mut self, s: Stmt, e: NewEvent) -> &mut Self {
        self.announced_by
            .push((self.events.len(), self.stmts.len()));
        self.stmts.push(s);
        self.events.push(e);
        self
    }

    /// Adds an audit entry.
    pub fn audit(&mut self, a: AuditEntry) -> &mut Self {
        self.audit.push(a);
        self
    }

    /// Adds a timeline entry that no event of this change carries.
    pub fn timeline(&mut self, d: TimelineDraft) -> &mut Self {
        self.timeline.push(d);
        self
    }

    /// The statements writing the timeline entries of `events` (those appended) and of [`ChangeSet::timeline`],
    /// by the change's actor: the first audit entry that names one.
    fn timeline_stmts(&self, events: &[NewEvent]) -> Vec<Stmt> {
        let actor = self.audit.iter().find_map(|a| {
            a.actor_id
                .as_deref()
                .map(|id| (id, a.actor_role.as_deref()))
        });
        events
            .iter()
            .filter_map(|e| e.timeline.as_ref())
            .chain(&self.timeline)
            .map(|d| timeline::insert(d, self.at, actor))
            .collect()
    }
}

/// Formats `PREFIX-yyyymmdd-NNNN`.
fn format_number(prefix: &str, day: &str, seq: i64) -> String {
    format!("{prefix}-{day}-{seq:04}")
}

/// `events` with `number` written into the payloads of those at `numbered` (borrowed when there are none).
fn with_number<'a>(
    events: &'a [NewEvent],
    numbered: &[usize],
    number: Option<&str>,
) -> std::borrow::Cow<'a, [NewEvent]> {
    let Some(number) = number.filter(|_| !numbered.is_empty()) else {
        return std::borrow::Cow::Borrowed(events);
    };
    let mut owned = events.to_vec();
    for &i in numbered {
        if let Some(map) = owned.get_mut(i).and_then(|e| e.payload.as_object_mut()) {
            map.insert("number".into(), number.into());
        }
    }
    std::borrow::Cow::Owned(owned)
}

macro_rules! bind_args {
    ($q:expr, $args:expr, $number:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::I64(v) => q.bind(*v),
                Arg::OptI64(v) => q.bind(*v),
                Arg::F64(v) => q.bind(*v),
                Arg::OptF64(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::OptText(v) => q.bind(v.clone()),
                Arg::Bool(v) => q.bind(*v),
                Arg::Number => q.bind($number.clone()),
            };
        }
        q
    }};
}

impl Store {
    /// Commits a change set atomically. A guard that does not hold rolls everything back with
    /// [`StoreError::Stale`].
    pub async fn commit(&self, set: ChangeSet) -> StoreResult<Committed> {
        let pending = super::idempotency::unclaimed_key();
        let (number, rows) = on_db_write!(self, p => {
            let mut tx = p.begin().await?;
            // The request's Idempotency-Key is claimed in the same transaction as its change (see
            // `store::idempotency`), naming the change's subject for a retry whose response was lost.
            if let Some(k) = &pending {
                let subject = set.audit.first();
                let rows = sqlx::query(super::idempotency::CLAIM_IN_CHANGE)
                    .bind(&k.user_id).bind(&k.key).bind(&k.method).bind(&k.path).bind(&k.request_hash)
                    .bind(k.now)
                    .bind(subject.map(|a| a.subject_type.clone()))
                    .bind(subject.and_then(|a| a.subject_id.clone()))
                    .execute(&mut *tx).await?.rows_affected();
                if rows != 1 {
                    tx.rollback().await?;
                    k.set_state(super::idempotency::ClaimState::TakenByAnother);
                    return Err(StoreError::Conflict { constraint: "idempotency_keys".into() });
                }
            }
            let mut number: Option<String> = None;
            if let Some((prefix, day)) = &set.number {
                let seq: i64 = sqlx::query_scalar(super::counters::NEXT_SEQUENCE)
                    .bind(prefix).bind(day).fetch_one(&mut *tx).await?;
                number = Some(format_number(prefix, day, seq));
            }
            let mut untouched = Vec::new();
            for (i, s) in set.stmts.iter().enumerate() {
                let q = bind_args!(sqlx::query(&s.sql), &s.args, number);
                let rows = q.execute(&mut *tx).await?.rows_affected();
                if let Some(want) = s.expect_rows && rows != want {
                    tx.rollback().await?;
                    return Err(StoreError::Stale { statement: i, rows, expected: want });
                }
                if rows == 0 {
                    untouched.push(i);
                }
            }
            let unannounced: Vec<usize> = set.announced_by.iter()
                .filter(|(_, stmt)| untouched.contains(stmt)).map(|(event, _)| *event).collect();
            let mut events = with_number(&set.events, &set.numbered_events, number.as_deref());
            // Events about an incident carry its assignments and clocks as this change left them: read after the
            // statements, in this transaction, once per incident (see `IncidentStateHook`).
            if events.iter().any(|e| e.incident_state.is_some()) {
                let mut states: Vec<(String, super::IncidentState)> = Vec::new();
                for e in events.to_mut() {
                    let Some(hook) = e.incident_state.clone() else { continue };
                    if !states.iter().any(|(id, _)| *id == hook.incident_id) {
                        let assignments = sqlx::query_as::<_, super::AssignmentRow>(&super::dispatch::incident_assignments_sql())
                            .bind(&hook.incident_id).fetch_all(&mut *tx).await?;
                        let clocks = sqlx::query_as::<_, super::SlaClockRow>(&super::dispatch::incident_clocks_sql())
                            .bind(&hook.incident_id).fetch_all(&mut *tx).await?;
                        states.push((hook.incident_id.clone(), super::IncidentState { assignments, clocks }));
                    }
                    if let Some((_, state)) = states.iter().find(|(id, _)| *id == hook.incident_id) {
                        (hook.fill)(&mut e.payload, state);
                    }
                }
            }
            let kept: std::borrow::Cow<'_, [NewEvent]> = if unannounced.is_empty() {
                events
            } else {
                std::borrow::Cow::Owned(events.iter().enumerate()
                    .filter(|(i, _)| !unannounced.contains(i)).map(|(_, e)| e.clone()).collect())
            };
            // Timeline entries come with their change: an event not appended (a breach another writer
            // recorded first) tells no story either.
            for s in set.timeline_stmts(&kept) {
                bind_args!(sqlx::query(&s.sql), &s.args, number).execute(&mut *tx).await?;
            }
            // The audit chain and the event log come last: on PostgreSQL each takes a lock that every other
            // writer of it waits for until this transaction ends, so nothing else runs while they are held.
            tx.insert_audit(&set.audit).await?;
            let rows = tx.insert_events(set.at, &kept).await?;
            tx.commit().await?;
            (number, rows)
        });
        if let Some(k) = &pending {
            k.set_state(super::idempotency::ClaimState::Committed);
        }
        let committed = Committed {
            number,
            seqs: super::seqs_of(&rows),
        };
        self.announce_events(rows);
        Ok(committed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_zero_padded_to_four_digits() {
        assert_eq!(format_number("BTM", "20261124", 7), "BTM-20261124-0007");
        assert_eq!(
            format_number("BTM", "20261124", 12345),
            "BTM-20261124-12345"
        );
    }

    #[test]
    fn the_allocated_number_is_written_into_numbered_events_only() {
        let event = |t: &str| NewEvent {
            event_type: t.into(),
            agency_ids: None,
            unit_id: None,
            region_code: None,
            payload: serde_json::json!({"incident_id": "i1"}),
            incident_state: None,
            timeline: None,
        };
        let mut set = ChangeSet::new(1);
        set.event(event("sla.breach"));
        set.numbered_event(event("incident.created"));
        let events = with_number(&set.events, &set.numbered_events, Some("BTM-20261124-0007"));
        assert!(events[0].payload.get("number").is_none());
        assert_eq!(events[1].payload["number"], "BTM-20261124-0007");
        assert!(matches!(
            with_number(&set.events, &[], Some("x")),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
