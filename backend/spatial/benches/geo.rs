//! Benchmarks on the real shared boundaries (`../shared/geodata`, or `SIAGA_GEODATA_DIR`).
//!
//! * `locate/*`: points per second on kab/kota and kecamatan, for land points (uniform in Indonesia's bbox,
//!   kept when inside some area) and for bbox-uniform points (mostly sea, so mostly `Outside` answers), with
//!   each cache kind and a naive scan over every area as the baseline.
//! * `build/*`: index build time per cache kind.
//! * `units/*`: nearest-5 among 100,000 moving units with 10,000 position updates interleaved per second of
//!   queries, against a linear scan. Criterion reports means; p50/p99 come from a manual timing loop and are
//!   printed to stderr before the criterion groups run.

#![expect(
    clippy::unwrap_used,
    reason = "a benchmark should stop loudly on a bad fixture"
)]

use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use siaga_core::time::Timestamp;
use siaga_core::unit::{UnitStatus, UnitType};
use siaga_spatial::import::{RegionImportOptions, parse_regions};
use siaga_spatial::jurisdiction::{CacheKind, JurisdictionOptions};
use siaga_spatial::units::{NearestQuery, UnitFilter, UnitIndex, UnitState};
use siaga_spatial::{Area, JurisdictionIndex, Position, PositionExt, RegionLevel};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn geodata_dir() -> PathBuf {
    let dir = match std::env::var_os("SIAGA_GEODATA_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/geodata"),
    };
    assert!(
        dir.join("PROVENANCE.md").is_file(),
        "shared geodata not found at {} (set SIAGA_GEODATA_DIR)",
        dir.display()
    );
    dir
}

fn load(file: &str) -> Vec<Area> {
    let path = geodata_dir().join("boundaries").join(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_regions(
        bytes.as_slice(),
        &RegionImportOptions::new(RegionLevel::Regency),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    .areas
}

/// xorshift64: deterministic points without a rand dependency.
struct Rng(u64);
impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn in_bbox(&mut self) -> Position {
        Position::from_lon_lat(94.9 + self.unit() * 46.2, -11.1 + self.unit() * 17.2).unwrap()
    }
}

fn caches() -> Vec<(&'static str, CacheKind)> {
    vec![
        ("none", CacheKind::None),
        (
            "grid-0.25x16",
            CacheKind::Grid {
                coarse_deg: 0.25,
                fine_per_coarse: 16,
            },
        ),
        (
            "grid-0.25x32 (default)",
            JurisdictionOptions::default().cache,
        ),
        (
            "grid-0.25x64",
            CacheKind::Grid {
                coarse_deg: 0.25,
                fine_per_coarse: 64,
            },
        ),
        (
            "h3-4..8",
            CacheKind::H3 {
                coarsest: h3o::Resolution::Four,
                finest: h3o::Resolution::Eight,
            },
        ),
    ]
}

fn naive_find<'a>(areas: &'a [Area], bboxes: &[[f64; 4]], p: Position) -> Option<&'a Area> {
    use geo::Intersects;
    let pt = p.to_point();
    areas
        .iter()
        .zip(bboxes)
        .filter(|(_, b)| p.lon() >= b[0] && p.lon() <= b[2] && p.lat() >= b[1] && p.lat() <= b[3])
        .map(|(a, _)| a)
        .filter(|a| a.geometry.intersects(&pt))
        .min_by(|a, b| a.id.cmp(&b.id))
}

fn locate_benches(c: &mut Criterion) {
    for (name, file) in [
        ("kabkota", "idn_adm2_kabkota.geojson"),
        ("kecamatan", "idn_adm3_kecamatan.geojson"),
    ] {
        let areas = load(file);
        let mut rng = Rng(0x5eed_1234);
        let plain = JurisdictionIndex::with_options(
            areas.clone(),
            JurisdictionOptions {
                cache: CacheKind::None,
            },
        )
        .unwrap();
        let mut land = Vec::new();
        let mut uniform = Vec::new();
        while land.len() < 100_000 {
            let p = rng.in_bbox();
            if uniform.len() < 10_000 {
                uniform.push(p);
            }
            if plain.find(p).is_some() {
                land.push(p);
            }
        }

        let mut build = c.benchmark_group(format!("build/{name}"));
        build
            .sample_size(10)
            .measurement_time(Duration::from_secs(20));
        for (cache_name, cache) in caches() {
            build.bench_function(cache_name, |b| {
                b.iter(|| {
                    JurisdictionIndex::with_options(areas.clone(), JurisdictionOptions { cache })
                        .unwrap()
                })
            });
        }
        build.finish();

        let mut g = c.benchmark_group(format!("locate/{name}"));
        g.sample_size(20).measurement_time(Duration::from_secs(5));
        for (cache_name, cache) in caches() {
            let idx = JurisdictionIndex::with_options(areas.clone(), JurisdictionOptions { cache })
                .unwrap();
            eprintln!(
                "{name} {cache_name}: index ≈ {:.1} MB, cache {:?}",
                idx.approx_index_bytes() as f64 / 1e6,
                idx.cache_stats().grid
            );
            g.throughput(Throughput::Elements(land.len() as u64));
            g.bench_with_input(BenchmarkId::new("land", cache_name), &land, |b, pts| {
                b.iter(|| {
                    pts.iter()
                        .filter(|p| idx.locate_position(**p).is_inside())
                        .count()
                })
            });
            g.throughput(Throughput::Elements(uniform.len() as u64));
            g.bench_with_input(
                BenchmarkId::new("bbox-find", cache_name),
                &uniform,
                |b, pts| b.iter(|| pts.iter().filter(|p| idx.find(**p).is_some()).count()),
            );
            g.bench_with_input(
                BenchmarkId::new("bbox-locate", cache_name),
                &uniform,
                |b, pts| {
                    b.iter(|| {
                        pts.iter()
                            .map(|p| idx.locate_position(*p).distance_m())
                            .sum::<f64>()
                    })
                },
            );
        }
        let bboxes: Vec<[f64; 4]> = areas
            .iter()
            .map(|a| {
                use geo::BoundingRect;
                let r = a.geometry.bounding_rect().unwrap();
                [r.min().x, r.min().y, r.max().x, r.max().y]
            })
            .collect();
        let few = &land[..2_000];
        g.throughput(Throughput::Elements(few.len() as u64));
        g.bench_with_input(BenchmarkId::new("land", "naive-scan"), few, |b, pts| {
            b.iter(|| {
                pts.iter()
                    .filter(|p| naive_find(&areas, &bboxes, **p).is_some())
                    .count()
            })
        });
        g.finish();
    }
}

