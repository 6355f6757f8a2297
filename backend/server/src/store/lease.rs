//! Leader leases: at most one instance owns a named job (an SLA clock runner, a sweeper) at a time.
//!
//! On PostgreSQL a lease is a session-level advisory lock (`pg_try_advisory_lock(112, hash(name))`) held on a
//! connection taken out of the pool for as long as the lease lives. If the owning process dies, its
//! connection closes and PostgreSQL releases the lock, so another instance can take over at its next try. On
//! SQLite (one instance per database file) the lease is a process-local registry entry keyed by database file
//! and name, so two tasks in one process still never both lead.
//!
//! Invariant: a lease value exists only while its lock is held. Dropping it releases the lock (on PostgreSQL
//! by closing its connection, because a pooled connection must never go back to the pool still holding it).

use super::{Db, Store, StoreResult};
use sqlx::pool::PoolConnection;
use sqlx::{Postgres, Row};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

/// First key of every lease lock (the two-key form, whose key space is separate from the event lock's).
const LEASE_CLASS: i32 = 112;

/// A held leadership of one named job. Release with [`LeaderLease::release`] or by dropping it.
#[derive(Debug)]
pub struct LeaderLease {
    name: String,
    held: Held,
}

#[derive(Debug)]
enum Held {
    Postgres {
        conn: Option<PoolConnection<Postgres>>,
        key: i32,
    },
    Local {
        key: (PathBuf, String),
    },
}

fn local_leases() -> &'static Mutex<HashSet<(PathBuf, String)>> {
    static LEASES: OnceLock<Mutex<HashSet<(PathBuf, String)>>> = OnceLock::new();
    LEASES.get_or_init(Mutex::default)
}

/// FNV-1a of the name folded to 32 bits: stable across processes, builds and platforms.
fn lease_key(name: &str) -> i32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    ((h >> 32) ^ (h & 0xffff_ffff)) as u32 as i32
}

impl Store {
    /// Tries once to become the leader of `name`. `Ok(None)` means another holder (instance or task) leads.
    pub async fn try_lead(&self, name: &str) -> StoreResult<Option<LeaderLease>> {
        match &self.db {
            Db::Postgres(pool) => {
                let key = lease_key(name);
                let mut conn = pool.acquire().await?;
                let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
                    .bind(LEASE_CLASS)
                    .bind(key)
                    .fetch_one(&mut *conn)
                    .await?;
                Ok(got.then(|| LeaderLease {
                    name: name.to_owned(),
                    held: Held::Postgres {
                        conn: Some(conn),
                        key,
                    },
                }))
            }
            Db::Sqlite { write: pool, .. } => {
                let file = pool.connect_options().get_filename().to_path_buf();
                let key = (file, name.to_owned());
                let mut leases = local_leases().lock().unwrap_or_else(|p| p.into_inner());
                if !leases.insert(key.clone()) {
                    return Ok(None);
                }
                Ok(Some(LeaderLease {
                    name: name.to_owned(),
                    held: Held::Local { key },
                }))
            }
        }
    }
}

impl LeaderLease {
    /// The job this lease is for.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the lock is still held. On PostgreSQL this asks the server (the lock vanishes if the lease's
    /// connection was cut); call it before each unit of leader-only work, or periodically.
    pub async fn still_held(&mut self) -> bool {
        match &mut self.held {
            Held::Postgres {
                conn: Some(conn),
                key,
            } => {
                let r = sqlx::query(
                    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' \
                     AND pid = pg_backend_pid() AND classid::bigint = $1 AND objid::bigint = $2 AND objsubid = 2 \
                     AND granted)",
                )
                .bind(i64::from(LEASE_CLASS))
                .bind(i64::from(*key as u32))
                .fetch_one(&mut **conn)
                .await;
                match r.and_then(|row| row.try_get::<bool, _>(0)) {
                    Ok(held) => held,
                    Err(e) => {
                        tracing::warn!(lease = %self.name, error = %e, "leader lease connection lost");
                        false
                    }
                }
            }
            Held::Postgres { conn: None, .. } => false,
            Held::Local { .. } => true,
        }
    }

    /// Gives up leadership; the connection returns to the pool unlocked.
    pub async fn release(mut self) {
        if let Held::Postgres { conn, key } = &mut self.held
            && let Some(mut c) = conn.take()
        {
            let unlocked = sqlx::query("SELECT pg_advisory_unlock($1, $2)")
                .bind(LEASE_CLASS)
                .bind(*key)
                .execute(&mut *c)
                .await;
            if unlocked.is_err() {
                // Never return a connection that may still hold the lock.
                drop(c.detach());
            }
        }
    }
}

impl Drop for LeaderLease {
    fn drop(&mut self) {
        match &mut self.held {
            Held::Postgres { conn, .. } => {
                if let Some(c) = conn.take() {
                    // Closing the session releases its advisory locks.
                    drop(c.detach());
                }
            }
            Held::Local { key } => {
                local_leases()
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::lease_key;

    #[test]
    fn lease_keys_are_stable_and_distinct() {
        assert_eq!(lease_key("sla"), lease_key("sla"));
        assert_ne!(lease_key("sla"), lease_key("positions"));
    }
}
