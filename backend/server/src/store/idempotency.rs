//! Stored responses of requests that carried an `Idempotency-Key`.
//!
//! A key is claimed **in the transaction of the change its request makes**: while a request with a key runs,
//! [`PENDING_KEY`] holds the claim, and the first [`Store::commit`] of that request inserts it before its own
//! statements. So a claim row exists exactly when the change was committed — a crash (or a timeout) before the
//! commit leaves nothing behind, and the retry simply runs again; a crash between the commit and the stored
//! response leaves a claim without a response, naming the changed subject, and the retry is answered with
//! that subject's current state instead of doing the work twice. Requests that change nothing through a
//! [`ChangeSet`](super::ChangeSet) (refusals, logins, position fixes) store their response after the fact.

use super::{Store, StoreResult, on_db, on_db_write};
use std::sync::Mutex;

/// A stored key: the request hash, the stored response (status and body) when the request finished, and the
/// subject `(type, id)` its committed change named.
#[derive(Debug, Clone)]
pub struct StoredKey {
    /// SHA-256 of method, path and body of the first request.
    pub request_hash: String,
    /// Status and body of the first response, once stored.
    pub response: Option<(i64, String)>,
    /// The subject of the change committed with the claim (first audit entry), e.g. `("incident", id)`.
    pub subject: Option<(String, String)>,
}

/// A key to claim in the first commit of the running request.
#[derive(Debug)]
pub struct PendingKey {
    /// The requesting user.
    pub user_id: String,
    /// The client's key.
    pub key: String,
    /// HTTP method.
    pub method: String,
    /// Request path.
    pub path: String,
    /// SHA-256 of method, path and body.
    pub request_hash: String,
    /// When the request arrived (ms).
    pub now: i64,
    /// What became of the claim.
    pub state: Mutex<ClaimState>,
}

/// What became of a [`PendingKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimState {
    /// No commit has run yet.
    Unclaimed,
    /// Claimed in a committed change: the request's work is durable under this key.
    Committed,
    /// Another request with the same key claimed it first; this request's change was rolled back.
    TakenByAnother,
}

impl PendingKey {
    /// The current state.
    pub fn state(&self) -> ClaimState {
        *self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn set_state(&self, s: ClaimState) {
        *self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = s;
    }
}

tokio::task_local! {
    /// The key of the request the current task is serving, set by the idempotency middleware.
    pub static PENDING_KEY: std::sync::Arc<PendingKey>;
}

/// The pending key of the current request, if it has not been claimed yet.
pub(super) fn unclaimed_key() -> Option<std::sync::Arc<PendingKey>> {
    PENDING_KEY
        .try_with(std::sync::Arc::clone)
        .ok()
        .filter(|p| p.state() == ClaimState::Unclaimed)
}

/// Claims a key inside a change's transaction; `ON CONFLICT DO NOTHING` so a concurrent claim (which
/// PostgreSQL makes this insert wait for) shows as zero rows rather than an aborted transaction.
pub(super) const CLAIM_IN_CHANGE: &str = "INSERT INTO idempotency_keys \
     (user_id, idem_key, method, path, request_hash, created_at, subject_type, subject_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (user_id, idem_key) DO NOTHING";

impl Store {
    /// Stores the finished response of a request whose change did not claim the key (it committed nothing
    /// through a change set); `false` when the key was claimed by another request meanwhile.
    #[expect(clippy::too_many_arguments, reason = "one row's columns")]
    pub async fn store_idempotent_response(
        &self,
        user_id: &str,
        key: &str,
        method: &str,
        path: &str,
        request_hash: &str,
        now: i64,
        status: u16,
        body: &str,
    ) -> StoreResult<bool> {
        let rows = on_db_write!(self, p => sqlx::query(
            "INSERT INTO idempotency_keys (user_id, idem_key, method, path, request_hash, created_at, status, response) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (user_id, idem_key) DO NOTHING")
            .bind(user_id).bind(key).bind(method).bind(path).bind(request_hash).bind(now)
            .bind(i64::from(status)).bind(body)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(rows == 1)
    }

    /// The stored hash, response and subject of `(user, key)`.
    pub async fn idempotent_key(&self, user_id: &str, key: &str) -> StoreResult<Option<StoredKey>> {
        type Row = (
            String,
            Option<i64>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let row: Option<Row> = on_db!(self, p => sqlx::query_as::<_, Row>(
            "SELECT request_hash, status, response, subject_type, subject_id FROM idempotency_keys \
             WHERE user_id = $1 AND idem_key = $2")
            .bind(user_id).bind(key).fetch_optional(p).await)?;
        Ok(
            row.map(|(request_hash, status, response, st, sid)| StoredKey {
                request_hash,
                response: status.zip(response),
                subject: st.zip(sid),
            }),
        )
    }

    /// Stores the response of the first request.
    pub async fn finish_idempotency_key(
        &self,
        user_id: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        on_db_write!(self, p => sqlx::query(
            "UPDATE idempotency_keys SET status = $3, response = $4 WHERE user_id = $1 AND idem_key = $2")
            .bind(user_id).bind(key).bind(i64::from(status)).bind(body).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}
