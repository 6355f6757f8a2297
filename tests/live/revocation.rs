//! Ending a session closes its websockets at once (code 4001, the client shows its login), on every instance
//! sharing the database: logout, force logout, a disabled account, a password reset, and expiry. The socket
//! receives no event committed after the revocation: asserted by what arrives, with events appended right
//! after the revoking request returned.

use crate::{append, broadcast, server};
use reqwest::Method;
use serde_json::{Value, json};
use siaga_tests::{Engine, Options, TestServer, WsClient, engine_tests};
use std::sync::Arc;
use std::time::{Duration, Instant};

engine_tests!(
    a_revoked_session_loses_its_socket_on_every_instance,
    an_expiring_session_loses_its_socket_when_it_expires,
);

/// How long a close may take: the target is about a second (the feed's wake-up, or its poll on another
/// SQLite instance); the bound is generous so a loaded CI machine does not fail it.
const CLOSE_WITHIN: Duration = Duration::from_secs(5);

/// The ways a session ends, each done through instance `a` to a user whose socket is on instance `b`.
#[derive(Debug, Clone, Copy)]
enum Ending {
    Logout,
    ForceLogout,
    Disabled,
    PasswordReset,
}

async fn a_revoked_session_loses_its_socket_on_every_instance(engine: Engine) {
    let a = server(engine).await;
    // A second instance on the same database, with the default safety poll of the event log.
    let b = TestServer::on_db(Arc::clone(&a.db), Options::default()).await;
    let admin = a.demo_login("admin").await;
    let cases = [
        (Ending::Logout, "operator1"),
        (Ending::ForceLogout, "operator2"),
        (Ending::Disabled, "dispatch.dinkes"),
        (Ending::PasswordReset, "dispatch.damkar"),
    ];
    for (ending, username) in cases {
        // Arrange: the user's socket on B is live (it has received an event).
        let token = b.demo_login(username).await;
        let (_, me) = b.get("/api/v1/auth/me", &token).await;
        let user_id = me["id"].as_str().unwrap().to_owned();
        let mut ws = b.ws(&token).await;
        assert_eq!(ws.next().await["type"], "hello");
        let before = append(&a, &broadcast(1, "before")).await[0];
        assert_eq!(ws.next_of("incident.updated").await["seq"], before);

        // Act: end the session through A, then write events the user would otherwise see.
        let started = Instant::now();
        let (status, body) = match ending {
            Ending::Logout => {
                a.call(Method::POST, "/api/v1/auth/logout", Some(&token), None)
                    .await
            }
            Ending::ForceLogout => {
                a.post(
                    &format!("/api/v1/users/{user_id}/force-logout"),
                    &admin,
                    json!({"reason": "test"}),
                )
                .await
            }
            Ending::Disabled => {
                a.call(
                    Method::PATCH,
                    &format!("/api/v1/users/{user_id}"),
                    Some(&admin),
                    Some(json!({"active": false})),
                )
                .await
            }
            Ending::PasswordReset => {
                a.call(
                    Method::PATCH,
                    &format!("/api/v1/users/{user_id}"),
                    Some(&admin),
                    Some(json!({"password": "a-new-password-112"})),
                )
                .await
            }
        };
        assert!(status.is_success(), "{ending:?}: {status} {body}");
        let after = append(&a, &broadcast(3, "after")).await;

        // Assert: the socket closes with 4001 and nothing written after the revocation reached it.
        let received = read_until_closed(&mut ws).await;
        let elapsed = started.elapsed();
        let (code, reason) = ws.closed.clone().unwrap();
        assert_eq!(code, 4001, "{ending:?}: closed with {code} {reason}");
        assert!(
            elapsed < CLOSE_WITHIN,
            "{ending:?}: the socket closed only after {elapsed:?}"
        );
        let late: Vec<&Value> = received
            .iter()
            .filter(|f| f["seq"].as_i64().is_some_and(|s| after.contains(&s)))
            .collect();
        assert!(
            late.is_empty(),
            "{ending:?}: events after the revocation: {late:?}"
        );
        // The session is over for HTTP as well, and a new socket is refused.
        let (status, _) = b.get("/api/v1/auth/me", &token).await;
        assert_eq!(status.as_u16(), 401, "{ending:?}");
        assert!(
            WsClient::try_connect(&b.base, &token, None).await.is_err(),
            "{ending:?}"
        );
    }
}

async fn an_expiring_session_loses_its_socket_when_it_expires(engine: Engine) {
    let start = crate::chrono_now_ms();
    let srv = TestServer::start_with(
        engine,
        Options {
            demo: true,
            manual_clock_at: Some(start),
            ..Options::default()
        },
    )
    .await;
    let (status, login) = srv
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "operator1", "password": siaga_tests::DEMO_PASSWORD})),
        )
        .await;
    assert!(status.is_success(), "{login}");
    let token = login["token"].as_str().unwrap().to_owned();
    let expires_at = login["expires_at"].as_i64().unwrap();
    // A second and a half before the end of the session, the client connects.
    let clock = srv.clock.clone().unwrap();
    clock.set(siaga_core::time::Timestamp(expires_at - 1500));
    let mut ws = srv.ws(&token).await;
    assert_eq!(ws.next().await["type"], "hello");
    let started = Instant::now();

    // Nothing else happens (no ping is due for 20 s): the session's own expiry closes the socket.
    read_until_closed(&mut ws).await;
    let (code, reason) = ws.closed.clone().unwrap();
    assert_eq!((code, reason.as_str()), (4001, "token expired"));
    assert!(started.elapsed() < CLOSE_WITHIN, "{:?}", started.elapsed());
}

/// Every frame until the server closes the connection (bounded by the client's frame wait).
async fn read_until_closed(ws: &mut WsClient) -> Vec<Value> {
    let mut frames = Vec::new();
    while let Some(frame) = ws.next_within(CLOSE_WITHIN).await {
        frames.push(frame);
    }
    frames
}
