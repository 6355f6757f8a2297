//! Drive-time recommendations and routes over the demo's real streets (Jatinegara, Cakung: OpenStreetMap,
//! `geodata/demo/streets.osm.pbf`), prepared by `siaga import roads` and loaded at start: the unit nearest by
//! air is not the fastest by road, and the dispatcher is told the faster one, with its ETA, route length, basis
//! and snap distances; its route comes as a GeoJSON line with a turn list. Without a graph, every estimate is
//! the explained straight line.

use reqwest::StatusCode;
use serde_json::{Value, json};
use siaga::config::Config;
use siaga_core::incident::{Category, Priority};
use siaga_core::sla::TargetOverride;
use siaga_tests::{Engine, TestServer, demo_streets_pbf, engine_tests};
use std::path::PathBuf;
use tokio::sync::OnceCell;

engine_tests!(
    the_fastest_unit_by_road_is_recommended_first_with_its_route_and_turns,
    without_a_road_graph_recommendations_say_they_are_straight_line,
    recommendations_and_assignments_plan_the_arrival_against_its_target,
    a_motorbike_unit_is_routed_where_cars_may_not_go,
);

/// Real points of Jatinegara (found by `siaga-roads`' tests on the shared extract): the incident, a unit
/// 0.6 km away by air but about 9 minutes by road, and one 1.0 km away by air and about 4 minutes by road.
pub(crate) const INCIDENT: [f64; 2] = [106.9158292, -6.2183188];
pub(crate) const NEAR_BY_AIR: [f64; 2] = [106.9140695, -6.2134172];
pub(crate) const FAST_BY_ROAD: [f64; 2] = [106.9249414, -6.217427];

/// Two points on Jalan TB Badarudin (Jatinegara, OSM way 737781979), a one-way street whose sign exempts
/// motorbikes (`oneway=yes`, `oneway:motorcycle=no`): from `AGAINST_ONE_WAY` to `UP_THE_STREET` is about 0.3 km
/// for a motorbike and 1.2 km round the block for a car (found by `siaga-roads`' test on the demo streets).
pub(crate) const AGAINST_ONE_WAY: [f64; 2] = [106.8977748, -6.2121589];
pub(crate) const UP_THE_STREET: [f64; 2] = [106.8981617, -6.2095107];

static GRAPH: OnceCell<PathBuf> = OnceCell::const_new();
static GRAPH_PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// The demo streets' graph, prepared once per test process through the import the CLI runs.
pub(crate) async fn demo_graph() -> &'static PathBuf {
    GRAPH
        .get_or_init(|| async {
            let path =
                std::env::temp_dir().join(format!("siaga-test-roads-{}.graph", std::process::id()));
            let said = siaga::import::import_roads(demo_streets_pbf().to_str().unwrap(), &path)
                .await
                .unwrap();
            assert!(said.contains("road graph"), "{said}");
            let _ = GRAPH_PATH.set(path.clone());
            path
        })
        .await
}

pub(crate) fn with_graph(c: &mut Config) {
    c.roads.graph = GRAPH_PATH.get().cloned();
}

/// The demo centre on the demo streets' road graph, with `tweak` applied to its configuration (which must
/// call [`with_graph`]).
pub(crate) async fn demo_server_on_roads(engine: Engine, tweak: fn(&mut Config)) -> TestServer {
    demo_graph().await;
    TestServer::demo_with(engine, tweak).await
}

/// The graph, and a health p1 arrival target of 6 minutes: between the fast unit's ~4 and the other's ~9.
fn with_graph_and_a_6_minute_target(c: &mut Config) {
    with_graph(c);
    c.dispatch.sla.overrides.push(TargetOverride {
        priority: Some(Priority::P1),
        arrival_urban_s: Some(360),
        ..TargetOverride::for_category(Category::Health)
    });
}

pub(crate) fn without_graph(c: &mut Config) {
    c.roads.graph = Some(std::env::temp_dir().join("siaga-test-roads-none.graph"));
}

