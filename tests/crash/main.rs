//! Crash safety: a real `siaga serve` process under concurrent load is `kill -9`ed at random moments and
//! restarted on the same database, on SQLite (a file) and on PostgreSQL (its own database). Build the binary
//! first (`cargo build --bin siaga`, or set `SIAGA_BIN`).
//!
//! Each round: call takers file calls and incidents, dispatchers assign units, crews (and dispatchers relaying
//! for crews without a phone) move assignments through acknowledged → en route → on scene → resolved,
//! responders post positions; every mutating request carries an `Idempotency-Key`. Every 2xx answer is
//! written down. After a random delay the server is killed with SIGKILL and started again, and the test checks:
//!
//! * every acknowledged call, incident and assignment is there, at least in the acknowledged state;
//! * incident numbers are distinct and gap-free per day (a gap would be a lost, acknowledged creation);
//! * an SLA clock started before the kill (a short test policy: category `other` resolves within
//!   [`PROBE_TARGET_S`] s) breaches after the restart, exactly once;
//! * no clock breaches twice, though the load's answer, dispatch and acknowledge targets are
//!   [`LOAD_TARGET_S`] s, so that answers, assignments and acknowledgements keep stopping clocks that are
//!   overdue, racing the SLA runner to record the breach (hardest right after a restart, when the runner
//!   catches up on every clock that fell due while the server was down);
//! * a websocket client connected before each kill resumes with `resume_from=<last seq>` and, over all rounds,
//!   receives exactly the event log: no gap, no duplicate;
//! * each request the kill left unanswered, retried with the same `Idempotency-Key` after the restart,
//!   succeeds and leaves exactly one record.
//!
//! Position durability is not asserted here (fixes are buffered before they are stored).
//!
//! The default run has [`DEFAULT_ROUNDS`] kill points per engine. More on demand:
//! `SIAGA_CRASH_ROUNDS=50 cargo test -p siaga-tests --test crash`. The seed of the kill delays and the load's
//! choices is printed; `SIAGA_CRASH_SEED=<seed>` replays them (the interleaving of concurrent requests, and so
//! the exact kill point, still varies).

#![expect(
    clippy::unwrap_used,
    reason = "integration tests: an unwrap that fails is a failed assertion"
)]

use reqwest::StatusCode;
use serde_json::{Value, json};
use siaga_tests::{
    DEMO_PASSWORD, Engine, Options, TestDb, TestServer, WsClient, engine_tests, read, siaga_bin,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::{Child, Command};

engine_tests!(
    killed_under_load_loses_no_acknowledged_write,
    a_change_committed_without_its_reply_is_answered_on_retry,
    a_breach_recorded_meanwhile_does_not_refuse_the_change_that_stops_the_clock,
);

/// Kill points per engine in the default test run.
const DEFAULT_ROUNDS: usize = 5;

/// Resolution target of the probe incidents (category `other`), in seconds. The kill comes at most
/// [`KILL_AFTER_MS`]`.1` after the probe is filed, so its clock is always still running at the kill.
const PROBE_TARGET_S: u32 = 4;

/// Answer, dispatch and acknowledge target of the load's calls and incidents, in seconds: short, so the
/// requests that stop these clocks often find them overdue and record the breach themselves, unless the SLA
/// runner got there first.
const LOAD_TARGET_S: u32 = 1;

/// Range of the random delay between the start of a round's load and the kill, in milliseconds.
const KILL_AFTER_MS: (u64, u64) = (300, 2_500);

/// Boulevard Timur, Kelapa Gading (Jakarta Utara), inside the demo centre the killed `siaga demo` loads.
const CENTRE: (f64, f64) = (106.9095, -6.1629);

/// A point inside the fictional fixture centre (Kota Batam) of the in-process [`TestServer`].
#[expect(
    clippy::approx_constant,
    reason = "the fixture's Batam Centre latitude happens to resemble 2/sqrt(pi)"
)]
const FIXTURE_CENTRE: (f64, f64) = (104.0537, 1.1283);

/// Categories the load files, each escalated to one of the three agencies whose dispatchers run.
const CATEGORIES: [&str; 4] = ["fire", "health", "crime", "traffic_accident"];

/// Agencies (and their dispatcher accounts) that assign units during the load.
const DISPATCH: [(&str, &str); 3] = [
    ("GULKARMAT-DKI", "dispatch.damkar"),
    ("DINKES-DKI", "dispatch.dinkes"),
    ("POLRES-JU", "dispatch.polres"),
];

/// Crew accounts and their units; other units' statuses are relayed by their dispatcher.
const CREWS: [(&str, &str); 3] = [
    ("amb01", "AMB-01"),
    ("dmk01", "DMK-01"),
    ("ptl01", "PTL-01"),
];

/// A small deterministic generator (splitmix64), so a seed replays the kill delays and choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn range(&mut self, (lo, hi): (u64, u64)) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).unwrap()]
    }

    fn jitter(&mut self) -> f64 {
        (self.below(2001) as f64 - 1000.0) * 0.00001
    }
}

fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

// ---------------------------------------------------------------------------------------------------------------
// The server process

/// The database, configuration and log folder shared by every start of the server.
struct Site {
    db: TestDb,
    dir: tempfile::TempDir,
    config: PathBuf,
    starts: usize,
}

/// One running `siaga serve`.
struct Server {
    base: String,
    child: Child,
}

