//! The durable, ordered event log behind the live stream (`resume_from=<seq>`).
//!
//! Events are inserted in the same transaction as the change they describe, so an event exists exactly when
//! its change was committed. Sequence numbers must also become visible in order: on PostgreSQL, where
//! concurrent transactions could commit identity values out of order, every event-writing transaction takes
//! one transaction-scoped advisory lock before it inserts, so seq assignment and commit are serialised; SQLite
//! serialises writers by itself. Each insert also sends `NOTIFY siaga_events` (delivered on commit) so other
//! instances on the same database wake up; in-process listeners are woken through [`Store::event_signal`].
//!
//! After its commit, a transaction of this instance also hands its rows to the instance's event feed
//! ([`Store::committed_after`]), which then publishes them without reading them back: one database round trip
//! and a thread hand-off less on the way from a commit to the sockets. The feed takes those rows only when they
//! continue its head without a gap; otherwise (another instance's events, a local commit not handed over yet)
//! it reads the log as before, so the order and completeness of the stream still come from the log alone.

use super::{Store, StoreResult, on_db, on_db_write};
use sqlx::{PgConnection, SqliteConnection};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Advisory lock key that serialises event-writing transactions on PostgreSQL ("112" twice).
const EVENT_LOCK_KEY: i64 = 112_112;

/// Most committed rows held for the feed (see [`Store::announce_events`]).
const LOCAL_ROWS_MAX: usize = 10_000;

/// Rows this instance committed and its feed has not taken yet, by seq.
pub(crate) type LocalRows = Mutex<BTreeMap<i64, EventRow>>;

/// The PostgreSQL channel other instances LISTEN on.
pub const EVENT_CHANNEL: &str = "siaga_events";

/// An event to append, with its audience.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Dotted type, e.g. `incident.created`, `assignment.status`, `unit.position`, `sla.breach`.
    pub event_type: String,
    /// Agencies whose dispatchers may see it; `None` = every agency, `Some(vec![])` = none.
    pub agency_ids: Option<Vec<String>>,
    /// The unit whose responder may see it.
    pub unit_id: Option<String>,
    /// Region of the subject, for region-scoped supervisors and call takers; `None` = everywhere.
    pub region_code: Option<String>,
    /// The event body (no caller personal data: events fan out widely).
    pub payload: serde_json::Value,
    /// For an event about an incident: the commit adds the incident's state as the change leaves it.
    pub incident_state: Option<IncidentStateHook>,
    /// The incident timeline entry the event tells, written with it (see `store::timeline`).
    pub timeline: Option<super::timeline::TimelineDraft>,
}

/// Asks the commit of a change to read the incident's assignments and SLA clocks in the change's own
/// transaction, after its statements, and to write them into the event's payload with `fill`. The store only
/// reads; the event vocabulary decides the payload's shape. Reading in the transaction (not after the commit)
/// means the event shows exactly the state its change left, even when other changes follow at once.
#[derive(Debug, Clone)]
pub struct IncidentStateHook {
    pub incident_id: String,
    pub fill: fn(&mut serde_json::Value, &super::IncidentState),
}

/// A stored event.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct EventRow {
    pub seq: i64,
    pub at: i64,
    pub event_type: String,
    pub agency_ids: Option<String>,
    pub unit_id: Option<String>,
    pub region_code: Option<String>,
    pub payload: String,
}

/// Inserting events inside an open transaction, for both engines.
pub trait EventSink {
    /// Appends `events` at time `at` and returns their rows as stored, in sequence order: after the commit,
    /// the caller hands them to [`Store::announce_events`].
    fn insert_events(
        &mut self,
        at: i64,
        events: &[NewEvent],
    ) -> impl Future<Output = Result<Vec<EventRow>, sqlx::Error>> + Send;
}

/// The sequence numbers of stored rows.
pub fn seqs_of(rows: &[EventRow]) -> Vec<i64> {
    rows.iter().map(|r| r.seq).collect()
}

fn agency_list(e: &NewEvent) -> Option<String> {
    e.agency_ids.as_ref().map(|ids| ids.join(","))
}

/// Events per multi-row insert (6 parameters each).
const EVENT_ROWS_PER_INSERT: usize = 1_000;

/// `INSERT INTO events … VALUES (…), (…) RETURNING seq` for `n` events.
fn insert_events_sql(n: usize) -> String {
    format!(
        "INSERT INTO events (at, event_type, agency_ids, unit_id, region_code, payload) VALUES {} RETURNING seq",
        super::placeholders(n, 6)
    )
}

