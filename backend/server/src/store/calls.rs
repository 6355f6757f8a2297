//! Calls: the row, its reads, and the statements that change it (arrival, answer, classification, end, AML,
//! tiered routing). Every status change is guarded on the status it leaves, and every routing change on the
//! offer it acts on, so a request racing another one rolls back with [`StoreError::Stale`] instead of
//! overwriting it.

use super::scope::{CALL_REGION, place_within};
use super::{Stmt, Store, StoreError, StoreResult, on_db};
use siaga_core::aml::AmlFix;
use siaga_core::call::CallClass;

/// A call row.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct CallRow {
    pub id: String,
    pub ani: String,
    pub channel: String,
    pub service_line: String,
    pub status: String,
    pub class: Option<String>,
    pub ring_at: i64,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub classified_at: Option<i64>,
    pub call_taker_id: Option<String>,
    pub aml_raw: Option<String>,
    pub aml_lon: Option<f64>,
    pub aml_lat: Option<f64>,
    pub aml_radius_m: Option<f64>,
    pub aml_at: Option<i64>,
    pub region_code: Option<String>,
    /// The regional team the call is offered to or taken by (`None`: central).
    pub routed_to: Option<String>,
    pub prank_flag: bool,
    pub incident_id: Option<String>,
    pub notes: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub offered_at: Option<i64>,
    pub fallback_at: Option<i64>,
    pub taken_at: Option<i64>,
    pub taken_by: Option<String>,
    pub fell_back_at: Option<i64>,
    /// The account that registered the call (`None` for calls older than the column).
    pub created_by: Option<String>,
    /// The region the call belongs to for scoping (read only): its incident's, else the caller's locus.
    pub place_region: Option<String>,
}

/// The columns of a [`CallRow`] from `calls c`.
pub(super) fn call_columns() -> String {
    format!(
        "c.id, c.ani, c.channel, c.service_line, c.status, c.class, c.ring_at, c.answered_at, c.ended_at, \
         c.classified_at, c.call_taker_id, c.aml_raw, c.aml_lon, c.aml_lat, c.aml_radius_m, c.aml_at, \
         c.region_code, c.routed_to, c.prank_flag, c.incident_id, c.notes, c.created_at, c.updated_at, \
         c.offered_at, c.fallback_at, c.taken_at, c.taken_by, c.fell_back_at, c.created_by, \
         {CALL_REGION} AS place_region"
    )
}

/// Filter for [`Store::list_calls`]: the status asked for and the reader's scope.
#[derive(Debug, Clone, Default)]
pub struct CallFilter<'a> {
    pub status: Option<&'a str>,
    /// Only the calls this call taker answered.
    pub call_taker: Option<&'a str>,
    /// Only calls not ended or abandoned.
    pub open_only: bool,
    /// The reader's region scope (`siaga_core::scope::Scope::region`): calls located elsewhere are left out.
    pub region: Option<&'a str>,
    /// An integration account's id (`Scope::own_calls`): only the calls it registered.
    pub created_by: Option<&'a str>,
    pub limit: i64,
}

impl Store {
    /// The call with this id.
    pub async fn get_call(&self, id: &str) -> StoreResult<CallRow> {
        let sql = format!("SELECT {} FROM calls c WHERE c.id = $1", call_columns());
        on_db!(self, p => sqlx::query_as::<_, CallRow>(&sql).bind(id).fetch_optional(p).await)?
            .ok_or(StoreError::NotFound)
    }

