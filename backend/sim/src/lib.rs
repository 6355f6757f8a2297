//! `siaga simulate`: a city of callers, call takers, dispatchers and responder units driving a running
//! server through its public HTTP API and websockets only, as a real centre would.
//!
//! * Calls arrive as a Poisson process with a configurable class mix ([`model::DEFAULT_MIX`]: most calls
//!   to Indonesian 112 lines are prank, ghost or information calls). Call takers (every `call_taker`
//!   account) answer, talk and classify at human speed, and file an incident at a random point inside the
//!   region for each emergency.
//! * One dispatcher per agency (OPD) listens on its websocket for `incident.escalated`, opens the ticket,
//!   verifies it, asks for recommendations and assigns the nearest unit the simulator drives; after its unit
//!   resolved, it closes the incident with a report. Only incidents the simulator filed (their address
//!   carries [`MARKER`]) are worked, so people using the same server keep their own tickets.
//! * Units drive to the scene along the road route the server gives for them (`GET
//!   /api/v1/incidents/{id}/route`, asked once per assignment as the unit's crew or its dispatcher) at the route's
//!   average road speed, and back to their base along the route the server gives from the scene (the same
//!   endpoint with `to_lon`/`to_lat`: not the outbound route reversed, which can run against a one-way street);
//!   on a straight line at `--speed-kmh` when the server has no road route (no graph, a point off the roads: the
//!   reason is logged). They report a GPS fix with its heading every
//!   few seconds (HTTP, like the responder app), on the route. A unit with a crew account (demo: `amb01`, `dmk01`,
//!   `ptl01`) moves its assignment with the crew's token; the others are relayed by their dispatcher, as by
//!   radio. `--units` beyond the existing fleet creates `SIM-…` units through the admin API.
//! * `--speedup` divides every human delay and every drive; position fixes never imply more than
//!   150 km/h, so they stay acceptable to the server.
//!
//! Every write carries an `Idempotency-Key`; a 409 (someone else got there first) is counted and handled,
//! never fatal. A summary line is printed periodically.
//!
//! Layout: this module is the simulation (actors and their tasks); [`client`] is the HTTP and websocket client
//! with its counters; [`model`] holds the pure parts (call mix, arrivals, geometry); [`mod@bench`] is
//! `siaga bench`. The `siaga` binary parses the flags and calls [`run`] and [`bench::run`].
//!
//! Architecture Invariant: this crate is a client of the public API only. It depends on `siaga-core` for the
//! wire vocabulary and on no server crate (`siaga`, `siaga-spatial`) and no database or HTTP-server crate; a
//! test reads the manifest. The JSON it sends and reads is spelled here, as any client spells it.

pub mod bench;
pub mod client;
pub mod model;

use client::{Api, Count, Series, Stats, Window};
use futures::StreamExt;
use model::{Area, CallMix, LonLat, Path};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Addresses of simulated incidents end with this, so the map says what they are and the simulated
/// dispatchers leave real tickets alone.
pub const MARKER: &str = "[SIMULASI]";

/// Fixes never imply more than this speed (the server refuses above `live.max_speed_kmh`, 300 by default).
const MAX_REPORTED_KMH: f64 = 150.0;

/// Log target of the simulator's lines: under `siaga`, the binary that runs the simulator, so
/// `RUST_LOG=siaga=debug` selects them with the server's.
const LOG_TARGET: &str = "siaga::simulate";

/// Position fixes in flight at once; beyond it fixes are skipped and counted (the server is saturated).
const MAX_FIXES_IN_FLIGHT: usize = 512;

/// `siaga simulate` flags.
#[derive(clap::Args, Debug, Clone)]
pub struct SimulateArgs {
    /// Base URL of the running server.
    #[arg(long, default_value = "http://127.0.0.1:8112")]
    pub url: String,
    /// Calls arriving (Poisson): `6/min`, `2/s`, `120/h`, or a bare number per minute.
    #[arg(long, default_value = "6/min", value_parser = model::parse_rate)]
    pub rate: f64,
    /// Fleet size. Existing units are driven first (crewed ones first); missing ones are created as
    /// `SIM-nnnnn` through the admin API, spread over every agency. Default: every existing unit.
    #[arg(long)]
    pub units: Option<usize>,
    /// Place incidents only inside this region code and its descendants (e.g. `31.72.06`).
    #[arg(long)]
    pub region: Option<String>,
    /// Stop after this long (`90s`, `10m`, `2h`); without it, run until Ctrl-C.
    #[arg(long, value_parser = model::parse_duration)]
    pub duration: Option<Duration>,
    /// Time factor for human delays and drives (10 = ten times faster than life).
    #[arg(long, default_value_t = 1.0)]
    pub speedup: f64,
    /// Seed of the call script (arrival times, classes, places).
    #[arg(long, default_value_t = 112)]
    pub seed: u64,
    /// Call mix as class=weight pairs (classes: emergency, information, prank, ghost, wrong_number,
    /// abandoned).
    #[arg(long, default_value = model::DEFAULT_MIX)]
    pub mix: CallMix,
    /// Seconds between two position fixes of a unit.
    #[arg(long, default_value_t = 10.0)]
    pub fix_every_s: f64,
    /// Driving speed of units, km/h (before `--speedup`).
    #[arg(long, default_value_t = 40.0)]
    pub speed_kmh: f64,
    /// Extra dispatcher websockets that only listen (and measure fan-out latency).
    #[arg(long, default_value_t = 0)]
    pub watchers: usize,
    /// Password of the accounts the simulator logs in as (the demo's is `siaga112`).
    #[arg(long, default_value = "siaga112")]
    pub password: String,
    /// Admin account: lists users, creates fleet units, reports positions of units without a crew account.
    #[arg(long, default_value = "admin")]
    pub admin: String,
    /// Seconds between summary lines.
    #[arg(long, default_value_t = 10)]
    pub report_every_s: u64,
    /// After `--duration`, stop new calls and let incidents in progress finish for up to this many seconds.
    #[arg(long, default_value_t = 0)]
    pub drain_s: u64,
}