/// The SLA policy: the built-in defaults with the load's short answer, dispatch and acknowledge targets
/// ([`LOAD_TARGET_S`]), plus a short resolution target for category `other`.
fn config_toml() -> String {
    let policy = siaga_core::sla::SlaPolicy::defaults();
    let mut toml = format!("[dispatch.sla]\nanswer_s = {LOAD_TARGET_S}\n");
    for (name, t) in [
        ("p1", policy.priorities.p1),
        ("p2", policy.priorities.p2),
        ("p3", policy.priorities.p3),
        ("p4", policy.priorities.p4),
    ] {
        toml.push_str(&format!(
            "[dispatch.sla.priorities.{name}]\nescalation_s = {}\ndispatch_s = {}\nacknowledge_s = {}\n\
             arrival_urban_s = {}\narrival_rural_s = {}\nresolution_s = {}\n",
            t.escalation_s,
            LOAD_TARGET_S,
            LOAD_TARGET_S,
            t.arrival_urban_s,
            t.arrival_rural_s,
            t.resolution_s
        ));
    }
    toml.push_str(&format!(
        "[[dispatch.sla.overrides]]\ncategory = \"other\"\nresolution_s = {PROBE_TARGET_S}\n"
    ));
    toml
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

impl Site {
    async fn new(engine: Engine) -> Site {
        let db = TestDb::new(engine).await;
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("siaga.toml");
        std::fs::write(&config, config_toml()).unwrap();
        let site = Site {
            db,
            dir,
            config,
            starts: 0,
        };
        let demo = site
            .command("demo")
            .args(["demo", "--no-serve"])
            .status()
            .await
            .unwrap();
        assert!(
            demo.success(),
            "siaga demo --no-serve failed:\n{}",
            std::fs::read_to_string(site.log("demo")).unwrap_or_default()
        );
        site
    }

    fn command(&self, log: &str) -> Command {
        let mut cmd = Command::new(siaga_bin().unwrap());
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "warn,siaga=info")
            .env("SIAGA_DATABASE_URL", &self.db.url)
            .env("SIAGA_DATA_DIR", self.dir.path())
            .arg("--config")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(self.dir.path().join(format!("{log}.out"))).unwrap())
            .stderr(std::fs::File::create(self.log(log)).unwrap())
            .kill_on_drop(true);
        cmd
    }

    fn log(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.err"))
    }

    /// Starts the server and waits (bounded) until it answers.
    async fn start(&mut self) -> Server {
        self.starts += 1;
        let name = format!("serve-{}", self.starts);
        let port = free_port();
        let child = self
            .command(&name)
            .arg("serve")
            .env("SIAGA_LISTEN", format!("127.0.0.1:{port}"))
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
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
                "server did not start:\n{}",
                std::fs::read_to_string(self.log(&name)).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Server { base, child }
    }
}

impl Server {
    /// SIGKILL, as a power cut or the OOM killer would; returns the moment (ms) the process was gone.
    async fn kill(mut self) -> i64 {
        self.child.start_kill().unwrap();
        let status = self.child.wait().await.unwrap();
        assert!(!status.success(), "the server was killed, not stopped");
        now_ms()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Requests and what the server acknowledged

/// What a mutating request does, for checking its outcome.
#[derive(Debug, Clone)]
enum Op {
    CreateCall,
    Answer { call: String },
    Classify { call: String },
    CreateIncident { marker: String },
    Assign { incident: String, unit: String },
    Status { assignment: String, status: String },
}

/// One mutating request, kept whole so it can be sent again with the same key.
#[derive(Debug, Clone)]
struct Req {
    op: Op,
    token: String,
    path: String,
    body: Value,
    key: String,
}

fn call_rank(status: &str) -> u8 {
    match status {
        "ringing" => 0,
        "answered" => 1,
        "classified" => 2,
        "ended" | "abandoned" => 3,
        other => panic!("unknown call status {other}"),
    }
}

fn assignment_rank(status: &str) -> u8 {
    match status {
        "assigned" => 0,
        "acknowledged" => 1,
        "en_route" => 2,
        "on_scene" => 3,
        "resolved" | "declined" | "cancelled" => 4,
        other => panic!("unknown assignment status {other}"),
    }
}

/// The crew's next step for an assignment in `status`.
fn next_status(status: &str) -> Option<&'static str> {
    match status {
        "assigned" => Some("acknowledged"),
        "acknowledged" => Some("en_route"),
        "en_route" => Some("on_scene"),
        "on_scene" => Some("resolved"),
        _ => None,
    }
}

/// Everything the server acknowledged (2xx), and the requests the kill left unanswered.
#[derive(Default)]
struct Ledger {
    /// Call id → status acknowledged last.
    calls: BTreeMap<String, String>,
    /// Incident id → number.
    incidents: BTreeMap<String, String>,
    /// Assignment id → status acknowledged last.
    assignments: BTreeMap<String, String>,
    /// Requests without an answer (transport error or 5xx).
    lost: Vec<Req>,
    acked: usize,
    refused: usize,
    server_errors: usize,
    retried: usize,
    /// Retries by what the kill had left of the first request: no claim (not committed), a claim without a
    /// reply (committed, reply lost), a claim with its reply (reply stored, answer lost on the wire).
    retried_by_state: [usize; 3],
}

impl Ledger {
    fn acknowledge(&mut self, req: &Req, body: &Value) {
        self.acked += 1;
        match &req.op {
            Op::CreateCall | Op::Answer { .. } | Op::Classify { .. } => {
                let id = body["id"].as_str().unwrap().to_owned();
                let status = body["status"].as_str().unwrap().to_owned();
                if let Some(old) = self.calls.get(&id) {
                    assert!(
                        call_rank(old) <= call_rank(&status),
                        "call {id} went back from {old} to {status}"
                    );
                }
                self.calls.insert(id, status);
            }
            Op::CreateIncident { .. } => {
                let id = body["id"].as_str().unwrap().to_owned();
                let number = body["number"].as_str().unwrap().to_owned();
                self.incidents.insert(id, number);
            }
            Op::Assign { .. } | Op::Status { .. } => {
                let id = body["id"].as_str().unwrap().to_owned();
                let status = body["status"].as_str().unwrap().to_owned();
                let keep = self
                    .assignments
                    .get(&id)
                    .is_some_and(|old| assignment_rank(old) > assignment_rank(&status));
                if !keep {
                    self.assignments.insert(id, status);
                }
            }
        }
    }
}

/// The state shared by the load's tasks during one round.
struct Load {
    base: String,
    http: reqwest::Client,
    ledger: Arc<Mutex<Ledger>>,
    stop: AtomicBool,
    round: usize,
    seed: u64,
    /// Agency id → incidents waiting for a unit of that agency.
    queues: Mutex<HashMap<String, VecDeque<String>>>,
    tokens: Arc<HashMap<String, String>>,
    units: Arc<Vec<Unit>>,
    counter: Arc<AtomicU64>,
}

#[derive(Debug, Clone)]
struct Unit {
    id: String,
    /// The crew account, when the unit has one.
    crew: Option<String>,
    /// Where the unit starts.
    lon_lat: (f64, f64),
}

enum Outcome {
    Acked(Value),
    Refused(StatusCode, Value),
    Lost,
}

async fn send(
    http: &reqwest::Client,
    base: &str,
    req: &Req,
) -> Result<(StatusCode, Value), String> {
    send_noting_replay(http, base, req)
        .await
        .map(|(status, body, _)| (status, body))
}

/// Sends `req`; also says whether the answer was a replay (`idempotent-replayed: true`).
async fn send_noting_replay(
    http: &reqwest::Client,
    base: &str,
    req: &Req,
) -> Result<(StatusCode, Value, bool), String> {
    let resp = http
        .post(format!("{base}{}", req.path))
        .bearer_auth(&req.token)
        .header("idempotency-key", &req.key)
        .json(&req.body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status();
    let replayed = resp
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    let text = resp.text().await.map_err(|e| e.to_string())?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
        replayed,
    ))
}

