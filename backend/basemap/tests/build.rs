//! Builds a basemap from the committed real-OSM fixture (Kelapa Gading and Jatinegara/Cakung, Jakarta; ODbL)
//! and real kecamatan polygons from `../shared/geodata` (MIT), then reads the archive back with the `pmtiles`
//! reader and decodes tiles as a map client would.

#![expect(
    clippy::unwrap_used,
    reason = "tests: an unwrap that fails is a failed assertion"
)]

use std::path::{Path, PathBuf};

use geozero::mvt::{Message, Tile, tile};
use pmtiles::{AsyncPmTilesReader, MmapBackend, TileCoord};
use siaga_basemap::{BuildOptions, Region};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture() -> PathBuf {
    repo().join("geodata/demo/streets.osm.pbf")
}

fn geodata() -> PathBuf {
    let dir = std::env::var("SIAGA_GEODATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join("../shared/geodata"));
    assert!(
        dir.join("boundaries/idn_adm3_kecamatan.geojson").exists(),
        "the shared geodata is expected at {} (or set SIAGA_GEODATA_DIR)",
        dir.display()
    );
    dir
}

/// Kecamatan Kelapa Gading (31.72.06) and Cakung (31.75.06).
fn kecamatan() -> Vec<Region> {
    let all = siaga_basemap::read_regions(&geodata().join("boundaries/idn_adm3_kecamatan.geojson"))
        .unwrap();
    let wanted: Vec<Region> = all
        .into_iter()
        .filter(|r| r.code == "31.72.06" || r.code == "31.75.06")
        .collect();
    assert_eq!(wanted.len(), 2);
    wanted
}

fn options(out: &Path, regions: Vec<Region>) -> BuildOptions {
    BuildOptions {
        osm: fixture(),
        regions,
        land: None,
        out: out.to_owned(),
        max_zoom: 15,
        bbox: None,
        cancel: None,
    }
}

/// Slippy-map tile of a lon/lat at zoom z.
fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let lat = lat.to_radians();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor()
        as u32;
    (x, y)
}

struct Archive(AsyncPmTilesReader<MmapBackend>);

impl Archive {
    async fn open(path: &Path) -> Self {
        Archive(AsyncPmTilesReader::new_with_path(path).await.unwrap())
    }

    async fn tile(&self, z: u8, x: u32, y: u32) -> Option<Tile> {
        let bytes = self
            .0
            .get_tile_decompressed(TileCoord::new(z, x, y).unwrap())
            .await
            .unwrap()?;
        Some(Tile::decode(bytes.as_ref()).unwrap())
    }
}

fn layer<'a>(t: &'a Tile, name: &str) -> Option<&'a tile::Layer> {
    t.layers.iter().find(|l| l.name == name)
}

/// The string attributes of a feature.
fn attrs(l: &tile::Layer, f: &tile::Feature) -> Vec<(String, String)> {
    f.tags
        .chunks(2)
        .map(|kv| {
            let v = &l.values[kv[1] as usize];
            let value = v
                .string_value
                .clone()
                .or(v.int_value.map(|i| i.to_string()))
                .or(v.bool_value.map(|b| b.to_string()))
                .unwrap_or_default();
            (l.keys[kv[0] as usize].clone(), value)
        })
        .collect()
}

/// The rings of an MVT polygon feature, decoded from its command stream, in tile coordinates (y down).
fn rings(f: &tile::Feature) -> Vec<Vec<(i64, i64)>> {
    let (mut rings, mut ring, mut i, mut cursor) = (Vec::new(), Vec::new(), 0, (0i64, 0i64));
    let zigzag = |v: u32| i64::from((v >> 1) as i32 ^ -((v & 1) as i32));
    while i < f.geometry.len() {
        let (command, count) = (f.geometry[i] & 7, f.geometry[i] >> 3);
        i += 1;
        match command {
            1 | 2 => {
                for _ in 0..count {
                    cursor = (
                        cursor.0 + zigzag(f.geometry[i]),
                        cursor.1 + zigzag(f.geometry[i + 1]),
                    );
                    i += 2;
                    if command == 1 && !ring.is_empty() {
                        rings.push(std::mem::take(&mut ring));
                    }
                    ring.push(cursor);
                }
            }
            _ => rings.push(std::mem::take(&mut ring)),
        }
    }
    rings
}