const NOW: i64 = 1_764_000_000_000;

/// 100,000 units over Java (most of Indonesia's population), a realistic mix of types and statuses.
fn units(rng: &mut Rng) -> UnitIndex {
    let mut all = Vec::with_capacity(100_000);
    for i in 0..100_000 {
        let ty = UnitType::ALL[i % 4];
        let status = if i % 10 < 6 {
            UnitStatus::Available
        } else {
            UnitStatus::ALL[i % 5]
        };
        all.push(UnitState {
            id: format!("u{i:06}"),
            agency_id: format!("agency-{}", i % 50),
            unit_type: ty,
            vehicle: siaga_core::unit::Vehicle::Car,
            status,
            position: Position::from_lon_lat(105.5 + rng.unit() * 9.0, -8.5 + rng.unit() * 2.7)
                .unwrap(),
            fix_at: Timestamp(NOW - (rng.unit() * 400_000.0) as i64),
        });
    }
    UnitIndex::from_units(all)
}

fn query(rng: &mut Rng, k: usize) -> NearestQuery {
    let p = Position::from_lon_lat(105.5 + rng.unit() * 9.0, -8.5 + rng.unit() * 2.7).unwrap();
    let mut q = NearestQuery::new(p, k, Timestamp(NOW));
    q.filter = UnitFilter {
        unit_type: Some(UnitType::Ambulance),
        agency_ids: None,
    };
    q
}

fn move_one(idx: &mut UnitIndex, rng: &mut Rng, t: i64) {
    let i = (rng.unit() * 100_000.0) as usize % 100_000;
    let id = format!("u{i:06}");
    if let Some(u) = idx.get(&id) {
        let p = u.position;
        let lon = (p.lon() + (rng.unit() - 0.5) * 0.002).clamp(-180.0, 180.0);
        let lat = (p.lat() + (rng.unit() - 0.5) * 0.002).clamp(-90.0, 90.0);
        let _ = idx.update_position(&id, Position::from_lon_lat(lon, lat).unwrap(), Timestamp(t));
    }
}

/// p50/p99 with a manual loop: per second of queries, 10,000 updates are interleaved, i.e. one update after
/// every `q_per_update` queries, where the query rate is measured first.
fn percentiles(label: &str, n: usize, mut f: impl FnMut() -> Duration) {
    let mut samples: Vec<Duration> = (0..n).map(|_| f()).collect();
    samples.sort_unstable();
    let p = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    eprintln!(
        "{label}: p50 {:?}  p99 {:?}  max {:?}",
        p(0.50),
        p(0.99),
        p(1.0)
    );
}

fn unit_benches(c: &mut Criterion) {
    let mut rng = Rng(42);
    let mut idx = units(&mut rng);

    // Query rate without updates, to size the interleaving.
    let t = Instant::now();
    let mut n = 0;
    for _ in 0..20_000 {
        n += idx.nearest(&query(&mut rng, 5)).candidates.len();
    }
    let qps = 20_000.0 / t.elapsed().as_secs_f64();
    let q_per_update = (qps / 10_000.0).max(1.0) as usize;
    eprintln!(
        "nearest-5: {qps:.0} queries/s alone ({n}); interleaving 1 update per {q_per_update} queries"
    );

    let mut tick = NOW;
    let mut count = 0usize;
    percentiles("nearest-5 indexed (with updates)", 50_000, || {
        count += 1;
        if count.is_multiple_of(q_per_update) {
            tick += 1;
            move_one(&mut idx, &mut rng, tick);
        }
        let q = query(&mut rng, 5);
        let t = Instant::now();
        black_box(idx.nearest(&q));
        t.elapsed()
    });
    // The linear scan takes milliseconds per query, so it gets fewer samples.
    percentiles("nearest-5 linear scan", 300, || {
        let q = query(&mut rng, 5);
        let t = Instant::now();
        black_box(idx.nearest_brute_force(&q));
        t.elapsed()
    });
    let t = Instant::now();
    for i in 0..100_000 {
        move_one(&mut idx, &mut rng, tick + i);
    }
    eprintln!(
        "position update: {:.0} ns each",
        t.elapsed().as_nanos() as f64 / 100_000.0
    );

    let mut g = c.benchmark_group("units");
    g.sample_size(50);
    g.bench_function("nearest-5-ambulance/indexed+updates", |b| {
        let mut count = 0usize;
        b.iter(|| {
            count += 1;
            if count.is_multiple_of(q_per_update) {
                tick += 1;
                move_one(&mut idx, &mut rng, tick);
            }
            idx.nearest(&query(&mut rng, 5))
        })
    });
    g.sample_size(10);
    g.bench_function("nearest-5-ambulance/linear-scan", |b| {
        b.iter(|| idx.nearest_brute_force(&query(&mut rng, 5)))
    });
    g.finish();
}

criterion_group!(benches, unit_benches, locate_benches);
criterion_main!(benches);
