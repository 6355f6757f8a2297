//! Reads a PBF keeping every tagged element and prints what came through and how fast:
//! `cargo run --release -p siaga-osm --example count -- FILE.osm.pbf`.

use std::ops::ControlFlow;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: count FILE.osm.pbf")?;
    let started = std::time::Instant::now();
    let all = |_: siaga_osm::Kind, _: &[(&str, &str)]| true;
    let stats = siaga_osm::read(&path, &all, |_| ControlFlow::Continue(()))?;
    let seconds = started.elapsed().as_secs_f64();
    println!("{stats:?}");
    println!(
        "{seconds:.2} s, {:.1} MB/s",
        stats.file_bytes as f64 / 1e6 / seconds
    );
    Ok(())
}
