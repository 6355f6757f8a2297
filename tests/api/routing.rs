//! Tiered service lines (central → regional with fallback), follow-up call programmes, and telephony
//! gateways with service tokens — configuration only, on the demo region (Kota Batam, 21.71).

use reqwest::StatusCode;
use serde_json::{Value, json};
use siaga_tests::{Engine, Options, TestServer, assert_error, engine_tests};
use std::time::Duration;

engine_tests!(
    a_tiered_line_offers_calls_to_the_regional_team_and_falls_back_to_central,
    a_follow_up_programme_schedules_call_backs_and_an_ending_outcome_cancels_the_rest,
    a_telephony_gateway_registers_calls_with_a_service_token_and_nothing_else,
    admins_and_supervisors_read_the_configured_service_lines,
);

const T0: i64 = 1_795_575_600_000;
const FALLBACK_MS: i64 = 30_000;
const DAY_MS: i64 = 86_400_000;

/// AML (HTTPS form) at Batam Centre, inside district 21.71.10.
const AML_BATAM: &str = "v=3&emergency_number=112&source=call&time=1795575590000&location_latitude=1.12830\
    &location_longitude=104.05370&location_time=1795575590000&location_source=gps&location_accuracy=12.5";

fn quitline(c: &mut siaga::Config) {
    c.routing = serde_json::from_value(json!({
        "lines": [{"line": "quitline", "fallback_after_ms": FALLBACK_MS,
                   "regional_teams": [{"team_id": "quitline-batam", "region_codes": ["21.71"]}]}],
        "follow_ups": [{"line": "quitline", "day_offsets": [1, 3, 7, 14, 30, 60, 90]}],
    }))
    .unwrap();
}

async fn server(engine: Engine) -> TestServer {
    TestServer::start_with(
        engine,
        Options {
            manual_clock_at: Some(T0),
            demo: true,
            tweak: Some(quitline),
        },
    )
    .await
}

