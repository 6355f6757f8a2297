//! Role and agency-scope checks: each role is refused (403) on at least one endpoint of each kind, and
//! allowed where its work needs it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use siaga_tests::{Engine, TestServer, assert_error, engine_tests};

engine_tests!(
    account_endpoints_are_for_admins_and_supervisors,
    agency_and_unit_creation_is_for_admins,
    dispatcher_sees_and_changes_only_its_own_agencys_units,
    responder_sees_and_changes_only_its_own_unit,
    audit_trail_is_for_supervisors_and_admins,
    every_protected_endpoint_refuses_a_missing_token,
);

async fn units_of(srv: &TestServer, token: &str, agency: &str) -> Vec<Value> {
    let (status, body) = srv
        .get(&format!("/api/v1/units?agency_id={agency}"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

async fn account_endpoints_are_for_admins_and_supervisors(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let new_user = json!({
        "username": "operator9", "display_name": "Call Taker Sembilan",
        "role": "call_taker", "password": "panjang-sekali"
    });
    for user in ["operator1", "dispatch.damkar", "amb01"] {
        let token = srv.demo_login(user).await;
        assert_error(
            &srv.get("/api/v1/users", &token).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        assert_error(
            &srv.post("/api/v1/users", &token, new_user.clone()).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let supervisor = srv.demo_login("supervisor").await;
    assert_eq!(
        srv.get("/api/v1/users", &supervisor).await.0,
        StatusCode::OK
    );
    assert_error(
        &srv.post("/api/v1/users", &supervisor, new_user.clone())
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let admin = srv.demo_login("admin").await;
    let (status, body) = srv.post("/api/v1/users", &admin, new_user.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    srv.login("operator9", "panjang-sekali").await;
    let dup = srv.post("/api/v1/users", &admin, new_user).await;
    let err = assert_error(&dup, StatusCode::CONFLICT, "conflict");
    assert_eq!(err["field"], "username");
}

async fn agency_and_unit_creation_is_for_admins(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let agency = json!({"code": "SATPOL-BTM", "name": "Satpol PP Batam", "agency_type": "other", "region_code": "21.71"});
    for user in ["operator1", "dispatch.damkar", "amb01", "supervisor"] {
        let token = srv.demo_login(user).await;
        assert_error(
            &srv.post("/api/v1/agencies", &token, agency.clone()).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    let admin = srv.demo_login("admin").await;
    let (status, created) = srv.post("/api/v1/agencies", &admin, agency).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    let unit = json!({"agency_id": created["id"], "call_sign": "SAT-01", "unit_type": "other",
                      "position": {"lon": 104.05, "lat": 1.13}});
    let dispatcher = srv.demo_login("dispatch.damkar").await;
    assert_error(
        &srv.post("/api/v1/units", &dispatcher, unit.clone()).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, body) = srv.post("/api/v1/units", &admin, unit).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "available");
    assert_eq!(body["position"]["lon"], 104.05);
}

async fn dispatcher_sees_and_changes_only_its_own_agencys_units(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let damkar = srv.demo_login("dispatch.damkar").await;
    let damkar_id = srv.agency_id(&damkar, "DAMKAR-BTM").await;
    let police_id = srv.agency_id(&damkar, "POLRESTA-BRL").await;

    // Listing without a filter shows only the dispatcher's own agency.
    let (_, all) = srv.get("/api/v1/units", &damkar).await;
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|u| u["agency_id"] == damkar_id.as_str()));

    // Another agency's units are refused, by list and by id.
    let denied = srv
        .get(&format!("/api/v1/units?agency_id={police_id}"), &damkar)
        .await;
    assert_error(&denied, StatusCode::FORBIDDEN, "forbidden");
    let supervisor = srv.demo_login("supervisor").await;
    let police_units = units_of(&srv, &supervisor, &police_id).await;
    let police_unit = police_units[0]["id"].as_str().unwrap();
    assert_error(
        &srv.get(&format!("/api/v1/units/{police_unit}"), &damkar)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let change = srv
        .call(
            Method::PATCH,
            &format!("/api/v1/units/{police_unit}/status"),
            Some(&damkar),
            Some(json!({"status": "out_of_service"})),
        )
        .await;
    assert_error(&change, StatusCode::FORBIDDEN, "forbidden");

    // Its own unit: allowed, and audited.
    let own = all[0]["id"].as_str().unwrap();
    let (status, body) = srv
        .call(
            Method::PATCH,
            &format!("/api/v1/units/{own}/status"),
            Some(&damkar),
            Some(json!({"status": "out_of_service"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "out_of_service");
    let (_, audit) = srv
        .get(
            &format!("/api/v1/audit?subject_id={own}&action=unit.status"),
            &supervisor,
        )
        .await;
    assert_eq!(audit.as_array().unwrap().len(), 1, "{audit}");
    assert_eq!(audit[0]["before"]["status"], "available");
    assert_eq!(audit[0]["after"]["status"], "out_of_service");

    // Statuses that follow assignments cannot be set by hand; the error lists what can.
    let bad = srv
        .call(
            Method::PATCH,
            &format!("/api/v1/units/{own}/status"),
            Some(&damkar),
            Some(json!({"status": "on_scene"})),
        )
        .await;
    let err = assert_error(&bad, StatusCode::CONFLICT, "invalid_transition");
    assert_eq!(err["allowed"], json!(["available"]));
}

async fn responder_sees_and_changes_only_its_own_unit(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let responder = srv.demo_login("amb01").await;
    let (_, me) = srv.get("/api/v1/auth/me", &responder).await;
    let own = me["unit_id"].as_str().unwrap().to_owned();
    let (_, visible) = srv.get("/api/v1/units", &responder).await;
    let visible = visible.as_array().unwrap();
    assert_eq!(visible.len(), 1);
    assert_eq!(visible[0]["id"], own.as_str());
    assert_eq!(visible[0]["call_sign"], "AMB-01");

    let supervisor = srv.demo_login("supervisor").await;
    let dinkes = srv.agency_id(&supervisor, "DINKES-BTM").await;
    let colleague = units_of(&srv, &supervisor, &dinkes)
        .await
        .into_iter()
        .find(|u| u["call_sign"] == "AMB-02")
        .unwrap();
    let colleague = colleague["id"].as_str().unwrap();
    assert_error(
        &srv.get(&format!("/api/v1/units/{colleague}"), &responder)
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let change = srv
        .call(
            Method::PATCH,
            &format!("/api/v1/units/{colleague}/status"),
            Some(&responder),
            Some(json!({"status": "out_of_service"})),
        )
        .await;
    assert_error(&change, StatusCode::FORBIDDEN, "forbidden");
    let (status, _) = srv
        .call(
            Method::PATCH,
            &format!("/api/v1/units/{own}/status"),
            Some(&responder),
            Some(json!({"status": "out_of_service"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // A call taker cannot change unit statuses at all.
    let taker = srv.demo_login("operator1").await;
    let change = srv
        .call(
            Method::PATCH,
            &format!("/api/v1/units/{own}/status"),
            Some(&taker),
            Some(json!({"status": "available"})),
        )
        .await;
    assert_error(&change, StatusCode::FORBIDDEN, "forbidden");
}

async fn audit_trail_is_for_supervisors_and_admins(engine: Engine) {
    let srv = TestServer::start(engine).await;
    for user in ["operator1", "dispatch.polres", "ptl01"] {
        let token = srv.demo_login(user).await;
        assert_error(
            &srv.get("/api/v1/audit", &token).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    for user in ["supervisor", "admin"] {
        let token = srv.demo_login(user).await;
        let (status, body) = srv.get("/api/v1/audit?action=session.login", &token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(!body.as_array().unwrap().is_empty());
    }
}

async fn every_protected_endpoint_refuses_a_missing_token(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let (_, doc) = srv.call(Method::GET, "/api/openapi.json", None, None).await;
    let paths = doc["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            if op.get("security").is_none() {
                continue;
            }
            let concrete = path.replace("{id}", "00000000-0000-0000-0000-000000000000");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let got = srv.call(method.clone(), &concrete, None, None).await;
            assert_error(&got, StatusCode::UNAUTHORIZED, "unauthenticated");
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} protected operations found");
}
