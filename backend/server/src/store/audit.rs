//! The append-only, tamper-evident audit log: who did what, when, with the state before and after.
//!
//! Each entry stores `hash = SHA-256(prev_hash, content)` and the `prev_hash` of the entry before it, so the
//! entries form one chain in id order. Editing an entry's content, deleting or inserting one, or reordering
//! them breaks the chain at that entry, which [`Store::verify_audit`] (`siaga audit verify`) reports. The
//! migration's triggers also refuse UPDATE and DELETE, so a change needs a deliberate act against the
//! database itself. Appends are serialized so the chain is one line: by SQLite's single writer, and on
//! PostgreSQL by a transaction-scoped advisory lock shared by every instance.
//!
//! What the chain cannot show alone is the loss of the newest entries (a truncated tail is a valid, shorter
//! chain): `verify` prints the head (count and last hash) for the operator to record elsewhere (SECURITY.md).

use super::scope::{CALL_REGION, UNIT_REGION, USER_REGION, person_within, place_within};
use super::{Store, StoreResult, on_db, on_db_write};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, SqliteConnection};

/// One audit entry to append.
#[derive(Debug, Clone, Default)]
pub struct AuditEntry {
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub detail: Option<String>,
}

/// A stored audit entry.
#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Option<String>,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub detail: Option<String>,
    /// The hash of the entry before this one in the chain (`None` for the first).
    pub prev_hash: Option<String>,
    /// SHA-256 of `prev_hash` and this entry's content.
    pub hash: Option<String>,
}

/// Filter for [`Store::list_audit`].
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// A region-scoped reader's region: only entries made by a person working there, or about a user, call,
    /// incident, assignment or unit of that region (`siaga_core::scope`'s rules).
    pub region: Option<String>,
    pub limit: i64,
}

/// Entries per multi-row insert (11 parameters each: under SQLite's 32,766 and PostgreSQL's 65,535).
const AUDIT_ROWS_PER_INSERT: usize = 500;

/// The newest entry's hash: where the next entry links on.
const HEAD_HASH: &str = "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1";

/// Advisory lock serializing audit appends across PostgreSQL instances (held until the transaction ends).
const AUDIT_LOCK_KEY: i64 = 112_113;

/// The stored content of an entry, in the order the chain hashes it.
struct Content<'a> {
    at: i64,
    actor_id: Option<&'a str>,
    actor_role: Option<&'a str>,
    action: &'a str,
    subject_type: &'a str,
    subject_id: Option<&'a str>,
    before_json: Option<&'a str>,
    after_json: Option<&'a str>,
    detail: Option<&'a str>,
}

impl Content<'_> {
    /// `SHA-256` (hex) of the previous hash and this content, as one JSON array: every field is delimited
    /// and escaped, so no two different entries serialize alike, and `null` differs from `""`.
    fn link_hash(&self, prev_hash: Option<&str>) -> String {
        let canonical = serde_json::json!([
            prev_hash,
            self.at,
            self.actor_id,
            self.actor_role,
            self.action,
            self.subject_type,
            self.subject_id,
            self.before_json,
            self.after_json,
            self.detail,
        ]);
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

impl AuditRow {
    fn content(&self) -> Content<'_> {
        Content {
            at: self.at,
            actor_id: self.actor_id.as_deref(),
            actor_role: self.actor_role.as_deref(),
            action: &self.action,
            subject_type: &self.subject_type,
            subject_id: self.subject_id.as_deref(),
            before_json: self.before_json.as_deref(),
            after_json: self.after_json.as_deref(),
            detail: self.detail.as_deref(),
        }
    }
}

/// An entry ready to insert, with its JSON serialized once.
struct Prepared<'a> {
    entry: &'a AuditEntry,
    before: Option<String>,
    after: Option<String>,
}

impl<'a> Prepared<'a> {
    fn new(entry: &'a AuditEntry) -> Self {
        Prepared {
            entry,
            before: entry.before.as_ref().map(serde_json::Value::to_string),
            after: entry.after.as_ref().map(serde_json::Value::to_string),
        }
    }

    fn content(&self) -> Content<'_> {
        let e = self.entry;
        Content {
            at: e.at,
            actor_id: e.actor_id.as_deref(),
            actor_role: e.actor_role.as_deref(),
            action: &e.action,
            subject_type: &e.subject_type,
            subject_id: e.subject_id.as_deref(),
            before_json: self.before.as_deref(),
            after_json: self.after.as_deref(),
            detail: e.detail.as_deref(),
        }
    }
}

