//! Bad input gets a clear 4xx in the error envelope, naming the field, and loses nothing already accepted.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use siaga_tests::{Engine, TestServer, assert_error, engine_tests, read};

engine_tests!(
    malformed_json_is_a_400_naming_the_problem,
    wrong_shapes_are_422_naming_the_field,
    oversized_bodies_are_refused_and_the_server_carries_on,
    wrong_content_type_and_unknown_routes_answer_in_the_envelope,
    bad_query_parameters_are_named,
    nul_characters_are_refused_on_both_engines_alike,
    every_kind_of_text_is_bounded_where_it_enters,
    the_largest_incident_accepted_stays_small_in_every_list,
);

async fn malformed_json_is_a_400_naming_the_problem(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let resp = srv
        .request(Method::POST, "/api/v1/agencies", Some(&admin))
        .header("content-type", "application/json")
        .body(r#"{"code": "X", "name": "#)
        .send()
        .await
        .unwrap();
    let got = read(resp).await;
    let err = assert_error(&got, StatusCode::BAD_REQUEST, "invalid_json");
    assert!(
        err["message"].as_str().unwrap().contains("invalid JSON"),
        "{err}"
    );
}

async fn wrong_shapes_are_422_naming_the_field(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let cases = [
        (
            json!({"code": "X", "name": "Y", "agency_type": "navy", "region_code": "21.71"}),
            "agency_type",
        ),
        (
            json!({"code": "X", "name": "Y", "region_code": "21.71"}),
            "agency_type",
        ),
        (
            json!({"code": 7, "name": "Y", "agency_type": "fire", "region_code": "21.71"}),
            "code",
        ),
        (
            json!({"code": "X", "name": "Y", "agency_type": "fire", "region_code": "21.71", "colour": "red"}),
            "colour",
        ),
        (
            json!({"code": "", "name": "Y", "agency_type": "fire", "region_code": "21.71"}),
            "code",
        ),
    ];
    for (body, field) in cases {
        let got = srv.post("/api/v1/agencies", &admin, body.clone()).await;
        let err = assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(err["field"], field, "{body} -> {err}");
    }
    let dinkes = srv.agency_id(&admin, "DINKES-BTM").await;
    let bad_pos = json!({"agency_id": dinkes, "call_sign": "AMB-99", "unit_type": "ambulance",
                         "position": {"lon": 104.0, "lat": 95.0}});
    let err = assert_error(
        &srv.post("/api/v1/units", &admin, bad_pos).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(err["field"], "position.lat");
    // Nothing half-written: the agency list is unchanged.
    let (_, agencies) = srv.get("/api/v1/agencies", &admin).await;
    assert_eq!(agencies.as_array().unwrap().len(), 6);
}

async fn oversized_bodies_are_refused_and_the_server_carries_on(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let body = json!({"code": "BIG", "name": huge, "agency_type": "fire", "region_code": "21.71"});
    let got = srv.post("/api/v1/agencies", &admin, body).await;
    assert_error(&got, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let small =
        json!({"code": "OK", "name": "Fine", "agency_type": "fire", "region_code": "21.71"});
    assert_eq!(
        srv.post("/api/v1/agencies", &admin, small).await.0,
        StatusCode::CREATED
    );
}

async fn wrong_content_type_and_unknown_routes_answer_in_the_envelope(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let resp = srv
        .request(Method::POST, "/api/v1/agencies", Some(&admin))
        .header("content-type", "text/plain")
        .body("code=X")
        .send()
        .await
        .unwrap();
    assert_error(
        &read(resp).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let got = srv.get("/api/v1/no-such-thing", &admin).await;
    assert_error(&got, StatusCode::NOT_FOUND, "not_found");
    let got = srv.get("/api/v1/units/does-not-exist", &admin).await;
    assert_error(&got, StatusCode::NOT_FOUND, "not_found");
}

async fn bad_query_parameters_are_named(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let supervisor = srv.demo_login("supervisor").await;
    let got = srv.get("/api/v1/audit?limit=lots", &supervisor).await;
    let err = assert_error(&got, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(err["field"], "limit", "{err}");
    let got = srv.get("/api/v1/audit?colour=red", &supervisor).await;
    let err = assert_error(&got, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(err["field"], "colour", "{err}");
}

/// Found by schemathesis: PostgreSQL cannot store U+0000 and answered 500 where SQLite stored it.
async fn nul_characters_are_refused_on_both_engines_alike(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let got = srv
        .post(
            "/api/v1/agencies",
            &admin,
            json!({"code": "NUL\u{0}", "name": "x", "agency_type": "police", "region_code": "21.71"}),
        )
        .await;
    let err = assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(err["field"], "code");
    let got = srv
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "admin\u{0}", "password": "siaga112"})),
        )
        .await;
    let err = assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(err["field"], "username");
    let got = srv.get("/api/v1/audit?action=a%00b", &admin).await;
    let err = assert_error(&got, StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(err["field"], "action");
    for path in ["/api/v1/units/%00", "/api/v1/incidents/%FF%FE"] {
        let got = srv.get(path, &admin).await;
        assert_error(&got, StatusCode::NOT_FOUND, "not_found");
    }
    // Nothing was stored, and the server carries on.
    let (_, agencies) = srv.get("/api/v1/agencies", &admin).await;
    assert!(
        agencies
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["code"] != "NUL\u{0}")
    );
}

/// Found by an attacker's probe: a 900 KiB description, 10,000-character addresses and phone numbers and a
/// 200,000-character note were stored, and the address was copied into every event and list entry. Each kind
/// of text (`siaga::limits`) is now refused one character past its bound, 422 naming the field.
async fn every_kind_of_text_is_bounded_where_it_enters(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let supervisor = srv.demo_login("supervisor").await;
    let taker = srv.demo_login("operator1").await;
    let dinkes = srv.demo_login("dispatch.dinkes").await;
    let over = |n: usize| "x".repeat(n + 1);
    let dinkes_id = srv.agency_id(&admin, "DINKES-BTM").await;
    let (s, call) = srv
        .post(
            "/api/v1/calls",
            &taker,
            json!({"ani": "081277770000", "channel": "voice"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{call}");
    let call = call["id"].as_str().unwrap().to_owned();
    let (s, incident) = srv
        .post("/api/v1/incidents", &taker, incident_with(json!({})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{incident}");
    let incident = incident["id"].as_str().unwrap().to_owned();
    let (_, me) = srv.get("/api/v1/auth/me", &dinkes).await;
    let user = me["id"].as_str().unwrap().to_owned();

    let agency = |patch: Value| {
        let mut body = json!({"code": "LIMIT", "name": "Batas", "agency_type": "fire",
                              "region_code": "21.71"});
        merge(&mut body, patch);
        body
    };
    let cases: Vec<(&str, String, &str, Value, &str)> = vec![
        // ShortText (64)
        (
            "POST",
            "/api/v1/agencies".into(),
            &admin,
            agency(json!({"code": over(64)})),
            "code",
        ),
        (
            "POST",
            "/api/v1/units".into(),
            &admin,
            json!({"agency_id": dinkes_id, "call_sign": over(64), "unit_type": "ambulance"}),
            "call_sign",
        ),
        (
            "POST",
            "/api/v1/calls".into(),
            &taker,
            json!({"ani": "1".repeat(10_000), "channel": "voice"}),
            "ani",
        ),
        (
            "POST",
            "/api/v1/agents/me/state".into(),
            &taker,
            json!({"state": "aux", "reason": over(64)}),
            "reason",
        ),
        // Name (120)
        (
            "POST",
            "/api/v1/agencies".into(),
            &admin,
            agency(json!({"name": over(120)})),
            "name",
        ),
        (
            "POST",
            "/api/v1/users".into(),
            &admin,
            json!({"username": "batas", "display_name": over(120), "role": "call_taker",
                "password": "panjang-sekali-123"}),
            "display_name",
        ),
        (
            "POST",
            "/api/v1/incidents".into(),
            &taker,
            incident_with(json!({"reporter": {"name": over(120)}})),
            "reporter.name",
        ),
        // PhoneNumber (a rule, not only a length)
        (
            "POST",
            "/api/v1/agencies".into(),
            &admin,
            agency(json!({"phone": "abc"})),
            "phone",
        ),
        (
            "POST",
            "/api/v1/incidents".into(),
            &taker,
            incident_with(json!({"reporter": {"phone": "abc"}})),
            "reporter.phone",
        ),
        (
            "POST",
            "/api/v1/incidents".into(),
            &taker,
            incident_with(json!({"reporter": {"phone": "1".repeat(10_000)}})),
            "reporter.phone",
        ),
        // Address (300)
        (
            "POST",
            "/api/v1/incidents".into(),
            &taker,
            incident_with(json!({"address": over(300)})),
            "address",
        ),
        (
            "POST",
            "/api/v1/incidents".into(),
            &taker,
            incident_with(json!({"reporter": {"address": over(300)}})),
            "reporter.address",
        ),
        // Note (500)
        (
            "POST",
            format!("/api/v1/incidents/{incident}/reject"),
            &dinkes,
            json!({"reason": over(500)}),
            "reason",
        ),
        (
            "POST",
            format!("/api/v1/incidents/{incident}/escalate"),
            &taker,
            json!({"agency_ids": [dinkes_id], "note": over(500)}),
            "note",
        ),
        (
            "POST",
            format!("/api/v1/users/{user}/force-logout"),
            &supervisor,
            json!({"reason": over(200_000)}),
            "reason",
        ),
        // LongText (4000)
        (
            "POST",
            "/api/v1/incidents".into(),
            &taker,
            incident_with(json!({"description": "x".repeat(900 * 1024)})),
            "description",
        ),
        (
            "POST",
            format!("/api/v1/calls/{call}/classify"),
            &taker,
            json!({"class": "emergency", "notes": over(4000)}),
            "notes",
        ),
        (
            "POST",
            format!("/api/v1/incidents/{incident}/close"),
            &dinkes,
            json!({"report": over(4000)}),
            "report",
        ),
        // AmlPayload (2000)
        (
            "POST",
            format!("/api/v1/calls/{call}/aml"),
            &taker,
            json!({"payload": over(2000)}),
            "payload",
        ),
    ];
    for (method, path, token, body, field) in cases {
        let got = srv
            .call(
                Method::from_bytes(method.as_bytes()).unwrap(),
                &path,
                Some(token),
                Some(body),
            )
            .await;
        let err = assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(err["field"], field, "{method} {path}: {err}");
    }
    // Nothing was stored: one incident, the demo agencies, and the dispatcher still logged in.
    let (_, incidents) = srv.get("/api/v1/incidents", &supervisor).await;
    assert_eq!(incidents.as_array().unwrap().len(), 1, "{incidents}");
    let (_, agencies) = srv.get("/api/v1/agencies", &admin).await;
    assert_eq!(agencies.as_array().unwrap().len(), 6);
    assert_eq!(srv.get("/api/v1/auth/me", &dinkes).await.0, StatusCode::OK);

    // Phone numbers as people write them are accepted: short lines, national and international forms.
    for phone in ["112", "0812-3456-7890", "+62 812 3456 7890"] {
        let got = srv
            .post(
                "/api/v1/incidents",
                &taker,
                incident_with(json!({"reporter": {"phone": phone}})),
            )
            .await;
        assert_eq!(got.0, StatusCode::CREATED, "{phone}: {}", got.1);
        assert_eq!(got.1["reporter"]["phone"], phone);
    }
}

/// The other half of the probe: with every text of an incident at its bound, the incident as the API shows
/// it (and so every list entry and event that repeats it) stays a few kilobytes, and one character more is
/// refused; before, one request made a 900 KiB incident and a 58 MiB list.
async fn the_largest_incident_accepted_stays_small_in_every_list(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let taker = srv.demo_login("operator1").await;
    let supervisor = srv.demo_login("supervisor").await;
    // Four-byte characters: the bounds count characters, so this is the largest in bytes too.
    let wide = |n: usize| "\u{1F691}".repeat(n);
    let largest = incident_with(json!({
        "subcategory": wide(100), "address": wide(300), "description": wide(4000),
        "reporter": {"name": wide(120), "phone": "+62 812-3456-7890-1234-567", "address": wide(300)},
    }));
    // One character more in any of them is refused, naming the field.
    let one_more = [
        ("subcategory", json!({"subcategory": wide(101)})),
        ("address", json!({"address": wide(301)})),
        ("description", json!({"description": wide(4001)})),
        ("reporter.name", json!({"reporter": {"name": wide(121)}})),
        (
            "reporter.phone",
            json!({"reporter": {"phone": "+62 812-3456-7890-1234-5678"}}),
        ),
        (
            "reporter.address",
            json!({"reporter": {"address": wide(301)}}),
        ),
    ];
    for (field, patch) in one_more {
        let mut body = largest.clone();
        merge(&mut body, patch);
        let got = srv.post("/api/v1/incidents", &taker, body).await;
        let err = assert_error(&got, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(err["field"], field, "{err}");
    }
    let (s, incident) = srv.post("/api/v1/incidents", &taker, largest).await;
    assert_eq!(s, StatusCode::CREATED, "{incident}");
    let id = incident["id"].as_str().unwrap();
    let (s, shown) = srv
        .get(&format!("/api/v1/incidents/{id}"), &supervisor)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(shown["description"].as_str().unwrap().chars().count(), 4000);
    let (_, list) = srv.get("/api/v1/incidents", &supervisor).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    for (what, value) in [("the incident", &shown), ("the list", &list)] {
        let bytes = value.to_string().len();
        assert!(bytes < 32 * 1024, "{what} is {bytes} bytes");
    }
}

/// A valid incident at Batam Centre with `patch` merged in (objects merged key by key).
fn incident_with(patch: Value) -> Value {
    let mut body = json!({
        "category": "health", "priority": "p2", "location": {"lon": 104.0537, "lat": 1.1279},
        "victims": {"count": 1, "condition": "serious"}
    });
    merge(&mut body, patch);
    body
}

fn merge(into: &mut Value, patch: Value) {
    match (into, patch) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(Value::Null), v);
            }
        }
        (slot, v) => *slot = v,
    }
}