impl SimulateArgs {
    /// The gentle in-process simulation of `siaga demo`: a call every ten seconds on average, human delays
    /// three times faster than life so the map keeps moving.
    pub fn gentle(url: String) -> SimulateArgs {
        SimulateArgs {
            url,
            rate: 6.0 / 60.0,
            units: None,
            region: None,
            duration: None,
            speedup: 3.0,
            seed: 112,
            mix: model::DEFAULT_MIX
                .parse()
                .unwrap_or_else(|_| CallMix::from_single("emergency")),
            fix_every_s: 5.0,
            speed_kmh: 40.0,
            watchers: 0,
            password: "siaga112".into(),
            admin: "admin".into(),
            report_every_s: 60,
            drain_s: 0,
        }
    }
}

impl CallMix {
    /// A mix of one class only.
    pub fn from_single(class: &str) -> CallMix {
        format!("{class}=1")
            .parse()
            .unwrap_or_else(|_| CallMix::from_single("emergency"))
    }
}

/// A leg of driving: a path covered in a given time, started at `start`.
#[derive(Debug, Clone)]
struct Leg {
    drive: model::Drive,
    start: Instant,
}

impl Leg {
    fn elapsed_s(&self, now: Instant) -> f64 {
        now.saturating_duration_since(self.start).as_secs_f64()
    }
}

#[derive(Debug)]
struct Motion {
    home: LonLat,
    parked: LonLat,
    leg: Option<Leg>,
    /// Last fix sent: position and time (ms).
    last_sent: Option<(LonLat, i64)>,
}

impl Motion {
    fn position(&self, now: Instant) -> LonLat {
        match &self.leg {
            Some(l) => l.drive.path.at(l.drive.simulated_m(l.elapsed_s(now))).0,
            None => self.parked,
        }
    }

    /// The part of the current leg the fixes have not yet shown (they lag under a large speed-up), so a new
    /// leg continues from the last fix along the street instead of cutting across.
    fn unreported(&self, now: Instant) -> Option<Path> {
        let l = self.leg.as_ref()?;
        let to = l.drive.simulated_m(l.elapsed_s(now));
        let from = l.drive.reported_m.min(to);
        Some(l.drive.path.tail(from).head(to - from))
    }
}

/// Joins the unreported rest of a leg (if any) and the next path.
fn continued(rest: Option<Path>, next: Path) -> Path {
    match rest {
        Some(rest) => rest.then(&next),
        None => next,
    }
}

/// A unit the simulator drives.
struct Unit {
    id: String,
    call_sign: String,
    crew_token: Option<String>,
    motion: Mutex<Motion>,
}

impl Unit {
    fn motion(&self) -> std::sync::MutexGuard<'_, Motion> {
        self.motion.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts driving `path` in `real_s` seconds of life (divided by `speedup`); returns how long it takes.
    fn start_leg(&self, m: &mut Motion, path: Path, real_s: f64, speedup: f64) -> Duration {
        let duration = Duration::from_secs_f64((real_s / speedup.max(1e-3)).max(1.0));
        m.parked = path.end();
        m.leg = Some(Leg {
            drive: model::Drive::new(path, duration.as_secs_f64()),
            start: Instant::now(),
        });
        duration
    }

    /// Starts driving a road route the server gave (it starts at the unit's last fix) in its travel time, so
    /// at the route's average road speed; returns how long the drive takes.
    fn follow_route(&self, route: Path, travel_time_s: f64, speedup: f64) -> Duration {
        let mut m = self.motion();
        self.start_leg(&mut m, route, travel_time_s, speedup)
    }

    /// Starts driving to `to` on a straight line at `speed_kmh`; returns how long the drive takes.
    fn drive_straight(&self, to: LonLat, speed_kmh: f64, speedup: f64) -> Duration {
        let now = Instant::now();
        let mut m = self.motion();
        let path = continued(m.unreported(now), Path::straight(m.position(now), to));
        let real_s = path.length_m() / (speed_kmh / 3.6).max(1e-3);
        self.start_leg(&mut m, path, real_s, speedup)
    }

    /// Where the unit is based.
    fn home(&self) -> LonLat {
        self.motion().home
    }

    /// The next fix to report: the simulated position and heading, no farther along the path from the last
    /// fix than [`MAX_REPORTED_KMH`] allows.
    fn next_fix(&self, rng: &mut impl Rng) -> (LonLat, Option<f64>, i64) {
        let now = Instant::now();
        let now_ms = chrono::Utc::now().timestamp_millis();
        let mut m = self.motion();
        let last = m.last_sent;
        let at = last.map_or(now_ms, |(_, last_at)| now_ms.max(last_at + 1));
        let since_s = last.map(|(_, last_at)| (at - last_at) as f64 / 1000.0);
        let max_mps = MAX_REPORTED_KMH / 3.6;
        let mut finished = false;
        let (mut p, heading) = match m.leg.as_mut() {
            Some(l) => {
                let elapsed = l.elapsed_s(now);
                let fix = l.drive.report(elapsed, since_s, max_mps);
                finished = l.drive.done(elapsed);
                fix
            }
            None => {
                // A parked GPS wanders a few metres.
                let p = m.parked;
                (
                    (
                        p.0 + rng.gen_range(-3e-5..3e-5),
                        p.1 + rng.gen_range(-3e-5..3e-5),
                    ),
                    None,
                )
            }
        };
        if finished {
            m.leg = None;
        }
        if let (Some((last_p, _)), Some(s)) = (last, since_s) {
            // Along a path the straight step is never longer; this only bounds the jump from a parked fix.
            p = model::step_towards(last_p, p, max_mps * s);
        }
        m.last_sent = Some((p, at));
        (p, heading, at)
    }
}

/// Where a unit is sent: the incident and its location.
#[derive(Debug, Clone, Copy)]
struct Scene<'a> {
    incident: &'a str,
    at: LonLat,
}