/// Twice the signed area by the surveyor's formula, as the MVT spec computes it (positive: exterior ring).
fn surveyor(ring: &[(i64, i64)]) -> i64 {
    (0..ring.len())
        .map(|k| {
            let (a, b) = (ring[k], ring[(k + 1) % ring.len()]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum()
}

fn find<'a>(l: &'a tile::Layer, key: &str, value: &str) -> Option<&'a tile::Feature> {
    l.features
        .iter()
        .find(|f| attrs(l, f).iter().any(|(k, v)| k == key && v == value))
}

#[tokio::test]
async fn kelapa_gading_is_drawn_with_named_streets_places_boundaries_and_land() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("jakarta.pmtiles");
    let report = siaga_basemap::build(&options(&out, kecamatan())).unwrap();
    assert!(report.tiles > 0 && report.archive_bytes > 0, "{report:?}");
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        vec![std::ffi::OsString::from("jakarta.pmtiles")],
        "no temporary files are left"
    );

    let archive = Archive::open(&out).await;
    let header = archive.0.get_header();
    assert_eq!((header.min_zoom, header.max_zoom), (0, 15));
    let metadata: serde_json::Value =
        serde_json::from_str(&archive.0.get_metadata().await.unwrap()).unwrap();
    assert_eq!(metadata["attribution"], "© OpenStreetMap contributors");
    let layer_ids: Vec<&str> = metadata["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    for id in [
        "earth",
        "water",
        "landuse",
        "roads",
        "buildings",
        "boundaries",
        "places",
        "pois",
    ] {
        assert!(layer_ids.contains(&id), "{id} in {layer_ids:?}");
    }

    // Street level over Kelapa Gading.
    let (x, y) = tile_of(106.905, -6.160, 14);
    let t = archive
        .tile(14, x, y)
        .await
        .expect("a z14 tile over Kelapa Gading");
    let roads = layer(&t, "roads").expect("roads");
    let bulevar =
        find(roads, "name", "Jalan Bulevar Utara Kelapa Gading").expect("the boulevard, by name");
    let a = attrs(roads, bulevar);
    let kind = a
        .iter()
        .find(|(k, _)| k == "kind")
        .map(|(_, v)| v.as_str())
        .unwrap();
    assert!(
        ["major_road", "minor_road", "highway"].contains(&kind),
        "{a:?}"
    );
    assert!(a.iter().any(|(k, _)| k == "kind_detail"), "{a:?}");
    assert_eq!(bulevar.r#type, Some(tile::GeomType::Linestring as i32));
    let places = layer(&t, "places").expect("places");
    assert!(
        find(places, "name", "Kelapa Gading").is_some(),
        "the kecamatan label"
    );
    let boundaries = layer(&t, "boundaries").expect("boundaries");
    assert!(
        boundaries
            .features
            .iter()
            .any(|f| f.r#type == Some(tile::GeomType::Linestring as i32))
    );
    assert!(
        find(boundaries, "kind_detail", "6").is_some(),
        "a kecamatan outline (admin level 6)"
    );
    let earth = layer(&t, "earth").expect("earth");
    assert_eq!(
        earth.features[0].r#type,
        Some(tile::GeomType::Polygon as i32)
    );
    // MVT exterior rings have positive area in tile coordinates; the other winding would be a hole and
    // draw nothing.
    let earth_rings = rings(&earth.features[0]);
    assert!(surveyor(&earth_rings[0]) > 0, "{:?}", &earth_rings[0]);

    // Every zoom from the whole world to the last has the place.
    for z in 0..=15 {
        let (x, y) = tile_of(106.905, -6.160, z);
        let t = archive
            .tile(z, x, y)
            .await
            .unwrap_or_else(|| panic!("no tile at z{z}"));
        assert!(layer(&t, "earth").is_some(), "earth at z{z}");
    }
    // Low zooms keep only what the style shows there: no minor streets at z8.
    let (x, y) = tile_of(106.905, -6.160, 8);
    let t = archive.tile(8, x, y).await.unwrap();
    if let Some(roads) = layer(&t, "roads") {
        assert!(find(roads, "kind", "minor_road").is_none());
    }
}

#[tokio::test]
async fn the_sea_is_the_extent_outside_the_land() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sea.pmtiles");
    // Land: only the south of the extract (south of 6.2°S); the north is sea.
    let land = geo::MultiPolygon(vec![
        geo::Rect::new((106.0, -7.0), (107.5, -6.2)).to_polygon(),
    ]);
    let opts = BuildOptions {
        land: Some(land),
        max_zoom: 14,
        ..options(&out, Vec::new())
    };
    siaga_basemap::build(&opts).unwrap();
    let archive = Archive::open(&out).await;
    let (x, y) = tile_of(106.905, -6.145, 14);
    let t = archive.tile(14, x, y).await.unwrap();
    let water = layer(&t, "water").expect("water north of the coast");
    assert!(find(water, "kind", "ocean").is_some());
    assert!(
        layer(&t, "earth").is_none(),
        "no land in a tile wholly north of the coast"
    );
}

#[test]
fn a_truncated_or_wrong_file_is_refused_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(fixture()).unwrap();
    let cut = dir.path().join("cut.osm.pbf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let wrong = dir.path().join("regions.osm.pbf");
    std::fs::write(&wrong, br#"{"type":"FeatureCollection","features":[]}"#).unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = out_dir.join("basemap.pmtiles");
    for (input, expected) in [
        (&cut, "truncated"),
        (&wrong, "not an OpenStreetMap PBF file"),
    ] {
        let err = siaga_basemap::build(&BuildOptions {
            osm: input.clone(),
            ..options(&out, Vec::new())
        })
        .unwrap_err();
        assert!(err.to_string().contains(expected), "{err}");
        let left: Vec<_> = std::fs::read_dir(&out_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert!(left.is_empty(), "nothing is left behind: {left:?}");
    }
}

#[test]
fn a_cancelled_build_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("basemap.pmtiles");
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let err = siaga_basemap::build(&BuildOptions {
        cancel: Some(cancel),
        ..options(&out, Vec::new())
    })
    .unwrap_err();
    assert!(
        matches!(err, siaga_basemap::BasemapError::Cancelled),
        "{err}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
