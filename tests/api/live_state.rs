//! Incident and assignment events carry the incident's live state — its assignments and SLA clocks as the
//! change left them — so a screen never reads the incident back after an event: at each step the event's
//! `live` equals what `GET /incidents/{id}` answers right after.

use reqwest::StatusCode;
use serde_json::{Value, json};
use siaga_tests::{Engine, TestServer, engine_tests};

engine_tests!(incident_and_assignment_events_carry_the_live_state_their_change_left,);

/// The incident's assignments and clocks as the API shows them now, in the shape events carry them.
async fn live_of(srv: &TestServer, token: &str, id: &str) -> Value {
    let (s, inc) = srv.get(&format!("/api/v1/incidents/{id}"), token).await;
    assert_eq!(s, StatusCode::OK, "{inc}");
    json!({"assignments": inc["assignments"], "sla": inc["sla"]})
}

async fn incident_and_assignment_events_carry_the_live_state_their_change_left(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let taker = srv.demo_login("operator1").await;
    let health = srv.demo_login("dispatch.dinkes").await;
    let mut desk = srv.ws(&health).await;
    assert_eq!(desk.next().await["type"], "hello");

    let (s, incident) = srv
        .post(
            "/api/v1/incidents",
            &taker,
            json!({"category": "health", "priority": "p1", "location": {"lon": 104.0537, "lat": 1.129},
                   "address": "Jl. Engku Putri", "victims": {"count": 1, "condition": "serious"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{incident}");
    let id = incident["id"].as_str().unwrap().to_owned();
    let created = desk.next_of("incident.created").await;
    assert_eq!(created["incident_id"], id.as_str());
    assert_eq!(
        created["live"],
        live_of(&srv, &health, &id).await,
        "{created}"
    );
    let clocks = created["live"]["sla"].as_array().unwrap();
    assert!(
        clocks.iter().any(|c| c["stopped_at"].is_null()),
        "a filed incident has a running clock: {created}"
    );

    let (s, v) = srv
        .post(
            &format!("/api/v1/incidents/{id}/verify"),
            &health,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let verified = desk.next_of("incident.updated").await;
    assert_eq!(verified["status"], "verified", "{verified}");
    assert_eq!(verified["live"], live_of(&srv, &health, &id).await);

    let unit = srv.unit_id(&health, "AMB-01").await;
    let (s, a) = srv
        .post(
            &format!("/api/v1/incidents/{id}/assignments"),
            &health,
            json!({"unit_id": unit}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let assigned = desk.next_of("assignment.created").await;
    let live = &assigned["live"];
    assert_eq!(live["assignments"][0]["id"], a["id"], "{assigned}");
    assert_eq!(live["assignments"][0]["status"], "assigned");
    assert!(
        live["sla"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["subject_id"] == a["id"] && c["stopped_at"].is_null()),
        "the crew's acknowledge clock runs: {assigned}"
    );
    assert_eq!(*live, live_of(&srv, &health, &id).await);

    // The crew acknowledges: the event shows its assignment acknowledged and that clock stopped.
    let crew = srv.demo_login("amb01").await;
    let assignment = a["id"].as_str().unwrap();
    let (s, v) = srv
        .post(
            &format!("/api/v1/assignments/{assignment}/status"),
            &crew,
            json!({"status": "acknowledged"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let acknowledged = desk.next_of("assignment.status").await;
    let live = &acknowledged["live"];
    assert_eq!(
        live["assignments"][0]["status"], "acknowledged",
        "{acknowledged}"
    );
    let ack_clock = live["sla"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["subject_id"] == assignment && c["kind"] == "acknowledge")
        .cloned()
        .unwrap_or_else(|| panic!("no acknowledge clock in {acknowledged}"));
    assert!(ack_clock["stopped_at"].is_i64(), "{ack_clock}");
    assert_eq!(*live, live_of(&srv, &health, &id).await);
}
