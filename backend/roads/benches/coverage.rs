//! `cargo bench -p siaga-roads --bench coverage`: what a coverage recompute costs on the demo's real streets
//! (`geodata/demo/streets.osm.pbf`, Kelapa Gading and Cakung, ~15,000 nodes): the isochrone with its concave
//! hull ([`Router::isochrone`]) against the cells alone ([`Router::isochrone_cells`], what `GET
//! /api/v1/coverage` uses), from 4 and 16 units at arrival targets of 8 and 15 minutes. Prints numbers; asserts
//! nothing about time (the two must give the same cells).
//!
//! [`Router::isochrone`]: siaga_roads::Router::isochrone
//! [`Router::isochrone_cells`]: siaga_roads::Router::isochrone_cells

use siaga_roads::{Profile, RoadGraph, Snap, read_ways};
use std::path::PathBuf;
use std::time::Instant;

fn median_ms(mut f: impl FnMut(), runs: usize) -> f64 {
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn main() {
    let pbf = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../geodata/demo/streets.osm.pbf");
    let g = RoadGraph::prepare(&read_ways(&pbf).expect("demo streets"), "demo".into());
    println!("demo streets: {} nodes", g.nodes().len());
    let res = h3o::Resolution::Eight;
    let mut r = g.router();
    for units in [4usize, 16] {
        // Spread over the graph: every n-th node, snapped as a unit's fix would be.
        let step = g.nodes().len() / units;
        let sources: Vec<Snap> = (0..units)
            .filter_map(|i| g.snap(Profile::Car, g.nodes()[i * step], 500.0))
            .collect();
        for target_s in [480.0, 900.0] {
            let with_hull = r.isochrone(Profile::Car, &sources, target_s, res);
            let cells = r.isochrone_cells(Profile::Car, &sources, target_s, res);
            assert_eq!(with_hull.cells, cells);
            let hull_ms = median_ms(
                || {
                    r.isochrone(Profile::Car, &sources, target_s, res);
                },
                15,
            );
            let cells_ms = median_ms(
                || {
                    r.isochrone_cells(Profile::Car, &sources, target_s, res);
                },
                15,
            );
            println!(
                "{units:>2} units, {:>3.0} min: {:>6} nodes reached, {:>3} cells; isochrone with hull {hull_ms:>8.2} ms, \
                 cells only {cells_ms:>7.2} ms (median of 15)",
                target_s / 60.0,
                with_hull.reached_nodes,
                cells.len()
            );
        }
    }
}
