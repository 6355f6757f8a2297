//! Bad input gets a clear 4xx in the error envelope, naming the field, and loses nothing already accepted.

use reqwest::{Method, StatusCode};
use serde_json::json;
use siaga_tests::{Engine, TestServer, assert_error, engine_tests, read};

engine_tests!(
    malformed_json_is_a_400_naming_the_problem,
    wrong_shapes_are_422_naming_the_field,
    oversized_bodies_are_refused_and_the_server_carries_on,
    wrong_content_type_and_unknown_routes_answer_in_the_envelope,
    bad_query_parameters_are_named,
    nul_characters_are_refused_on_both_engines_alike,
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
