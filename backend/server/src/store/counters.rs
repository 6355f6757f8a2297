//! Gap-free, never-repeated sequence numbers for human incident numbers.

use super::{Store, StoreResult, on_db_write};

/// Takes the next sequence number of `(prefix, day)`, starting at 1; `RETURNING` gives it back.
pub(super) const NEXT_SEQUENCE: &str = "INSERT INTO incident_counters (prefix, day, last_value) VALUES ($1, $2, 1) \
     ON CONFLICT (prefix, day) DO UPDATE SET last_value = incident_counters.last_value + 1 \
     RETURNING last_value";

impl Store {
    /// The next sequence number for `prefix` on local day `day` (yyyymmdd), starting at 1.
    ///
    /// One atomic upsert: concurrent callers on any number of instances each get a distinct number, and
    /// numbers are gap-free as long as the caller's transaction commits.
    pub async fn next_incident_sequence(&self, prefix: &str, day: &str) -> StoreResult<i64> {
        Ok(
            on_db_write!(self, p => sqlx::query_scalar::<_, i64>(NEXT_SEQUENCE)
            .bind(prefix).bind(day).fetch_one(p).await)?,
        )
    }
}
