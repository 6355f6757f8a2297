//! A crew's step reported by radio: the dispatcher of the unit's OPD records it on the crew's behalf, and it
//! is stored, shown, audited and sent as radio-reported; nobody else may, and the lifecycle still holds.

use reqwest::StatusCode;
use serde_json::{Value, json};
use siaga_tests::{Engine, TestServer, assert_error, engine_tests};

engine_tests!(a_dispatcher_records_the_crews_radio_reports_and_they_are_marked_as_such,);

async fn set_status(srv: &TestServer, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    srv.post(&format!("/api/v1/assignments/{id}/status"), token, body)
        .await
}

async fn a_dispatcher_records_the_crews_radio_reports_and_they_are_marked_as_such(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let taker = srv.demo_login("operator1").await;
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
    let health = srv.demo_login("dispatch.dinkes").await;
    let (s, v) = srv
        .post(
            &format!("/api/v1/incidents/{id}/verify"),
            &health,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let unit = srv.unit_id(&health, "AMB-01").await;
    let (s, a) = srv
        .post(
            &format!("/api/v1/incidents/{id}/assignments"),
            &health,
            json!({"unit_id": unit}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let assignment = a["id"].as_str().unwrap().to_owned();
    assert_eq!(a["radio_reported"], json!([]));

    // Another OPD's dispatcher may not record anything for Dinkes' unit.
    let fire_desk = srv.demo_login("dispatch.damkar").await;
    assert_error(
        &set_status(
            &srv,
            &fire_desk,
            &assignment,
            json!({"status": "acknowledged", "reported_via": "radio"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // The crew posts its own steps; a cancellation is the desk's own decision. Both name the field.
    let crew = srv.demo_login("amb01").await;
    let e = assert_error(
        &set_status(
            &srv,
            &crew,
            &assignment,
            json!({"status": "acknowledged", "reported_via": "radio"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "reported_via", "{e}");
    let e = assert_error(
        &set_status(
            &srv,
            &health,
            &assignment,
            json!({"status": "cancelled", "reported_via": "radio"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "reported_via", "{e}");
    // A radio report does not skip steps.
    let e = assert_error(
        &set_status(
            &srv,
            &health,
            &assignment,
            json!({"status": "on_scene", "reported_via": "radio"}),
        )
        .await,
        StatusCode::CONFLICT,
        "invalid_transition",
    );
    assert_eq!(
        e["allowed"],
        json!(["acknowledged", "declined", "cancelled"])
    );

    // The crew acknowledges itself; the dispatcher records the rest from the radio. The desk's socket is open
    // before the crew's step, so every step arrives on it in order (opened after, the acknowledgement could
    // still be on its way to the socket and arrive first).
    let mut live = srv.ws(&health).await;
    assert_eq!(live.next().await["type"], "hello");
    let (s, v) = set_status(&srv, &crew, &assignment, json!({"status": "acknowledged"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let event = live.next_of("assignment.status").await;
    assert_eq!(event["status"], "acknowledged", "{event}");
    assert!(
        event.get("reported_via").is_none_or(Value::is_null),
        "{event}"
    );
    let mut last = Value::Null;
    for (status, body) in [
        (
            "en_route",
            json!({"status": "en_route", "reported_via": "radio"}),
        ),
        (
            "on_scene",
            json!({"status": "on_scene", "reported_via": "radio"}),
        ),
        (
            "resolved",
            json!({"status": "resolved", "reported_via": "radio", "note": "pasien dibawa ke RS"}),
        ),
    ] {
        let (s, v) = set_status(&srv, &health, &assignment, body).await;
        assert_eq!(s, StatusCode::OK, "{status}: {v}");
        assert_eq!(v["status"], status);
        let event = live.next_of("assignment.status").await;
        assert_eq!(event["status"], status, "{event}");
        assert_eq!(event["reported_via"], "radio", "{event}");
        last = v;
    }
    assert_eq!(
        last["radio_reported"],
        json!(["en_route", "on_scene", "resolved"])
    );
    assert_eq!(last["note"], "pasien dibawa ke RS");
    let (_, inc) = srv.get(&format!("/api/v1/incidents/{id}"), &health).await;
    assert_eq!(inc["status"], "resolved", "{inc}");
    assert_eq!(
        inc["assignments"][0]["radio_reported"],
        json!(["en_route", "on_scene", "resolved"])
    );

    // The audit trail names the dispatcher and the channel; the crew's own step carries none.
    let supervisor = srv.demo_login("supervisor").await;
    let (s, audit) = srv
        .get(
            &format!("/api/v1/audit?subject_id={assignment}&action=assignment.status"),
            &supervisor,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let rows = audit.as_array().unwrap();
    let dispatcher_id = srv.user_id(&supervisor, "dispatch.dinkes").await;
    let crew_id = srv.user_id(&supervisor, "amb01").await;
    let by = |status: &str| {
        rows.iter()
            .find(|r| r["after"]["status"] == status)
            .unwrap_or_else(|| panic!("no audit row for {status}: {audit}"))
    };
    assert_eq!(by("acknowledged")["actor_id"], crew_id.as_str(), "{audit}");
    assert!(
        by("acknowledged")["after"]["reported_via"].is_null(),
        "{audit}"
    );
    for status in ["en_route", "on_scene", "resolved"] {
        assert_eq!(by(status)["actor_id"], dispatcher_id.as_str(), "{audit}");
        assert_eq!(by(status)["after"]["reported_via"], "radio", "{audit}");
    }
}
