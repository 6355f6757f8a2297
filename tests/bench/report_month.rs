//! Benchmark: the KPI and monthly reports of one busy month, on SQLite and PostgreSQL.
//!
//! Generates a month (November 2026) of a busy centre: 300 000 calls (40 % abandoned; of those answered,
//! emergencies, information, pranks, ghost and wrong numbers), 50 000 incidents with escalations to one or
//! two OPDs, assignments with acknowledgement and arrival, SLA clocks for every call and incident step
//! (≈ 570 000 clocks; 8–20 % of each incident step breached, as in a centre meeting most of its targets), 30 call takers with shifts and a day of state changes each day. The data is
//! deterministic (a fixed-seed SplitMix64), written with multi-row INSERTs, then each report is built three
//! times and timed.
//!
//! Run: `cargo bench -p siaga-tests --bench report_month` (release build). `SIAGA_BENCH_ENGINES=sqlite`
//! skips PostgreSQL; `SIAGA_BENCH_CALLS` and `SIAGA_BENCH_INCIDENTS` change the volume. To study query plans,
//! `SIAGA_BENCH_KEEP_SQLITE=/tmp/month.db` saves a copy of the SQLite database and `SIAGA_BENCH_KEEP_PG=1`
//! keeps the PostgreSQL database (its URL is printed; drop it afterwards).

#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a benchmark binary: failures abort it and results go to stdout"
)]

use siaga::clock::{Clock, ManualClock};
use siaga::reports::{self, ReportFormat};
use siaga::store::reports::ReportScope;
use siaga::{AppState, Config};
use siaga_core::kpi::Period;
use siaga_core::kpi::period::parse_local_datetime;
use siaga_core::time::{MS_PER_DAY, MS_PER_MINUTE, MS_PER_SECOND, WIB_OFFSET_MINUTES};
use siaga_tests::{Engine, TestDb};
use std::fmt::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// SplitMix64: small, fast and good enough to spread synthetic events.
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
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Collects rows into multi-row INSERT statements of at most `BATCH` rows.
struct Batch {
    head: &'static str,
    rows: Vec<String>,
    out: Vec<String>,
}

const BATCH: usize = 1_000;

impl Batch {
    fn new(head: &'static str) -> Batch {
        Batch {
            head,
            rows: Vec::with_capacity(BATCH),
            out: Vec::new(),
        }
    }
    fn push(&mut self, row: String) {
        self.rows.push(row);
        if self.rows.len() == BATCH {
            self.flush();
        }
    }
    fn flush(&mut self) {
        if !self.rows.is_empty() {
            self.out
                .push(format!("{} VALUES {}", self.head, self.rows.join(",")));
            self.rows.clear();
        }
    }
    fn finish(mut self) -> Vec<String> {
        self.flush();
        self.out
    }
}

fn opt(v: Option<i64>) -> String {
    v.map_or_else(|| "NULL".into(), |x| x.to_string())
}

struct Month {
    statements: Vec<String>,
    calls: usize,
    incidents: usize,
    clocks: usize,
}