/// Appending audit entries inside an open transaction, chained to the newest entry, for both engines.
pub trait AuditSink {
    /// Appends `entries` in order.
    fn insert_audit(
        &mut self,
        entries: &[AuditEntry],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

/// `INSERT INTO audit_log … VALUES (…), (…)` for `n` entries, 11 parameters each.
fn insert_audit_sql(n: usize) -> String {
    format!(
        "INSERT INTO audit_log (at, actor_id, actor_role, action, subject_type, subject_id, before_json, \
         after_json, detail, prev_hash, hash) VALUES {}",
        super::placeholders(n, 11)
    )
}

/// The body shared by both engines once appends are serialized: the chain's head, then every entry of the
/// change in one multi-row statement (ids follow the order of the rows, so the chain stays in id order).
macro_rules! insert_chained {
    ($conn:expr, $entries:expr) => {{
        let mut prev: Option<String> = sqlx::query_scalar(HEAD_HASH)
            .fetch_optional(&mut *$conn)
            .await?
            .flatten();
        let prepared: Vec<(Prepared<'_>, Option<String>, String)> = $entries
            .iter()
            .map(|e| {
                let p = Prepared::new(e);
                let hash = p.content().link_hash(prev.as_deref());
                let link = prev.replace(hash.clone());
                (p, link, hash)
            })
            .collect();
        for chunk in prepared.chunks(AUDIT_ROWS_PER_INSERT) {
            let sql = insert_audit_sql(chunk.len());
            let mut q = sqlx::query(&sql);
            for (p, link, hash) in chunk {
                let e = p.entry;
                q = q
                    .bind(e.at)
                    .bind(&e.actor_id)
                    .bind(&e.actor_role)
                    .bind(&e.action)
                    .bind(&e.subject_type)
                    .bind(&e.subject_id)
                    .bind(&p.before)
                    .bind(&p.after)
                    .bind(&e.detail)
                    .bind(link)
                    .bind(hash);
            }
            q.execute(&mut *$conn).await?;
        }
        Ok(())
    }};
}

impl AuditSink for SqliteConnection {
    async fn insert_audit(&mut self, entries: &[AuditEntry]) -> Result<(), sqlx::Error> {
        if entries.is_empty() {
            return Ok(());
        }
        // SQLite's single writer connection already serializes every append.
        insert_chained!(self, entries)
    }
}

impl AuditSink for PgConnection {
    async fn insert_audit(&mut self, entries: &[AuditEntry]) -> Result<(), sqlx::Error> {
        if entries.is_empty() {
            return Ok(());
        }
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(AUDIT_LOCK_KEY)
            .execute(&mut *self)
            .await?;
        insert_chained!(self, entries)
    }
}

/// Where the audit chain breaks, if it does: the first entry that does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// The entry has no hash: it was inserted around the chain.
    Unchained { id: i64 },
    /// The entry does not link to the entry before it: an entry between them was deleted, inserted or moved.
    Unlinked { id: i64, previous_id: Option<i64> },
    /// The entry's content does not match its hash: it was edited.
    Edited { id: i64 },
}

impl ChainBreak {
    /// The entry where the chain breaks.
    pub fn id(&self) -> i64 {
        match self {
            ChainBreak::Unchained { id }
            | ChainBreak::Unlinked { id, .. }
            | ChainBreak::Edited { id } => *id,
        }
    }
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainBreak::Unchained { id } => {
                write!(f, "entry {id} has no hash: it was inserted outside Siaga")
            }
            ChainBreak::Unlinked {
                id,
                previous_id: Some(prev),
            } => write!(
                f,
                "entry {id} does not follow entry {prev}: an entry between them was deleted, or entries were \
                 inserted or reordered"
            ),
            ChainBreak::Unlinked {
                id,
                previous_id: None,
            } => write!(
                f,
                "entry {id} is the first entry but links to an earlier one: the entries before it were deleted"
            ),
            ChainBreak::Edited { id } => {
                write!(
                    f,
                    "entry {id}'s content does not match its hash: it was edited"
                )
            }
        }
    }
}

/// The outcome of [`Store::verify_audit`].
#[derive(Debug, Clone)]
pub struct AuditVerification {
    /// Entries checked (all of them when the chain is intact; up to the break otherwise).
    pub entries: u64,
    /// The last entry's id and hash: the head an operator records to detect a truncated tail later.
    pub head: Option<(i64, String)>,
    /// The first break, if any.
    pub broken: Option<ChainBreak>,
}

/// Follows the chain over `rows` (in id order) from `prev` (the id and hash of the entry before them);
/// returns the new `prev`, or the first break.
fn follow_chain(
    rows: &[AuditRow],
    mut prev: Option<(i64, String)>,
) -> Result<Option<(i64, String)>, ChainBreak> {
    for row in rows {
        let (Some(hash), prev_hash) = (row.hash.as_deref(), row.prev_hash.as_deref()) else {
            return Err(ChainBreak::Unchained { id: row.id });
        };
        if prev_hash != prev.as_ref().map(|(_, h)| h.as_str()) {
            return Err(ChainBreak::Unlinked {
                id: row.id,
                previous_id: prev.map(|(id, _)| id),
            });
        }
        if row.content().link_hash(prev_hash) != hash {
            return Err(ChainBreak::Edited { id: row.id });
        }
        prev = Some((row.id, hash.to_owned()));
    }
    Ok(prev)
}

