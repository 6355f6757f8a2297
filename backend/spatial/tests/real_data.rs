//! Differential and known-answer tests on the real shared geodata (`../shared/geodata` beside the workspace).
//!
//! The data is read once per test binary ([`OnceLock`]). When the directory is missing the tests **fail** and
//! name the path they looked in; set `SIAGA_GEODATA_DIR` to point elsewhere.
//!
//! Cost note: tests run unoptimised. A brute-force "nearest boundary" scans all ~155,000 kab/kota segments
//! (about 10 ms per point in a debug build), so the 100,000-point differential tests compare the full answer
//! for every point that is inside an area, the inside/outside classification for every point, and the full
//! `Outside` answer (nearest area and distance, bit for bit) for a deterministic sample of outside points.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail loudly on bad fixtures"
)]

use proptest::prelude::*;
use siaga_core::agency::AgencyType;
use siaga_core::time::Timestamp;
use siaga_core::unit::{UnitStatus, UnitType};
use siaga_spatial::facilities::FacilityIndex;
use siaga_spatial::import::{
    FacilityImportOptions, RegionImportOptions, parse_facilities_geojson, parse_regions,
};
use siaga_spatial::jurisdiction::brute_force_locate;
use siaga_spatial::layers::{AdminLayers, Agency, AgencyArea, RegionLevel};
use siaga_spatial::units::{NearestQuery, UnitFilter, UnitIndex, UnitState};
use siaga_spatial::{Area, Capability, JurisdictionIndex, Located, Position, PositionExt};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;

/// `SIAGA_GEODATA_DIR`, or `../shared/geodata` relative to the workspace root.
fn geodata_dir() -> PathBuf {
    let dir = match std::env::var_os("SIAGA_GEODATA_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/geodata"),
    };
    assert!(
        dir.join("PROVENANCE.md").is_file(),
        "shared geodata not found at {} (expected ../shared/geodata beside the workspace root, \
         or set SIAGA_GEODATA_DIR)",
        dir.display()
    );
    dir
}

fn load_regions(file: &str, level: RegionLevel) -> Vec<Area> {
    let path = geodata_dir().join("boundaries").join(file);
    let f = std::fs::File::open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    parse_regions(std::io::BufReader::new(f), &RegionImportOptions::new(level))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .areas
}

struct Level {
    areas: Vec<Area>,
    index: JurisdictionIndex,
    /// Per area, the bounding box `[min_lon, min_lat, max_lon, max_lat]`, for the fast brute-force prefilter.
    bboxes: Vec<[f64; 4]>,
}

fn level(file: &str, level: RegionLevel) -> Level {
    let areas = load_regions(file, level);
    let index = JurisdictionIndex::new(areas.clone()).unwrap();
    let bboxes = areas.iter().map(bbox).collect();
    Level {
        areas,
        index,
        bboxes,
    }
}

fn bbox(a: &Area) -> [f64; 4] {
    use geo::BoundingRect;
    let r = a.geometry.bounding_rect().unwrap();
    [r.min().x, r.min().y, r.max().x, r.max().y]
}

fn kabkota() -> &'static Level {
    static L: OnceLock<Level> = OnceLock::new();
    L.get_or_init(|| level("idn_adm2_kabkota.geojson", RegionLevel::Regency))
}

fn kecamatan() -> &'static Level {
    static L: OnceLock<Level> = OnceLock::new();
    L.get_or_init(|| level("idn_adm3_kecamatan.geojson", RegionLevel::District))
}

fn desa_selected() -> &'static Level {
    static L: OnceLock<Level> = OnceLock::new();
    L.get_or_init(|| {
        level(
            "idn_adm4_desa_selected_cities.geojson",
            RegionLevel::Village,
        )
    })
}

