//! Scratch PostgreSQL databases for `siaga bench`: created beside the one named by an admin URL and dropped
//! after the run, whoever is still connected.

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
