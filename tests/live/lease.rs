//! Leader leases: one holder per name across instances (PostgreSQL sessions) or tasks (SQLite).

use crate::server;
use siaga_tests::{Engine, engine_tests};
use std::time::Duration;

engine_tests!(a_leader_lease_has_one_holder_and_passes_on_when_released);

async fn a_leader_lease_has_one_holder_and_passes_on_when_released(engine: Engine) {
    let srv = server(engine).await;
    // Two store handles stand for two instances: on PostgreSQL they are separate sessions.
    let a = srv.store().await;
    let b = srv.store().await;

    let mut lease = a
        .try_lead("drill")
        .await
        .unwrap()
        .expect("first claim wins");
    assert_eq!(lease.name(), "drill");
    assert!(b.try_lead("drill").await.unwrap().is_none());
    assert!(
        a.try_lead("drill").await.unwrap().is_none(),
        "not re-entrant"
    );
    let other = b
        .try_lead("sweeper")
        .await
        .unwrap()
        .expect("other names are free");
    assert!(lease.still_held().await);

    lease.release().await;
    let taken = b
        .try_lead("drill")
        .await
        .unwrap()
        .expect("released lease is free");

    // Dropping a lease (a crashed task) frees it too; PostgreSQL notices the closed session shortly.
    drop(taken);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let again = loop {
        if let Some(l) = a.try_lead("drill").await.unwrap() {
            break l;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "dropped lease never freed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(b.try_lead("drill").await.unwrap().is_none());
    drop((again, other));
}
