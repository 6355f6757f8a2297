//! Agent states through the API: login records `logged_in`, agents go ready and AUX (with a reason), logout
//! and a supervisor's force logout record `logged_out`; the supervisor's board shows state, since when and
//! today's time in state; schedules upload as CSV or JSON with row-level errors.

use crate::fixture::wib;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use siaga_tests::{Engine, Options, TestServer, assert_error, engine_tests};

engine_tests!(
    agent_states_follow_login_ready_aux_and_logout,
    force_logout_records_a_forced_logout,
    schedule_upload_names_the_bad_row_and_stores_nothing,
);

const MIN: i64 = 60_000;

async fn board_entry(srv: &TestServer, supervisor: &str, username: &str) -> Value {
    let (status, agents) = srv.get("/api/v1/agents", supervisor).await;
    assert_eq!(status, StatusCode::OK, "{agents}");
    agents
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["username"] == username)
        .unwrap_or_else(|| panic!("{username} on the board"))
        .clone()
}

async fn server_at(engine: Engine, at: i64) -> TestServer {
    TestServer::start_with(
        engine,
        Options {
            manual_clock_at: Some(at),
            demo: true,
            ..Default::default()
        },
    )
    .await
}

async fn agent_states_follow_login_ready_aux_and_logout(engine: Engine) {
    // Arrange: 08:00 WIB.
    let start = wib("2026-11-24", "08:00");
    let srv = server_at(engine, start).await;
    let clock = srv.clock.clone().unwrap();
    let supervisor = srv.demo_login("supervisor").await;
    let before = board_entry(&srv, &supervisor, "operator1").await;
    assert_eq!(
        (&before["state"], &before["since"]),
        (&"logged_out".into(), &Value::Null)
    );

    // Act: log in, ready for 10 minutes, AUX for 5.
    let op = srv.demo_login("operator1").await;
    let entry = board_entry(&srv, &supervisor, "operator1").await;
    assert_eq!(
        (&entry["state"], &entry["since"]),
        (&"logged_in".into(), &start.into())
    );
    let (status, body) = srv
        .post("/api/v1/agents/me/state", &op, json!({"state": "ready"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    clock.advance(10 * MIN);
    let err = assert_error(
        &srv.post("/api/v1/agents/me/state", &op, json!({"state": "aux"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(err["field"], "reason");
    assert_error(
        &srv.post("/api/v1/agents/me/state", &op, json!({"state": "on_call"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let (status, body) = srv
        .post(
            "/api/v1/agents/me/state",
            &op,
            json!({"state": "aux", "reason": "briefing"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["since"], start + 10 * MIN);
    clock.advance(5 * MIN);

    // Assert: the board shows AUX since 08:10 and today's 10 minutes ready, 5 in AUX.
    let entry = board_entry(&srv, &supervisor, "operator1").await;
    assert_eq!(entry["state"], "aux");
    assert_eq!(entry["reason"], "briefing");
    assert_eq!(entry["since"], start + 10 * MIN);
    assert_eq!(entry["today"]["ready_ms"], 10 * MIN);
    assert_eq!(entry["today"]["aux_ms"], 5 * MIN);
    assert_eq!(entry["today"]["logged_in_ms"], 15 * MIN);
    assert_eq!(entry["today"]["aux_by_reason"][0]["reason"], "briefing");

    // Logging out ends the agent's day on the board.
    let (status, _) = srv
        .call(Method::POST, "/api/v1/auth/logout", Some(&op), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    clock.advance(5 * MIN);
    let entry = board_entry(&srv, &supervisor, "operator1").await;
    assert_eq!(
        (&entry["state"], &entry["since"]),
        (&"logged_out".into(), &(start + 15 * MIN).into())
    );
    assert_eq!(entry["today"]["logged_in_ms"], 15 * MIN);

    // Only agents set agent states; only supervisors and admins see the board.
    assert_error(
        &srv.post(
            "/api/v1/agents/me/state",
            &supervisor,
            json!({"state": "ready"}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let op2 = srv.demo_login("operator2").await;
    assert_error(
        &srv.get("/api/v1/agents", &op2).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let admin = srv.demo_login("admin").await;
    assert_eq!(srv.get("/api/v1/agents", &admin).await.0, StatusCode::OK);
}

async fn force_logout_records_a_forced_logout(engine: Engine) {
    let start = wib("2026-11-24", "08:00");
    let srv = server_at(engine, start).await;
    let clock = srv.clock.clone().unwrap();
    let supervisor = srv.demo_login("supervisor").await;
    let dispatcher = srv.demo_login("dispatch.damkar").await;
    let (status, _) = srv
        .post(
            "/api/v1/agents/me/state",
            &dispatcher,
            json!({"state": "ready"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    clock.advance(MIN);
    let id = board_entry(&srv, &supervisor, "dispatch.damkar").await["user_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, body) = srv
        .post(
            &format!("/api/v1/users/{id}/force-logout"),
            &supervisor,
            json!({"reason": "shift over"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let entry = board_entry(&srv, &supervisor, "dispatch.damkar").await;
    assert_eq!(entry["state"], "logged_out");
    assert_eq!(entry["reason"], "forced");
    assert_eq!(entry["since"], start + MIN);
    assert_eq!(entry["today"]["ready_ms"], MIN);
}

async fn schedule_upload_names_the_bad_row_and_stores_nothing(engine: Engine) {
    let srv = server_at(engine, wib("2026-11-24", "06:00")).await;
    let supervisor = srv.demo_login("supervisor").await;
    let upload = |ct: &'static str, body: String| {
        let rb = srv
            .request(Method::POST, "/api/v1/agents/schedules", Some(&supervisor))
            .header("content-type", ct)
            .body(body);
        async move { siaga_tests::read(rb.send().await.unwrap()).await }
    };

    // A CSV with a bad third line: the error names it and nothing is stored.
    let bad = "username,shift_start,shift_end\n\
               operator1,2026-11-24 07:00,2026-11-24 15:00\n\
               operator2,2026-11-24 15:00,2026-11-24 07:00\n";
    let err = assert_error(
        &upload("text/csv", bad.into()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(err["field"], "line 3: shift_end");
    let err = assert_error(
        &upload(
            "text/csv",
            "username,shift_start,shift_end\nnobody,2026-11-24 07:00,2026-11-24 15:00\n".into(),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(err["field"], "line 2: username");
    let board = board_entry(&srv, &supervisor, "operator1").await;
    assert_eq!(board["today"]["scheduled_ms"], 0);

    // JSON rows, with an overnight shift in WITA: stored and measured.
    let rows = json!([
        {"username": "operator1", "shift_start": "2026-11-24 07:00", "shift_end": "2026-11-24 15:00"},
        {"username": "operator2", "shift_start": "2026-11-24 23:00", "shift_end": "2026-11-25 07:00",
         "time_zone": "Asia/Makassar"},
    ]);
    let (status, body) = upload("application/json", rows.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["imported"], 2);
    // Uploading the same shifts again replaces them; an overlapping one is refused.
    let (status, _) = upload("application/json", rows.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    let overlap = json!([{"username": "operator1", "shift_start": "2026-11-24 14:00", "shift_end": "2026-11-24 22:00"}]);
    let err = assert_error(
        &upload("application/json", overlap.to_string()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(err["field"], "[0].shift_start");
    let err = assert_error(
        &upload(
            "application/json",
            json!([{"username": "operator1", "shift_start": "x", "shift_end": "y"}]).to_string(),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(err["field"], "[0].shift_start");
    assert_error(
        &upload("text/plain", "x".into()).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );

    // Only supervisors and admins upload.
    let op = srv.demo_login("operator1").await;
    let resp = srv
        .request(Method::POST, "/api/v1/agents/schedules", Some(&op))
        .header("content-type", "text/csv")
        .body("username,shift_start,shift_end\n")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // 06:00, before the shift: nothing scheduled yet up to now.
    let board = board_entry(&srv, &supervisor, "operator1").await;
    assert_eq!(board["today"]["scheduled_ms"], 0);
    srv.clock.clone().unwrap().advance(2 * 60 * MIN);
    // 08:00: one hour of the 07:00 shift has passed, and operator1 (logged in at 06:00, never ready) was not
    // available in it.
    let board = board_entry(&srv, &supervisor, "operator1").await;
    assert_eq!(board["today"]["scheduled_ms"], 60 * MIN);
    assert_eq!(board["today"]["adherence"].as_f64(), Some(0.0));
}
