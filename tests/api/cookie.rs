//! The browser session: login sets an HttpOnly, SameSite=Strict cookie that authenticates the API and the
//! websocket like the bearer token does; changes made with it need `X-Requested-With` and the same origin
//! (CSRF); logout clears it. The bearer header keeps working for integrations.

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use siaga_tests::{DEMO_PASSWORD, Engine, TestServer, assert_error, engine_tests, read};

engine_tests!(
    the_session_cookie_authenticates_the_browser_and_guards_against_other_sites,
    the_websocket_accepts_the_cookie_from_its_own_origin_only,
);

/// Logs in and returns the response's `Set-Cookie` and body.
async fn login(srv: &TestServer, username: &str, https: bool) -> (String, Value) {
    let mut rb = srv
        .request(Method::POST, "/api/v1/auth/login", None)
        .json(&json!({"username": username, "password": DEMO_PASSWORD}));
    if https {
        rb = rb.header("x-forwarded-proto", "https");
    }
    let resp = rb.send().await.unwrap();
    let cookie = resp
        .headers()
        .get(SET_COOKIE)
        .expect("login sets the session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    let (status, body) = read(resp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (cookie, body)
}

/// How many calls `token` sees.
async fn call_count(srv: &TestServer, token: &str) -> usize {
    let (status, calls) = srv.get("/api/v1/calls", token).await;
    assert_eq!(status, StatusCode::OK, "{calls}");
    calls.as_array().map_or(0, Vec::len)
}

/// A request carrying only the session cookie (no `Authorization`).
fn with_cookie(
    srv: &TestServer,
    method: Method,
    path: &str,
    token: &str,
) -> reqwest::RequestBuilder {
    srv.request(method, path, None)
        .header(COOKIE, format!("lang=id; siaga_session={token}"))
}

async fn the_session_cookie_authenticates_the_browser_and_guards_against_other_sites(
    engine: Engine,
) {
    let srv = TestServer::start(engine).await;

    // Login: the token of the body, in a cookie scripts cannot read, that lives as long as the session.
    let (cookie, body) = login(&srv, "operator1", false).await;
    let token = body["token"].as_str().unwrap().to_owned();
    let attrs: Vec<&str> = cookie.split(';').map(str::trim).collect();
    assert_eq!(attrs[0], format!("siaga_session={token}"));
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/api"] {
        assert!(attrs.contains(&attr), "{cookie}");
    }
    assert!(!attrs.contains(&"Secure"), "plain HTTP: {cookie}");
    let max_age: i64 = attrs
        .iter()
        .find_map(|a| a.strip_prefix("Max-Age="))
        .expect("a persistent cookie")
        .parse()
        .unwrap();
    assert!((43_100..=43_200).contains(&max_age), "{cookie}");
    // Behind a TLS proxy the cookie is Secure.
    let (secure, _) = login(&srv, "operator2", true).await;
    assert!(secure.split(';').any(|a| a.trim() == "Secure"), "{secure}");

    // Reads need only the cookie.
    let (status, me) = read(
        with_cookie(&srv, Method::GET, "/api/v1/auth/me", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["username"], "operator1");

    // A change with the cookie alone is what a cross-site form would send: refused, nothing done.
    let calls_before = call_count(&srv, &token).await;
    let call = json!({"ani": "081234500001", "channel": "voice", "service_line": "112"});
    let refused = read(
        with_cookie(&srv, Method::POST, "/api/v1/calls", &token)
            .json(&call)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let err = assert_error(&refused, StatusCode::FORBIDDEN, "forbidden");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("X-Requested-With"),
        "{err}"
    );
    // From another origin, even with the marker: refused.
    let foreign = read(
        with_cookie(&srv, Method::POST, "/api/v1/calls", &token)
            .header("x-requested-with", "siaga")
            .header("origin", "http://evil.example")
            .json(&call)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&foreign, StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(call_count(&srv, &token).await, calls_before);

    // The map client's request: marker, own origin, idempotency key; a retry is answered from the first.
    let own_origin = srv.base.clone();
    let send = || {
        with_cookie(&srv, Method::POST, "/api/v1/calls", &token)
            .header("x-requested-with", "siaga")
            .header("origin", own_origin.as_str())
            .header("idempotency-key", "cookie-call-1")
            .json(&call)
            .send()
    };
    let first = send().await.unwrap();
    let (status, created) = read(first).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let again = send().await.unwrap();
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .map(|v| v.to_str().unwrap()),
        Some("true")
    );
    let (_, replayed) = read(again).await;
    assert_eq!(replayed["id"], created["id"]);

    // Logout with the cookie ends the session and clears the cookie.
    let resp = with_cookie(&srv, Method::POST, "/api/v1/auth/logout", &token)
        .header("x-requested-with", "siaga")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let cleared = resp.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cleared.starts_with("siaga_session=;"), "{cleared}");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let after = read(
        with_cookie(&srv, Method::GET, "/api/v1/auth/me", &token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&after, StatusCode::UNAUTHORIZED, "session_revoked");

    // The bearer header is unchanged for integrations and scripts, and needs no marker.
    let bearer = srv.demo_login("operator2").await;
    let (status, body) = srv.post("/api/v1/calls", &bearer, call).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn the_websocket_accepts_the_cookie_from_its_own_origin_only(engine: Engine) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let srv = TestServer::start(engine).await;
    let (_, body) = login(&srv, "supervisor", false).await;
    let token = body["token"].as_str().unwrap().to_owned();
    let handshake = |origin: &str| {
        let mut request = format!("{}/api/v1/ws", srv.base.replacen("http", "ws", 1))
            .into_client_request()
            .unwrap();
        let headers = request.headers_mut();
        headers.insert("cookie", format!("siaga_session={token}").parse().unwrap());
        headers.insert("origin", origin.parse().unwrap());
        tokio_tungstenite::connect_async(request)
    };

    let (mut ws, _) = handshake(&srv.base).await.expect("same-origin handshake");
    use futures::StreamExt;
    let hello = tokio::time::timeout(siaga_tests::WS_WAIT, ws.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let hello: Value = serde_json::from_str(hello.to_text().unwrap()).unwrap();
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["user"]["username"], "supervisor");

    // A page on another host of the same site would carry the (SameSite) cookie: its handshake is refused.
    match handshake("http://other.siaga.example").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        }
        other => panic!(
            "cross-origin handshake not refused: {:?}",
            other.map(|_| ())
        ),
    }
}