/// One agency's dispatcher seat.
struct Dispatcher {
    username: String,
    token: String,
    agency_id: String,
    /// Incidents this seat works on or worked on.
    handled: Mutex<HashSet<String>>,
}

/// A running simulation.
pub struct Sim {
    api: Api,
    args: SimulateArgs,
    rate_bits: AtomicU64,
    area: Area,
    admin_token: String,
    call_takers: Vec<String>,
    dispatchers: Vec<Arc<Dispatcher>>,
    units: HashMap<String, Arc<Unit>>,
    /// Send instants of fixes by (unit, fix time), for the fan-out latency.
    sent: Mutex<HashMap<(String, i64), Instant>>,
    calls_open: AtomicBool,
    halt: watch::Sender<bool>,
    next_call: AtomicU64,
    /// Calls and incidents being worked on.
    pub in_flight: AtomicU64,
}

/// How summary lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// On stdout (the `simulate` command).
    Stdout,
    /// As log lines (inside `siaga demo`).
    Log,
}

fn emit(out: Output, line: &str) {
    match out {
        Output::Stdout => println!("{line}"),
        Output::Log => tracing::info!(target: LOG_TARGET, "{line}"),
    }
}

/// Runs a simulation until `--duration` passes or `shutdown` completes; returns the totals.
pub async fn run(
    args: SimulateArgs,
    out: Output,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<Window> {
    let started = Instant::now();
    let sim = Sim::setup(args.clone(), Arc::new(Stats::default())).await?;
    emit(
        out,
        &format!(
            "simulating at {}: {:.2} calls/s ({:.0}% emergencies), {} units ({} crewed), {} dispatcher seats, \
             {} call takers, speedup {}",
            sim.api.base,
            args.rate,
            args.mix.share("emergency") * 100.0,
            sim.units.len(),
            sim.units
                .values()
                .filter(|u| u.crew_token.is_some())
                .count(),
            sim.dispatchers.len(),
            sim.call_takers.len(),
            args.speedup
        ),
    );
    sim.start(args.watchers);
    let mut prev = [0u64; client::N_COUNTS];
    let mut last = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_secs(args.report_every_s.max(1)));
    ticker.tick().await;
    let end = args.duration.map(|d| tokio::time::Instant::now() + d);
    tokio::pin!(shutdown);
    let mut interrupted = false;
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let w = sim.api.stats.take_window(&mut prev, last.elapsed());
                last = Instant::now();
                emit(out, &w.line(&format!("sim {:.0}s", started.elapsed().as_secs_f64())));
            }
            () = async { match end { Some(e) => tokio::time::sleep_until(e).await, None => std::future::pending().await } } => break,
            () = &mut shutdown => { interrupted = true; break }
        }
    }
    sim.calls_open.store(false, Ordering::Relaxed);
    if !interrupted && args.drain_s > 0 {
        let deadline = Instant::now() + Duration::from_secs(args.drain_s);
        while sim.in_flight.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    sim.stop();
    let mut zero = [0u64; client::N_COUNTS];
    let total = sim.api.stats.take_window(&mut zero, started.elapsed());
    emit(out, &total.line("sim total"));
    Ok(total)
}

#[derive(Deserialize)]
struct UserRow {
    username: String,
    role: String,
    agency_id: Option<String>,
    unit_id: Option<String>,
    active: bool,
}

fn unit_type_for(agency_type: &str) -> &'static str {
    match agency_type {
        "health" => "ambulance",
        "fire" => "fire_engine",
        "disaster" => "rescue",
        "police" => "police_patrol",
        "social" => "social_team",
        "transport" => "traffic",
        _ => "other",
    }
}