/// The area the brute force puts the point in (lowest id among those whose geometry intersects it), using a
/// per-area bounding-box prefilter: geo's own `MultiPolygon::intersects` starts with the same disjoint-bbox
/// test, but recomputes the box on every call.
fn brute_inside(l: &Level, p: Position) -> Option<&Area> {
    use geo::Intersects;
    let pt = p.to_point();
    l.areas
        .iter()
        .zip(&l.bboxes)
        .filter(|(_, b)| p.lon() >= b[0] && p.lon() <= b[2] && p.lat() >= b[1] && p.lat() <= b[3])
        .map(|(a, _)| a)
        .filter(|a| a.geometry.intersects(&pt))
        .min_by(|a, b| a.id.cmp(&b.id))
}

/// Compares the index with the brute force at `p`; outside points get the full comparison when `full`.
fn assert_same(l: &Level, p: Position, full_outside: bool) -> Result<(), TestCaseError> {
    let got = l.index.locate_position(p);
    match brute_inside(l, p) {
        Some(area) => prop_assert_eq!(
            got.area().id.as_str(),
            area.id.as_str(),
            "inside at {:?}: got {:?}",
            p,
            got
        ),
        None => {
            prop_assert!(!got.is_inside(), "index says inside {:?} at {:?}", got, p);
            if full_outside {
                let expected = brute_force_locate(&l.areas, p).unwrap();
                prop_assert_eq!(got, expected, "outside at {:?}", p);
            }
        }
    }
    Ok(())
}

// --- known answers from PROVENANCE ------------------------------------------------------------------------

fn layers() -> &'static AdminLayers {
    static L: OnceLock<AdminLayers> = OnceLock::new();
    L.get_or_init(|| {
        let regions =
            |codes: &[&str]| AgencyArea::Regions(codes.iter().map(|c| c.to_string()).collect());
        AdminLayers::new(
            vec![
                (RegionLevel::Regency, kabkota().index.clone()),
                (RegionLevel::District, kecamatan().index.clone()),
                (RegionLevel::Village, desa_selected().index.clone()),
            ],
            vec![
                Agency {
                    id: "damkar-3171".into(),
                    name: "Damkar Jakarta Pusat".into(),
                    agency_type: AgencyType::Fire,
                    area: regions(&["31.71"]),
                },
                Agency {
                    id: "psc119-3273".into(),
                    name: "PSC 119 Kota Bandung".into(),
                    agency_type: AgencyType::Health,
                    area: regions(&["32.73"]),
                },
                Agency {
                    id: "polsek-317101".into(),
                    name: "Polsek Gambir".into(),
                    agency_type: AgencyType::Police,
                    area: regions(&["31.71.01"]),
                },
                Agency {
                    id: "polres-3171".into(),
                    name: "Polres Jakarta Pusat".into(),
                    agency_type: AgencyType::Police,
                    area: regions(&["31.71"]),
                },
            ],
        )
        .unwrap()
    })
}

fn chain_codes(lon: f64, lat: f64) -> Vec<String> {
    layers()
        .locate_chain(lon, lat)
        .unwrap()
        .iter()
        .map(|link| {
            assert!(
                link.located.is_inside(),
                "{} outside at {lon},{lat}",
                link.level
            );
            link.code().to_owned()
        })
        .collect()
}

#[test]
fn monas_is_in_gambir_jakarta_pusat() {
    assert_eq!(
        chain_codes(106.8271, -6.1754),
        ["31.71", "31.71.01", "31.71.01.1001"]
    );
    let r = layers().responsible(106.8271, -6.1754).unwrap();
    assert_eq!(r[&AgencyType::Fire], "damkar-3171");
    // The kecamatan-level Polsek beats the city-wide Polres.
    assert_eq!(r[&AgencyType::Police], "polsek-317101");
    assert!(!r.contains_key(&AgencyType::Health));
}

#[test]
#[expect(
    clippy::approx_constant,
    reason = "1.1283 is Batam Centre's latitude, not 2/sqrt(pi)"
)]
fn batam_centre_is_in_batam_kota() {
    assert_eq!(
        chain_codes(104.0537, 1.1283),
        ["21.71", "21.71.10", "21.71.10.1003"]
    );
}

#[test]
fn gedung_sate_is_in_bandung() {
    assert_eq!(
        chain_codes(107.6187, -6.9025),
        ["32.73", "32.73.09", "32.73.09.1003"]
    );
    let r = layers().responsible(107.6187, -6.9025).unwrap();
    assert_eq!(r[&AgencyType::Health], "psc119-3273");
}