/// Creates an account and logs it in.
async fn account(srv: &TestServer, admin: &str, body: Value) -> (String, String) {
    let (status, user) = srv.post("/api/v1/users", admin, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let token = srv
        .login(
            body["username"].as_str().unwrap(),
            body["password"].as_str().unwrap(),
        )
        .await;
    (user["id"].as_str().unwrap().to_owned(), token)
}

async fn ring(srv: &TestServer, token: &str, ani: &str, aml: Option<&str>) -> Value {
    let mut body = json!({"ani": ani, "channel": "voice", "service_line": "quitline"});
    if let Some(a) = aml {
        body["aml"] = json!(a);
    }
    let (status, call) = srv.post("/api/v1/calls", token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{call}");
    call
}

fn path(call: &Value, action: &str) -> String {
    format!("/api/v1/calls/{}/{action}", call["id"].as_str().unwrap())
}

async fn a_tiered_line_offers_calls_to_the_regional_team_and_falls_back_to_central(engine: Engine) {
    // Arrange: a Batam quitline desk (regional team) and the central desk (operator1, operator2).
    let srv = server(engine).await;
    let clock = srv.clock.clone().unwrap();
    let admin = srv.demo_login("admin").await;
    let central = srv.demo_login("operator1").await;
    let central2 = srv.demo_login("operator2").await;
    let e = assert_error(
        &srv.post(
            "/api/v1/users",
            &admin,
            json!({"username": "x1", "display_name": "X",
            "role": "call_taker", "password": "quitline-desk-1", "team_id": "nowhere"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "team_id");
    let (_, regional) = account(
        &srv,
        &admin,
        json!({"username": "quitline.btm", "display_name": "Konselor Batam", "role": "call_taker",
               "password": "quitline-desk-1", "team_id": "quitline-batam"}),
    )
    .await;

    // Act 1: a quitline call with an AML fix in Batam rings at the Batam desk.
    let call = ring(&srv, &central, "081300000001", Some(AML_BATAM)).await;
    assert_eq!(call["route"]["tier"], "regional", "{call}");
    assert_eq!(call["route"]["team_id"], "quitline-batam");
    assert_eq!(call["route"]["region_code"], "21.71.10");
    assert_eq!(call["route"]["fallback_at"], T0 + FALLBACK_MS);
    // The central desk cannot pick it up while it is offered to Batam; Batam answers it.
    let e = assert_error(
        &srv.post(&path(&call, "answer"), &central, json!({})).await,
        StatusCode::CONFLICT,
        "conflict",
    );
    assert!(
        e["message"].as_str().unwrap().contains("quitline-batam"),
        "{e}"
    );
    clock.advance(4_000);
    let (status, answered) = srv.post(&path(&call, "answer"), &regional, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(answered["route"]["taken_at"], T0 + 4_000);
    assert_eq!(answered["status"], "answered");

    // Act 2: a call without location stays central; the central call taker answers, learns the caller is in
    // Batam and routes it there; Batam does not take it in time, so it falls back to central.
    let call = ring(&srv, &central, "081300000002", None).await;
    assert_eq!(call["route"]["tier"], "central", "{call}");
    let (status, _) = srv.post(&path(&call, "answer"), &central2, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let e = assert_error(
        &srv.post(
            &path(&call, "route"),
            &central2,
            json!({"region_code": "99.99"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "region_code");
    let offered_at = T0 + 10_000;
    clock.set(siaga_core::time::Timestamp(offered_at));
    let (status, routed) = srv
        .post(
            &path(&call, "route"),
            &central2,
            json!({"region_code": "21.71.06"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{routed}");
    assert_eq!(routed["route"]["team_id"], "quitline-batam");
    assert_eq!(routed["route"]["fallback_at"], offered_at + FALLBACK_MS);
    assert_error(
        &srv.post(&path(&call, "take"), &central, json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    clock.advance(FALLBACK_MS);
    let fell_back = wait_for(&srv, &admin, &call, |c| {
        !c["route"]["fell_back_at"].is_null()
    })
    .await;
    assert_eq!(fell_back["route"]["tier"], "central");
    assert_eq!(fell_back["route"]["fell_back_at"], offered_at + FALLBACK_MS);
    assert_error(
        &srv.post(&path(&call, "take"), &regional, json!({})).await,
        StatusCode::CONFLICT,
        "conflict",
    );

    // Act 3: a regional team that takes the offer in time keeps the call.
    let call = ring(&srv, &central, "081300000003", None).await;
    srv.post(&path(&call, "answer"), &central, json!({})).await;
    let (_, routed) = srv
        .post(
            &path(&call, "route"),
            &central,
            json!({"lon": 104.0537, "lat": 1.1285}),
        )
        .await;
    assert_eq!(routed["route"]["team_id"], "quitline-batam", "{routed}");
    clock.advance(FALLBACK_MS - 1);
    let (status, taken) = srv.post(&path(&call, "take"), &regional, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{taken}");
    assert_eq!(taken["call_taker_id"], taken["route"]["taken_by"]);
    clock.advance(5_000);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (_, still) = srv
        .get(
            &format!("/api/v1/calls/{}", call["id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(still["route"]["tier"], "regional", "{still}");
    assert!(still["route"]["fell_back_at"].is_null());

    // Callers outside every served region stay central; a 112 call is not tiered.
    let call = ring(&srv, &central, "081300000004", None).await;
    let (_, routed) = srv
        .post(
            &path(&call, "route"),
            &central,
            json!({"lon": 106.8272, "lat": -6.1754}),
        )
        .await;
    assert_eq!(routed["route"]["tier"], "central", "{routed}");
    let (_, emergency) = srv
        .post(
            "/api/v1/calls",
            &central,
            json!({"ani": "081300000005", "channel": "voice"}),
        )
        .await;
    let e = assert_error(
        &srv.post(
            &path(&emergency, "route"),
            &central,
            json!({"region_code": "21.71"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "service_line");

    // The audit trail names the automatic fallback.
    let (_, audit) = srv.get("/api/v1/audit?action=call.fallback", &admin).await;
    assert!(
        audit.to_string().contains("call.fallback"),
        "fallback not audited: {audit}"
    );
}

/// Polls the call until `done` holds (the fallback runs on its own task).
async fn wait_for(
    srv: &TestServer,
    token: &str,
    call: &Value,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let url = format!("/api/v1/calls/{}", call["id"].as_str().unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let (_, c) = srv.get(&url, token).await;
        if done(&c) {
            return c;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting: {c}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_follow_up_programme_schedules_call_backs_and_an_ending_outcome_cancels_the_rest(
    engine: Engine,
) {
    // Arrange: an answered quitline call.
    let srv = server(engine).await;
    let taker = srv.demo_login("operator1").await;
    let supervisor = srv.demo_login("supervisor").await;
    // The console learns which lines have a programme, so it offers scheduling only for their calls.
    let (_, config) = srv.get("/api/v1/client-config", &taker).await;
    assert_eq!(config["follow_up_lines"], json!(["quitline"]), "{config}");
    assert_eq!(config["tiered_lines"], json!(["quitline"]), "{config}");
    let dispatcher = srv.demo_login("dispatch.dinkes").await;
    let call = ring(&srv, &taker, "081300000010", None).await;
    assert_error(
        &srv.post(&path(&call, "follow-ups"), &taker, json!({}))
            .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    srv.post(&path(&call, "answer"), &taker, json!({})).await;

    // Act: enrol the caller.
    let (status, tasks) = srv
        .post(&path(&call, "follow-ups"), &taker, json!({}))
        .await;

    // Assert: seven call-backs at the configured day offsets from the first ring, pending.
    assert_eq!(status, StatusCode::CREATED, "{tasks}");
    let tasks = tasks.as_array().unwrap().clone();
    let due: Vec<i64> = tasks
        .iter()
        .map(|t| t["due_at"].as_i64().unwrap())
        .collect();
    let expected: Vec<i64> = [1, 3, 7, 14, 30, 60, 90]
        .iter()
        .map(|d| T0 + d * DAY_MS)
        .collect();
    assert_eq!(due, expected);
    assert!(
        tasks
            .iter()
            .all(|t| t["status"] == "pending" && t["ani"] == call["ani"])
    );
    assert_error(
        &srv.post(&path(&call, "follow-ups"), &taker, json!({}))
            .await,
        StatusCode::CONFLICT,
        "conflict",
    );
    let (_, emergency) = srv
        .post(
            "/api/v1/calls",
            &taker,
            json!({"ani": "081300000011", "channel": "voice"}),
        )
        .await;
    srv.post(&path(&emergency, "answer"), &taker, json!({}))
        .await;
    let e = assert_error(
        &srv.post(&path(&emergency, "follow-ups"), &taker, json!({}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "service_line");
    assert_error(
        &srv.get("/api/v1/follow-ups", &dispatcher).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // The outbound team's work list on day 2 holds the first call-back only.
    let (_, due_now) = srv
        .get(
            &format!("/api/v1/follow-ups?due_before={}", T0 + 2 * DAY_MS),
            &taker,
        )
        .await;
    let due_now = due_now.as_array().unwrap();
    assert_eq!(due_now.len(), 1, "{due_now:?}");
    assert_eq!(due_now[0]["ordinal"], 1);

    // No answer on the first: it is done, the rest continue. Refused on the second: the series ends.
    let first = format!(
        "/api/v1/follow-ups/{}/outcome",
        tasks[0]["id"].as_str().unwrap()
    );
    let (status, done) = srv
        .post(
            &first,
            &taker,
            json!({"outcome": "no_answer", "note": "nada sibuk"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "done");
    assert_eq!(done["outcome"], "no_answer");
    let e = assert_error(
        &srv.post(&first, &taker, json!({"outcome": "reached"}))
            .await,
        StatusCode::CONFLICT,
        "invalid_transition",
    );
    assert_eq!(e["allowed"], json!([]));
    let e = assert_error(
        &srv.post(&first, &taker, json!({"outcome": "maybe"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_eq!(e["field"], "outcome");
    let second = format!(
        "/api/v1/follow-ups/{}/outcome",
        tasks[1]["id"].as_str().unwrap()
    );
    let (status, _) = srv
        .post(&second, &supervisor, json!({"outcome": "refused"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let call_id = call["id"].as_str().unwrap();
    let (_, all) = srv
        .get(
            &format!("/api/v1/follow-ups?status=all&call_id={call_id}"),
            &taker,
        )
        .await;
    let statuses: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "done",
            "done",
            "cancelled",
            "cancelled",
            "cancelled",
            "cancelled",
            "cancelled"
        ]
    );
    let (_, pending) = srv
        .get(&format!("/api/v1/follow-ups?call_id={call_id}"), &taker)
        .await;
    assert_eq!(pending, json!([]));
}

async fn a_telephony_gateway_registers_calls_with_a_service_token_and_nothing_else(engine: Engine) {
    // Arrange: an integration account and its service token.
    let srv = server(engine).await;
    let admin = srv.demo_login("admin").await;
    let (status, pbx) = srv
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "pbx-batam", "display_name": "PBX Batam", "role": "integration",
                   "password": "gateway-secret-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pbx}");
    let pbx_id = pbx["id"].as_str().unwrap();
    let (status, issued) = srv
        .post(
            &format!("/api/v1/users/{pbx_id}/service-token"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    assert_eq!(issued["expires_at"], T0 + 365 * DAY_MS);
    let token = issued["token"].as_str().unwrap().to_owned();
    let taker = srv.demo_login("operator1").await;
    let (_, me) = srv.get("/api/v1/auth/me", &taker).await;
    assert_error(
        &srv.post(
            &format!("/api/v1/users/{}/service-token", me["id"].as_str().unwrap()),
            &admin,
            json!({}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_error(
        &srv.post(
            &format!("/api/v1/users/{pbx_id}/service-token"),
            &taker,
            json!({}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // Act: the gateway registers a ringing call with its AML payload, and the hang-up of another.
    let call = ring(&srv, &token, "081300000020", Some(AML_BATAM)).await;
    let other = ring(&srv, &token, "081300000021", None).await;
    let (status, ended) = srv.post(&path(&other, "end"), &token, json!({})).await;

    // Assert: the calls are there for the call takers; the gateway may not read or handle anything.
    assert_eq!(status, StatusCode::OK, "{ended}");
    assert_eq!(ended["status"], "abandoned");
    assert_eq!(call["aml"]["radius_m"], 12.5);
    for forbidden in [
        "/api/v1/calls",
        "/api/v1/incidents",
        "/api/v1/units",
        "/api/v1/users",
    ] {
        assert_error(
            &srv.get(forbidden, &token).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
    }
    assert_error(
        &srv.post(&path(&call, "answer"), &token, json!({})).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let (status, _) = srv
        .get(
            &format!("/api/v1/calls/{}", call["id"].as_str().unwrap()),
            &taker,
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Force logout revokes the service token at once.
    let (status, _) = srv
        .post(
            &format!("/api/v1/users/{pbx_id}/force-logout"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_error(
        &srv.post(
            "/api/v1/calls",
            &token,
            json!({"ani": "081300000022", "channel": "voice"}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "session_revoked",
    );
}

async fn admins_and_supervisors_read_the_configured_service_lines(engine: Engine) {
    // Arrange: the quitline is tiered and has a follow-up programme; 112 is always answered centrally.
    let srv = server(engine).await;
    let admin = srv.demo_login("admin").await;
    let supervisor = srv.demo_login("supervisor").await;
    let taker = srv.demo_login("operator1").await;

    // Act
    let (status, lines) = srv.get("/api/v1/service-lines", &admin).await;

    // Assert: 112 first, then the configured line with its team, fallback and follow-up days.
    assert_eq!(status, StatusCode::OK, "{lines}");
    assert_eq!(
        lines,
        json!([
            {"line": "112", "tiered": false, "regional_teams": [], "fallback_after_ms": null,
             "follow_up_day_offsets": []},
            {"line": "quitline", "tiered": true,
             "regional_teams": [{"team_id": "quitline-batam", "region_codes": ["21.71"]}],
             "fallback_after_ms": FALLBACK_MS, "follow_up_day_offsets": [1, 3, 7, 14, 30, 60, 90]},
        ])
    );
    assert_eq!(
        srv.get("/api/v1/service-lines", &supervisor).await.0,
        StatusCode::OK
    );
    assert_error(
        &srv.get("/api/v1/service-lines", &taker).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
}
