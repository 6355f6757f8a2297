//! Correcting a filed incident (`PATCH /api/v1/incidents/{id}`): re-locating it across an OPD boundary moves
//! it to the other OPD live, a priority change re-plans the running SLA clocks as the core's rule says, who may
//! change what follows the roles, bad input names the field, and every change is audited before/after.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use siaga_tests::{DEMO_PASSWORD, Engine, Options, TestServer, assert_error, engine_tests};
use std::time::Duration;

engine_tests!(
    relocating_across_an_opd_boundary_moves_the_incident_to_the_other_opd_live,
    a_priority_change_replans_the_running_clocks_from_the_change,
    who_corrects_what_follows_the_roles_and_bad_input_names_the_field,
);

/// 2026-11-25 10:00:00 WIB.
const T0: i64 = 1_795_575_600_000;
const MINUTE: i64 = 60_000;

/// Batam Kota (21.71.10): Polresta Barelang's (its area is the whole city).
const IN_BATAM_KOTA: (f64, f64) = (104.0537, 1.1279);
/// Lubuk Baja (21.71.06): the test's Polsek, which covers that kecamatan.
const IN_LUBUK_BAJA: (f64, f64) = (103.98, 1.13);

async fn patch(srv: &TestServer, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    srv.call(
        Method::PATCH,
        &format!("/api/v1/incidents/{id}"),
        Some(token),
        Some(body),
    )
    .await
}

fn agency_status(incident: &Value, agency_id: &str) -> Value {
    incident["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agency_id"] == agency_id)
        .map_or(Value::Null, |a| a["status"].clone())
}

async fn file(srv: &TestServer, taker: &str, body: Value) -> String {
    let (s, incident) = srv.post("/api/v1/incidents", taker, body).await;
    assert_eq!(s, StatusCode::CREATED, "{incident}");
    incident["id"].as_str().unwrap().to_owned()
}

fn crime_at((lon, lat): (f64, f64)) -> Value {
    json!({"category": "crime", "priority": "p2", "location": {"lon": lon, "lat": lat},
           "address": "Jl. Engku Putri", "reporter": {"name": "Pelapor Koreksi", "phone": "081277771234"},
           "victims": {"count": 0, "condition": "unknown"}, "description": "pencurian motor"})
}

async fn queue_has(srv: &TestServer, token: &str, id: &str) -> bool {
    let (s, queue) = srv.get("/api/v1/incidents", token).await;
    assert_eq!(s, StatusCode::OK, "{queue}");
    queue.as_array().unwrap().iter().any(|i| i["id"] == id)
}

