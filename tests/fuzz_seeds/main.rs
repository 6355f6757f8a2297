//! Every committed fuzz seed (`fuzz/seeds/<target>/`) replayed through its target's oracle on each `cargo test`,
//! so the corpora stay checked without nightly or cargo-fuzz. The oracles live with the parsers they check
//! (`siaga_core::fuzzing`, `siaga_spatial::fuzzing`, `siaga::fuzzing`); this is the one loop that feeds them.

use siaga_tests::workspace_root;

/// Runs `oracle` over every committed seed of a fuzz target.
fn replay(target: &str, oracle: fn(&[u8])) {
    let dir = workspace_root().join("fuzz/seeds").join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        eprintln!("replaying {}", path.display());
        oracle(&data);
        count += 1;
    }
    assert!(count > 0, "no seeds in {}", dir.display());
}

#[test]
fn aml_seeds_pass_the_fuzz_oracle() {
    replay("aml", siaga_core::fuzzing::aml);
}

#[test]
fn geojson_seeds_pass_the_fuzz_oracle() {
    replay("geojson", siaga_spatial::fuzzing::geojson);
}

#[test]
fn csv_seeds_pass_the_fuzz_oracle() {
    replay("csv", siaga_spatial::fuzzing::csv);
}

#[test]
fn json_body_seeds_pass_the_fuzz_oracle() {
    replay("json_body", siaga::fuzzing::json_body);
}

#[test]
fn ws_frame_seeds_pass_the_fuzz_oracle() {
    replay("ws_frame", siaga::fuzzing::ws_frames);
}
