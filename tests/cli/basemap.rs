//! `siaga basemap build` as an operator runs it: on the committed real-OSM fixture (Kelapa Gading and
//! Jatinegara/Cakung, Jakarta; ODbL) with boundaries from a file or from the database, and refusing a truncated
//! or wrong extract without leaving anything behind.

use super::{import, siaga};
use siaga_tests::{Engine, TestDb, demo_streets_pbf, shared_geodata};
use std::path::{Path, PathBuf};

/// Kecamatan Kelapa Gading (31.72.06) and Cakung (31.75.06) from the shared boundaries, as an import file.
fn two_kecamatan(dir: &Path) -> PathBuf {
    let all: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(shared_geodata().join("boundaries/idn_adm3_kecamatan.geojson"))
            .unwrap(),
    )
    .unwrap();
    let features: Vec<_> = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| ["31.72.06", "31.75.06"].contains(&f["properties"]["code"].as_str().unwrap()))
        .cloned()
        .collect();
    assert_eq!(features.len(), 2);
    let path = dir.join("kecamatan.geojson");
    std::fs::write(
        &path,
        serde_json::json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .unwrap();
    path
}

fn is_pmtiles_v3(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| b.starts_with(b"PMTiles\x03"))
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

pub async fn builds_a_basemap_from_osm_and_the_imported_boundaries(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().unwrap();
    let kec = two_kecamatan(dir.path());
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();

    // Boundaries from a file.
    let from_file = out_dir.join("file.pmtiles");
    let out = siaga(
        &db,
        &[
            "basemap",
            "build",
            "--osm",
            demo_streets_pbf().to_str().unwrap(),
            "--regions",
            kec.to_str().unwrap(),
            "--out",
            from_file.to_str().unwrap(),
            "--max-zoom",
            "14",
        ],
        None,
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("tiles z0-14"), "{said}");
    assert!(is_pmtiles_v3(&from_file));

    // Without --regions: the regions imported into the configured database.
    import(
        &db,
        &[
            "import",
            "regions",
            kec.to_str().unwrap(),
            "--level",
            "kecamatan",
        ],
    );
    let from_db = out_dir.join("db.pmtiles");
    let out = siaga(
        &db,
        &[
            "basemap",
            "build",
            "--osm",
            demo_streets_pbf().to_str().unwrap(),
            "--out",
            from_db.to_str().unwrap(),
            "--max-zoom",
            "14",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 regions from the database"));
    assert!(is_pmtiles_v3(&from_db));
    // The same boundaries make the same map.
    assert_eq!(
        std::fs::metadata(&from_file).unwrap().len(),
        std::fs::metadata(&from_db).unwrap().len()
    );
    assert_eq!(
        listing(&out_dir),
        ["db.pmtiles", "file.pmtiles"],
        "no temporary files are left"
    );
}

pub async fn a_truncated_or_wrong_extract_is_refused_and_leaves_nothing(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(demo_streets_pbf()).unwrap();
    let cut = dir.path().join("cut.osm.pbf");
    std::fs::write(&cut, &bytes[..bytes.len() * 3 / 4]).unwrap();
    let wrong = two_kecamatan(dir.path());
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let target = out_dir.join("basemap.pmtiles");
    // An older archive at the output path stays as it was.
    std::fs::write(&target, b"PMTiles\x03 the previous archive").unwrap();
    for (input, says) in [
        (&cut, "is truncated"),
        (&wrong, "is not an OpenStreetMap PBF file"),
    ] {
        let out = siaga(
            &db,
            &[
                "basemap",
                "build",
                "--osm",
                input.to_str().unwrap(),
                "--regions",
                wrong.to_str().unwrap(),
                "--out",
                target.to_str().unwrap(),
            ],
            None,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(err.contains(says), "{err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(
            listing(&out_dir),
            ["basemap.pmtiles"],
            "no partial archive or temporary file"
        );
        assert_eq!(
            std::fs::read(&target).unwrap(),
            b"PMTiles\x03 the previous archive"
        );
    }
}