impl Sim {
    /// Logs in every actor, loads the region and the fleet (creating missing units).
    pub async fn setup(args: SimulateArgs, stats: Arc<Stats>) -> anyhow::Result<Arc<Sim>> {
        let api = Api::new(&args.url, stats)?;
        let (admin, _) = api.login(&args.admin, &args.password).await?;
        let area = load_area(&api, &admin, args.region.as_deref()).await?;
        let agencies = api.get("/api/v1/agencies", &admin).await?;
        anyhow::ensure!(agencies.ok(), "listing agencies: {}", agencies.body);
        let agencies: Vec<(String, String)> = agencies
            .body
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|a| {
                        Some((
                            a["id"].as_str()?.to_owned(),
                            a["agency_type"].as_str()?.to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        anyhow::ensure!(
            !agencies.is_empty(),
            "the server has no agencies (load the demo or import them)"
        );
        let users = api.get("/api/v1/users", &admin).await?;
        anyhow::ensure!(
            users.ok(),
            "listing users as {}: {}",
            args.admin,
            users.body
        );
        let users: Vec<UserRow> = serde_json::from_value(users.body)?;

        let mut units = list_units(&api, &admin).await?;
        if let Some(target) = args.units
            && target > units.len()
        {
            create_units(
                &api,
                &admin,
                &agencies,
                &area,
                &units,
                target - units.len(),
                args.seed,
            )
            .await?;
            units = list_units(&api, &admin).await?;
        }
        let crewed: HashMap<&str, &str> = users
            .iter()
            .filter(|u| u.active && u.role == "responder")
            .filter_map(|u| Some((u.unit_id.as_deref()?, u.username.as_str())))
            .collect();
        units.sort_by_key(|u| {
            (
                !crewed.contains_key(u["id"].as_str().unwrap_or("")),
                u["call_sign"].as_str().map(str::to_owned),
            )
        });
        units.truncate(args.units.unwrap_or(usize::MAX));
        let mut rng = StdRng::seed_from_u64(args.seed);
        let mut fleet = HashMap::new();
        for u in &units {
            let (Some(id), Some(call_sign)) = (u["id"].as_str(), u["call_sign"].as_str()) else {
                continue;
            };
            let home = match (u["position"]["lon"].as_f64(), u["position"]["lat"].as_f64()) {
                (Some(lon), Some(lat)) => (lon, lat),
                _ => area.random_point(&mut rng).unwrap_or((0.0, 0.0)),
            };
            let crew_token = match crewed.get(id) {
                Some(username) => api
                    .login(username, &args.password)
                    .await
                    .ok()
                    .map(|(t, _)| t),
                None => None,
            };
            fleet.insert(
                id.to_owned(),
                Arc::new(Unit {
                    id: id.to_owned(),
                    call_sign: call_sign.to_owned(),
                    crew_token,
                    motion: Mutex::new(Motion {
                        home,
                        parked: home,
                        leg: None,
                        last_sent: None,
                    }),
                }),
            );
        }

        let mut call_takers = Vec::new();
        for u in users.iter().filter(|u| u.active && u.role == "call_taker") {
            if let Ok((t, _)) = api.login(&u.username, &args.password).await {
                call_takers.push(t);
            }
        }
        anyhow::ensure!(
            !call_takers.is_empty(),
            "no call taker account accepts the password"
        );
        let mut dispatchers = Vec::new();
        let mut seated = HashSet::new();
        let mut candidates: Vec<&UserRow> = users
            .iter()
            .filter(|u| u.active && u.role == "dispatcher")
            .collect();
        candidates.sort_by(|a, b| a.username.cmp(&b.username));
        for u in candidates {
            let Some(agency_id) = u.agency_id.clone() else {
                continue;
            };
            if seated.contains(&agency_id) {
                continue;
            }
            if let Ok((token, _)) = api.login(&u.username, &args.password).await {
                seated.insert(agency_id.clone());
                dispatchers.push(Arc::new(Dispatcher {
                    username: u.username.clone(),
                    token,
                    agency_id,
                    handled: Mutex::default(),
                }));
            }
        }
        anyhow::ensure!(
            !dispatchers.is_empty(),
            "no dispatcher account accepts the password"
        );
        tracing::debug!(target: LOG_TARGET, seats = ?dispatchers.iter().map(|d| d.username.as_str()).collect::<Vec<_>>(), "dispatcher seats");
        let (halt, _) = watch::channel(false);
        Ok(Arc::new(Sim {
            rate_bits: AtomicU64::new(args.rate.to_bits()),
            api,
            args,
            area,
            admin_token: admin,
            call_takers,
            dispatchers,
            units: fleet,
            sent: Mutex::default(),
            calls_open: AtomicBool::new(true),
            halt,
            next_call: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
        }))
    }

    /// The shared counters.
    pub fn stats(&self) -> &Stats {
        &self.api.stats
    }

    /// Number of units driven.
    pub fn fleet_size(&self) -> usize {
        self.units.len()
    }

    /// Changes the call rate (calls per second).
    pub fn set_rate(&self, per_s: f64) {
        self.rate_bits.store(per_s.to_bits(), Ordering::Relaxed);
    }

    fn rate(&self) -> f64 {
        f64::from_bits(self.rate_bits.load(Ordering::Relaxed))
    }

    /// Stops every task of the simulation.
    pub fn stop(&self) {
        self.calls_open.store(false, Ordering::Relaxed);
        let _ = self.halt.send(true);
    }

    fn halted(&self) -> bool {
        *self.halt.borrow()
    }

    /// Sleeps `d`; false when the simulation was stopped meanwhile.
    async fn pause(&self, d: Duration) -> bool {
        let mut rx = self.halt.subscribe();
        tokio::select! {
            () = tokio::time::sleep(d) => !self.halted(),
            _ = rx.wait_for(|h| *h) => false,
        }
    }

    /// Starts the call generator, the position reporter, the dispatchers' and the watchers' websockets.
    pub fn start(self: &Arc<Self>, watchers: usize) {
        for d in &self.dispatchers {
            tokio::spawn(Arc::clone(self).socket(Arc::clone(d), true));
            tokio::spawn(Arc::clone(self).resume(Arc::clone(d)));
        }
        for i in 0..watchers {
            let d = Arc::clone(&self.dispatchers[i % self.dispatchers.len()]);
            tokio::spawn(Arc::clone(self).socket(d, false));
        }
        tokio::spawn(Arc::clone(self).positions());
        tokio::spawn(Arc::clone(self).calls());
    }

    async fn calls(self: Arc<Self>) {
        let mut rng = StdRng::seed_from_u64(self.args.seed);
        // Arrivals are scheduled on absolute instants, so rates above the timer's 1 ms resolution are kept.
        let mut next = Instant::now();
        loop {
            let wait = model::next_arrival(self.rate(), &mut rng);
            // Waits are cut into seconds so a rate change takes effect soon; arrivals are memoryless, so
            // drawing afresh after a second of silence keeps the process Poisson.
            if wait > Duration::from_secs(1) {
                if !self.pause(Duration::from_secs(1)).await {
                    return;
                }
                next = Instant::now();
                continue;
            }
            let now = Instant::now();
            next = (next + wait).max(now.checked_sub(Duration::from_secs(1)).unwrap_or(now));
            if next > now && !self.pause(next - now).await {
                return;
            }
            if !self.calls_open.load(Ordering::Relaxed) {
                return;
            }
            let n = self.next_call.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(Arc::clone(&self).call(n));
        }
    }

    fn human(&self, rng: &mut impl Rng, lo: f64, hi: f64) -> Duration {
        model::human(rng, lo, hi, self.args.speedup)
    }

    async fn call(self: Arc<Self>, n: u64) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.call_steps(n).await;
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }

    async fn call_steps(&self, n: u64) {
        let mut rng = StdRng::seed_from_u64(self.args.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let class = self.args.mix.sample(&mut rng);
        let ani = model::caller_number(class, &mut rng);
        let taker = &self.call_takers[(n as usize) % self.call_takers.len()];
        let place = self.area.random_point(&mut rng).unwrap_or((0.0, 0.0));
        let draft = model::draft_incident(&mut rng);
        let mut body = json!({"ani": ani, "channel": "voice"});
        if class == "emergency" && rng.gen_bool(0.7) {
            body["aml"] = json!(aml_payload(&ani, place, &mut rng));
        }
        let Ok(mut r) = self
            .api
            .post("/api/v1/calls", taker, &body, Series::Workflow)
            .await
        else {
            return;
        };
        if r.status == 422 && body.get("aml").is_some() {
            // An AML payload the server refuses must not lose the call.
            body.as_object_mut().map(|o| o.remove("aml"));
            let Ok(again) = self
                .api
                .post("/api/v1/calls", taker, &body, Series::Workflow)
                .await
            else {
                return;
            };
            r = again;
        }
        let Some(id) = r.body["id"].as_str().filter(|_| r.ok()).map(str::to_owned) else {
            return;
        };
        self.api.stats.add(Stats::call_class(class));
        let path = |step: &str| format!("/api/v1/calls/{id}/{step}");
        if class == "abandoned" {
            let d = self.human(&mut rng, 2.0, 10.0);
            if self.pause(d).await {
                let _ = self
                    .api
                    .post(&path("end"), taker, &json!({}), Series::Workflow)
                    .await;
            }
            return;
        }
        let d = self.human(&mut rng, 3.0, 12.0);
        if !self.pause(d).await {
            return;
        }
        match self
            .api
            .post(&path("answer"), taker, &json!({}), Series::Workflow)
            .await
        {
            Ok(r) if r.ok() => {}
            _ => return,
        }
        let (lo, hi) = match class {
            "emergency" => (30.0, 90.0),
            "information" => (40.0, 120.0),
            "prank" => (10.0, 30.0),
            _ => (5.0, 15.0),
        };
        let d = self.human(&mut rng, lo, hi);
        if !self.pause(d).await {
            return;
        }
        match self
            .api
            .post(
                &path("classify"),
                taker,
                &json!({"class": class}),
                Series::Workflow,
            )
            .await
        {
            Ok(r) if r.ok() => {}
            _ => return,
        }
        if class == "emergency" {
            let d = self.human(&mut rng, 10.0, 30.0);
            if !self.pause(d).await {
                return;
            }
            let street = [
                "Jl. Engku Putri",
                "Jl. Raja Ali Haji",
                "Jl. Sudirman",
                "Jl. Yos Sudarso",
                "Jl. Laksamana Bintan",
                "Jl. Ahmad Yani",
            ];
            let body = json!({
                "call_id": id, "category": draft.category, "priority": draft.priority,
                "location": {"lon": place.0, "lat": place.1},
                "address": format!("{} No. {} {MARKER}", street[rng.gen_range(0..street.len())], rng.gen_range(1..200)),
                "victims": {"count": draft.victims, "condition": draft.condition},
                "description": format!("{} {MARKER}", draft.description),
            });
            if let Ok(r) = self
                .api
                .post("/api/v1/incidents", taker, &body, Series::Workflow)
                .await
                && r.status == 201
            {
                self.api.stats.add(Count::IncidentsFiled);
            }
        }
        let d = self.human(&mut rng, 2.0, 8.0);
        if self.pause(d).await {
            let _ = self
                .api
                .post(&path("end"), taker, &json!({}), Series::Workflow)
                .await;
        }
    }

    /// Position fixes of every unit, spread evenly over `--fix-every-s`.
    async fn positions(self: Arc<Self>) {
        let units: Vec<Arc<Unit>> = self.units.values().cloned().collect();
        if units.is_empty() {
            return;
        }
        let tick = Duration::from_millis(100);
        let ticks_per_round = (self.args.fix_every_s / tick.as_secs_f64()).max(1.0);
        let per_tick = units.len() as f64 / ticks_per_round;
        let mut budget = 0.0;
        let mut next = 0usize;
        let mut interval = tokio::time::interval(tick);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_FIXES_IN_FLIGHT));
        let mut rng = StdRng::seed_from_u64(self.args.seed.wrapping_add(1));
        let mut ticks = 0u64;
        loop {
            interval.tick().await;
            if self.halted() {
                return;
            }
            ticks += 1;
            if ticks.is_multiple_of(100)
                && let Some(cutoff) = Instant::now().checked_sub(Duration::from_secs(60))
            {
                self.sent
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .retain(|_, t| *t > cutoff);
            }
            budget += per_tick;
            while budget >= 1.0 {
                budget -= 1.0;
                let unit = Arc::clone(&units[next % units.len()]);
                next += 1;
                let Ok(permit) = Arc::clone(&slots).try_acquire_owned() else {
                    self.api.stats.add(Count::FixesSkipped);
                    continue;
                };
                let (p, heading, at) = unit.next_fix(&mut rng);
                let sim = Arc::clone(&self);
                tokio::spawn(async move {
                    let token = unit.crew_token.as_deref().unwrap_or(&sim.admin_token);
                    let mut body = json!({"lon": p.0, "lat": p.1, "accuracy_m": 8.0, "at": at});
                    if let Some(h) = heading {
                        body["heading_deg"] = json!(h);
                    }
                    sim.sent
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert((unit.id.clone(), at), Instant::now());
                    let path = format!("/api/v1/units/{}/position", unit.id);
                    match sim.api.post(&path, token, &body, Series::Fix).await {
                        Ok(r) if r.status == 202 => sim.api.stats.add(Count::FixesSent),
                        Ok(r) if r.status == 422 => {
                            sim.api.stats.add(Count::FixesRefused);
                            tracing::debug!(target: LOG_TARGET, unit = %unit.call_sign, body = %r.body, "fix refused");
                        }
                        _ => {}
                    }
                    drop(permit);
                });
            }
        }
    }

    /// One websocket of a dispatcher seat, reconnecting with `resume_from`. An acting socket works the
    /// seat's incidents; every socket measures the fan-out latency of position fixes.
    async fn socket(self: Arc<Self>, d: Arc<Dispatcher>, acting: bool) {
        #[derive(Deserialize)]
        struct Frame<'a> {
            #[serde(rename = "type")]
            kind: &'a str,
            seq: Option<i64>,
            unit_id: Option<&'a str>,
            position_at: Option<i64>,
            incident_id: Option<String>,
            address: Option<String>,
            #[serde(default)]
            agency_ids: Vec<String>,
        }
        let mut last_seq: Option<i64> = None;
        let mut halt = self.halt.subscribe();
        while !self.halted() {
            let url = self.api.ws_url(&d.token, last_seq);
            let mut ws = match tokio_tungstenite::connect_async(url).await {
                Ok((ws, _)) => ws,
                Err(e) => {
                    tracing::debug!(target: LOG_TARGET, error = %e, "simulated websocket cannot connect");
                    if !self.pause(Duration::from_secs(2)).await {
                        return;
                    }
                    continue;
                }
            };
            self.api.stats.sockets.fetch_add(1, Ordering::Relaxed);
            loop {
                let msg = tokio::select! {
                    m = ws.next() => m,
                    _ = halt.wait_for(|h| *h) => None,
                };
                let Some(Ok(msg)) = msg else { break };
                let arrived = Instant::now();
                let tokio_tungstenite::tungstenite::Message::Text(text) = msg else {
                    continue;
                };
                self.api.stats.add(Count::Frames);
                let Ok(f) = serde_json::from_str::<Frame>(text.as_str()) else {
                    continue;
                };
                if let Some(seq) = f.seq {
                    last_seq = Some(seq);
                }
                match f.kind {
                    "unit.position" => {
                        if let (Some(unit), Some(at)) = (f.unit_id, f.position_at) {
                            let sent = self
                                .sent
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .get(&(unit.to_owned(), at))
                                .copied();
                            if let Some(sent) = sent {
                                self.api
                                    .stats
                                    .fanout(arrived.saturating_duration_since(sent));
                            }
                        }
                    }
                    "incident.escalated"
                        if acting
                            && f.agency_ids.contains(&d.agency_id)
                            && f.address.as_deref().is_some_and(|a| a.ends_with(MARKER)) =>
                    {
                        if let Some(id) = f.incident_id {
                            tokio::spawn(Arc::clone(&self).work_incident(Arc::clone(&d), id));
                        }
                    }
                    _ => {}
                }
            }
            self.api.stats.sockets.fetch_sub(1, Ordering::Relaxed);
            if !self.pause(Duration::from_millis(500)).await {
                return;
            }
        }
    }

