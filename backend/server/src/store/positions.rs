//! Unit positions: the audit track (`unit_positions`), each unit's last known position, and the
//! `unit.position` events, written together in batches by the live layer's position writer.

use super::events::{EventSink, NewEvent};
use super::{Store, StoreResult, on_db, on_db_write, placeholders};

/// One accepted GPS fix of a unit.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackPoint {
    pub unit_id: String,
    /// When the device took the fix (ms).
    pub at: i64,
    pub lon: f64,
    pub lat: f64,
    pub accuracy_m: Option<f64>,
    pub heading_deg: Option<f64>,
    pub speed_mps: Option<f64>,
    /// Why the fix is doubtful, when it is kept anyway.
    pub flagged: Option<String>,
}

/// Rows per multi-row statement: 8 parameters each stays far below both engines' parameter limits.
const CHUNK: usize = 400;

impl Store {
    /// In one transaction: appends `track` to the audit track, moves each unit in `latest` (at most one
    /// point per unit) to its point unless the stored position is newer, and appends `events`. Returns the
    /// events' sequence numbers.
    pub async fn record_positions(
        &self,
        at: i64,
        track: &[TrackPoint],
        latest: &[TrackPoint],
        events: &[NewEvent],
    ) -> StoreResult<Vec<i64>> {
        if track.is_empty() && latest.is_empty() && events.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db_write!(self, p => {
            let mut tx = p.begin().await?;
            for chunk in track.chunks(CHUNK) {
                let sql = format!(
                    "INSERT INTO unit_positions (unit_id, at, lon, lat, accuracy_m, heading_deg, speed_mps, \
                     flagged) VALUES {}",
                    placeholders(chunk.len(), 8)
                );
                let mut q = sqlx::query(&sql);
                for t in chunk {
                    q = q.bind(&t.unit_id).bind(t.at).bind(t.lon).bind(t.lat).bind(t.accuracy_m)
                        .bind(t.heading_deg).bind(t.speed_mps).bind(&t.flagged);
                }
                q.execute(&mut *tx).await?;
            }
            for chunk in latest.chunks(CHUNK) {
                // `VALUES` columns are named column1… on both engines. The guard keeps the newest fix when
                // two instances write the same unit.
                let sql = format!(
                    "UPDATE units SET lon = v.column2, lat = v.column3, position_at = v.column4 \
                     FROM (VALUES {}) AS v WHERE units.id = v.column1 \
                     AND (units.position_at IS NULL OR units.position_at < v.column4)",
                    placeholders(chunk.len(), 4)
                );
                let mut q = sqlx::query(&sql);
                for t in chunk {
                    q = q.bind(&t.unit_id).bind(t.lon).bind(t.lat).bind(t.at);
                }
                q.execute(&mut *tx).await?;
            }
            let rows = tx.insert_events(at, events).await?;
            tx.commit().await?;
            rows
        });
        let seqs = super::seqs_of(&rows);
        self.announce_events(rows);
        Ok(seqs)
    }

    /// What the position intake needs to start tracking each of `unit_ids` that exists: its OPD, the OPD's
    /// region and its newest stored GPS fix. Unknown ids are left out.
    pub async fn units_for_intake(&self, unit_ids: &[&str]) -> StoreResult<Vec<IntakeUnit>> {
        // The newest fix's fields, each a probe of the (unit_id, at) index (`id` breaks a tie in `at`).
        // Scalar subqueries rather than a join on the fix's id: on PostgreSQL a join let the planner hash the
        // whole track table (a plan made while the table was small, kept while it grew).
        let newest = |col: &str| {
            format!(
                "(SELECT q.{col} FROM unit_positions q WHERE q.unit_id = u.id \
                 ORDER BY q.at DESC, q.id DESC LIMIT 1) AS {col}"
            )
        };
        let fields = ["at", "lon", "lat", "accuracy_m"].map(newest).join(", ");
        let rows: Vec<IntakeRow> = self
            .rows_for_ids(unit_ids, |values| {
                format!(
                    "SELECT u.id AS unit_id, u.agency_id, a.region_code AS agency_region, {fields} \
                     FROM {values} JOIN units u ON u.id = v.column1 JOIN agencies a ON a.id = u.agency_id"
                )
            })
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The stored track of a unit between two instants (inclusive), oldest first.
    pub async fn unit_track(
        &self,
        unit_id: &str,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<TrackPoint>> {
        let rows: Vec<TrackRow> = on_db!(self, p => sqlx::query_as::<_, TrackRow>(
            "SELECT unit_id, at, lon, lat, accuracy_m, heading_deg, speed_mps, flagged FROM unit_positions \
             WHERE unit_id = $1 AND at >= $2 AND at <= $3 ORDER BY at, id")
            .bind(unit_id).bind(from).bind(to).fetch_all(p).await)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }
}

/// A unit as the position intake starts tracking it: see [`Store::units_for_intake`].
#[derive(Debug, Clone, PartialEq)]
pub struct IntakeUnit {
    pub unit_id: String,
    pub agency_id: String,
    /// The region code of the unit's OPD.
    pub agency_region: String,
    /// Its newest stored GPS fix: when, where and how accurate.
    pub last_fix: Option<LastTrackFix>,
}

/// The parts of a stored fix the intake checks the next one against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastTrackFix {
    pub at: i64,
    pub lon: f64,
    pub lat: f64,
    pub accuracy_m: Option<f64>,
}

#[derive(sqlx::FromRow)]
struct IntakeRow {
    unit_id: String,
    agency_id: String,
    agency_region: String,
    at: Option<i64>,
    lon: Option<f64>,
    lat: Option<f64>,
    accuracy_m: Option<f64>,
}

impl From<IntakeRow> for IntakeUnit {
    fn from(r: IntakeRow) -> Self {
        let last_fix = match (r.at, r.lon, r.lat) {
            (Some(at), Some(lon), Some(lat)) => Some(LastTrackFix {
                at,
                lon,
                lat,
                accuracy_m: r.accuracy_m,
            }),
            _ => None,
        };
        IntakeUnit {
            unit_id: r.unit_id,
            agency_id: r.agency_id,
            agency_region: r.agency_region,
            last_fix,
        }
    }
}

#[derive(sqlx::FromRow)]
struct TrackRow {
    unit_id: String,
    at: i64,
    lon: f64,
    lat: f64,
    accuracy_m: Option<f64>,
    heading_deg: Option<f64>,
    speed_mps: Option<f64>,
    flagged: Option<String>,
}

impl From<TrackRow> for TrackPoint {
    fn from(r: TrackRow) -> Self {
        TrackPoint {
            unit_id: r.unit_id,
            at: r.at,
            lon: r.lon,
            lat: r.lat,
            accuracy_m: r.accuracy_m,
            heading_deg: r.heading_deg,
            speed_mps: r.speed_mps,
            flagged: r.flagged,
        }
    }
}