/// The rows `chunk` was stored as, given the sequence numbers the insert returned (any order).
fn stored_rows(
    at: i64,
    chunk: &[NewEvent],
    payloads: Vec<String>,
    mut seqs: Vec<i64>,
) -> Vec<EventRow> {
    // Writers are serialised (see the module doc) and each row takes the next sequence number in the order of
    // the `VALUES` list; `RETURNING` promises no order, so the numbers are sorted back into it.
    seqs.sort_unstable();
    chunk
        .iter()
        .zip(payloads)
        .zip(seqs)
        .map(|((e, payload), seq)| EventRow {
            seq,
            at,
            event_type: e.event_type.clone(),
            agency_ids: agency_list(e),
            unit_id: e.unit_id.clone(),
            region_code: e.region_code.clone(),
            payload,
        })
        .collect()
}

/// Appends every event in multi-row statements and returns their rows: `$wrap` turns the insert's SQL into the
/// statement sent, whose rows are `$row`, and `$seq` reads the seq from one.
macro_rules! insert_rows {
    ($conn:expr, $at:expr, $events:expr, $row:ty, $wrap:expr, $seq:expr) => {{
        let mut rows = Vec::with_capacity($events.len());
        for chunk in $events.chunks(EVENT_ROWS_PER_INSERT) {
            let sql = $wrap(insert_events_sql(chunk.len()));
            let payloads: Vec<String> = chunk.iter().map(|e| e.payload.to_string()).collect();
            let mut q = sqlx::query_as::<_, $row>(&sql);
            for (e, payload) in chunk.iter().zip(&payloads) {
                q = q
                    .bind($at)
                    .bind(&e.event_type)
                    .bind(agency_list(e))
                    .bind(&e.unit_id)
                    .bind(&e.region_code)
                    .bind(payload.as_str());
            }
            let seqs = q
                .fetch_all(&mut *$conn)
                .await?
                .into_iter()
                .map($seq)
                .collect();
            rows.extend(stored_rows($at, chunk, payloads, seqs));
        }
        rows
    }};
}

impl EventSink for SqliteConnection {
    async fn insert_events(
        &mut self,
        at: i64,
        events: &[NewEvent],
    ) -> Result<Vec<EventRow>, sqlx::Error> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        Ok(insert_rows!(
            self,
            at,
            events,
            (i64,),
            |sql: String| sql,
            |(seq,): (i64,)| seq
        ))
    }
}

impl EventSink for PgConnection {
    async fn insert_events(
        &mut self,
        at: i64,
        events: &[NewEvent],
    ) -> Result<Vec<EventRow>, sqlx::Error> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(EVENT_LOCK_KEY)
            .execute(&mut *self)
            .await?;
        // The NOTIFY rides on the insert (one round trip less while the lock is held): every row sends the
        // same payload, the newest seq, which PostgreSQL delivers once per transaction.
        let notify = |sql: String| {
            format!(
                "WITH ins AS ({sql}) SELECT seq, pg_notify('{EVENT_CHANNEL}', (SELECT MAX(seq) FROM ins)::text)::text \
                 FROM ins"
            )
        };
        Ok(insert_rows!(
            self,
            at,
            events,
            (i64, String),
            notify,
            |(seq, _): (i64, String)| seq
        ))
    }
}

impl Store {
    /// Appends events in their own transaction (for changes that have no other row to write).
    pub async fn append_events(&self, at: i64, events: &[NewEvent]) -> StoreResult<Vec<i64>> {
        let rows = on_db_write!(self, p => {
            let mut tx = p.begin().await?;
            let rows = tx.insert_events(at, events).await?;
            tx.commit().await?;
            rows
        });
        let seqs = seqs_of(&rows);
        self.announce_events(rows);
        Ok(seqs)
    }

    /// Events with `seq > after`, oldest first, at most `limit`.
    pub async fn events_after(&self, after: i64, limit: i64) -> StoreResult<Vec<EventRow>> {
        Ok(on_db!(self, p => sqlx::query_as::<_, EventRow>(
            "SELECT seq, at, event_type, agency_ids, unit_id, region_code, payload FROM events \
             WHERE seq > $1 ORDER BY seq LIMIT $2").bind(after).bind(limit).fetch_all(p).await)?)
    }

    /// The newest sequence number (0 when the log is empty).
    pub async fn last_event_seq(&self) -> StoreResult<i64> {
        let seq: Option<i64> = on_db!(self, p => sqlx::query_scalar("SELECT MAX(seq) FROM events").fetch_one(p).await)?;
        Ok(seq.unwrap_or(0))
    }

    /// The oldest sequence number still kept (0 when the log is empty).
    pub async fn first_event_seq(&self) -> StoreResult<i64> {
        let seq: Option<i64> = on_db!(self, p => sqlx::query_scalar("SELECT MIN(seq) FROM events").fetch_one(p).await)?;
        Ok(seq.unwrap_or(0))
    }