    /// Calls in the filter's scope, newest first, optionally of one status.
    pub async fn list_calls(&self, f: &CallFilter<'_>) -> StoreResult<Vec<CallRow>> {
        let sql = format!(
            "SELECT {} FROM calls c WHERE ($1 IS NULL OR c.status = $1) AND {} \
             AND ($3 IS NULL OR c.created_by = $3) AND ($5 IS NULL OR c.call_taker_id = $5) \
             AND ($6 = FALSE OR c.status IN ('ringing', 'answered', 'classified')) \
             ORDER BY c.ring_at DESC LIMIT $4",
            call_columns(),
            place_within(CALL_REGION, 2)
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, CallRow>(&sql)
            .bind(f.status).bind(f.region).bind(f.created_by).bind(f.limit).bind(f.call_taker)
            .bind(f.open_only).fetch_all(p).await)?)
    }

    /// Earlier calls from `ani` since `since` (for the prank flag), any class.
    pub async fn calls_from(&self, ani: &str, since: i64) -> StoreResult<Vec<CallRow>> {
        let sql = format!(
            "SELECT {} FROM calls c WHERE c.ani = $1 AND c.ring_at >= $2 ORDER BY c.ring_at",
            call_columns()
        );
        Ok(
            on_db!(self, p => sqlx::query_as::<_, CallRow>(&sql).bind(ani).bind(since).fetch_all(p).await)?,
        )
    }

    /// Calls offered to a regional team that has not taken them, not ended and not fallen back, soonest
    /// fallback first.
    pub async fn calls_awaiting_fallback(&self, limit: i64) -> StoreResult<Vec<CallRow>> {
        let sql = format!(
            "SELECT {} FROM calls c WHERE c.routed_to IS NOT NULL AND c.taken_at IS NULL \
             AND c.fell_back_at IS NULL AND c.fallback_at IS NOT NULL AND c.ended_at IS NULL \
             ORDER BY c.fallback_at LIMIT $1",
            call_columns()
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, CallRow>(&sql).bind(limit).fetch_all(p).await)?)
    }
}

/// Where a call rings: the central team (`team: None`), or a regional team until `fallback_at`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Offer<'a> {
    /// The regional team offered the call.
    pub team: Option<&'a str>,
    /// The region the routing decision used.
    pub region_code: Option<&'a str>,
    /// When the offer was made (regional only).
    pub offered_at: Option<i64>,
    /// When the offer ends (regional only).
    pub fallback_at: Option<i64>,
}

/// A call arriving, as [`insert`] stores it.
#[derive(Debug, Clone, Copy)]
pub struct NewCall<'a> {
    pub id: &'a str,
    /// The normalised caller number.
    pub ani: &'a str,
    pub channel: &'a str,
    pub service_line: &'a str,
    pub ring_at: i64,
    /// The AML payload as received, with its parsed fix.
    pub aml: Option<(&'a str, &'a AmlFix)>,
    pub prank_flag: bool,
    pub offer: Offer<'a>,
    /// The account registering it.
    pub created_by: &'a str,
    pub at: i64,
}

/// Stores a ringing call.
pub fn insert(c: &NewCall<'_>) -> Stmt {
    let fix = c.aml.map(|(_, fix)| fix);
    Stmt::new(
        "INSERT INTO calls (id, ani, channel, service_line, status, ring_at, aml_raw, aml_lon, aml_lat, \
         aml_radius_m, aml_at, prank_flag, created_at, updated_at, routed_to, region_code, offered_at, \
         fallback_at, created_by) \
         VALUES ($1, $2, $3, $4, 'ringing', $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16, $17)",
    )
    .text(c.id)
    .text(c.ani)
    .text(c.channel)
    .text(c.service_line)
    .int(c.ring_at)
    .opt_text(c.aml.map(|(raw, _)| raw))
    .opt_float(fix.map(|f| f.position.lon()))
    .opt_float(fix.map(|f| f.position.lat()))
    .opt_float(fix.map(|f| f.radius_m))
    .opt_int(fix.map(|f| f.time.0))
    .boolean(c.prank_flag)
    .int(c.at)
    .opt_text(c.offer.team)
    .opt_text(c.offer.region_code)
    .opt_int(c.offer.offered_at)
    .opt_int(c.offer.fallback_at)
    .text(c.created_by)
}

/// A ringing call is answered by `by`.
pub fn answer(id: &str, by: &str, at: i64) -> Stmt {
    Stmt::new(
        "UPDATE calls SET status = 'answered', answered_at = $2, call_taker_id = $3, updated_at = $2 \
         WHERE id = $1 AND status = 'ringing'",
    )
    .text(id)
    .int(at)
    .text(by)
    .expect(1)
}

/// A ringing call offered to a regional team is answered by a member of that team, which takes the offer;
/// rolls back if the offer was taken or fell back first.
pub fn answer_taking_offer(id: &str, by: &str, at: i64) -> Stmt {
    Stmt::new(
        "UPDATE calls SET status = 'answered', answered_at = $2, call_taker_id = $3, updated_at = $2, \
         taken_at = $2, taken_by = $3 WHERE id = $1 AND status = 'ringing' AND taken_at IS NULL \
         AND fell_back_at IS NULL",
    )
    .text(id)
    .int(at)
    .text(by)
    .expect(1)
}

