//! Process-level tests: real `siaga` processes (build the binary first: `cargo build --bin siaga`, or set
//! `SIAGA_BIN`). Two instances on one PostgreSQL database act as one system, and killing one loses no event.

#![expect(
    clippy::unwrap_used,
    reason = "integration tests: an unwrap that fails is a failed assertion"
)]

mod logs;

use serde_json::{Value, json};
use siaga_tests::{DEMO_PASSWORD, Engine, TestDb, WsClient, postgres_enabled, read, siaga_bin};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

/// A running `siaga serve`.
struct Instance {
    base: String,
    child: Child,
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn siaga(db: &TestDb, logs: &std::path::Path, name: &str) -> Command {
    let mut cmd = Command::new(siaga_bin().unwrap());
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn,siaga=info")
        .env("SIAGA_DATABASE_URL", &db.url)
        .env("SIAGA_DATA_DIR", logs)
        // One event per accepted fix, so every request produces an event to follow.
        .env("SIAGA_LIVE__POSITION_EVENT_INTERVAL_MS", "0")
        // No safety poll within the test's waits: events from the other instance arrive by NOTIFY or not at all.
        .env("SIAGA_LIVE__POLL_INTERVAL_MS", "600000")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(logs.join(format!("{name}.out"))).unwrap())
        .stderr(std::fs::File::create(logs.join(format!("{name}.err"))).unwrap())
        .kill_on_drop(true);
    cmd
}

async fn start_instance(db: &TestDb, logs: &std::path::Path, name: &str) -> Instance {
    let port = free_port();
    let child = siaga(db, logs, name)
        .arg("serve")
        .env("SIAGA_LISTEN", format!("127.0.0.1:{port}"))
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    // Wait (bounded) until the process answers; a process test cannot pre-bind its listener.
    let http = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "instance {name} did not start; see {}",
            logs.join(format!("{name}.err")).display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Instance { base, child }
}

async fn login(base: &str, user: &str) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": DEMO_PASSWORD}))
        .send()
        .await
        .unwrap();
    let (status, body) = read(resp).await;
    assert!(status.is_success(), "login {user}: {body}");
    body["token"].as_str().unwrap().to_owned()
}

async fn post_fix(base: &str, token: &str, unit: &str, i: i64, t0: i64) -> Result<(), String> {
    let fix = json!({"lat": 1.13 + 0.00005 * i as f64, "lon": 104.03, "accuracy_m": 5.0, "at": t0 + 1000 * i});
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/units/{unit}/position"))
        .bearer_auth(token)
        .json(&fix)
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let (status, body) = read(resp).await;
    if status.as_u16() == 202 {
        Ok(())
    } else {
        Err(format!("{status}: {body}"))
    }
}

/// Reads frames until a `unit.position` with this fix time; returns the seqs of all domain events read.
async fn read_until_fix(ws: &mut WsClient, position_at: i64, seqs: &mut Vec<i64>) {
    loop {
        let frame: Value = ws.next().await;
        if frame["type"] == "hello" {
            continue;
        }
        if let Some(seq) = frame["seq"].as_i64() {
            seqs.push(seq);
        }
        if frame["type"] == "unit.position" && frame["position_at"] == position_at {
            return;
        }
    }
}

/// Reads every domain event until the connection drops.
async fn read_until_dropped(ws: &mut WsClient, seqs: &mut Vec<i64>) {
    while let Some(frame) = ws.next_within(Duration::from_secs(30)).await {
        if frame["type"] != "hello"
            && let Some(seq) = frame["seq"].as_i64()
        {
            seqs.push(seq);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_stream_and_a_killed_instance_loses_no_event() {
    if !postgres_enabled() {
        return;
    }
    // Arrange: a demo database and two instances on it.
    let db = TestDb::new(Engine::Postgres).await;
    let logs = tempfile::tempdir().unwrap();
    let demo = siaga(&db, logs.path(), "demo")
        .args(["demo", "--no-serve"])
        .status()
        .await
        .unwrap();
    assert!(demo.success(), "siaga demo --no-serve failed");
    let mut a = start_instance(&db, logs.path(), "a").await;
    let b = start_instance(&db, logs.path(), "b").await;

    let responder = login(&a.base, "dmk01").await;
    let dispatcher = login(&b.base, "dispatch.damkar").await;
    let units = reqwest::Client::new()
        .get(format!("{}/api/v1/units", b.base))
        .bearer_auth(&dispatcher)
        .send()
        .await
        .unwrap();
    let (_, units) = read(units).await;
    let unit = units
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["call_sign"] == "DMK-01")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A dispatcher on B, and another on A.
    let mut on_b = WsClient::connect(&b.base, &dispatcher, None).await;
    let start_b = on_b.next().await["seq"].as_i64().unwrap();
    let mut on_a = WsClient::connect(&a.base, &dispatcher, None).await;
    let start_a = on_a.next().await["seq"].as_i64().unwrap();

    // Act 1: a change made through A reaches the client on B.
    let t0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    post_fix(&a.base, &responder, &unit, 0, t0).await.unwrap();
    let mut seen_b = Vec::new();
    read_until_fix(&mut on_b, t0, &mut seen_b).await;
    let mut seen_a = Vec::new();
    read_until_fix(&mut on_a, t0, &mut seen_a).await;

    // Act 2: keep producing through A, kill it mid-stream, carry on through B.
    let mut i = 1;
    while i <= 15 {
        post_fix(&a.base, &responder, &unit, i, t0).await.unwrap();
        i += 1;
    }
    a.child.start_kill().unwrap();
    let _ = a.child.wait().await;
    // Fixes the dead instance accepted but had not yet written are gone (the track is batched); the next
    // fix through B is newer than anything either instance stored, so B takes it.
    let last_fix = i + 15;
    while i <= last_fix {
        post_fix(&b.base, &responder, &unit, i, t0).await.unwrap();
        i += 1;
    }
    let last_at = t0 + 1000 * last_fix;

    // The client of A lost its connection; it resumes on B from the last seq it saw.
    read_until_dropped(&mut on_a, &mut seen_a).await;
    let resume_from = seen_a.last().copied().unwrap_or(start_a);
    let mut resumed = WsClient::connect(&b.base, &dispatcher, Some(resume_from)).await;
    read_until_fix(&mut resumed, last_at, &mut seen_a).await;
    read_until_fix(&mut on_b, last_at, &mut seen_b).await;

    // Assert: both clients saw exactly the log's events (every one is visible to this dispatcher), in
    // order, with no gap and no duplicate.
    let store = siaga::store::Store::connect(&db.url, 2).await.unwrap();
    let log: Vec<i64> = store
        .events_after(start_b.min(start_a), 1_000_000)
        .await
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    store.close().await;
    let upto = *seen_b.last().unwrap();
    let expected_b: Vec<i64> = log
        .iter()
        .copied()
        .filter(|s| *s > start_b && *s <= upto)
        .collect();
    let expected_a: Vec<i64> = log
        .iter()
        .copied()
        .filter(|s| *s > start_a && *s <= upto)
        .collect();
    assert_eq!(seen_b, expected_b, "client on B");
    assert_eq!(seen_a, expected_a, "client of A, resumed on B");
    assert!(expected_b.len() >= 2, "too few events: {expected_b:?}");
    drop(b);
}
