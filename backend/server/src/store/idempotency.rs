//! Stored responses of requests that carried an `Idempotency-Key`.
//!
//! A key is claimed **in the transaction of the change its request makes**: while a request with a key runs,
//! [`PENDING_KEY`] holds the claim, and the first [`Store::commit`] of that request inserts it before its own
//! statements. So a claim row exists exactly when the change was committed — a crash (or a timeout) before the
//! commit leaves nothing behind, and the retry simply runs again; a crash between the commit and the stored
//! response leaves a claim without a response, naming the changed subject, and the retry is answered with
//! that subject's current state instead of doing the work twice. Requests that change nothing through a
//! [`ChangeSet`](super::ChangeSet) (refusals, logins, position fixes) store their response after the fact.
//!
//! **One commit per change.** The response of a request whose change claimed the key is not written with a
//! commit of its own: [`Store::queue_idempotent_reply`] hands it to a write-behind queue, and one task writes
//! every queued response in one statement and one commit, 50 ms after the first of them was queued (so one
//! commit carries the responses of every request answered meanwhile). The request is answered without
//! waiting for that commit. This is honest because the stored response is not what makes the request safe to
//! retry — the claim is, and the claim is durable with the change: a retry that arrives before the queued
//! response is written is answered from the queue by this instance ([`Store::idempotent_key`] looks there
//! first), and from the changed subject's current state by another instance or after a crash, exactly the
//! path a crash between commit and reply always took. The other choice, writing the response inside the
//! change's own transaction, needs the response before the commit: the handlers build it from what the commit
//! returned (the allocated number, re-read rows, which another connection only sees after the commit), and
//! holding the transaction open while they do would hold SQLite's single writer and PostgreSQL's audit and
//! event locks for the whole handler. Queued responses are bounded ([`REPLY_QUEUE_MAX`]; past it a response
//! is written at once, as before) and written out by [`Store::close`].

use super::{Db, Store, StoreResult, on_db, on_db_write};
use std::collections::HashMap;
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

/// Responses waiting in the write-behind queue at most; past it a response is written at once.
pub const REPLY_QUEUE_MAX: usize = 20_000;

/// How long the writer lets responses gather before it writes them. The requests were answered already, so
/// this costs them nothing; it lets one commit carry the responses of many requests even when they do not
/// overlap (without it, a request every few ms would still cost two commits: its change and its response).
const REPLY_GATHER: std::time::Duration = std::time::Duration::from_millis(50);

/// Responses written per statement (4 parameters each, well under both engines' limits).
const REPLY_BATCH: usize = 250;

/// `(user_id, key)` of a stored key.
type KeyId = (String, String);

/// The write-behind queue of responses whose key a committed change claimed (see the module doc).
#[derive(Debug, Default)]
pub(super) struct ReplyQueue {
    inner: Mutex<Replies>,
}

#[derive(Debug, Default)]
struct Replies {
    /// Every response not yet written, by key: those waiting and those being written.
    unwritten: HashMap<KeyId, (i64, String)>,
    /// Keys not yet handed to a write, oldest first.
    waiting: Vec<KeyId>,
    /// Whether a writer task is running.
    writing: bool,
}

impl ReplyQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, Replies> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `UPDATE … FROM (VALUES …)` writing `n` responses (`user_id, key, status, response` per row); both engines
/// name the columns of a `VALUES` list `column1…`.
fn write_replies_sql(n: usize) -> String {
    format!(
        "UPDATE idempotency_keys SET status = v.column3, response = v.column4 FROM (VALUES {}) AS v \
         WHERE idempotency_keys.user_id = v.column1 AND idempotency_keys.idem_key = v.column2",
        super::placeholders(n, 4)
    )
}

