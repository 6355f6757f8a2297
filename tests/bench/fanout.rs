//! Fan-out latency of the live stream under position load (a benchmark, not a test).
//!
//! Run: `cargo bench -p siaga-tests --bench fanout` (env `FANOUT_SECS`, `FANOUT_UNITS`, `FANOUT_SOCKETS`,
//! `FANOUT_AGENCIES` change the defaults below). On SQLite, 10 000 simulated units each send a GPS fix every
//! 10 s over HTTP (`POST /api/v1/units/{id}/position`, 1 000 requests/s) while 500 dispatcher websockets
//! spread over 50 agencies (OPD) are connected; every fix becomes a `unit.position` event for the 10
//! dispatchers of the unit's agency. Latency is measured per delivered frame, from just before the HTTP
//! request is sent to the frame's arrival on each dispatcher socket, and reported as p50/p90/p99/max.
//! The server runs in-process on its own runtime; the load generator and the 500 clients on another.
//!
//! `FANOUT_ENGINE=postgres` serves from a fresh PostgreSQL database (`SIAGA_TEST_POSTGRES_URL`);
//! `FANOUT_INSTANCES=2` (PostgreSQL only) starts a second instance on the same database and connects the
//! sockets there, so each frame is committed on one instance and delivered by the other (issue 18, target 5).
//! `FANOUT_BATCH=n` sends the fixes of each 10 ms tick in batches of up to n (`POST /api/v1/positions`) instead
//! of one request each: with `FANOUT_UNITS=500000` that is 50,000 fixes/s (issue 18, target 3).
//! The resident memory added by connecting the sockets is printed per socket (both ends counted).

#![expect(clippy::unwrap_used, reason = "benchmark harness")]
#![expect(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use futures::StreamExt;
use serde::Deserialize;
use siaga_tests::{Engine, Options, TestDb, TestServer};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(default)]
    unit_id: Option<&'a str>,
    #[serde(default)]
    position_at: Option<i64>,
}

/// Send instants of fixes, keyed by (unit index, fix time).
type Sent = Arc<Mutex<HashMap<(u32, i64), Instant>>>;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Multi-row `INSERT`s of literal rows, 500 per statement (both engines accept them; the values are
/// generated identifiers and numbers, nothing to quote).
fn inserts(head: &str, rows: &[String]) -> Vec<String> {
    rows.chunks(500)
        .map(|c| format!("{head} VALUES {}", c.join(", ")))
        .collect()
}

async fn populate(
    db: &TestDb,
    units: u32,
    agencies: u32,
    sockets: u32,
) -> (Vec<String>, Vec<String>, String) {
    let store = siaga::store::Store::connect(&db.url, 2).await.unwrap();
    store.migrate().await.unwrap();
    store.close().await;
    let now = now_ms();
    let mut statements = Vec::new();
    let agency_rows: Vec<String> = (0..agencies)
        .map(|a| format!("('ag{a}', 'AG-{a}', 'Agency {a}', 'fire', '21.71', {now}, {now})"))
        .collect();
    statements.extend(inserts(
        "INSERT INTO agencies (id, code, name, agency_type, region_code, created_at, updated_at)",
        &agency_rows,
    ));
    let unit_ids: Vec<String> = (0..units).map(|u| format!("unit{u:06}")).collect();
    let unit_rows: Vec<String> = unit_ids
        .iter()
        .enumerate()
        .map(|(u, id)| {
            format!(
                "('{id}', 'ag{}', 'U-{u:06}', 'fire_engine', 'available', {now}, {now})",
                u as u32 % agencies
            )
        })
        .collect();
    statements.extend(inserts(
        "INSERT INTO units (id, agency_id, call_sign, unit_type, status, created_at, updated_at)",
        &unit_rows,
    ));
    let mut users: Vec<(String, &str, String, String)> = (0..sockets)
        .map(|s| {
            (
                format!("disp{s}"),
                "dispatcher",
                format!("'ag{}'", s % agencies),
                format!("bench-token-disp{s}"),
            )
        })
        .collect();
    users.push((
        "benchadmin".into(),
        "admin",
        "NULL".into(),
        "bench-token-benchadmin".into(),
    ));
    let user_rows: Vec<String> = users
        .iter()
        .map(|(id, role, agency, _)| {
            format!("('{id}', '{id}', '{id}', '{role}', {agency}, 'x', TRUE, {now}, {now})")
        })
        .collect();
    statements.extend(inserts(
        "INSERT INTO users (id, username, display_name, role, agency_id, password_hash, active, created_at, \
         updated_at)",
        &user_rows,
    ));
    let expires = now + 24 * 3_600_000;
    let session_rows: Vec<String> = users
        .iter()
        .map(|(id, _, _, token)| {
            format!(
                "('{}', '{id}', {now}, {expires}, {now})",
                siaga::auth::token_hash(token)
            )
        })
        .collect();
    statements.extend(inserts(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at)",
        &session_rows,
    ));
    let refs: Vec<&str> = statements.iter().map(String::as_str).collect();
    db.execute(&refs).await.unwrap();
    let mut tokens: Vec<String> = users.into_iter().map(|u| u.3).collect();
    let admin = tokens.pop().unwrap();
    (unit_ids, tokens, admin)
}

