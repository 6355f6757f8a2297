//! Siaga server: configuration, storage, HTTP API and command line around the domain core.
//!
//! Layout: [`config`] reads settings; [`store`] is the only module that speaks SQL; [`api`] is the HTTP
//! surface (router, extractors, error envelope); [`app`] wires them and serves a bound listener;
//! [`cli`] is the `siaga` command. Domain rules live in `siaga-core`, geometry in `siaga-spatial`.

pub mod api;
pub mod app;
#[cfg(test)]
mod architecture;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod connections;
pub mod demo;
pub mod error;
pub mod events;
#[doc(hidden)]
pub mod fuzzing;
pub mod geo;
pub mod import;
pub mod jobs;
pub mod json;
pub mod limits;
pub mod live;
pub mod metrics;
pub mod reports;
pub mod service;
pub mod sla_runner;
pub mod state;
pub mod store;
pub mod views;

pub use app::{AppState, serve};
pub use config::Config;
