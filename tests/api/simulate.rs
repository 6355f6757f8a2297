//! The city simulator (`siaga simulate`) against a real server: a few seconds at a high rate and a large
//! speed-up must leave calls of several classes and incidents that went all the way to closed.

use serde_json::Value;
use siaga_sim::{Output, SimulateArgs, run};
use siaga_tests::{Engine, TestServer, engine_tests};
use std::collections::BTreeSet;
use std::time::Duration;

engine_tests!(a_simulated_city_files_assigns_resolves_and_closes_incidents);

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

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