    /// At start, a seat picks up the simulated incidents left open by an earlier run.
    async fn resume(self: Arc<Self>, d: Arc<Dispatcher>) {
        let Ok(r) = self
            .api
            .get("/api/v1/incidents?open=true&limit=1000", &d.token)
            .await
        else {
            return;
        };
        for inc in r.body.as_array().into_iter().flatten() {
            let simulated = inc["address"].as_str().is_some_and(|a| a.ends_with(MARKER));
            if let (true, Some(id)) = (simulated, inc["id"].as_str()) {
                tokio::spawn(Arc::clone(&self).work_incident(Arc::clone(&d), id.to_owned()));
            }
        }
    }

    /// A dispatcher works one incident from wherever it stands: verify, assign, follow its unit, close.
    async fn work_incident(self: Arc<Self>, d: Arc<Dispatcher>, id: String) {
        if !d
            .handled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone())
        {
            return;
        }
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.work_incident_steps(&d, &id).await;
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }

    async fn work_incident_steps(&self, d: &Dispatcher, id: &str) {
        let mut rng = StdRng::from_entropy();
        let ipath = format!("/api/v1/incidents/{id}");
        let Ok(inc) = self.api.get(&ipath, &d.token).await else {
            return;
        };
        if !inc.ok() {
            return;
        }
        let inc = inc.body;
        let scene = (
            inc["location"]["lon"].as_f64().unwrap_or(0.0),
            inc["location"]["lat"].as_f64().unwrap_or(0.0),
        );
        if matches!(
            inc["status"].as_str(),
            Some("closed" | "cancelled" | "rejected")
        ) {
            return;
        }
        let own = inc["agencies"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["agency_id"] == d.agency_id.as_str()))
            .cloned()
            .unwrap_or(Value::Null);
        match own["status"].as_str() {
            Some("rejected") | None => return,
            Some("escalated") => {
                let wait = self.human(&mut rng, 10.0, 40.0);
                if !self.pause(wait).await {
                    return;
                }
                match self
                    .api
                    .post(
                        &format!("{ipath}/verify"),
                        &d.token,
                        &json!({}),
                        Series::Workflow,
                    )
                    .await
                {
                    Ok(r) if r.ok() => self.api.stats.add(Count::Verified),
                    Ok(r) if r.status == 409 => {}
                    _ => return,
                }
            }
            Some(_) => {}
        }
        let assignments: Vec<Value> = inc["assignments"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["agency_id"] == d.agency_id.as_str())
            .cloned()
            .collect();
        let open: Vec<(String, String, String)> = assignments
            .iter()
            .filter(|a| {
                matches!(
                    a["status"].as_str(),
                    Some("assigned" | "acknowledged" | "en_route" | "on_scene")
                )
            })
            .filter_map(|a| {
                Some((
                    a["id"].as_str()?.to_owned(),
                    a["unit_id"].as_str()?.to_owned(),
                    a["status"].as_str()?.to_owned(),
                ))
            })
            .collect();
        let mut work = open;
        if work.is_empty() && assignments.is_empty() && inc["status"] != "resolved" {
            match self.assign(d, id, &mut rng).await {
                Some(a) => work.push(a),
                None => return,
            }
        }
        for (assignment, unit_id, status) in work {
            let Some(unit) = self.units.get(&unit_id).cloned() else {
                continue;
            };
            let token = unit.crew_token.clone().unwrap_or_else(|| d.token.clone());
            if !self
                .drive(
                    &unit,
                    &token,
                    &assignment,
                    &status,
                    Scene {
                        incident: id,
                        at: scene,
                    },
                    &mut rng,
                )
                .await
            {
                return;
            }
        }
        // Close once every unit has resolved; the seat whose unit finished last usually closes it.
        let wait = self.human(&mut rng, 30.0, 180.0);
        if !self.pause(wait).await {
            return;
        }
        let Ok(now) = self.api.get(&ipath, &d.token).await else {
            return;
        };
        if now.body["status"] == "resolved" {
            let report = json!({"report": format!("Ditangani, unit kembali ke pos. {MARKER}")});
            if let Ok(r) = self
                .api
                .post(
                    &format!("{ipath}/close"),
                    &d.token,
                    &report,
                    Series::Workflow,
                )
                .await
                && r.ok()
            {
                self.api.stats.add(Count::Closed);
            }
        }
    }

    /// Recommendations → assign the nearest driven unit; retried while none is free (up to ~15 min).
    async fn assign(
        &self,
        d: &Dispatcher,
        id: &str,
        rng: &mut StdRng,
    ) -> Option<(String, String, String)> {
        for _ in 0..30 {
            let wait = self.human(rng, 5.0, 20.0);
            if !self.pause(wait).await {
                return None;
            }
            let rec = self
                .api
                .get(&format!("/api/v1/incidents/{id}/recommendations"), &d.token)
                .await
                .ok()?;
            if !rec.ok() {
                return None;
            }
            let pick = rec.body["units"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|u| u["unit_id"].as_str())
                .find(|u| self.units.contains_key(*u))
                .map(str::to_owned);
            let Some(unit_id) = pick else {
                self.api.stats.add(Count::NoUnit);
                let wait = self.human(rng, 20.0, 40.0);
                if !self.pause(wait).await {
                    return None;
                }
                continue;
            };
            let body = json!({"unit_id": unit_id, "share_reporter": true, "note": MARKER});
            let r = self
                .api
                .post(
                    &format!("/api/v1/incidents/{id}/assignments"),
                    &d.token,
                    &body,
                    Series::Workflow,
                )
                .await
                .ok()?;
            match r.status {
                201 => {
                    self.api.stats.add(Count::Assigned);
                    return Some((
                        r.body["id"].as_str()?.to_owned(),
                        unit_id,
                        "assigned".into(),
                    ));
                }
                // Someone else took the unit first: ask again.
                409 => continue,
                _ => return None,
            }
        }
        None
    }

    /// The unit's part: acknowledge, drive, arrive, work, resolve and drive home. False when stopped.
    async fn drive(
        &self,
        unit: &Unit,
        token: &str,
        assignment: &str,
        from: &str,
        scene: Scene<'_>,
        rng: &mut StdRng,
    ) -> bool {
        let path = format!("/api/v1/assignments/{assignment}/status");
        let steps = ["acknowledged", "en_route", "on_scene", "resolved"];
        let start = match from {
            "assigned" => 0,
            "acknowledged" => 1,
            "en_route" => 2,
            "on_scene" => 3,
            _ => return true,
        };
        let mut arrive_after = Duration::ZERO;
        if from == "en_route" {
            arrive_after = self.head_for_scene(unit, token, scene).await;
        }
        for step in &steps[start..] {
            let wait = match *step {
                "acknowledged" => self.human(rng, 10.0, 45.0),
                "en_route" => self.human(rng, 15.0, 60.0),
                "on_scene" => arrive_after,
                _ => self.human(rng, 300.0, 1200.0),
            };
            if !self.pause(wait).await {
                return false;
            }
            let mut body = json!({"status": step});
            if *step == "resolved" {
                body["note"] = json!(format!("Selesai ditangani {MARKER}"));
            }
            let Ok(r) = self.api.post(&path, token, &body, Series::Workflow).await else {
                return true;
            };
            if !r.ok() {
                // Moved by someone else (409) or refused: leave it to them.
                return true;
            }
            match *step {
                "acknowledged" => self.api.stats.add(Count::Acknowledged),
                "en_route" => {
                    arrive_after = self.head_for_scene(unit, token, scene).await;
                }
                "on_scene" => self.api.stats.add(Count::OnScene),
                _ => {
                    self.api.stats.add(Count::Resolved);
                    self.head_home(unit, token, scene.incident).await;
                }
            }
        }
        true
    }
}

