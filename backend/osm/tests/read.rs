//! Reads the committed real-OSM fixture (Kelapa Gading and Jatinegara/Cakung, Jakarta; ODbL) and refuses
//! broken files.

use std::ops::ControlFlow;
use std::path::PathBuf;

use siaga_osm::{Feature, Geometry, Kind, OsmError};

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../geodata/demo/streets.osm.pbf")
}

fn collect(
    path: &std::path::Path,
    filter: &dyn siaga_osm::TagFilter,
) -> Result<(Vec<Feature>, siaga_osm::Stats), OsmError> {
    let mut out = Vec::new();
    let stats = siaga_osm::read(path, filter, |f| {
        out.push(f);
        ControlFlow::Continue(())
    })?;
    Ok((out, stats))
}

fn has(tags: &[(&str, &str)], key: &str) -> bool {
    tags.iter().any(|(k, _)| *k == key)
}

#[test]
fn streets_come_with_their_names_and_resolved_coordinates() {
    let roads = |kind: Kind, tags: &[(&str, &str)]| kind == Kind::Way && has(tags, "highway");
    let (features, stats) = collect(&fixture(), &roads).expect("the fixture reads");
    assert!(stats.ways > 100, "{stats:?}");
    assert_eq!(stats.ways as usize, features.len());
    assert!(stats.needed_nodes > 0);
    let bulevar = features
        .iter()
        .find(|f| f.tags.get("name") == Some("Jalan Bulevar Utara Kelapa Gading"))
        .expect("Jalan Bulevar Utara Kelapa Gading is in the fixture");
    let Geometry::Way(line) = &bulevar.geometry else {
        panic!("a way has a line geometry")
    };
    assert!(line.0.len() >= 2);
    for c in &line.0 {
        // Kelapa Gading, Jakarta Utara.
        assert!(
            (106.88..106.93).contains(&c.x) && (-6.18..-6.14).contains(&c.y),
            "{c:?}"
        );
    }
    // The filter decides: no node and no non-highway way came through.
    assert!(
        features
            .iter()
            .all(|f| f.kind == Kind::Way && f.tags.has("highway"))
    );
}

#[test]
fn a_filter_that_keeps_nothing_yields_nothing_and_needs_no_nodes() {
    let nothing = |_: Kind, _: &[(&str, &str)]| false;
    let (features, stats) = collect(&fixture(), &nothing).expect("the fixture reads");
    assert!(features.is_empty());
    assert_eq!(stats.needed_nodes, 0);
}

#[test]
fn the_sink_can_stop_early() {
    let all = |_: Kind, _: &[(&str, &str)]| true;
    let mut seen = 0;
    let stats = siaga_osm::read(fixture(), &all, |_| {
        seen += 1;
        if seen == 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .expect("the fixture reads");
    assert!(stats.stopped);
    assert_eq!(seen, 3);
}

#[test]
fn closed_ways_tagged_as_areas_become_polygons_and_roads_do_not() {
    use siaga_osm::Tags;
    let tags = |pairs: &[(&str, &str)]| {
        Tags(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    };
    assert!(siaga_osm::is_area(&tags(&[("building", "yes")])));
    assert!(siaga_osm::is_area(&tags(&[("leisure", "park")])));
    assert!(!siaga_osm::is_area(&tags(&[
        ("highway", "residential"),
        ("junction", "roundabout")
    ])));
    assert!(siaga_osm::is_area(&tags(&[
        ("highway", "pedestrian"),
        ("area", "yes")
    ])));
    assert!(!siaga_osm::is_area(&tags(&[("natural", "coastline")])));
}

#[test]
fn a_truncated_file_is_refused_as_truncated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = std::fs::read(fixture()).expect("fixture");
    let all = |_: Kind, _: &[(&str, &str)]| true;
    for len in [
        bytes.len() - 1,
        bytes.len() * 2 / 3,
        bytes.len() / 3,
        200,
        2,
    ] {
        let cut = dir.path().join(format!("cut{len}.osm.pbf"));
        std::fs::write(&cut, &bytes[..len]).expect("write");
        let mut yielded = 0;
        let err = siaga_osm::read(&cut, &all, |_| {
            yielded += 1;
            ControlFlow::Continue(())
        })
        .expect_err("a truncated file is refused");
        assert!(
            matches!(err, OsmError::Truncated { .. }),
            "cut at {len}: {err}"
        );
        assert!(err.to_string().contains("truncated"), "{err}");
        assert_eq!(yielded, 0, "nothing is yielded from a broken file");
    }
}

#[test]
fn a_file_that_is_not_a_pbf_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let all = |_: Kind, _: &[(&str, &str)]| true;
    for (name, content) in [
        (
            "regions.geojson",
            &br#"{"type":"FeatureCollection","features":[]}"#[..],
        ),
        ("empty.osm.pbf", &b""[..]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).expect("write");
        let err = siaga_osm::read(&path, &all, |_| ControlFlow::Continue(())).expect_err("refused");
        assert!(
            err.to_string().contains("not an OpenStreetMap PBF file"),
            "{name}: {err}"
        );
    }
    let err = siaga_osm::read(dir.path().join("missing.osm.pbf"), &all, |_| {
        ControlFlow::Continue(())
    })
    .expect_err("refused");
    assert!(matches!(err, OsmError::Open { .. }), "{err}");
}
