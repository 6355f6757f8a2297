//! An incident sent back by every OPD is not a dead end: the call taker corrects course and escalates it to
//! another OPD (or again to one that refused it), with a note the dispatchers see.

use reqwest::StatusCode;
use serde_json::{Value, json};
use siaga_tests::{Engine, TestServer, assert_error, engine_tests};

engine_tests!(
    a_rejected_incident_is_escalated_again_by_the_call_taker,
    the_dispatchers_frame_carries_the_filed_incident_as_the_queue_shows_it,
);

/// The incident's row for one agency.
fn agency_row<'a>(incident: &'a Value, agency_id: &str) -> &'a Value {
    incident["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agency_id"] == agency_id)
        .unwrap_or_else(|| panic!("{agency_id} not on {incident}"))
}

async fn a_rejected_incident_is_escalated_again_by_the_call_taker(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let taker = srv.demo_login("operator1").await;
    let damkar = srv.agency_id(&taker, "DAMKAR-BTM").await;
    let bpbd = srv.agency_id(&taker, "BPBD-BTM").await;
    let (s, incident) = srv
        .post(
            "/api/v1/incidents",
            &taker,
            json!({"category": "fire", "priority": "p2", "location": {"lon": 104.0537, "lat": 1.129},
                   "address": "Jl. Engku Putri", "victims": {"count": 0, "condition": "unknown"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{incident}");
    let id = incident["id"].as_str().unwrap().to_owned();
    let path = |action: &str| format!("/api/v1/incidents/{id}/{action}");
    assert_eq!(agency_row(&incident, &damkar)["status"], "escalated");

    // Damkar sends it back: it is a landslide, not a fire.
    let fire_desk = srv.demo_login("dispatch.damkar").await;
    let (s, v) = srv
        .post(
            &path("reject"),
            &fire_desk,
            json!({"reason": "tanah longsor, bukan kebakaran"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "rejected", "{v}");

    // Bad requests name the field; a dispatcher may not escalate.
    for body in [
        json!({"agency_ids": []}),
        json!({"agency_ids": ["no-such-agency"]}),
    ] {
        let e = assert_error(
            &srv.post(&path("escalate"), &taker, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(e["field"], "agency_ids", "{e}");
    }
    assert_error(
        &srv.post(&path("escalate"), &fire_desk, json!({"agency_ids": [bpbd]}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // The call taker escalates it to BPBD with a note; BPBD's desk gets it and verifies it.
    let disaster_desk = srv.demo_login("dispatch.bpbd").await;
    let mut bpbd_live = srv.ws(&disaster_desk).await;
    assert_eq!(bpbd_live.next().await["type"], "hello");
    let (s, v) = srv
        .post(
            &path("escalate"),
            &taker,
            json!({"agency_ids": [bpbd], "note": "longsor di belakang ruko"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "escalated", "{v}");
    assert_eq!(agency_row(&v, &bpbd)["status"], "escalated");
    assert_eq!(agency_row(&v, &damkar)["status"], "rejected");
    let escalated = bpbd_live.next_of("incident.escalated").await;
    assert_eq!(escalated["incident_id"], id.as_str(), "{escalated}");
    assert_eq!(escalated["note"], "longsor di belakang ruko", "{escalated}");
    let (s, queue) = srv.get("/api/v1/incidents", &disaster_desk).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        queue
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == id.as_str()),
        "{queue}"
    );
    let (s, v) = srv.post(&path("verify"), &disaster_desk, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "verified", "{v}");

    // Already open at BPBD: refused. Damkar, which refused it, can be asked again.
    let e = assert_error(
        &srv.post(&path("escalate"), &taker, json!({"agency_ids": [bpbd]}))
            .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert_eq!(e["field"], "agency_ids", "{e}");
    let (s, v) = srv
        .post(
            &path("escalate"),
            &taker,
            json!({"agency_ids": [damkar], "note": "api juga terlihat"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "verified", "{v}");
    let row = agency_row(&v, &damkar);
    assert_eq!(
        (&row["status"], &row["reason"]),
        (&json!("escalated"), &json!("api juga terlihat")),
        "{v}"
    );
    assert_eq!(
        agency_row(&v, &bpbd)["reason"],
        "longsor di belakang ruko",
        "{v}"
    );

    // Every step is in the audit trail.
    let supervisor = srv.demo_login("supervisor").await;
    let (s, audit) = srv
        .get(&format!("/api/v1/audit?subject_id={id}"), &supervisor)
        .await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let escalations = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "incident.escalate")
        .count();
    assert_eq!(escalations, 2, "{audit}");
}

/// The `incident.created` frame names what the dispatcher's queue shows (number, times, agencies, …) so the
/// client need not read the incident back, and never the reporter.
async fn the_dispatchers_frame_carries_the_filed_incident_as_the_queue_shows_it(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let taker = srv.demo_login("operator1").await;
    let fire_desk = srv.demo_login("dispatch.damkar").await;
    let mut live = srv.ws(&fire_desk).await;
    assert_eq!(live.next().await["type"], "hello");
    let (s, incident) = srv
        .post(
            "/api/v1/incidents",
            &taker,
            json!({"category": "fire", "subcategory": "ruko", "priority": "p2",
                   "location": {"lon": 104.0537, "lat": 1.129}, "address": "Jl. Engku Putri",
                   "reporter": {"name": "Budi Santoso", "phone": "081277770000"},
                   "victims": {"count": 0, "condition": "unknown"}, "description": "asap dari lantai dua"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{incident}");
    for kind in ["incident.created", "incident.escalated"] {
        let frame = live.next_of(kind).await;
        assert_eq!(frame["incident_id"], incident["id"], "{frame}");
        for field in [
            "number",
            "status",
            "category",
            "subcategory",
            "priority",
            "location",
            "address",
            "description",
            "created_at",
            "updated_at",
            "agencies",
        ] {
            assert_eq!(frame[field], incident[field], "{field} of {frame}");
        }
        let text = frame.to_string();
        assert!(
            !text.contains("Budi") && !text.contains("0812777"),
            "{frame}"
        );
    }
}
