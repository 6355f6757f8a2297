//! The `siaga` command line as an operator uses it: importing the real Indonesian boundaries and faskes from
//! `../shared/geodata`, checking them with `siaga locate`, and refusing a corrupt file without losing the old
//! data — on SQLite and PostgreSQL.

#![expect(
    clippy::unwrap_used,
    reason = "integration tests: an unwrap that fails is a failed assertion"
)]

mod audit;
mod basemap;

use siaga_tests::{
    Engine, TestDb, demo_streets_pbf, engine_tests, jakarta_boundaries, shared_geodata, siaga_bin,
};
use std::io::Write;
use std::process::{Command, Output, Stdio};

engine_tests!(
    imports_real_boundaries_and_locates_points,
    corrupt_import_is_refused_and_old_data_stays,
    imports_osm_streets_with_their_kelurahan_and_refuses_a_wrong_file,
    demo_stands_on_real_jakarta_data_with_the_faskes_of_its_area
);

use basemap::{
    a_truncated_or_wrong_extract_is_refused_and_leaves_nothing,
    builds_a_basemap_from_osm_and_the_imported_boundaries,
};
engine_tests!(
    builds_a_basemap_from_osm_and_the_imported_boundaries,
    a_truncated_or_wrong_extract_is_refused_and_leaves_nothing
);

fn siaga(db: &TestDb, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(siaga_bin().unwrap())
        .args(args)
        .env("SIAGA_DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes()).unwrap();
    }
    drop(pipe);
    child.wait_with_output().unwrap()
}

