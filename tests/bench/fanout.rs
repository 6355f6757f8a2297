//! Fan-out latency of the live stream under position load (a benchmark, not a test).
//!
//! Run: `cargo bench -p siaga-tests --bench fanout` (env `FANOUT_SECS`, `FANOUT_UNITS`, `FANOUT_SOCKETS`,
//! `FANOUT_AGENCIES` change the defaults below). On SQLite, 10 000 simulated units each send a GPS fix every
//! 10 s over HTTP (`POST /api/v1/units/{id}/position`, 1 000 requests/s) while 500 dispatcher websockets
//! spread over 50 agencies (OPD) are connected; every fix becomes a `unit.position` event for the 10
//! dispatchers of the unit's agency. Latency is measured per delivered frame, from just before the HTTP
//! request is sent to the frame's arrival on each dispatcher socket, and reported as p50/p90/p99/max.
//! The server runs in-process on its own runtime; the load generator and the 500 clients on another.

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

async fn populate(
    db: &TestDb,
    units: u32,
    agencies: u32,
    sockets: u32,
) -> (Vec<String>, Vec<String>, String) {
    let store = siaga::store::Store::connect(&db.url, 2).await.unwrap();
    store.migrate().await.unwrap();
    store.close().await;
    let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
    let now = now_ms();
    let mut tx = pool.begin().await.unwrap();
    for a in 0..agencies {
        sqlx::query(
            "INSERT INTO agencies (id, code, name, agency_type, region_code, created_at, updated_at) \
             VALUES ($1, $2, $3, 'fire', '21.71', $4, $4)",
        )
        .bind(format!("ag{a}"))
        .bind(format!("AG-{a}"))
        .bind(format!("Agency {a}"))
        .bind(now)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    let mut unit_ids = Vec::new();
    for u in 0..units {
        let id = format!("unit{u:05}");
        sqlx::query(
            "INSERT INTO units (id, agency_id, call_sign, unit_type, status, created_at, updated_at) \
             VALUES ($1, $2, $3, 'fire_engine', 'available', $4, $4)",
        )
        .bind(&id)
        .bind(format!("ag{}", u % agencies))
        .bind(format!("U-{u:05}"))
        .bind(now)
        .execute(&mut *tx)
        .await
        .unwrap();
        unit_ids.push(id);
    }
    let mut tokens = Vec::new();
    let mut add_user = |id: String, role: &'static str, agency: Option<String>| {
        let token = format!("bench-token-{id}");
        tokens.push(token.clone());
        (id, role, agency, token)
    };
    let mut users = Vec::new();
    for s in 0..sockets {
        users.push(add_user(
            format!("disp{s}"),
            "dispatcher",
            Some(format!("ag{}", s % agencies)),
        ));
    }
    users.push(add_user("benchadmin".into(), "admin", None));
    for (id, role, agency, token) in &users {
        sqlx::query(
            "INSERT INTO users (id, username, display_name, role, agency_id, password_hash, active, \
             created_at, updated_at) VALUES ($1, $1, $1, $2, $3, 'x', TRUE, $4, $4)",
        )
        .bind(id)
        .bind(role)
        .bind(agency)
        .bind(now)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $3)",
        )
        .bind(siaga::auth::token_hash(token))
        .bind(id)
        .bind(now)
        .bind(now + 24 * 3_600_000)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    pool.close().await;
    let admin = tokens.pop().unwrap();
    (unit_ids, tokens, admin)
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

    let db = Arc::new(server_rt.block_on(TestDb::new(Engine::Sqlite)));
    let (unit_ids, tokens, admin) = server_rt.block_on(populate(&db, units, agencies, sockets));
    let srv = server_rt.block_on(TestServer::on_db(
        Arc::clone(&db),
        Options {
            demo: false,
            tweak: Some(|c| {
                if let Some(n) = std::env::var("FANOUT_TRACK_BATCH")
                    .ok()
                    .and_then(|v| v.parse().ok())
                {
                    c.live.track_batch_max = n;
                }
            }),
            ..Options::default()
        },
    ));
    let base = srv.base.clone();
    println!(
        "fanout: {units} units × 1 fix / {period_s} s = {} fixes/s; {sockets} dispatcher sockets over {agencies} \
         agencies; SQLite; measuring {secs} s after a {period_s} s warm-up",
        units / period_s as u32
    );

    client_rt.block_on(async move {
        let unit_index: Arc<HashMap<String, u32>> =
            Arc::new(unit_ids.iter().enumerate().map(|(i, u)| (u.clone(), i as u32)).collect());
        let sent: Sent = Arc::default();
        let measuring = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let latencies: Arc<Mutex<Vec<u64>>> = Arc::default();

        // 500 dispatcher sockets.
        let mut handles = Vec::new();
        for token in &tokens {
            let url = format!("{}/api/v1/ws?access_token={token}", base.replacen("http", "ws", 1));
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
        let mut measured_fixes = 0u64;
        let started = Instant::now();
        while Instant::now() < end {
            tick.tick().await;
            if Instant::now() >= warmup && !measuring.load(std::sync::atomic::Ordering::Relaxed) {
                measuring.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            for _ in 0..per_tick {
                let u = (n % u64::from(units)) as u32;
                let round = n / u64::from(units);
                n += 1;
                let at = now_ms();
                // A slow drive east: 10 m per 10 s.
                let lon = 104.0 + 0.00009 * round as f64 + f64::from(u % 100) * 0.001;
                let lat = 1.0 + f64::from(u / 100) * 0.001;
                let body = serde_json::json!({"lat": lat, "lon": lon, "accuracy_m": 5.0, "at": at});
                let url = format!("{base}/api/v1/units/{}/position", unit_ids[u as usize]);
                let http = http.clone();
                let admin = admin.clone();
                let sent = Arc::clone(&sent);
                let errors = Arc::clone(&errors);
                if measuring.load(std::sync::atomic::Ordering::Relaxed) {
                    measured_fixes += 1;
                }
                tokio::spawn(async move {
                    sent.lock().unwrap().insert((u, at), Instant::now());
                    match http.post(url).bearer_auth(admin).json(&body).send().await {
                        Ok(r) if r.status().as_u16() == 202 => {}
                        _ => {
                            errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                });
            }
        }
        let elapsed = started.elapsed();
        // Let the last frames arrive, then close the sockets by stopping the server.
        tokio::time::sleep(Duration::from_secs(2)).await;
        measuring.store(false, std::sync::atomic::Ordering::Relaxed);
        drop(srv);
        for h in handles {
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
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
