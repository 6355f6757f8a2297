//! Client messages: malformed ones get an error frame and the connection stays usable.

use crate::{append, broadcast, chrono_now_ms, events_until, seqs, server};
use serde_json::json;
use siaga_tests::{Engine, engine_tests};

engine_tests!(
    malformed_client_messages_get_an_error_frame_and_the_connection_is_kept,
    positions_over_the_socket_are_acknowledged_or_refused_with_a_reason,
);

async fn malformed_client_messages_get_an_error_frame_and_the_connection_is_kept(engine: Engine) {
    let srv = server(engine).await;
    let token = srv.demo_login("amb01").await;
    let supervisor = srv.demo_login("supervisor").await;
    let unit = srv.unit_id(&supervisor, "AMB-01").await;
    let mut ws = srv.ws(&token).await;
    assert_eq!(ws.next().await["type"], "hello");

    ws.send_text("this is not JSON").await;
    let e = ws.next_of("error").await;
    assert_eq!(e["code"], "invalid_json", "{e}");

    ws.send_json(&json!({"type": "dance", "ref": 7})).await;
    let e = ws.next_of("error").await;
    assert_eq!(e["code"], "bad_request", "{e}");
    assert_eq!(e["field"], "type");
    assert_eq!(e["ref"], 7);

    ws.send_json(&json!([1, 2, 3])).await;
    assert_eq!(ws.next_of("error").await["field"], "type");

    ws.send_binary(vec![0, 159, 146, 150]).await;
    assert_eq!(ws.next_of("error").await["code"], "bad_request");

    ws.send_json(&json!({"type": "position", "lat": "north", "lon": 104.0, "at": chrono_now_ms()}))
        .await;
    let e = ws.next_of("error").await;
    assert_eq!(e["code"], "validation_failed", "{e}");
    assert_eq!(e["field"], "lat");

    ws.send_json(&json!({"type": "position", "lat": 1.1, "lon": 104.0, "at": 1, "color": "red"}))
        .await;
    assert_eq!(ws.next_of("error").await["code"], "validation_failed");

    // Still connected: events flow and a good message is accepted.
    let written = append(
        &srv,
        &[crate::event(
            "incident.updated",
            None,
            Some(&unit),
            json!({"label": "still here"}),
        )],
    )
    .await;
    let got = events_until(&mut ws, written[0]).await;
    assert_eq!(seqs(&got), written);
    ws.send_json(
        &json!({"type": "position", "ref": "p1", "lat": 1.1285, "lon": 104.0538,
        "accuracy_m": 6.0, "heading_deg": 45.0, "speed_mps": 3.5, "at": chrono_now_ms()}),
    )
    .await;
    let ack = ws.next_of("position_ack").await;
    assert_eq!(ack["ref"], "p1");
    assert_eq!(ack["unit_id"], unit.as_str());
    let _ = broadcast;
}

async fn positions_over_the_socket_are_acknowledged_or_refused_with_a_reason(engine: Engine) {
    let srv = server(engine).await;
    let supervisor = srv.demo_login("supervisor").await;
    let amb02 = srv.unit_id(&supervisor, "AMB-02").await;
    let now = chrono_now_ms();

    // A dispatcher has no unit and may not report one.
    let dispatcher = srv.demo_login("dispatch.dinkes").await;
    let mut ws = srv.ws(&dispatcher).await;
    ws.next().await;
    ws.send_json(&json!({"type": "position", "lat": 1.1, "lon": 104.0, "at": now}))
        .await;
    assert_eq!(ws.next_of("error").await["field"], "unit_id");
    ws.send_json(
        &json!({"type": "position", "unit_id": amb02, "lat": 1.1, "lon": 104.0, "at": now}),
    )
    .await;
    assert_eq!(ws.next_of("error").await["code"], "forbidden");

    // A responder may not report another unit.
    let responder = srv.demo_login("amb01").await;
    let mut ws = srv.ws(&responder).await;
    ws.next().await;
    ws.send_json(
        &json!({"type": "position", "unit_id": amb02, "lat": 1.1, "lon": 104.0, "at": now}),
    )
    .await;
    assert_eq!(ws.next_of("error").await["code"], "forbidden");

    // The first fix is checked against the unit's last GPS fix, not against the station the demo data parked
    // it at: a phone switched on 2 km away is accepted at once.
    let now = chrono_now_ms();
    ws.send_json(&json!({"type": "position", "ref": 1, "lat": 1.1300, "lon": 104.0700, "at": now}))
        .await;
    let ack = answer(&mut ws).await;
    assert_eq!(ack["type"], "position_ack", "{ack}");
    assert_eq!(ack["ref"], 1);

    // Out of order after an accepted fix.
    ws.send_json(&json!({"type": "position", "lat": 1.1300, "lon": 104.0700, "at": now - 5000}))
        .await;
    let e = answer(&mut ws).await;
    assert_eq!(e["type"], "error", "{e}");
    assert_eq!(e["field"], "at", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("out of order"),
        "{e}"
    );

    // 50 km in one second is not a vehicle.
    ws.send_json(&json!({"type": "position", "lat": 1.58, "lon": 104.07, "at": now + 1000}))
        .await;
    let e = answer(&mut ws).await;
    assert_eq!(e["type"], "error", "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("physically impossible"),
        "{e}"
    );
}

/// The next frame answering a client message (an acknowledgement or an error), skipping events.
async fn answer(ws: &mut siaga_tests::WsClient) -> serde_json::Value {
    loop {
        let frame = ws.next().await;
        if frame["type"] == "position_ack" || frame["type"] == "error" {
            return frame;
        }
    }
}