    /// Deletes events written before `before_at` (ms), oldest first in chunks, always keeping the newest event
    /// so the log's head (and the next sequence number) survives. Returns how many were deleted.
    ///
    /// Events are appended in commit order, so `at` grows with `seq`: each chunk reads the oldest `seq`s by
    /// primary key and deletes those that are old enough, and pruning stops at the first chunk that is not
    /// entirely old. No index on `at` is needed.
    pub async fn prune_events(&self, before_at: i64) -> StoreResult<u64> {
        const CHUNK: i64 = 5_000;
        let mut total = 0;
        loop {
            let deleted = on_db_write!(self, p => sqlx::query(
                "DELETE FROM events WHERE at < $1 AND seq < (SELECT MAX(seq) FROM events) AND seq IN \
                 (SELECT seq FROM events ORDER BY seq LIMIT $2)")
                .bind(before_at).bind(CHUNK).execute(p).await.map(|r| r.rows_affected()))?;
            total += deleted;
            if deleted < CHUNK as u64 {
                return Ok(total);
            }
        }
    }

    /// Hands the rows a transaction of this instance appended to the event feed, once that transaction has
    /// committed, and wakes the feed. One feed task per instance waits on the signal; `notify_one` keeps a
    /// permit when the feed is busy, so no wake-up is lost. The rows wait here until the feed takes them, at
    /// most [`LOCAL_ROWS_MAX`] (the oldest go first: the feed then finds a gap and reads the log instead).
    pub fn announce_events(&self, rows: Vec<EventRow>) {
        if rows.is_empty() {
            return;
        }
        {
            let mut held = self.committed.lock().unwrap_or_else(|p| p.into_inner());
            held.extend(rows.into_iter().map(|r| (r.seq, r)));
            while held.len() > LOCAL_ROWS_MAX {
                held.pop_first();
            }
        }
        self.event_signal.notify_one();
    }

    /// The rows this instance committed right after `head`, at most `limit`, if they continue it without a gap:
    /// the next page of the log, without reading it. `None` when the next row is not held here (written by
    /// another instance, or committed here but not announced yet): the caller reads the log. Rows up to `head`
    /// are dropped.
    pub fn committed_after(&self, head: i64, limit: usize) -> Option<Vec<EventRow>> {
        take_run(
            &mut self.committed.lock().unwrap_or_else(|p| p.into_inner()),
            head,
            limit,
        )
    }

    /// The in-process wake-up for new events (other instances are woken by PostgreSQL NOTIFY).
    pub fn event_signal(&self) -> std::sync::Arc<tokio::sync::Notify> {
        std::sync::Arc::clone(&self.event_signal)
    }
}

/// Removes and returns the rows of `held` that continue `head` without a gap (at most `limit`), or `None` when
/// the row right after `head` is not held; rows up to `head` are dropped either way.
fn take_run(held: &mut BTreeMap<i64, EventRow>, head: i64, limit: usize) -> Option<Vec<EventRow>> {
    *held = held.split_off(&(head + 1));
    let mut rows = Vec::new();
    while rows.len() < limit
        && let Some(entry) = held.first_entry()
        && *entry.key() == head + 1 + rows.len() as i64
    {
        rows.push(entry.remove());
    }
    (!rows.is_empty()).then_some(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(seqs: &[i64]) -> BTreeMap<i64, EventRow> {
        seqs.iter()
            .map(|&seq| {
                let row = EventRow {
                    seq,
                    at: 0,
                    event_type: "incident.updated".into(),
                    agency_ids: None,
                    unit_id: None,
                    region_code: None,
                    payload: "{}".into(),
                };
                (seq, row)
            })
            .collect()
    }

    fn taken(rows: Option<Vec<EventRow>>) -> Option<Vec<i64>> {
        rows.map(|r| seqs_of(&r))
    }

    #[test]
    fn only_rows_that_continue_the_head_without_a_gap_are_taken() {
        let mut h = held(&[3, 4, 5, 7]);
        assert_eq!(taken(take_run(&mut h, 2, 100)), Some(vec![3, 4, 5]));
        // 6 is not held (another writer's, or not announced yet): the log must be read.
        assert_eq!(taken(take_run(&mut h, 5, 100)), None);
        assert_eq!(h.keys().copied().collect::<Vec<_>>(), vec![7]);
        // Once the log has been read past it, the held row is dropped, not published twice.
        assert_eq!(taken(take_run(&mut h, 7, 100)), None);
        assert!(h.is_empty());
    }

    #[test]
    fn a_run_is_cut_at_the_limit_and_the_rest_stays() {
        let mut h = held(&[10, 11, 12]);
        assert_eq!(taken(take_run(&mut h, 9, 2)), Some(vec![10, 11]));
        assert_eq!(taken(take_run(&mut h, 11, 2)), Some(vec![12]));
        assert_eq!(taken(take_run(&mut h, 12, 2)), None);
    }

    #[test]
    fn rows_announced_out_of_order_are_taken_in_order() {
        let mut h = held(&[22]);
        assert_eq!(taken(take_run(&mut h, 20, 100)), None);
        h.extend(held(&[21]));
        assert_eq!(taken(take_run(&mut h, 20, 100)), Some(vec![21, 22]));
    }
}
