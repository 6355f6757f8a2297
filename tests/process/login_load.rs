//! Unauthenticated logins cost bounded memory (issue 13, finding 2): a real `siaga demo` process gets 500
//! parallel wrong-password logins over 100 usernames (known and unknown), and its peak resident memory
//! (`VmHWM` in `/proc/<pid>/status`) must stay under 300 MiB. Before the bounded hashers, 120 such logins took a
//! server from 190 MiB to 2.8 GiB. A benchmark-style check: it prints what it measured and bounds memory, not
//! time.

use serde_json::json;
use siaga_tests::{Engine, TestDb, engine_tests, read, siaga_bin};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

engine_tests!(five_hundred_parallel_logins_keep_peak_memory_under_300_mib);

const LIMIT_KIB: u64 = 300 * 1024;

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} not in /proc/{pid}/status"))
}

async fn five_hundred_parallel_logins_keep_peak_memory_under_300_mib(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().unwrap();
    let stderr_path = dir.path().join("siaga.err");
    let port = super::free_port();
    let mut child = Command::new(siaga_bin().unwrap())
        .args(["demo", "--no-simulate"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .env("SIAGA_DATABASE_URL", &db.url)
        .env("SIAGA_DATA_DIR", dir.path())
        .env("SIAGA_LISTEN", format!("127.0.0.1:{port}"))
        // Every login comes from 127.0.0.1: lift the per-source limit so the hashers are what is measured.
        .env("SIAGA_AUTH__LOGIN_SOURCE_MAX_FAILURES", "100000")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    super::wait_until_ready(&base, Duration::from_secs(60), "siaga", &stderr_path).await;
    let before_kib = status_kib(pid, "VmRSS");

    // 100 usernames (the demo's and strangers), five wrong passwords each: all within the per-user limit.
    let known = [
        "operator1",
        "operator2",
        "supervisor",
        "dispatch.dinkes",
        "amb01",
        "ptl01",
    ];
    let logins = (0..500).map(|i| {
        let username = match known.get(i % 100) {
            Some(user) => (*user).to_owned(),
            None => format!("tamu{}", i % 100),
        };
        let (http, base) = (http.clone(), base.clone());
        async move {
            let resp = http
                .post(format!("{base}/api/v1/auth/login"))
                .json(&json!({"username": username, "password": format!("tebakan-{i}")}))
                .send()
                .await
                .unwrap();
            read(resp).await
        }
    });
    let answers = futures::future::join_all(logins).await;
    let peak_kib = status_kib(pid, "VmHWM");
    let after_kib = status_kib(pid, "VmRSS");

    let count = |code: u16| answers.iter().filter(|a| a.0.as_u16() == code).count();
    println!(
        "500 parallel logins ({engine:?}): {} checked (401), {} refused busy (503), {} throttled (429); \
         RSS before {} MiB, peak {} MiB, after {} MiB",
        count(401),
        count(503),
        count(429),
        before_kib / 1024,
        peak_kib / 1024,
        after_kib / 1024
    );
    for (status, body) in &answers {
        assert!(
            matches!(status.as_u16(), 401 | 429 | 503),
            "unexpected {status}: {body}"
        );
        assert!(body["error"]["code"].is_string(), "{status}: {body}");
    }
    assert!(count(401) > 0, "no password was checked");
    assert!(
        peak_kib < LIMIT_KIB,
        "peak resident memory {} MiB is not under {} MiB",
        peak_kib / 1024,
        LIMIT_KIB / 1024
    );
    child.kill().await.unwrap();
}
