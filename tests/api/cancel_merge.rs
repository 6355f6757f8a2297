//! Cancelling an incident and merging a duplicate into its master: the crew is told and its unit freed, the
//! clocks stop as cancelled and never breach, the KPIs count cancelled apart from resolved, and a merge leaves
//! one incident with both calls whose number the duplicate keeps pointing to. Who may do either is checked
//! here too (the full role matrix is in `authz.rs`).

use reqwest::StatusCode;
use serde_json::{Value, json};
use siaga_tests::{Engine, Options, TestServer, assert_error, engine_tests};
use std::time::Duration;

engine_tests!(
    a_cancelled_incidents_crew_is_told_and_its_clocks_never_breach,
    a_merge_leaves_one_incident_with_both_calls_and_the_duplicate_points_to_it,
    who_may_cancel_follows_the_role_and_the_incidents_state,
);

/// 2026-11-25 10:00 WIB, the centre's local day `2026-11-25`.
const T0: i64 = 1_795_575_600_000;
const HERE: (f64, f64) = (104.0537, 1.1279);

async fn file(srv: &TestServer, token: &str, call_id: Option<&str>, lon: f64) -> Value {
    let mut body = json!({"category": "health", "priority": "p1", "location": {"lon": lon, "lat": HERE.1},
        "address": "Jl. Engku Putri", "victims": {"count": 1, "condition": "serious"}});
    if let Some(c) = call_id {
        body["call_id"] = json!(c);
    }
    let (s, v) = srv.post("/api/v1/incidents", token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

async fn emergency_call(srv: &TestServer, token: &str, ani: &str) -> String {
    let (s, call) = srv
        .post(
            "/api/v1/calls",
            token,
            json!({"ani": ani, "channel": "voice"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{call}");
    let id = call["id"].as_str().unwrap().to_owned();
    let (s, v) = srv
        .post(&format!("/api/v1/calls/{id}/answer"), token, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = srv
        .post(
            &format!("/api/v1/calls/{id}/classify"),
            token,
            json!({"class": "emergency"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    id
}

async fn verify_and_assign(
    srv: &TestServer,
    desk: &str,
    incident: &str,
    call_sign: &str,
) -> String {
    let (s, v) = srv
        .post(
            &format!("/api/v1/incidents/{incident}/verify"),
            desk,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let unit = srv.unit_id(desk, call_sign).await;
    let (s, a) = srv
        .post(
            &format!("/api/v1/incidents/{incident}/assignments"),
            desk,
            json!({"unit_id": unit}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    a["id"].as_str().unwrap().to_owned()
}

async fn cancel(srv: &TestServer, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    srv.post(&format!("/api/v1/incidents/{id}/cancel"), token, body)
        .await
}

async fn get(srv: &TestServer, token: &str, id: &str) -> Value {
    let (s, v) = srv.get(&format!("/api/v1/incidents/{id}"), token).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// Waits (bounded) until the incident shows a breached clock of `kind`: the SLA runner has passed its deadline.
async fn wait_for_breach(srv: &TestServer, token: &str, incident: &str, kind: &str) {
    for _ in 0..100 {
        let inc = get(srv, token, incident).await;
        if inc["sla"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == kind && !c["breached_at"].is_null())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {kind} breach on incident {incident}");
}

async fn kpi(srv: &TestServer) -> Value {
    let supervisor = srv.demo_login("supervisor").await;
    let (s, r) = srv
        .get("/api/v1/reports/kpi?period=2026-11-25", &supervisor)
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

fn reason_count(report: &Value, reason: &str) -> i64 {
    report["incidents"]["cancelled_by_reason"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key"] == reason)
        .map_or(-1, |k| k["count"].as_i64().unwrap())
}

async fn a_cancelled_incidents_crew_is_told_and_its_clocks_never_breach(engine: Engine) {
    let srv = TestServer::start_with(
        engine,
        Options {
            manual_clock_at: Some(T0),
            demo: true,
            tweak: None,
        },
    )
    .await;
    let clock = srv.clock.clone().unwrap();
    let taker = srv.demo_login("operator1").await;
    let health = srv.demo_login("dispatch.dinkes").await;
    let crew = srv.demo_login("amb01").await;
    let incident = file(&srv, &taker, None, HERE.0).await;
    let id = incident["id"].as_str().unwrap().to_owned();
    let number = incident["number"].as_str().unwrap().to_owned();
    let assignment = verify_and_assign(&srv, &health, &id, "AMB-01").await;
    let mut phone = srv.ws(&crew).await;
    let mut desk = srv.ws(&health).await;
    let mut taker_ws = srv.ws(&taker).await;

    // Arrange: a minute later the dispatcher learns it was a false alarm.
    clock.advance(60_000);
    let (s, cancelled) = cancel(
        &srv,
        &health,
        &id,
        json!({"reason": "false_alarm", "note": "pelapor salah lihat"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancel_reason"], "false_alarm");
    assert_eq!(cancelled["cancel_note"], "pelapor salah lihat");
    assert!(cancelled["merged_into"].is_null());
    assert_eq!(cancelled["assignments"][0]["status"], "cancelled");
    assert_eq!(cancelled["assignments"][0]["reason"], "false_alarm");
    let clocks = cancelled["sla"].as_array().unwrap().clone();
    assert!(
        clocks.iter().any(|c| c["subject_type"] == "assignment"),
        "{clocks:?}"
    );
    // Every clock still running at the cancellation stopped then, as cancelled; one that had stopped before
    // (the dispatch clock, met by the assignment) keeps its result.
    let cancelled_at = T0 + 60_000;
    for c in &clocks {
        assert!(!c["stopped_at"].is_null(), "{c}");
        assert!(c["breached_at"].is_null(), "{c}");
        if c["stopped_at"] == cancelled_at {
            assert_eq!(c["cancelled_at"], cancelled_at, "{c}");
        } else {
            assert!(c["cancelled_at"].is_null(), "{c}");
        }
    }
    let mut cancelled_kinds: Vec<&str> = clocks
        .iter()
        .filter(|c| !c["cancelled_at"].is_null())
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    cancelled_kinds.sort_unstable();
    assert_eq!(
        cancelled_kinds,
        ["acknowledge", "arrival", "resolution"],
        "{clocks:?}"
    );

    // The crew's phone hears its assignment cancelled, with the reason; the desks hear the cancellation.
    let told = phone.next_of("assignment.status").await;
    assert_eq!(told["assignment_id"], assignment.as_str());
    assert_eq!(told["status"], "cancelled");
    assert_eq!(told["reason"], "false_alarm");
    assert_eq!(told["incident_number"], number.as_str());
    let heard = desk.next_of("incident.cancelled").await;
    assert_eq!(heard["incident_id"], id.as_str());
    assert_eq!(heard["reason"], "false_alarm");
    assert_eq!(heard["status"], "cancelled");
    let heard = taker_ws.next_of("incident.cancelled").await;
    assert_eq!(heard["incident_id"], id.as_str());

    // The unit is free again, and the crew's list has no open assignment.
    let (_, units) = srv.get("/api/v1/units", &health).await;
    let amb = units
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["call_sign"] == "AMB-01")
        .unwrap();
    assert_eq!(amb["status"], "available");
    let (_, open) = srv.get("/api/v1/assignments?open=true", &crew).await;
    assert_eq!(open, json!([]), "{open}");

    // A cancelled incident refuses a second cancellation, with no move left.
    let again = cancel(&srv, &health, &id, json!({"reason": "caller_withdrew"})).await;
    let e = assert_error(&again, StatusCode::CONFLICT, "invalid_transition");
    assert_eq!(e["allowed"], json!([]), "{e}");

    // A second incident, left waiting, is the sentinel: once the runner raised its dispatch breach two hours
    // on, it has passed every deadline of the cancelled incident's clocks too.
    let sentinel = file(&srv, &taker, None, HERE.0 + 0.01).await;
    let sentinel_id = sentinel["id"].as_str().unwrap().to_owned();
    clock.advance(2 * 3_600_000);
    wait_for_breach(&srv, &taker, &sentinel_id, "dispatch").await;
    let after = get(&srv, &taker, &id).await;
    for c in after["sla"].as_array().unwrap() {
        assert!(
            c["breached_at"].is_null(),
            "a cancelled clock breached: {c}"
        );
    }

    // The sentinel is then worked to resolved by the freed unit: one resolved, one cancelled.
    let a2 = verify_and_assign(&srv, &health, &sentinel_id, "AMB-01").await;
    for status in ["acknowledged", "en_route", "on_scene", "resolved"] {
        let (s, v) = srv
            .post(
                &format!("/api/v1/assignments/{a2}/status"),
                &crew,
                json!({"status": status}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{status}: {v}");
    }
    assert_eq!(get(&srv, &taker, &sentinel_id).await["status"], "resolved");
    let report = kpi(&srv).await;
    assert_eq!(report["incidents"]["total"], 2, "{}", report["incidents"]);
    assert_eq!(report["incidents"]["resolved"], 1);
    assert_eq!(report["incidents"]["cancelled"], 1);
    assert_eq!(report["incidents"]["merged"], 0);
    assert_eq!(reason_count(&report, "false_alarm"), 1);
    assert_eq!(reason_count(&report, "duplicate"), 0);
    let cancelled_clocks = clocks
        .iter()
        .filter(|c| !c["cancelled_at"].is_null())
        .count();
    assert_eq!(
        report["sla"]["total"]["cancelled"],
        json!(cancelled_clocks),
        "{}",
        report["sla"]["total"]
    );
    // The sentinel's dispatch clock is the breach; none of the cancelled incident's clocks count as one.
    let breached: Vec<&Value> = report["sla"]["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["incident_number"] == number.as_str())
        .collect();
    assert!(breached.is_empty(), "{breached:?}");
}

async fn a_merge_leaves_one_incident_with_both_calls_and_the_duplicate_points_to_it(
    engine: Engine,
) {
    let srv = TestServer::start_with(
        engine,
        Options {
            manual_clock_at: Some(T0),
            demo: true,
            tweak: None,
        },
    )
    .await;
    let taker = srv.demo_login("operator1").await;
    let health = srv.demo_login("dispatch.dinkes").await;
    let first_call = emergency_call(&srv, &taker, "081277770001").await;
    let master = file(&srv, &taker, Some(&first_call), HERE.0).await;
    let master_id = master["id"].as_str().unwrap().to_owned();
    let master_number = master["number"].as_str().unwrap().to_owned();
    let second_call = emergency_call(&srv, &taker, "081277770002").await;
    let dup = file(&srv, &taker, Some(&second_call), HERE.0 + 0.001).await;
    let dup_id = dup["id"].as_str().unwrap().to_owned();
    let dup_number = dup["number"].as_str().unwrap().to_owned();
    // A unit was already sent to the duplicate: it keeps working, now for the master.
    let assignment = verify_and_assign(&srv, &health, &dup_id, "AMB-01").await;
    let mut desk = srv.ws(&health).await;

    // Merging into itself, or into an unknown incident, names the field.
    let path = format!("/api/v1/incidents/{dup_id}/merge");
    let e = assert_error(
        &srv.post(&path, &health, json!({"into": dup_id})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "into", "{e}");
    let e = assert_error(
        &srv.post(&path, &health, json!({"into": "BTM-20261125-9999"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "into", "{e}");

    // The merge, naming the master by number, answers the master with both calls and the moved assignment.
    let (s, merged) = srv
        .post(&path, &health, json!({"into": master_number}))
        .await;
    assert_eq!(s, StatusCode::OK, "{merged}");
    assert_eq!(merged["id"], master_id.as_str());
    let mut calls: Vec<&str> = merged["call_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    calls.sort_unstable();
    let mut want = vec![first_call.as_str(), second_call.as_str()];
    want.sort_unstable();
    assert_eq!(calls, want);
    assert_eq!(merged["assignments"][0]["id"], assignment.as_str());
    assert_eq!(merged["assignments"][0]["status"], "assigned");
    assert_eq!(merged["status"], "dispatched");

    // GET master shows both calls; GET duplicate says merged_into, with the master's number.
    let again = get(&srv, &taker, &master_id).await;
    assert_eq!(again["call_ids"].as_array().unwrap().len(), 2, "{again}");
    let gone = get(&srv, &taker, &dup_id).await;
    assert_eq!(gone["status"], "cancelled");
    assert_eq!(gone["cancel_reason"], "duplicate");
    assert_eq!(
        gone["merged_into"],
        json!({"id": master_id, "number": master_number})
    );
    assert_eq!(gone["duplicate_of"]["id"], master_id.as_str());
    assert_eq!(gone["call_ids"], json!([]));
    // The duplicate's number finds the master.
    let (s, found) = srv
        .get(&format!("/api/v1/incidents?number={dup_number}"), &taker)
        .await;
    assert_eq!(s, StatusCode::OK, "{found}");
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found[0]["id"], master_id.as_str());
    // Each call now names the master.
    let (_, call) = srv
        .get(&format!("/api/v1/calls/{second_call}"), &taker)
        .await;
    assert_eq!(call["incident_id"], master_id.as_str(), "{call}");

    // Screens hear the duplicate cancelled (pointing to the master) and the master updated.
    let heard = desk.next_of("incident.cancelled").await;
    assert_eq!(heard["incident_id"], dup_id.as_str());
    assert_eq!(heard["reason"], "duplicate");
    assert_eq!(heard["merged_into"]["incident_id"], master_id.as_str());
    assert_eq!(heard["merged_into"]["number"], master_number.as_str());
    let heard = desk.next_of("incident.updated").await;
    assert_eq!(heard["incident_id"], master_id.as_str());
    assert_eq!(heard["merged_from"]["incident_id"], dup_id.as_str());

    // A merged duplicate cannot be merged again, nor be merged into.
    assert_error(
        &srv.post(&path, &health, json!({"into": master_id})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    );
    let third = file(&srv, &taker, None, HERE.0 + 0.002).await;
    let third_id = third["id"].as_str().unwrap();
    let e = assert_error(
        &srv.post(
            &format!("/api/v1/incidents/{third_id}/merge"),
            &taker,
            json!({"into": dup_id}),
        )
        .await,
        StatusCode::CONFLICT,
        "invalid_transition",
    );
    assert!(e["message"].as_str().unwrap().contains("merged"), "{e}");

    let report = kpi(&srv).await;
    assert_eq!(report["incidents"]["merged"], 1);
    assert_eq!(reason_count(&report, "duplicate"), 1);
}

async fn who_may_cancel_follows_the_role_and_the_incidents_state(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let taker = srv.demo_login("operator1").await;
    let other_taker = srv.demo_login("operator2").await;
    let health = srv.demo_login("dispatch.dinkes").await;
    let fire = srv.demo_login("dispatch.damkar").await;
    let supervisor = srv.demo_login("supervisor").await;
    let crew = srv.demo_login("amb01").await;
    let admin = srv.demo_login("admin").await;

    // The call taker withdraws her own incident while no OPD verified it; not another's.
    let mine = file(&srv, &taker, None, HERE.0).await;
    let mine_id = mine["id"].as_str().unwrap();
    for token in [&other_taker, &fire, &crew, &admin] {
        assert_error(
            &cancel(&srv, token, mine_id, json!({"reason": "caller_withdrew"})).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    // A duplicate names what it duplicates; other reasons do not.
    let e = assert_error(
        &cancel(&srv, &taker, mine_id, json!({"reason": "duplicate"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "duplicate_of");
    let e = assert_error(
        &cancel(
            &srv,
            &taker,
            mine_id,
            json!({"reason": "false_alarm", "duplicate_of": mine_id}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "duplicate_of");
    let e = assert_error(
        &cancel(&srv, &taker, mine_id, json!({"reason": "late"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "reason", "{e}");
    let (s, v) = cancel(&srv, &taker, mine_id, json!({"reason": "caller_withdrew"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["cancel_reason"], "caller_withdrew");

    // Once Dinkes verified it, the incident is the OPD's: the call taker may not, its dispatcher and the
    // supervisor may; a duplicate names its master by number.
    let verified = file(&srv, &taker, None, HERE.0).await;
    let verified_id = verified["id"].as_str().unwrap();
    let (s, v) = srv
        .post(
            &format!("/api/v1/incidents/{verified_id}/verify"),
            &health,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_error(
        &cancel(&srv, &taker, verified_id, json!({"reason": "false_alarm"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let master = file(&srv, &taker, None, HERE.0).await;
    let (s, v) = cancel(
        &srv,
        &supervisor,
        verified_id,
        json!({"reason": "duplicate", "duplicate_of": master["number"]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["duplicate_of"]["id"], master["id"]);
    assert!(
        v["merged_into"].is_null(),
        "a cancelled duplicate is not merged: {v}"
    );
    let (s, v) = cancel(
        &srv,
        &health,
        master["id"].as_str().unwrap(),
        json!({"reason": "handled_elsewhere"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
}
