//! The road graph on the real shared OpenStreetMap drive extracts (Jakarta, Bandung, Balikpapan) and on the
//! demo's PBF: rankings by road against rankings by air, one-way streets, fallbacks, and the stored graph.

#![expect(
    clippy::unwrap_used,
    reason = "integration tests: an unwrap that fails is a failed assertion"
)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use siaga_roads::{Basis, Fallback, Limits, Profile, RawWay, RoadGraph, read_ways};

/// `SIAGA_GEODATA_DIR`, or `../shared/geodata` beside the workspace root.
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

const JAKARTA: &str = "roads/osm_drive_jakarta_jatinegara.geojson";
const BANDUNG: &str = "roads/osm_drive_bandung_buahbatu.geojson";
const BALIKPAPAN: &str = "roads/osmnx_drive_balikpapan_kota_edges.geojson";

struct Loaded {
    ways: Vec<RawWay>,
    graph: RoadGraph,
}

fn load(file: &'static str) -> &'static Loaded {
    static CACHE: OnceLock<std::sync::Mutex<HashMap<&'static str, &'static Loaded>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap();
    map.entry(file).or_insert_with(|| {
        let path = geodata_dir().join(file);
        let ways = read_ways(&path).unwrap();
        let graph = RoadGraph::prepare(&ways, "test".into());
        Box::leak(Box::new(Loaded { ways, graph }))
    })
}

/// Finds, among real incident points and candidate units on real roads, a case where the unit nearest by air
/// is not the fastest by road; checks that the ranking puts the fastest first and that its times agree with
/// an independent plain Dijkstra.
fn nearest_by_air_is_not_fastest_by_road(file: &'static str) {
    let l = load(file);
    let g = &l.graph;
    let limits = Limits::default();
    let mut router = g.router();
    let nodes = g.nodes();
    let n = nodes.len();
    let mut found = None;
    // Deterministic samples: incidents at every 211th node, candidates at every 37th node 300 m to 2 km away.
    'search: for i in (0..n).step_by(211) {
        let incident = nodes[i];
        let candidates: Vec<([f64; 2], Profile)> = (0..n)
            .step_by(37)
            .map(|j| nodes[j])
            .filter(|c| {
                let d = siaga_spatial::convert::haversine_m(c[0], c[1], incident[0], incident[1]);
                (300.0..2000.0).contains(&d)
            })
            .take(12)
            .map(|c| (c, Profile::Car))
            .collect();
        if candidates.len() < 4 {
            continue;
        }
        let ranked = router.rank(incident, &candidates, &limits);
        if ranked.iter().any(|(_, e)| e.basis != Basis::Road) {
            continue;
        }
        let by_air = (0..candidates.len())
            .min_by(|a, b| {
                let d = |k: usize| {
                    let c = candidates[k].0;
                    siaga_spatial::convert::haversine_m(c[0], c[1], incident[0], incident[1])
                };
                d(*a).total_cmp(&d(*b))
            })
            .unwrap();
        let (best, best_eta) = ranked[0];
        let air_eta = ranked.iter().find(|(k, _)| *k == by_air).unwrap().1;
        if best != by_air && air_eta.travel_time_s - best_eta.travel_time_s > 60.0 {
            found = Some((incident, candidates, ranked, by_air));
            break 'search;
        }
    }
    let (incident, candidates, ranked, by_air) = found
        .unwrap_or_else(|| panic!("{file}: no case where the nearest by air is slower by road"));
    let best = ranked[0].0;
    eprintln!(
        "{file}: incident {incident:?}; nearest by air {:?} ({:.0} s by road), fastest {:?} ({:.0} s)",
        candidates[by_air].0,
        ranked
            .iter()
            .find(|(k, _)| *k == by_air)
            .unwrap()
            .1
            .travel_time_s,
        candidates[best].0,
        ranked[0].1.travel_time_s
    );
    // The ranking is sorted and agrees with a plain Dijkstra over the same graph.
    let target = g.snap(Profile::Car, incident, limits.snap_max_m).unwrap();
    let sources: Vec<_> = candidates
        .iter()
        .map(|(c, _)| g.snap(Profile::Car, *c, limits.snap_max_m).unwrap())
        .collect();
    let dijkstra = router.dijkstra_to(Profile::Car, &target, &sources);
    for w in ranked.windows(2) {
        assert!(w[0].1.travel_time_s <= w[1].1.travel_time_s);
    }
    for (k, eta) in &ranked {
        let d = dijkstra[*k].expect("Dijkstra reaches every ranked candidate");
        assert!(
            (d - eta.travel_time_s).abs() < 0.01,
            "candidate {k}: CH {} s, Dijkstra {d} s",
            eta.travel_time_s
        );
    }
    let fastest_by_dijkstra = (0..candidates.len())
        .min_by(|a, b| dijkstra[*a].unwrap().total_cmp(&dijkstra[*b].unwrap()))
        .unwrap();
    assert!((dijkstra[fastest_by_dijkstra].unwrap() - dijkstra[best].unwrap()).abs() < 0.01);
    assert_ne!(best, by_air);
}