#[test]
fn chain_names_come_from_the_data() {
    let chain = layers().locate_chain(106.8271, -6.1754).unwrap();
    assert!(
        chain[0].name().contains("Jakarta Pusat"),
        "{}",
        chain[0].name()
    );
    assert_eq!(chain[1].name(), "Gambir");
}

#[test]
fn indian_ocean_point_is_outside_with_a_sane_nearest_area() {
    // 40-odd km south of the Yogyakarta coast.
    let p = Position::from_lon_lat(110.4, -8.45).unwrap();
    let got = kabkota().index.locate_position(p);
    let Located::Outside {
        nearest,
        distance_m,
    } = got
    else {
        panic!("expected Outside, got {got:?}");
    };
    assert!(
        nearest.id.starts_with("34.") || nearest.id.starts_with("33."),
        "nearest {nearest:?}"
    );
    assert!(
        (5_000.0..100_000.0).contains(&distance_m),
        "distance {distance_m}"
    );
    assert_eq!(got, brute_force_locate(&kabkota().areas, p).unwrap());
    // The Java Sea north of Jakarta: near the coast of a Jakarta or Banten/West Java kab/kota.
    let p = Position::from_lon_lat(106.85, -5.95).unwrap();
    let got = kabkota().index.locate_position(p);
    assert_eq!(got, brute_force_locate(&kabkota().areas, p).unwrap());
}

#[test]
fn invalid_coordinates_are_typed_errors_on_real_data() {
    let idx = &kabkota().index;
    assert!(idx.locate(f64::NAN, -6.2).is_err());
    assert!(
        idx.locate(-6.1754, 106.8271).is_err(),
        "swapped lon/lat must be rejected"
    );
    assert!(idx.locate(181.0, 0.0).is_err());
}

// --- differential property tests ---------------------------------------------------------------------------

/// Indonesia's bounding box, degrees.
const BBOX: [f64; 4] = [94.9, -11.1, 141.1, 6.1];

struct Vertices {
    all: Vec<(f64, f64)>,
    holes: Vec<(f64, f64)>,
    segments: Vec<((f64, f64), (f64, f64))>,
}

fn vertices() -> &'static Vertices {
    static V: OnceLock<Vertices> = OnceLock::new();
    V.get_or_init(|| {
        let mut v = Vertices {
            all: Vec::new(),
            holes: Vec::new(),
            segments: Vec::new(),
        };
        for a in &kabkota().areas {
            for poly in &a.geometry.0 {
                for (r, ring) in std::iter::once(poly.exterior())
                    .chain(poly.interiors())
                    .enumerate()
                {
                    for c in &ring.0 {
                        v.all.push((c.x, c.y));
                        if r > 0 {
                            v.holes.push((c.x, c.y));
                        }
                    }
                    for w in ring.0.windows(2) {
                        v.segments.push(((w[0].x, w[0].y), (w[1].x, w[1].y)));
                    }
                }
            }
        }
        v
    })
}

/// A jitter of 0 (exactly on the vertex) or 1e-7..1e-3 degrees in a random direction.
fn jitter() -> impl Strategy<Value = (f64, f64)> {
    prop_oneof![
        1 => Just((0.0, 0.0)),
        9 => (-7.0f64..-3.0, 0.0f64..std::f64::consts::TAU).prop_map(|(e, a)| {
            let r = 10f64.powf(e);
            (r * a.cos(), r * a.sin())
        }),
    ]
}

fn pos(lon: f64, lat: f64) -> Position {
    Position::from_lon_lat(lon, lat).unwrap()
}

