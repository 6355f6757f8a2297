//! Fuzzing oracles for the import parsers, shared by the cargo-fuzz targets in `fuzz/` and by
//! `tests/fuzz_seeds`, which replays every committed seed on each `cargo test` (no nightly needed).
//!
//! Each function takes arbitrary bytes and panics only when a documented property is broken: a parser must
//! never panic, and whatever it accepts must satisfy the rules in [`crate::import`] and build an index.

use crate::facilities::FacilityIndex;
use crate::gazetteer::{Gazetteer, Village, normalize, village_places};
use crate::import::VillageRecord;
use crate::import::{
    FacilityImportOptions, ImportError, RegionImportOptions, parse_agencies_csv,
    parse_agencies_geojson, parse_facilities_csv, parse_facilities_geojson, parse_regions,
    parse_villages_csv,
};
use crate::jurisdiction::{JurisdictionIndex, Located, brute_force_locate};
use crate::layers::{AdminLayers, Agency, AgencyArea, RegionLevel};
use crate::{Area, Position};
use geo::{LineString, MultiPolygon};

/// Feeds the bytes to the three GeoJSON parsers (regions, facilities, agencies) and checks what they accept:
/// valid closed rings with in-range coordinates, an index that builds and answers like the brute-force
/// definition, facilities found at their own position, agency layers that build or refuse without panicking.
pub fn geojson(data: &[u8]) {
    let regions = parse_regions(data, &RegionImportOptions::new(RegionLevel::Regency));
    let region_index = match regions {
        Ok(set) => check_areas(&set.areas),
        Err(e) => {
            check_error(&e);
            None
        }
    };
    match parse_facilities_geojson(data, FacilityImportOptions::default()) {
        Ok(facilities) => check_facilities(facilities),
        Err(e) => check_error(&e),
    }
    match parse_agencies_geojson(data) {
        Ok(agencies) => check_agencies(agencies, region_index),
        Err(e) => check_error(&e),
    }
}

/// Feeds the bytes to the three CSV parsers (facilities, agencies, village gazetteer) and checks what they
/// accept.
pub fn csv(data: &[u8]) {
    match parse_villages_csv(std::io::Cursor::new(data.to_vec())) {
        Ok(villages) => check_villages(&villages),
        Err(e) => check_error(&e),
    }
    match parse_facilities_csv(std::io::Cursor::new(data.to_vec())) {
        Ok(facilities) => check_facilities(facilities),
        Err(e) => check_error(&e),
    }
    match parse_agencies_csv(std::io::Cursor::new(data.to_vec())) {
        Ok(agencies) => {
            for a in &agencies {
                check_key(&a.id);
                assert!(
                    !a.name.is_empty(),
                    "agency {} accepted without a name",
                    a.id
                );
                let AgencyArea::Regions(codes) = &a.area else {
                    panic!("a CSV agency {} has a polygon", a.id);
                };
                assert!(
                    !codes.is_empty(),
                    "agency {} accepted without regions",
                    a.id
                );
                assert!(codes.iter().all(|c| !c.is_empty() && c.trim() == c));
            }
            check_agencies(agencies, None);
        }
        Err(e) => check_error(&e),
    }
}

/// Accepted villages keep the documented rules, and each with a centroid is found by its own name at it.
fn check_villages(villages: &[VillageRecord]) {
    for v in villages {
        check_key(&v.code);
        assert!(
            v.code.contains('.'),
            "village {} without a district",
            v.code
        );
        assert!(
            !v.name.is_empty(),
            "village {} accepted without a name",
            v.code
        );
        assert!(matches!(v.kind.as_str(), "desa" | "kelurahan" | ""));
        if let Some(p) = &v.postal_code {
            assert!(
                p.len() == 5 && p.bytes().all(|b| b.is_ascii_digit()),
                "postal code {p:?}"
            );
        }
    }
    let entries: Vec<Village> = villages
        .iter()
        .map(|v| Village {
            code: v.code.clone(),
            name: v.name.clone(),
            kind: v.kind.clone(),
            postal_code: v.postal_code.clone(),
            position: v.position,
        })
        .collect();
    let places = village_places(&entries, &[]);
    assert_eq!(
        places.len(),
        villages.iter().filter(|v| v.position.is_some()).count(),
        "without regions, exactly the villages with a centroid are placed"
    );
    let gazetteer = Gazetteer::new(places);
    for v in villages.iter().filter(|v| v.position.is_some()).take(20) {
        if normalize(&v.name).is_empty() {
            continue;
        }
        let found = gazetteer.search(&v.name, usize::MAX, v.position);
        assert!(
            found
                .iter()
                .any(|p| p.id == v.code && Some(p.position) == v.position),
            "village {} not found by its name {:?}",
            v.code,
            v.name
        );
    }
}

/// Every refusal says what is wrong; a record list is never empty and names each record.
fn check_error(e: &ImportError) {
    let message = e.to_string();
    assert!(!message.is_empty());
    assert_eq!(e.code(), "invalid_import");
    if let ImportError::Records(records) = e {
        assert!(!records.is_empty(), "a record error without records");
        for r in records {
            let line = r.to_string();
            assert!(
                line.starts_with("feature #") || line.starts_with("line "),
                "record error does not name its record: {line}"
            );
        }
    }
}

fn check_key(key: &str) {
    assert!(!key.is_empty(), "an empty key was accepted");
    assert_eq!(key.trim(), key, "key {key:?} was not trimmed");
}

