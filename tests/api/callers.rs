//! Callers and call-backs (issue 16): an abandoned or silent call gets a call-back task that a call taker
//! claims and completes, live over the websocket and counted in the KPIs; the caller history by number shows
//! earlier calls, the incident they created and the prank flag with the calls that make it; a test call
//! leads to nothing and counts in no KPI. Positions come from the demo's own facilities, not coordinates.

use reqwest::StatusCode;
use serde_json::{Value, json};
use siaga_tests::{Engine, Options, TestServer, assert_error, engine_tests};

engine_tests!(
    an_abandoned_call_produces_a_call_back_that_a_call_taker_completes,
    a_silent_call_gets_a_call_back_and_a_test_call_gets_nothing_and_counts_in_no_kpi,
    caller_history_shows_earlier_calls_the_incident_and_the_prank_flag_with_its_reason,
    bad_call_back_and_caller_input_is_refused_naming_the_field,
);

/// 2026-11-25 10:00:00 WIB.
const T0: i64 = 1_795_575_600_000;
const MINUTE: i64 = 60_000;

fn two_pranks_flag(c: &mut siaga::Config) {
    c.dispatch.prank = siaga_core::call::PrankRule {
        threshold: 2,
        window_ms: 7 * 86_400_000,
    };
}

async fn server(engine: Engine, tweak: Option<fn(&mut siaga::Config)>) -> TestServer {
    TestServer::start_with(
        engine,
        Options {
            manual_clock_at: Some(T0),
            demo: true,
            tweak,
        },
    )
    .await
}

