//! Services: one module per workflow of the centre, between the edges and the store.
//!
//! Every edge — an HTTP handler (`api`), a websocket frame (`live::socket`), a cluster job (`sla_runner`,
//! routing fallback), a command (`cli`, `demo`) or an idempotent replay — calls a service; none calls another
//! edge. A service takes a typed command and the [`Actor`](crate::auth::Actor) doing it, reads what it needs
//! through the store, lets `siaga-core` decide (lifecycles, SLA targets, routing, duplicates), and commits one
//! [`ChangeSet`](crate::store::ChangeSet): its guarded statements, audit entries and typed
//! [`DomainEvent`](crate::events::DomainEvent)s in one transaction. It returns a view (`crate::views` or its
//! own) or an [`ApiError`](crate::error::ApiError) whose code is what the wire will say.
//!
//! Services know nothing of HTTP (no extractors, status codes or headers) and write no SQL: statements come
//! from named store functions.
//!
//! Layout: [`common`] holds the steps every workflow shares (SLA clocks, audit entries).

pub mod accounts;
pub mod agencies;
pub mod agents;
pub mod assignments;
pub mod audit;
pub mod call_backs;
pub mod callers;
pub mod calls;
pub mod common;
pub mod coverage;
pub mod follow_ups;
pub mod geo;
pub mod incidents;
pub mod positions;
pub mod push;
pub mod reports;
pub mod routing;
pub mod sla;
pub mod timeline;
pub mod units;
