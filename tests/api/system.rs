//! Health, readiness, metrics and the OpenAPI document.

use reqwest::{Method, StatusCode};
use siaga_tests::{Engine, Options, TestServer, engine_tests, workspace_root};

engine_tests!(
    probes_metrics_and_openapi_answer,
    responses_are_compressed_and_hashed_assets_cached_for_good
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
    let resp = srv
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    assert!(
        text.contains(
            r#"siaga_http_requests_total{method="POST",route="/api/v1/auth/login",status="200"} 1"#
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
    ] {
        assert!(doc["paths"].get(path).is_some(), "missing {path}");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
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
