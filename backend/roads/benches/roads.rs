//! `cargo bench -p siaga-roads --bench roads`: graph preparation and drive-time ranking on a city-sized graph,
//! once alone and once while another thread moves units at 10,000 fixes/s (re-snapping each, and writing the
//! positions the ranking reads under the same lock). Ranking methods side by side on the same incidents: the
//! many-to-one CH query, one fast_paths query per unit, plain Dijkstra, the fastest-of-100 query and the
//! straight line; for the many-to-one, the time the thread spent on a CPU and waiting for one, so a tail from
//! load is told from a tail from work. Prints numbers; asserts nothing about time.
//!
//! The graph: no shared extract reaches 100,000 nodes (the largest, Bandung Buahbatu, has ~13,500), so the
//! bench tiles that real network 3 × 3 (each copy shifted by the extract's width or height plus 50 m, way ids
//! offset per copy) and joins neighbouring copies by 40 two-way tertiary connectors between their facing edge
//! nodes. Every street, one-way and class is real; only the copies and the seams are made up.
//! `SIAGA_GEODATA_DIR` points at the shared geodata (default `../shared/geodata` beside the workspace).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use siaga_roads::{Limits, Profile, RawWay, RoadGraph, read_ways};

fn geodata_dir() -> PathBuf {
    match std::env::var_os("SIAGA_GEODATA_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/geodata"),
    }
}

/// xorshift64*: a deterministic sequence without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn tiled(base: &[RawWay], k: usize) -> Vec<RawWay> {
    let (mut minx, mut miny, mut maxx, mut maxy) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for w in base {
        for c in &w.coords {
            minx = minx.min(c[0]);
            maxx = maxx.max(c[0]);
            miny = miny.min(c[1]);
            maxy = maxy.max(c[1]);
        }
    }
    let (dx, dy) = (maxx - minx + 0.0005, maxy - miny + 0.0005);
    let mut out = Vec::new();
    let edge_nodes = |side: u8, ox: f64, oy: f64| -> Vec<[f64; 2]> {
        // The 40 nodes nearest the given side of the copy at offset (ox, oy), spread along it.
        let mut pts: Vec<[f64; 2]> = base
            .iter()
            .flat_map(|w| w.coords.iter().map(|c| [c[0] + ox, c[1] + oy]))
            .collect();
        let slot = |p: &[f64; 2]| match side {
            0 | 1 => ((p[1] - miny - oy) / (maxy - miny) * 40.0) as i64,
            _ => ((p[0] - minx - ox) / (maxx - minx) * 40.0) as i64,
        };
        let score = |p: &[f64; 2]| match side {
            0 => -p[0], // east edge: largest x
            1 => p[0],  // west edge
            2 => -p[1], // north edge
            _ => p[1],  // south edge
        };
        pts.sort_by(|a, b| slot(a).cmp(&slot(b)).then(score(a).total_cmp(&score(b))));
        pts.dedup_by(|a, b| slot(a) == slot(b));
        pts
    };
    let mut next_id = 9_000_000_000_000i64;
    for i in 0..k {
        for j in 0..k {
            let (ox, oy) = (i as f64 * dx, j as f64 * dy);
            let copy = (i * k + j) as i64;
            for w in base {
                out.push(RawWay {
                    id: w.id + copy * 100_000_000_000,
                    tags: w.tags.clone(),
                    coords: w.coords.iter().map(|c| [c[0] + ox, c[1] + oy]).collect(),
                });
            }
            let mut join = |a: Vec<[f64; 2]>, b: Vec<[f64; 2]>| {
                for (p, q) in a.iter().zip(b.iter()) {
                    next_id += 1;
                    out.push(RawWay {
                        id: next_id,
                        tags: vec![("highway".into(), "tertiary".into())],
                        coords: vec![*p, *q],
                    });
                }
            };
            if i + 1 < k {
                join(edge_nodes(0, ox, oy), edge_nodes(1, ox + dx, oy));
            }
            if j + 1 < k {
                join(edge_nodes(2, ox, oy), edge_nodes(3, ox, oy + dy));
            }
        }
    }
    out
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let path = geodata_dir().join("roads/osm_drive_bandung_buahbatu.geojson");
    let base = read_ways(&path).expect("the shared Bandung Buahbatu extract");
    let single = RoadGraph::prepare(&base, "single".into());
    let s1 = single.stats();
    println!(
        "real extract Bandung Buahbatu: {} nodes, {} segments; CH prepare car {} ms, motorbike {} ms",
        s1.nodes, s1.segments, s1.car_prepare_ms, s1.motorbike_prepare_ms
    );
    let ways = tiled(&base, 3);
    let started = Instant::now();
    let graph = RoadGraph::prepare(&ways, "tiled".into());
    let prep_total = started.elapsed();
    let st = graph.stats();
    println!(
        "bench graph (3x3 tiles of Buahbatu): {} nodes, {} segments, car {} / motorbike {} directed edges, CH edges car {} / motorbike {}",
        st.nodes,
        st.segments,
        st.car_edges,
        st.motorbike_edges,
        st.car_ch_edges,
        st.motorbike_ch_edges
    );
    println!(
        "preparation: car CH {:.2} s, motorbike CH {:.2} s, whole build incl. both and indexes {:.2} s",
        st.car_prepare_ms as f64 / 1000.0,
        st.motorbike_prepare_ms as f64 / 1000.0,
        prep_total.as_secs_f64()
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bench.graph");
    let t = Instant::now();
    graph.save(&file).expect("save");
    let save_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let loaded = RoadGraph::load(&file).expect("load");
    let load_s = t.elapsed().as_secs_f64();
    println!(
        "stored graph: {:.1} MB, save {:.2} s, load (incl. R-tree and adjacency) {:.2} s",
        std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
        save_s,
        load_s
    );
    drop(loaded);
    let us_per_node = st.car_prepare_ms as f64 * 1000.0 / st.nodes as f64;
    for java_nodes in [20e6, 50e6] {
        println!(
            "extrapolated Java ({:.0} M nodes, linear in nodes at {:.1} us/node per profile): {:.0} min per profile",
            java_nodes / 1e6,
            us_per_node,
            java_nodes * us_per_node / 1e6 / 60.0
        );
    }

    let graph = Arc::new(graph);
    let nodes = graph.nodes().to_vec();
    let mut rng = Rng(0x5eed_1234_abcd);
    // 10,000 units on random nodes, each a few metres off the road like a GPS fix.
    let units: Vec<[f64; 2]> = (0..10_000)
        .map(|_| {
            let c = nodes[rng.below(nodes.len())];
            jitter(&mut rng, c)
        })
        .collect();
    let positions = Arc::new(RwLock::new(units));
    for writer in [false, true] {
        ranking(&graph, &positions, &mut rng, writer);
    }
}

