//! Health, readiness, metrics and the OpenAPI document; security headers and the connection edge.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use siaga_tests::{Engine, Options, TestServer, assert_error, engine_tests, workspace_root};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

engine_tests!(
    probes_metrics_and_openapi_answer,
    metrics_are_for_supervisors_admins_and_the_configured_scraper,
    a_request_that_outlasts_the_timeout_is_a_503_in_the_error_envelope,
    responses_are_compressed_and_hashed_assets_cached_for_good,
    glyph_ranges_are_compressed_revalidated_and_a_missing_one_is_a_404,
    every_response_carries_the_security_headers,
    slow_and_idle_connections_are_closed_after_the_header_read_timeout,
    connections_beyond_the_cap_are_refused_and_the_open_ones_keep_working,
);

async fn probes_metrics_and_openapi_answer(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let (status, body) = srv.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");

    let (status, body) = srv.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let expected = match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected);

    srv.demo_login("operator1").await;
    let supervisor = srv.demo_login("supervisor").await;
    let resp = srv
        .request(Method::GET, "/metrics", Some(&supervisor))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains(
            r#"siaga_http_requests_total{method="POST",route="/api/v1/auth/login",status="200"} 2"#
        ),
        "{text}"
    );
    assert!(text.contains("siaga_database_up 1"));

    let (status, doc) = srv.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/auth/login",
        "/api/v1/users/{id}/force-logout",
        "/api/v1/units",
        "/metrics",
    ] {
        assert!(doc["paths"].get(path).is_some(), "missing {path}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

/// The scraper's token in `auth.metrics_token`.
const SCRAPER_TOKEN: &str = "scraper-token-for-the-metrics-0123456789";

/// Found by an attacker's probe: `/metrics` answered anyone. Now a supervisor or admin reads it, or
/// Prometheus with the configured token; everyone else gets the error envelope.
async fn metrics_are_for_supervisors_admins_and_the_configured_scraper(engine: Engine) {
    let srv = TestServer::demo_with(engine, |c| {
        c.auth.metrics_token = Some(SCRAPER_TOKEN.to_owned())
    })
    .await;
    let read = |token: Option<String>| {
        let srv = &srv;
        async move {
            let resp = srv
                .request(Method::GET, "/metrics", token.as_deref())
                .send()
                .await
                .unwrap();
            siaga_tests::read(resp).await
        }
    };
    for user in ["supervisor", "admin"] {
        let (status, body) = read(Some(srv.demo_login(user).await)).await;
        assert_eq!(status, StatusCode::OK, "{user}: {body}");
        assert!(body.as_str().unwrap().contains("siaga_database_up 1"));
    }
    let (status, body) = read(Some(SCRAPER_TOKEN.to_owned())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.as_str().unwrap().contains("siaga_http_requests_total"));

    assert_error(
        &read(None).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    let wrong = format!("{SCRAPER_TOKEN}x");
    assert_error(
        &read(Some(wrong)).await,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
    );
    for user in ["operator1", "dispatch.dinkes", "amb01"] {
        let token = srv.demo_login(user).await;
        assert_error(&read(Some(token)).await, StatusCode::FORBIDDEN, "forbidden");
    }
}

/// Found by an attacker's probe: a request cut off by the request timeout got a 503 with an empty body. A
/// body that never finishes arriving keeps the handler waiting, so the 1 s limit fires every time.
async fn a_request_that_outlasts_the_timeout_is_a_503_in_the_error_envelope(engine: Engine) {
    let srv = TestServer::demo_with(engine, |c| c.request_timeout_secs = 1).await;
    let admin = srv.demo_login("admin").await;
    let mut tcp = TcpStream::connect(srv.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/agencies HTTP/1.1\r\nhost: siaga\r\nauthorization: Bearer {admin}\r\n\
         content-type: application/json\r\ncontent-length: 1000\r\nconnection: close\r\n\r\n{{\"code\": "
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), tcp.read_to_end(&mut raw))
        .await
        .expect("the server answers within the test's wait")
        .unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 503"), "{raw}");
    let head = head.to_ascii_lowercase();
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(head.contains("retry-after: 2"), "{head}");
    let body: Value = serde_json::from_str(body).unwrap();
    let got = (StatusCode::SERVICE_UNAVAILABLE, body);
    let err = assert_error(&got, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(err["message"].as_str().unwrap().contains("1 s"), "{err}");
    // Nothing was stored, and the server carries on.
    let (_, agencies) = srv.get("/api/v1/agencies", &admin).await;
    assert_eq!(agencies.as_array().unwrap().len(), 6);
}

/// The map client's files are served compressed; content-hashed assets are cached for a year, the page is
/// revalidated, and API answers are never stored (they carry personal data).
async fn responses_are_compressed_and_hashed_assets_cached_for_good(engine: Engine) {
    let srv = TestServer::start_with(
        engine,
        Options {
            tweak: Some(|c| c.static_dir = workspace_root().join("tests/fixtures/static")),
            ..Options::default()
        },
    )
    .await;
    let asset = "/assets/page-main-3f2a1b9c.js";
    let raw_len = std::fs::metadata(
        workspace_root()
            .join("tests/fixtures/static")
            .join(&asset[1..]),
    )
    .unwrap()
    .len();
    for (accept, encoding) in [("gzip", "gzip"), ("br, gzip", "br")] {
        let resp = srv
            .request(Method::GET, asset, None)
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let headers = resp.headers().clone();
        assert_eq!(headers["content-encoding"], encoding, "{headers:?}");
        assert_eq!(
            headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let sent = resp.bytes().await.unwrap().len() as u64;
        assert!(
            sent * 4 < raw_len,
            "{encoding}: {sent} bytes sent for {raw_len}"
        );
    }
    // The build's brotli form (quality 11, `map-client/scripts/precompress.mjs`) is sent as it is: the bytes
    // on the wire are the `.br` file's, not a fresh on-the-fly compression (the gzip above has no such form).
    let precompressed = std::fs::read(
        workspace_root()
            .join("tests/fixtures/static")
            .join(format!("{}.br", &asset[1..])),
    )
    .unwrap();
    let resp = srv
        .request(Method::GET, asset, None)
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-encoding"], "br");
    assert_eq!(
        resp.bytes().await.unwrap().as_ref(),
        precompressed.as_slice()
    );
    // Without Accept-Encoding, the file as it is.
    let resp = srv.request(Method::GET, asset, None).send().await.unwrap();
    assert!(resp.headers().get("content-encoding").is_none());
    assert_eq!(resp.bytes().await.unwrap().len() as u64, raw_len);

    let page = srv.request(Method::GET, "/", None).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let api = srv
        .request(Method::GET, "/api/v1/auth/me", None)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(api.headers()["cache-control"], "no-store");
}

/// The map's glyph ranges (`/glyphs/<font stack>/<range>.pbf`, not content-hashed) are sent compressed and
/// revalidated on every load (a 304 when unchanged); a range that is not there is a 404, never the app shell,
/// so MapLibre draws those characters locally instead of parsing HTML as glyphs.
async fn glyph_ranges_are_compressed_revalidated_and_a_missing_one_is_a_404(engine: Engine) {
    let srv = TestServer::start_with(
        engine,
        Options {
            tweak: Some(|c| c.static_dir = workspace_root().join("tests/fixtures/static")),
            ..Options::default()
        },
    )
    .await;
    let range = "/glyphs/Noto%20Sans%20Regular/65024-65279.pbf";
    let raw = std::fs::read(
        workspace_root().join("tests/fixtures/static/glyphs/Noto Sans Regular/65024-65279.pbf"),
    )
    .unwrap();
    let resp = srv
        .request(Method::GET, range, None)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let headers = resp.headers().clone();
    assert_eq!(headers["content-encoding"], "gzip", "{headers:?}");
    assert_eq!(headers["cache-control"], "no-cache");
    let last_modified = headers["last-modified"].clone();
    let sent = resp.bytes().await.unwrap().len();
    assert!(sent < raw.len(), "{sent} bytes sent for {}", raw.len());

    let again = srv
        .request(Method::GET, range, None)
        .header("if-modified-since", last_modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let missing = srv
        .request(
            Method::GET,
            "/glyphs/Noto%20Sans%20Regular/19968-20223.pbf",
            None,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body = missing.text().await.unwrap();
    assert!(
        !body.contains("<html"),
        "the app shell answered a missing glyph range: {body}"
    );
    // A page path still gets the app shell.
    let page = srv
        .request(Method::GET, "/dispatcher", None)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------------------
// Security headers and the connection edge (header-read timeout, connection cap). The edge does not depend
// on the engine, so these run on SQLite only.

/// Every response carries the security headers: the API's JSON, errors, and the map client's files.
async fn every_response_carries_the_security_headers(engine: Engine) {
    let srv = TestServer::start_with(engine, Options::default()).await;
    for path in [
        "/healthz",
        "/api/v1/auth/me",
        "/api/v1/no-such-thing",
        "/",
        "/dispatcher",
    ] {
        let resp = srv.request(Method::GET, path, None).send().await.unwrap();
        let h = resp.headers();
        let csp = h
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{path}: no content-security-policy"));
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "worker-src 'self' blob:",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        // Plain HTTP: no HSTS.
        assert!(h.get("strict-transport-security").is_none(), "{path}");
    }
    // Behind a TLS proxy (`http.https = "auto"` believes it), responses ask browsers to stay on https.
    let resp = srv
        .request(Method::GET, "/healthz", None)
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    let hsts = resp.headers()["strict-transport-security"]
        .to_str()
        .unwrap();
    assert!(hsts.starts_with("max-age="), "{hsts}");
}

/// The server's address, for raw TCP clients.
fn addr(srv: &TestServer) -> std::net::SocketAddr {
    srv.base.trim_start_matches("http://").parse().unwrap()
}

/// Reads until the server closes the connection (EOF or reset); returns what it sent. Fails after `wait`.
async fn read_to_close(stream: &mut TcpStream, wait: Duration) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => panic!("the server kept the connection open for {wait:?}"),
            Ok(Ok(0) | Err(_)) => return got,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// One keep-alive request on a raw connection; returns the status line.
async fn request_on(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: siaga\r\n\r\n")
        .await
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf))
        .await
        .expect("an answer")
        .unwrap();
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// A client that sends half a request head, or goes quiet on a kept-alive connection, is disconnected after
/// the header-read timeout; a prompt client is served.
async fn slow_and_idle_connections_are_closed_after_the_header_read_timeout(engine: Engine) {
    let srv = TestServer::start_with(
        engine,
        Options {
            tweak: Some(|c| c.http.header_read_timeout_secs = 1),
            ..Options::default()
        },
    )
    .await;
    let mut half = TcpStream::connect(addr(&srv)).await.unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: siaga\r\nX-Slow: ")
        .await
        .unwrap();
    let mut idle = TcpStream::connect(addr(&srv)).await.unwrap();
    assert_eq!(request_on(&mut idle).await, "HTTP/1.1 200 OK");
    let started = Instant::now();

    let sent = read_to_close(&mut half, Duration::from_secs(15)).await;
    assert!(
        !String::from_utf8_lossy(&sent).contains("200 OK"),
        "{sent:?}"
    );
    read_to_close(&mut idle, Duration::from_secs(15)).await;
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "closed before the timeout: {:?}",
        started.elapsed()
    );
}

/// Connections beyond `http.max_open_connections` are refused with a 503 and closed, while the open ones keep
/// working; a closed connection frees its place.
async fn connections_beyond_the_cap_are_refused_and_the_open_ones_keep_working(engine: Engine) {
    const CAP: usize = 4;
    let srv = TestServer::start_with(
        engine,
        Options {
            tweak: Some(|c| c.http.max_open_connections = CAP),
            ..Options::default()
        },
    )
    .await;
    let mut open = Vec::new();
    for _ in 0..CAP {
        let mut c = TcpStream::connect(addr(&srv)).await.unwrap();
        // Answered: the server holds it as one of its open connections.
        assert_eq!(request_on(&mut c).await, "HTTP/1.1 200 OK");
        open.push(c);
    }

    let mut extra = TcpStream::connect(addr(&srv)).await.unwrap();
    let _ = extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: siaga\r\n\r\n")
        .await;
    let refused =
        String::from_utf8_lossy(&read_to_close(&mut extra, Duration::from_secs(15)).await)
            .into_owned();
    assert!(
        refused.is_empty() || refused.starts_with("HTTP/1.1 503"),
        "{refused}"
    );
    for c in &mut open {
        assert_eq!(request_on(c).await, "HTTP/1.1 200 OK");
    }

    // One leaves; its place is free again once the server has seen it go.
    drop(open.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut c = TcpStream::connect(addr(&srv)).await.unwrap();
        if c.write_all(b"GET /healthz HTTP/1.1\r\nHost: siaga\r\n\r\n")
            .await
            .is_ok()
        {
            let answer = read_status(&mut c).await;
            if answer == "HTTP/1.1 200 OK" {
                break;
            }
            assert!(
                answer.is_empty() || answer.starts_with("HTTP/1.1 503"),
                "{answer}"
            );
        }
        assert!(
            Instant::now() < deadline,
            "the freed place was never reused"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The status line of the answer to a request already written, or "" when the server closed at once.
async fn read_status(stream: &mut TcpStream) -> String {
    let mut buf = vec![0u8; 4096];
    match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
        Ok(Ok(n)) => String::from_utf8_lossy(&buf[..n])
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
        Ok(Err(_)) => String::new(),
        Err(_) => panic!("no answer within 10 s"),
    }
}
