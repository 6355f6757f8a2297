//! `siaga audit verify` on a real trail: the entries a server wrote verify; an edited, a deleted and a
//! forged entry are each named; a cut tail passes the chain but not the head recorded before; and the
//! database itself refuses a plain UPDATE or DELETE of the trail — on SQLite and PostgreSQL.

use super::siaga;
use siaga_tests::{DEMO_PASSWORD, Engine, TestDb, TestServer, engine_tests};

engine_tests!(
    audit_verify_names_an_edited_a_deleted_and_a_forged_entry,
    entries_from_before_the_chain_are_chained_once_and_no_others
);

/// Runs SQL on the database as someone with direct access would; `Err` carries the engine's refusal.
async fn sql(db: &TestDb, statements: &[&str]) -> Result<(), String> {
    db.execute(statements).await
}

/// `siaga audit verify [args]`: (success, stdout + stderr).
fn verify(db: &TestDb, args: &[&str]) -> (bool, String) {
    let mut all = vec!["audit", "verify"];
    all.extend_from_slice(args);
    let out = siaga(db, &all, None);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Disables the triggers that keep the trail append-only, as an attacker with the database would.
fn disable_guards(engine: Engine) -> Vec<&'static str> {
    match engine {
        Engine::Sqlite => vec![
            "DROP TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_delete",
        ],
        Engine::Postgres => vec!["ALTER TABLE audit_log DISABLE TRIGGER USER"],
    }
}

async fn audit_verify_names_an_edited_a_deleted_and_a_forged_entry(engine: Engine) {
    let srv = TestServer::start(engine).await;
    // Entries written by real workflows: logins, a wrong password, a logout.
    for user in ["supervisor", "operator1", "dispatch.dinkes"] {
        srv.login(user, DEMO_PASSWORD).await;
    }
    let (status, _) = srv
        .post(
            "/api/v1/auth/login",
            "",
            serde_json::json!({"username": "operator1", "password": "wrong-password"}),
        )
        .await;
    assert_eq!(status.as_u16(), 401);
    let db = srv.stop().await;

    let (ok, said) = verify(&db, &[]);
    assert!(ok, "{said}");
    assert!(said.contains("audit trail intact"), "{said}");
    let head = said
        .split("head ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no head in: {said}"))
        .to_owned();
    let (head_id, _) = head.split_once(':').unwrap();
    let head_id: i64 = head_id.parse().unwrap();
    assert!(head_id >= 4, "{said}");

    // The database refuses changes to the trail.
    let refused = sql(&db, &["UPDATE audit_log SET detail = 'x' WHERE id = 2"]).await;
    assert!(refused.unwrap_err().contains("append-only"));
    let refused = sql(&db, &["DELETE FROM audit_log WHERE id = 2"]).await;
    assert!(refused.unwrap_err().contains("append-only"));
    assert!(verify(&db, &[]).0);

    // Edited: named, and only while the edit stands.
    let mut edit = disable_guards(engine);
    edit.push("UPDATE audit_log SET at = at + 1 WHERE id = 3");
    sql(&db, &edit).await.unwrap();
    let (ok, said) = verify(&db, &[]);
    assert!(!ok, "an edited entry verified: {said}");
    assert!(
        said.contains("entry 3's content does not match its hash"),
        "{said}"
    );
    sql(&db, &["UPDATE audit_log SET at = at - 1 WHERE id = 3"])
        .await
        .unwrap();
    let (ok, said) = verify(&db, &[]);
    assert!(ok, "the restored entry should verify again: {said}");

    // A cut tail is a valid shorter chain, but the head recorded before shows it.
    sql(
        &db,
        &[&format!("DELETE FROM audit_log WHERE id = {head_id}")],
    )
    .await
    .unwrap();
    assert!(verify(&db, &[]).0);
    let (ok, said) = verify(&db, &["--anchor", &head]);
    assert!(!ok, "a cut tail passed the anchor: {said}");
    assert!(
        said.contains(&format!("head entry {head_id} is gone")),
        "{said}"
    );

    // Forged at the end: without a hash, or with one that is not its content's.
    let forge = |hash: &str| {
        format!(
            "INSERT INTO audit_log (at, action, subject_type, prev_hash, hash) SELECT at, 'user.create', \
             'user', hash, {hash} FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)"
        )
    };
    sql(&db, &[&forge("NULL")]).await.unwrap();
    let (ok, said) = verify(&db, &[]);
    assert!(!ok && said.contains("has no hash"), "{said}");
    sql(
        &db,
        &[
            "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)",
            &forge("'feedface'"),
        ],
    )
    .await
    .unwrap();
    let (ok, said) = verify(&db, &[]);
    assert!(!ok && said.contains("does not match its hash"), "{said}");

    // Deleted from the middle: the entry after the gap is named.
    sql(&db, &["DELETE FROM audit_log WHERE id = 2"])
        .await
        .unwrap();
    let (ok, said) = verify(&db, &[]);
    assert!(!ok, "{said}");
    assert!(said.contains("entry 3 does not follow entry 1"), "{said}");
}

async fn entries_from_before_the_chain_are_chained_once_and_no_others(engine: Engine) {
    let srv = TestServer::start(engine).await;
    srv.login("supervisor", DEMO_PASSWORD).await;
    let db = srv.stop().await;
    // As a database upgraded from before the chain: the first entries have no hash, and the migration
    // recorded them as the legacy ones.
    let mut legacy = disable_guards(engine);
    legacy.push("UPDATE audit_log SET prev_hash = NULL, hash = NULL WHERE id <= 3");
    legacy.push("UPDATE audit_chain_origin SET legacy_max_id = 3");
    sql(&db, &legacy).await.unwrap();
    // Opening the database chains them exactly as they were: the later entries still link on.
    let (ok, said) = verify(&db, &[]);
    assert!(ok, "{said}");
    // An entry unchained later is not legacy: it is reported, and stays reported.
    sql(
        &db,
        &["UPDATE audit_log SET prev_hash = NULL, hash = NULL WHERE id = 4"],
    )
    .await
    .unwrap();
    for _ in 0..2 {
        let (ok, said) = verify(&db, &[]);
        assert!(!ok && said.contains("entry 4 has no hash"), "{said}");
    }
}
