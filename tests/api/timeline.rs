//! An incident's timeline: every step of its life in order with who took it, SLA clocks started, stopped and
//! breached, notes from the call taker, the dispatcher and the crew (a note re-sent from a phone stored once),
//! scoped as the incident is and announced live.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use siaga_tests::{Engine, Options, TestServer, assert_error, engine_tests};
use std::time::Duration;

engine_tests!(
    the_timeline_of_a_full_flow_lists_each_step_in_order_with_its_actor,
    notes_from_the_three_roles_are_stored_once_and_announced_live,
    the_timeline_is_scoped_as_the_incident_is,
);

/// 2026-11-25 10:00:00 WIB.
const T0: i64 = 1_795_575_600_000;
/// Batam Centre, inside the demo district 21.71.10.
const LON: f64 = 104.0537;
const LAT: f64 = 1.1279;

async fn start(engine: Engine) -> TestServer {
    TestServer::start_with(
        engine,
        Options {
            manual_clock_at: Some(T0),
            demo: true,
            tweak: None,
        },
    )
    .await
}

/// A traffic accident with a reporter, filed from an answered emergency call: escalated to Polresta and Dinkes.
async fn file_accident(srv: &TestServer, taker: &str) -> String {
    let (s, call) = srv
        .post(
            "/api/v1/calls",
            taker,
            json!({"ani": "081277770000", "channel": "voice"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{call}");
    let call_id = call["id"].as_str().unwrap();
    let (s, _) = srv
        .post(&format!("/api/v1/calls/{call_id}/answer"), taker, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = srv
        .post(
            &format!("/api/v1/calls/{call_id}/classify"),
            taker,
            json!({"class": "emergency"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, incident) = srv
        .post(
            "/api/v1/incidents",
            taker,
            json!({
                "call_id": call_id, "category": "traffic_accident", "priority": "p1",
                "location": {"lon": LON, "lat": LAT}, "address": "Jl. Engku Putri",
                "reporter": {"name": "Budi Santoso", "phone": "081277770000"},
                "victims": {"count": 2, "condition": "serious"}, "description": "Dua motor bertabrakan"
            }),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{incident}");
    incident["id"].as_str().unwrap().to_owned()
}

async fn timeline(srv: &TestServer, token: &str, id: &str) -> Vec<Value> {
    let (s, t) = srv
        .get(&format!("/api/v1/incidents/{id}/timeline"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    t.as_array().unwrap().clone()
}

async fn note(srv: &TestServer, token: &str, id: &str, body: Value) -> (StatusCode, Value) {
    srv.post(&format!("/api/v1/incidents/{id}/timeline"), token, body)
        .await
}

/// A labelled test of a timeline entry.
type Wanted<'a> = (&'a str, &'a dyn Fn(&Value) -> bool);

/// Asserts that entries matching `wanted` appear in this order (others may lie between), and returns them.
fn in_order<'a>(entries: &'a [Value], wanted: &[Wanted<'_>]) -> Vec<&'a Value> {
    let mut found = Vec::new();
    let mut rest = entries.iter();
    for (label, matches) in wanted {
        let hit = rest
            .by_ref()
            .find(|e| matches(e))
            .unwrap_or_else(|| panic!("no `{label}` after {found:#?} in {entries:#?}"));
        found.push(hit);
    }
    found
}

fn kind_is<'a>(kind: &'a str) -> impl Fn(&Value) -> bool + 'a {
    move |e| e["kind"] == kind
}

async fn the_timeline_of_a_full_flow_lists_each_step_in_order_with_its_actor(engine: Engine) {
    let srv = start(engine).await;
    let clock = srv.clock.clone().unwrap();
    let taker = srv.demo_login("operator1").await;
    let id = file_accident(&srv, &taker).await;
    let damkar = srv.agency_id(&taker, "DAMKAR-BTM").await;

    // The call taker adds Damkar (fuel on the road); Damkar sends it back with its reason.
    clock.advance(10_000);
    let (s, v) = srv
        .post(
            &format!("/api/v1/incidents/{id}/escalate"),
            &taker,
            json!({"agency_ids": [damkar], "note": "bensin tumpah di jalan"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let fire_desk = srv.demo_login("dispatch.damkar").await;
    let (s, v) = srv
        .post(
            &format!("/api/v1/incidents/{id}/reject"),
            &fire_desk,
            json!({"reason": "sudah dibersihkan polisi"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // Polresta verifies and sends PTL-01; the crew acknowledges late (the 60 s P1 target breaches on time).
    let polres = srv.demo_login("dispatch.polres").await;
    let (s, v) = srv
        .post(
            &format!("/api/v1/incidents/{id}/verify"),
            &polres,
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let unit = srv.unit_id(&polres, "PTL-01").await;
    let (s, a) = srv
        .post(
            &format!("/api/v1/incidents/{id}/assignments"),
            &polres,
            json!({"unit_id": unit, "note": "lewat Jl. Sudirman"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let assignment = a["id"].as_str().unwrap().to_owned();
    clock.advance(61_000);
    let mut breached = false;
    for _ in 0..100 {
        if timeline(&srv, &taker, &id)
            .await
            .iter()
            .any(|e| e["kind"] == "sla.breach" && e["detail"]["sla_kind"] == "acknowledge")
        {
            breached = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(breached, "the acknowledge breach is in the timeline");
    let crew = srv.demo_login("ptl01").await;
    for status in ["acknowledged", "en_route", "on_scene", "resolved"] {
        clock.advance(1_000);
        let (s, v) = srv
            .post(
                &format!("/api/v1/assignments/{assignment}/status"),
                &crew,
                json!({"status": status}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{status}: {v}");
    }
    // Polresta closes it with its report (Dinkes never verified).
    clock.advance(1_000);
    let (s, v) = srv
        .post(
            &format!("/api/v1/incidents/{id}/close"),
            &polres,
            json!({"report": "Dua korban dibawa ke RS."}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    let entries = timeline(&srv, &taker, &id).await;
    let keys: Vec<(i64, i64)> = entries
        .iter()
        .map(|e| (e["at"].as_i64().unwrap(), e["seq"].as_i64().unwrap()))
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "oldest first, in a stable order: {keys:?}"
    );
    let step = |status: &'static str| {
        move |e: &Value| e["kind"] == "assignment.status" && e["detail"]["status"] == status
    };
    let (ack, en_route, on_scene, resolved) = (
        step("acknowledged"),
        step("en_route"),
        step("on_scene"),
        step("resolved"),
    );
    let created = kind_is("incident.created");
    let escalated = kind_is("incident.escalated");
    let dispatch_started =
        |e: &Value| e["kind"] == "sla.started" && e["detail"]["sla_kind"] == "dispatch";
    let added = |e: &Value| {
        e["kind"] == "incident.escalated" && e["detail"]["escalated_to"] == json!([damkar])
    };
    let rejected =
        |e: &Value| e["kind"] == "incident.updated" && e["detail"]["decision"] == "rejected";
    let verified =
        |e: &Value| e["kind"] == "incident.updated" && e["detail"]["decision"] == "verified";
    let assigned = kind_is("assignment.created");
    let dispatch_stopped =
        |e: &Value| e["kind"] == "sla.stopped" && e["detail"]["sla_kind"] == "dispatch";
    let ack_started =
        |e: &Value| e["kind"] == "sla.started" && e["detail"]["sla_kind"] == "acknowledge";
    let ack_breached =
        |e: &Value| e["kind"] == "sla.breach" && e["detail"]["sla_kind"] == "acknowledge";
    let ack_stopped =
        |e: &Value| e["kind"] == "sla.stopped" && e["detail"]["sla_kind"] == "acknowledge";
    let resolution_stopped =
        |e: &Value| e["kind"] == "sla.stopped" && e["detail"]["sla_kind"] == "resolution";
    let closed = kind_is("incident.closed");
    let found = in_order(
        &entries,
        &[
            ("filed", &created),
            ("escalated at filing", &escalated),
            ("dispatch clock started", &dispatch_started),
            ("escalated to Damkar", &added),
            ("rejected by Damkar", &rejected),
            ("verified", &verified),
            ("assigned", &assigned),
            ("dispatch clock stopped", &dispatch_stopped),
            ("acknowledge clock started", &ack_started),
            ("acknowledge breached", &ack_breached),
            ("acknowledged", &ack),
            ("acknowledge clock stopped", &ack_stopped),
            ("en route", &en_route),
            ("on scene", &on_scene),
            ("resolved", &resolved),
            ("closed", &closed),
        ],
    );
    assert!(entries.iter().any(resolution_stopped), "{entries:#?}");
    let role = |e: &Value| e["actor_role"].as_str().map(str::to_owned);
    let [
        created,
        _,
        started,
        added,
        rejected,
        verified,
        assigned,
        stopped,
        _,
        breach,
        ack,
        _,
        _,
        _,
        resolved,
        closed,
    ] = found.as_slice()
    else {
        unreachable!()
    };
    assert_eq!(role(created).as_deref(), Some("call_taker"));
    assert_eq!(created["actor_name"], "Call Taker Satu", "{created}");
    assert_eq!(role(started).as_deref(), Some("call_taker"));
    assert_eq!(added["text"], "bensin tumpah di jalan");
    assert_eq!(role(rejected).as_deref(), Some("dispatcher"));
    assert_eq!(rejected["text"], "sudah dibersihkan polisi");
    assert_eq!(rejected["detail"]["agency_id"], damkar.as_str());
    assert_eq!(role(verified).as_deref(), Some("dispatcher"));
    assert_eq!(role(assigned).as_deref(), Some("dispatcher"));
    assert_eq!(assigned["call_sign"], "PTL-01");
    assert_eq!(assigned["text"], "lewat Jl. Sudirman");
    assert_eq!(role(stopped).as_deref(), Some("dispatcher"));
    assert_eq!(stopped["detail"]["met"], true);
    // The breach was found by the SLA runner on time: no person did it.
    assert!(breach["actor_id"].is_null(), "{breach}");
    assert_eq!(role(ack).as_deref(), Some("responder"));
    assert_eq!(ack["detail"]["from"], "assigned");
    assert_eq!(ack["unit_id"], unit.as_str());
    assert_eq!(role(resolved).as_deref(), Some("responder"));
    assert_eq!(role(closed).as_deref(), Some("dispatcher"));
    // No reporter data in it for anyone (the responder reads the same list).
    let text = serde_json::to_string(&timeline(&srv, &crew, &id).await).unwrap();
    assert!(
        !text.contains("Budi") && !text.contains("77770000"),
        "{text}"
    );
    assert!(
        !text.contains("Dua motor"),
        "the summary is not repeated: {text}"
    );
}

async fn notes_from_the_three_roles_are_stored_once_and_announced_live(engine: Engine) {
    let srv = start(engine).await;
    let clock = srv.clock.clone().unwrap();
    let taker = srv.demo_login("operator1").await;
    let id = file_accident(&srv, &taker).await;
    let polres = srv.demo_login("dispatch.polres").await;
    srv.post(
        &format!("/api/v1/incidents/{id}/verify"),
        &polres,
        json!({}),
    )
    .await;
    let unit = srv.unit_id(&polres, "PTL-01").await;
    let (s, a) = srv
        .post(
            &format!("/api/v1/incidents/{id}/assignments"),
            &polres,
            json!({"unit_id": unit}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let crew = srv.demo_login("ptl01").await;
    let mut crew_live = srv.ws(&crew).await;
    assert_eq!(crew_live.next().await["type"], "hello");
    let mut desk_live = srv.ws(&polres).await;
    assert_eq!(desk_live.next().await["type"], "hello");

    // Bad notes name their field.
    for (body, field) in [
        (json!({"text": " "}), "text"),
        (json!({"text": "x".repeat(2001)}), "text"),
        (json!({"text": "ok", "at": T0 - 86_400_000}), "at"),
    ] {
        let e = assert_error(
            &note(&srv, &taker, &id, body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(e["field"], field, "{e}");
    }

    // The call taker and the dispatcher write; the crew's phone sees the dispatcher's note live.
    clock.advance(1_000);
    let (s, by_taker) = note(
        &srv,
        &taker,
        &id,
        json!({"text": "penelepon: ada anak kecil"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{by_taker}");
    assert_eq!(by_taker["kind"], "note");
    assert_eq!(by_taker["actor_role"], "call_taker");
    clock.advance(1_000);
    let (s, by_desk) = note(&srv, &polres, &id, json!({"text": "bawa tandu tambahan"})).await;
    assert_eq!(s, StatusCode::CREATED, "{by_desk}");
    let frame = note_frame(&mut crew_live, &by_desk["id"]).await;
    assert_eq!(frame["incident_id"], id.as_str());
    assert_eq!(frame["entry"]["text"], "bawa tandu tambahan");

    // The crew's note, typed offline before the other two were written, is sent twice by the outbox (once with the same
    // Idempotency-Key, once without): stored once, at the time it was typed, and announced to the desk.
    let typed_at = T0 + 500;
    let body = json!({"text": "jalan ditutup, memutar", "client_ref": "outbox-7", "at": typed_at});
    let send = |key: Option<&'static str>| {
        let mut rb = srv
            .request(
                Method::POST,
                &format!("/api/v1/incidents/{id}/timeline"),
                Some(&crew),
            )
            .json(&body);
        if let Some(k) = key {
            rb = rb.header("idempotency-key", k);
        }
        async move { siaga_tests::read(rb.send().await.unwrap()).await }
    };
    let (s, first) = send(Some("note-key-1")).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(first["actor_role"], "responder");
    assert_eq!(first["unit_id"], unit.as_str());
    assert_eq!(first["at"], typed_at);
    let (s, again) = send(Some("note-key-1")).await;
    assert_eq!(
        s,
        StatusCode::CREATED,
        "the stored response is replayed: {again}"
    );
    assert_eq!(again["id"], first["id"]);
    let (s, resent) = send(None).await;
    assert_eq!(s, StatusCode::OK, "{resent}");
    assert_eq!(resent["id"], first["id"]);
    let frame = note_frame(&mut desk_live, &first["id"]).await;
    assert_eq!(frame["entry"]["client_ref"], "outbox-7");
    // Announced once: the desk hears no second copy of it before the supervisor's note below.

    let entries = timeline(&srv, &crew, &id).await;
    let notes: Vec<&Value> = entries.iter().filter(|e| e["kind"] == "note").collect();
    assert_eq!(notes.len(), 3, "{notes:#?}");
    // Ordered by when they were written: the crew's note typed offline comes before the other two.
    assert_eq!(notes[0]["id"], first["id"]);
    assert_eq!(notes[1]["id"], by_taker["id"]);
    assert_eq!(notes[2]["id"], by_desk["id"]);
    assert_eq!(notes[2]["actor_name"], by_desk["actor_name"]);
    // A closed incident keeps its notes; the supervisor adds one too.
    let supervisor = srv.demo_login("supervisor").await;
    let (s, v) = note(&srv, &supervisor, &id, json!({"text": "ditinjau"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let next = desk_live.next_of("incident.note_added").await;
    assert_eq!(next["entry"]["id"], v["id"], "{next}");
}

/// The `incident.note_added` frame of the note `id`, skipping other frames (bounded by the client's wait).
async fn note_frame(ws: &mut siaga_tests::WsClient, id: &Value) -> Value {
    loop {
        let frame = ws.next_of("incident.note_added").await;
        if &frame["entry"]["id"] == id {
            return frame;
        }
    }
}

async fn the_timeline_is_scoped_as_the_incident_is(engine: Engine) {
    let srv = start(engine).await;
    let taker = srv.demo_login("operator1").await;
    let id = file_accident(&srv, &taker).await;
    let polres = srv.demo_login("dispatch.polres").await;
    let unit = srv.unit_id(&polres, "PTL-01").await;
    srv.post(
        &format!("/api/v1/incidents/{id}/verify"),
        &polres,
        json!({}),
    )
    .await;
    let (s, _) = srv
        .post(
            &format!("/api/v1/incidents/{id}/assignments"),
            &polres,
            json!({"unit_id": unit}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let path = format!("/api/v1/incidents/{id}/timeline");
    // Another OPD's dispatcher and the crew of a unit not assigned: 403 for reading and for writing.
    for who in ["dispatch.damkar", "amb01"] {
        let token = srv.demo_login(who).await;
        assert_error(
            &srv.get(&path, &token).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        assert_error(
            &note(&srv, &token, &id, json!({"text": "bukan urusan saya"})).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    // An admin reads it but writes nothing.
    let admin = srv.demo_login("admin").await;
    assert!(!timeline(&srv, &admin, &id).await.is_empty());
    assert_error(
        &note(&srv, &admin, &id, json!({"text": "admin"})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // An incident that does not exist.
    assert_error(
        &srv.get("/api/v1/incidents/nope/timeline", &taker).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // Nothing the refused callers sent reached the timeline.
    assert!(
        timeline(&srv, &taker, &id)
            .await
            .iter()
            .all(|e| e["kind"] != "note")
    );
}