impl Load {
    fn key(&self, who: &str) -> String {
        format!(
            "crash-{}-r{}-{who}-{}",
            self.seed,
            self.round,
            self.counter.fetch_add(1, Ordering::Relaxed)
        )
    }

    fn req(&self, who: &str, op: Op, path: String, body: Value) -> Req {
        Req {
            op,
            token: self.tokens[who].clone(),
            path,
            body,
            key: self.key(who),
        }
    }

    /// Sends a mutating request and writes down its outcome.
    async fn post(&self, req: Req) -> Outcome {
        match send(&self.http, &self.base, &req).await {
            Ok((status, body)) if status.is_success() => {
                self.ledger.lock().unwrap().acknowledge(&req, &body);
                Outcome::Acked(body)
            }
            Ok((status, _)) if status.is_server_error() => {
                let mut ledger = self.ledger.lock().unwrap();
                ledger.server_errors += 1;
                ledger.lost.push(req);
                Outcome::Lost
            }
            Ok((status, body)) => {
                assert_ne!(status, StatusCode::UNAUTHORIZED, "{body}");
                self.ledger.lock().unwrap().refused += 1;
                Outcome::Refused(status, body)
            }
            Err(_) => {
                self.ledger.lock().unwrap().lost.push(req);
                Outcome::Lost
            }
        }
    }

    async fn get(&self, who: &str, path: &str) -> Option<Value> {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.tokens[who])
            .send()
            .await
            .ok()?;
        let (status, body) = read(resp).await;
        status.is_success().then_some(body)
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn rng(&self, worker: u64) -> Rng {
        Rng(self.seed ^ ((self.round as u64) << 32) ^ worker.wrapping_mul(0x1234_5678_9ABC_DEF1))
    }
}

/// A call taker: a call rings, is answered and classified; emergencies become incidents.
async fn call_taker(load: Arc<Load>, who: &'static str, worker: u64) {
    let mut rng = load.rng(worker);
    while !load.stopped() {
        let n = load.counter.fetch_add(1, Ordering::Relaxed);
        let ani = format!("0812{:08}", n % 100_000_000);
        let req = load.req(
            who,
            Op::CreateCall,
            "/api/v1/calls".into(),
            json!({"ani": ani, "channel": "voice"}),
        );
        let Outcome::Acked(call) = load.post(req).await else {
            return;
        };
        let call = call["id"].as_str().unwrap().to_owned();
        let req = load.req(
            who,
            Op::Answer { call: call.clone() },
            format!("/api/v1/calls/{call}/answer"),
            json!({}),
        );
        let Outcome::Acked(_) = load.post(req).await else {
            return;
        };
        let class = if rng.below(10) < 8 {
            "emergency"
        } else {
            "information"
        };
        let req = load.req(
            who,
            Op::Classify { call: call.clone() },
            format!("/api/v1/calls/{call}/classify"),
            json!({"class": class}),
        );
        let Outcome::Acked(_) = load.post(req).await else {
            return;
        };
        if class != "emergency" {
            continue;
        }
        let marker = format!("crash incident {}", load.key(who));
        let category = *rng.pick(&CATEGORIES);
        let req = load.req(
            who,
            Op::CreateIncident {
                marker: marker.clone(),
            },
            "/api/v1/incidents".into(),
            json!({
                "call_id": call, "category": category, "priority": *rng.pick(&["p1", "p2", "p3"]),
                "location": {"lon": CENTRE.0 + rng.jitter(), "lat": CENTRE.1 + rng.jitter()},
                "victims": {"count": 1, "condition": "minor"}, "description": marker,
            }),
        );
        match load.post(req).await {
            Outcome::Acked(incident) => {
                let id = incident["id"].as_str().unwrap().to_owned();
                let mut queues = load.queues.lock().unwrap();
                for a in incident["agencies"].as_array().unwrap() {
                    queues
                        .entry(a["agency_id"].as_str().unwrap().to_owned())
                        .or_default()
                        .push_back(id.clone());
                }
            }
            Outcome::Refused(status, body) => panic!("filing an incident refused: {status} {body}"),
            Outcome::Lost => return,
        }
    }
}

/// A dispatcher: assigns an available unit of its agency to each incident escalated to it.
async fn dispatcher(load: Arc<Load>, who: &'static str, agency: String, worker: u64) {
    let mut rng = load.rng(worker);
    while !load.stopped() {
        let next = load
            .queues
            .lock()
            .unwrap()
            .get_mut(&agency)
            .and_then(VecDeque::pop_front);
        let Some(incident) = next else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let Some(units) = load.get(who, "/api/v1/units").await else {
            return;
        };
        let free: Vec<String> = units
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["agency_id"] == agency.as_str() && u["status"] == "available")
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect();
        if free.is_empty() {
            load.queues
                .lock()
                .unwrap()
                .get_mut(&agency)
                .unwrap()
                .push_front(incident);
            tokio::time::sleep(Duration::from_millis(30)).await;
            continue;
        }
        let unit = rng.pick(&free).clone();
        let req = load.req(
            who,
            Op::Assign {
                incident: incident.clone(),
                unit: unit.clone(),
            },
            format!("/api/v1/incidents/{incident}/assignments"),
            json!({"unit_id": unit}),
        );
        match load.post(req).await {
            Outcome::Acked(_) => {}
            // The incident moved on at the same moment (another agency's dispatcher or crew changed its
            // status); try again with a fresh list.
            Outcome::Refused(status, body)
                if status == StatusCode::CONFLICT && body["error"]["code"] == "conflict" =>
            {
                load.queues
                    .lock()
                    .unwrap()
                    .get_mut(&agency)
                    .unwrap()
                    .push_back(incident);
            }
            Outcome::Refused(status, body) => panic!("assigning refused: {status} {body}"),
            Outcome::Lost => return,
        }
    }
}

