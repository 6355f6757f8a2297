//! Feeds arbitrary bytes to the facility (faskes), agency and village gazetteer CSV parsers, then builds the
//! facility index and the gazetteer from whatever they accept. Oracle: `siaga_spatial::fuzzing::csv`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| siaga_spatial::fuzzing::csv(data));
