//! Cluster jobs: loops that one instance of the cluster runs on behalf of all (each under its lease, see
//! `live::lease`). A job is an edge like an HTTP handler: it decides when to run and calls a service to do
//! the work.

pub mod push;
pub mod routing_fallback;
