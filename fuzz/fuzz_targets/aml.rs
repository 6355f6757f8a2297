//! Feeds arbitrary bytes to both AML parsers. A crash is a panic. The oracle (`siaga_core::fuzzing::aml`) also
//! checks that whatever parses survives formatting: through the HTTPS form exactly, through the SMS form up to
//! its precision.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| siaga_core::fuzzing::aml(data));