fn import(db: &TestDb, args: &[&str]) -> String {
    let out = siaga(db, args, None);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const POINTS: &str = "106.8271,-6.1754\n104.0537,1.1283\n107.6187,-6.9025\n105.0,-8.0\n";

async fn imports_real_boundaries_and_locates_points(engine: Engine) {
    let db = TestDb::new(engine).await;
    let g = shared_geodata();
    let kab = g.join("boundaries/idn_adm2_kabkota.geojson");
    let kec = g.join("boundaries/idn_adm3_kecamatan.geojson");
    let faskes = g.join("faskes/faskes_kemenkes_bppsdmk_2019.geojson");
    let said = import(
        &db,
        &[
            "import",
            "regions",
            kab.to_str().unwrap(),
            "--level",
            "kabkota",
        ],
    );
    assert!(said.contains("imported 514 regency regions"), "{said}");
    // Only kab/kota so far: the finest answer is the kab/kota.
    let out = siaga(&db, &["locate"], Some(POINTS));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        lines[0],
        "106.8271,-6.1754,31.71,Kota Administrasi Jakarta Pusat"
    );
    assert!(
        lines[1].starts_with("104.0537,1.1283,21.71,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("107.6187,-6.9025,32.73,"),
        "{}",
        lines[2]
    );
    assert_eq!(
        lines[3], "105,-8,,",
        "a point in the Indian Ocean is outside"
    );

    let said = import(
        &db,
        &[
            "import",
            "regions",
            kec.to_str().unwrap(),
            "--level",
            "kecamatan",
        ],
    );
    assert!(said.contains("imported 7285 district regions"), "{said}");
    let said = import(&db, &["import", "faskes", faskes.to_str().unwrap()]);
    assert!(said.contains("imported 10283 facilities"), "{said}");
    let out = siaga(&db, &["locate"], Some(POINTS));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "106.8271,-6.1754,31.71.01,Gambir");
    assert_eq!(lines[1], "104.0537,1.1283,21.71.10,Batam Kota");
    assert_eq!(lines[2], "107.6187,-6.9025,32.73.09,Bandung Wetan");

    // A malformed line is reported and the run fails, but the good lines are still answered.
    let out = siaga(&db, &["locate"], Some("106.8271,-6.1754\nnot a point\n"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("31.71.01,Gambir"));

    // The national village gazetteer: every village of Indonesia found by name or postal code, pinned at its
    // centroid, with its kab/kota and kecamatan as context.
    let villages = g.join("gazetteer/desa_kelurahan.csv");
    let said = import(&db, &["import", "gazetteer", villages.to_str().unwrap()]);
    assert!(
        said.contains("imported 83762 villages (83403 with a centroid)"),
        "{said}"
    );
    let store = siaga::store::Store::connect(&db.url, 2).await.unwrap();
    let geo = siaga::geo::Geo::load(&store).await.unwrap();
    store.close().await;
    let found = geo.search_places("keude bakongan", 3, None);
    let first = &found[0];
    assert_eq!(
        (first.id.as_str(), first.postal_code.as_deref()),
        ("11.01.01.2001", Some("23773"))
    );
    assert_eq!(
        (first.position.lon(), first.position.lat()),
        (97.484584, 2.931095)
    );
    assert_eq!(first.context, "Kabupaten Aceh Selatan › Bakongan");
    assert!(
        geo.search_places("23773", 20, None)
            .iter()
            .any(|p| p.id == "11.01.01.2001")
    );
    // "Menteng" names places across the country; near Monas the Jakarta ones come first.
    let monas = siaga_spatial::Position::from_lon_lat(106.8271, -6.1754).unwrap();
    let found = geo.search_places("menteng", 3, Some(monas));
    assert!(found[0].id.starts_with("31.71.06"), "{found:?}");
}

/// `siaga demo` loads real Jakarta Utara and Jakarta Timur with units on real roads, and with `--faskes` the
/// real faskes of those two cities only; a faskes file it cannot read stops it before anything is loaded.
async fn demo_stands_on_real_jakarta_data_with_the_faskes_of_its_area(engine: Engine) {
    let db = TestDb::new(engine).await;
    let out = siaga(
        &db,
        &[
            "demo",
            "--no-serve",
            "--faskes",
            "/nonexistent/faskes.geojson",
        ],
        None,
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/faskes.geojson"), "{err}");
    let out = siaga(&db, &["locate"], Some("106.9095,-6.1629\n"));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "106.9095,-6.1629,,\n",
        "nothing was loaded"
    );

    let faskes = shared_geodata().join("faskes/faskes_kemenkes_bppsdmk_2019.geojson");
    let said = import(
        &db,
        &["demo", "--no-serve", "--faskes", faskes.to_str().unwrap()],
    );
    assert!(said.contains("Jakarta Utara and Jakarta Timur"), "{said}");
    assert!(said.contains("dispatch.dinkes"), "{said}");
    // Real kelurahan under the real kecamatan: Boulevard Timur is in Pegangsaan Dua, Kelapa Gading.
    let out = siaga(
        &db,
        &["locate"],
        Some("106.9095,-6.1629\n106.8271,-6.1754\n"),
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "106.9095,-6.1629,31.72.06.1002,Pegangsaan Dua");
    assert!(
        !lines[1].contains("31.71"),
        "Monas is in Jakarta Pusat, which the demo does not load: {}",
        lines[1]
    );

    let store = siaga::store::Store::connect(&db.url, 2).await.unwrap();
    let facilities = store.list_facilities().await.unwrap();
    let units = store.list_units(None, None).await.unwrap();
    store.close().await;
    // The file's puskesmas and hospitals of the two cities, and none of elsewhere (e.g. Jakarta Pusat).
    assert!(facilities.len() > 150, "{} faskes", facilities.len());
    assert!(
        said.contains(&format!("Faskes: {} of the 10283", facilities.len())),
        "{said}"
    );
    for f in &facilities {
        let region = f.region_code.as_deref().unwrap_or("");
        assert!(
            region.starts_with("31.72") || region.starts_with("31.75"),
            "{} in {region}",
            f.id
        );
    }
    assert!(
        facilities.iter().any(|f| f.id == "R3175385"),
        "RS Mitra Keluarga Kelapa Gading"
    );
    assert!(
        !facilities.iter().any(|f| f.id == "R3173521"),
        "RSUD Tarakan is in Jakarta Pusat"
    );
    // Sixteen units, each parked inside the demo cities; the Polres Jakarta Timur patrol PTL-04 rides a
    // motorbike, the rest drive their type's default, a car.
    assert_eq!(units.len(), 16);
    for u in &units {
        let expected = if u.call_sign == "PTL-04" {
            "motorbike"
        } else {
            "car"
        };
        assert_eq!(u.vehicle, expected, "{}", u.call_sign);
    }
    let spots: String = units
        .iter()
        .map(|u| format!("{},{}\n", u.lon.unwrap(), u.lat.unwrap()))
        .collect();
    let out = siaga(&db, &["locate"], Some(&spots));
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let code = line.split(',').nth(2).unwrap_or("");
        assert!(
            code.starts_with("31.72.") || code.starts_with("31.75."),
            "{line}"
        );
    }
}