/// Every 97th outside point gets the full (slow) brute-force comparison.
fn sample(lon: f64) -> bool {
    (lon * 1e6).to_bits().is_multiple_of(97)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 30_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn locate_equals_brute_force_uniform_in_indonesia(
        lon in BBOX[0]..BBOX[2],
        lat in BBOX[1]..BBOX[3],
    ) {
        assert_same(kabkota(), pos(lon, lat), sample(lon))?;
    }

    #[test]
    fn locate_equals_brute_force_near_vertices(i in any::<prop::sample::Index>(), (dx, dy) in jitter()) {
        let v = vertices();
        let (x, y) = v.all[i.index(v.all.len())];
        assert_same(kabkota(), pos(x + dx, y + dy), sample(x + dx))?;
    }

    #[test]
    fn locate_equals_brute_force_near_edges(
        i in any::<prop::sample::Index>(),
        t in 0.0f64..=1.0,
        (dx, dy) in jitter(),
    ) {
        let v = vertices();
        let ((ax, ay), (bx, by)) = v.segments[i.index(v.segments.len())];
        let (x, y) = (ax + t * (bx - ax), ay + t * (by - ay));
        assert_same(kabkota(), pos(x + dx, y + dy), sample(x + dx))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn locate_equals_brute_force_near_holes(i in any::<prop::sample::Index>(), (dx, dy) in jitter()) {
        let v = vertices();
        prop_assume!(!v.holes.is_empty());
        let (x, y) = v.holes[i.index(v.holes.len())];
        assert_same(kabkota(), pos(x + dx, y + dy), sample(x + dx))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, failure_persistence: None, ..ProptestConfig::default() })]

    /// Points anywhere from the Indian Ocean to the Pacific around Indonesia, most of them at sea and many
    /// hundreds of kilometres from any coast (where many boundary segments are almost equally far): those in
    /// no area are compared in full.
    #[test]
    fn outside_answers_equal_brute_force_far_out_at_sea(
        lon in 88.0f64..148.0,
        lat in -16.0f64..12.0,
    ) {
        let l = kabkota();
        assert_same(l, pos(lon, lat), true)?;
    }

    /// Sea points a few hundred metres to tens of kilometres off a coastline vertex, all compared in full.
    #[test]
    fn outside_answers_equal_brute_force_in_the_sea(
        i in any::<prop::sample::Index>(),
        r in 0.003f64..0.3,
        a in 0.0f64..std::f64::consts::TAU,
    ) {
        let v = vertices();
        let (x, y) = v.all[i.index(v.all.len())];
        let p = pos(x + r * a.cos(), y + r * a.sin());
        let l = kabkota();
        prop_assert_eq!(l.index.locate_position(p), brute_force_locate(&l.areas, p).unwrap());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Kecamatan level in and around Java and Batam, where the desa file also has data.
    #[test]
    fn kecamatan_locate_equals_brute_force(lon in 103.5f64..114.0, lat in -8.5f64..1.5) {
        assert_same(kecamatan(), pos(lon, lat), false)?;
    }
}

