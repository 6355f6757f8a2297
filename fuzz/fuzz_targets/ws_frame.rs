//! Feeds arbitrary bytes as websocket client text frames (the whole input, then one frame per line) to the
//! frame parser and the position checks, keeping each unit's last accepted fix like the server.
//! Oracle: `siaga::fuzzing::ws_frames`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| siaga::fuzzing::ws_frames(data));
