//! HTTP API suites, each scenario run on SQLite and PostgreSQL against a real server on a random port.
//! One test binary with a module per area, to keep link time down.

#![expect(
    clippy::unwrap_used,
    reason = "integration tests: an unwrap that fails is a failed assertion"
)]

mod auth;
mod authz;
mod callers;
mod cancel_merge;
mod console;
mod cookie;
mod corrections;
mod coverage;
mod errors;
mod escalation;
mod fleet;
mod flow;
mod gazetteer;
mod live_state;
mod map;
mod persistence;
mod push;
mod radio;
mod roads;
mod routing;
mod scope;
mod simulate;
mod system;
mod timeline;
