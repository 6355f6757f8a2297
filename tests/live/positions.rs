//! Position intake over HTTP: validation, coalesced events, batched track.

use crate::{append, chrono_now_ms, event};
use reqwest::StatusCode;
use serde_json::{Value, json};
use siaga_tests::{Engine, TestServer, WS_WAIT, assert_error, engine_tests};

engine_tests!(
    invalid_fixes_are_refused_with_a_reason,
    position_events_are_coalesced_and_the_track_is_stored,
    an_acknowledged_fix_is_already_stored_and_a_resent_fix_counts_once,
    a_buffered_track_arrives_in_one_batch_stored_before_the_answer,
    a_gateway_batch_reads_its_new_units_with_their_last_stored_fixes,
);

async fn post_fix(srv: &TestServer, token: &str, unit: &str, fix: Value) -> (StatusCode, Value) {
    srv.post(&format!("/api/v1/units/{unit}/position"), token, fix)
        .await
}

async fn invalid_fixes_are_refused_with_a_reason(engine: Engine) {
    let srv = TestServer::demo_with(engine, |c| c.live.poll_interval_ms = 20).await;
    let admin = srv.demo_login("admin").await;
    let dmk01 = srv.demo_login("dmk01").await;
    let dispatcher = srv.demo_login("dispatch.damkar").await;
    let unit = srv.unit_id(&admin, "DMK-01").await;
    let amb = srv.unit_id(&admin, "AMB-01").await;
    let now = chrono_now_ms();

    let ok = post_fix(
        &srv,
        &dmk01,
        &unit,
        json!({"lat": 1.1301, "lon": 104.0301, "at": now}),
    )
    .await;
    assert_eq!(ok.0, StatusCode::ACCEPTED, "{}", ok.1);
    assert_eq!(ok.1["position_at"], now);

    let e = assert_error(
        &post_fix(
            &srv,
            &dmk01,
            &unit,
            json!({"lat": 100.0, "lon": 104.0, "at": now + 1000}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "lat");
    let e = assert_error(
        &post_fix(
            &srv,
            &dmk01,
            &unit,
            json!({"lat": 1.13, "lon": 104.03, "speed_mps": -3.0, "at": now + 1000}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "speed_mps");
    let e = assert_error(
        &post_fix(
            &srv,
            &dmk01,
            &unit,
            json!({"lat": 1.13, "lon": 104.03, "at": now - 1000}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "at");
    // About 50 km in 10 s.
    let e = assert_error(
        &post_fix(
            &srv,
            &dmk01,
            &unit,
            json!({"lat": 1.58, "lon": 104.03, "at": now + 10_000}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert!(e["message"].as_str().unwrap().contains("km/h"), "{e}");
    let e = assert_error(
        &post_fix(
            &srv,
            &dmk01,
            &unit,
            json!({"lat": 1.13, "lon": 104.03, "at": now + 3_600_000}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "at");
    let e = assert_error(
        &post_fix(&srv, &dmk01, &unit, json!({"lat": 1.13, "at": now + 1000})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "lon");
    assert_error(
        &srv.call(
            reqwest::Method::POST,
            &format!("/api/v1/units/{unit}/position"),
            Some(&dmk01),
            Some(Value::String("{".into())),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_error(
        &post_fix(
            &srv,
            &dmk01,
            &amb,
            json!({"lat": 1.13, "lon": 104.03, "at": now + 1000}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &post_fix(
            &srv,
            &dispatcher,
            &unit,
            json!({"lat": 1.13, "lon": 104.03, "at": now + 1000}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &post_fix(
            &srv,
            &admin,
            "no-such-unit",
            json!({"lat": 1.13, "lon": 104.03, "at": now}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    // The refused fixes did not move the unit: a fix 2 s after the first one, nearby, is fine.
    let ok = post_fix(
        &srv,
        &dmk01,
        &unit,
        json!({"lat": 1.1302, "lon": 104.0302, "at": now + 2000}),
    )
    .await;
    assert_eq!(ok.0, StatusCode::ACCEPTED, "{}", ok.1);
}

async fn position_events_are_coalesced_and_the_track_is_stored(engine: Engine) {
    // Arrange: one event per unit per second at most.
    let srv = TestServer::demo_with(engine, |c| {
        c.live.poll_interval_ms = 20;
        c.live.position_event_interval_ms = 1000;
    })
    .await;
    let admin = srv.demo_login("admin").await;
    let dmk01 = srv.demo_login("dmk01").await;
    let unit = srv.unit_id(&admin, "DMK-01").await;
    let dispatcher = srv.demo_login("dispatch.damkar").await;
    let mut ws = srv.ws(&dispatcher).await;
    ws.next().await;
    let t0 = chrono_now_ms();

    // Act: five fixes, one second apart in device time, sent in a burst.
    for i in 0..5 {
        let fix = json!({"lat": 1.1301 + 0.0001 * f64::from(i), "lon": 104.0301, "accuracy_m": 5.0,
            "heading_deg": 0.0, "speed_mps": 11.0, "at": t0 + 1000 * i64::from(i)});
        let (status, body) = post_fix(&srv, &dmk01, &unit, fix).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    }

    // Assert: the first fix is published at once (or, if the writer ran only after later fixes arrived,
    // the newest fix then), the last one once the interval has passed; the fixes in between exist only in
    // the track. Published positions move forward and are at least the interval apart.
    let mut published = Vec::new();
    loop {
        let e = ws.next_of("unit.position").await;
        assert_eq!(e["unit_id"], unit.as_str());
        let done = e["position_at"] == t0 + 4000;
        published.push(e);
        if done {
            break;
        }
    }
    assert!(published.len() <= 2, "not coalesced: {published:?}");
    let fix_times: Vec<i64> = published
        .iter()
        .map(|e| e["position_at"].as_i64().unwrap())
        .collect();
    assert!(fix_times.windows(2).all(|w| w[0] < w[1]), "{fix_times:?}");
    if let [a, b] = &published[..] {
        let gap_ms = b["at"].as_i64().unwrap() - a["at"].as_i64().unwrap();
        assert!(gap_ms >= 900, "events {gap_ms} ms apart");
    }
    let last = published.last().unwrap();
    assert_eq!(last["lon"], 104.0301);
    assert_eq!(last["speed_mps"], 11.0);
    let marker = append(&srv, &[event("incident.updated", None, None, json!({}))]).await;
    let next = ws.next().await;
    assert_eq!(
        next["seq"], marker[0],
        "no further position event expected: {next}"
    );

    // The unit's position and the whole track are stored (in one batch, within the flush interval).
    let deadline = tokio::time::Instant::now() + WS_WAIT;
    loop {
        let (_, u) = srv.get(&format!("/api/v1/units/{unit}"), &admin).await;
        if u["position_at"] == t0 + 4000 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "unit position not stored: {u}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let store = srv.store().await;
    let track = store.unit_track(&unit, t0, t0 + 4000).await.unwrap();
    store.close().await;
    let times: Vec<i64> = track.iter().map(|p| p.at).collect();
    assert_eq!(times, (0..5).map(|i| t0 + 1000 * i).collect::<Vec<_>>());
    assert_eq!(track[4].speed_mps, Some(11.0));
}

async fn an_acknowledged_fix_is_already_stored_and_a_resent_fix_counts_once(engine: Engine) {
    // Arrange: a long track interval, so a fix that was only buffered would not be in the database yet.
    let srv = TestServer::demo_with(engine, |c| {
        c.live.poll_interval_ms = 20;
        c.live.track_flush_ms = 1500;
    })
    .await;
    let admin = srv.demo_login("admin").await;
    let dmk01 = srv.demo_login("dmk01").await;
    let unit = srv.unit_id(&admin, "DMK-01").await;
    let t0 = chrono_now_ms();
    let fix = json!({"lat": 1.1301, "lon": 104.0301, "accuracy_m": 5.0, "at": t0});

    // Act: the phone sends a fix; the answer is lost, so it sends the same fix again.
    let (status, body) = post_fix(&srv, &dmk01, &unit, fix.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let store = srv.store().await;
    let stored_at_ack = store.unit_track(&unit, t0, t0).await.unwrap();
    let (status, body) = post_fix(&srv, &dmk01, &unit, fix).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["position_at"], t0);
    // Another fix claiming the same instant at another place is still out of order.
    let e = assert_error(
        &post_fix(
            &srv,
            &dmk01,
            &unit,
            json!({"lat": 1.1302, "lon": 104.0301, "at": t0}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "at");

    // Assert: the acknowledged fix was in the track when the answer came, and the resend added nothing.
    assert_eq!(stored_at_ack.len(), 1, "acknowledged but not stored");
    assert_eq!(stored_at_ack[0].lat, 1.1301);
    let (status, body) = post_fix(
        &srv,
        &dmk01,
        &unit,
        json!({"lat": 1.1303, "lon": 104.0301, "at": t0 + 2000}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let track = store.unit_track(&unit, t0, t0 + 2000).await.unwrap();
    store.close().await;
    let times: Vec<i64> = track.iter().map(|p| p.at).collect();
    assert_eq!(times, vec![t0, t0 + 2000]);
}

async fn a_buffered_track_arrives_in_one_batch_stored_before_the_answer(engine: Engine) {
    // Arrange: a long track interval, so a batch answered before its write would show in the store.
    let srv = TestServer::demo_with(engine, |c| {
        c.live.poll_interval_ms = 20;
        c.live.track_flush_ms = 1500;
    })
    .await;
    let admin = srv.demo_login("admin").await;
    let dmk01 = srv.demo_login("dmk01").await;
    let dispatcher = srv.demo_login("dispatch.damkar").await;
    let unit = srv.unit_id(&admin, "DMK-01").await;
    let other = srv.unit_id(&admin, "AMB-01").await;
    // Fifty seconds of track buffered on the phone, one fix every 10 s and the newest just taken, plus one
    // fix for another unit and one impossible jump.
    let t0 = chrono_now_ms() - 50_000 + 1000;
    let mut fixes: Vec<Value> = (0..6)
        .map(|i| {
            json!({"unit_id": unit, "lat": 1.1301 + 0.0005 * f64::from(i), "lon": 104.0301,
            "accuracy_m": 5.0, "at": t0 + 10_000 * i64::from(i)})
        })
        .collect();
    fixes.insert(
        3,
        json!({"unit_id": other, "lat": 1.13, "lon": 104.03, "at": t0 + 25_000}),
    );
    fixes.push(json!({"unit_id": unit, "lat": 2.5, "lon": 104.0301, "at": t0 + 51_000}));

    // Act: the phone is back online and sends the batch.
    let (status, body) = srv
        .post("/api/v1/positions", &dmk01, json!({"fixes": fixes}))
        .await;

    // Assert: six accepted and stored when the answer came; the other unit's fix and the jump refused, by
    // index, with the error a single fix gets.
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accepted"], 6, "{body}");
    let refused = body["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 2, "{body}");
    assert_eq!(refused[0]["index"], 3);
    assert_eq!(refused[0]["code"], "forbidden");
    assert_eq!(refused[1]["index"], 7);
    assert_eq!(refused[1]["code"], "validation_failed");
    let store = srv.store().await;
    let track = store.unit_track(&unit, t0, t0 + 60_000).await.unwrap();
    let times: Vec<i64> = track.iter().map(|p| p.at).collect();
    assert_eq!(times, (0..6).map(|i| t0 + 10_000 * i).collect::<Vec<_>>());

    // The unit stands at its newest fix.
    let (_, u) = srv.get(&format!("/api/v1/units/{unit}"), &admin).await;
    assert_eq!(u["position_at"], t0 + 50_000, "{u}");

    // Sent again (the answer was lost): nothing is stored twice.
    let (status, body) = srv
        .post("/api/v1/positions", &dmk01, json!({"fixes": fixes}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let track = store.unit_track(&unit, t0, t0 + 60_000).await.unwrap();
    store.close().await;
    assert_eq!(track.len(), 6);

    // A dispatcher may not send fixes; an empty batch names the field.
    let (status, _) = srv
        .post(
            "/api/v1/positions",
            &dispatcher,
            json!({"fixes": [fixes[0]]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let e = assert_error(
        &srv.post("/api/v1/positions", &admin, json!({"fixes": []}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "fixes");
}

async fn a_gateway_batch_reads_its_new_units_with_their_last_stored_fixes(engine: Engine) {
    // Arrange: a tracking gateway (an admin) reports units this instance never tracked. AMB-02's newest
    // stored fix (sent before a restart, or to another instance) lies 10 km away, 20 s before the batch's;
    // an older one lies where the batch's fix is. AMB-03 never sent a fix.
    let srv = TestServer::demo_with(engine, |c| c.live.poll_interval_ms = 20).await;
    let admin = srv.demo_login("admin").await;
    let [amb2, amb3, dmk2] = [
        srv.unit_id(&admin, "AMB-02").await,
        srv.unit_id(&admin, "AMB-03").await,
        srv.unit_id(&admin, "DMK-02").await,
    ];
    let t0 = chrono_now_ms() - 60_000;
    let stored = |at: i64, lat: f64| siaga::store::TrackPoint {
        unit_id: amb2.clone(),
        at,
        lon: 104.03,
        lat,
        accuracy_m: Some(5.0),
        heading_deg: None,
        speed_mps: None,
        flagged: None,
    };
    let store = srv.store().await;
    let earlier = [stored(t0 - 60_000, 1.13), stored(t0, 1.22)];
    store
        .record_positions(t0, &earlier, &[], &[])
        .await
        .unwrap();

    // Act: one batch for the three units and an id of no unit, twice.
    let fixes = json!([
        {"unit_id": amb2, "lat": 1.13, "lon": 104.03, "at": t0 + 20_000},
        {"unit_id": "no-such-unit", "lat": 1.13, "lon": 104.03, "at": t0 + 20_000},
        {"unit_id": amb3, "lat": 1.14, "lon": 104.04, "at": t0 + 20_000},
        {"unit_id": dmk2, "lat": 1.15, "lon": 104.05, "at": t0 + 20_000},
        {"unit_id": "no-such-unit", "lat": 1.13, "lon": 104.03, "at": t0 + 21_000},
        {"unit_id": amb2, "lat": 1.2195, "lon": 104.03, "at": t0 + 30_000},
    ]);
    let (status, body) = srv
        .post("/api/v1/positions", &admin, json!({"fixes": fixes}))
        .await;

    // Assert: AMB-02's first fix is checked against its newest stored fix, not the older one: 10 km in
    // 20 s is refused. The unknown id is refused at each of its indexes; the rest is on the track.
    assert_eq!(status, StatusCode::OK, "{body}");
    let refused: Vec<(u64, &str, &str)> = body["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap(),
                r["code"].as_str().unwrap(),
                r["unit_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        refused,
        vec![
            (0, "validation_failed", amb2.as_str()),
            (1, "not_found", "no-such-unit"),
            (4, "not_found", "no-such-unit"),
        ],
        "{body}"
    );
    assert_eq!(body["accepted"], 3, "{body}");
    let amb2_track = store.unit_track(&amb2, t0 + 1, t0 + 60_000).await.unwrap();
    let amb3_track = store.unit_track(&amb3, t0, t0 + 60_000).await.unwrap();
    let dmk2_track = store.unit_track(&dmk2, t0, t0 + 60_000).await.unwrap();
    store.close().await;
    assert_eq!(
        amb2_track.iter().map(|p| p.at).collect::<Vec<_>>(),
        vec![t0 + 30_000]
    );
    assert_eq!(amb3_track.len(), 1);
    assert_eq!(dmk2_track.len(), 1);
}
