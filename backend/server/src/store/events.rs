//! The durable, ordered event log behind the live stream (`resume_from=<seq>`).
//!
//! Events are inserted in the same transaction as the change they describe, so an event exists exactly when
//! its change was committed. Sequence numbers must also become visible in order: on PostgreSQL, where
//! concurrent transactions could commit identity values out of order, every event-writing transaction takes
//! one transaction-scoped advisory lock before it inserts, so seq assignment and commit are serialised; SQLite
//! serialises writers by itself. Each insert also sends `NOTIFY siaga_events` (delivered on commit) so other
//! instances on the same database wake up; in-process listeners are woken through [`Store::event_signal`].

use super::{Store, StoreResult, on_db, on_db_write};
use sqlx::{PgConnection, SqliteConnection};

/// Advisory lock key that serialises event-writing transactions on PostgreSQL ("112" twice).
const EVENT_LOCK_KEY: i64 = 112_112;

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
    /// Appends `events` at time `at` and returns their sequence numbers.
    fn insert_events(
        &mut self,
        at: i64,
        events: &[NewEvent],
    ) -> impl Future<Output = Result<Vec<i64>, sqlx::Error>> + Send;
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

/// Appends every event in multi-row statements. Writers are serialised (see the module doc) and each row
/// takes the next sequence number in the order of the `VALUES` list; `RETURNING` promises no order, so the
/// numbers are sorted back into it.
macro_rules! insert_rows {
    ($conn:expr, $at:expr, $events:expr) => {{
        let mut seqs = Vec::with_capacity($events.len());
        for chunk in $events.chunks(EVENT_ROWS_PER_INSERT) {
            let sql = insert_events_sql(chunk.len());
            let mut q = sqlx::query_scalar::<_, i64>(&sql);
            for e in chunk {
                q = q
                    .bind($at)
                    .bind(&e.event_type)
                    .bind(agency_list(e))
                    .bind(&e.unit_id)
                    .bind(&e.region_code)
                    .bind(e.payload.to_string());
            }
            let mut got = q.fetch_all(&mut *$conn).await?;
            got.sort_unstable();
            seqs.extend(got);
        }
        seqs
    }};
}

impl EventSink for SqliteConnection {
    async fn insert_events(
        &mut self,
        at: i64,
        events: &[NewEvent],
    ) -> Result<Vec<i64>, sqlx::Error> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        Ok(insert_rows!(self, at, events))
    }
}

impl EventSink for PgConnection {
    async fn insert_events(
        &mut self,
        at: i64,
        events: &[NewEvent],
    ) -> Result<Vec<i64>, sqlx::Error> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(EVENT_LOCK_KEY)
            .execute(&mut *self)
            .await?;
        let mut seqs = Vec::with_capacity(events.len());
        for chunk in events.chunks(EVENT_ROWS_PER_INSERT) {
            // The NOTIFY rides on the insert (one round trip less while the lock is held): every row sends
            // the same payload, the newest seq, which PostgreSQL delivers once per transaction.
            let sql = format!(
                "WITH ins AS ({}) SELECT seq, pg_notify('{EVENT_CHANNEL}', (SELECT MAX(seq) FROM ins)::text)::text \
                 FROM ins",
                insert_events_sql(chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
            for e in chunk {
                q = q
                    .bind(at)
                    .bind(&e.event_type)
                    .bind(agency_list(e))
                    .bind(&e.unit_id)
                    .bind(&e.region_code)
                    .bind(e.payload.to_string());
            }
            let mut got: Vec<i64> = q
                .fetch_all(&mut *self)
                .await?
                .into_iter()
                .map(|(seq, _)| seq)
                .collect();
            got.sort_unstable();
            seqs.extend(got);
        }
        Ok(seqs)
    }
}

impl Store {
    /// Appends events in their own transaction (for changes that have no other row to write).
    pub async fn append_events(&self, at: i64, events: &[NewEvent]) -> StoreResult<Vec<i64>> {
        let seqs = on_db_write!(self, p => {
            let mut tx = p.begin().await?;
            let seqs = tx.insert_events(at, events).await?;
            tx.commit().await?;
            seqs
        });
        self.signal_events();
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

    /// Wakes the in-process event feed after a transaction that inserted events has committed. One feed task
    /// per instance waits on it; `notify_one` keeps a permit when the feed is busy, so no wake-up is lost.
    pub fn signal_events(&self) {
        self.event_signal.notify_one();
    }

    /// The in-process wake-up for new events (other instances are woken by PostgreSQL NOTIFY).
    pub fn event_signal(&self) -> std::sync::Arc<tokio::sync::Notify> {
        std::sync::Arc::clone(&self.event_signal)
    }
}
