//! Address search for call takers: a caller names a district, a village or a hospital, and the console puts
//! the pin inside it.

use reqwest::StatusCode;
use serde_json::Value;
use siaga_tests::{Engine, TestServer, assert_error, engine_tests};

engine_tests!(places_are_found_by_part_of_their_name_and_pinned_inside_them,);

async fn search(srv: &TestServer, token: &str, q: &str) -> Vec<Value> {
    let (s, v) = srv
        .get(
            &format!("/api/v1/geo/search?q={}", q.replace(' ', "%20")),
            token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

async fn places_are_found_by_part_of_their_name_and_pinned_inside_them(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let taker = srv.demo_login("operator1").await;

    // A district by its words typed in part, any case: the pin goes inside it.
    let found = search(&srv, &taker, "BATAM kot&lon=104.05&lat=1.13").await;
    let first = &found[0];
    assert_eq!(
        (&first["kind"], &first["id"], &first["detail"]),
        (&"region".into(), &"21.71.10".into(), &"district".into()),
        "{found:?}"
    );
    assert_eq!(first["context"], "Kota Batam (DEMO)", "{first}");
    let (lon, lat) = (
        first["position"]["lon"].as_f64().unwrap(),
        first["position"]["lat"].as_f64().unwrap(),
    );
    let (s, located) = srv
        .get(&format!("/api/v1/geo/locate?lon={lon}&lat={lat}"), &taker)
        .await;
    assert_eq!(s, StatusCode::OK, "{located}");
    let chain: Vec<&str> = located["region_chain"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["inside"] == true)
        .filter_map(|l| l["code"].as_str())
        .collect();
    assert!(chain.contains(&"21.71.10"), "{located}");

    // A hospital is a landmark: found by a word of its name, at its own position, with its district.
    let found = search(&srv, &taker, "awal bros").await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["kind"], "facility");
    assert_eq!(found[0]["detail"], "hospital");
    assert_eq!(
        (&found[0]["position"]["lon"], &found[0]["position"]["lat"]),
        (&104.047.into(), &1.133.into())
    );
    assert!(
        found[0]["context"]
            .as_str()
            .unwrap()
            .starts_with("Kota Batam (DEMO)"),
        "{found:?}"
    );
    assert!(search(&srv, &taker, "surabaya").await.is_empty());

    // Bad queries name the parameter; responders have no use for it.
    for (query, field) in [
        ("q=a", "q"),
        ("q=batam&limit=50", "limit"),
        ("q=batam&lon=104.05", "lat"),
        ("q=batam&lon=104.05&lat=95", "lat"),
    ] {
        let e = assert_error(
            &srv.get(&format!("/api/v1/geo/search?{query}"), &taker)
                .await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        );
        assert_eq!(e["field"], field, "{e}");
    }
    let responder = srv.demo_login("amb01").await;
    assert_error(
        &srv.get("/api/v1/geo/search?q=batam", &responder).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}