async fn corrupt_import_is_refused_and_old_data_stays(engine: Engine) {
    let db = TestDb::new(engine).await;
    let kab = shared_geodata().join("boundaries/idn_adm2_kabkota.geojson");
    import(
        &db,
        &[
            "import",
            "regions",
            kab.to_str().unwrap(),
            "--level",
            "kabkota",
        ],
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.geojson");
    std::fs::write(
        &bad,
        r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"code":"99.01","name":"Good"},
           "geometry":{"type":"Polygon","coordinates":[[[100,0],[101,0],[101,1],[100,1],[100,0]]]}},
          {"type":"Feature","properties":{"code":"99.02","name":"Open ring"},
           "geometry":{"type":"Polygon","coordinates":[[[102,0],[103,0],[103,1],[102,1]]]}}]}"#,
    )
    .unwrap();
    let out = siaga(
        &db,
        &[
            "import",
            "regions",
            bad.to_str().unwrap(),
            "--level",
            "kabkota",
        ],
        None,
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nothing imported") && err.contains("feature #1") && err.contains("99.02"),
        "{err}"
    );

    let crs = dir.path().join("utm.geojson");
    std::fs::write(
        &crs,
        r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:32748"}},"features":[]}"#,
    )
    .unwrap();
    let out = siaga(
        &db,
        &[
            "import",
            "regions",
            crs.to_str().unwrap(),
            "--level",
            "kabkota",
        ],
        None,
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("crs"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The 514 kab/kota are still there.
    let out = siaga(&db, &["locate"], Some("106.8271,-6.1754\n"));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        "106.8271,-6.1754,31.71,Kota Administrasi Jakarta Pusat"
    );
}

async fn imports_osm_streets_with_their_kelurahan_and_refuses_a_wrong_file(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().unwrap();
    let (kec, kel) = jakarta_boundaries(dir.path());
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
    import(
        &db,
        &[
            "import",
            "regions",
            kel.to_str().unwrap(),
            "--level",
            "kelurahan",
        ],
    );
    let pbf = demo_streets_pbf();
    let said = import(&db, &["import", "osm", pbf.to_str().unwrap()]);
    assert!(said.starts_with("imported "), "{said}");
    assert!(
        said.contains(" streets (") && said.contains(" named ways)"),
        "{said}"
    );
    // Every way of the Jakarta extract lies in an imported kelurahan: none is left without a context.
    assert!(!said.contains("no context"), "{said}");

    let store = siaga::store::Store::connect(&db.url, 2).await.unwrap();
    let geo = siaga::geo::Geo::load(&store).await.unwrap();
    let found = geo.search_places("Jl. Bulevar Utara", 3, None);
    assert_eq!(
        found[0].name, "Jalan Bulevar Utara Kelapa Gading",
        "{found:?}"
    );
    assert!(
        found[0].context.ends_with("Kec. Kelapa Gading"),
        "{found:?}"
    );
    let before = geo.searchable_places();

    // A file that is not a PBF, and an empty one: refused with a clear message; the streets stay.
    let text = dir.path().join("streets.osm.pbf");
    std::fs::write(&text, "not a pbf at all, just some text").unwrap();
    let empty = dir.path().join("empty.osm.pbf");
    std::fs::write(&empty, "").unwrap();
    for file in [&text, &empty] {
        let out = siaga(&db, &["import", "osm", file.to_str().unwrap()], None);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("refused, nothing imported") && err.contains("not an OpenStreetMap PBF"),
            "{err}"
        );
    }
    let out = siaga(&db, &["import", "osm", "/nonexistent/x.osm.pbf"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/x.osm.pbf"));
    let geo = siaga::geo::Geo::load(&store).await.unwrap();
    store.close().await;
    assert_eq!(geo.searchable_places(), before);
}
