//! Personal data of callers never reaches the logs: a real `siaga demo` process at the most verbose level
//! (`RUST_LOG=trace`, JSON lines) is driven through a call with a caller number and an AML fix, an incident
//! with a reporter's name, phone and address, reads of both, and requests that fail next to personal data;
//! none of those strings may appear on its stderr, while the incident number does (the logs were captured).
//! Nor may a bearer token, also when a browser passes it in the URL of the websocket upgrade
//! (`?access_token=`, which the request log hides).

use serde_json::{Value, json};
use siaga_tests::{DEMO_PASSWORD, Engine, TestDb, engine_tests, read, siaga_bin};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;

engine_tests!(caller_personal_data_never_reaches_the_most_verbose_logs);

const ANI: &str = "081377712345";
const AML_DEVICE_NUMBER: &str = "6281377712345";
const AML_IMEI: &str = "356938035699911";
const REPORTER_NAME: &str = "Sulastri Widyaningrum";
const REPORTER_PHONE: &str = "082188854321";
const REPORTER_ADDRESS: &str = "Perumahan Bukit Kemuning Blok Q7";
/// Notes a call taker typed while classifying (they may quote the caller).
const CALL_NOTES: &str = "penelepon bernama Sulastri";

struct Http {
    base: String,
    client: reqwest::Client,
}