impl Store {
    /// Stores the response of a request whose committed change claimed its key: queued for the next batched
    /// write (see the module doc), or written at once when the queue is full or no runtime runs the writer.
    pub async fn queue_idempotent_reply(
        &self,
        user_id: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> StoreResult<()> {
        // `Some(runtime)` when queued (and a writer must be started there), `None` when queued for a running
        // writer; `Err` when it must be written at once.
        let queued: Result<Option<tokio::runtime::Handle>, ()> = {
            let mut q = self.replies.lock();
            match tokio::runtime::Handle::try_current() {
                Ok(rt) if q.unwritten.len() < REPLY_QUEUE_MAX => {
                    let id = (user_id.to_owned(), key.to_owned());
                    q.unwritten
                        .insert(id.clone(), (i64::from(status), body.to_owned()));
                    q.waiting.push(id);
                    let start = !q.writing;
                    q.writing = true;
                    Ok(start.then_some(rt))
                }
                _ => Err(()),
            }
        };
        match queued {
            Ok(Some(rt)) => {
                let store = self.clone();
                rt.spawn(async move { store.write_queued_replies().await });
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(()) => {
                self.finish_idempotency_key(user_id, key, status, body)
                    .await
            }
        }
    }

    /// The writer task: lets responses gather for [`REPLY_GATHER`], writes them in one statement, and so on
    /// until none waits. A failed write is retried (the responses stay readable from the queue meanwhile).
    async fn write_queued_replies(&self) {
        loop {
            tokio::time::sleep(REPLY_GATHER).await;
            let batch: Vec<(KeyId, (i64, String))> = {
                let mut q = self.replies.lock();
                if q.waiting.is_empty() {
                    q.writing = false;
                    return;
                }
                let n = q.waiting.len().min(REPLY_BATCH);
                let ids: Vec<KeyId> = q.waiting.drain(..n).collect();
                ids.into_iter()
                    .filter_map(|id| {
                        let reply = q.unwritten.get(&id)?.clone();
                        Some((id, reply))
                    })
                    .collect()
            };
            match self.write_replies(&batch).await {
                Ok(()) => {
                    let mut q = self.replies.lock();
                    for (id, _) in &batch {
                        q.unwritten.remove(id);
                    }
                }
                Err(e) => {
                    tracing::error!(error = ?e, responses = batch.len(),
                        "writing stored idempotent responses failed; retrying");
                    {
                        let mut q = self.replies.lock();
                        let mut again: Vec<KeyId> = batch.into_iter().map(|(id, _)| id).collect();
                        again.append(&mut q.waiting);
                        q.waiting = again;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
            }
        }
    }

    /// Writes `batch` in one statement (one commit).
    async fn write_replies(&self, batch: &[(KeyId, (i64, String))]) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let sql = write_replies_sql(batch.len());
        macro_rules! bound {
            ($q:expr) => {{
                let mut q = $q;
                for ((user, key), (status, body)) in batch {
                    q = q.bind(user).bind(key).bind(*status).bind(body);
                }
                q
            }};
        }
        match &self.db {
            Db::Sqlite { write, .. } => {
                bound!(sqlx::query(&sql)).execute(write).await?;
            }
            Db::Postgres(p) => {
                bound!(sqlx::query(&sql)).execute(p).await?;
            }
        }
        Ok(())
    }

    /// Writes out every queued response (at shutdown): waits for a running writer, then writes the rest.
    pub(super) async fn flush_queued_replies(&self) {
        for _ in 0..1_000 {
            let (waiting, writing) = {
                let q = self.replies.lock();
                (!q.waiting.is_empty(), q.writing)
            };
            if !waiting && !writing {
                return;
            }
            if waiting && !writing {
                self.replies.lock().writing = true;
                self.write_queued_replies().await;
            } else {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
        tracing::error!("stored idempotent responses were still being written at shutdown");
    }

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
        Ok(row.map(|(request_hash, status, response, st, sid)| {
            // A response still in the write-behind queue is this instance's answer too.
            let response = status.zip(response).or_else(|| {
                self.replies
                    .lock()
                    .unwritten
                    .get(&(user_id.to_owned(), key.to_owned()))
                    .cloned()
            });
            StoredKey {
                request_hash,
                response,
                subject: st.zip(sid),
            }
        }))
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
