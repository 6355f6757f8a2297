//! Feeds arbitrary bytes to the region, facility and agency GeoJSON parsers, then builds the jurisdiction,
//! facility and agency indexes from whatever they accept. Oracle: `siaga_spatial::fuzzing::geojson`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| siaga_spatial::fuzzing::geojson(data));
