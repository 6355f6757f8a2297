//! The city simulator (`siaga simulate`) against a real server: a few seconds at a high rate and a large
//! speed-up must leave calls of several classes and incidents that went all the way to closed.

use crate::roads::{
    AGAINST_ONE_WAY, FAST_BY_ROAD, INCIDENT, UP_THE_STREET, demo_server_on_roads, incident_at,
    unit_at, with_graph,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use siaga_sim::model::Path;
use siaga_sim::{MARKER, Output, SimulateArgs, run};
use siaga_tests::{Engine, TestServer, WsClient, engine_tests};
use std::collections::BTreeSet;
use std::time::Duration;

engine_tests!(
    a_simulated_city_files_assigns_resolves_and_closes_incidents,
    a_simulated_unit_drives_its_road_route_and_every_fix_lies_on_it,
    a_simulated_unit_drives_back_to_base_by_road_not_against_a_one_way,
);

async fn a_simulated_city_files_assigns_resolves_and_closes_incidents(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let started_ms = chrono_now_ms();
    let mut args = SimulateArgs::gentle(srv.base.clone());
    args.rate = 8.0;
    args.mix = "emergency=40,prank=25,ghost=15,information=15,abandoned=5"
        .parse()
        .unwrap();
    args.speedup = 400.0;
    args.duration = Some(Duration::from_secs(4));
    args.drain_s = 120;
    args.fix_every_s = 1.0;
    args.report_every_s = 2;
    let total = run(args, Output::Stdout, std::future::pending::<()>())
        .await
        .unwrap();
    assert!(total.calls() >= 10, "{}", total.line("total"));

    let supervisor = srv.demo_login("supervisor").await;
    let (_, calls) = srv.get("/api/v1/calls?limit=500", &supervisor).await;
    let classes: BTreeSet<&str> = calls
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["class"].as_str())
        .collect();
    assert!(classes.contains("emergency"), "{classes:?}");
    assert!(classes.len() >= 3, "several classes: {classes:?}");

    let (_, incidents) = srv
        .get("/api/v1/incidents?open=false&limit=1000", &supervisor)
        .await;
    let incidents = incidents.as_array().unwrap();
    assert!(!incidents.is_empty(), "no incident was filed");
    let closed: Vec<&Value> = incidents
        .iter()
        .filter(|i| i["status"] == "closed")
        .collect();
    assert!(
        !closed.is_empty(),
        "no incident reached closed: {:?}",
        incidents
            .iter()
            .map(|i| i["status"].as_str())
            .collect::<Vec<_>>()
    );
    for i in &closed {
        assert!(i["final_report"].as_str().is_some_and(|r| !r.is_empty()));
        let assignments = i["assignments"].as_array().unwrap();
        assert!(!assignments.is_empty(), "closed without a unit: {i}");
        assert!(assignments.iter().all(|a| a["status"] == "resolved"), "{i}");
    }
    // The fleet reported positions while it ran.
    let (_, units) = srv.get("/api/v1/units", &supervisor).await;
    assert!(
        units
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["position_at"].as_i64().unwrap_or(0) >= started_ms),
        "no unit reported a position"
    );
}