#[test]
fn jakarta_the_nearest_unit_by_air_is_not_the_fastest_and_the_faster_is_ranked_first() {
    nearest_by_air_is_not_fastest_by_road(JAKARTA);
}

#[test]
fn bandung_the_nearest_unit_by_air_is_not_the_fastest_and_the_faster_is_ranked_first() {
    nearest_by_air_is_not_fastest_by_road(BANDUNG);
}

#[test]
fn balikpapan_the_nearest_unit_by_air_is_not_the_fastest_and_the_faster_is_ranked_first() {
    nearest_by_air_is_not_fastest_by_road(BALIKPAPAN);
}

/// The direction a car may drive a raw OSM way, read from its tags here, independently of the crate's rules.
fn allowed_by_tags(way: &RawWay) -> (bool, bool) {
    let oneway = way.tag("oneway");
    let roundabout = matches!(way.tag("junction"), Some("roundabout" | "circular"));
    let motorway = matches!(way.tag("highway"), Some("motorway" | "motorway_link"));
    match oneway {
        Some("yes" | "true" | "1") => (true, false),
        Some("-1") => (false, true),
        Some("no") => (true, true),
        _ if roundabout || motorway => (true, false),
        _ => (true, true),
    }
}

fn key(c: [f64; 2]) -> (i64, i64) {
    ((c[0] * 1e7).round() as i64, (c[1] * 1e7).round() as i64)
}

#[test]
fn routes_respect_one_way_streets_and_the_wrong_way_takes_a_detour() {
    let l = load(JAKARTA);
    let g = &l.graph;
    let ways: HashMap<i64, &RawWay> = l.ways.iter().map(|w| (w.id, w)).collect();
    let limits = Limits::default();
    let mut router = g.router();
    let nodes = g.nodes();
    let mut legs_checked = 0;
    let mut one_way_legs = 0;
    for i in (0..nodes.len()).step_by(157) {
        for j in (13..nodes.len()).step_by(389) {
            let (Some(a), Some(b)) = (
                g.snap(Profile::Car, nodes[i], limits.snap_max_m),
                g.snap(Profile::Car, nodes[j], limits.snap_max_m),
            ) else {
                continue;
            };
            let Some(route) = router.route(Profile::Car, &a, &b) else {
                continue;
            };
            for leg in &route.legs {
                let seg = &g.segments()[leg.segment as usize];
                let way = ways[&seg.way];
                let (from, to) = (key(nodes[leg.from as usize]), key(nodes[leg.to as usize]));
                let pos: Vec<(i64, i64)> = way.coords.iter().map(|c| key(*c)).collect();
                let forward = pos.windows(2).any(|w| w[0] == from && w[1] == to);
                let backward = pos.windows(2).any(|w| w[0] == to && w[1] == from);
                assert!(forward || backward, "leg not on its way {}", way.id);
                let (may_fwd, may_bwd) = allowed_by_tags(way);
                assert!(
                    (forward && may_fwd) || (backward && may_bwd),
                    "route drives way {} ({:?}) against its direction",
                    way.id,
                    way.tag("oneway")
                );
                if may_fwd != may_bwd {
                    one_way_legs += 1;
                }
                legs_checked += 1;
            }
        }
    }
    assert!(legs_checked > 1000, "only {legs_checked} legs checked");
    assert!(
        one_way_legs > 50,
        "only {one_way_legs} legs on one-way streets"
    );

    // Along a one-way segment and against it: the wrong way is a detour, and never over that segment.
    let mut detours = 0;
    for (idx, seg) in g.segments().iter().enumerate() {
        let al = seg.allowed[Profile::Car.index()];
        if !(al.forward_ms > 0 && al.backward_ms == 0 && seg.length_m > 40.0) {
            continue;
        }
        let way = ways[&seg.way];
        assert_eq!(allowed_by_tags(way), (true, false));
        let snap_at = |t: f64| siaga_roads::Snap {
            segment: idx as u32,
            t,
            point: {
                let (a, b) = (nodes[seg.a as usize], nodes[seg.b as usize]);
                [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]
            },
            distance_m: 0.0,
        };
        let (near_a, near_b) = (snap_at(0.2), snap_at(0.8));
        let with = router.route(Profile::Car, &near_a, &near_b).unwrap();
        let Some(against) = router.route(Profile::Car, &near_b, &near_a) else {
            continue;
        };
        assert!(with.route_m < seg.length_m as f64);
        assert!(
            against.travel_time_s > with.travel_time_s && against.route_m > seg.length_m as f64,
            "way {}: against the one-way {} s / {} m, along it {} s",
            seg.way,
            against.travel_time_s,
            against.route_m,
            with.travel_time_s
        );
        assert!(!against.legs.iter().any(|l| l.segment == idx as u32));
        detours += 1;
        if detours >= 20 {
            break;
        }
    }
    assert!(detours >= 20, "only {detours} one-way detours checked");
}

