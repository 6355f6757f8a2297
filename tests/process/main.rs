//! Process-level tests: real `siaga` processes (build the binary first: `cargo build --bin siaga`, or set
//! `SIAGA_BIN`). Two instances on one PostgreSQL database act as one system, and killing one loses no event;
//! a flood of logins costs bounded memory.

#![expect(
    clippy::unwrap_used,
    reason = "integration tests: an unwrap that fails is a failed assertion"
)]

#[cfg(target_os = "linux")]
mod login_load;
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

/// Waits (bounded by `wait`) until the process at `base` answers `/healthz`: a process test cannot pre-bind
/// its listener. `what` and `log` name the process and its stderr in the failure.
async fn wait_until_ready(base: &str, wait: Duration, what: &str, log: &std::path::Path) {
    let http = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} did not start; see {}",
            log.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The scraper's token for `/metrics` (`auth.metrics_token`).
const METRICS_TOKEN: &str = "process-test-metrics-token-0123456789";

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
        // `leads` reads /metrics as a Prometheus scraper would.
        .env("SIAGA_AUTH__METRICS_TOKEN", METRICS_TOKEN)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(logs.join(format!("{name}.out"))).unwrap())
        .stderr(std::fs::File::create(logs.join(format!("{name}.err"))).unwrap())
        .kill_on_drop(true);
    cmd
}

/// A fresh PostgreSQL database with the demo data (`siaga demo --no-serve`), and a folder for the logs.
async fn demo_database() -> (TestDb, tempfile::TempDir) {
    let db = TestDb::new(Engine::Postgres).await;
    let logs = tempfile::tempdir().unwrap();
    let demo = siaga(&db, logs.path(), "demo")
        .args(["demo", "--no-serve"])
        .status()
        .await
        .unwrap();
    assert!(demo.success(), "siaga demo --no-serve failed");
    (db, logs)
}

async fn start_instance(db: &TestDb, logs: &std::path::Path, name: &str) -> Instance {
    start_instance_with(db, logs, name, &[]).await
}

