//! Siaga's geo index: where a caller is, who is responsible there, and which units and facilities are nearest.
//!
//! # Layout
//!
//! * [`convert`]: every conversion of a [`Position`] (`siaga_core::position`'s validated lon/lat, re-exported
//!   here) into another coordinate convention ([`PositionExt`]). This is the only module that builds an
//!   `h3o::LatLng` (latitude first) or reads a GeoJSON `[lon, lat]` array.
//! * [`jurisdiction`]: [`JurisdictionIndex`], point-in-area lookup over one set of areas (one administrative
//!   level, or a set of service areas) with exact semantics, and a cache in front of the exact test: a
//!   two-level lon/lat grid by default, or H3 cells (measured slower; see `BENCHMARKS.md`).
//! * [`layers`]: [`AdminLayers`], several jurisdiction levels stacked (province → village) plus the agencies
//!   (OPD) and the areas they serve.
//! * [`units`]: [`UnitIndex`], moving units with in-place updates and exact great-circle nearest-k.
//! * [`facilities`]: [`FacilityIndex`], static health facilities (faskes) with nearest-k by capability.
//! * [`gazetteer`]: [`gazetteer::Gazetteer`], regions, facilities, streets and landmarks found by (part of)
//!   their name.
//! * [`streets`]: which OpenStreetMap ways are streets and which elements are named places, streets grouped
//!   per kelurahan, and the point of a street nearest a given point.
//! * [`import`]: strict parsers for GeoJSON and CSV input, with per-record errors.
//!
//! # What this crate deliberately does not do
//!
//! Architecture Invariant: no I/O and no clock. Parsers read from an `impl Read` the caller opened; time enters
//! as a [`siaga_core::time::Timestamp`] argument. Only tests and benchmarks read files.
//!
//! Architecture Invariant: coordinate order is fenced inside [`convert`]. Public functions take either a
//! [`Position`] or arguments named `lon` and `lat`, in that order, never a bare tuple.
//!
//! # Distances
//!
//! All distances are great-circle distances in metres by [`convert::haversine_m`], the core's one distance
//! function, on a sphere of radius [`convert::EARTH_RADIUS_M`] (the GRS80 mean radius, as `geo::Haversine` uses). Indexes order candidates with
//! planar lon/lat R-trees and then re-rank by great-circle distance with a proven lower bound, so results equal
//! a brute-force sort (see [`convert::planar_lower_bound_m`]).

#![warn(missing_docs)]

pub mod convert;
pub mod facilities;
#[doc(hidden)]
pub mod fuzzing;
pub mod gazetteer;
mod grid;
pub mod import;
pub mod jurisdiction;
pub mod layers;
mod nearest;
mod pip;
pub mod streets;
mod unit_cells;
pub mod units;

pub use convert::{InvalidPosition, Position, PositionExt};

pub use facilities::{Capability, Facility, FacilityIndex, FacilityKind};
pub use jurisdiction::{Area, JurisdictionIndex, Located};
pub use layers::{AdminLayers, Agency, AgencyArea, RegionLevel};
pub use units::{UnitIndex, UnitState};
