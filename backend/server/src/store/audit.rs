//! The append-only audit log: who did what, when, with the state before and after.

use super::{Store, StoreResult, on_db, on_db_write};

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
    pub limit: i64,
}

/// Appends one entry; shared with [`super::ChangeSet`] commits.
pub(super) const INSERT_AUDIT: &str = "INSERT INTO audit_log (at, actor_id, actor_role, action, subject_type, \
     subject_id, before_json, after_json, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

impl Store {
    /// Appends one entry. The log is never updated or deleted.
    pub async fn append_audit(&self, e: &AuditEntry) -> StoreResult<()> {
        let before = e.before.as_ref().map(serde_json::Value::to_string);
        let after = e.after.as_ref().map(serde_json::Value::to_string);
        on_db_write!(self, p => sqlx::query(INSERT_AUDIT)
            .bind(e.at).bind(&e.actor_id).bind(&e.actor_role).bind(&e.action).bind(&e.subject_type)
            .bind(&e.subject_id).bind(before).bind(after).bind(&e.detail).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Entries matching the filter, newest first.
    pub async fn list_audit(&self, f: &AuditFilter) -> StoreResult<Vec<AuditRow>> {
        Ok(on_db!(self, p => sqlx::query_as::<_, AuditRow>(
            "SELECT id, at, actor_id, actor_role, action, subject_type, subject_id, before_json, \
             after_json, detail FROM audit_log \
             WHERE ($1 IS NULL OR subject_type = $1) AND ($2 IS NULL OR subject_id = $2) \
             AND ($3 IS NULL OR actor_id = $3) AND ($4 IS NULL OR action = $4) \
             AND ($5 IS NULL OR at >= $5) AND ($6 IS NULL OR at < $6) \
             ORDER BY id DESC LIMIT $7")
            .bind(&f.subject_type).bind(&f.subject_id).bind(&f.actor_id).bind(&f.action)
            .bind(f.since).bind(f.until).bind(f.limit).fetch_all(p).await)?)
    }
}