#[test]
fn a_point_off_the_roads_and_a_disconnected_island_fall_back_to_the_straight_line() {
    // Jakarta and Bandung in one graph: two components 120 km apart.
    let dir = geodata_dir();
    let mut ways = read_ways(&dir.join(JAKARTA)).unwrap();
    ways.extend(read_ways(&dir.join(BANDUNG)).unwrap());
    let g = RoadGraph::prepare(&ways, "two cities".into());
    let limits = Limits::default();
    let mut router = g.router();
    let jakarta = g.nodes()[0];
    let bandung = *g.nodes().last().unwrap();
    let island = router.eta(Profile::Car, jakarta, bandung, &limits);
    assert_eq!(island.basis, Basis::StraightLine);
    assert_eq!(island.fallback, Some(Fallback::NoPath));
    assert!(island.start_snap_m.is_some() && island.end_snap_m.is_some());
    assert!(island.route_m > 90_000.0);

    // Jakarta Bay, 5 km north of the extract.
    let sea = [jakarta[0], jakarta[1] + 0.05];
    let off = router.eta(Profile::Car, sea, jakarta, &limits);
    assert_eq!(off.fallback, Some(Fallback::StartOffRoad));
    let off = router.eta(Profile::Car, jakarta, sea, &limits);
    assert_eq!(off.fallback, Some(Fallback::EndOffRoad));
    assert!(off.start_snap_m.unwrap() < 1.0);

    // Within the city, by road, with the snap distance of a point 30 m off a street.
    let near = router.eta(Profile::Car, jakarta, g.nodes()[200], &limits);
    assert_eq!(near.basis, Basis::Road);

    // No graph at all.
    let none = siaga_roads::eta(None, Profile::Car, jakarta, bandung, &limits);
    assert_eq!(none.fallback, Some(Fallback::NoGraph));
    assert_eq!(none.basis, Basis::StraightLine);

    // A straight line is a guess at a road: the great-circle distance times the detour factor, at the
    // straight-line speed, so it does not undercut real road estimates.
    let air = siaga_spatial::convert::haversine_m(jakarta[0], jakarta[1], bandung[0], bandung[1]);
    assert_eq!(
        limits.straight_line_detour,
        siaga_roads::query::STRAIGHT_LINE_DETOUR
    );
    for e in [none, island] {
        assert!(
            (e.route_m - 1.4 * air).abs() < 1.0,
            "{} vs {air}",
            e.route_m
        );
        assert!((e.travel_time_s - 1.4 * air / (40.0 / 3.6)).abs() < 0.1);
    }
    let plain = Limits {
        straight_line_detour: 1.0,
        ..limits
    };
    let crow = siaga_roads::eta(None, Profile::Car, jakarta, bandung, &plain);
    assert!((crow.route_m - air).abs() < 1.0);
}