impl Sim {
    /// Sets `unit` off to the scene: along its road route to the incident (asked once, as `token`: its crew, or
    /// the dispatcher relaying it) at the route's average road speed, or on a straight line at `--speed-kmh`
    /// when the server has no road route for it (the reason is logged). Returns how long the drive takes.
    async fn head_for_scene(&self, unit: &Unit, token: &str, scene: Scene<'_>) -> Duration {
        let Scene { incident, at } = scene;
        let path = format!("/api/v1/incidents/{incident}/route?unit_id={}", unit.id);
        self.head_to(unit, token, incident, &path, at).await
    }

    /// Sets `unit` off from the scene back to its base: along the road route the server gives from its last
    /// fix (the scene) to the base, not the way it came reversed (that can run against a one-way street), or
    /// on a straight line when there is none (the reason is logged).
    async fn head_home(&self, unit: &Unit, token: &str, incident: &str) -> Duration {
        let home = unit.home();
        let path = format!(
            "/api/v1/incidents/{incident}/route?unit_id={}&to_lon={}&to_lat={}",
            unit.id, home.0, home.1
        );
        self.head_to(unit, token, incident, &path, home).await
    }

    /// Drives `unit` along the road route `path` answers, or to `at` on a straight line at `--speed-kmh`.
    async fn head_to(
        &self,
        unit: &Unit,
        token: &str,
        incident: &str,
        path: &str,
        at: LonLat,
    ) -> Duration {
        let route = match self.api.get(path, token).await {
            Ok(r) if r.ok() => model::road_route(&r.body),
            Ok(r) => Err(format!(
                "the route request answered {}: {}",
                r.status, r.body
            )),
            Err(e) => Err(format!("the route request failed: {e:#}")),
        };
        match route {
            Ok((line, travel_time_s)) => {
                tracing::debug!(target: LOG_TARGET, unit = %unit.call_sign, incident, to = ?at,
                    route_m = line.length_m(), travel_time_s, "driving the road route");
                unit.follow_route(line, travel_time_s, self.args.speedup)
            }
            Err(why) => {
                tracing::info!(target: LOG_TARGET, unit = %unit.call_sign, incident, to = ?at,
                    "no road route, driving a straight line: {why}");
                unit.drive_straight(at, self.args.speed_kmh, self.args.speedup)
            }
        }
    }
}

