//! Health, readiness, metrics and the OpenAPI document.

use reqwest::{Method, StatusCode};
use siaga_tests::{Engine, TestServer, engine_tests};

engine_tests!(probes_metrics_and_openapi_answer);

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
