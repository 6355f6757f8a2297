//! The supervisor's coverage: the area reachable within the arrival target from the available units of a type,
//! over the demo's real streets (`geodata/demo/streets.osm.pbf`, prepared as in `roads.rs`) or, without a graph,
//! by straight-line circles; the share of a region's area (and estimated population) outside it; cached until a
//! unit changes.

use crate::roads::{
    FAST_BY_ROAD, NEAR_BY_AIR, demo_server_on_roads, unit_at, with_graph, without_graph,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use siaga::config::Config;
use siaga_tests::{Engine, TestServer, engine_tests};
use std::path::PathBuf;

engine_tests!(
    coverage_by_road_counts_available_units_and_follows_their_changes,
    without_a_road_graph_coverage_is_straight_line_with_population,
);

/// Real points of Jatinegara on the demo streets (see `roads.rs`).
const JATINEGARA: [[f64; 2]; 2] = [NEAR_BY_AIR, FAST_BY_ROAD];

static POPULATION: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

fn without_graph_with_population(c: &mut Config) {
    without_graph(c);
    c.coverage.population_csv = POPULATION.get().cloned();
}

fn num(v: &Value, field: &str) -> f64 {
    v[field]
        .as_f64()
        .unwrap_or_else(|| panic!("{field} not a number: {v}"))
}

async fn coverage(srv: &TestServer, token: &str, query: &str) -> Value {
    let (s, v) = srv.get(&format!("/api/v1/coverage?{query}"), token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["type"], "FeatureCollection", "{v}");
    assert_eq!(v["features"][0]["geometry"]["type"], "MultiPolygon", "{v}");
    v
}

async fn coverage_by_road_counts_available_units_and_follows_their_changes(engine: Engine) {
    let srv = demo_server_on_roads(engine, with_graph).await;
    let admin = srv.demo_login("admin").await;
    let dinkes = srv.agency_id(&admin, "DINKES-BTM").await;
    let supervisor = srv.demo_login("supervisor").await;
    let before = coverage(&srv, &supervisor, "unit_type=ambulance&region=21.71").await;
    // The fixture's ambulances are in Batam, off the Jakarta streets: circles.
    assert_eq!(before["basis"], "straight_line", "{before}");
    let batam_units = before["units"].as_u64().unwrap();
    assert!(batam_units > 0, "{before}");

    let mut mine = Vec::new();
    for (i, at) in JATINEGARA.into_iter().enumerate() {
        mine.push(unit_at(&srv, &admin, &dinkes, &format!("AMB-COV-{i}"), at).await);
    }
    let v = coverage(&srv, &supervisor, "unit_type=ambulance&region=21.71").await;
    assert_eq!(v["basis"], "mixed", "{v}");
    assert_eq!(v["units"].as_u64().unwrap(), batam_units + 2, "{v}");
    assert_eq!(
        v["units_straight_line"].as_u64().unwrap(),
        batam_units,
        "{v}"
    );
    // Ambulances: the health p1 urban arrival target (10 minutes by default).
    assert_eq!(v["target_s"], 600, "{v}");
    let cells = v["features"][0]["properties"]["cells"].as_u64().unwrap();
    assert!(
        cells
            > before["features"][0]["properties"]["cells"]
                .as_u64()
                .unwrap(),
        "{v}"
    );
    assert_eq!(
        v["features"][0]["geometry"]["coordinates"]
            .as_array()
            .unwrap()
            .len() as u64,
        cells
    );
    assert_eq!(v["region"]["code"], "21.71", "{v}");
    let (covered, total, outside) = (
        num(&v, "area_km2_covered"),
        num(&v, "area_km2_total"),
        num(&v, "share_outside"),
    );
    assert!(total > 0.0 && covered > 0.0 && covered <= total, "{v}");
    assert!((outside - (1.0 - covered / total)).abs() < 1e-3, "{v}");
    assert!(v["population_total"].is_null(), "{v}");

    // Polling again with nothing changed is the cached answer.
    let again = coverage(&srv, &supervisor, "unit_type=ambulance&region=21.71").await;
    assert_eq!(again["positions_version"], v["positions_version"]);
    assert_eq!(again["compute_ms"], v["compute_ms"], "not cached");

    // A unit going off duty is left out at once.
    let dispatcher = srv.demo_login("dispatch.dinkes").await;
    let (s, u) = srv
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/units/{}/status", mine[0]),
            Some(&dispatcher),
            Some(json!({"status": "out_of_service"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{u}");
    let after = coverage(&srv, &supervisor, "unit_type=ambulance&region=21.71").await;
    assert_ne!(after["positions_version"], v["positions_version"]);
    assert_eq!(after["units"].as_u64().unwrap(), batam_units + 1, "{after}");

    // A dispatcher counts its own OPD's units only; another OPD has no ambulances: all of the region outside.
    let damkar = srv.demo_login("dispatch.damkar").await;
    let none = coverage(&srv, &damkar, "unit_type=ambulance&region=21.71").await;
    assert_eq!(none["units"], 0, "{none}");
    assert_eq!(none["share_outside"], 1.0, "{none}");
    assert_eq!(none["area_km2_covered"], 0.0, "{none}");

    // Bad asks name the field.
    let (s, e) = srv
        .get(
            "/api/v1/coverage?unit_type=ambulance&region=99.99",
            &supervisor,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e.to_string().contains("region"), "{e}");
    let (s, e) = srv
        .get("/api/v1/coverage?unit_type=tank", &supervisor)
        .await;
    assert!(s.is_client_error(), "{e}");
}

async fn without_a_road_graph_coverage_is_straight_line_with_population(engine: Engine) {
    POPULATION.get_or_init(|| {
        let path =
            std::env::temp_dir().join(format!("siaga-test-population-{}.csv", std::process::id()));
        std::fs::write(
            &path,
            "code,level,name,population_total\n21.71,kabupaten_kota,Kota Batam,1000000\n",
        )
        .unwrap();
        path
    });
    let srv = TestServer::demo_with(engine, without_graph_with_population).await;
    let supervisor = srv.demo_login("supervisor").await;
    let v = coverage(&srv, &supervisor, "unit_type=ambulance&region=21.71").await;
    assert_eq!(v["basis"], "straight_line", "{v}");
    assert_eq!(v["units"], v["units_straight_line"], "{v}");
    assert!(num(&v, "area_km2_covered") > 0.0, "{v}");
    assert_eq!(v["population_total"], 1_000_000, "{v}");
    let outside = num(&v, "share_outside");
    // The share is shown rounded to 4 decimals; the population is of the unrounded share.
    let people = v["population_outside"].as_u64().unwrap() as f64;
    assert!((people - 1_000_000.0 * outside).abs() <= 50.0, "{v}");
}
