//! The city simulator (`siaga simulate`) against a real server: a few seconds at a high rate and a large
//! speed-up must leave calls of several classes and incidents that went all the way to closed.

use crate::roads::{FAST_BY_ROAD, INCIDENT, demo_graph, unit_at, with_graph};
use reqwest::StatusCode;
use serde_json::{Value, json};
use siaga_sim::model::Path;
use siaga_sim::{MARKER, Output, SimulateArgs, run};
use siaga_tests::{Engine, Options, TestServer, engine_tests};
use std::collections::BTreeSet;
use std::time::Duration;

engine_tests!(
    a_simulated_city_files_assigns_resolves_and_closes_incidents,
    a_simulated_unit_drives_its_road_route_and_every_fix_lies_on_it,
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
    demo_graph().await;
    let srv = TestServer::start_with(
        engine,
        Options {
            demo: true,
            tweak: Some(|c| {
                with_graph(c);
                // One `unit.position` event per fix, so the test sees every fix.
                c.live.position_event_interval_ms = 0;
            }),
            ..Options::default()
        },
    )
    .await;
    let admin = srv.demo_login("admin").await;
    let dinkes = srv.agency_id(&admin, "DINKES-BTM").await;
    let unit = unit_at(&srv, &admin, &dinkes, "AMB-ROAD", FAST_BY_ROAD).await;
    // A simulated incident left open (the simulator picks those up at start), escalated to Dinkes.
    let taker = srv.demo_login("operator1").await;
    let (s, incident) = srv
        .post(
            "/api/v1/incidents",
            &taker,
            json!({"category": "health", "priority": "p1", "address": format!("Jl. Jatinegara {MARKER}"),
                   "location": {"lon": INCIDENT[0], "lat": INCIDENT[1]},
                   "victims": {"count": 1, "condition": "serious"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{incident}");
    let id = incident["id"].as_str().unwrap().to_owned();
    let supervisor = srv.demo_login("supervisor").await;
    if !incident["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["agency_id"] == dinkes.as_str())
    {
        let (s, v) = srv
            .post(
                &format!("/api/v1/incidents/{id}/escalate"),
                &supervisor,
                json!({"agency_ids": [dinkes]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
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
    let mut ws = srv.ws(&supervisor).await;
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let watched = unit.clone();
    let collector = tokio::spawn(async move {
        let mut fixes = Vec::new();
        loop {
            tokio::select! {
                _ = &mut stopped => return fixes,
                frame = ws.next_within(Duration::from_secs(600)) => match frame {
                    Some(f) if f["type"] == "unit.position" && f["unit_id"] == watched.as_str() => {
                        fixes.push((f["lon"].as_f64().unwrap(), f["lat"].as_f64().unwrap()));
                    }
                    Some(_) => {}
                    None => return fixes,
                },
            }
        }
    });
    let mut args = SimulateArgs::gentle(srv.base.clone());
    args.rate = 0.0;
    args.speedup = 100.0;
    args.duration = Some(Duration::from_secs(2));
    args.drain_s = 120;
    args.fix_every_s = 0.5;
    args.report_every_s = 5;
    run(args, Output::Stdout, std::future::pending::<()>())
        .await
        .unwrap();

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

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