pub(crate) async fn unit_at(
    srv: &TestServer,
    admin: &str,
    agency: &str,
    call_sign: &str,
    at: [f64; 2],
) -> String {
    vehicle_at(srv, admin, agency, call_sign, None, at).await
}

/// An ambulance driving `vehicle` (none: the default) at `at`; returns its id.
pub(crate) async fn vehicle_at(
    srv: &TestServer,
    admin: &str,
    agency: &str,
    call_sign: &str,
    vehicle: Option<&str>,
    at: [f64; 2],
) -> String {
    let mut body = json!({"agency_id": agency, "call_sign": call_sign, "unit_type": "ambulance",
                          "position": {"lon": at[0], "lat": at[1]}});
    if let Some(v) = vehicle {
        body["vehicle"] = json!(v);
    }
    let (s, unit) = srv.post("/api/v1/units", admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{unit}");
    assert_eq!(unit["vehicle"], vehicle.unwrap_or("car"), "{unit}");
    unit["id"].as_str().unwrap().to_owned()
}

/// A health incident at `INCIDENT`, escalated to Dinkes; returns its id.
async fn incident_for_dinkes(srv: &TestServer, dinkes: &str) -> String {
    incident_at(srv, dinkes, INCIDENT, None).await
}

/// A health incident at `at` (with `address`, when given), escalated to Dinkes; returns its id.
pub(crate) async fn incident_at(
    srv: &TestServer,
    dinkes: &str,
    at: [f64; 2],
    address: Option<&str>,
) -> String {
    let taker = srv.demo_login("operator1").await;
    let mut body = json!({"category": "health", "priority": "p1",
                          "location": {"lon": at[0], "lat": at[1]},
                          "victims": {"count": 1, "condition": "serious"}});
    if let Some(address) = address {
        body["address"] = address.into();
    }
    let (s, incident) = srv.post("/api/v1/incidents", &taker, body).await;
    assert_eq!(s, StatusCode::CREATED, "{incident}");
    let id = incident["id"].as_str().unwrap().to_owned();
    let has_dinkes = incident["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["agency_id"] == dinkes);
    if !has_dinkes {
        let supervisor = srv.demo_login("supervisor").await;
        let (s, v) = srv
            .post(
                &format!("/api/v1/incidents/{id}/escalate"),
                &supervisor,
                json!({"agency_ids": [dinkes]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    id
}

/// The incident's recommendations as `token` reads them; the read must succeed.
async fn recommendations(srv: &TestServer, token: &str, incident: &str) -> Value {
    let (s, recs) = srv
        .get(
            &format!("/api/v1/incidents/{incident}/recommendations"),
            token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{recs}");
    recs
}

fn unit<'a>(recs: &'a Value, id: &str) -> &'a Value {
    recs["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_id"] == id)
        .unwrap_or_else(|| panic!("{id} not recommended: {recs}"))
}

async fn the_fastest_unit_by_road_is_recommended_first_with_its_route_and_turns(engine: Engine) {
    let srv = demo_server_on_roads(engine, with_graph).await;
    let admin = srv.demo_login("admin").await;
    let dinkes = srv.agency_id(&admin, "DINKES-BTM").await;
    let near = unit_at(&srv, &admin, &dinkes, "AMB-AIR", NEAR_BY_AIR).await;
    let fast = unit_at(&srv, &admin, &dinkes, "AMB-ROAD", FAST_BY_ROAD).await;
    let id = incident_for_dinkes(&srv, &dinkes).await;
    let dispatcher = srv.demo_login("dispatch.dinkes").await;

    let recs = recommendations(&srv, &dispatcher, &id).await;
    // The faster by road first, though the other is nearer by air.
    assert_eq!(recs["units"][0]["unit_id"], fast.as_str(), "{recs}");
    let (n, f) = (unit(&recs, &near), unit(&recs, &fast));
    assert!(
        n["distance_m"].as_f64().unwrap() < f["distance_m"].as_f64().unwrap(),
        "{recs}"
    );
    for u in [n, f] {
        assert_eq!(u["basis"], "road", "{u}");
        assert!(u["fallback"].is_null(), "{u}");
        assert!(u["snap_m"].as_f64().unwrap() < 50.0, "{u}");
        assert!(
            u["route_m"].as_f64().unwrap() > u["distance_m"].as_f64().unwrap(),
            "{u}"
        );
        assert_eq!(u["eta_s"], u["travel_time_s"], "{u}");
    }
    let (tn, tf) = (
        n["travel_time_s"].as_f64().unwrap(),
        f["travel_time_s"].as_f64().unwrap(),
    );
    assert!(tn - tf > 120.0, "by road {tn} s against {tf} s: {recs}");
    assert!(recs["incident_snap_m"].as_f64().unwrap() < 50.0, "{recs}");
    // The fixture's own ambulances are in Batam, far from any road of the graph: the straight line, explained.
    let batam = recs["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["basis"] == "straight_line")
        .unwrap_or_else(|| panic!("no straight-line fallback: {recs}"));
    assert_eq!(batam["fallback"], "start_off_road", "{batam}");

    // The route of the fastest: a line from the unit to the incident, with a turn list and the same totals.
    let (s, route) = srv
        .get(
            &format!("/api/v1/incidents/{id}/route?unit_id={fast}"),
            &dispatcher,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{route}");
    assert_eq!(route["type"], "Feature");
    assert_eq!(route["geometry"]["type"], "LineString");
    let coords = route["geometry"]["coordinates"].as_array().unwrap();
    assert!(coords.len() > 5, "{route}");
    assert_eq!(coords[0], json!(FAST_BY_ROAD), "{route}");
    assert_eq!(coords[coords.len() - 1], json!(INCIDENT), "{route}");
    let p = &route["properties"];
    assert_eq!(p["basis"], "road", "{route}");
    assert!(
        (p["travel_time_s"].as_f64().unwrap() - tf).abs() < 0.01,
        "{route}"
    );
    let turns = p["turns"].as_array().unwrap();
    assert_eq!(turns[0]["maneuver"], "depart", "{route}");
    assert_eq!(turns[turns.len() - 1]["maneuver"], "arrive", "{route}");
    assert!(
        turns
            .iter()
            .any(|t| !t["street"].as_str().unwrap().is_empty()),
        "{route}"
    );

    // Bad asks: an unknown unit is a 404, a missing unit_id names the field.
    let (s, v) = srv
        .get(
            &format!("/api/v1/incidents/{id}/route?unit_id=nope"),
            &dispatcher,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, v) = srv
        .get(&format!("/api/v1/incidents/{id}/route"), &dispatcher)
        .await;
    assert!(s.is_client_error(), "{v}");
    // Another OPD's dispatcher does not see this incident's routes.
    let damkar = srv.demo_login("dispatch.damkar").await;
    let (s, v) = srv
        .get(
            &format!("/api/v1/incidents/{id}/route?unit_id={fast}"),
            &damkar,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
}

async fn without_a_road_graph_recommendations_say_they_are_straight_line(engine: Engine) {
    let srv = TestServer::demo_with(engine, without_graph).await;
    let admin = srv.demo_login("admin").await;
    let dinkes = srv.agency_id(&admin, "DINKES-BTM").await;
    let fast = unit_at(&srv, &admin, &dinkes, "AMB-ROAD", FAST_BY_ROAD).await;
    let id = incident_for_dinkes(&srv, &dinkes).await;
    let dispatcher = srv.demo_login("dispatch.dinkes").await;
    let recs = recommendations(&srv, &dispatcher, &id).await;
    let u = unit(&recs, &fast);
    assert_eq!(u["basis"], "straight_line", "{u}");
    assert_eq!(u["fallback"], "no_graph", "{u}");
    // The straight line is a guess at a road: its length times the detour factor (default 1.4), at the unit
    // type's straight-line speed, so it does not undercut road ETAs in a mixed list.
    let (line, route_m) = (
        u["distance_m"].as_f64().unwrap(),
        u["route_m"].as_f64().unwrap(),
    );
    assert!((route_m - 1.4 * line).abs() < 0.01, "{u}");
    let speed_mps = route_m / u["travel_time_s"].as_f64().unwrap();
    let kmh =
        siaga_spatial::units::SpeedTable::default().kmh(siaga_core::unit::UnitType::Ambulance);
    assert!((speed_mps * 3.6 - kmh).abs() < 0.01, "{u}");
    assert!(recs["incident_snap_m"].is_null(), "{recs}");
    let (s, route) = srv
        .get(
            &format!("/api/v1/incidents/{id}/route?unit_id={fast}"),
            &dispatcher,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{route}");
    assert_eq!(route["properties"]["basis"], "straight_line", "{route}");
    assert!(
        (route["properties"]["route_m"].as_f64().unwrap() - route_m).abs() < 0.01,
        "{route}"
    );
    assert_eq!(
        route["geometry"]["coordinates"].as_array().unwrap().len(),
        2,
        "{route}"
    );
    assert!(
        route["properties"]["turns"].as_array().unwrap().is_empty(),
        "{route}"
    );
}

async fn recommendations_and_assignments_plan_the_arrival_against_its_target(engine: Engine) {
    let srv = demo_server_on_roads(engine, with_graph_and_a_6_minute_target).await;
    let admin = srv.demo_login("admin").await;
    let dinkes = srv.agency_id(&admin, "DINKES-BTM").await;
    let near = unit_at(&srv, &admin, &dinkes, "AMB-AIR", NEAR_BY_AIR).await;
    let fast = unit_at(&srv, &admin, &dinkes, "AMB-ROAD", FAST_BY_ROAD).await;
    let id = incident_for_dinkes(&srv, &dinkes).await;
    let dispatcher = srv.demo_login("dispatch.dinkes").await;
    let recs = recommendations(&srv, &dispatcher, &id).await;
    assert_eq!(recs["arrival_target_s"], 360, "{recs}");
    assert_eq!(recs["none_meets_target"], false, "{recs}");
    let (n, f) = (unit(&recs, &near), unit(&recs, &fast));
    for u in [n, f] {
        assert_eq!(u["arrival_target_s"], 360, "{u}");
    }
    assert_eq!(f["meets_target"], true, "~4 min by road: {f}");
    assert_eq!(n["meets_target"], false, "~9 min by road: {n}");
    // The Batam ambulances, a straight line across the sea, cannot make it either.
    for u in recs["units"].as_array().unwrap() {
        assert_eq!(u["meets_target"], u["unit_id"] == fast.as_str(), "{u}");
    }
    let eta_near = n["travel_time_s"].as_f64().unwrap().ceil() as i64;
    let eta_fast = f["travel_time_s"].as_f64().unwrap().ceil() as i64;

    // Assigning the one that misses (by hand): the assignment keeps the ETA planned when it was made, beside
    // the arrival clock's target.
    let (s, a) = srv
        .post(
            &format!("/api/v1/incidents/{id}/assignments"),
            &dispatcher,
            json!({"unit_id": near}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["planned_eta_s"], eta_near, "{a}");
    let (s, inc) = srv
        .get(&format!("/api/v1/incidents/{id}"), &dispatcher)
        .await;
    assert_eq!(s, StatusCode::OK, "{inc}");
    let stored = inc["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == a["id"])
        .unwrap_or_else(|| panic!("{inc}"));
    assert_eq!(stored["planned_eta_s"], eta_near, "{stored}");
    let arrival = inc["sla"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "arrival" && c["subject_id"] == a["id"])
        .unwrap_or_else(|| panic!("no arrival clock: {inc}"));
    let target_ms = arrival["due_at"].as_i64().unwrap() - arrival["started_at"].as_i64().unwrap();
    assert_eq!(target_ms, 360_000, "{arrival}");

    // With the only unit that could make it sent too, no recommended unit can.
    let (s, b) = srv
        .post(
            &format!("/api/v1/incidents/{id}/assignments"),
            &dispatcher,
            json!({"unit_id": fast}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["planned_eta_s"], eta_fast, "{b}");
    let recs = recommendations(&srv, &dispatcher, &id).await;
    assert_eq!(recs["none_meets_target"], true, "{recs}");
    assert!(
        recs["units"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["meets_target"] == false && u["unit_id"] != fast.as_str()),
        "{recs}"
    );
}

/// A unit drives a car or a motorbike (`vehicle`, default by unit type: a car), and its ETA and route follow
/// that vehicle's roads: up a one-way street whose sign exempts motorbikes, the motorbike ambulance rides
/// straight up it and is recommended first; the car ambulance beside it goes round the block.
async fn a_motorbike_unit_is_routed_where_cars_may_not_go(engine: Engine) {
    let srv = demo_server_on_roads(engine, with_graph).await;
    let admin = srv.demo_login("admin").await;
    let dinkes = srv.agency_id(&admin, "DINKES-BTM").await;
    let car = vehicle_at(&srv, &admin, &dinkes, "AMB-CAR", None, AGAINST_ONE_WAY).await;
    let bike = vehicle_at(
        &srv,
        &admin,
        &dinkes,
        "AMB-MOTOR",
        Some("motorbike"),
        AGAINST_ONE_WAY,
    )
    .await;
    let (s, v) = srv
        .post(
            "/api/v1/units",
            &admin,
            json!({"agency_id": dinkes, "call_sign": "AMB-BOAT", "unit_type": "ambulance", "vehicle": "boat"}),
        )
        .await;
    assert!(s.is_client_error(), "{v}");
    let id = incident_at(&srv, &dinkes, UP_THE_STREET, None).await;
    let dispatcher = srv.demo_login("dispatch.dinkes").await;
    let recs = recommendations(&srv, &dispatcher, &id).await;
    assert_eq!(recs["units"][0]["unit_id"], bike.as_str(), "{recs}");
    let (b, c) = (unit(&recs, &bike), unit(&recs, &car));
    for u in [b, c] {
        assert_eq!(u["basis"], "road", "{u}");
    }
    let (bm, cm) = (
        b["route_m"].as_f64().unwrap(),
        c["route_m"].as_f64().unwrap(),
    );
    assert!(bm < 400.0 && cm > 1000.0, "motorbike {bm} m, car {cm} m");
    assert!(
        c["travel_time_s"].as_f64().unwrap() - b["travel_time_s"].as_f64().unwrap() > 60.0,
        "{recs}"
    );

    // The motorbike's route rides up the street against the cars' one-way.
    let (s, route) = srv
        .get(
            &format!("/api/v1/incidents/{id}/route?unit_id={bike}"),
            &dispatcher,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{route}");
    let p = &route["properties"];
    assert_eq!(p["vehicle"], "motorbike", "{route}");
    assert_eq!(p["basis"], "road", "{route}");
    assert!(
        (p["route_m"].as_f64().unwrap() - bm).abs() < 0.01,
        "{route}"
    );
    assert!(
        p["turns"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["street"] == "Jalan TB Badarudin"),
        "{route}"
    );
    let (s, route) = srv
        .get(
            &format!("/api/v1/incidents/{id}/route?unit_id={car}"),
            &dispatcher,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{route}");
    assert_eq!(route["properties"]["vehicle"], "car", "{route}");
    assert!((route["properties"]["route_m"].as_f64().unwrap() - cm).abs() < 0.01);
}
