//! The whole 112 flow from ring to Resolved, on the real server with the demo region.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use siaga_tests::{Engine, Options, TestServer, assert_error, engine_tests};
use std::collections::BTreeSet;
use std::time::Duration;

engine_tests!(
    a_full_shift_from_ring_to_closed_report,
    idempotent_retries_do_not_double_writes,
    concurrent_incidents_get_distinct_gap_free_numbers,
    repeat_prank_callers_are_flagged,
    bad_aml_and_illegal_transitions_are_refused_clearly,
);

/// 2026-11-25 10:00:00 WIB.
const T0: i64 = 1_795_575_600_000;

/// Batam Centre, inside the demo district 21.71.10.
#[expect(
    clippy::approx_constant,
    reason = "Batam Centre's latitude happens to resemble 2/sqrt(pi)"
)]
const BATAM_CENTRE: (f64, f64) = (104.0537, 1.1283);

async fn new_call(srv: &TestServer, token: &str, ani: &str, aml: Option<&str>) -> Value {
    let mut body = json!({"ani": ani, "channel": "voice"});
    if let Some(a) = aml {
        body["aml"] = json!(a);
    }
    let (status, call) = srv.post("/api/v1/calls", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{call}");
    call
}

async fn answer_and_classify(srv: &TestServer, token: &str, call: &Value, class: &str) -> Value {
    let id = call["id"].as_str().unwrap();
    let (s, _) = srv
        .post(&format!("/api/v1/calls/{id}/answer"), token, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, c) = srv
        .post(
            &format!("/api/v1/calls/{id}/classify"),
            token,
            json!({"class": class}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    c
}

async fn set_status(
    srv: &TestServer,
    token: &str,
    assignment: &str,
    status: &str,
) -> (StatusCode, Value) {
    srv.post(
        &format!("/api/v1/assignments/{assignment}/status"),
        token,
        json!({"status": status}),
    )
    .await
}

async fn unit_id(srv: &TestServer, token: &str, call_sign: &str) -> String {
    let (_, units) = srv.get("/api/v1/units", token).await;
    units
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["call_sign"] == call_sign)
        .unwrap_or_else(|| panic!("unit {call_sign}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Waits (bounded) until the incident shows a breached clock of `kind`.
async fn wait_for_breach(srv: &TestServer, token: &str, incident: &str, kind: &str) -> Value {
    for _ in 0..100 {
        let (_, inc) = srv
            .get(&format!("/api/v1/incidents/{incident}"), token)
            .await;
        if let Some(c) = inc["sla"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["kind"] == kind && !c["breached_at"].is_null())
        {
            return c.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {kind} breach on incident {incident}");
}

async fn a_full_shift_from_ring_to_closed_report(engine: Engine) {
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

    // Calls of every class; only the emergency becomes an incident.
    for class in ["information", "prank", "ghost", "wrong_number"] {
        let call = new_call(&srv, &taker, "081200000001", None).await;
        let c = answer_and_classify(&srv, &taker, &call, class).await;
        assert_eq!(c["class"], class);
        let (s, ended) = srv
            .post(
                &format!("/api/v1/calls/{}/end", c["id"].as_str().unwrap()),
                &taker,
                json!({}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(ended["status"], "ended");
    }
    let abandoned = new_call(&srv, &taker, "081200000002", None).await;
    let (_, a) = srv
        .post(
            &format!("/api/v1/calls/{}/end", abandoned["id"].as_str().unwrap()),
            &taker,
            json!({}),
        )
        .await;
    assert_eq!(a["status"], "abandoned");
    assert_eq!(a["class"], "abandoned");

    // The emergency call carries an AML fix.
    let aml = "v=3&emergency_number=112&source=call&time=1795575590000&location_latitude=1.12830\
               &location_longitude=104.05370&location_time=1795575590000&location_source=gps\
               &location_accuracy=12.5&location_confidence=0.68&device_number=%2B6281277770000";
    let call = new_call(&srv, &taker, "081277770000", Some(aml)).await;
    assert_eq!(call["aml"]["radius_m"], 12.5);
    assert!((call["aml"]["lat"].as_f64().unwrap() - BATAM_CENTRE.1).abs() < 1e-9);
    assert_eq!(call["ani"], "+6281277770000");
    clock.advance(5_000);
    let call = answer_and_classify(&srv, &taker, &call, "emergency").await;

    // The resolved region and OPDs are visible before filing.
    let (s, loc) = srv
        .get(
            &format!(
                "/api/v1/geo/locate?lon={}&lat={}",
                BATAM_CENTRE.0, BATAM_CENTRE.1
            ),
            &taker,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{loc}");
    assert!(
        loc["region_chain"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "21.71.10" && r["inside"] == true)
    );
    let police = srv.agency_id(&taker, "POLRESTA-BRL").await;
    let health = srv.agency_id(&taker, "DINKES-BTM").await;
    assert_eq!(loc["agencies"]["police"], police.as_str());

    // A traffic accident with victims goes to police and health.
    clock.advance(20_000);
    let (s, incident) = srv
        .post(
            "/api/v1/incidents",
            &taker,
            json!({
                "call_id": call["id"], "category": "traffic_accident", "subcategory": "tabrakan motor",
                "priority": "p1", "location": {"lon": BATAM_CENTRE.0, "lat": BATAM_CENTRE.1},
                "address": "Jl. Engku Putri, depan Kantor Wali Kota",
                "reporter": {"name": "Budi Santoso", "phone": "081277770000"},
                "victims": {"count": 2, "condition": "serious"}, "description": "Dua motor bertabrakan"
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{incident}");
    let id = incident["id"].as_str().unwrap().to_owned();
    assert_eq!(incident["number"], "BTM-20261125-0001");
    assert_eq!(incident["status"], "escalated");
    assert_eq!(incident["region_code"], "21.71.10");
    let escalated: BTreeSet<&str> = incident["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["agency_id"].as_str().unwrap())
        .collect();
    assert_eq!(escalated, [police.as_str(), health.as_str()].into());
    assert_eq!(incident["call_ids"], json!([call["id"]]));
    // Escalation took 20 s after answer: within the 60 s P1 target, so its clock stopped unbreached.
    let esc = incident["sla"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "escalation")
        .unwrap()
        .clone();
    assert_eq!(esc["stopped_at"], T0 + 25_000);
    assert!(esc["breached_at"].is_null());

    // A second call about the same crash is offered as a duplicate and linked.
    let second = new_call(&srv, &taker, "081311112222", None).await;
    answer_and_classify(&srv, &taker, &second, "emergency").await;
    let (_, dups) = srv
        .get(
            "/api/v1/incidents/duplicates?lon=104.0540&lat=1.1285&category=traffic_accident",
            &taker,
        )
        .await;
    assert_eq!(dups[0]["incident_id"], id.as_str(), "{dups}");
    assert!(dups[0]["distance_m"].as_f64().unwrap() < 100.0);
    let (s, linked) = srv
        .post(
            &format!("/api/v1/incidents/{id}/calls"),
            &taker,
            json!({"call_id": second["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{linked}");
    assert_eq!(linked["call_ids"].as_array().unwrap().len(), 2);

    // Damkar never sees it.
    let damkar = srv.demo_login("dispatch.damkar").await;
    let (_, queue) = srv.get("/api/v1/incidents", &damkar).await;
    assert!(
        queue
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["id"] != id.as_str())
    );
    assert_error(
        &srv.get(&format!("/api/v1/incidents/{id}"), &damkar).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // Both OPDs' dispatchers see it in their queue, verify, get recommendations and assign.
    let mut assignments = Vec::new();
    for (dispatcher, responder, call_sign) in [
        ("dispatch.polres", "ptl01", "PTL-01"),
        ("dispatch.dinkes", "amb01", "AMB-01"),
    ] {
        let token = srv.demo_login(dispatcher).await;
        let (_, queue) = srv.get("/api/v1/incidents", &token).await;
        assert!(
            queue
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["id"] == id.as_str()),
            "{dispatcher}: {queue}"
        );
        let (s, v) = srv
            .post(&format!("/api/v1/incidents/{id}/verify"), &token, json!({}))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (s, rec) = srv
            .get(&format!("/api/v1/incidents/{id}/recommendations"), &token)
            .await;
        assert_eq!(s, StatusCode::OK, "{rec}");
        let units = rec["units"].as_array().unwrap();
        assert!(!units.is_empty(), "{rec}");
        let dist: Vec<f64> = units
            .iter()
            .map(|u| u["distance_m"].as_f64().unwrap())
            .collect();
        assert!(
            dist.windows(2).all(|w| w[0] <= w[1]),
            "nearest first: {dist:?}"
        );
        assert!(!rec["facilities"].as_array().unwrap().is_empty());
        let unit = unit_id(&srv, &token, call_sign).await;
        let (s, a) = srv
            .post(
                &format!("/api/v1/incidents/{id}/assignments"),
                &token,
                json!({"unit_id": unit, "share_reporter": dispatcher == "dispatch.dinkes"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
        assignments.push((
            token,
            srv.demo_login(responder).await,
            a["id"].as_str().unwrap().to_owned(),
            unit,
        ));
    }
    let (_, inc) = srv.get(&format!("/api/v1/incidents/{id}"), &taker).await;
    assert_eq!(inc["status"], "dispatched");

    // A dispatcher cannot assign another OPD's unit.
    let (polres, _, _, police_unit) = &assignments[0];
    let amb2 = unit_id(&srv, &assignments[1].0, "AMB-02").await;
    assert_error(
        &srv.post(
            &format!("/api/v1/incidents/{id}/assignments"),
            polres,
            json!({"unit_id": amb2}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // An assigned unit cannot be assigned twice.
    assert_error(
        &srv.post(
            &format!("/api/v1/incidents/{id}/assignments"),
            polres,
            json!({"unit_id": police_unit}),
        )
        .await,
        StatusCode::CONFLICT,
        "conflict",
    );

    // The police crew does not see the caller's identity; the ambulance crew (shared) does.
    let (_, seen) = srv
        .get(&format!("/api/v1/incidents/{id}"), &assignments[0].1)
        .await;
    assert!(seen["reporter"].is_null(), "{seen}");
    let (_, seen) = srv
        .get(&format!("/api/v1/incidents/{id}"), &assignments[1].1)
        .await;
    assert_eq!(seen["reporter"]["name"], "Budi Santoso");

    // The ambulance crew acknowledges late: the 60 s P1 acknowledge target breaches on time.
    clock.advance(61_000);
    let breach = wait_for_breach(&srv, &taker, &id, "acknowledge").await;
    assert!(breach["breached_at"].as_i64().unwrap() >= breach["due_at"].as_i64().unwrap());

    // Restart in the middle: clocks resume from stored timestamps.
    let db = srv.stop().await;
    let srv = TestServer::on_db(
        db,
        Options {
            manual_clock_at: Some(T0 + 86_000),
            demo: false,
            tweak: None,
        },
    )
    .await;
    let clock = srv.clock.clone().unwrap();
    let taker = srv.demo_login("operator1").await;
    // P1 dispatch targets: arrival 15 min. Advance past it while the server is up: it breaches.
    clock.advance(15 * 60_000);
    wait_for_breach(&srv, &taker, &id, "arrival").await;

    // Both crews work through to resolved; illegal jumps are refused with the allowed moves.
    for (_, responder, assignment, _) in &assignments {
        let responder = srv
            .login(
                if responder == &assignments[0].1 {
                    "ptl01"
                } else {
                    "amb01"
                },
                siaga_tests::DEMO_PASSWORD,
            )
            .await;
        let jump = set_status(&srv, &responder, assignment, "resolved").await;
        let err = assert_error(&jump, StatusCode::CONFLICT, "invalid_transition");
        assert_eq!(
            err["allowed"],
            json!(["acknowledged", "declined", "cancelled"])
        );
        for status in ["acknowledged", "en_route", "on_scene", "resolved"] {
            let (s, a) = set_status(&srv, &responder, assignment, status).await;
            assert_eq!(s, StatusCode::OK, "{status}: {a}");
            assert_eq!(a["status"], status);
        }
    }
    let (_, inc) = srv.get(&format!("/api/v1/incidents/{id}"), &taker).await;
    assert_eq!(inc["status"], "resolved");
    let (_, units) = srv.get("/api/v1/units", &taker).await;
    assert!(
        units
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["status"] == "available")
    );

    // The dispatcher closes it with a report.
    let polres = srv.demo_login("dispatch.polres").await;
    let missing = srv
        .post(
            &format!("/api/v1/incidents/{id}/close"),
            &polres,
            json!({"report": " "}),
        )
        .await;
    assert_error(
        &missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (s, closed) = srv
        .post(
            &format!("/api/v1/incidents/{id}/close"),
            &polres,
            json!({"report": "Dua korban dibawa ke RS."}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{closed}");
    assert_eq!(closed["status"], "closed");
    assert_eq!(closed["final_report"], "Dua korban dibawa ke RS.");

    // Every step is in the audit trail, including reads of personal data.
    let supervisor = srv.demo_login("supervisor").await;
    let (_, audit) = srv
        .get(
            &format!("/api/v1/audit?subject_id={id}&limit=1000"),
            &supervisor,
        )
        .await;
    let actions: BTreeSet<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    for action in [
        "incident.create",
        "incident.verify",
        "incident.link_call",
        "incident.read_personal",
        "incident.close",
    ] {
        assert!(actions.contains(action), "missing {action}: {actions:?}");
    }
}

async fn idempotent_retries_do_not_double_writes(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let taker = srv.demo_login("operator1").await;
    let body = json!({"category": "fire", "priority": "p2", "location": {"lon": 104.05, "lat": 1.13},
                      "victims": {"count": 0, "condition": "unknown"}});
    let send = |key: &'static str, body: Value| {
        srv.request(Method::POST, "/api/v1/incidents", Some(&taker))
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let (first, second) =
        tokio::join!(send("retry-1", body.clone()), send("retry-1", body.clone()));
    let mut results = vec![
        siaga_tests::read(first.unwrap()).await,
        siaga_tests::read(second.unwrap()).await,
    ];
    // A concurrent duplicate may be told to wait (409) instead of replaying; a later retry replays.
    results.retain(|(s, _)| *s != StatusCode::CONFLICT);
    let replay = siaga_tests::read(send("retry-1", body.clone()).await.unwrap()).await;
    results.push(replay);
    let numbers: BTreeSet<String> = results
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, StatusCode::CREATED, "{b}");
            b["number"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(numbers.len(), 1, "one incident, replayed: {numbers:?}");
    let (_, all) = srv.get("/api/v1/incidents", &taker).await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    // The same key for another body is refused.
    let mut other = body;
    other["priority"] = json!("p1");
    let got = siaga_tests::read(send("retry-1", other).await.unwrap()).await;
    assert_error(
        &got,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    );
}

async fn concurrent_incidents_get_distinct_gap_free_numbers(engine: Engine) {
    let srv = std::sync::Arc::new(TestServer::start(engine).await);
    let taker = srv.demo_login("operator1").await;
    let mut tasks = Vec::new();
    for i in 0..100 {
        let srv = srv.clone();
        let taker = taker.clone();
        tasks.push(tokio::spawn(async move {
            let (s, b) = srv
                .post(
                    "/api/v1/incidents",
                    &taker,
                    json!({"category": "health", "priority": "p3",
                           "location": {"lon": 104.0 + f64::from(i) * 0.001, "lat": 1.1},
                           "victims": {"count": 1, "condition": "minor"}}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
            b["number"].as_str().unwrap().to_owned()
        }));
    }
    let mut seqs = BTreeSet::new();
    let mut days = BTreeSet::new();
    for t in tasks {
        let n = t.await.unwrap();
        let parts: Vec<&str> = n.split('-').collect();
        assert_eq!(parts[0], "BTM");
        days.insert(parts[1].to_owned());
        assert!(
            seqs.insert(parts[2].parse::<u32>().unwrap()),
            "duplicate {n}"
        );
    }
    // All on one local day (the test does not run across midnight WIB) and gap-free from 1.
    if days.len() == 1 {
        assert_eq!(seqs, (1..=100).collect());
    } else {
        assert_eq!(seqs.len(), 100);
    }
}

async fn repeat_prank_callers_are_flagged(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let taker = srv.demo_login("operator1").await;
    for _ in 0..3 {
        let call = new_call(&srv, &taker, "0899-1234-567", None).await;
        assert_eq!(call["prank_flag"], false);
        answer_and_classify(&srv, &taker, &call, "prank").await;
    }
    let call = new_call(&srv, &taker, "+62 899 1234 567", None).await;
    assert_eq!(
        call["prank_flag"], true,
        "same number in another format: {call}"
    );
    let other = new_call(&srv, &taker, "081200000009", None).await;
    assert_eq!(other["prank_flag"], false);
}

async fn bad_aml_and_illegal_transitions_are_refused_clearly(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let taker = srv.demo_login("operator1").await;
    let bad = srv
        .post(
            "/api/v1/calls",
            &taker,
            json!({"ani": "081234567890", "channel": "voice",
            "aml": "A\"ML=1;lt=+91.00000;lg=+104.00000;rd=10;top=20261125100000;lc=68;pm=G;ml=66"}),
        )
        .await;
    let err = assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert!(err["field"].as_str().unwrap().starts_with("aml"), "{err}");
    let bad_ani = srv
        .post(
            "/api/v1/calls",
            &taker,
            json!({"ani": "call me", "channel": "voice"}),
        )
        .await;
    assert_eq!(
        assert_error(
            &bad_ani,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed"
        )["field"],
        "ani"
    );

    // Classifying a call that was never answered is an illegal transition.
    let call = new_call(&srv, &taker, "081234567890", None).await;
    let got = srv
        .post(
            &format!("/api/v1/calls/{}/classify", call["id"].as_str().unwrap()),
            &taker,
            json!({"class": "emergency"}),
        )
        .await;
    let err = assert_error(&got, StatusCode::CONFLICT, "invalid_transition");
    assert_eq!(err["allowed"], json!(["answered", "abandoned"]));

    // An incident from a call that is not an emergency is refused.
    let info = new_call(&srv, &taker, "081234567891", None).await;
    answer_and_classify(&srv, &taker, &info, "information").await;
    let got = srv
        .post("/api/v1/incidents", &taker, json!({"call_id": info["id"], "category": "fire", "priority": "p1",
            "location": {"lon": 104.05, "lat": 1.13}, "victims": {"count": 0, "condition": "unknown"}}))
        .await;
    assert_error(&got, StatusCode::CONFLICT, "invalid_transition");
    // Responders cannot file incidents.
    let responder = srv.demo_login("amb01").await;
    let got = srv
        .post("/api/v1/incidents", &responder, json!({"category": "fire", "priority": "p1",
            "location": {"lon": 104.05, "lat": 1.13}, "victims": {"count": 0, "condition": "unknown"}}))
        .await;
    assert_error(&got, StatusCode::FORBIDDEN, "forbidden");
}