/// On the demo's real streets (Jatinegara), a simulated incident is worked by the simulator: its unit is sent
/// along the road route the server gives (not the straight line), and every position it reports on the way
/// lies on that route.
async fn a_simulated_unit_drives_its_road_route_and_every_fix_lies_on_it(engine: Engine) {
    let srv = demo_server_on_roads(engine, |c| {
        with_graph(c);
        // One `unit.position` event per fix, so the test sees every fix.
        c.live.position_event_interval_ms = 0;
    })
    .await;
    let admin = srv.demo_login("admin").await;
    let dinkes = srv.agency_id(&admin, "DINKES-BTM").await;
    let unit = unit_at(&srv, &admin, &dinkes, "AMB-ROAD", FAST_BY_ROAD).await;
    // A simulated incident left open (the simulator picks those up at start), escalated to Dinkes.
    let id = incident_at(
        &srv,
        &dinkes,
        INCIDENT,
        Some(&format!("Jl. Jatinegara {MARKER}")),
    )
    .await;
    let supervisor = srv.demo_login("supervisor").await;
    let (s, route) = srv
        .get(
            &format!("/api/v1/incidents/{id}/route?unit_id={unit}"),
            &supervisor,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{route}");
    assert_eq!(route["properties"]["basis"], "road", "{route}");
    let road = Path::from_geojson(&route["geometry"]).unwrap();

    // Act: the simulator, with no new calls, works the incident; a supervisor's socket records the fixes.
    // Fixes until the unit resolves (the way back is another route: see the next test).
    let (stop, collector) = record_fixes(srv.ws(&supervisor).await, unit.clone(), true);
    simulate(&srv, Duration::from_secs(2), 120).await;

    let (_, done) = srv
        .get(&format!("/api/v1/incidents/{id}"), &supervisor)
        .await;
    let assignments = done["assignments"].as_array().unwrap();
    assert!(
        assignments.iter().any(|a| a["unit_id"] == unit.as_str()),
        "the fastest unit by road was not assigned: {done}"
    );
    let _ = stop.send(());
    let fixes = collector.await.unwrap();
    let moved: Vec<_> = fixes
        .iter()
        .filter(|p| siaga_sim::model::distance_m(**p, road.start()) > 20.0)
        .collect();
    assert!(
        moved.len() >= 3,
        "the unit hardly moved along its route: {fixes:?}"
    );
    // A parked GPS wanders a few metres; on the way every fix is on the street the route takes.
    for p in &fixes {
        let off = road.distance_to(*p);
        assert!(off < 8.0, "a fix {off:.1} m off the road route: {p:?}");
    }
}

/// The way back is routed from the scene to the base, not the way out reversed: a car ambulance based up Jalan
/// TB Badarudin (a one-way street, `siaga-roads`' demo-streets test) drives down it to an incident, and back it
/// must go round the block. Every fix lies on the way out or on the server's route from the scene to the base,
/// and some lie on the block only the way back takes (a reversed way out would drive up the one-way).
async fn a_simulated_unit_drives_back_to_base_by_road_not_against_a_one_way(engine: Engine) {
    let srv = demo_server_on_roads(engine, |c| {
        with_graph(c);
        c.live.position_event_interval_ms = 0;
    })
    .await;
    let admin = srv.demo_login("admin").await;
    let dinkes = srv.agency_id(&admin, "DINKES-BTM").await;
    let unit = unit_at(&srv, &admin, &dinkes, "AMB-BASE", UP_THE_STREET).await;
    // A stand-in at the scene, off duty (never recommended), gives the route from the scene to the base.
    let scene = unit_at(&srv, &admin, &dinkes, "AMB-SCENE", AGAINST_ONE_WAY).await;
    let (s, v) = srv
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/units/{scene}/status"),
            Some(&admin),
            Some(json!({"status": "out_of_service"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let id = incident_at(
        &srv,
        &dinkes,
        AGAINST_ONE_WAY,
        Some(&format!("Jl. TB Badarudin {MARKER}")),
    )
    .await;
    let supervisor = srv.demo_login("supervisor").await;
    let route = |unit: String, to: Option<[f64; 2]>| {
        let (srv, supervisor, id) = (&srv, &supervisor, &id);
        async move {
            let mut url = format!("/api/v1/incidents/{id}/route?unit_id={unit}");
            if let Some(to) = to {
                url.push_str(&format!("&to_lon={}&to_lat={}", to[0], to[1]));
            }
            let (s, r) = srv.get(&url, supervisor).await;
            assert_eq!(s, StatusCode::OK, "{r}");
            assert_eq!(r["properties"]["basis"], "road", "{r}");
            Path::from_geojson(&r["geometry"]).unwrap()
        }
    };
    let out = route(unit.clone(), None).await;
    let back = route(scene.clone(), Some(UP_THE_STREET)).await;
    // The premise: down the one-way is short, back round the block is long.
    assert!(out.length_m() < 400.0, "{}", out.length_m());
    assert!(back.length_m() > 1000.0, "{}", back.length_m());

    let (stop, collector) = record_fixes(srv.ws(&supervisor).await, unit.clone(), false);
    // Long enough for the whole round at this speed-up (fixes never imply more than 150 km/h, so they trail
    // the simulated drive): assign, drive, work the scene (3-12 s), then the way back.
    simulate(&srv, Duration::from_secs(30), 60).await;
    let (_, done) = srv
        .get(&format!("/api/v1/incidents/{id}"), &supervisor)
        .await;
    let assignments = done["assignments"].as_array().unwrap();
    assert!(
        assignments
            .iter()
            .any(|a| a["unit_id"] == unit.as_str() && a["status"] == "resolved"),
        "the unit did not work the incident: {done}"
    );
    let _ = stop.send(());
    let fixes = collector.await.unwrap();
    for p in &fixes {
        let off = out.distance_to(*p).min(back.distance_to(*p));
        assert!(off < 8.0, "a fix {off:.1} m off both routes: {p:?}");
    }
    let round_the_block = fixes.iter().filter(|p| out.distance_to(**p) > 40.0).count();
    assert!(
        round_the_block >= 3,
        "the unit did not drive back round the block: {fixes:?}"
    );
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Records where `unit` is seen (lon, lat) by the socket `ws`, until told to stop, the socket closes, or, with
/// `until_resolved`, the unit's assignment is resolved (the way back is then left out).
fn record_fixes(
    mut ws: WsClient,
    unit: String,
    until_resolved: bool,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<Vec<(f64, f64)>>,
) {
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let collector = tokio::spawn(async move {
        let mut fixes = Vec::new();
        loop {
            tokio::select! {
                _ = &mut stopped => return fixes,
                frame = ws.next_within(Duration::from_secs(600)) => match frame {
                    Some(f) if f["type"] == "unit.position" && f["unit_id"] == unit.as_str() => {
                        fixes.push((f["lon"].as_f64().unwrap(), f["lat"].as_f64().unwrap()));
                    }
                    Some(f) if until_resolved && f["type"] == "assignment.status"
                        && f["unit_id"] == unit.as_str() && f["status"] == "resolved" => return fixes,
                    Some(_) => {}
                    None => return fixes,
                },
            }
        }
    });
    (stop, collector)
}

/// Runs the simulator against `srv` with no new calls, 100 times faster than real time, fixes every 0.5 s,
/// for `duration` and then up to `drain_s` seconds for the work in hand.
async fn simulate(srv: &TestServer, duration: Duration, drain_s: u64) {
    let mut args = SimulateArgs::gentle(srv.base.clone());
    args.rate = 0.0;
    args.speedup = 100.0;
    args.duration = Some(duration);
    args.drain_s = drain_s;
    args.fix_every_s = 0.5;
    args.report_every_s = 5;
    run(args, Output::Stdout, std::future::pending::<()>())
        .await
        .unwrap();
}