#[test]
fn a_route_has_geometry_and_a_turn_list_naming_the_streets() {
    let l = load(BANDUNG);
    let g = &l.graph;
    let limits = Limits::default();
    let mut router = g.router();
    let nodes = g.nodes();
    // The first of some far-apart pairs that the main component joins (the extract has small fragments).
    let (a, b, r) = (0..nodes.len())
        .step_by(101)
        .find_map(|i| {
            let a = g.snap(Profile::Car, nodes[i], limits.snap_max_m)?;
            let b = g.snap(
                Profile::Car,
                nodes[(i + nodes.len() / 2) % nodes.len()],
                limits.snap_max_m,
            )?;
            let r = router.route(Profile::Car, &a, &b)?;
            (r.route_m > 1500.0).then_some((a, b, r))
        })
        .expect("a route across Buahbatu");
    assert_eq!(r.geometry.first(), Some(&a.point));
    assert_eq!(r.geometry.last(), Some(&b.point));
    let along: f64 = r
        .geometry
        .windows(2)
        .map(|w| siaga_spatial::convert::haversine_m(w[0][0], w[0][1], w[1][0], w[1][1]))
        .sum();
    assert!((along - r.route_m).abs() < 1.0, "{along} vs {}", r.route_m);
    assert_eq!(
        r.turns.first().unwrap().maneuver,
        siaga_roads::Maneuver::Depart
    );
    assert_eq!(
        r.turns.last().unwrap().maneuver,
        siaga_roads::Maneuver::Arrive
    );
    assert!(r.turns.len() >= 3);
    let on_streets: f64 = r.turns.iter().map(|t| t.distance_m).sum();
    assert!((on_streets - r.route_m).abs() < 1.0);
    assert!(r.turns.iter().any(|t| !t.street.is_empty()));
}

#[test]
fn an_isochrone_grows_with_the_time_limit() {
    let l = load(JAKARTA);
    let g = &l.graph;
    let mut router = g.router();
    let res = h3o::Resolution::Nine;
    // A source in the extract's main component (its 5-minute area holds more than a few streets).
    let (small, big) = (0..g.nodes().len())
        .step_by(97)
        .find_map(|i| {
            let s = g.snap(Profile::Car, g.nodes()[i], 500.0)?;
            let big = router.isochrone(Profile::Car, &[s], 300.0, res);
            let small = router.isochrone(Profile::Car, &[s], 60.0, res);
            (big.reached_nodes > 500).then_some((small, big))
        })
        .expect("a source in the main component");
    assert!(small.reached_nodes > 0);
    assert!(big.reached_nodes > small.reached_nodes);
    assert!(big.cells.len() > small.cells.len());
    assert!(
        small
            .cells
            .iter()
            .all(|c| big.cells.binary_search(c).is_ok())
    );
    assert!(big.hull.is_some());
    // The cells alone (no hull) are the same cells.
    let (source, _) = (0..g.nodes().len())
        .step_by(97)
        .filter_map(|i| g.snap(Profile::Car, g.nodes()[i], 500.0).map(|s| (s, i)))
        .find(|(s, _)| {
            router
                .isochrone(Profile::Car, &[*s], 300.0, res)
                .reached_nodes
                > 500
        })
        .unwrap();
    assert_eq!(
        router.isochrone_cells(Profile::Car, &[source], 300.0, res),
        router.isochrone(Profile::Car, &[source], 300.0, res).cells
    );
}