/// Every vertex of the selected-cities desa file, for jittered points on and near desa boundaries.
fn desa_vertices() -> &'static Vec<(f64, f64)> {
    static V: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    V.get_or_init(|| {
        desa_selected()
            .areas
            .iter()
            .flat_map(|a| a.geometry.0.iter())
            .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
            .flat_map(|ring| ring.0.iter().map(|c| (c.x, c.y)))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Desa/kelurahan level (the selected-cities sample of the national file): uniform points over the bbox of
    /// each city group, the full `Outside` answer for a sample of the points in no desa.
    #[test]
    fn desa_locate_equals_brute_force_in_the_selected_cities(
        city in 0usize..4,
        u in 0.0f64..1.0,
        v in 0.0f64..1.0,
    ) {
        // Jakarta (with Kepulauan Seribu), Bandung + Cimahi + Kab. Bandung (Barat), Batam, Surabaya:
        // lon0, lat0, width, height.
        let [x0, y0, w, h] = [
            [106.35, -6.45, 0.70, 1.30],
            [107.15, -7.35, 0.82, 0.70],
            [103.60, 0.42, 0.80, 0.82],
            [112.55, -7.40, 0.33, 0.25],
        ][city];
        let p = pos(x0 + u * w, y0 + v * h);
        assert_same(desa_selected(), p, sample(p.lon()))?;
    }

    /// Points on and within a few metres of desa vertices, where neighbouring desa meet and overlap.
    #[test]
    fn desa_locate_equals_brute_force_near_vertices(i in any::<prop::sample::Index>(), (dx, dy) in jitter()) {
        let v = desa_vertices();
        let (x, y) = v[i.index(v.len())];
        assert_same(desa_selected(), pos(x + dx, y + dy), sample(x + dx))?;
    }
}

// --- units and facilities ----------------------------------------------------------------------------------

const NOW: i64 = 1_764_000_000_000;

fn unit_strategy() -> impl Strategy<Value = (u8, u8, u8, f64, f64, i64)> {
    (
        0u8..7,
        0u8..5,
        0u8..4,
        106.6f64..107.1,
        -6.5f64..-6.0,
        0i64..900_000,
    )
}

fn make_unit(i: usize, (ty, st, ag, lon, lat, age): (u8, u8, u8, f64, f64, i64)) -> UnitState {
    UnitState {
        id: format!("u{i:03}"),
        agency_id: format!("agency-{ag}"),
        unit_type: UnitType::ALL[ty as usize % UnitType::ALL.len()],
        vehicle: siaga_core::unit::Vehicle::Car,
        status: UnitStatus::ALL[st as usize % UnitStatus::ALL.len()],
        position: pos(lon, lat),
        fix_at: Timestamp(NOW - age),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// Units move, change status and disappear; after every step nearest-k equals the brute-force sort.
    #[test]
    fn nearest_units_equal_brute_force_while_units_move(
        initial in prop::collection::vec(unit_strategy(), 1..120),
        moves in prop::collection::vec((any::<prop::sample::Index>(), 0u8..10, 106.6f64..107.1, -6.5f64..-6.0), 1..40),
        queries in prop::collection::vec((106.5f64..107.2, -6.6f64..-5.9, 0usize..8, 0u8..9, any::<bool>()), 1..6),
    ) {
        let units: Vec<UnitState> = initial.into_iter().enumerate().map(|(i, u)| make_unit(i, u)).collect();
        let ids: Vec<String> = units.iter().map(|u| u.id.clone()).collect();
        let mut idx = UnitIndex::from_units(units);
        for (step, (who, what, lon, lat)) in moves.into_iter().enumerate() {
            let id = &ids[who.index(ids.len())];
            let at = Timestamp(NOW - 1_000 + i64::try_from(step).unwrap());
            match what {
                0 => { idx.remove(id); }
                1 => { let _ = idx.set_status(id, UnitStatus::ALL[who.index(UnitStatus::ALL.len())]); }
                2 => { let _ = idx.update_position(id, pos(lon, lat), Timestamp(NOW - 10_000_000)); }
                _ => { let _ = idx.update_position(id, pos(lon, lat), at); }
            }
            for &(qlon, qlat, k, ty, by_agency) in &queries {
                let mut q = NearestQuery::new(pos(qlon, qlat), k, Timestamp(NOW));
                q.filter = UnitFilter {
                    unit_type: UnitType::ALL.get(usize::from(ty)).copied(),
                    agency_ids: by_agency.then(|| BTreeSet::from(["agency-1".to_owned(), "agency-2".to_owned()])),
                };
                prop_assert_eq!(idx.nearest(&q), idx.nearest_brute_force(&q));
            }
        }
    }

    /// A dense fleet (3,000 units in a city-sized box), so queries walk rings of grid cells instead of
    /// falling back to reading every cell; k up to 40 and agency filters reach past the first rings.
    #[test]
    fn nearest_units_equal_brute_force_in_a_dense_fleet(
        seed in any::<u64>(),
        queries in prop::collection::vec((106.7f64..107.0, -6.4f64..-6.1, 1usize..40, 0u8..9, any::<bool>()), 1..8),
    ) {
        let mut x = seed | 1;
        let mut next = move || { x ^= x << 13; x ^= x >> 7; x ^= x << 17; (x >> 11) as f64 / (1u64 << 53) as f64 };
        let units: Vec<UnitState> = (0..3_000).map(|i| {
            let u = (
                (next() * 7.0) as u8, (next() * 5.0) as u8, (next() * 4.0) as u8,
                106.75 + next() * 0.2, -6.35 + next() * 0.2, (next() * 900_000.0) as i64,
            );
            make_unit(i, u)
        }).collect();
        let mut idx = UnitIndex::from_units(units);
        for (n, &(qlon, qlat, k, ty, by_agency)) in queries.iter().enumerate() {
            // Move a unit between queries so updates across cells and classes are covered.
            let id = format!("u{:03}", (n * 397) % 3_000);
            let _ = idx.update_position(&id, pos(qlon, qlat), Timestamp(NOW));
            let mut q = NearestQuery::new(pos(qlon, qlat), k, Timestamp(NOW));
            q.filter = UnitFilter {
                unit_type: UnitType::ALL.get(usize::from(ty)).copied(),
                agency_ids: by_agency.then(|| BTreeSet::from(["agency-1".to_owned()])),
            };
            q.max_excluded = k % 7;
            prop_assert_eq!(idx.nearest(&q), idx.nearest_brute_force(&q));
        }
    }

    /// Units spread over the whole globe, including both sides of the antimeridian and near the poles.
    #[test]
    fn nearest_units_equal_brute_force_worldwide(
        units in prop::collection::vec((-180.0f64..=180.0, -89.9f64..89.9), 1..80),
        q in (-180.0f64..=180.0, -89.9f64..89.9, 1usize..6),
    ) {
        let mut idx = UnitIndex::new();
        for (i, (lon, lat)) in units.into_iter().enumerate() {
            idx.upsert(make_unit(i, (0, 0, 0, 0.0, 0.0, 0)));
            idx.update_position(&format!("u{i:03}"), pos(lon, lat), Timestamp(NOW)).unwrap();
        }
        let query = NearestQuery::new(pos(q.0, q.1), q.2, Timestamp(NOW));
        prop_assert_eq!(idx.nearest(&query), idx.nearest_brute_force(&query));
    }
}

fn faskes() -> &'static FacilityIndex {
    static F: OnceLock<FacilityIndex> = OnceLock::new();
    F.get_or_init(|| {
        let path = geodata_dir().join("faskes/faskes_kemenkes_bppsdmk_2019.geojson");
        let f = std::fs::File::open(&path)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
        let facilities =
            parse_facilities_geojson(std::io::BufReader::new(f), FacilityImportOptions::default())
                .unwrap();
        FacilityIndex::new(facilities).unwrap()
    })
}

#[test]
fn jakarta_faskes_import_reads_every_point() {
    let path = geodata_dir().join("faskes/faskes_jakarta_petadasar.geojson");
    let f = std::fs::File::open(&path).unwrap();
    let facilities =
        parse_facilities_geojson(std::io::BufReader::new(f), FacilityImportOptions::default())
            .unwrap();
    assert_eq!(facilities.len(), 2_620);
    let idx = FacilityIndex::new(facilities).unwrap();
    let near = idx
        .nearest(106.8271, -6.1754, 3, Some(Capability::Igd24h))
        .unwrap();
    assert_eq!(near.len(), 3);
    assert!(near[0].distance_m < 3_000.0, "{near:?}");
}

#[test]
fn nearest_hospital_to_monas_is_close_and_matches_brute_force() {
    let idx = faskes();
    assert_eq!(idx.facilities().len(), 10_283);
    let p = pos(106.8271, -6.1754);
    let got = idx.nearest_to(p, 5, Some(Capability::Igd24h));
    assert_eq!(got, idx.nearest_brute_force(p, 5, Some(Capability::Igd24h)));
    assert!(got[0].distance_m < 5_000.0, "{got:?}");
    assert!(got.iter().all(|n| n.facility.id.starts_with('R')));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn nearest_facilities_equal_brute_force(
        lon in BBOX[0]..BBOX[2],
        lat in BBOX[1]..BBOX[3],
        k in 0usize..12,
        igd in any::<bool>(),
    ) {
        let idx = faskes();
        let p = pos(lon, lat);
        let cap = igd.then_some(Capability::Igd24h);
        prop_assert_eq!(idx.nearest_to(p, k, cap), idx.nearest_brute_force(p, k, cap));
    }
}
