//! The live stream's audience follows the one scope rule (`siaga_core::scope`): a region-scoped supervisor
//! follows only its region's fleet and agents (a unit is its agency's region's, wherever it drives), and an
//! OPD that sent an incident back hears no more of it.

use crate::{append, chrono_now_ms, events_until, server};
use serde_json::{Value, json};
use siaga::store::NewEvent;
use siaga_tests::{DEMO_PASSWORD, Engine, TestServer, WsClient, engine_tests};

engine_tests!(
    a_region_scoped_supervisor_follows_only_its_regions_units_and_agents,
    an_opd_that_rejected_an_incident_hears_no_more_of_it,
);

/// Batam Centre, inside the demo district 21.71.10.
const LON: f64 = 104.0537;
const LAT: f64 = 1.1279;

/// An event every client receives (no agency list, no unit, no region), to know when each has read all
/// events before it.
async fn marker(srv: &TestServer) -> i64 {
    let everyone = NewEvent {
        event_type: "incident.updated".to_owned(),
        agency_ids: None,
        unit_id: None,
        region_code: None,
        payload: json!({"label": "marker"}),
        incident_state: None,
        timeline: None,
    };
    append(srv, &[everyone]).await[0]
}

async fn socket(srv: &TestServer, token: &str) -> WsClient {
    let mut ws = srv.ws(token).await;
    assert_eq!(ws.next().await["type"], "hello");
    ws
}

fn of_type<'a>(frames: &'a [Value], kind: &str) -> Vec<&'a Value> {
    frames.iter().filter(|f| f["type"] == kind).collect()
}

async fn a_region_scoped_supervisor_follows_only_its_regions_units_and_agents(engine: Engine) {
    let srv = server(engine).await;
    let admin = srv.demo_login("admin").await;
    let mut boards = Vec::new();
    for (username, region) in [
        ("supervisor.jakarta", "31.71"),
        ("supervisor.batam", "21.71"),
    ] {
        srv.ensure_region(region, region).await;
        let (s, body) = srv
            .post(
                "/api/v1/users",
                &admin,
                json!({"username": username, "display_name": username, "role": "supervisor",
                       "password": DEMO_PASSWORD, "region_code": region}),
            )
            .await;
        assert!(s.is_success(), "{body}");
        let token = srv.login(username, DEMO_PASSWORD).await;
        boards.push((username, socket(&srv, &token).await));
    }

    // A Batam ambulance reports a fix and a Batam dispatcher logs in.
    let amb = srv.unit_id(&admin, "AMB-01").await;
    let crew = srv.demo_login("amb01").await;
    let (s, body) = srv
        .post(
            &format!("/api/v1/units/{amb}/position"),
            &crew,
            json!({"lon": LON, "lat": LAT, "accuracy_m": 5.0, "at": chrono_now_ms()}),
        )
        .await;
    assert!(s.is_success(), "{body}");
    srv.demo_login("dispatch.dinkes").await;
    let last = marker(&srv).await;

    for (username, ws) in &mut boards {
        let seen = events_until(ws, last).await;
        let positions = of_type(&seen, "unit.position");
        let logins: Vec<_> = of_type(&seen, "agent.state")
            .into_iter()
            .filter(|f| f["username"] == "dispatch.dinkes")
            .collect();
        if *username == "supervisor.jakarta" {
            assert!(
                positions.is_empty(),
                "Jakarta saw Batam's fleet: {positions:?}"
            );
            assert!(logins.is_empty(), "Jakarta saw Batam's agent: {logins:?}");
        } else {
            assert!(
                positions.iter().any(|f| f["unit_id"] == amb.as_str()),
                "Batam missed its unit: {seen:?}"
            );
            assert_eq!(logins.len(), 1, "{seen:?}");
        }
    }
}

async fn an_opd_that_rejected_an_incident_hears_no_more_of_it(engine: Engine) {
    let srv = server(engine).await;
    let taker = srv.demo_login("operator1").await;
    let damkar = srv.demo_login("dispatch.damkar").await;
    let dinkes = srv.demo_login("dispatch.dinkes").await;
    let mut fire_desk = socket(&srv, &damkar).await;
    // A fire with a victim: Damkar and Dinkes.
    let (s, incident) = srv
        .post(
            "/api/v1/incidents",
            &taker,
            json!({"category": "fire", "priority": "p2", "location": {"lon": LON, "lat": LAT},
                   "victims": {"count": 1, "condition": "serious"}}),
        )
        .await;
    assert_eq!(s.as_u16(), 201, "{incident}");
    let id = incident["id"].as_str().unwrap().to_owned();
    let (s, body) = srv
        .post(
            &format!("/api/v1/incidents/{id}/reject"),
            &damkar,
            json!({"reason": "bukan kebakaran"}),
        )
        .await;
    assert!(s.is_success(), "{body}");
    let (s, body) = srv
        .post(
            &format!("/api/v1/incidents/{id}/verify"),
            &dinkes,
            json!({}),
        )
        .await;
    assert!(s.is_success(), "{body}");
    let last = marker(&srv).await;

    let seen = events_until(&mut fire_desk, last).await;
    let about: Vec<&Value> = seen
        .iter()
        .filter(|f| f["incident"]["incident_id"] == id.as_str() || f["incident_id"] == id.as_str())
        .collect();
    // Its own rejection reaches it (its queue drops the incident); Dinkes' verification after it does not.
    assert!(
        about.iter().any(|f| f["decision"] == "rejected"),
        "Damkar missed its own rejection: {seen:?}"
    );
    assert!(
        !about.iter().any(|f| f["decision"] == "verified"),
        "Damkar still hears of the incident it sent back: {about:?}"
    );
}