/// An AML payload (HTTPS form) for a phone at `p`.
fn aml_payload(ani: &str, p: LonLat, rng: &mut impl Rng) -> String {
    let now = chrono::Utc::now().timestamp_millis() - 5_000;
    let device = format!("%2B62{}", ani.trim_start_matches('0'));
    format!(
        "v=3&emergency_number=112&source=call&time={now}&location_latitude={:.5}&location_longitude={:.5}\
         &location_time={now}&location_source=gps&location_accuracy={:.1}&location_confidence=0.68\
         &device_number={device}",
        p.1,
        p.0,
        rng.gen_range(5.0..60.0)
    )
}

async fn list_units(api: &Api, admin: &str) -> anyhow::Result<Vec<Value>> {
    let r = api.get("/api/v1/units", admin).await?;
    anyhow::ensure!(r.ok(), "listing units: {}", r.body);
    Ok(r.body.as_array().cloned().unwrap_or_default())
}

/// Creates `missing` units `SIM-nnnnn`, spread over the agencies serving the area in proportion to how much of
/// it each serves, parked inside the area.
async fn create_units(
    api: &Api,
    admin: &str,
    agencies: &[(String, String)],
    area: &Area,
    existing: &[Value],
    missing: usize,
    seed: u64,
) -> anyhow::Result<()> {
    let taken: HashSet<&str> = existing
        .iter()
        .filter_map(|u| u["call_sign"].as_str())
        .collect();
    let mut rng = StdRng::seed_from_u64(seed.wrapping_add(2));
    let owners = serving_agencies(api, admin, agencies, area, &mut rng).await?;
    let mut bodies = Vec::new();
    let mut i = 0usize;
    while bodies.len() < missing {
        i += 1;
        let call_sign = format!("SIM-{i:05}");
        if taken.contains(call_sign.as_str()) {
            continue;
        }
        let (agency_id, agency_type) = &owners[i % owners.len()];
        let p = area.random_point(&mut rng).unwrap_or((0.0, 0.0));
        bodies.push(json!({"agency_id": agency_id, "call_sign": call_sign,
            "unit_type": unit_type_for(agency_type), "position": {"lon": p.0, "lat": p.1}}));
    }
    let failures = futures::stream::iter(bodies)
        .map(|b| async move {
            match api.post("/api/v1/units", admin, &b, Series::Workflow).await {
                Ok(r) if r.ok() || r.status == 409 => 0,
                _ => 1,
            }
        })
        .buffer_unordered(16)
        .fold(0usize, |acc, f| async move { acc + f })
        .await;
    anyhow::ensure!(failures == 0, "{failures} units could not be created");
    Ok(())
}

