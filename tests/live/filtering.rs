//! Who receives what: each role and agency (OPD) gets exactly the events it may see.

use crate::{append, chrono_now_ms, event, events_until, server};
use reqwest::StatusCode;
use serde_json::{Value, json};
use siaga_tests::{Engine, engine_tests};

engine_tests!(
    each_client_receives_only_what_its_role_and_agency_may_see,
    a_missing_or_bad_token_is_refused_before_the_upgrade,
    a_unit_put_off_duty_is_announced_to_its_agency_and_no_longer_recommended,
);

fn types(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .map(|f| {
            format!(
                "{}:{}",
                f["type"].as_str().unwrap(),
                f["label"].as_str().unwrap_or("")
            )
        })
        .collect()
}

async fn each_client_receives_only_what_its_role_and_agency_may_see(engine: Engine) {
    // Arrange
    let srv = server(engine).await;
    let supervisor = srv.demo_login("supervisor").await;
    let damkar_id = srv.agency_id(&supervisor, "DAMKAR-BTM").await;
    let polres_id = srv.agency_id(&supervisor, "POLRESTA-BRL").await;
    let dinkes_id = srv.agency_id(&supervisor, "DINKES-BTM").await;
    let amb01_unit = srv.unit_id(&supervisor, "AMB-01").await;
    let dmk01_unit = srv.unit_id(&supervisor, "DMK-01").await;

    let mut clients = Vec::new();
    for user in [
        "supervisor",
        "operator1",
        "dispatch.damkar",
        "dispatch.polres",
        "amb01",
    ] {
        let token = srv.demo_login(user).await;
        let mut ws = srv.ws(&token).await;
        let hello = ws.next().await;
        assert_eq!(hello["type"], "hello", "{hello}");
        assert_eq!(hello["user"]["username"], user);
        assert_eq!(hello["resumed"], false);
        clients.push((user, ws));
    }

    // Act: a real endpoint (a Damkar responder's GPS fix) …
    let dmk01 = srv.demo_login("dmk01").await;
    let fix = json!({"lat": 1.1301, "lon": 104.0301, "accuracy_m": 8.0, "at": chrono_now_ms()});
    let (status, body) = srv
        .post(&format!("/api/v1/units/{dmk01_unit}/position"), &dmk01, fix)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let position = clients[0].1.next_of("unit.position").await;
    assert_eq!(position["unit_id"], dmk01_unit.as_str());
    // … and events of producers that have no endpoint yet, with each kind of audience.
    let seqs = append(
        &srv,
        &[
            event(
                "incident.created",
                Some(vec![&polres_id]),
                None,
                json!({"label": "polres-only"}),
            ),
            event(
                "assignment.created",
                Some(vec![&dinkes_id]),
                Some(&amb01_unit),
                json!({"label": "amb01"}),
            ),
            event(
                "incident.escalated",
                Some(vec![&damkar_id, &polres_id]),
                None,
                json!({"label": "damkar+polres"}),
            ),
            event(
                "sla.breach",
                Some(vec![]),
                None,
                json!({"label": "no-agency"}),
            ),
            event(
                "incident.updated",
                None,
                Some(&amb01_unit),
                json!({"label": "marker"}),
            ),
        ],
    )
    .await;
    let marker = *seqs.last().unwrap();

    // Assert
    let expected: &[(&str, &[&str])] = &[
        (
            "supervisor",
            &[
                "incident.created:polres-only",
                "assignment.created:amb01",
                "incident.escalated:damkar+polres",
                "sla.breach:no-agency",
                "incident.updated:marker",
            ],
        ),
        (
            "operator1",
            &[
                "incident.created:polres-only",
                "incident.escalated:damkar+polres",
                "incident.updated:marker",
            ],
        ),
        (
            "dispatch.damkar",
            &[
                "unit.position:",
                "incident.escalated:damkar+polres",
                "incident.updated:marker",
            ],
        ),
        (
            "dispatch.polres",
            &[
                "incident.created:polres-only",
                "incident.escalated:damkar+polres",
                "incident.updated:marker",
            ],
        ),
        (
            "amb01",
            &["assignment.created:amb01", "incident.updated:marker"],
        ),
    ];
    for ((user, ws), (expected_user, expected_types)) in clients.iter_mut().zip(expected) {
        assert_eq!(user, expected_user);
        let got = events_until(ws, marker).await;
        let got = if *user == "supervisor" {
            got.into_iter()
                .filter(|f| f["type"] != "unit.position")
                .collect()
        } else {
            got
        };
        assert_eq!(types(&got), *expected_types, "{user}");
        crate::assert_increasing(&crate::seqs(&got));
    }
}