/// ±11 m, like a GPS fix.
fn jitter(rng: &mut Rng, c: [f64; 2]) -> [f64; 2] {
    [
        c[0] + (rng.unit() - 0.5) * 0.0002,
        c[1] + (rng.unit() - 0.5) * 0.0002,
    ]
}

/// This thread's time spent runnable but waiting for a CPU so far, ns (the second field of
/// `/proc/thread-self/schedstat`, accounted whenever the thread is switched in, so exact for a running reader):
/// tells a slow query (work) from a preempted one (load). The first field, time on a CPU, is only brought up
/// to date at ticks and switches, too coarse for a query; wall time minus waiting stands for it.
fn schedstat() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().nth(1)?.parse().ok()
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// 1,000 incidents, each ranking its 100 nearest units by air, every method in turn; with `writer`, a second
/// thread moves units at 10,000 fixes/s meanwhile.
fn ranking(
    graph: &Arc<RoadGraph>,
    positions: &Arc<RwLock<Vec<[f64; 2]>>>,
    rng: &mut Rng,
    writer: bool,
) {
    let limits = Limits::default();
    let nodes = graph.nodes().to_vec();
    let stop = Arc::new(AtomicBool::new(false));
    let fixes = Arc::new(AtomicU64::new(0));
    let updater = writer.then(|| {
        let (graph, positions, stop, fixes, nodes) = (
            graph.clone(),
            positions.clone(),
            stop.clone(),
            fixes.clone(),
            nodes.clone(),
        );
        std::thread::spawn(move || {
            let mut rng = Rng(0xf1e5);
            let start = Instant::now();
            let mut done = 0u64;
            while !stop.load(Ordering::Relaxed) {
                // Paced to 10,000 fixes per second, in batches of 10 per millisecond.
                let due = (start.elapsed().as_secs_f64() * 10_000.0) as u64;
                if done >= due {
                    std::thread::sleep(Duration::from_micros(200));
                    continue;
                }
                let batch: Vec<(usize, [f64; 2])> = (0..10)
                    .map(|_| {
                        let u = rng.below(10_000);
                        let at = nodes[rng.below(nodes.len())];
                        let c = jitter(&mut rng, at);
                        // Stands for the server's work per fix (its unit index update); a snap is dearer.
                        let _ = graph.snap(Profile::Car, c, 500.0);
                        (u, c)
                    })
                    .collect();
                let mut w = positions.write().unwrap_or_else(|p| p.into_inner());
                for (u, c) in batch {
                    w[u] = c;
                }
                drop(w);
                done += 10;
                fixes.store(done, Ordering::Relaxed);
            }
            done as f64 / start.elapsed().as_secs_f64()
        })
    });

    let mut router = graph.router();
    let (mut m2o_ms, mut lock_ms, mut pair_ms, mut snap_ms, mut dj_ms, mut sl_ms, mut best_ms) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut differ, mut differ_minutes, mut compared, mut mismatch, mut pair_mismatch) =
        (0usize, vec![], 0usize, 0usize, 0usize);
    let (mut cpu_ms, mut wait_ms) = (vec![], vec![]);
    let incidents = 1000;
    let load_before = loadavg();
    let bench_start = Instant::now();
    for _ in 0..incidents {
        let at = nodes[rng.below(nodes.len())];
        let incident = jitter(rng, at);
        // The 100 nearest units by air (the existing spatial index's job; not timed here).
        let snapshot: Vec<[f64; 2]> = positions.read().unwrap_or_else(|p| p.into_inner()).clone();
        let mut by_air: Vec<(f64, usize)> = snapshot
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    siaga_spatial::convert::haversine_m(c[0], c[1], incident[0], incident[1]),
                    i,
                )
            })
            .collect();
        by_air.select_nth_unstable_by(99, |a, b| a.0.total_cmp(&b.0));
        by_air.truncate(100);
        by_air.sort_by(|a, b| a.0.total_cmp(&b.0));

        // Many-to-one CH, as a request does it: read the 100 units' current positions under the shared lock
        // the writer updates, snap the incident and the units, one backward search, 100 pruned forward ones.
        let s0 = schedstat();
        let t = Instant::now();
        let cands: Vec<([f64; 2], Profile)> = {
            let live = positions.read().unwrap_or_else(|p| p.into_inner());
            by_air
                .iter()
                .map(|(_, i)| (live[*i], Profile::Car))
                .collect()
        };
        let locked = t.elapsed().as_secs_f64() * 1000.0;
        let ranked = router.rank(incident, &cands, &limits);
        let wall = t.elapsed().as_secs_f64() * 1000.0;
        m2o_ms.push(wall);
        let s1 = schedstat();
        lock_ms.push(locked);
        if let (Some(a), Some(b)) = (s0, s1) {
            let waited = (b - a) as f64 / 1e6;
            wait_ms.push(waited);
            cpu_ms.push((wall - waited).max(0.0));
        }

        // The baseline: the same snaps, one fast_paths bidirectional query per unit.
        let t = Instant::now();
        let pairwise = router.rank_pairwise(incident, &cands, &limits);
        pair_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        pair_mismatch += ranked
            .iter()
            .zip(&pairwise)
            .filter(|(a, b)| a.0 != b.0 || a.1.travel_time_s != b.1.travel_time_s)
            .count();

        // The snaps alone (incident and 100 units), the part both CH methods share.
        let t = Instant::now();
        let target = graph.snap(Profile::Car, incident, limits.snap_max_m);
        let snaps: Vec<_> = cands
            .iter()
            .map(|(c, p)| graph.snap(*p, *c, limits.snap_max_m))
            .collect();
        snap_ms.push(t.elapsed().as_secs_f64() * 1000.0);

        // Plain Dijkstra: one reverse search from the incident until every candidate is settled.
        let t = Instant::now();
        let target2 = graph.snap(Profile::Car, incident, limits.snap_max_m);
        let snaps2: Vec<_> = cands
            .iter()
            .map(|(c, p)| graph.snap(*p, *c, limits.snap_max_m))
            .collect();
        let dj = match &target2 {
            Some(target) => {
                let ok: Vec<_> = snaps2.iter().flatten().copied().collect();
                router.dijkstra_to(Profile::Car, target, &ok)
            }
            None => vec![],
        };
        dj_ms.push(t.elapsed().as_secs_f64() * 1000.0);

        // The fastest unit only: one CH query with all 100 units as sources (snaps not counted).
        let t = Instant::now();
        if let Some(target) = &target {
            let ok: Vec<_> = snaps.iter().flatten().copied().collect();
            let _ = router.fastest_of(Profile::Car, &ok, target);
        }
        best_ms.push(t.elapsed().as_secs_f64() * 1000.0);

        // Straight line: the first by air.
        let t = Instant::now();
        let air_first = (0..cands.len())
            .min_by(|a, b| by_air[*a].0.total_cmp(&by_air[*b].0))
            .unwrap_or(0);
        sl_ms.push(t.elapsed().as_secs_f64() * 1000.0);

        if target.is_some() && snaps.iter().all(Option::is_some) {
            for (k, eta) in &ranked {
                if eta.basis == siaga_roads::Basis::Road {
                    match dj.get(*k).copied().flatten() {
                        Some(d) if (d - eta.travel_time_s).abs() < 0.01 => {}
                        _ => mismatch += 1,
                    }
                }
            }
        }
        if ranked[0].1.basis == siaga_roads::Basis::Road {
            compared += 1;
            if ranked[0].0 != air_first {
                differ += 1;
                let air_eta = ranked.iter().find(|(k, _)| *k == air_first).map(|e| e.1);
                if let Some(a) = air_eta.filter(|a| a.basis == siaga_roads::Basis::Road) {
                    differ_minutes.push((a.travel_time_s - ranked[0].1.travel_time_s) / 60.0);
                }
            }
        }
    }
    let elapsed = bench_start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let rate = updater.map(|u| u.join().unwrap_or(0.0));
    for v in [
        &mut m2o_ms,
        &mut lock_ms,
        &mut pair_ms,
        &mut snap_ms,
        &mut dj_ms,
        &mut sl_ms,
        &mut best_ms,
        &mut cpu_ms,
        &mut wait_ms,
    ] {
        v.sort_by(f64::total_cmp);
    }
    match rate {
        Some(rate) => println!(
            "ranking 100 nearest units, {incidents} incidents in {elapsed:.1} s, WITH the position thread at {rate:.0} fixes/s ({} fixes); load average {load_before} -> {}",
            fixes.load(Ordering::Relaxed),
            loadavg()
        ),
        None => println!(
            "ranking 100 nearest units, {incidents} incidents in {elapsed:.1} s, WITHOUT the position thread; load average {load_before} -> {}",
            loadavg()
        ),
    }
    for (name, v) in [
        ("CH many-to-one (lock+snaps)", &m2o_ms),
        ("  of which reading positions", &lock_ms),
        ("  of which waiting for a CPU", &wait_ms),
        ("  wall minus waiting (work)", &cpu_ms),
        ("CH 100 fast_paths queries", &pair_ms),
        ("  snaps only (1 + 100)", &snap_ms),
        ("plain reverse Dijkstra", &dj_ms),
        ("CH fastest-of-100 only", &best_ms),
        ("straight line", &sl_ms),
    ] {
        if v.is_empty() {
            continue;
        }
        println!(
            "  {name:30} p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
            pct(v, 0.5),
            pct(v, 0.9),
            pct(v, 0.99),
            v[v.len() - 1]
        );
    }
    differ_minutes.sort_by(f64::total_cmp);
    let mean = differ_minutes.iter().sum::<f64>() / differ_minutes.len().max(1) as f64;
    println!(
        "  many-to-one vs 100 queries disagreeing: {pair_mismatch}; CH vs Dijkstra travel times disagreeing: {mismatch}; straight-line first choice differs from road in {differ} of {compared} incidents ({:.1} %), costing median {:.1} min, mean {:.1} min, max {:.1} min",
        100.0 * differ as f64 / compared.max(1) as f64,
        if differ_minutes.is_empty() {
            0.0
        } else {
            pct(&differ_minutes, 0.5)
        },
        mean,
        differ_minutes.last().copied().unwrap_or(0.0)
    );
}
