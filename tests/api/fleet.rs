//! The fleet as dispatchers see it: a unit added through the API is recommendable at once, follows its fixes
//! and its duty status, and appears on its OPD's live map.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use siaga_tests::{Engine, TestServer, engine_tests};

engine_tests!(a_unit_added_through_the_api_is_recommended_at_once_and_follows_its_fixes_and_duty,);

/// The nearest ambulances to a point, as the dispatcher's recommendations rank them.
async fn nearest(srv: &TestServer, token: &str, lon: f64, lat: f64) -> Value {
    let (s, v) = srv
        .get(
            &format!("/api/v1/geo/nearest?lon={lon}&lat={lat}&unit_type=ambulance"),
            token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

fn first_unit(found: &Value) -> &str {
    found["units"][0]["unit_id"].as_str().unwrap_or_default()
}

async fn a_unit_added_through_the_api_is_recommended_at_once_and_follows_its_fixes_and_duty(
    engine: Engine,
) {
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let dispatcher = srv.demo_login("dispatch.dinkes").await;
    let dinkes = srv.agency_id(&admin, "DINKES-BTM").await;
    let mut map = srv.ws(&dispatcher).await;
    assert_eq!(map.next().await["type"], "hello");

    // A new ambulance parked where no demo unit is.
    let (s, unit) = srv
        .post(
            "/api/v1/units",
            &admin,
            json!({"agency_id": dinkes, "call_sign": "AMB-77", "unit_type": "ambulance",
                   "position": {"lon": 104.12, "lat": 1.05}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{unit}");
    let id = unit["id"].as_str().unwrap().to_owned();

    // Recommended at once, nearest to its station.
    let found = nearest(&srv, &dispatcher, 104.12, 1.05).await;
    assert_eq!(first_unit(&found), id, "{found}");
    assert!(
        found["units"][0]["distance_m"].as_f64().unwrap() < 1.0,
        "{found}"
    );

    // Its OPD's map learns of it live.
    let created = map.next_of("unit.created").await;
    assert_eq!(created["unit_id"], id.as_str(), "{created}");
    assert_eq!(created["unit"]["call_sign"], "AMB-77", "{created}");

    // Its first GPS fix, 17 km from the station, moves it in the index.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let (s, v) = srv
        .post(
            &format!("/api/v1/units/{id}/position"),
            &admin,
            json!({"lon": 103.98, "lat": 1.16, "accuracy_m": 5.0, "at": now}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let found = nearest(&srv, &dispatcher, 103.98, 1.16).await;
    assert_eq!(first_unit(&found), id, "{found}");
    assert!(
        found["units"][0]["distance_m"].as_f64().unwrap() < 1.0,
        "{found}"
    );

    // Off duty: no longer recommended, and the nearest skipped unit says why.
    let (s, v) = srv
        .call(
            Method::PATCH,
            &format!("/api/v1/units/{id}/status"),
            Some(&dispatcher),
            Some(json!({"status": "out_of_service"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let found = nearest(&srv, &dispatcher, 103.98, 1.16).await;
    assert_ne!(first_unit(&found), id, "{found}");
    let skipped = found["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["unit_id"] == id.as_str())
        .unwrap_or_else(|| panic!("not among the skipped: {found}"));
    assert_eq!(skipped["reason"]["reason"], "out_of_service", "{found}");
}