/// The crews of one agency: each open assignment moves one step on, by its crew's phone or by the dispatcher
/// relaying a radio report.
async fn crews(load: Arc<Load>, dispatcher: &'static str, worker: u64) {
    let mut rng = load.rng(worker);
    while !load.stopped() {
        let Some(open) = load.get(dispatcher, "/api/v1/assignments").await else {
            return;
        };
        let mut open: Vec<Value> = open.as_array().unwrap().clone();
        if open.is_empty() {
            tokio::time::sleep(Duration::from_millis(30)).await;
            continue;
        }
        let start = usize::try_from(rng.below(open.len() as u64)).unwrap();
        open.rotate_left(start);
        for a in open {
            if load.stopped() {
                return;
            }
            let Some(to) = next_status(a["status"].as_str().unwrap()) else {
                continue;
            };
            let id = a["id"].as_str().unwrap().to_owned();
            let unit = load.units.iter().find(|u| u.id == a["unit_id"]).unwrap();
            let who = unit.crew.clone().unwrap_or_else(|| dispatcher.to_owned());
            let req = load.req(
                &who,
                Op::Status {
                    assignment: id,
                    status: to.to_owned(),
                },
                format!("/api/v1/assignments/{}/status", a["id"].as_str().unwrap()),
                json!({"status": to}),
            );
            match load.post(req).await {
                Outcome::Acked(_) => {}
                Outcome::Refused(status, body) => panic!("status change refused: {status} {body}"),
                Outcome::Lost => return,
            }
        }
    }
}

