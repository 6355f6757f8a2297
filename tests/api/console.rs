//! What the call taker's console reads back: its own open calls after a reload, the incidents it filed, and
//! the OPDs an incident of a category would go to before it is filed.

use reqwest::StatusCode;
use serde_json::{Value, json};
use siaga_tests::{Engine, TestServer, engine_tests};

engine_tests!(
    a_call_taker_reads_back_only_its_own_open_calls,
    a_call_taker_lists_only_the_incidents_it_filed,
    locate_names_the_opds_an_incident_of_the_category_goes_to,
);

/// Batam Centre, inside the demo district 21.71.10.
const LON: f64 = 104.0537;
#[expect(
    clippy::approx_constant,
    reason = "Batam Centre's latitude happens to resemble 2/sqrt(pi)"
)]
const LAT: f64 = 1.1283;

async fn answered_call(srv: &TestServer, token: &str, ani: &str) -> String {
    let (s, call) = srv
        .post(
            "/api/v1/calls",
            token,
            json!({"ani": ani, "channel": "voice"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{call}");
    let id = call["id"].as_str().unwrap().to_owned();
    let (s, c) = srv
        .post(&format!("/api/v1/calls/{id}/answer"), token, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    id
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect()
}

async fn a_call_taker_reads_back_only_its_own_open_calls(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let one = srv.demo_login("operator1").await;
    let two = srv.demo_login("operator2").await;
    let mine = answered_call(&srv, &one, "081211110001").await;
    let (s, _) = srv
        .post(
            &format!("/api/v1/calls/{mine}/classify"),
            &one,
            json!({"class": "emergency", "notes": "Asap dari gudang"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let ended = answered_call(&srv, &one, "081211110002").await;
    let (s, _) = srv
        .post(&format!("/api/v1/calls/{ended}/end"), &one, json!({}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let theirs = answered_call(&srv, &two, "081322220003").await;

    let (s, list) = srv.get("/api/v1/calls?mine=true&open=true", &one).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(ids(&list), [mine.as_str()]);
    assert_eq!(list[0]["notes"], "Asap dari gudang");
    let (_, list) = srv.get("/api/v1/calls?mine=true", &one).await;
    assert_eq!(
        ids(&list).len(),
        2,
        "ended calls stay in the plain 'mine' list"
    );
    let (_, list) = srv.get("/api/v1/calls?mine=true&open=true", &two).await;
    assert_eq!(ids(&list), [theirs.as_str()]);
    let (s, err) = srv.get("/api/v1/calls?mine=maybe", &one).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
}

async fn file(srv: &TestServer, token: &str, call_id: &str) -> String {
    let (s, _) = srv
        .post(
            &format!("/api/v1/calls/{call_id}/classify"),
            token,
            json!({"class": "emergency"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, inc) = srv
        .post(
            "/api/v1/incidents",
            token,
            json!({"call_id": call_id, "category": "health", "priority": "p2",
                   "location": {"lon": LON, "lat": LAT}, "victims": {"count": 1, "condition": "minor"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{inc}");
    inc["id"].as_str().unwrap().to_owned()
}

async fn a_call_taker_lists_only_the_incidents_it_filed(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let one = srv.demo_login("operator1").await;
    let two = srv.demo_login("operator2").await;
    let call = answered_call(&srv, &one, "081211110001").await;
    let mine = file(&srv, &one, &call).await;
    let call = answered_call(&srv, &two, "081322220002").await;
    let theirs = file(&srv, &two, &call).await;

    let (s, list) = srv.get("/api/v1/incidents?mine=true", &one).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(ids(&list), [mine.as_str()]);
    let (_, list) = srv.get("/api/v1/incidents?mine=true", &two).await;
    assert_eq!(ids(&list), [theirs.as_str()]);
    let (_, list) = srv.get("/api/v1/incidents", &one).await;
    assert_eq!(
        ids(&list).len(),
        2,
        "without the filter the desk sees its region's"
    );
}

fn receiving(loc: &Value) -> Vec<(&str, &str)> {
    loc["receiving"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["agency_type"].as_str().unwrap(),
                r["agency_id"].as_str().unwrap(),
            )
        })
        .collect()
}

async fn locate_names_the_opds_an_incident_of_the_category_goes_to(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let taker = srv.demo_login("operator1").await;
    let health = srv.agency_id(&taker, "DINKES-BTM").await;
    let fire = srv.agency_id(&taker, "DAMKAR-BTM").await;
    let at = format!("/api/v1/geo/locate?lon={LON}&lat={LAT}");

    let (s, loc) = srv.get(&at, &taker).await;
    assert_eq!(s, StatusCode::OK, "{loc}");
    assert!(loc.get("receiving").is_none(), "{loc}");
    assert!(loc["agencies"].as_object().unwrap().len() > 2);

    let (_, loc) = srv.get(&format!("{at}&category=health"), &taker).await;
    assert_eq!(receiving(&loc), [("health", health.as_str())]);
    let (_, loc) = srv.get(&format!("{at}&category=fire"), &taker).await;
    assert_eq!(receiving(&loc), [("fire", fire.as_str())]);
    let (_, loc) = srv
        .get(&format!("{at}&category=fire&victims=2"), &taker)
        .await;
    assert_eq!(
        receiving(&loc),
        [("fire", fire.as_str()), ("health", health.as_str())]
    );
    let (s, err) = srv.get(&format!("{at}&category=flood"), &taker).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{err}");
}