impl Http {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (reqwest::StatusCode, Value) {
        let mut rb = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        read(rb.send().await.unwrap()).await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> (reqwest::StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    async fn get(&self, path: &str, token: &str) -> (reqwest::StatusCode, Value) {
        self.send(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    async fn login(&self, user: &str) -> String {
        let (s, body) = self
            .send(
                reqwest::Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": user, "password": DEMO_PASSWORD})),
            )
            .await;
        assert!(s.is_success(), "login {user}: {body}");
        body["token"].as_str().unwrap().to_owned()
    }
}

async fn caller_personal_data_never_reaches_the_most_verbose_logs(engine: Engine) {
    let db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().unwrap();
    let stderr_path = dir.path().join("siaga.err");
    let port = super::free_port();
    let mut child = Command::new(siaga_bin().unwrap())
        .arg("demo")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "trace")
        .env("SIAGA_LOG_FORMAT", "json")
        .env("SIAGA_DATABASE_URL", &db.url)
        .env("SIAGA_DATA_DIR", dir.path())
        .env("SIAGA_LISTEN", format!("127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = Http {
        base: format!("http://127.0.0.1:{port}"),
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap(),
    };
    super::wait_until_ready(&http.base, Duration::from_secs(60), "siaga", &stderr_path).await;

    let taker = http.login("operator1").await;
    let dispatcher = http.login("dispatch.dinkes").await;
    // The token in the URL: the websocket upgrade reads it, any other route refuses it; neither logs it.
    let ws_url = format!(
        "{}/api/v1/ws?resume_from=0&access_token={taker}",
        http.base.replacen("http", "ws", 1)
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    let hello = tokio::time::timeout(Duration::from_secs(15), futures::StreamExt::next(&mut ws))
        .await
        .unwrap();
    assert!(
        hello.is_some_and(|m| m.is_ok()),
        "no hello on the websocket"
    );
    drop(ws);
    let resp = http
        .client
        .get(format!("{}/api/v1/auth/me?access_token={taker}", http.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let now = chrono_now_ms();
    let aml = format!(
        "v=3&emergency_number=112&source=call&location_latitude=-6.16291&location_longitude=106.90952\
         &location_accuracy=12&location_time={now}&device_number=%2B{AML_DEVICE_NUMBER}&device_imei={AML_IMEI}"
    );

    // A call with its caller number and AML fix, answered and classified with notes quoting the caller.
    let (s, call) = http
        .post(
            "/api/v1/calls",
            &taker,
            json!({"ani": ANI, "channel": "voice", "aml": aml}),
        )
        .await;
    assert_eq!(s.as_u16(), 201, "{call}");
    let call_id = call["id"].as_str().unwrap().to_owned();
    assert!(call["aml"]["raw"].as_str().unwrap().contains(AML_IMEI));
    let (s, body) = http
        .post(
            &format!("/api/v1/calls/{call_id}/answer"),
            &taker,
            json!({}),
        )
        .await;
    assert_eq!(s.as_u16(), 200, "{body}");
    let (s, body) = http
        .post(
            &format!("/api/v1/calls/{call_id}/classify"),
            &taker,
            json!({"class": "emergency", "notes": CALL_NOTES}),
        )
        .await;
    assert_eq!(s.as_u16(), 200, "{body}");

    // The incident with the reporter's identity, then read back (audited reads of personal data).
    let reporter =
        json!({"name": REPORTER_NAME, "phone": REPORTER_PHONE, "address": REPORTER_ADDRESS});
    let (s, incident) = http
        .post(
            "/api/v1/incidents",
            &taker,
            json!({
                "call_id": call_id, "category": "health", "priority": "p1",
                "location": {"lon": 106.9095, "lat": -6.1629}, "address": "Jl. Boulevard Timur",
                "reporter": reporter, "victims": {"count": 1, "condition": "serious"},
                "description": "pingsan di jalan"
            }),
        )
        .await;
    assert_eq!(s.as_u16(), 201, "{incident}");
    let incident_id = incident["id"].as_str().unwrap().to_owned();
    let number = incident["number"].as_str().unwrap().to_owned();
    let (s, seen) = http
        .get(&format!("/api/v1/incidents/{incident_id}"), &dispatcher)
        .await;
    assert_eq!(s.as_u16(), 200, "{seen}");
    assert_eq!(seen["reporter"]["name"], REPORTER_NAME);
    let (s, seen) = http.get(&format!("/api/v1/calls/{call_id}"), &taker).await;
    assert_eq!(s.as_u16(), 200, "{seen}");
    assert!(seen["ani"].as_str().unwrap().ends_with(&ANI[1..]), "{seen}");

    // Requests refused next to personal data: a bad field beside the reporter, a broken AML beside the number,
    // a repeat call from the same number whose AML payload is not even a payload.
    let (s, body) = http
        .post(
            "/api/v1/incidents",
            &taker,
            json!({
                "category": "health", "priority": "p1", "location": {"lon": 106.9095, "lat": -6.1629},
                "reporter": reporter, "victims": {"count": "banyak", "condition": "serious"}
            }),
        )
        .await;
    assert_eq!(s.as_u16(), 422, "{body}");
    let (s, body) = http
        .post(
            "/api/v1/calls",
            &taker,
            json!({"ani": ANI, "channel": "voice",
                   "aml": format!("v=9&device_number=%2B{AML_DEVICE_NUMBER}&device_imei={AML_IMEI}")}),
        )
        .await;
    assert_eq!(s.as_u16(), 422, "{body}");
    let (s, body) = http
        .post(
            &format!("/api/v1/calls/{call_id}/aml"),
            &taker,
            json!({"payload": format!("{REPORTER_NAME} {AML_IMEI}")}),
        )
        .await;
    assert_eq!(s.as_u16(), 422, "{body}");
    let truncated =
        format!("{{\"reporter\": {{\"name\": \"{REPORTER_NAME}\", \"phone\": \"{REPORTER_PHONE}");
    let resp = http
        .client
        .post(format!("{}/api/v1/incidents", http.base))
        .bearer_auth(&taker)
        .header("content-type", "application/json")
        .body(truncated)
        .send()
        .await
        .unwrap();
    let (s, body) = read(resp).await;
    assert_eq!(s.as_u16(), 400, "{body}");

    // The incident number appears once the dispatcher works it; then stop and read what was logged.
    let (s, body) = http
        .post(
            &format!("/api/v1/incidents/{incident_id}/verify"),
            &dispatcher,
            json!({}),
        )
        .await;
    assert_eq!(s.as_u16(), 200, "{body}");
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    let logs = std::fs::read_to_string(&stderr_path).unwrap();

    assert!(
        logs.lines().count() > 20 && logs.contains("\"level\":\"TRACE\""),
        "the logs were not captured at trace level: {logs}"
    );
    assert!(
        logs.contains(&number),
        "the incident number {number} is not in the logs, so the test cannot tell they were captured"
    );
    for secret in [
        ANI,
        &ANI[1..],
        AML_DEVICE_NUMBER,
        AML_IMEI,
        REPORTER_NAME,
        REPORTER_PHONE,
        REPORTER_ADDRESS,
        CALL_NOTES,
        &taker,
    ] {
        let leaks: Vec<&str> = logs.lines().filter(|l| l.contains(secret)).collect();
        assert!(
            leaks.is_empty(),
            "personal data or a token `{secret}` is in {} log lines, e.g.: {}",
            leaks.len(),
            leaks[0]
        );
    }
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