/// Entries read per page while verifying or sealing.
const CHAIN_PAGE: i64 = 2_000;

const CHAIN_ROWS: &str = "SELECT id, at, actor_id, actor_role, action, subject_type, subject_id, before_json, \
     after_json, detail, prev_hash, hash FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2";

impl Store {
    /// Appends one entry. The log is never updated or deleted.
    pub async fn append_audit(&self, e: &AuditEntry) -> StoreResult<()> {
        on_db_write!(self, p => {
            let mut tx = p.begin().await?;
            tx.insert_audit(std::slice::from_ref(e)).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Walks the whole chain in id order and reports the first entry that does not verify.
    pub async fn verify_audit(&self) -> StoreResult<AuditVerification> {
        let mut prev: Option<(i64, String)> = None;
        let mut entries = 0u64;
        let mut after_id = 0i64;
        loop {
            let rows = on_db!(self, p => sqlx::query_as::<_, AuditRow>(CHAIN_ROWS)
                .bind(after_id).bind(CHAIN_PAGE).fetch_all(p).await)?;
            let Some(last) = rows.last() else { break };
            after_id = last.id;
            match follow_chain(&rows, prev.clone()) {
                Ok(next) => {
                    prev = next;
                    entries += rows.len() as u64;
                }
                Err(broken) => {
                    let at = rows.iter().position(|r| r.id == broken.id()).unwrap_or(0);
                    return Ok(AuditVerification {
                        entries: entries + at as u64,
                        head: prev,
                        broken: Some(broken),
                    });
                }
            }
        }
        Ok(AuditVerification {
            entries,
            head: prev,
            broken: None,
        })
    }

    /// Chains the entries written before the chain existed (the migration left their hash NULL and recorded
    /// the last of them in `audit_chain_origin`), in id order, when the database is opened. Any other
    /// unchained entry was inserted around Siaga, and stays unchained for `verify` to report.
    pub(super) async fn seal_unchained_audit(&self) -> StoreResult<u64> {
        let sealed = on_db_write!(self, p => {
            let mut tx = p.begin().await?;
            if self.pg_pool().is_some() {
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(AUDIT_LOCK_KEY).execute(&mut *tx).await?;
            }
            let legacy_max: Option<i64> =
                sqlx::query_scalar("SELECT MAX(legacy_max_id) FROM audit_chain_origin")
                    .fetch_one(&mut *tx).await?;
            let legacy_max = legacy_max.unwrap_or(0);
            let mut sealed = 0u64;
            let mut prev: Option<String> = None;
            // Nothing is legacy on a database created with the chain (`legacy_max` 0): the loop ends at once.
            let mut after_id = 0i64;
            loop {
                let page = if legacy_max > after_id { CHAIN_PAGE } else { 0 };
                let rows = sqlx::query_as::<_, AuditRow>(CHAIN_ROWS)
                    .bind(after_id).bind(page).fetch_all(&mut *tx).await?;
                let legacy: Vec<&AuditRow> =
                    rows.iter().take_while(|r| r.id <= legacy_max && r.hash.is_none()).collect();
                for row in &legacy {
                    let hash = row.content().link_hash(prev.as_deref());
                    sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE id = $3")
                        .bind(&prev).bind(&hash).bind(row.id).execute(&mut *tx).await?;
                    prev = Some(hash);
                    sealed += 1;
                }
                match legacy.last() {
                    Some(last) if legacy.len() == rows.len() => after_id = last.id,
                    _ => break,
                }
            }
            tx.commit().await?;
            sealed
        });
        Ok(sealed)
    }

    /// The stored hash of entry `id` (`None` when there is no such entry), to compare with a recorded head.
    pub async fn audit_hash(&self, id: i64) -> StoreResult<Option<String>> {
        Ok(on_db!(self, p => sqlx::query_scalar::<_, Option<String>>("SELECT hash FROM audit_log WHERE id = $1")
            .bind(id).fetch_optional(p).await)?.flatten())
    }

    /// Entries matching the filter, newest first.
    pub async fn list_audit(&self, f: &AuditFilter) -> StoreResult<Vec<AuditRow>> {
        let sql = format!(
            "SELECT id, at, actor_id, actor_role, action, subject_type, subject_id, before_json, \
             after_json, detail, prev_hash, hash FROM audit_log l \
             WHERE ($1 IS NULL OR subject_type = $1) AND ($2 IS NULL OR subject_id = $2) \
             AND ($3 IS NULL OR actor_id = $3) AND ($4 IS NULL OR action = $4) \
             AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6) AND {} \
             ORDER BY id DESC LIMIT $7",
            in_region(8)
        );
        Ok(on_db!(self, p => sqlx::query_as::<_, AuditRow>(&sql)
            .bind(&f.subject_type).bind(&f.subject_id).bind(&f.actor_id).bind(&f.action)
            .bind(f.since).bind(f.until).bind(f.limit).bind(&f.region).fetch_all(p).await)?)
    }
}

/// True for an entry `l` of region scope `$n`: made by a person working there, or about a subject there.
fn in_region(n: u8) -> String {
    let person = person_within(USER_REGION, n);
    let call = place_within(CALL_REGION, n);
    let incident = place_within("i.region_code", n);
    let unit = place_within(UNIT_REGION, n);
    format!(
        "(${n} IS NULL \
         OR EXISTS (SELECT 1 FROM users u WHERE u.id = l.actor_id AND {person}) \
         OR (l.subject_type = 'user' AND EXISTS (SELECT 1 FROM users u WHERE u.id = l.subject_id AND {person})) \
         OR (l.subject_type = 'call' AND EXISTS (SELECT 1 FROM calls c WHERE c.id = l.subject_id AND {call})) \
         OR (l.subject_type = 'incident' AND EXISTS (SELECT 1 FROM incidents i \
             WHERE i.id = l.subject_id AND {incident})) \
         OR (l.subject_type = 'assignment' AND EXISTS (SELECT 1 FROM assignments a \
             JOIN incidents i ON i.id = a.incident_id WHERE a.id = l.subject_id AND {incident})) \
         OR (l.subject_type = 'unit' AND EXISTS (SELECT 1 FROM units un WHERE un.id = l.subject_id AND {unit})))"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chain of `n` entries as the store would write them.
    fn chain(n: i64) -> Vec<AuditRow> {
        let mut prev: Option<String> = None;
        (1..=n)
            .map(|id| {
                let mut row = AuditRow {
                    id,
                    at: 1_000 + id,
                    actor_id: Some("u1".into()),
                    actor_role: Some("supervisor".into()),
                    action: "call.read_personal".into(),
                    subject_type: "call".into(),
                    subject_id: Some(format!("c{id}")),
                    before_json: None,
                    after_json: Some(r#"{"ani":"0812"}"#.into()),
                    detail: None,
                    prev_hash: prev.clone(),
                    hash: None,
                };
                let hash = row.content().link_hash(prev.as_deref());
                row.hash = Some(hash.clone());
                prev = Some(hash);
                row
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies_to_its_head() {
        let rows = chain(5);
        let head = follow_chain(&rows, None).unwrap().unwrap();
        assert_eq!(head, (5, rows[4].hash.clone().unwrap()));
        // In pages, carrying the previous page's head.
        let first = follow_chain(&rows[..2], None).unwrap();
        assert_eq!(follow_chain(&rows[2..], first).unwrap().unwrap().0, 5);
    }

    #[test]
    fn an_edited_entry_is_named() {
        let mut rows = chain(5);
        rows[2].detail = Some("harmless".into());
        assert_eq!(follow_chain(&rows, None), Err(ChainBreak::Edited { id: 3 }));
        let mut rows = chain(5);
        rows[3].subject_id = None;
        assert_eq!(follow_chain(&rows, None), Err(ChainBreak::Edited { id: 4 }));
    }

    #[test]
    fn a_deleted_entry_breaks_the_link_after_it() {
        let mut rows = chain(5);
        rows.remove(2);
        assert_eq!(
            follow_chain(&rows, None),
            Err(ChainBreak::Unlinked {
                id: 4,
                previous_id: Some(2)
            })
        );
        let rows = chain(5);
        assert_eq!(
            follow_chain(&rows[1..], None),
            Err(ChainBreak::Unlinked {
                id: 2,
                previous_id: None
            })
        );
    }

    #[test]
    fn an_entry_inserted_around_the_chain_is_caught() {
        let mut rows = chain(3);
        let mut forged = rows[2].clone();
        forged.id = 4;
        forged.hash = None;
        rows.push(forged);
        assert_eq!(
            follow_chain(&rows, None),
            Err(ChainBreak::Unchained { id: 4 })
        );
        // Rehashing the forged entry onto a wrong predecessor is caught as well.
        let mut rows = chain(3);
        let mut forged = rows[1].clone();
        forged.id = 4;
        rows.push(forged);
        assert!(matches!(
            follow_chain(&rows, None),
            Err(ChainBreak::Unlinked { id: 4, .. })
        ));
    }

    #[test]
    fn null_and_empty_fields_hash_differently() {
        let rows = chain(1);
        let mut other = rows[0].clone();
        other.detail = Some(String::new());
        assert_ne!(
            rows[0].content().link_hash(None),
            other.content().link_hash(None)
        );
    }
}