/// The agencies that serve the area, each listed once per sampled point it is responsible for, so that new
/// units go where incidents will be escalated (an agency responsible nowhere in the area would get units no
/// dispatcher ever assigns). All agencies when the sample names none.
async fn serving_agencies(
    api: &Api,
    admin: &str,
    agencies: &[(String, String)],
    area: &Area,
    rng: &mut StdRng,
) -> anyhow::Result<Vec<(String, String)>> {
    const SAMPLES: usize = 64;
    let types: HashMap<&str, &str> = agencies
        .iter()
        .map(|(id, t)| (id.as_str(), t.as_str()))
        .collect();
    let points: Vec<LonLat> = (0..SAMPLES)
        .filter_map(|_| area.random_point(rng))
        .collect();
    let mut owners = Vec::new();
    for (lon, lat) in points {
        let r = api
            .get(&format!("/api/v1/geo/locate?lon={lon}&lat={lat}"), admin)
            .await?;
        anyhow::ensure!(r.ok(), "locating a point of the area: {}", r.body);
        for id in r.body["agencies"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
            .filter_map(Value::as_str)
        {
            if let Some(t) = types.get(id) {
                owners.push((id.to_owned(), (*t).to_owned()));
            }
        }
    }
    if owners.is_empty() {
        return Ok(agencies.to_vec());
    }
    owners.sort();
    Ok(owners)
}

/// The region to place incidents in: districts (or regencies, or villages) under `--region`.
async fn load_area(api: &Api, token: &str, region: Option<&str>) -> anyhow::Result<Area> {
    for level in ["district", "regency", "village", "province"] {
        let r = api
            .get(&format!("/api/v1/geo/regions.geojson?level={level}"), token)
            .await?;
        let mut area = Area::default();
        for f in r.body["features"].as_array().into_iter().flatten() {
            let code = f["properties"]["code"].as_str().unwrap_or("");
            if region.is_none_or(|want| siaga_core::region::contains(want, code)) {
                area.add_geometry(&f["geometry"]);
            }
        }
        if !area.is_empty() {
            return Ok(area);
        }
    }
    anyhow::bail!(
        "no region geometry{} on the server: load the demo (`siaga demo`) or import boundaries",
        region.map(|r| format!(" under {r}")).unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    /// Architecture Invariant: the simulator reaches a server through its public HTTP and websocket API only.
    /// Enforced through the dependency list, since a crate that is not a dependency cannot be called.
    #[test]
    fn the_simulator_depends_on_no_server_or_database_crate() {
        let manifest = include_str!("../Cargo.toml");
        let deps = manifest
            .split("\n[dependencies]")
            .nth(1)
            .unwrap_or_default();
        let deps = deps.split("\n[").next().unwrap_or_default();
        let names: Vec<&str> = deps
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split(['.', '=', ' ']).next())
            .collect();
        for forbidden in [
            "siaga",
            "siaga-spatial",
            "sqlx",
            "axum",
            "tower",
            "tower-http",
            "hyper",
            "utoipa",
        ] {
            assert!(
                !names.contains(&forbidden),
                "siaga-sim must not depend on {forbidden}"
            );
        }
        assert!(
            names.contains(&"reqwest"),
            "the [dependencies] table was not found"
        );
    }
}