/// The crews' phones post positions (not checked after the kill: fixes are buffered before they are stored).
async fn positions(load: Arc<Load>, worker: u64) {
    let mut rng = load.rng(worker);
    let crews: Vec<Unit> = load
        .units
        .iter()
        .filter(|u| u.crew.is_some())
        .cloned()
        .collect();
    while !load.stopped() {
        for unit in &crews {
            let fix = json!({"lat": unit.lon_lat.1 + rng.jitter() * 0.1, "lon": unit.lon_lat.0,
                             "accuracy_m": 5.0, "at": now_ms()});
            let sent = load
                .http
                .post(format!("{}/api/v1/units/{}/position", load.base, unit.id))
                .bearer_auth(&load.tokens[unit.crew.as_deref().unwrap()])
                .json(&fix)
                .send()
                .await;
            if sent.is_err() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the database back

enum Probe {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

macro_rules! on_probe {
    ($probe:expr, $pool:ident => $body:expr) => {
        match $probe {
            Probe::Sqlite($pool) => $body,
            Probe::Postgres($pool) => $body,
        }
    };
}

type ClockRow = (String, String, String, i64, Option<i64>);

impl Probe {
    async fn open(db: &TestDb) -> Probe {
        match db.engine {
            Engine::Sqlite => Probe::Sqlite(sqlx::SqlitePool::connect(&db.url).await.unwrap()),
            Engine::Postgres => Probe::Postgres(sqlx::PgPool::connect(&db.url).await.unwrap()),
        }
    }

    async fn close(self) {
        on_probe!(self, p => p.close().await);
    }

    /// `(id, number, description)` of every incident.
    async fn incidents(&self) -> Vec<(String, String, Option<String>)> {
        on_probe!(self, p => sqlx::query_as("SELECT id, number, description FROM incidents")
            .fetch_all(p).await.unwrap())
    }

    /// The stored status of the key's claim: `None` without a claim, `Some(None)` when claimed without a
    /// stored reply.
    async fn claim(&self, key: &str) -> Option<Option<i64>> {
        on_probe!(self, p => sqlx::query_scalar("SELECT status FROM idempotency_keys WHERE idem_key = $1")
            .bind(key).fetch_optional(p).await.unwrap())
    }

    /// `(id, ani, status)` of every call.
    async fn calls(&self) -> Vec<(String, String, String)> {
        on_probe!(self, p => sqlx::query_as("SELECT id, ani, status FROM calls").fetch_all(p).await.unwrap())
    }

    /// `(id, incident_id, unit_id, status)` of every assignment.
    async fn assignments(&self) -> Vec<(String, String, String, String)> {
        on_probe!(self, p => sqlx::query_as("SELECT id, incident_id, unit_id, status FROM assignments")
            .fetch_all(p).await.unwrap())
    }

    /// `(id, subject_id, kind, due_at, breached_at)` of every SLA clock.
    async fn clocks(&self) -> Vec<ClockRow> {
        on_probe!(self, p => sqlx::query_as(
            "SELECT id, subject_id, kind, due_at, breached_at FROM sla_clocks").fetch_all(p).await.unwrap())
    }

    /// `(stopped_at, breached_at)` of one SLA clock.
    async fn clock_ends(&self, id: &str) -> (Option<i64>, Option<i64>) {
        on_probe!(self, p => sqlx::query_as("SELECT stopped_at, breached_at FROM sla_clocks WHERE id = $1")
            .bind(id).fetch_one(p).await.unwrap())
    }

    /// `(seq, event_type, payload)` of the whole event log, in order.
    async fn events(&self) -> Vec<(i64, String, Value)> {
        let rows: Vec<(i64, String, String)> = on_probe!(self, p => sqlx::query_as(
            "SELECT seq, event_type, payload FROM events ORDER BY seq").fetch_all(p).await.unwrap());
        rows.into_iter()
            .map(|(seq, t, p)| (seq, t, serde_json::from_str(&p).unwrap()))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The websocket client that lives through every kill

#[derive(Default)]
struct Followed {
    /// Seq of the first `hello`: the stream covers every event after it.
    start: Option<i64>,
    /// `(seq, type)` of every event received, in order of arrival.
    events: Vec<(i64, String)>,
    /// Reconnections: the `resume_from` sent and the `hello` answered.
    resumes: Vec<(i64, Value)>,
    /// Anything that must not happen (a resync, a non-JSON frame).
    problems: Vec<String>,
}

impl Followed {
    fn last_seq(&self) -> Option<i64> {
        self.events.last().map(|e| e.0).or(self.start)
    }
}

/// Follows the live stream as a supervisor (who sees every event), reconnecting with `resume_from=<last seq>`
/// to whichever server is up.
async fn follow(
    mut base: tokio::sync::watch::Receiver<Option<String>>,
    token: String,
    seen: Arc<Mutex<Followed>>,
) {
    loop {
        let Ok(current) = base
            .wait_for(Option::is_some)
            .await
            .map(|b| b.clone().unwrap())
        else {
            return;
        };
        let resume_from = seen.lock().unwrap().last_seq();
        let Ok(mut ws) = WsClient::try_connect(&current, &token, resume_from).await else {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        };
        let mut first = true;
        while let Some(frame) = ws.next_within(Duration::from_secs(3600)).await {
            let mut seen = seen.lock().unwrap();
            if first {
                first = false;
                if frame["type"] != "hello" {
                    seen.problems
                        .push(format!("first frame is not hello: {frame}"));
                }
                match resume_from {
                    Some(r) => seen.resumes.push((r, frame)),
                    None => seen.start = frame["seq"].as_i64(),
                }
                continue;
            }
            match frame["seq"].as_i64() {
                Some(seq) if frame["type"] != "resync_required" => {
                    seen.events
                        .push((seq, frame["type"].as_str().unwrap_or_default().to_owned()));
                }
                _ => seen.problems.push(format!("unexpected frame {frame}")),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// The scenario

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

fn rounds() -> usize {
    std::env::var("SIAGA_CRASH_ROUNDS")
        .ok()
        .map(|v| v.parse().expect("SIAGA_CRASH_ROUNDS is a number"))
        .unwrap_or(DEFAULT_ROUNDS)
}

fn seed() -> u64 {
    std::env::var("SIAGA_CRASH_SEED").ok().map_or_else(
        || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
                .into()
        },
        |v| v.parse().expect("SIAGA_CRASH_SEED is a number"),
    )
}

/// A probe incident whose resolution clock (short test target) runs across the kill.
struct SlaProbe {
    incident: String,
    filed_at: i64,
    killed_at: i64,
}

async fn killed_under_load_loses_no_acknowledged_write(engine: Engine) {
    let rounds = rounds();
    let seed = seed();
    eprintln!(
        "crash test on {engine:?}: {rounds} kill points, seed {seed} (replay: SIAGA_CRASH_SEED={seed} \
         SIAGA_CRASH_ROUNDS={rounds})"
    );
    let mut rng = Rng(seed);
    let mut site = Site::new(engine).await;
    let mut server = site.start().await;

    // Accounts, agencies and units, read once: sessions and demo data must survive every kill.
    let mut tokens = HashMap::new();
    for who in ["operator1", "operator2", "supervisor"]
        .into_iter()
        .chain(DISPATCH.iter().map(|d| d.1))
        .chain(CREWS.iter().map(|c| c.0))
    {
        tokens.insert(who.to_owned(), login(&server.base, who).await);
    }
    let tokens = Arc::new(tokens);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let get = |base: &str, path: &str| {
        http.get(format!("{base}{path}"))
            .bearer_auth(&tokens["supervisor"])
            .send()
    };
    let (_, agencies) = read(get(&server.base, "/api/v1/agencies").await.unwrap()).await;
    let agency_of = |code: &str| -> String {
        agencies
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["code"] == code)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (_, units) = read(get(&server.base, "/api/v1/units").await.unwrap()).await;
    let units: Arc<Vec<Unit>> = Arc::new(
        units
            .as_array()
            .unwrap()
            .iter()
            .map(|u| Unit {
                id: u["id"].as_str().unwrap().to_owned(),
                crew: CREWS
                    .iter()
                    .find(|c| c.1 == u["call_sign"])
                    .map(|c| c.0.to_owned()),
                lon_lat: (
                    u["position"]["lon"].as_f64().unwrap_or(CENTRE.0),
                    u["position"]["lat"].as_f64().unwrap_or(CENTRE.1),
                ),
            })
            .collect(),
    );
    assert_eq!(
        units.iter().filter(|u| u.crew.is_some()).count(),
        CREWS.len()
    );

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let counter = Arc::new(AtomicU64::new(0));
    let mut queues: HashMap<String, VecDeque<String>> = HashMap::new();
    let mut probes: Vec<SlaProbe> = Vec::new();
    let mut resumed_seen = 0;

    // The websocket client, connected before the first kill and reconnecting after each.
    let (current_base, base_rx) = tokio::sync::watch::channel(Some(server.base.clone()));
    let followed = Arc::new(Mutex::new(Followed::default()));
    let follower = tokio::spawn(follow(
        base_rx,
        tokens["supervisor"].clone(),
        Arc::clone(&followed),
    ));
    let wait_started = tokio::time::Instant::now();
    while followed.lock().unwrap().start.is_none() {
        assert!(wait_started.elapsed() < Duration::from_secs(15), "no hello");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    for round in 0..rounds {
        // A clock that must outlive the kill.
        let (status, probe) = send(
            &http,
            &server.base,
            &Req {
                op: Op::CreateIncident {
                    marker: format!("probe {round}"),
                },
                token: tokens["operator1"].clone(),
                path: "/api/v1/incidents".into(),
                body: json!({"category": "other", "priority": "p4", "description": format!("probe {round}"),
                             "location": {"lon": CENTRE.0, "lat": CENTRE.1},
                             "victims": {"count": 0, "condition": "unknown"}}),
                key: format!("crash-{seed}-probe-{round}"),
            },
        )
        .await
        .unwrap();
        assert_eq!(status, StatusCode::CREATED, "{probe}");
        ledger.lock().unwrap().incidents.insert(
            probe["id"].as_str().unwrap().to_owned(),
            probe["number"].as_str().unwrap().to_owned(),
        );
        let filed_at = now_ms();

        // Load, then the kill at a random moment.
        let load = Arc::new(Load {
            base: server.base.clone(),
            http: http.clone(),
            ledger: Arc::clone(&ledger),
            stop: AtomicBool::new(false),
            round,
            seed,
            queues: Mutex::new(std::mem::take(&mut queues)),
            tokens: Arc::clone(&tokens),
            units: Arc::clone(&units),
            counter: Arc::clone(&counter),
        });
        let mut tasks = vec![
            tokio::spawn(call_taker(Arc::clone(&load), "operator1", 1)),
            tokio::spawn(call_taker(Arc::clone(&load), "operator2", 2)),
            tokio::spawn(positions(Arc::clone(&load), 3)),
        ];
        for (i, (code, who)) in DISPATCH.iter().enumerate() {
            let w = 10 + 2 * i as u64;
            tasks.push(tokio::spawn(dispatcher(
                Arc::clone(&load),
                who,
                agency_of(code),
                w,
            )));
            tasks.push(tokio::spawn(crews(Arc::clone(&load), who, w + 1)));
        }
        let delay = rng.range(KILL_AFTER_MS);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        current_base.send_replace(None);
        let killed_at = server.kill().await;
        assert!(
            killed_at < filed_at + i64::from(PROBE_TARGET_S) * 1000,
            "the kill came after the probe's deadline (machine too slow for this round's timing)"
        );
        load.stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.unwrap();
        }
        queues = std::mem::take(&mut *load.queues.lock().unwrap());
        probes.push(SlaProbe {
            incident: probe["id"].as_str().unwrap().to_owned(),
            filed_at,
            killed_at,
        });

        // Restart on the same database.
        server = site.start().await;
        current_base.send_replace(Some(server.base.clone()));

        // Requests the kill left unanswered: the same key again yields exactly one record.
        // A key left without a claim must run afresh; one with a claim must be answered, not run again.
        let lost = std::mem::take(&mut ledger.lock().unwrap().lost);
        let probe_db = Probe::open(&site.db).await;
        let mut retried = Vec::new();
        for req in &lost {
            let left = match probe_db.claim(&req.key).await {
                None => 0,
                Some(None) => 1,
                Some(Some(_)) => 2,
            };
            let (status, body, replayed) =
                send_noting_replay(&http, &server.base, req).await.unwrap();
            assert!(
                status.is_success(),
                "retry of {:?} with key {} after the restart: {status} {body}",
                req.op,
                req.key
            );
            assert_eq!(
                replayed,
                left != 0,
                "retry of {:?} (key {}, claim state {left}) replayed?",
                req.op,
                req.key
            );
            let mut l = ledger.lock().unwrap();
            l.acknowledge(req, &body);
            l.retried_by_state[left] += 1;
            drop(l);
            retried.push((req.clone(), body));
        }
        ledger.lock().unwrap().retried += retried.len();

        check_retries(&probe_db, &retried).await;
        let acked = Acked::of(&ledger.lock().unwrap());
        check_acknowledged(&probe_db, &acked).await;
        check_numbers(&probe_db).await;
        check_probe(&probe_db, probes.last().unwrap()).await;
        probe_db.close().await;

        // The websocket client came back with resume_from and was answered from there.
        let wait = tokio::time::Instant::now();
        loop {
            let resumed = followed.lock().unwrap().resumes.get(resumed_seen).cloned();
            if let Some((requested, hello)) = resumed {
                assert_eq!(hello["type"], "hello", "{hello}");
                assert_eq!(hello["seq"], requested, "{hello}");
                assert_eq!(hello["resumed"], true, "{hello}");
                resumed_seen += 1;
                break;
            }
            assert!(
                wait.elapsed() < Duration::from_secs(15),
                "websocket did not resume"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        {
            let l = ledger.lock().unwrap();
            eprintln!(
                "{engine:?} round {round}: killed after {delay} ms; so far {} acked, {} refused, {} retried, \
                 {} calls, {} incidents, {} assignments",
                l.acked,
                l.refused,
                l.retried,
                l.calls.len(),
                l.incidents.len(),
                l.assignments.len()
            );
        }
    }

    // The stream over every kill equals the log: no gap, no duplicate.
    let probe_db = Probe::open(&site.db).await;
    let head = probe_db.events().await.last().map_or(0, |e| e.0);
    let wait = tokio::time::Instant::now();
    while followed.lock().unwrap().last_seq().unwrap_or(0) < head {
        assert!(
            wait.elapsed() < Duration::from_secs(20),
            "websocket client stuck before seq {head}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    follower.abort();
    // Read the log again: events may have been appended (and received) after the first read.
    let log = probe_db.events().await;
    let seen = std::mem::take(&mut *followed.lock().unwrap());
    assert!(seen.problems.is_empty(), "{:?}", seen.problems);
    assert_eq!(seen.resumes.len(), rounds, "one resume per kill");
    let start = seen.start.unwrap();
    let last = seen.last_seq().unwrap();
    let expected: Vec<(i64, String)> = log
        .iter()
        .filter(|e| e.0 > start && e.0 <= last)
        .map(|e| (e.0, e.1.clone()))
        .collect();
    let received_seqs: Vec<i64> = seen.events.iter().map(|e| e.0).collect();
    let duplicates = received_seqs.len() - received_seqs.iter().collect::<BTreeSet<_>>().len();
    assert_eq!(duplicates, 0, "duplicate events on the websocket");
    assert_eq!(
        seen.events.len(),
        expected.len(),
        "websocket received {} events, the log has {} in ({start}, {last}]",
        seen.events.len(),
        expected.len()
    );
    assert_eq!(
        seen.events, expected,
        "websocket stream differs from the log"
    );

    // Every clock breached at most once, and every probe exactly once, after its kill.
    let breaches = breach_counts(&log);
    assert!(
        breaches.values().all(|n| *n == 1),
        "a clock breached twice: {breaches:?}"
    );
    for p in &probes {
        check_probe(&probe_db, p).await;
    }
    probe_db.close().await;
    // Every kill left the audit trail one unbroken hash chain: an append is in its change's transaction.
    let store = siaga::store::Store::connect(&site.db.url, 2).await.unwrap();
    let audit = store.verify_audit().await.unwrap();
    store.close().await;
    assert_eq!(audit.broken, None, "audit chain after {rounds} kills");
    assert!(audit.entries > 0);
    {
        let l = ledger.lock().unwrap();
        eprintln!(
            "{engine:?}: {rounds} kills; {} acknowledged writes ({} calls, {} incidents, {} assignments) all \
         present; {} unanswered requests retried once each ({} not committed, {} committed with the reply \
         lost, {} with the reply stored); {} server errors; {} websocket events in order over {} resumes; \
         {} SLA breaches, none twice",
            l.acked,
            l.calls.len(),
            l.incidents.len(),
            l.assignments.len(),
            l.retried,
            l.retried_by_state[0],
            l.retried_by_state[1],
            l.retried_by_state[2],
            l.server_errors,
            seen.events.len(),
            seen.resumes.len(),
            breaches.len()
        );
        assert!(
            l.incidents.len() > rounds && !l.assignments.is_empty(),
            "the load did too little to test anything"
        );
    }
    let _ = server.kill().await;
}

/// `sla.breach` events per clock id.
fn breach_counts(log: &[(i64, String, Value)]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (_, t, payload) in log {
        if t == "sla.breach" {
            *counts
                .entry(payload["clock_id"].as_str().unwrap().to_owned())
                .or_insert(0) += 1;
        }
    }
    counts
}

/// Each retried request left exactly one record.
async fn check_retries(db: &Probe, retried: &[(Req, Value)]) {
    if retried.is_empty() {
        return;
    }
    let calls = db.calls().await;
    let incidents = db.incidents().await;
    let assignments = db.assignments().await;
    let log = db.events().await;
    for (req, body) in retried {
        let n = match &req.op {
            Op::CreateCall => calls.iter().filter(|c| c.1 == body["ani"]).count(),
            Op::Answer { call } | Op::Classify { call } => {
                let want = if matches!(req.op, Op::Answer { .. }) {
                    "answered"
                } else {
                    "classified"
                };
                assert!(
                    call_rank(&calls.iter().find(|c| &c.0 == call).unwrap().2) >= call_rank(want),
                    "call {call} is not {want} after the retry"
                );
                log.iter()
                    .filter(|e| {
                        e.1 == "call.updated"
                            && e.2["call_id"] == call.as_str()
                            && e.2["status"] == want
                    })
                    .count()
            }
            Op::CreateIncident { marker } => incidents
                .iter()
                .filter(|i| i.2.as_deref() == Some(marker.as_str()))
                .count(),
            Op::Assign { incident, unit } => assignments
                .iter()
                .filter(|a| &a.1 == incident && &a.2 == unit)
                .count(),
            Op::Status { assignment, status } => log
                .iter()
                .filter(|e| {
                    e.1 == "assignment.status"
                        && e.2["assignment_id"] == assignment.as_str()
                        && e.2["status"] == status.as_str()
                })
                .count(),
        };
        assert_eq!(n, 1, "{:?} (key {}) left {n} records", req.op, req.key);
    }
}

/// A copy of the acknowledged state, to check without holding the ledger's lock.
struct Acked {
    calls: BTreeMap<String, String>,
    incidents: BTreeMap<String, String>,
    assignments: BTreeMap<String, String>,
}

impl Acked {
    fn of(ledger: &Ledger) -> Acked {
        Acked {
            calls: ledger.calls.clone(),
            incidents: ledger.incidents.clone(),
            assignments: ledger.assignments.clone(),
        }
    }
}

/// Every acknowledged write is in the database, at least in the acknowledged state.
async fn check_acknowledged(db: &Probe, ledger: &Acked) {
    let calls: HashMap<String, String> = db.calls().await.into_iter().map(|c| (c.0, c.2)).collect();
    for (id, acked) in &ledger.calls {
        let stored = calls
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged call {id} is gone"));
        assert!(
            call_rank(stored) >= call_rank(acked),
            "call {id} was acknowledged as {acked} but is {stored}"
        );
    }
    let incidents: HashMap<String, String> = db
        .incidents()
        .await
        .into_iter()
        .map(|i| (i.0, i.1))
        .collect();
    for (id, number) in &ledger.incidents {
        assert_eq!(
            incidents.get(id),
            Some(number),
            "acknowledged incident {id} ({number})"
        );
    }
    let assignments: HashMap<String, String> = db
        .assignments()
        .await
        .into_iter()
        .map(|a| (a.0, a.3))
        .collect();
    for (id, acked) in &ledger.assignments {
        let stored = assignments
            .get(id)
            .unwrap_or_else(|| panic!("acknowledged assignment {id} is gone"));
        assert!(
            assignment_rank(stored) >= assignment_rank(acked),
            "assignment {id} was acknowledged as {acked} but is {stored}"
        );
    }
}

/// Incident numbers are distinct and, per prefix and day, run 1..=n without a gap.
async fn check_numbers(db: &Probe) {
    let mut per_day: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut all = BTreeSet::new();
    for (_, number, _) in db.incidents().await {
        assert!(
            all.insert(number.clone()),
            "incident number {number} reused"
        );
        let (day, seq) = number.rsplit_once('-').unwrap();
        per_day
            .entry(day.to_owned())
            .or_default()
            .push(seq.parse().unwrap());
    }
    for (day, mut seqs) in per_day {
        seqs.sort_unstable();
        let n = u32::try_from(seqs.len()).unwrap();
        assert_eq!(
            seqs,
            (1..=n).collect::<Vec<_>>(),
            "incident numbers of {day} have a gap"
        );
    }
}

/// The probe's resolution clock breaches after the restart, once.
async fn check_probe(db: &Probe, probe: &SlaProbe) {
    let wait = tokio::time::Instant::now();
    loop {
        let clock = db
            .clocks()
            .await
            .into_iter()
            .find(|c| c.1 == probe.incident && c.2 == "resolution")
            .unwrap();
        if let Some(breached_at) = clock.4 {
            assert!(
                breached_at > clock.3,
                "breached at {breached_at}, before its deadline {}",
                clock.3
            );
            assert!(
                breached_at > probe.killed_at,
                "probe filed at {} breached at {breached_at}, before the kill at {}",
                probe.filed_at,
                probe.killed_at
            );
            let n = breach_counts(&db.events().await)
                .get(&clock.0)
                .copied()
                .unwrap_or(0);
            assert_eq!(n, 1, "sla.breach events of the probe clock {}", clock.0);
            return;
        }
        assert!(
            wait.elapsed() < Duration::from_secs(u64::from(PROBE_TARGET_S) + 15),
            "the probe clock {} (due {}) never breached after the restart",
            clock.0,
            clock.3
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The narrow window the kill loop hits only sometimes, made certain: a change committed, then the server died
/// before storing its reply (here: the stored reply is removed, which leaves the row exactly as such a crash
/// does). The retry with the same key gets the change's subject as it is now, and nothing is done twice.
async fn a_change_committed_without_its_reply_is_answered_on_retry(engine: Engine) {
    let srv = TestServer::start(engine).await;
    let taker = srv.demo_login("operator1").await;
    let responder = srv.demo_login("amb01").await;
    let dispatcher = srv.demo_login("dispatch.dinkes").await;
    let post = |token: &str, path: &str, key: &str, body: Value| {
        srv.request(reqwest::Method::POST, path, Some(token))
            .header("idempotency-key", key)
            .json(&body)
            .send()
    };
    let forget_reply = |key: &str| {
        format!(
            "UPDATE idempotency_keys SET status = NULL, response = NULL WHERE idem_key = '{key}'"
        )
    };
    // The reply of a committed change is written behind it (store::idempotency): wait until it is, so that
    // removing it below leaves what a crash between the two leaves, and no queued copy answers instead.
    let reply_written = |key: &str| {
        let sql = format!(
            "SELECT COUNT(*) FROM idempotency_keys WHERE idem_key = '{key}' AND status IS NOT NULL"
        );
        let srv = &srv;
        async move {
            for _ in 0..1_000 {
                if srv.query_i64(&sql).await == 1 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("the reply was never written");
        }
    };

    // Filing an incident: the retry is answered 201 with the same incident, and there is one.
    let body = json!({"category": "health", "priority": "p2", "location": {"lon": FIXTURE_CENTRE.0, "lat": FIXTURE_CENTRE.1},
                      "victims": {"count": 1, "condition": "minor"}, "description": "lost reply"});
    let resp = post(&taker, "/api/v1/incidents", "file-1", body.clone())
        .await
        .unwrap();
    let (status, first) = read(resp).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    reply_written("file-1").await;
    srv.execute_sql(&forget_reply("file-1")).await;
    let resp = post(&taker, "/api/v1/incidents", "file-1", body.clone())
        .await
        .unwrap();
    assert_eq!(resp.headers()["idempotent-replayed"], "true");
    let (status, again) = read(resp).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["number"], first["number"]);
    let (_, all) = srv.get("/api/v1/incidents", &taker).await;
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
    // Another body under the key is still refused.
    let mut other = body;
    other["priority"] = json!("p1");
    let resp = post(&taker, "/api/v1/incidents", "file-1", other)
        .await
        .unwrap();
    siaga_tests::assert_error(
        &read(resp).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    );

    // Assigning, then a status change: each retry answers with the assignment as it is now.
    let incident = first["id"].as_str().unwrap();
    let unit = srv.unit_id(&dispatcher, "AMB-01").await;
    let path = format!("/api/v1/incidents/{incident}/assignments");
    let resp = post(&dispatcher, &path, "assign-1", json!({"unit_id": unit}))
        .await
        .unwrap();
    let (status, assignment) = read(resp).await;
    assert_eq!(status, StatusCode::CREATED, "{assignment}");
    reply_written("assign-1").await;
    srv.execute_sql(&forget_reply("assign-1")).await;
    let resp = post(&dispatcher, &path, "assign-1", json!({"unit_id": unit}))
        .await
        .unwrap();
    let (status, again) = read(resp).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again["id"], assignment["id"]);
    let id = assignment["id"].as_str().unwrap();
    let path = format!("/api/v1/assignments/{id}/status");
    let resp = post(
        &responder,
        &path,
        "ack-1",
        json!({"status": "acknowledged"}),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    reply_written("ack-1").await;
    srv.execute_sql(&forget_reply("ack-1")).await;
    let resp = post(
        &responder,
        &path,
        "ack-1",
        json!({"status": "acknowledged"}),
    )
    .await
    .unwrap();
    let (status, again) = read(resp).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["status"], "acknowledged");
    let (_, seen) = srv
        .get(&format!("/api/v1/assignments/{id}"), &responder)
        .await;
    assert_eq!(seen["status"], "acknowledged");
    let store = srv.store().await;
    let acks = store
        .events_after(0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event_type == "assignment.status" && e.payload.contains("\"acknowledged\""))
        .count();
    store.close().await;
    assert_eq!(acks, 1, "the acknowledgement was applied once");
}

/// One connection to a server's database from outside the server, to hold a write transaction open.
enum Conn {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Conn {
    async fn open(db: &TestDb) -> Conn {
        use sqlx::Connection;
        match db.engine {
            Engine::Sqlite => Conn::Sqlite(sqlx::SqliteConnection::connect(&db.url).await.unwrap()),
            Engine::Postgres => Conn::Postgres(sqlx::PgConnection::connect(&db.url).await.unwrap()),
        }
    }

    async fn execute(&mut self, sql: &str) {
        match self {
            Conn::Sqlite(c) => drop(sqlx::raw_sql(sql).execute(&mut *c).await.unwrap()),
            Conn::Postgres(c) => drop(sqlx::raw_sql(sql).execute(&mut *c).await.unwrap()),
        }
    }
}

/// A race the kill loop hits only sometimes, made certain. A change that stops an overdue SLA clock (here:
/// the first assignment stops the incident's dispatch clock) records the breach itself, unless the SLA
/// runner records it first, as it easily does while catching up after a restart, just when the retried
/// requests run. Losing that race is no conflict: neither the unit nor the incident changed. Here the
/// runner's update is held open in a transaction until the assignment has read the clock and waits to
/// write, then committed. The assignment must succeed, keep the runner's breach and not announce it again.
async fn a_breach_recorded_meanwhile_does_not_refuse_the_change_that_stops_the_clock(
    engine: Engine,
) {
    /// 2026-11-25 10:00:00 WIB.
    const T0: i64 = 1_795_575_600_000;
    let srv = TestServer::start_with(
        engine,
        Options {
            manual_clock_at: Some(T0),
            demo: true,
            tweak: None,
        },
    )
    .await;
    let clock = srv.clock.clone().unwrap();
    let taker = srv.demo_login("operator1").await;
    let dispatcher = srv.demo_login("dispatch.dinkes").await;
    let (status, incident) = srv
        .post(
            "/api/v1/incidents",
            &taker,
            json!({"category": "health", "priority": "p1", "location": {"lon": FIXTURE_CENTRE.0, "lat": FIXTURE_CENTRE.1},
                   "victims": {"count": 1, "condition": "minor"}, "description": "breach race"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{incident}");
    let incident = incident["id"].as_str().unwrap().to_owned();
    let unit = srv.unit_id(&dispatcher, "AMB-01").await;
    let db = Probe::open(&srv.db).await;
    let (clock_id, due_at) = db
        .clocks()
        .await
        .into_iter()
        .find(|c| c.1 == incident && c.2 == "dispatch")
        .map(|c| (c.0, c.3))
        .unwrap();

    // The runner's breach, written but not committed; the clock falls due only now, so neither the real
    // runner nor the assignment can have seen it overdue and breached before.
    let breached_by_runner = due_at + 500;
    let mut runner = Conn::open(&srv.db).await;
    runner
        .execute(match engine {
            Engine::Sqlite => "BEGIN IMMEDIATE",
            Engine::Postgres => "BEGIN",
        })
        .await;
    runner
        .execute(&format!(
            "UPDATE sla_clocks SET breached_at = {breached_by_runner} WHERE id = '{clock_id}' AND breached_at IS NULL"
        ))
        .await;
    clock.set(siaga_core::time::Timestamp(due_at + 1_000));
    let assign = {
        let request = srv
            .request(
                reqwest::Method::POST,
                &format!("/api/v1/incidents/{incident}/assignments"),
                Some(&dispatcher),
            )
            .json(&json!({"unit_id": unit}));
        tokio::spawn(async move { read(request.send().await.unwrap()).await })
    };
    match &db {
        // PostgreSQL shows the assignment waiting for the clock's row.
        Probe::Postgres(p) => {
            let waiting = tokio::time::Instant::now();
            loop {
                let n: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                     AND wait_event_type = 'Lock' AND query LIKE 'UPDATE sla_clocks SET stopped_at%'",
                )
                .fetch_one(p)
                .await
                .unwrap();
                if n > 0 {
                    break;
                }
                assert!(
                    waiting.elapsed() < Duration::from_secs(15),
                    "the assignment never waited for the clock"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        // SQLite shows no waiting writer (it waits in its busy handler), so the assignment gets a moment to
        // read the clock; had it not read it by then, the test would pass without the race, never fail.
        Probe::Sqlite(_) => tokio::time::sleep(Duration::from_millis(500)).await,
    }
    runner.execute("COMMIT").await;

    let (status, assignment) = assign.await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{assignment}");
    assert_eq!(assignment["unit_id"], unit.as_str(), "{assignment}");
    assert_eq!(
        db.clock_ends(&clock_id).await,
        (Some(due_at + 1_000), Some(breached_by_runner)),
        "the dispatch clock is stopped by the assignment and breached once, by the runner"
    );
    assert_eq!(
        breach_counts(&db.events().await).get(&clock_id),
        None,
        "the assignment announced a breach it did not record"
    );
    db.close().await;
}
