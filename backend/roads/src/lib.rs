//! Siaga's road network: a routing graph from OpenStreetMap, per vehicle profile, for drive-time
//! recommendations, routes with turn lists, and isochrones. No network, no database, no clock: a graph is
//! prepared from a file and written to (or read from) a file the caller names.
//!
//! * [`input`] reads drivable ways from an `.osm.pbf` (with `siaga-osm`) or the shared GeoJSON drive extracts;
//! * [`profile`] holds the rules: which `highway` classes, access tags and one-way tags each vehicle obeys, and
//!   its speeds;
//! * [`graph`] builds the node/segment graph, prepares one contraction hierarchy per profile with `fast_paths`,
//!   and stores it under a hash of its input so a restart loads instead of re-preparing;
//! * [`query`] snaps points to the nearest usable segment (an R-tree of segments, `rstar`), routes, ranks
//!   candidates by drive time with a straight-line fallback that says why, and computes isochrones;
//! * `many` answers many-to-one travel times (many units to one incident) with its own search over a copy of
//!   each prepared hierarchy: one backward search per incident instead of one bidirectional query per unit.
//!
//! Why `fast_paths`: it is the maintained Rust contraction-hierarchies crate (1.0, 2024), pure Rust, with serde
//! support for the prepared graph, many-sources/many-targets queries (a snapped point lies inside a segment and
//! is entered from either end with a partial weight) and a reusable per-thread `PathCalculator`. A CH answers a
//! city query in tens of microseconds against milliseconds for Dijkstra; its preparation is the price, paid
//! once and persisted.

pub mod graph;
pub mod input;
mod many;
pub mod profile;
pub mod query;

pub use graph::{GraphError, GraphStats, Provenance, RoadGraph, Segment, input_hash};
pub use input::{InputError, RawWay, read_ways};
pub use profile::Profile;
pub use query::{
    Basis, Candidate, Eta, Fallback, Isochrone, Leg, Limits, Maneuver, Route, Router,
    STRAIGHT_LINE_DETOUR, Snap, Turn, eta, straight_line,
};