fn check_ring(ring: &LineString<f64>, owner: &str) {
    let coords = &ring.0;
    assert!(
        coords.len() >= 4,
        "{owner}: a ring with {} positions",
        coords.len()
    );
    assert_eq!(coords.first(), coords.last(), "{owner}: an open ring");
    for c in coords {
        assert!(
            Position::from_lon_lat(c.x, c.y).is_ok(),
            "{owner}: accepted an invalid position {c:?}"
        );
    }
}

fn check_geometry(geometry: &MultiPolygon<f64>, owner: &str) {
    assert!(!geometry.0.is_empty(), "{owner}: an empty geometry");
    for polygon in &geometry.0 {
        check_ring(polygon.exterior(), owner);
        for hole in polygon.interiors() {
            check_ring(hole, owner);
        }
    }
}

/// Query points for an area set: the first vertex and the bounding-box centre of the first polygons, and a
/// few fixed places.
fn probe_points(areas: &[Area]) -> Vec<Position> {
    let mut points = Vec::new();
    for area in areas.iter().take(8) {
        for polygon in area.geometry.0.iter().take(2) {
            let coords = &polygon.exterior().0;
            if let Some(first) = coords.first() {
                points.extend(Position::from_lon_lat(first.x, first.y).ok());
            }
            let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
            for c in coords {
                lo = [lo[0].min(c.x), lo[1].min(c.y)];
                hi = [hi[0].max(c.x), hi[1].max(c.y)];
            }
            points
                .extend(Position::from_lon_lat((lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0).ok());
        }
    }
    for (lon, lat) in [(0.0, 0.0), (106.8, -6.2), (104.0, 1.1), (-180.0, 90.0)] {
        points.extend(Position::from_lon_lat(lon, lat).ok());
    }
    points
}

/// Checks accepted areas and builds their index; returns it when there is at least one area.
fn check_areas(areas: &[Area]) -> Option<JurisdictionIndex> {
    for area in areas {
        check_key(&area.id);
        assert!(
            !area.name.is_empty(),
            "area {} accepted without a name",
            area.id
        );
        check_geometry(&area.geometry, &area.id);
    }
    if areas.is_empty() {
        return None;
    }
    let index = match JurisdictionIndex::new(areas.to_vec()) {
        Ok(index) => index,
        Err(e) => panic!("accepted regions do not build an index: {e}"),
    };
    for p in probe_points(areas) {
        let fast = index.locate_position(p);
        let Some(slow) = brute_force_locate(index.areas(), p) else {
            panic!("brute force found nothing for {p:?} over a non-empty set");
        };
        match (fast, slow) {
            (Located::Inside { area: a }, Located::Inside { area: b }) => {
                assert_eq!(a.id, b.id, "index and brute force disagree at {p:?}");
            }
            (
                Located::Outside {
                    distance_m: d1,
                    nearest: a,
                },
                Located::Outside {
                    distance_m: d2,
                    nearest: b,
                },
            ) => {
                assert!(
                    (d1 - d2).abs() <= 1e-6 * d1.abs().max(1.0),
                    "index says {d1} m from {}, brute force {d2} m from {} at {p:?}",
                    a.id,
                    b.id
                );
            }
            (fast, slow) => panic!("index says {fast:?}, brute force {slow:?} at {p:?}"),
        }
    }
    // The boundary counts as inside: every area contains its own first vertex.
    for area in areas.iter().take(8) {
        if let Some(first) = area.geometry.0.first().and_then(|p| p.exterior().0.first())
            && let Ok(p) = Position::from_lon_lat(first.x, first.y)
        {
            assert!(
                index.locate_position(p).is_inside(),
                "area {} does not contain its own vertex {p:?}",
                area.id
            );
        }
    }
    Some(index)
}

fn check_facilities(facilities: Vec<crate::Facility>) {
    for f in &facilities {
        check_key(&f.id);
        assert!(
            !f.name.is_empty(),
            "facility {} accepted without a name",
            f.id
        );
    }
    let probes: Vec<Position> = facilities.iter().take(8).map(|f| f.position).collect();
    let count = facilities.len();
    let index = match FacilityIndex::new(facilities) {
        Ok(index) => index,
        Err(e) => panic!("accepted facilities do not build an index: {e}"),
    };
    assert_eq!(index.facilities().len(), count);
    for p in probes {
        let nearest = index.nearest_to(p, 1, None);
        let Some(first) = nearest.first() else {
            panic!("no facility near an accepted facility's own position");
        };
        assert!(
            first.distance_m.abs() < 1e-6,
            "nearest facility to {p:?} is {} m away",
            first.distance_m
        );
    }
}

fn check_agencies(agencies: Vec<Agency>, regions: Option<JurisdictionIndex>) {
    for a in &agencies {
        check_key(&a.id);
        assert!(
            !a.name.is_empty(),
            "agency {} accepted without a name",
            a.id
        );
        match &a.area {
            AgencyArea::Polygon(mp) => check_geometry(mp, &a.id),
            AgencyArea::Regions(codes) => {
                assert!(!codes.is_empty(), "agency {} covers nothing", a.id)
            }
        }
    }
    let levels = regions
        .map(|r| vec![(RegionLevel::Regency, r)])
        .unwrap_or_default();
    // Unknown region codes are a build error, not a panic; polygon agencies must build.
    match AdminLayers::new(levels, agencies) {
        Ok(layers) => {
            for (lon, lat) in [(106.8, -6.2), (104.0, 1.1), (0.0, 0.0)] {
                let _ = layers.responsible(lon, lat);
                let _ = layers.locate_chain(lon, lat);
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}