/// A centre with a second police OPD (a Polsek for Lubuk Baja, 21.71.06) and its dispatcher: created through
/// the admin API with its service area, then the server restarts so its geo index names the Polsek there.
async fn centre_with_a_polsek(engine: Engine) -> TestServer {
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let (s, polsek) = srv
        .post(
            "/api/v1/agencies",
            &admin,
            json!({"code": "POLSEK-LBJ", "name": "Polsek Lubuk Baja (TEST)", "agency_type": "police",
                   "region_code": "21.71.06"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{polsek}");
    let (s, user) = srv
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "dispatch.polsek", "display_name": "Dispatcher Polsek", "role": "dispatcher",
                   "password": DEMO_PASSWORD, "agency_id": polsek["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{user}");
    // Its service area: the kecamatan (as `siaga import agencies` records it).
    srv.execute_sql(&format!(
        "INSERT INTO service_areas (id, agency_id, region_code) VALUES ('polsek-lbj-area', '{}', '21.71.06')",
        polsek["id"].as_str().unwrap()
    ))
    .await;
    let db = srv.stop().await;
    TestServer::on_db(db, Options::default()).await
}

async fn relocating_across_an_opd_boundary_moves_the_incident_to_the_other_opd_live(
    engine: Engine,
) {
    let srv = centre_with_a_polsek(engine).await;
    let taker = srv.demo_login("operator1").await;
    let polresta_desk = srv.demo_login("dispatch.polres").await;
    let polsek_desk = srv.demo_login("dispatch.polsek").await;
    let polresta = srv.agency_id(&taker, "POLRESTA-BRL").await;
    let polsek = srv.agency_id(&taker, "POLSEK-LBJ").await;

    // Filed in Batam Kota: Polresta's. Its dispatcher verifies it.
    let id = file(&srv, &taker, crime_at(IN_BATAM_KOTA)).await;
    let (s, v) = srv
        .post(
            &format!("/api/v1/incidents/{id}/verify"),
            &polresta_desk,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(queue_has(&srv, &polresta_desk, &id).await);
    assert!(!queue_has(&srv, &polsek_desk, &id).await);

    // Once verified, the call taker no longer corrects it.
    let (s, e) = patch(&srv, &taker, &id, json!({"description": "x"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");

    let mut polresta_live = srv.ws(&polresta_desk).await;
    assert_eq!(polresta_live.next().await["type"], "hello");
    let mut polsek_live = srv.ws(&polsek_desk).await;
    assert_eq!(polsek_live.next().await["type"], "hello");

    // The caller was wrong about the place: Polresta's dispatcher re-locates it into Lubuk Baja.
    let (lon, lat) = IN_LUBUK_BAJA;
    let (s, v) = patch(
        &srv,
        &polresta_desk,
        &id,
        json!({"location": {"lon": lon, "lat": lat}, "address": "Jl. Raden Patah"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["region_code"], "21.71.06", "{v}");
    assert_eq!(agency_status(&v, &polsek), "escalated", "{v}");
    assert_eq!(agency_status(&v, &polresta), "withdrawn", "{v}");
    assert!(
        v["reporter"].is_null(),
        "Polresta is no longer part of it: {v}"
    );

    // Polresta's desk hears it leave, to whom; the Polsek's desk gets it as a new incident.
    let left = polresta_live.next_of("incident.updated").await;
    assert_eq!(left["incident_id"], id.as_str(), "{left}");
    assert_eq!(left["withdrawn_from"], json!([polresta]), "{left}");
    assert_eq!(left["escalated_to"], json!([polsek]), "{left}");
    assert_eq!(left["agency_ids"], json!([polsek]), "{left}");
    let fields: Vec<&str> = left["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["location", "region_code", "address"], "{left}");
    assert_eq!(left["changes"][0]["after"], json!({"lon": lon, "lat": lat}));
    let arrived = polsek_live.next_of("incident.escalated").await;
    assert_eq!(arrived["incident_id"], id.as_str(), "{arrived}");
    assert_eq!(arrived["escalated_to"], json!([polsek]), "{arrived}");
    assert_eq!(arrived["address"], "Jl. Raden Patah", "{arrived}");
    assert!(
        !arrived.to_string().contains("Pelapor Koreksi"),
        "{arrived}"
    );

    assert!(!queue_has(&srv, &polresta_desk, &id).await);
    assert!(queue_has(&srv, &polsek_desk, &id).await);
    let (s, _) = srv
        .get(&format!("/api/v1/incidents/{id}"), &polresta_desk)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The Polsek verifies it; moving it back escalates to Polresta's old row again.
    let (s, v) = srv
        .post(
            &format!("/api/v1/incidents/{id}/verify"),
            &polsek_desk,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (lon, lat) = IN_BATAM_KOTA;
    let (s, v) = patch(
        &srv,
        &polsek_desk,
        &id,
        json!({"location": {"lon": lon, "lat": lat}}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(queue_has(&srv, &polresta_desk, &id).await);
    assert!(!queue_has(&srv, &polsek_desk, &id).await);

    // Audited with the values before and after, and the OPDs moved.
    let supervisor = srv.demo_login("supervisor").await;
    let (s, audit) = srv
        .get(&format!("/api/v1/audit?subject_id={id}"), &supervisor)
        .await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let corrections: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "incident.correct")
        .collect();
    assert_eq!(corrections.len(), 2, "{audit}");
    let first = corrections
        .iter()
        .find(|e| e["after"]["address"] == "Jl. Raden Patah")
        .unwrap_or_else(|| panic!("{audit}"));
    assert_eq!(first["before"]["address"], "Jl. Engku Putri", "{first}");
    assert_eq!(first["before"]["region_code"], "21.71.10", "{first}");
    assert_eq!(first["after"]["region_code"], "21.71.06", "{first}");
    assert_eq!(first["before"]["agency_ids"], json!([polresta]), "{first}");
    assert_eq!(first["after"]["agency_ids"], json!([polsek]), "{first}");
}

fn clock<'a>(incident: &'a Value, kind: &str) -> &'a Value {
    incident["sla"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == kind && c["subject_type"] == "incident")
        .unwrap_or_else(|| panic!("no {kind} clock: {incident}"))
}

async fn wait_for_breach(srv: &TestServer, token: &str, id: &str, kind: &str) -> Value {
    for _ in 0..100 {
        let (_, inc) = srv.get(&format!("/api/v1/incidents/{id}"), token).await;
        let c = clock(&inc, kind);
        if !c["breached_at"].is_null() {
            return c.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {kind} breach on incident {id}");
}

fn health(priority: &str) -> Value {
    let (lon, lat) = IN_BATAM_KOTA;
    json!({"category": "health", "priority": priority, "location": {"lon": lon, "lat": lat},
           "victims": {"count": 1, "condition": "serious"}, "description": "sesak napas"})
}

async fn a_priority_change_replans_the_running_clocks_from_the_change(engine: Engine) {
    let srv = TestServer::start_with(
        engine,
        Options {
            manual_clock_at: Some(T0),
            demo: true,
            tweak: None,
        },
    )
    .await;
    let clock_handle = srv.clock.clone().unwrap();
    let taker = srv.demo_login("operator1").await;
    let dinkes_desk = srv.demo_login("dispatch.dinkes").await;
    let mut live = srv.ws(&dinkes_desk).await;
    assert_eq!(live.next().await["type"], "hello");

    // p3 health: dispatch 15 min, resolution 24 h, from T0.
    let id = file(&srv, &taker, health("p3")).await;
    // At +3 min the call taker raises it to p2 (dispatch 5 min, resolution 12 h): the clocks keep their
    // start, their deadlines follow the new targets, 2 minutes of dispatch time are left.
    clock_handle.advance(3 * MINUTE);
    let (s, v) = patch(&srv, &taker, &id, json!({"priority": "p2"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let dispatch = clock(&v, "dispatch");
    assert_eq!(dispatch["started_at"], T0, "{v}");
    assert_eq!(dispatch["due_at"], T0 + 5 * MINUTE, "{v}");
    assert!(dispatch["breached_at"].is_null(), "{v}");
    assert_eq!(
        clock(&v, "resolution")["due_at"],
        T0 + 12 * 60 * MINUTE,
        "{v}"
    );
    let updated = live.next_of("incident.updated").await;
    assert_eq!(updated["priority"], "p2", "{updated}");
    assert_eq!(
        updated["changes"],
        json!([{"field": "priority", "before": "p3", "after": "p2"}]),
        "{updated}"
    );
    // The SLA runner follows the new deadline: the breach comes at +5 min, not +15.
    clock_handle.advance(2 * MINUTE + 1);
    let breach = wait_for_breach(&srv, &taker, &id, "dispatch").await;
    assert_eq!(breach["due_at"], T0 + 5 * MINUTE, "{breach}");
    let frame = live.next_of("sla.breach").await;
    assert_eq!(frame["subject_id"], id.as_str(), "{frame}");
    assert_eq!(frame["due_at"], T0 + 5 * MINUTE, "{frame}");

    // A p4 incident (dispatch 60 min) raised to p1 (2 min) after 3 min is overdue: the change breaches it.
    let started = T0 + 5 * MINUTE + 1;
    let id = file(&srv, &taker, health("p4")).await;
    clock_handle.advance(3 * MINUTE);
    let (s, v) = patch(&srv, &taker, &id, json!({"priority": "p1"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let dispatch = clock(&v, "dispatch");
    assert_eq!(dispatch["due_at"], started + 2 * MINUTE, "{v}");
    assert_eq!(dispatch["breached_at"], started + 3 * MINUTE, "{v}");
    let frame = live.next_of("sla.breach").await;
    assert_eq!(frame["subject_id"], id.as_str(), "{frame}");
    assert_eq!(frame["target_ms"], 2 * MINUTE, "{frame}");
    // Breached stays breached: lowering it back to p4 keeps the breach and raises no second one.
    let (s, v) = patch(&srv, &taker, &id, json!({"priority": "p4"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let dispatch = clock(&v, "dispatch");
    assert_eq!(dispatch["due_at"], started + 60 * MINUTE, "{v}");
    assert_eq!(dispatch["breached_at"], started + 3 * MINUTE, "{v}");
    let supervisor = srv.demo_login("supervisor").await;
    let (s, audit) = srv
        .get(&format!("/api/v1/audit?subject_id={id}"), &supervisor)
        .await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let priorities: Vec<(Value, Value)> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "incident.correct")
        .map(|e| {
            (
                e["before"]["priority"].clone(),
                e["after"]["priority"].clone(),
            )
        })
        .collect();
    assert!(priorities.contains(&(json!("p4"), json!("p1"))), "{audit}");
    assert!(priorities.contains(&(json!("p1"), json!("p4"))), "{audit}");
    assert_eq!(
        srv.query_i64(&format!(
            "SELECT COUNT(*) FROM sla_clocks WHERE subject_id = '{id}' AND kind = 'dispatch' \
             AND breached_at IS NOT NULL"
        ))
        .await,
        1
    );
}

async fn who_corrects_what_follows_the_roles_and_bad_input_names_the_field(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let taker = srv.demo_login("operator1").await;
    let other_taker = srv.demo_login("operator2").await;
    let dinkes_desk = srv.demo_login("dispatch.dinkes").await;
    let police_desk = srv.demo_login("dispatch.polres").await;
    let supervisor = srv.demo_login("supervisor").await;
    let id = file(&srv, &taker, health("p3")).await;

    // Bad input names the field.
    for (body, field) in [
        (json!({}), "body"),
        (json!({"colour": "red"}), "colour"),
        (json!({"priority": "p9"}), "priority"),
        (json!({"category": "volcano"}), "category"),
        (
            json!({"location": {"lon": 204.0, "lat": 1.1}}),
            "location.lon",
        ),
        (
            json!({"location": {"lon": 104.0, "lat": -91.0}}),
            "location.lat",
        ),
        (json!({"location": {"lon": 106.8, "lat": -6.2}}), "location"),
        (
            json!({"victims": {"count": -1, "condition": "minor"}}),
            "victims.count",
        ),
        (json!({"accuracy_m": -3.0}), "accuracy_m"),
        (json!({"subcategory": "  "}), "subcategory"),
    ] {
        let (s, e) = patch(&srv, &taker, &id, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert_eq!(e["error"]["field"], field, "{body}: {e}");
    }

    // Before verification: the filing call taker yes, another call taker no, the OPD's dispatcher not yet,
    // another OPD's never; admins and responders never.
    let (s, v) = patch(
        &srv,
        &taker,
        &id,
        json!({"victims": {"count": 2, "condition": "critical"}, "reporter": {"name": "Ibu Sari"}}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["victims"]["count"], 2, "{v}");
    assert_eq!(v["reporter"]["name"], "Ibu Sari", "{v}");
    for token in [&other_taker, &dinkes_desk, &police_desk] {
        let (s, e) = patch(&srv, token, &id, json!({"description": "x"})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    }
    for user in ["admin", "amb01"] {
        let token = srv.demo_login(user).await;
        let (s, e) = patch(&srv, &token, &id, json!({"description": "x"})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{user}: {e}");
    }

    // Verified by Dinkes: its dispatcher corrects (not the reporter), the call taker no longer.
    let (s, v) = srv
        .post(
            &format!("/api/v1/incidents/{id}/verify"),
            &dinkes_desk,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, v) = patch(
        &srv,
        &dinkes_desk,
        &id,
        json!({"category": "health", "subcategory": "serangan jantung", "description": "tidak sadar"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["subcategory"], "serangan jantung", "{v}");
    let e = assert_error(
        &patch(&srv, &dinkes_desk, &id, json!({"reporter": {"name": "X"}})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_eq!(e["field"], "reporter", "{e}");
    let (s, _) = patch(&srv, &taker, &id, json!({"description": "y"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The supervisor always; a correction that changes nothing records nothing.
    let (s, v) = patch(
        &srv,
        &supervisor,
        &id,
        json!({"reporter": {"name": "Ibu Sari"}}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, audit) = srv
        .get(&format!("/api/v1/audit?subject_id={id}"), &supervisor)
        .await;
    let corrections: Vec<&Value> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "incident.correct")
        .collect();
    assert_eq!(corrections.len(), 2, "{audit}");
    let by_taker = corrections
        .iter()
        .find(|e| e["after"]["victims"]["count"] == 2)
        .unwrap_or_else(|| panic!("{audit}"));
    assert_eq!(
        by_taker["before"]["victims"],
        json!({"count": 1, "condition": "serious"}),
        "{by_taker}"
    );
    assert_eq!(
        by_taker["after"]["reporter"]["name"], "Ibu Sari",
        "{by_taker}"
    );

    // Closed: final, whoever asks (409). (Reaching `closed` through the crews' steps is the flow suite's.)
    srv.execute_sql(&format!(
        "UPDATE incidents SET status = 'closed' WHERE id = '{id}'"
    ))
    .await;
    assert_error(
        &patch(&srv, &supervisor, &id, json!({"priority": "p1"})).await,
        StatusCode::CONFLICT,
        "invalid_transition",
    );
}