/// Starts `siaga serve` with extra environment variables, and waits until it answers.
async fn start_instance_with(
    db: &TestDb,
    logs: &std::path::Path,
    name: &str,
    env: &[(&str, &str)],
) -> Instance {
    let port = free_port();
    let child = siaga(db, logs, name)
        .arg("serve")
        .env("SIAGA_LISTEN", format!("127.0.0.1:{port}"))
        .envs(env.iter().copied())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    wait_until_ready(
        &base,
        Duration::from_secs(30),
        &format!("instance {name}"),
        &logs.join(format!("{name}.err")),
    )
    .await;
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
    let fix = json!({"lat": -6.16 + 0.00005 * i as f64, "lon": 106.91, "accuracy_m": 5.0, "at": t0 + 1000 * i});
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
    let (db, logs) = demo_database().await;
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
    let hello_b = on_b.next().await;
    let start_b = hello_b["seq"].as_i64().unwrap();
    let audience = siaga::events::Audience::Dispatcher {
        agency_id: hello_b["user"]["agency_id"].as_str().unwrap().to_owned(),
    };
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
    // Every fix the dead instance acknowledged is in the track: it answers only once a fix is stored.
    let store = siaga::store::Store::connect(&db.url, 2).await.unwrap();
    let track = store
        .unit_track(&unit, t0, t0 + 1000 * (i - 1))
        .await
        .unwrap();
    store.close().await;
    let stored: Vec<i64> = track.iter().map(|p| p.at).collect();
    assert_eq!(stored, (0..i).map(|k| t0 + 1000 * k).collect::<Vec<_>>());
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

    // Assert: both clients saw exactly the log's events that this dispatcher may see, in order, with no
    // gap and no duplicate. (The logins' `agent.state` events are for supervisors: when B's feed has not
    // yet read the one written through A, B's hello starts before it, and the dispatcher rightly never
    // receives it.)
    let store = siaga::store::Store::connect(&db.url, 2).await.unwrap();
    let log: Vec<i64> = store
        .events_after(start_b.min(start_a), 1_000_000)
        .await
        .unwrap()
        .iter()
        .filter(|r| {
            let reach = siaga::events::Reach {
                agency_ids: r.agency_ids.as_ref().map(|ids| {
                    ids.split(',')
                        .filter(|id| !id.is_empty())
                        .map(str::to_owned)
                        .collect()
                }),
                unit_id: r.unit_id.clone(),
                region_code: r.region_code.clone(),
            };
            audience.allows(&r.event_type, &reach)
        })
        .map(|r| r.seq)
        .collect();
    // Both instances appended audit entries (logins, the assignment): still one chain.
    let audit = store.verify_audit().await.unwrap();
    assert_eq!(audit.broken, None, "audit chain written by two instances");
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

/// The instance's `siaga_leader{job=…}` gauge, or `None` when it does not answer.
async fn leads(base: &str, job: &str) -> Option<bool> {
    let text = reqwest::Client::new()
        .get(format!("{base}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let line = format!("siaga_leader{{job=\"{job}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(line.as_str()))
        .map(|v| v.trim() == "1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_instance_runs_the_sla_clocks_and_the_other_takes_over_when_it_dies() {
    if !postgres_enabled() {
        return;
    }
    // Arrange: two instances with a 3 s answer target on one database.
    let (db, logs) = demo_database().await;
    let short_answer = [("SIAGA_DISPATCH__SLA__ANSWER_S", "3")];
    let a = start_instance_with(&db, logs.path(), "a", &short_answer).await;
    let b = start_instance_with(&db, logs.path(), "b", &short_answer).await;

    // Exactly one instance leads the SLA runner.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let (a_leads, b_leads) = loop {
        let (x, y) = (leads(&a.base, "sla").await, leads(&b.base, "sla").await);
        if x.unwrap_or(false) || y.unwrap_or(false) {
            break (x.unwrap(), y.unwrap());
        }
        assert!(tokio::time::Instant::now() < deadline, "nobody leads");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        a_leads != b_leads,
        "exactly one leader: a={a_leads} b={b_leads}"
    );
    let (mut leader, survivor) = if a_leads { (a, b) } else { (b, a) };

    // Act: a call rings through the survivor; its answer clock is running when the leader is killed.
    let taker = login(&survivor.base, "operator1").await;
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/calls", survivor.base))
        .bearer_auth(&taker)
        .json(&json!({"ani": "081234500001", "channel": "voice"}))
        .send()
        .await
        .unwrap();
    let (status, call) = read(resp).await;
    assert_eq!(status.as_u16(), 201, "{call}");
    let call_id = call["id"].as_str().unwrap().to_owned();
    leader.child.start_kill().unwrap();
    let _ = leader.child.wait().await;

    // Assert: the survivor takes over and raises the breach, once.
    let store = siaga::store::Store::connect(&db.url, 2).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let breaches: Vec<Value> = store
            .events_after(0, 1_000_000)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.event_type == "sla.breach")
            .map(|e| serde_json::from_str(&e.payload).unwrap())
            .filter(|p: &Value| p["subject_id"] == call_id.as_str())
            .collect();
        if !breaches.is_empty() {
            assert_eq!(breaches.len(), 1, "{breaches:?}");
            assert_eq!(breaches[0]["kind"], "answer");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no breach after the leader died"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(leads(&survivor.base, "sla").await, Some(true));
    // A second look a while later: still exactly one.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let count = store
        .events_after(0, 1_000_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.event_type == "sla.breach" && e.payload.contains(&call_id))
        .count();
    assert_eq!(count, 1);
    store.close().await;
    drop(survivor);
}

/// A JSON request to an instance; returns status and body.
async fn send(
    base: &str,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = reqwest::Client::new()
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let (status, body) = read(rb.send().await.unwrap()).await;
    (status.as_u16(), body)
}

/// Asks `base` for the nearest ambulances to a point until `until` holds of the answer (10 s at most).
async fn nearest_until(
    base: &str,
    token: &str,
    (lon, lat): (f64, f64),
    what: &str,
    until: impl Fn(&Value) -> bool,
) {
    let path = format!("/api/v1/geo/nearest?lon={lon}&lat={lat}&unit_type=ambulance");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (status, found) = send(base, reqwest::Method::GET, &path, token, None).await;
        assert_eq!(status, 200, "{found}");
        if until(&found) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: the other instance still answers {found}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_added_moved_or_taken_off_duty_through_one_instance_is_recommended_accordingly_by_the_other()
 {
    if !postgres_enabled() {
        return;
    }
    let (db, logs) = demo_database().await;
    let a = start_instance(&db, logs.path(), "a").await;
    let b = start_instance(&db, logs.path(), "b").await;
    let admin_a = login(&a.base, "admin").await;
    let dispatcher_b = login(&b.base, "dispatch.dinkes").await;
    let (_, agencies) = send(
        &a.base,
        reqwest::Method::GET,
        "/api/v1/agencies",
        &admin_a,
        None,
    )
    .await;
    let dinkes = agencies
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "DINKES-DKI")
        .unwrap()["id"]
        .clone();

    // Added through A: B recommends it.
    let station = (106.955, -6.215);
    let (status, unit) = send(
        &a.base,
        reqwest::Method::POST,
        "/api/v1/units",
        &admin_a,
        Some(
            json!({"agency_id": dinkes, "call_sign": "AMB-77", "unit_type": "ambulance",
                    "position": {"lon": station.0, "lat": station.1}}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{unit}");
    let id = unit["id"].as_str().unwrap().to_owned();
    let first_is_it = |f: &Value| f["units"][0]["unit_id"] == id.as_str();
    nearest_until(&b.base, &dispatcher_b, station, "added", first_is_it).await;

    // Moved by a fix sent to A: B places it there.
    let scene = (106.87, -6.12);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let (status, v) = send(
        &a.base,
        reqwest::Method::POST,
        &format!("/api/v1/units/{id}/position"),
        &admin_a,
        Some(json!({"lon": scene.0, "lat": scene.1, "at": now})),
    )
    .await;
    assert_eq!(status, 202, "{v}");
    nearest_until(&b.base, &dispatcher_b, scene, "moved", |f| {
        first_is_it(f) && f["units"][0]["distance_m"].as_f64().unwrap_or(f64::MAX) < 1.0
    })
    .await;

    // Taken off duty through A: B no longer recommends it.
    let (status, v) = send(
        &a.base,
        reqwest::Method::PATCH,
        &format!("/api/v1/units/{id}/status"),
        &admin_a,
        Some(json!({"status": "out_of_service"})),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    nearest_until(&b.base, &dispatcher_b, scene, "off duty", |f| {
        !f["units"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["unit_id"] == id.as_str())
    })
    .await;
    drop((a, b));
}
