//! The fleet as dispatchers see it: a unit added through the API is recommendable at once, follows its fixes
//! and its duty status, and appears on its OPD's live map.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use siaga_tests::{Engine, TestServer, engine_tests};

engine_tests!(
    a_unit_added_through_the_api_is_recommended_at_once_and_follows_its_fixes_and_duty,
    an_admin_renames_an_agency_and_changes_its_phone_audited,
);

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

async fn an_admin_renames_an_agency_and_changes_its_phone_audited(engine: Engine) {
    // Arrange
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let dispatcher = srv.demo_login("dispatch.dinkes").await;
    let dinkes = srv.agency_id(&admin, "DINKES-BTM").await;
    let path = format!("/api/v1/agencies/{dinkes}");

    // Act: a new phone only, then a new name only.
    let (s, phoned) = srv
        .call(
            Method::PATCH,
            &path,
            Some(&admin),
            Some(json!({"phone": "0778-119"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{phoned}");
    let (s, renamed) = srv
        .call(
            Method::PATCH,
            &path,
            Some(&admin),
            Some(json!({"name": "  PSC 119 Batam  "})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{renamed}");

    // Assert: each change keeps the other field, code, type and region; the list shows it; both are audited.
    assert_eq!(phoned["phone"], "0778-119");
    assert_eq!(renamed["name"], "PSC 119 Batam");
    assert_eq!(renamed["phone"], "0778-119");
    assert_eq!(renamed["code"], "DINKES-BTM");
    assert_eq!(renamed["agency_type"], "health");
    let (_, all) = srv.get("/api/v1/agencies", &dispatcher).await;
    let listed = all
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == dinkes.as_str())
        .unwrap();
    assert_eq!(listed["name"], "PSC 119 Batam");
    let (_, audit) = srv
        .get(
            &format!("/api/v1/audit?action=agency.update&subject_id={dinkes}"),
            &admin,
        )
        .await;
    assert_eq!(audit.as_array().map(Vec::len), Some(2), "{audit}");

    // Refusals name the field; only admins edit.
    for (body, field) in [
        (json!({"name": "   "}), "name"),
        (json!({}), "name"),
        (json!({"phone": "nomor"}), "phone"),
        (json!({"code": "X"}), "code"),
    ] {
        let e = siaga_tests::assert_error(
            &srv.call(Method::PATCH, &path, Some(&admin), Some(body.clone()))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(e["field"], field, "{body}: {e}");
    }
    siaga_tests::assert_error(
        &srv.call(
            Method::PATCH,
            &path,
            Some(&dispatcher),
            Some(json!({"phone": "112"})),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    siaga_tests::assert_error(
        &srv.call(
            Method::PATCH,
            "/api/v1/agencies/nope",
            Some(&admin),
            Some(json!({"phone": "112"})),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
}