async fn a_missing_or_bad_token_is_refused_before_the_upgrade(engine: Engine) {
    let srv = server(engine).await;
    let err = siaga_tests::WsClient::try_connect(&srv.base, "not-a-token", None)
        .await
        .err()
        .unwrap();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => {
            assert_eq!(resp.status().as_u16(), 401);
        }
        other => panic!("expected an HTTP 401, got {other}"),
    }
    // Browsers pass the token as a query parameter.
    let token = srv.demo_login("dispatch.damkar").await;
    let url = format!(
        "{}/api/v1/ws?access_token={token}",
        srv.base.replacen("http", "ws", 1)
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    use futures::StreamExt;
    let first = ws.next().await.unwrap().unwrap();
    let hello: Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["role"], "dispatcher");
}

async fn a_unit_put_off_duty_is_announced_to_its_agency_and_no_longer_recommended(engine: Engine) {
    // Arrange: DMK-01 has a fresh position; Damkar's and Polres' dispatchers watch.
    let srv = server(engine).await;
    let admin = srv.demo_login("admin").await;
    let dmk01 = srv.demo_login("dmk01").await;
    let unit = srv.unit_id(&admin, "DMK-01").await;
    let (lon, lat) = (104.0301, 1.1301);
    let fix = json!({"lat": lat, "lon": lon, "at": chrono_now_ms()});
    let (status, body) = srv
        .post(&format!("/api/v1/units/{unit}/position"), &dmk01, fix)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let damkar = srv.demo_login("dispatch.damkar").await;
    let polres = srv.demo_login("dispatch.polres").await;
    let mut ws_damkar = srv.ws(&damkar).await;
    ws_damkar.next().await;
    let mut ws_polres = srv.ws(&polres).await;
    ws_polres.next().await;
    let nearest = format!("/api/v1/geo/nearest?lon={lon}&lat={lat}&k=50");
    let (_, before) = srv.get(&nearest, &damkar).await;
    let listed = |v: &Value| {
        v["units"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["unit_id"] == unit.as_str())
    };
    assert!(listed(&before), "{before}");

    // Act: the crew goes off duty from the phone.
    let (status, body) = srv
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/units/{unit}/status"),
            Some(&dmk01),
            Some(json!({"status": "out_of_service"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "out_of_service");

    // Assert: Damkar's dispatcher sees it live; Polres' does not; recommendations skip the unit.
    let e = ws_damkar.next_of("unit.status").await;
    assert_eq!(e["unit_id"], unit.as_str());
    assert_eq!(e["status"], "out_of_service");
    assert_eq!(e["from"], "available");
    let marker = append(&srv, &[event("incident.updated", None, None, json!({}))]).await;
    let got = events_until(&mut ws_polres, marker[0]).await;
    assert!(got.iter().all(|f| f["type"] != "unit.status"), "{got:?}");
    let (_, after) = srv.get(&nearest, &damkar).await;
    assert!(!listed(&after), "{after}");
    let excluded = after["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["unit_id"] == unit.as_str())
        .unwrap_or_else(|| panic!("{after}"));
    assert_eq!(excluded["reason"]["reason"], "out_of_service");
}