/// Resident memory of this process, kB (Linux).
fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn main() {
    let units = env_or("FANOUT_UNITS", 10_000) as u32;
    let sockets = env_or("FANOUT_SOCKETS", 500) as u32;
    let agencies = env_or("FANOUT_AGENCIES", 50) as u32;
    let secs = env_or("FANOUT_SECS", 30);
    let period_s = 10;
    // Fixes per request: 0 sends each fix alone (`POST /api/v1/units/{id}/position`), n > 0 sends a tick's
    // fixes in batches of at most n (`POST /api/v1/positions`, a tracking gateway's way).
    let batch = env_or("FANOUT_BATCH", 0) as usize;

    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("server")
        .build()
        .unwrap();
    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("load")
        .build()
        .unwrap();

    let engine = match std::env::var("FANOUT_ENGINE").as_deref() {
        Ok("postgres") => Engine::Postgres,
        _ => Engine::Sqlite,
    };
    let instances = env_or("FANOUT_INSTANCES", 1);
    assert!(
        instances == 1 || (instances == 2 && engine == Engine::Postgres),
        "FANOUT_INSTANCES=2 needs FANOUT_ENGINE=postgres (instances share one database)"
    );
    let db = Arc::new(server_rt.block_on(TestDb::new(engine)));
    let (unit_ids, tokens, admin) = server_rt.block_on(populate(&db, units, agencies, sockets));
    let options = || Options {
        demo: false,
        tweak: Some(|c| {
            if let Some(n) = std::env::var("FANOUT_TRACK_BATCH")
                .ok()
                .and_then(|v| v.parse().ok())
            {
                c.live.track_batch_max = n;
            }
            // Room for every socket beside the HTTP connections of the load (the default is 2,048).
            let sockets = env_or("FANOUT_SOCKETS", 500) as usize;
            c.http.max_open_connections = c.http.max_open_connections.max(sockets + 1024);
        }),
        ..Options::default()
    };
    let srv = server_rt.block_on(TestServer::on_db(Arc::clone(&db), options()));
    // With two instances the fixes go to the first and the dispatchers listen on the second: every frame
    // crosses the shared database (commit on A, NOTIFY, B reads the log and fans out).
    let second =
        (instances == 2).then(|| server_rt.block_on(TestServer::on_db(Arc::clone(&db), options())));
    let base = srv.base.clone();
    let socket_base = second
        .as_ref()
        .map_or_else(|| base.clone(), |b| b.base.clone());
    println!(
        "fanout: {units} units × 1 fix / {period_s} s = {} fixes/s; {sockets} dispatcher sockets over {agencies} \
         agencies; {engine:?}, {instances} instance(s){}; measuring {secs} s after a {period_s} s warm-up",
        units / period_s as u32,
        if instances == 2 {
            " (fixes to A, sockets on B)"
        } else {
            ""
        }
    );

    client_rt.block_on(async move {
        let unit_index: Arc<HashMap<String, u32>> =
            Arc::new(unit_ids.iter().enumerate().map(|(i, u)| (u.clone(), i as u32)).collect());
        let sent: Sent = Arc::default();
        let measuring = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let latencies: Arc<Mutex<Vec<u64>>> = Arc::default();

        // The dispatcher sockets. The resident memory before and after connecting them bounds the memory per
        // socket from above (it counts both ends, the server's and this client's).
        let rss_before = rss_kb();
        let mut handles = Vec::new();
        for token in &tokens {
            let url = format!("{}/api/v1/ws?access_token={token}", socket_base.replacen("http", "ws", 1));
            let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
            let hello = ws.next().await.unwrap().unwrap();
            assert!(hello.to_text().unwrap().contains("\"hello\""));
            let sent = Arc::clone(&sent);
            let unit_index = Arc::clone(&unit_index);
            let latencies = Arc::clone(&latencies);
            let measuring = Arc::clone(&measuring);
            handles.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                while let Some(Ok(msg)) = ws.next().await {
                    let arrived = Instant::now();
                    let tokio_tungstenite::tungstenite::Message::Text(text) = msg else {
                        continue;
                    };
                    let Ok(frame) = serde_json::from_str::<Frame>(text.as_str()) else {
                        continue;
                    };
                    if frame.kind != "unit.position" {
                        continue;
                    }
                    let (Some(unit), Some(at)) = (frame.unit_id, frame.position_at) else {
                        continue;
                    };
                    let Some(idx) = unit_index.get(unit) else {
                        continue;
                    };
                    let started = sent.lock().unwrap().get(&(*idx, at)).copied();
                    if let Some(started) = started
                        && measuring.load(std::sync::atomic::Ordering::Relaxed)
                    {
                        mine.push(arrived.duration_since(started).as_micros() as u64);
                    }
                }
                latencies.lock().unwrap().extend(mine);
            }));
        }

        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss_after = rss_kb();
        println!(
            "{sockets} sockets connected: resident memory +{} kB, {:.1} kB per socket (server and client ends)",
            rss_after.saturating_sub(rss_before),
            rss_after.saturating_sub(rss_before) as f64 / f64::from(sockets.max(1))
        );

        // 10 000 units, each one fix every 10 s, spread evenly: a tick every 10 ms sends units/1000 fixes.
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()
            .unwrap();
        let ticks_per_period = 1000u32;
        let per_tick = units.div_ceil(ticks_per_period);
        let mut tick = tokio::time::interval(Duration::from_millis(period_s * 1000 / u64::from(ticks_per_period)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let warmup = Instant::now() + Duration::from_secs(period_s);
        let end = warmup + Duration::from_secs(secs);
        let mut n: u64 = 0;
        let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let acked = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let request_ms: Arc<Mutex<Vec<u64>>> = Arc::default();
        let mut measured_fixes = 0u64;
        let started = Instant::now();
        while Instant::now() < end {
            tick.tick().await;
            if Instant::now() >= warmup && !measuring.load(std::sync::atomic::Ordering::Relaxed) {
                measuring.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            let mut pending: Vec<(u32, i64, serde_json::Value)> = Vec::new();
            for _ in 0..per_tick {
                let u = (n % u64::from(units)) as u32;
                let round = n / u64::from(units);
                n += 1;
                let at = now_ms();
                // A slow drive east: 10 m per 10 s.
                let lon = 104.0 + 0.00009 * round as f64 + f64::from(u % 100) * 0.001;
                let lat = 1.0 + f64::from(u / 100 % 1000) * 0.001 + f64::from(u / 100_000) * 0.0003;
                if measuring.load(std::sync::atomic::Ordering::Relaxed) {
                    measured_fixes += 1;
                }
                pending.push((u, at, serde_json::json!({"lat": lat, "lon": lon, "accuracy_m": 5.0, "at": at})));
            }
            let groups: Vec<Vec<(u32, i64, serde_json::Value)>> = if batch == 0 {
                pending.into_iter().map(|f| vec![f]).collect()
            } else {
                let mut groups = Vec::new();
                let mut it = pending.into_iter().peekable();
                while it.peek().is_some() {
                    groups.push(it.by_ref().take(batch).collect());
                }
                groups
            };
            for group in groups {
                let (url, body) = if batch == 0 {
                    let (u, _, fix) = &group[0];
                    (format!("{base}/api/v1/units/{}/position", unit_ids[*u as usize]), fix.clone())
                } else {
                    let fixes: Vec<serde_json::Value> = group
                        .iter()
                        .map(|(u, _, fix)| {
                            let mut f = fix.clone();
                            f["unit_id"] = serde_json::Value::from(unit_ids[*u as usize].as_str());
                            f
                        })
                        .collect();
                    (format!("{base}/api/v1/positions"), serde_json::json!({"fixes": fixes}))
                };
                let keys: Vec<(u32, i64)> = group.iter().map(|(u, at, _)| (*u, *at)).collect();
                let http = http.clone();
                let admin = admin.clone();
                let sent = Arc::clone(&sent);
                let errors = Arc::clone(&errors);
                let acked = Arc::clone(&acked);
                let request_ms = Arc::clone(&request_ms);
                tokio::spawn(async move {
                    let t = Instant::now();
                    {
                        let mut sent = sent.lock().unwrap();
                        for k in &keys {
                            sent.insert(*k, t);
                        }
                    }
                    let ok = match http.post(url).bearer_auth(admin).json(&body).send().await {
                        Ok(r) if r.status().as_u16() == 202 => true,
                        Ok(r) if r.status().as_u16() == 200 => r
                            .json::<serde_json::Value>()
                            .await
                            .is_ok_and(|b| b["refused"].as_array().is_some_and(Vec::is_empty)),
                        _ => false,
                    };
                    if ok {
                        acked.fetch_add(keys.len() as u64, std::sync::atomic::Ordering::Relaxed);
                        request_ms.lock().unwrap().push(t.elapsed().as_micros() as u64);
                    } else {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                });
            }
        }
        let elapsed = started.elapsed();
        // Let the last frames arrive, then close the sockets by stopping the server.
        tokio::time::sleep(Duration::from_secs(2)).await;
        measuring.store(false, std::sync::atomic::Ordering::Relaxed);
        drop(second);
        drop(srv);
        for h in handles {
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
        let mut requests = request_ms.lock().unwrap().clone();
        requests.sort_unstable();
        println!(
            "fixes acknowledged (stored): {} ({:.0}/s); request → answer (ms): p50 {:.2}  p99 {:.2}  max {:.2}",
            acked.load(std::sync::atomic::Ordering::Relaxed),
            acked.load(std::sync::atomic::Ordering::Relaxed) as f64 / elapsed.as_secs_f64(),
            percentile(&requests, 0.50),
            percentile(&requests, 0.99),
            percentile(&requests, 1.0)
        );
        let mut all = latencies.lock().unwrap().clone();
        all.sort_unstable();
        println!(
            "fixes sent: {n} in {:.1} s ({:.0}/s), {} measured, HTTP errors: {}",
            elapsed.as_secs_f64(),
            n as f64 / elapsed.as_secs_f64(),
            measured_fixes,
            errors.load(std::sync::atomic::Ordering::Relaxed)
        );
        println!(
            "frames delivered while measuring: {} ({:.0}/s; expected ≈ {} per fix)",
            all.len(),
            all.len() as f64 / secs as f64,
            sockets / agencies
        );
        println!(
            "fan-out latency HTTP write → dispatcher socket (ms): p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
            percentile(&all, 0.50),
            percentile(&all, 0.90),
            percentile(&all, 0.99),
            percentile(&all, 0.999),
            percentile(&all, 1.0)
        );
    });
    drop(db);
}
