//! Scratch PostgreSQL databases for `siaga bench`: created beside the one named by an admin URL and dropped
//! after the run, whoever is still connected; and the probes of the machine's raw commit limit that the
//! benchmark prints beside its own figures.

use anyhow::Context;
use sqlx::Connection;

async fn execute(admin_url: &str, sql: &str) -> anyhow::Result<()> {
    let mut c = sqlx::PgConnection::connect(admin_url)
        .await
        .with_context(|| format!("connecting to {}", crate::config::redact_url(admin_url)))?;
    sqlx::Executor::execute(&mut c, sql).await?;
    Ok(())
}

/// Creates database `name` (a plain identifier the caller chose) on the server of `admin_url`.
pub async fn create_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    execute(admin_url, &format!("CREATE DATABASE {name}")).await
}

/// Drops database `name`, ending its connections.
pub async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    execute(
        admin_url,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    )
    .await
}

/// Rows the commit probes spread their updates over (few enough to stay cached, enough that 8 writers
/// rarely wait on one row's lock).
const PROBE_ROWS: i64 = 1_000;

/// The machine's raw commit limit on PostgreSQL, measured like `pgbench -b simple-update` but shorter: for
/// `seconds`, `connections` clients each commit one-row `UPDATE` transactions back to back on a scratch
/// table in the database of `url` (dropped afterwards). Returns commits per second.
pub async fn postgres_commit_limit(
    url: &str,
    connections: usize,
    seconds: f64,
) -> anyhow::Result<f64> {
    execute(
        url,
        &format!(
            "DROP TABLE IF EXISTS siaga_commit_probe; \
             CREATE TABLE siaga_commit_probe (id BIGINT PRIMARY KEY, n BIGINT NOT NULL); \
             INSERT INTO siaga_commit_probe SELECT g, 0 FROM generate_series(1, {PROBE_ROWS}) g"
        ),
    )
    .await?;
    let until = std::time::Instant::now() + std::time::Duration::from_secs_f64(seconds);
    let started = std::time::Instant::now();
    let mut clients = Vec::new();
    for c in 0..connections {
        let url = url.to_owned();
        clients.push(tokio::spawn(async move {
            let mut conn = sqlx::PgConnection::connect(&url).await?;
            let mut n = 0u64;
            let mut id = c as i64;
            while std::time::Instant::now() < until {
                id = (id * 7_919 + 13) % PROBE_ROWS + 1;
                let mut tx = conn.begin().await?;
                sqlx::query("UPDATE siaga_commit_probe SET n = n + 1 WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                n += 1;
            }
            anyhow::Ok(n)
        }));
    }
    let mut total = 0;
    for c in clients {
        total += c.await??;
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    execute(url, "DROP TABLE siaga_commit_probe").await?;
    Ok(rate)
}

/// The machine's raw commit limit on SQLite: one writer on a scratch file at `path` in WAL mode with
/// `synchronous=FULL` (the server's settings) commits one `INSERT` and one `UPDATE` per transaction for
/// `seconds`. Returns commits per second; the file is removed afterwards.
pub async fn sqlite_commit_limit(path: &std::path::Path, seconds: f64) -> anyhow::Result<f64> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full);
    let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
    sqlx::Executor::execute(
        &mut conn,
        "CREATE TABLE probe (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); \
         CREATE TABLE probe_log (id INTEGER PRIMARY KEY AUTOINCREMENT, probe INTEGER NOT NULL, at INTEGER NOT NULL); \
         WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 1000) \
         INSERT INTO probe SELECT i, 0 FROM g",
    )
    .await?;
    let started = std::time::Instant::now();
    let until = started + std::time::Duration::from_secs_f64(seconds);
    let mut n = 0u64;
    let mut id = 0i64;
    while std::time::Instant::now() < until {
        id = (id * 7_919 + 13) % PROBE_ROWS + 1;
        let mut tx = conn.begin().await?;
        sqlx::query("INSERT INTO probe_log (probe, at) VALUES ($1, $2)")
            .bind(id)
            .bind(n as i64)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE probe SET n = n + 1 WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        n += 1;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    conn.close().await?;
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    Ok(rate)
}

/// PostgreSQL's cluster-wide write counters: transactions that were given an id (every transaction that
/// wrote, whichever database) and WAL flushes (`pg_stat_wal.wal_sync`: fsyncs of the log, fewer than commits
/// when commits share one). Read twice, their difference tells a benchmark stage's commits and flushes.
pub async fn postgres_write_counters(url: &str) -> anyhow::Result<(i64, i64)> {
    let mut c = sqlx::PgConnection::connect(url).await?;
    let row: (i64, i64) = sqlx::query_as(
        "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint, \
         (SELECT wal_sync FROM pg_stat_wal)",
    )
    .fetch_one(&mut c)
    .await?;
    c.close().await?;
    Ok(row)
}
