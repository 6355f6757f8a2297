//! Feeds arbitrary bytes as a request body to every main request type, through the server's own path
//! (`parse_json`, the extractor behind `AppJson`, then the handler's pure checks and `check_fix`).
//! Oracle: `siaga::fuzzing::json_body`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| siaga::fuzzing::json_body(data));
