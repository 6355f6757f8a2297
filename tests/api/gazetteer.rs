//! Address search for call takers: a caller names a district, a village, a hospital or a street, and the
//! console puts the pin inside it or on it.

use reqwest::StatusCode;
use serde_json::Value;
use siaga::import::{ImportCommand, read_osm};
use siaga::store::Store;
use siaga_spatial::Position;
use siaga_spatial::layers::RegionLevel;
use siaga_spatial::streets::distance_to_lines_m;
use siaga_tests::{
    Engine, Options, TestDb, TestServer, assert_error, demo_streets_pbf, engine_tests,
    jakarta_boundaries,
};
use std::sync::Arc;

engine_tests!(
    places_are_found_by_part_of_their_name_and_pinned_inside_them,
    streets_are_found_by_name_near_the_fix_and_pinned_on_the_street,
    a_truncated_street_extract_is_refused_and_changes_nothing,
);

async fn search(srv: &TestServer, token: &str, q: &str) -> Vec<Value> {
    let (s, v) = srv
        .get(
            &format!("/api/v1/geo/search?q={}", q.replace(' ', "%20")),
            token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

async fn places_are_found_by_part_of_their_name_and_pinned_inside_them(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let taker = srv.demo_login("operator1").await;

    // A district by its words typed in part, any case: the pin goes inside it.
    let found = search(&srv, &taker, "BATAM kot&lon=104.05&lat=1.13").await;
    let first = &found[0];
    assert_eq!(
        (&first["kind"], &first["id"], &first["detail"]),
        (&"region".into(), &"21.71.10".into(), &"district".into()),
        "{found:?}"
    );
    assert_eq!(first["context"], "Kota Batam (DEMO)", "{first}");
    let (lon, lat) = (
        first["position"]["lon"].as_f64().unwrap(),
        first["position"]["lat"].as_f64().unwrap(),
    );
    let (s, located) = srv
        .get(&format!("/api/v1/geo/locate?lon={lon}&lat={lat}"), &taker)
        .await;
    assert_eq!(s, StatusCode::OK, "{located}");
    let chain: Vec<&str> = located["region_chain"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["inside"] == true)
        .filter_map(|l| l["code"].as_str())
        .collect();
    assert!(chain.contains(&"21.71.10"), "{located}");

    // A hospital is a landmark: found by a word of its name, at its own position, with its district.
    let found = search(&srv, &taker, "awal bros").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["kind"], "facility");
    assert_eq!(found[0]["detail"], "hospital");
    assert_eq!(
        (&found[0]["position"]["lon"], &found[0]["position"]["lat"]),
        (&104.047.into(), &1.133.into())
    );
    assert!(
        found[0]["context"]
            .as_str()
            .unwrap()
            .starts_with("Kota Batam (DEMO)"),
        "{found:?}"
    );
    assert!(search(&srv, &taker, "surabaya").await.is_empty());

    // Bad queries name the parameter; responders have no use for it.
    for (query, field) in [
        ("q=a", "q"),
        ("q=batam&limit=50", "limit"),
        ("q=batam&lon=104.05", "lat"),
        ("q=batam&lon=104.05&lat=95", "lat"),
    ] {
        let e = assert_error(
            &srv.get(&format!("/api/v1/geo/search?{query}"), &taker)
                .await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        );
        assert_eq!(e["field"], field, "{e}");
    }
    let responder = srv.demo_login("amb01").await;
    assert_error(
        &srv.get("/api/v1/geo/search?q=batam", &responder).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}

/// Imports Jakarta's real kecamatan and kelurahan and the committed OSM streets, then serves with the demo.
async fn jakarta_streets_server(engine: Engine) -> (TestServer, String) {
    let db = Arc::new(TestDb::new(engine).await);
    let store = Store::connect(&db.url, 2).await.unwrap();
    store.migrate().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (kec, kel) = jakarta_boundaries(dir.path());
    for (file, level) in [(kec, RegionLevel::District), (kel, RegionLevel::Village)] {
        let cmd = ImportCommand::Regions {
            file: file.to_string_lossy().into_owned(),
            level,
            code_field: "code".into(),
            name_field: "name".into(),
        };
        siaga::import::run(&store, &cmd, 0).await.unwrap();
    }
    let osm = ImportCommand::Osm {
        file: demo_streets_pbf().to_string_lossy().into_owned(),
    };
    let said = siaga::import::run(&store, &osm, 0).await.unwrap();
    assert!(said.contains(" streets ("), "{said}");
    store.close().await;
    let srv = TestServer::on_db(
        db,
        Options {
            demo: true,
            ..Options::default()
        },
    )
    .await;
    let taker = srv.demo_login("operator1").await;
    (srv, taker)
}

async fn search_near(srv: &TestServer, token: &str, q: &str, near: Position) -> Vec<Value> {
    let q: String = q
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    search(
        srv,
        token,
        &format!("{q}&lon={}&lat={}", near.lon(), near.lat()),
    )
    .await
}

fn position_of(place: &Value) -> Position {
    Position::from_lon_lat(
        place["position"]["lon"].as_f64().unwrap(),
        place["position"]["lat"].as_f64().unwrap(),
    )
    .unwrap()
}

/// The lines of every way of the committed extract named `name`.
fn lines_named(name: &str) -> Vec<Vec<Position>> {
    read_osm(&demo_streets_pbf())
        .unwrap()
        .ways
        .into_iter()
        .filter(|w| w.name == name)
        .map(|w| w.line)
        .collect()
}

async fn streets_are_found_by_name_near_the_fix_and_pinned_on_the_street(engine: Engine) {
    let (srv, taker) = jakarta_streets_server(engine).await;
    let bulevar = lines_named("Jalan Bulevar Utara Kelapa Gading");
    assert!(!bulevar.is_empty());
    // An AML fix some 30 m off the boulevard, in Kelapa Gading.
    let fix = Position::from_lon_lat(106.9052394, -6.1611).unwrap();
    for query in [
        "Jl. Bulevar Utara Kelapa Gading",
        "jalan bulevar utara",
        "JLN BULEVAR UTARA",
    ] {
        let found = search_near(&srv, &taker, query, fix).await;
        let first = &found[0];
        assert_eq!(first["kind"], "street", "{query}: {found:?}");
        assert_eq!(
            first["name"], "Jalan Bulevar Utara Kelapa Gading",
            "{query}"
        );
        let context = first["context"].as_str().unwrap();
        assert!(
            context.starts_with("Kel. ") && context.ends_with(", Kec. Kelapa Gading"),
            "{query}: {context}"
        );
        // The pin lies on the street, at its point nearest the fix.
        let pin = position_of(first);
        assert!(distance_to_lines_m(&bulevar, pin) < 1.0, "{query}: {pin:?}");
        let nearest_m = distance_to_lines_m(&bulevar, fix);
        assert!(
            pin.haversine_m(fix) < nearest_m + 1.0,
            "{query}: pin {} m from the fix, the street {nearest_m} m",
            pin.haversine_m(fix)
        );
        assert!(nearest_m < 40.0, "{nearest_m}");
        // One result per kelurahan the street runs through, none of them twice.
        let mut ids: Vec<&str> = found
            .iter()
            .filter(|p| p["name"] == "Jalan Bulevar Utara Kelapa Gading")
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "{found:?}");
    }

    // "Gang Haji Salim" runs in two places 3.6 km apart: the one near the fix comes first, the far one after.
    let salim = lines_named("Gang Haji Salim");
    let east = Position::from_lon_lat(106.9354707, -6.1999918).unwrap();
    let west = Position::from_lon_lat(106.9030412, -6.1963117).unwrap();
    for (fix, far) in [(east, west), (west, east)] {
        let found = search_near(&srv, &taker, "Gg. H. Salim", fix).await;
        let streets: Vec<&Value> = found.iter().filter(|p| p["kind"] == "street").collect();
        assert!(streets.len() >= 2, "{found:?}");
        assert!(
            streets.iter().all(|p| p["name"] == "Gang Haji Salim"),
            "{found:?}"
        );
        let (near_pin, far_pin) = (position_of(streets[0]), position_of(streets[1]));
        assert!(near_pin.haversine_m(fix) < 200.0, "{found:?}");
        assert!(far_pin.haversine_m(far) < 1500.0, "{found:?}");
        assert!(distance_to_lines_m(&salim, near_pin) < 1.0);
        assert_ne!(streets[0]["id"], streets[1]["id"]);
    }
}

async fn a_truncated_street_extract_is_refused_and_changes_nothing(engine: Engine) {
    let (srv, taker) = jakarta_streets_server(engine).await;
    let fix = Position::from_lon_lat(106.9052394, -6.1611).unwrap();
    let before = search_near(&srv, &taker, "jalan bulevar utara", fix).await;
    let count = srv
        .query_i64("SELECT (SELECT COUNT(*) FROM osm_streets) + (SELECT COUNT(*) FROM osm_places)")
        .await;
    assert!(count > 100, "{count}");

    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(demo_streets_pbf()).unwrap();
    let cut = dir.path().join("cut.osm.pbf");
    std::fs::write(&cut, &whole[..whole.len() * 2 / 3]).unwrap();
    let text = dir.path().join("streets.osm.pbf");
    std::fs::write(&text, "<osm version=\"0.6\"></osm>").unwrap();
    let store = srv.store().await;
    for (file, says) in [(&cut, "truncated"), (&text, "not an OpenStreetMap PBF")] {
        let cmd = ImportCommand::Osm {
            file: file.to_string_lossy().into_owned(),
        };
        let e = siaga::import::run(&store, &cmd, 0)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("refused, nothing imported") && e.contains(says),
            "{e}"
        );
    }
    store.close().await;
    let after = srv
        .query_i64("SELECT (SELECT COUNT(*) FROM osm_streets) + (SELECT COUNT(*) FROM osm_places)")
        .await;
    assert_eq!(after, count);
    // A restarted server still finds the street where it was.
    let db = srv.stop().await;
    let srv = TestServer::on_db(
        db,
        Options {
            demo: true,
            ..Options::default()
        },
    )
    .await;
    let taker = srv.demo_login("operator1").await;
    assert_eq!(
        search_near(&srv, &taker, "jalan bulevar utara", fix).await,
        before
    );
}
