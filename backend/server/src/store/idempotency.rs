//! Stored responses of requests that carried an `Idempotency-Key`.

use super::{Store, StoreResult, on_db};

/// What a first request with a key left behind: its body hash, and its response once finished.
pub type StoredResponse = (String, Option<i64>, Option<String>);

impl Store {
    /// Claims `(user, key)` for a new request; `false` when it was claimed before.
    pub async fn claim_idempotency_key(
        &self,
        user_id: &str,
        key: &str,
        method: &str,
        path: &str,
        request_hash: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let rows = on_db!(self, p => sqlx::query(
            "INSERT INTO idempotency_keys (user_id, idem_key, method, path, request_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, idem_key) DO NOTHING")
            .bind(user_id).bind(key).bind(method).bind(path).bind(request_hash).bind(now)
            .execute(p).await.map(|r| r.rows_affected()))?;
        Ok(rows == 1)
    }

    /// The stored hash and response of `(user, key)`.
    pub async fn idempotent_response(
        &self,
        user_id: &str,
        key: &str,
    ) -> StoreResult<Option<StoredResponse>> {
        Ok(on_db!(self, p => sqlx::query_as::<_, StoredResponse>(
            "SELECT request_hash, status, response FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2")
            .bind(user_id).bind(key).fetch_optional(p).await)?)
    }

    /// Stores the response of the first request.
    pub async fn finish_idempotency_key(
        &self,
        user_id: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        on_db!(self, p => sqlx::query(
            "UPDATE idempotency_keys SET status = $3, response = $4 WHERE user_id = $1 AND idem_key = $2")
            .bind(user_id).bind(key).bind(i64::from(status)).bind(body).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Forgets a key whose request failed on the server side, so a retry runs again.
    pub async fn release_idempotency_key(&self, user_id: &str, key: &str) -> StoreResult<()> {
        on_db!(self, p => sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2")
            .bind(user_id).bind(key).execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}