async fn ring(srv: &TestServer, token: &str, ani: &str) -> String {
    let (s, call) = srv
        .post(
            "/api/v1/calls",
            token,
            json!({"ani": ani, "channel": "voice"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{call}");
    call["id"].as_str().unwrap().to_owned()
}

async fn step(srv: &TestServer, token: &str, call: &str, what: &str, body: Value) -> Value {
    let (s, v) = srv
        .post(&format!("/api/v1/calls/{call}/{what}"), token, body)
        .await;
    assert_eq!(s, StatusCode::OK, "{what}: {v}");
    v
}

/// Answers and classifies a ringing call.
async fn classify(srv: &TestServer, token: &str, call: &str, class: &str, notes: &str) {
    step(srv, token, call, "answer", json!({})).await;
    step(
        srv,
        token,
        call,
        "classify",
        json!({"class": class, "notes": notes}),
    )
    .await;
}

async fn open_call_backs(srv: &TestServer, token: &str) -> Vec<Value> {
    let (s, list) = srv.get("/api/v1/call-backs", token).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    list.as_array().unwrap().clone()
}

async fn kpi_day(srv: &TestServer, token: &str) -> Value {
    let (s, r) = srv
        .get("/api/v1/reports/kpi?period=2026-11-25", token)
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    r
}

async fn an_abandoned_call_produces_a_call_back_that_a_call_taker_completes(engine: Engine) {
    let srv = server(engine, None).await;
    let clock = srv.clock.clone().unwrap();
    let op1 = srv.demo_login("operator1").await;
    let op2 = srv.demo_login("operator2").await;
    let supervisor = srv.demo_login("supervisor").await;
    let op1_id = srv.user_id(&supervisor, "operator1").await;
    let mut live = srv.ws(&op2).await;

    // The caller hangs up before anyone answers: the call is abandoned and a task is due in 30 minutes.
    let call = ring(&srv, &op1, "0812-7000-1111").await;
    let ended = step(&srv, &op1, &call, "end", json!({})).await;
    assert_eq!(ended["status"], "abandoned");
    let created = live.next_of("call.call_back_created").await;
    assert_eq!(created["call_id"], call.as_str());
    assert_eq!(created["reason"], "abandoned");
    assert!(
        created.get("ani").is_none() && created["ani_masked"].as_str().unwrap().ends_with("111"),
        "{created}"
    );
    let tasks = open_call_backs(&srv, &op1).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    let task = &tasks[0];
    let id = task["id"].as_str().unwrap().to_owned();
    assert_eq!(task["ani"], "+6281270001111");
    assert_eq!(task["reason"], "abandoned");
    assert_eq!(task["status"], "open");
    assert_eq!(task["due_at"], T0 + 30 * MINUTE);
    assert_eq!(task["overdue"], false);

    // The same number drops again a minute later: still one open task for it.
    clock.advance(MINUTE);
    let again = ring(&srv, &op1, "081270001111").await;
    step(&srv, &op1, &again, "end", json!({})).await;
    assert_eq!(open_call_backs(&srv, &op1).await.len(), 1);

    // operator1 takes it; operator2 cannot take it from under them.
    let (s, claimed) = srv
        .post(&format!("/api/v1/call-backs/{id}/claim"), &op1, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{claimed}");
    assert_eq!(claimed["claimed_by"], op1_id.as_str());
    let updated = live.next_of("call.call_back_updated").await;
    assert_eq!(updated["claimed_by"], op1_id.as_str());
    let refused = srv
        .post(&format!("/api/v1/call-backs/{id}/claim"), &op2, json!({}))
        .await;
    let err = assert_error(&refused, StatusCode::CONFLICT, "conflict");
    assert_eq!(err["field"], "claimed_by");

    // Nobody answers: the task goes back on the list for another attempt.
    let (s, after) = srv
        .post(
            &format!("/api/v1/call-backs/{id}/outcome"),
            &op1,
            json!({"outcome": "no_answer", "note": "berdering, tidak diangkat"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{after}");
    assert_eq!(after["status"], "open");
    assert_eq!(after["attempts"], 1);
    assert_eq!(after["claimed_by"], Value::Null);
    assert_eq!(after["last_outcome"], "no_answer");
    let updated = live.next_of("call.call_back_updated").await;
    assert_eq!(
        (
            &updated["status"],
            &updated["outcome"],
            &updated["claimed_by"]
        ),
        (&json!("open"), &json!("no_answer"), &Value::Null)
    );

    // Past the due time it shows as overdue; operator2 rings again and reaches the caller.
    clock.advance(40 * MINUTE);
    let tasks = open_call_backs(&srv, &op2).await;
    assert_eq!(tasks[0]["overdue"], true, "{tasks:?}");
    let (s, done) = srv
        .post(
            &format!("/api/v1/call-backs/{id}/outcome"),
            &op2,
            json!({"outcome": "reached", "note": "tidak sengaja menutup telepon, aman"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "done");
    assert_eq!(done["attempts"], 2);
    assert_eq!(done["last_outcome"], "reached");
    assert!(open_call_backs(&srv, &op1).await.is_empty());
    let updated = live.next_of("call.call_back_updated").await;
    assert_eq!(updated["status"], "done");
    assert_eq!(updated["outcome"], "reached");

    // A finished task takes no more outcomes.
    let refused = srv
        .post(
            &format!("/api/v1/call-backs/{id}/outcome"),
            &op1,
            json!({"outcome": "busy"}),
        )
        .await;
    assert_error(&refused, StatusCode::CONFLICT, "invalid_transition");

    // The figures: one task created, made, reached, its first attempt within the 30 minutes.
    let k = kpi_day(&srv, &supervisor).await;
    let cb = &k["call_backs"];
    assert_eq!(
        (
            &cb["created"],
            &cb["made"],
            &cb["attempts"],
            &cb["reached"],
            &cb["within_target"],
            &cb["open"]
        ),
        (
            &json!(1),
            &json!(1),
            &json!(2),
            &json!(1),
            &json!(1),
            &json!(0)
        ),
        "{cb}"
    );
    assert_eq!(k["calls"]["abandoned"], 2);
}

async fn a_silent_call_gets_a_call_back_and_a_test_call_gets_nothing_and_counts_in_no_kpi(
    engine: Engine,
) {
    let srv = server(engine, None).await;
    let op1 = srv.demo_login("operator1").await;
    let supervisor = srv.demo_login("supervisor").await;

    let before = kpi_day(&srv, &supervisor).await;
    let offered_before = before["calls"]["offered"].as_u64().unwrap();

    // The start-of-shift test call: answered, classified `test`, ended. No task, no incident, no figure.
    let test = ring(&srv, &op1, "081270002222").await;
    classify(&srv, &op1, &test, "test", "uji awal shift").await;
    step(&srv, &op1, &test, "end", json!({})).await;
    assert!(open_call_backs(&srv, &op1).await.is_empty());
    let (s, body) = srv
        .post(
            "/api/v1/incidents",
            &op1,
            json!({"call_id": test, "category": "health", "priority": "p3",
                   "location": {"lon": 0.0, "lat": 0.0}, "description": "uji"}),
        )
        .await;
    assert!(
        s.is_client_error(),
        "a test call must not become an incident: {s} {body}"
    );
    let after_test = kpi_day(&srv, &supervisor).await;
    assert_eq!(after_test["calls"], before["calls"]);

    // A silent call, classified ghost while the line is open: a task with reason `ghost`.
    let silent = ring(&srv, &op1, "081270003333").await;
    classify(
        &srv,
        &op1,
        &silent,
        "ghost",
        "hening, terdengar suara latar",
    )
    .await;
    let tasks = open_call_backs(&srv, &op1).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["reason"], "ghost");
    assert_eq!(tasks[0]["call_id"], silent.as_str());
    let id = tasks[0]["id"].as_str().unwrap();
    // Recording an attempt on an unclaimed task claims it for the attempt.
    let (s, done) = srv
        .post(
            &format!("/api/v1/call-backs/{id}/outcome"),
            &op1,
            json!({"outcome": "wrong_number"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "done");

    let k = kpi_day(&srv, &supervisor).await;
    assert_eq!(
        k["calls"]["offered"].as_u64().unwrap(),
        offered_before + 1,
        "the test call is not offered, the silent one is"
    );
    let by_class = k["calls"]["by_class"].as_array().unwrap();
    assert!(by_class.iter().all(|c| c["key"] != "test"), "{by_class:?}");
    assert_eq!(
        by_class.iter().find(|c| c["key"] == "ghost").unwrap()["count"],
        1
    );
    assert_eq!(k["call_backs"]["created"], 1);
    assert_eq!(k["call_backs"]["reached"], 0);
    assert_eq!(k["call_backs"]["made"], 1);
}

/// A place inside the demo area: the first facility the API lists.
async fn demo_place(srv: &TestServer, token: &str) -> (f64, f64) {
    let (s, fc) = srv.get("/api/v1/geo/facilities.geojson", token).await;
    assert_eq!(s, StatusCode::OK, "{fc}");
    let point = &fc["features"][0]["geometry"]["coordinates"];
    (point[0].as_f64().unwrap(), point[1].as_f64().unwrap())
}

async fn caller_history_shows_earlier_calls_the_incident_and_the_prank_flag_with_its_reason(
    engine: Engine,
) {
    let srv = server(engine, Some(two_pranks_flag)).await;
    let clock = srv.clock.clone().unwrap();
    let mut op1 = srv.demo_login("operator1").await;
    let (lon, lat) = demo_place(&srv, &op1).await;

    // An emergency filed as an incident.
    let first = ring(&srv, &op1, "081270004444").await;
    classify(&srv, &op1, &first, "emergency", "").await;
    let (s, incident) = srv
        .post(
            "/api/v1/incidents",
            &op1,
            json!({"call_id": first, "category": "health", "priority": "p2",
                   "location": {"lon": lon, "lat": lat}, "description": "pingsan di jalan",
                   "victims": {"count": 1, "condition": "serious"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{incident}");
    step(&srv, &op1, &first, "end", json!({})).await;

    // Two prank calls over the next days.
    let mut pranks = Vec::new();
    for note in ["mengaku ada kebakaran, tertawa", "lelucon lagi"] {
        clock.advance(86_400_000);
        op1 = srv.demo_login("operator1").await;
        let call = ring(&srv, &op1, "+6281270004444").await;
        classify(&srv, &op1, &call, "prank", note).await;
        step(&srv, &op1, &call, "end", json!({})).await;
        pranks.push(call);
    }

    // The number rings again: flagged, and the history tells why.
    clock.advance(3_600_000);
    let ringing = ring(&srv, &op1, "6281270004444").await;
    let (_, call) = srv.get(&format!("/api/v1/calls/{ringing}"), &op1).await;
    assert_eq!(call["prank_flag"], true, "{call}");
    let (s, h) = srv.get("/api/v1/callers/0812-7000-4444", &op1).await;
    assert_eq!(s, StatusCode::OK, "{h}");
    assert_eq!(h["ani"], "+6281270004444");
    let ids: Vec<&str> = h["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [ringing.as_str(), &pranks[1], &pranks[0], &first]);
    let classes: Vec<&Value> = h["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["class"])
        .collect();
    assert_eq!(
        classes,
        [
            &Value::Null,
            &json!("prank"),
            &json!("prank"),
            &json!("emergency")
        ]
    );
    let incidents = h["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 1, "{h}");
    assert_eq!(incidents[0]["id"], incident["id"]);
    assert_eq!(incidents[0]["number"], incident["number"]);
    assert_eq!(incidents[0]["category"], "health");
    assert_eq!(incidents[0]["status"], incident["status"]);
    assert_eq!(incidents[0]["call_ids"], json!([first]));
    let prank = &h["prank"];
    assert_eq!(prank["flagged"], true, "{prank}");
    assert_eq!(prank["pranks_in_window"], 2);
    assert_eq!(prank["threshold"], 2);
    assert_eq!(prank["window_ms"], 7 * 86_400_000_i64);
    let reasons: Vec<(&str, &str)> = prank["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["call_id"].as_str().unwrap(), c["notes"].as_str().unwrap()))
        .collect();
    assert_eq!(
        reasons,
        [
            (pranks[1].as_str(), "lelucon lagi"),
            (pranks[0].as_str(), "mengaku ada kebakaran, tertawa")
        ]
    );
    assert_eq!(h["call_backs"], json!([]));

    // The incident's dispatcher asks for a call back to confirm: it shows in the caller's history.
    let dispatcher = srv.demo_login("dispatch.dinkes").await;
    let (s, task) = srv
        .post(
            "/api/v1/call-backs",
            &dispatcher,
            json!({"incident_id": incident["id"], "note": "konfirmasi jumlah korban"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{task}");
    assert_eq!(task["reason"], "confirm");
    assert_eq!(task["call_id"], first.as_str());
    assert_eq!(task["incident_id"], incident["id"]);
    let (_, h) = srv.get("/api/v1/callers/+6281270004444", &op1).await;
    assert_eq!(h["call_backs"][0]["id"], task["id"]);
    assert_eq!(h["call_backs"][0]["note"], "konfirmasi jumlah korban");

    // Reading a history is an audited read of personal data.
    let supervisor = srv.demo_login("supervisor").await;
    let (s, audit) = srv.get("/api/v1/audit?limit=50", &supervisor).await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let text = audit.to_string();
    assert!(text.contains("caller.read_personal"), "{text}");
    assert!(
        !text.contains("+6281270004444"),
        "the audit trail keeps the number masked"
    );
}

async fn bad_call_back_and_caller_input_is_refused_naming_the_field(engine: Engine) {
    let srv = server(engine, None).await;
    let op1 = srv.demo_login("operator1").await;
    let err = assert_error(
        &srv.get("/api/v1/callers/anonymous", &op1).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(err["field"], "ani");
    let err = assert_error(
        &srv.get("/api/v1/call-backs?status=later", &op1).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(err["field"], "status");
    let err = assert_error(
        &srv.post("/api/v1/call-backs", &op1, json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(err["field"], "call_id");
    let err = assert_error(
        &srv.post("/api/v1/call-backs", &op1, json!({"call_id": "nope"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(err["field"], "call_id");
    let call = ring(&srv, &op1, "081270005555").await;
    step(&srv, &op1, &call, "end", json!({})).await;
    let id = open_call_backs(&srv, &op1).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, body) = srv
        .post(
            &format!("/api/v1/call-backs/{id}/outcome"),
            &op1,
            json!({"outcome": "maybe"}),
        )
        .await;
    assert!(s.is_client_error(), "{s} {body}");
    assert_eq!(body["error"]["field"], "outcome", "{body}");
    assert_error(
        &srv.post("/api/v1/call-backs/nope/claim", &op1, json!({}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}
