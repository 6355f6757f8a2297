//! Storage: one API over SQLite (embedded default) and PostgreSQL (production).
//!
//! Every query is written once, with `$1` placeholders that both drivers accept, and compiled twice by
//! [`on_db!`]: once against the SQLite pool and once against the PostgreSQL pool. Engine-specific SQL is
//! confined to the migration folders. Times are `BIGINT` milliseconds; the store never reads a clock
//! (callers pass `now`), and `sqlx::Error` never leaves this module: it becomes a [`StoreError`].

mod agencies;
mod audit;
mod changes;
mod counters;
mod dispatch;
mod events;
mod geo;
mod idempotency;
mod lease;
mod positions;
mod push;
mod regions;
mod users;

pub mod agents;
pub mod assignments;
pub mod call_backs;
pub mod calls;
pub mod follow_ups;
pub mod import;
pub mod incidents;
pub mod reports;
pub mod scope;
pub mod scratch;
pub mod sla;
pub mod timeline;
pub mod units;

pub use agencies::*;
pub use audit::*;
pub use changes::*;
pub use dispatch::*;
pub use events::*;
pub use geo::*;
pub use idempotency::*;
pub use incidents::{IncidentAgencyRow, IncidentFilter, IncidentRow};
pub use lease::*;
pub use positions::*;
pub use push::*;
pub use regions::*;
pub use users::*;

pub use call_backs::{CallBackFilter, CallBackRow, CallerIncidentRow};
pub use calls::CallRow;
pub use follow_ups::{FollowUpFilter, FollowUpRow};
pub use timeline::{TimelineDraft, TimelineRow, TimelineSubject};

use crate::config::DatabaseEngine;
use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// The pool of whichever engine the URL chose.
#[derive(Clone, Debug)]
pub enum Db {
    /// Embedded SQLite in WAL mode: readers share `read`; every write goes through the one connection of
    /// `write`, so writers queue in the process (first come, first served) instead of colliding on SQLite's
    /// lock and sleeping in its busy handler (1, 2, 5, … 100 ms steps: hundreds of ms at the tail under load).
    Sqlite { read: SqlitePool, write: SqlitePool },
    /// PostgreSQL.
    Postgres(PgPool),
}

/// Runs the same expression against whichever pool is in use; `$pool` is bound to `&SqlitePool` or `&PgPool`.
/// For reads; a statement or transaction that writes uses [`on_db_write!`].
macro_rules! on_db {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            $crate::store::Db::Sqlite { read: $pool, .. } => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_db;

/// [`on_db!`] for writes: on SQLite `$pool` is the single writer connection's pool.
macro_rules! on_db_write {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            $crate::store::Db::Sqlite { write: $pool, .. } => $body,
            $crate::store::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_db_write;

/// A failed storage operation, as the layers above need to tell them apart.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness or foreign-key constraint refused the write.
    #[error("constraint `{constraint}` violated")]
    Conflict {
        /// Constraint or column name as the engine reported it.
        constraint: String,
    },
    /// A guarded statement of a [`ChangeSet`] touched an unexpected number of rows: someone else changed
    /// the data first. Nothing was written.
    #[error(
        "changed concurrently (statement {statement} touched {rows} rows, expected {expected})"
    )]
    Stale {
        /// Index of the statement whose guard failed.
        statement: usize,
        /// Rows it touched.
        rows: u64,
        /// Rows it had to touch.
        expected: u64,
    },
    /// The database could not be reached in time.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// Anything else: a bug or a corrupt row.
    #[error("database error")]
    Other(#[source] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                StoreError::Unavailable(e)
            }
            sqlx::Error::Database(db)
                if db.is_unique_violation() || db.is_foreign_key_violation() =>
            {
                let constraint = db
                    .constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| db.message().to_owned());
                StoreError::Conflict { constraint }
            }
            _ => StoreError::Other(e.into()),
        }
    }
}

