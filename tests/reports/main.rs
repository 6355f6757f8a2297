//! Supervisor KPIs, agent states and reports over HTTP, each scenario on SQLite and PostgreSQL.
//!
//! The event history is a small fixed fixture written straight into the tables (the same events the core
//! unit tests use), so every expected figure can be checked by hand; the arithmetic is in the comments of
//! `backend/core/src/kpi/tests.rs`. One call rings before midnight and ends after it, and one region is in
//! WITA (UTC+8), whose day starts an hour before Batam's (WIB, UTC+7).

#![expect(
    clippy::unwrap_used,
    reason = "integration tests: an unwrap that fails is a failed assertion"
)]

mod agents;
mod fixture;
mod kpi;
mod scope;