/// An answered call gets its class and the call taker's notes.
pub fn classify(id: &str, class: CallClass, notes: Option<&str>, at: i64) -> Stmt {
    Stmt::new(
        "UPDATE calls SET status = 'classified', class = $2, classified_at = $3, notes = $4, updated_at = $3 \
         WHERE id = $1 AND status = 'answered'",
    )
    .text(id)
    .text(class.as_str())
    .int(at)
    .opt_text(notes)
    .expect(1)
}

/// The caller hung up before anyone answered.
pub fn abandon(id: &str, at: i64) -> Stmt {
    Stmt::new(
        "UPDATE calls SET status = 'abandoned', class = 'abandoned', ended_at = $2, updated_at = $2 \
         WHERE id = $1 AND status = 'ringing'",
    )
    .text(id)
    .int(at)
    .expect(1)
}

/// An answered (or classified) call ends.
pub fn end(id: &str, at: i64) -> Stmt {
    Stmt::new(
        "UPDATE calls SET status = 'ended', ended_at = $2, updated_at = $2 \
         WHERE id = $1 AND status IN ('answered', 'classified')",
    )
    .text(id)
    .int(at)
    .expect(1)
}

/// Stores an AML payload that arrived after the call, with its parsed fix and the region it lies in. Rolls
/// back once the call was classified or linked to an incident (the fix is then part of the record), or when
/// the fix changed since it was read (`read_raw`), so the audit's `before` is the fix replaced.
pub fn attach_aml(
    id: &str,
    raw: &str,
    fix: &AmlFix,
    region_code: Option<&str>,
    at: i64,
    read_raw: Option<&str>,
) -> Stmt {
    Stmt::new(
        "UPDATE calls SET aml_raw = $2, aml_lon = $3, aml_lat = $4, aml_radius_m = $5, aml_at = $6, \
         updated_at = $7, region_code = COALESCE($8, region_code) WHERE id = $1 \
         AND classified_at IS NULL AND incident_id IS NULL \
         AND (aml_raw = $9 OR (aml_raw IS NULL AND $9 IS NULL))",
    )
    .text(id)
    .text(raw)
    .float(fix.position.lon())
    .float(fix.position.lat())
    .float(fix.radius_m)
    .int(fix.time.0)
    .int(at)
    .opt_text(region_code)
    .opt_text(read_raw)
    .expect(1)
}

/// Routes a call again from its caller's locus. Rolls back if the call was taken or ended, or changed in any
/// way since it was read (`read_updated_at`), so a decision is never made on a stale view of the call.
pub fn route(id: &str, offer: &Offer<'_>, at: i64, read_updated_at: i64) -> Stmt {
    Stmt::new(
        "UPDATE calls SET routed_to = $2, region_code = $3, offered_at = $4, fallback_at = $5, \
         fell_back_at = NULL, updated_at = $6 \
         WHERE id = $1 AND taken_at IS NULL AND ended_at IS NULL AND updated_at = $7",
    )
    .text(id)
    .opt_text(offer.team)
    .opt_text(offer.region_code)
    .opt_int(offer.offered_at)
    .opt_int(offer.fallback_at)
    .int(at)
    .int(read_updated_at)
    .expect(1)
}

/// A member (`by`) of the regional team `team` takes a call offered to it; a ringing call is answered by
/// taking it. Rolls back unless the offer is still open.
pub fn take(id: &str, team: &str, by: &str, at: i64) -> Stmt {
    Stmt::new(
        "UPDATE calls SET taken_at = $2, taken_by = $3, call_taker_id = $3, \
         status = CASE WHEN status = 'ringing' THEN 'answered' ELSE status END, \
         answered_at = COALESCE(answered_at, $2), updated_at = $2 \
         WHERE id = $1 AND routed_to = $4 AND taken_at IS NULL AND fell_back_at IS NULL AND ended_at IS NULL",
    )
    .text(id)
    .int(at)
    .text(by)
    .text(team)
    .expect(1)
}

/// Hands a call the regional team `team` did not take back to the central team. Rolls back if the team took
/// it, or it was routed elsewhere, in the meantime.
pub fn fall_back(id: &str, team: &str, at: i64) -> Stmt {
    Stmt::new(
        "UPDATE calls SET routed_to = NULL, fell_back_at = $2, updated_at = $2 \
         WHERE id = $1 AND routed_to = $3 AND taken_at IS NULL AND fell_back_at IS NULL",
    )
    .text(id)
    .int(at)
    .text(team)
    .expect(1)
}