/// Creates a missing data folder readable by its owner only (the folders that exist keep their mode).
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The database holds personal data (callers' numbers, names, locations): its file is created readable and
/// writable by its owner only (0600), and an existing one, with its `-wal`, `-shm` and `-journal` files, is
/// narrowed to that. SQLite gives the `-wal` and `-shm` files it creates the mode of the database file.
fn make_private(path: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut file = path.as_os_str().to_owned();
            file.push(suffix);
            match std::fs::metadata(&file) {
                Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
                    // A file of another owner cannot be narrowed: say so, and serve anyway.
                    if let Err(e) =
                        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    {
                        tracing::warn!(file = %std::path::Path::new(&file).display(), error = %e,
                            "the database file is readable by others and could not be made private");
                    }
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) db: Db,
    /// Woken after every commit that appended events; see [`Store::announce_events`].
    event_signal: std::sync::Arc<tokio::sync::Notify>,
    /// The rows of those commits, until the event feed takes them.
    committed: std::sync::Arc<LocalRows>,
    /// Responses of idempotent requests not yet written; see `store::idempotency`.
    replies: std::sync::Arc<ReplyQueue>,
}

impl Store {
    /// Connects to `url` (`sqlite://path` or `postgres://…`). An SQLite file and its folder are created when
    /// missing. SQLite runs in WAL mode with `synchronous=FULL`, so a write that was acknowledged survives
    /// `kill -9` and power loss.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Store> {
        let db = match DatabaseEngine::of_url(url)? {
            DatabaseEngine::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .with_context(|| format!("invalid SQLite URL {url}"))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10));
                let path = options.get_filename().to_owned();
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    create_private_dir(dir)
                        .with_context(|| format!("creating data folder {}", dir.display()))?;
                }
                if path.as_os_str() != ":memory:" {
                    make_private(&path).with_context(|| {
                        format!("making SQLite database {} private", path.display())
                    })?;
                }
                let open = |connections: u32, options: SqliteConnectOptions| {
                    SqlitePoolOptions::new()
                        .max_connections(connections)
                        .acquire_timeout(Duration::from_secs(10))
                        .connect_with(options)
                };
                // The writer first: it creates the file and switches it to WAL.
                let write = open(1, options.clone())
                    .await
                    .with_context(|| format!("opening SQLite database {}", path.display()))?;
                // Readers map the file (up to 1 GiB of it) instead of copying each page through a read(2)
                // into every connection's own small page cache: a month's report scans ~1 M rows and spent
                // 29 % of its time in the kernel's copies (perf, docs/PERFORMANCE.md). Writes still go
                // through the writer's normal I/O and its fsync, so durability is unchanged.
                let read = open(max_connections, options.pragma("mmap_size", "1073741824"))
                    .await
                    .with_context(|| format!("opening SQLite database {}", path.display()))?;
                Db::Sqlite { read, write }
            }
            DatabaseEngine::Postgres => {
                let options = PgConnectOptions::from_str(url).context("invalid PostgreSQL URL")?;
                let pool = PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .with_context(|| format!("connecting to {}", crate::config::redact_url(url)))?;
                Db::Postgres(pool)
            }
        };
        Ok(Store {
            db,
            event_signal: std::sync::Arc::default(),
            committed: std::sync::Arc::default(),
            replies: std::sync::Arc::default(),
        })
    }

    /// Which engine this store talks to.
    pub fn engine(&self) -> DatabaseEngine {
        match self.db {
            Db::Sqlite { .. } => DatabaseEngine::Sqlite,
            Db::Postgres(_) => DatabaseEngine::Postgres,
        }
    }

    /// The PostgreSQL pool, for engine-specific features (LISTEN/NOTIFY, advisory locks).
    pub fn pg_pool(&self) -> Option<&PgPool> {
        match &self.db {
            Db::Postgres(p) => Some(p),
            Db::Sqlite { .. } => None,
        }
    }

    /// Applies pending migrations from `migrations/<engine>/` (embedded in the binary).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.db {
            Db::Sqlite { write, .. } => sqlx::migrate!("../../migrations/sqlite").run(write).await,
            Db::Postgres(p) => sqlx::migrate!("../../migrations/postgres").run(p).await,
        }
        .context("applying database migrations")?;
        let sealed = self
            .seal_unchained_audit()
            .await
            .context("chaining the audit entries written before the audit chain")?;
        if sealed > 0 {
            tracing::info!(
                entries = sealed,
                "chained the audit trail's earlier entries"
            );
        }
        Ok(())
    }

    /// Reads rows for a list of ids, in one query per 400 ids: `sql` makes the query from the chunk's id list,
    /// `(VALUES ($1), …, ($n)) AS v` to join on `v.column1`. Ids of no row are simply not answered.
    async fn rows_for_ids<T>(
        &self,
        ids: &[&str],
        sql: impl Fn(&str) -> String,
    ) -> StoreResult<Vec<T>>
    where
        T: Send + Unpin,
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>,
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(400) {
            let sql = sql(&format!("(VALUES {}) AS v", placeholders(chunk.len(), 1)));
            let rows: Vec<T> = on_db!(self, p => {
                let mut q = sqlx::query_as::<_, T>(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(p).await
            })?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// A trivial round trip, for readiness checks.
    pub async fn ping(&self) -> StoreResult<()> {
        on_db!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Writes out the queued idempotent responses, then closes every connection, flushing SQLite's WAL.
    pub async fn close(&self) {
        self.flush_queued_replies().await;
        match &self.db {
            Db::Sqlite { read, write } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }
}

/// The `VALUES` rows of a multi-row statement: `rows` groups of `cols` numbered parameters, `($1, $2), ($3, $4)`
/// (both engines number parameters this way).
fn placeholders(rows: usize, cols: usize) -> String {
    let mut out = String::new();
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(r * cols + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

#[cfg(test)]
mod placeholder_tests {
    use super::placeholders;

    #[test]
    fn placeholders_number_rows_then_columns() {
        assert_eq!(placeholders(2, 2), "($1, $2), ($3, $4)");
    }
}
