use reqwest::{Method, StatusCode};
use serde_json::json;
use siaga_tests::{Engine, Options, TestServer, assert_error, engine_tests};

engine_tests!(
    login_me_logout,
    wrong_password_and_unknown_user_are_refused_alike,
    token_expires_after_its_lifetime,
    force_logout_ends_sessions_at_once_and_is_audited,
    repeated_failed_logins_are_throttled,
    first_admin_is_created_on_an_empty_database,
    disabled_account_cannot_log_in_and_loses_its_sessions,
    a_token_in_the_url_opens_only_the_websocket,
);

async fn login_me_logout(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let token = srv.demo_login("operator1").await;

    let (status, me) = srv.get("/api/v1/auth/me", &token).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["username"], "operator1");
    assert_eq!(me["role"], "call_taker");
    assert!(me.get("password_hash").is_none());

    let (status, _) = srv
        .call(Method::POST, "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let after = srv.get("/api/v1/auth/me", &token).await;
    assert_error(&after, StatusCode::UNAUTHORIZED, "session_revoked");

    let missing = srv.call(Method::GET, "/api/v1/auth/me", None, None).await;
    assert_error(&missing, StatusCode::UNAUTHORIZED, "unauthenticated");
    let garbage = srv.get("/api/v1/auth/me", "not-a-token").await;
    assert_error(&garbage, StatusCode::UNAUTHORIZED, "unauthenticated");
}

async fn wrong_password_and_unknown_user_are_refused_alike(engine: Engine) {
    let srv = TestServer::start(engine).await;
    for (user, pw) in [("operator1", "wrong-password"), ("nobody", "siaga112")] {
        let got = srv
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": user, "password": pw})),
            )
            .await;
        let err = assert_error(&got, StatusCode::UNAUTHORIZED, "invalid_credentials");
        assert_eq!(err["message"], "wrong username or password");
    }
}

async fn token_expires_after_its_lifetime(engine: Engine) {
    let start = 1_790_000_000_000;
    let srv = TestServer::start_with(
        engine,
        Options {
            manual_clock_at: Some(start),
            demo: true,
            tweak: Some(|c| c.auth.token_ttl_secs = 3600),
        },
    )
    .await;
    let token = srv.demo_login("supervisor").await;
    let clock = srv.clock.clone().expect("manual clock");
    clock.advance(3_599_000);
    assert_eq!(srv.get("/api/v1/auth/me", &token).await.0, StatusCode::OK);
    clock.advance(1_000);
    let got = srv.get("/api/v1/auth/me", &token).await;
    assert_error(&got, StatusCode::UNAUTHORIZED, "token_expired");
}

async fn force_logout_ends_sessions_at_once_and_is_audited(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let victim = srv.demo_login("operator1").await;
    let victim_phone = srv.demo_login("operator1").await;
    let supervisor = srv.demo_login("supervisor").await;
    let (_, me) = srv.get("/api/v1/auth/me", &victim).await;
    let id = me["id"].as_str().unwrap().to_owned();

    // A call taker may not force anyone out.
    let other = srv.demo_login("operator2").await;
    let denied = srv
        .post(
            &format!("/api/v1/users/{id}/force-logout"),
            &other,
            json!({}),
        )
        .await;
    assert_error(&denied, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(srv.get("/api/v1/auth/me", &victim).await.0, StatusCode::OK);

    let (status, body) = srv
        .post(
            &format!("/api/v1/users/{id}/force-logout"),
            &supervisor,
            json!({"reason": "shift ended"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sessions_revoked"], 2);
    for token in [&victim, &victim_phone] {
        let got = srv.get("/api/v1/auth/me", token).await;
        assert_error(&got, StatusCode::UNAUTHORIZED, "session_revoked");
    }
    // The user can log in again afterwards.
    srv.demo_login("operator1").await;

    let (status, audit) = srv
        .get(
            &format!("/api/v1/audit?action=session.force_logout&subject_id={id}"),
            &supervisor,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let entries = audit.as_array().unwrap();
    assert_eq!(entries.len(), 1, "{audit}");
    assert!(
        entries[0]["detail"]
            .as_str()
            .unwrap()
            .contains("shift ended")
    );
    assert_eq!(entries[0]["actor_role"], "supervisor");
}

async fn repeated_failed_logins_are_throttled(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let attempt = |pw: &'static str| {
        srv.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "operator2", "password": pw})),
        )
    };
    for _ in 0..5 {
        assert_eq!(attempt("bad-password").await.0, StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused while throttled.
    let got = attempt("siaga112").await;
    assert_error(&got, StatusCode::TOO_MANY_REQUESTS, "too_many_requests");
    // Other users are not affected.
    srv.demo_login("operator1").await;
}

async fn first_admin_is_created_on_an_empty_database(engine: Engine) {
    let srv = TestServer::start_with(engine, Options::default()).await;
    let token = srv.login("admin", "bootstrap-admin-pw").await;
    let (status, users) = srv.get("/api/v1/users", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["role"], "admin");
}

async fn disabled_account_cannot_log_in_and_loses_its_sessions(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let token = srv.demo_login("operator2").await;
    let (_, me) = srv.get("/api/v1/auth/me", &token).await;
    let id = me["id"].as_str().unwrap();
    let (status, body) = srv
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["active"], false);
    assert_error(
        &srv.get("/api/v1/auth/me", &token).await,
        StatusCode::UNAUTHORIZED,
        "session_revoked",
    );
    let again = srv
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "operator2", "password": "siaga112"})),
        )
        .await;
    assert_error(&again, StatusCode::FORBIDDEN, "account_disabled");
}

/// Found by an attacker's probe: `?access_token=` worked on every route, putting tokens into URLs that
/// browsers, proxies and logs keep. Only the websocket upgrade reads it (browsers cannot set headers there).
async fn a_token_in_the_url_opens_only_the_websocket(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let token = srv.demo_login("supervisor").await;
    for path in [
        "/api/v1/auth/me",
        "/api/v1/incidents",
        "/api/v1/agents",
        "/metrics",
    ] {
        let got = srv
            .call(
                Method::GET,
                &format!("{path}?access_token={token}"),
                None,
                None,
            )
            .await;
        assert_error(&got, StatusCode::UNAUTHORIZED, "unauthenticated");
    }
    let got = srv
        .call(
            Method::POST,
            &format!("/api/v1/auth/logout?access_token={token}"),
            None,
            None,
        )
        .await;
    assert_error(&got, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(srv.get("/api/v1/auth/me", &token).await.0, StatusCode::OK);

    let url = format!(
        "{}/api/v1/ws?access_token={token}",
        srv.base.replacen("http", "ws", 1)
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let first = tokio::time::timeout(siaga_tests::WS_WAIT, futures::StreamExt::next(&mut ws))
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let hello: serde_json::Value = serde_json::from_str(first.to_text().unwrap()).unwrap();
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["role"], "supervisor");
}