fn generate(
    calls_n: usize,
    incidents_n: usize,
    agents: &[String],
    dispatchers: &[String],
    agencies: &[(String, String)],
) -> Month {
    let mut rng = Rng(112);
    let start = parse_local_datetime("2026-11-01 00:00", WIB_OFFSET_MINUTES)
        .unwrap()
        .0;
    let regions = ["21.71.01", "21.71.06", "21.71.10"];
    let categories = [
        "fire",
        "traffic_accident",
        "health",
        "crime",
        "natural_disaster",
        "public_order",
    ];
    let priorities = ["p1", "p2", "p3", "p4"];
    let mut users = Batch::new(
        "INSERT INTO users (id, username, display_name, role, password_hash, active, created_at, updated_at)",
    );
    for a in agents.iter().filter(|a| a.starts_with("bench-ct")) {
        users.push(format!(
            "('{a}', '{a}', '{a}', 'call_taker', 'x', TRUE, 0, 0)"
        ));
    }
    let mut calls = Batch::new(
        "INSERT INTO calls (id, ani, channel, service_line, status, class, ring_at, answered_at, ended_at, \
         call_taker_id, region_code, incident_id, created_at, updated_at)",
    );
    let mut incidents = Batch::new(
        "INSERT INTO incidents (id, number, status, category, priority, lon, lat, region_code, created_at, \
         updated_at, resolved_at, closed_at)",
    );
    let mut escalations = Batch::new(
        "INSERT INTO incident_agencies (incident_id, agency_id, agency_type, status, escalated_at)",
    );
    let mut assignments = Batch::new(
        "INSERT INTO assignments (id, incident_id, unit_id, agency_id, status, assigned_by, assigned_at, \
         acknowledged_at, on_scene_at, resolved_at, updated_at)",
    );
    let mut clocks = Batch::new(
        "INSERT INTO sla_clocks (id, subject_type, subject_id, kind, agency_id, started_at, target_ms, due_at, \
         stopped_at, breached_at)",
    );
    let mut n_clocks = 0usize;
    let mut clock = |clocks: &mut Batch,
                     subject_type: &str,
                     subject: &str,
                     kind: &str,
                     agency: Option<&str>,
                     started: i64,
                     target: i64,
                     stopped: Option<i64>| {
        n_clocks += 1;
        let due = started + target;
        let breached = match stopped {
            Some(s) if s > due => Some(due + 1),
            None => Some(due + 1),
            _ => None,
        };
        clocks.push(format!(
            "('k{n_clocks:08}', '{subject_type}', '{subject}', '{kind}', {}, {started}, {target}, {due}, {}, {})",
            agency.map_or_else(|| "NULL".into(), |a| format!("'{a}'")),
            opt(stopped),
            opt(breached)
        ));
    };
    // Every sixth call or so is an emergency that becomes an incident.
    let emergency_every = calls_n / incidents_n.max(1);
    let mut incident_no = 0usize;
    // Calls arrive in time order and get time-ordered ids, as the server writes them (UUIDv7 ids, rows
    // appended as events happen): half between 07:00 and 22:00 local, the rest spread over the day.
    let mut rings: Vec<i64> = (0..calls_n)
        .map(|_| {
            let day = rng.below(30) as i64;
            let in_day = if rng.chance(50) {
                7 * 60 * MS_PER_MINUTE + rng.below((15 * 60 * MS_PER_MINUTE) as u64) as i64
            } else {
                rng.below(MS_PER_DAY as u64) as i64
            };
            start + day * MS_PER_DAY + in_day
        })
        .collect();
    rings.sort_unstable();
    for (c, ring) in rings.into_iter().enumerate() {
        let region = *rng.pick(&regions);
        let id = format!("c{c:07}");
        let is_incident = c % emergency_every == 0 && incident_no < incidents_n;
        let answered = is_incident || !rng.chance(40);
        let (status, class, answered_at, ended_at, taker) = if answered {
            let speed = (2 + rng.below(40)) as i64 * MS_PER_SECOND;
            let a = ring + speed;
            let talk = (10 + rng.below(400)) as i64 * MS_PER_SECOND;
            let class = if is_incident {
                "emergency"
            } else {
                *rng.pick(&[
                    "information",
                    "information",
                    "prank",
                    "prank",
                    "ghost",
                    "ghost",
                    "wrong_number",
                ])
            };
            (
                "ended",
                class,
                Some(a),
                Some(a + talk),
                Some(rng.pick(agents).clone()),
            )
        } else {
            (
                "abandoned",
                "abandoned",
                None,
                Some(ring + (1 + rng.below(30)) as i64 * MS_PER_SECOND),
                None,
            )
        };
        let incident_id = is_incident.then(|| format!("i{incident_no:07}"));
        calls.push(format!(
            "('{id}', '+6281234500000', 'voice', '112', '{status}', '{class}', {ring}, {}, {}, {}, '{region}', {}, {ring}, {ring})",
            opt(answered_at),
            opt(ended_at),
            taker.as_ref().map_or_else(|| "NULL".into(), |t| format!("'{t}'")),
            incident_id.as_ref().map_or_else(|| "NULL".into(), |i| format!("'{i}'")),
        ));
        clock(
            &mut clocks,
            "call",
            &id,
            "answer",
            None,
            ring,
            15 * MS_PER_SECOND,
            answered_at,
        );
        if let (Some(iid), Some(answered_at)) = (incident_id, answered_at) {
            incident_no += 1;
            let created = answered_at + (20 + rng.below(100)) as i64 * MS_PER_SECOND;
            let category = *rng.pick(&categories);
            let resolved = rng
                .chance(92)
                .then(|| created + (20 + rng.below(120)) as i64 * MS_PER_MINUTE);
            let closed = resolved
                .filter(|_| rng.chance(90))
                .map(|r| r + (5 + rng.below(60)) as i64 * MS_PER_MINUTE);
            let lon = 103.95 + rng.below(20_000) as f64 / 100_000.0;
            let lat = 1.02 + rng.below(15_000) as f64 / 100_000.0;
            incidents.push(format!(
                "('{iid}', 'BTM-{incident_no:07}', 'verified', '{category}', '{}', {lon}, {lat}, '{region}', {created}, {created}, {}, {})",
                rng.pick(&priorities),
                opt(resolved),
                opt(closed)
            ));
            clock(
                &mut clocks,
                "incident",
                &iid,
                "resolution",
                None,
                created,
                3 * 3600 * MS_PER_SECOND,
                resolved,
            );
            let n_agencies = if rng.chance(20) { 2 } else { 1 };
            let first = rng.below(agencies.len() as u64) as usize;
            for k in 0..n_agencies {
                let (agency, unit) = &agencies[(first + k) % agencies.len()];
                let escalated = created + (10 + rng.below(120)) as i64 * MS_PER_SECOND;
                escalations.push(format!(
                    "('{iid}', '{agency}', 'other', 'verified', {escalated})"
                ));
                let assigned = escalated + (20 + rng.below(180)) as i64 * MS_PER_SECOND;
                // One escalation and one dispatch clock per incident (the schema keeps one per kind).
                if k == 0 {
                    clock(
                        &mut clocks,
                        "incident",
                        &iid,
                        "escalation",
                        Some(agency),
                        created,
                        120 * MS_PER_SECOND,
                        Some(escalated),
                    );
                    clock(
                        &mut clocks,
                        "incident",
                        &iid,
                        "dispatch",
                        Some(agency),
                        escalated,
                        180 * MS_PER_SECOND,
                        Some(assigned),
                    );
                }
                let ack = assigned + (5 + rng.below(64)) as i64 * MS_PER_SECOND;
                let on_scene = ack + (3 + rng.below(14)) as i64 * MS_PER_MINUTE;
                let aid = format!("a{iid}-{k}");
                assignments.push(format!(
                    "('{aid}', '{iid}', '{unit}', '{agency}', 'resolved', '{}', {assigned}, {ack}, {on_scene}, {}, {assigned})",
                    rng.pick(dispatchers),
                    opt(resolved)
                ));
                clock(
                    &mut clocks,
                    "assignment",
                    &aid,
                    "acknowledge",
                    Some(agency),
                    assigned,
                    60 * MS_PER_SECOND,
                    Some(ack),
                );
                clock(
                    &mut clocks,
                    "assignment",
                    &aid,
                    "arrival",
                    Some(agency),
                    assigned,
                    15 * MS_PER_MINUTE,
                    Some(on_scene),
                );
            }
        }
    }
    // Agents: a morning or evening shift every day, with a break.
    let mut states = Batch::new("INSERT INTO agent_states (user_id, state, reason, at)");
    let mut shifts = Batch::new(
        "INSERT INTO agent_shifts (user_id, shift_start, shift_end, created_at, created_by)",
    );
    for (i, a) in agents.iter().enumerate() {
        for day in 0..30 {
            let shift_start =
                start + day * MS_PER_DAY + if i % 2 == 0 { 7 } else { 15 } * 60 * MS_PER_MINUTE;
            let shift_end = shift_start + 8 * 60 * MS_PER_MINUTE;
            shifts.push(format!("('{a}', {shift_start}, {shift_end}, 0, NULL)"));
            let login = shift_start + (rng.below(20) as i64 - 10) * MS_PER_MINUTE;
            states.push(format!("('{a}', 'logged_in', NULL, {login})"));
            states.push(format!("('{a}', 'ready', NULL, {})", login + MS_PER_MINUTE));
            let brk = shift_start + 4 * 60 * MS_PER_MINUTE;
            states.push(format!("('{a}', 'aux', 'break', {brk})"));
            states.push(format!(
                "('{a}', 'ready', NULL, {})",
                brk + 30 * MS_PER_MINUTE
            ));
            let out = shift_end + (rng.below(20) as i64 - 10) * MS_PER_MINUTE;
            states.push(format!("('{a}', 'logged_out', NULL, {out})"));
        }
    }
    let mut statements = users.finish();
    for b in [
        calls,
        incidents,
        escalations,
        assignments,
        clocks,
        states,
        shifts,
    ] {
        statements.extend(b.finish());
    }
    Month {
        statements,
        calls: calls_n,
        incidents: incident_no,
        clocks: n_clocks,
    }
}

