//! What was acknowledged is there after a restart; incident numbers never repeat, even under concurrency.

use reqwest::StatusCode;
use serde_json::json;
use siaga_tests::{Engine, Options, TestServer, engine_tests};
use std::collections::BTreeSet;

engine_tests!(
    accepted_writes_survive_a_restart,
    concurrent_incident_sequences_are_distinct_and_gap_free,
);

async fn accepted_writes_survive_a_restart(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let admin = srv.demo_login("admin").await;
    let (status, agency) = srv
        .post(
            "/api/v1/agencies",
            &admin,
            json!({"code": "BASARNAS-BTM", "name": "Basarnas Batam", "agency_type": "disaster", "region_code": "21.71"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = srv
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "dispatch.sar", "display_name": "SAR", "role": "dispatcher",
                   "agency_id": agency["id"], "password": "tetap-ada-123"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let survivor_token = srv.demo_login("operator1").await;

    let db = srv.stop().await;
    let srv = TestServer::on_db(db, Options::default()).await;

    let token = srv.login("dispatch.sar", "tetap-ada-123").await;
    let (_, me) = srv.get("/api/v1/auth/me", &token).await;
    assert_eq!(me["agency_id"], agency["id"]);
    // Sessions are stored, so a token issued before the restart still works.
    assert_eq!(
        srv.get("/api/v1/auth/me", &survivor_token).await.0,
        StatusCode::OK
    );
    // The demo was not loaded twice, and the bootstrap admin was not added to a non-empty database.
    let admin = srv.demo_login("admin").await;
    let (_, users) = srv.get("/api/v1/users", &admin).await;
    assert_eq!(
        users
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["role"] == "admin")
            .count(),
        1
    );
}

async fn concurrent_incident_sequences_are_distinct_and_gap_free(engine: Engine) {
    let db = siaga_tests::TestDb::new(engine).await;
    let store = siaga::store::Store::connect(&db.url, 8).await.unwrap();
    store.migrate().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..100 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .next_incident_sequence("BTM", "20261124")
                .await
                .unwrap()
        }));
    }
    let mut seen = BTreeSet::new();
    for t in tasks {
        assert!(seen.insert(t.await.unwrap()), "duplicate sequence");
    }
    assert_eq!(seen, (1..=100).collect());
    // Another day and another region start again at 1.
    assert_eq!(
        store
            .next_incident_sequence("BTM", "20261125")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .next_incident_sequence("BDG", "20261124")
            .await
            .unwrap(),
        1
    );
    store.close().await;
}
