//! Health, readiness, metrics and the OpenAPI document.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use siaga_tests::{Engine, Options, TestServer, assert_error, engine_tests};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

engine_tests!(
    probes_metrics_and_openapi_answer,
    metrics_are_for_supervisors_admins_and_the_configured_scraper,
    a_request_that_outlasts_the_timeout_is_a_503_in_the_error_envelope,
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
    let srv = TestServer::start_with(
        engine,
        Options {
            demo: true,
            tweak: Some(|c| c.auth.metrics_token = Some(SCRAPER_TOKEN.to_owned())),
            ..Options::default()
        },
    )
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
    let srv = TestServer::start_with(
        engine,
        Options {
            demo: true,
            tweak: Some(|c| c.request_timeout_secs = 1),
            ..Options::default()
        },
    )
    .await;
    let admin = srv.demo_login("admin").await;
    let mut tcp = tokio::net::TcpStream::connect(srv.base.trim_start_matches("http://"))
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