async fn load(db: &TestDb, statements: &[String]) {
    match db.engine {
        Engine::Sqlite => {
            let p = &sqlx::SqlitePool::connect(&db.url).await.unwrap();
            let mut tx = p.begin().await.unwrap();
            for s in statements {
                sqlx::query(s).execute(&mut *tx).await.unwrap();
            }
            tx.commit().await.unwrap();
            sqlx::query("ANALYZE").execute(p).await.unwrap();
            if let Ok(path) = std::env::var("SIAGA_BENCH_KEEP_SQLITE") {
                sqlx::query(&format!("VACUUM INTO '{path}'"))
                    .execute(p)
                    .await
                    .unwrap();
            }
        }
        Engine::Postgres => {
            let p = &sqlx::PgPool::connect(&db.url).await.unwrap();
            let mut tx = p.begin().await.unwrap();
            for s in statements {
                sqlx::query(s).execute(&mut *tx).await.unwrap();
            }
            tx.commit().await.unwrap();
            sqlx::query("VACUUM ANALYZE").execute(p).await.unwrap();
        }
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn bench(engine: Engine) -> String {
    let calls_n = env_usize("SIAGA_BENCH_CALLS", 300_000);
    let incidents_n = env_usize("SIAGA_BENCH_INCIDENTS", 50_000);
    let db = Arc::new(TestDb::new(engine).await);
    let mut config = Config::load(None, Vec::new()).unwrap();
    config.database_url = Some(db.url.clone());
    config.max_connections = 8;
    let store = siaga::app::open_store(&config).await.unwrap();
    let as_of = parse_local_datetime("2026-12-02 00:00", WIB_OFFSET_MINUTES).unwrap();
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(as_of));
    let state = AppState::with_clock(store.clone(), config, clock);
    siaga_tests::load_fixture_centre(&state).await;

    let agencies: Vec<(String, String)> = {
        // One unit per agency, so an incident's two escalations go to two different agencies.
        let mut by_agency = std::collections::BTreeMap::new();
        for u in store.list_units(None, None).await.unwrap() {
            by_agency.entry(u.agency_id).or_insert(u.id);
        }
        by_agency.into_iter().collect()
    };
    let users = store.list_users(None, None).await.unwrap();
    let dispatchers: Vec<String> = users
        .iter()
        .filter(|u| u.role == "dispatcher")
        .map(|u| u.id.clone())
        .collect();
    let mut agents: Vec<String> = (1..=28).map(|i| format!("bench-ct{i:02}")).collect();
    agents.extend(
        users
            .iter()
            .filter(|u| u.role == "call_taker")
            .map(|u| u.id.clone()),
    );

    let t = Instant::now();
    let month = generate(calls_n, incidents_n, &agents, &dispatchers, &agencies);
    let generated = t.elapsed();
    let t = Instant::now();
    load(&db, &month.statements).await;
    let loaded = t.elapsed();

    let period: Period = "2026-11".parse().unwrap();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{engine:?}: {} calls, {} incidents, {} SLA clocks, {} agents (generated in {:.1} s, loaded in {:.1} s)",
        month.calls,
        month.incidents,
        month.clocks,
        agents.len(),
        generated.as_secs_f64(),
        loaded.as_secs_f64()
    );
    let scopes = [
        ("all regions", ReportScope::default()),
        (
            "region 21.71",
            ReportScope {
                region: Some("21.71".into()),
                agency_id: None,
            },
        ),
    ];
    for (label, scope) in &scopes {
        let mut times = Vec::new();
        let mut offered = 0;
        for _ in 0..3 {
            let t = Instant::now();
            let r = reports::build_kpi_report(&store, period, scope, as_of)
                .await
                .unwrap();
            times.push(t.elapsed());
            offered = r.report.calls.offered;
        }
        let t = Instant::now();
        let r = reports::build_monthly_report(&store, period, scope, as_of)
            .await
            .unwrap();
        let xlsx = reports::render_monthly(&r, ReportFormat::Xlsx).unwrap();
        let monthly = t.elapsed();
        times.sort();
        let _ = writeln!(
            out,
            "  KPI report 2026-11, {label}: best {} / median {} / worst {} (offered {offered}); \
             monthly report + XLSX ({} KiB): {}",
            ms(times[0]),
            ms(times[1]),
            ms(times[2]),
            xlsx.body.len() / 1024,
            ms(monthly)
        );
    }
    // Where the time goes: reading versus computing.
    let t = Instant::now();
    let input = store
        .load_kpi_input(period, &ReportScope::default(), as_of)
        .await
        .unwrap();
    let read = t.elapsed();
    let t = Instant::now();
    let _ = siaga_core::kpi::compute(&input);
    let compute = t.elapsed();
    let _ = writeln!(
        out,
        "  of which: read {} , compute {}",
        ms(read),
        ms(compute)
    );
    store.close().await;
    drop(state);
    if engine == Engine::Postgres && std::env::var("SIAGA_BENCH_KEEP_PG").is_ok() {
        println!("  kept database {}", db.url);
        std::mem::forget(db);
    }
    out
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument may follow. Neither changes what runs.
    let engines: Vec<Engine> = match std::env::var("SIAGA_BENCH_ENGINES") {
        Ok(v) => v
            .split(',')
            .filter_map(|e| match e.trim() {
                "sqlite" => Some(Engine::Sqlite),
                "postgres" => Some(Engine::Postgres),
                _ => None,
            })
            .collect(),
        Err(_) => vec![Engine::Sqlite, Engine::Postgres],
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for engine in engines {
        let report = rt.block_on(bench(engine));
        print!("{report}");
    }
}