#[test]
fn the_prepared_demo_graph_is_stored_and_loaded_until_its_input_changes() {
    let pbf = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../geodata/demo/streets.osm.pbf");
    let dir = tempfile::tempdir().unwrap();
    let stored = dir.path().join("roads.graph");
    let (first, how) = RoadGraph::load_or_prepare(&pbf, &stored).unwrap();
    assert_eq!(how, siaga_roads::Provenance::Prepared);
    assert!(first.stats().nodes > 10_000);
    let (second, how) = RoadGraph::load_or_prepare(&pbf, &stored).unwrap();
    assert_eq!(how, siaga_roads::Provenance::Loaded);
    assert_eq!(first.stats(), second.stats());
    let limits = Limits::default();
    let (a, b) = (first.nodes()[3], first.nodes()[first.nodes().len() - 3]);
    let e1 = first.router().eta(Profile::Car, a, b, &limits);
    let e2 = second.router().eta(Profile::Car, a, b, &limits);
    assert_eq!(e1, e2);

    // Another input: the stored graph is not taken for it.
    let copy = dir.path().join("other.osm.pbf");
    std::fs::copy(&pbf, &copy).unwrap();
    let mut bytes = std::fs::read(&copy).unwrap();
    bytes.extend_from_slice(&[0u8; 0]);
    std::fs::write(&copy, &bytes).unwrap();
    let (_, how) = RoadGraph::load_or_prepare(&copy, &stored).unwrap();
    assert_eq!(
        how,
        siaga_roads::Provenance::Loaded,
        "same bytes, same hash"
    );
    let geo = geodata_dir().join(JAKARTA);
    let (_, how) = RoadGraph::load_or_prepare(&geo, &stored).unwrap();
    assert_eq!(how, siaga_roads::Provenance::Prepared);

    // A corrupt file is refused, not half-read.
    std::fs::write(&stored, b"SIAGARD1garbage").unwrap();
    assert!(RoadGraph::load(&stored).is_err());
}

#[test]
fn motorbikes_reach_a_kampung_path_that_cars_cannot() {
    let way = |id: i64, tags: &[(&str, &str)], coords: &[[f64; 2]]| RawWay {
        id,
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        coords: coords.to_vec(),
    };
    // A street, and a gang path open to motorbikes that shortcuts a long loop of the street.
    let ways = vec![
        way(
            1,
            &[("highway", "residential"), ("name", "Jalan Utama")],
            &[
                [106.90, -6.20],
                [106.90, -6.19],
                [106.91, -6.19],
                [106.91, -6.20],
            ],
        ),
        way(
            2,
            &[
                ("highway", "path"),
                ("motorcycle", "yes"),
                ("name", "Gang Mawar"),
            ],
            &[[106.90, -6.20], [106.91, -6.20]],
        ),
    ];
    let g = RoadGraph::prepare(&ways, "synthetic".into());
    let limits = Limits::default();
    let mut r = g.router();
    let (a, b) = ([106.90, -6.20], [106.91, -6.20]);
    let car = r.eta(Profile::Car, a, b, &limits);
    let bike = r.eta(Profile::Motorbike, a, b, &limits);
    assert_eq!((car.basis, bike.basis), (Basis::Road, Basis::Road));
    assert!(car.route_m > 3000.0, "car goes round: {}", car.route_m);
    assert!(
        bike.route_m < 1200.0,
        "motorbike takes the gang: {}",
        bike.route_m
    );
}

/// On the demo's real streets, the ways OSM closes to cars and opens to motorbikes (`access=no` or
/// `motorcar=no` with `motorcycle=yes`, e.g. Jalan Kelapa Molek VII in Kelapa Gading; and against a one-way
/// whose sign exempts motorbikes, `oneway:motorcycle=no`, e.g. Jalan TB Badarudin) are read from the raw tags
/// here, not by the crate's rules; across each such way whose ends a car can reach otherwise, the motorbike's
/// route follows the way and is faster, and the car's goes round. Prints them (the API tests use one).
#[test]
fn on_the_demo_streets_a_motorbike_takes_a_way_closed_to_cars() {
    let pbf = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../geodata/demo/streets.osm.pbf");
    let ways = read_ways(&pbf).unwrap();
    let g = RoadGraph::prepare(&ways, "demo".into());
    let limits = Limits {
        snap_max_m: 30.0,
        ..Limits::default()
    };
    let mut r = g.router();
    // (way, from, to): the direction a car may not drive it.
    // Points a tenth of the way in from each end, so each snaps to the way itself, not to a crossing street.
    let along_at = |w: &RawWay, f: f64| -> [f64; 2] {
        let legs: Vec<f64> = w
            .coords
            .windows(2)
            .map(|p| siaga_spatial::convert::haversine_m(p[0][0], p[0][1], p[1][0], p[1][1]))
            .collect();
        let mut left = f * legs.iter().sum::<f64>();
        for (p, m) in w.coords.windows(2).zip(&legs) {
            if left <= *m {
                let t = left / m.max(1e-9);
                return [
                    p[0][0] + t * (p[1][0] - p[0][0]),
                    p[0][1] + t * (p[1][1] - p[0][1]),
                ];
            }
            left -= m;
        }
        w.coords[w.coords.len() - 1]
    };
    let closed_to_cars = |w: &RawWay| -> Option<([f64; 2], [f64; 2])> {
        let (first, last) = (along_at(w, 0.1), along_at(w, 0.9));
        let car_closed = matches!(w.tag("access"), Some("no" | "private"))
            && w.tag("motorcar").or(w.tag("motor_vehicle")).is_none()
            || matches!(w.tag("motorcar").or(w.tag("motor_vehicle")), Some("no"));
        let bike_open = matches!(
            w.tag("motorcycle"),
            Some("yes" | "designated" | "permissive")
        );
        if car_closed && bike_open {
            return Some((first, last));
        }
        let car_one_way = matches!(w.tag("oneway"), Some("yes" | "true" | "1"));
        (car_one_way && w.tag("oneway:motorcycle") == Some("no")).then_some((last, first))
    };
    let mut found = 0;
    for (w, (a, b)) in ways.iter().filter_map(|w| Some((w, closed_to_cars(w)?))) {
        let along: f64 = w
            .coords
            .windows(2)
            .map(|p| siaga_spatial::convert::haversine_m(p[0][0], p[0][1], p[1][0], p[1][1]))
            .sum();
        let car = r.eta(Profile::Car, a, b, &limits);
        let bike = r.eta(Profile::Motorbike, a, b, &limits);
        println!(
            "way {} {:?}: {along:.0} m; car {:?} {:.0} m {:.0} s, motorbike {:?} {:.0} m {:.0} s; {a:?} -> {b:?}",
            w.id,
            w.tags,
            car.basis,
            car.route_m,
            car.travel_time_s,
            bike.basis,
            bike.route_m,
            bike.travel_time_s
        );
        if along < 150.0 || car.basis != Basis::Road {
            continue;
        }
        assert_eq!(bike.basis, Basis::Road);
        assert!(
            bike.route_m < 0.8 * along + 60.0,
            "{} vs {along}",
            bike.route_m
        );
        assert!(car.route_m > along + 100.0, "{} vs {along}", car.route_m);
        assert!(bike.travel_time_s < car.travel_time_s);
        found += 1;
    }
    assert!(found >= 2, "only {found} motorbike shortcuts");
}

/// A point standing on a node where a one-way street starts or ends (a crossing, a geocoded corner) is not on
/// the street against its direction: routing from a one-way way's node to its next node, the way it may be
/// driven, is that stretch, not a trip round the block. Before the fix, 370 of the demo streets' 6,869 such
/// pairs (5.4 %) went round, e.g. 838 m for two nodes 7 m apart; the few left snap to a parallel road or lie in a
/// part a car cannot leave.
#[test]
fn from_node_to_next_node_of_a_one_way_street_is_that_stretch() {
    let pbf = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../geodata/demo/streets.osm.pbf");
    let ways = read_ways(&pbf).unwrap();
    let g = RoadGraph::prepare(&ways, "demo".into());
    let mut r = g.router();
    let (mut pairs, mut round) = (0, 0);
    for w in ways.iter().filter(|w| {
        matches!(w.tag("oneway"), Some("yes" | "1")) || w.tag("junction") == Some("roundabout")
    }) {
        for p in [Profile::Car, Profile::Motorbike] {
            for pair in w.coords.windows(2) {
                let (Some(a), Some(b)) = (g.snap(p, pair[0], 5.0), g.snap(p, pair[1], 5.0)) else {
                    continue;
                };
                pairs += 1;
                let apart_m = siaga_spatial::convert::haversine_m(
                    pair[0][0], pair[0][1], pair[1][0], pair[1][1],
                );
                if r.route(p, &a, &b)
                    .is_none_or(|route| route.route_m > 2.0 * apart_m + 30.0)
                {
                    round += 1;
                }
            }
        }
    }
    assert!(pairs > 5_000, "{pairs} pairs");
    assert!(
        round * 200 < pairs,
        "{round} of {pairs} node-to-next-node routes along one-way streets go round the block"
    );
}
