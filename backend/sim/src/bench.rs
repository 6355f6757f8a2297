//! `siaga bench`: the load benchmark. Starts the running executable, the `siaga` binary, again as
//! `siaga demo --no-simulate` (release build recommended) on a fresh SQLite file, and on a fresh PostgreSQL
//! database when `--postgres` is given; adds agencies with one dispatcher each and a fleet of `--units` units
//! through the admin API; then runs the simulator with every unit reporting a fix every 10 s and `--sockets`
//! dispatcher websockets connected, at increasing incident rates, and prints one table row per rate.
//!
//! Before each engine's run it measures the machine's raw commit limit on that engine — PostgreSQL: 8
//! connections committing one-row `UPDATE` transactions on the scratch database, like `pgbench -b
//! simple-update`; SQLite: one writer committing an `INSERT` and an `UPDATE` per transaction on a scratch WAL
//! file with `synchronous=FULL` — and prints the workflow writes per second as a share of it: every write
//! waits for a durable commit, so that share tells how close the centre runs to the disk's flush rate. On
//! PostgreSQL it also prints the write transactions and WAL flushes per second and per write (cluster-wide
//! counters: another client of the same server counts too).
//!
//! The server is reached through its command line and its public API only. Creating and dropping the scratch
//! PostgreSQL database and the commit probes are not part of that API, so the caller passes them in as
//! [`ScratchDatabases`].

use crate::client::{Count, Series, Stats, Window};
use crate::{Sim, SimulateArgs, model};
use anyhow::Context;
use serde_json::json;
use std::fmt::Write as _;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `siaga bench` flags.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Also run on PostgreSQL: a server URL such as `postgres://127.0.0.1:5432/test` (a database
    /// `siaga_bench_<random>` is created there and dropped afterwards).
    #[arg(long)]
    pub postgres: Option<String>,
    /// Skip the SQLite run.
    #[arg(long)]
    pub no_sqlite: bool,
    /// Incident rates to run, per second.
    #[arg(long, value_delimiter = ',', default_value = "10,25,50,100")]
    pub rates: Vec<f64>,
    /// Units reporting a fix every `--fix-every-s`.
    #[arg(long, default_value_t = 10_000)]
    pub units: usize,
    /// Seconds between two fixes of a unit.
    #[arg(long, default_value_t = 10.0)]
    pub fix_every_s: f64,
    /// Dispatcher websockets connected.
    #[arg(long, default_value_t = 500)]
    pub sockets: usize,
    /// Agencies (OPD) in all, the demo's included; each added one gets a dispatcher.
    #[arg(long, default_value_t = 50)]
    pub agencies: usize,
    /// Seconds measured per rate (after `--warmup-s`).
    #[arg(long, default_value_t = 30)]
    pub stage_s: u64,
    /// Seconds at each new rate before measuring.
    #[arg(long, default_value_t = 10)]
    pub warmup_s: u64,
    /// Speed-up of human delays and drives (units must come free again for the next incidents).
    #[arg(long, default_value_t = 60.0)]
    pub speedup: f64,
    /// Call mix; the incident rate is reached by calling at rate / share of emergencies.
    #[arg(long, default_value = model::DEFAULT_MIX)]
    pub mix: model::CallMix,
}

/// Creates and drops the PostgreSQL database a `--postgres` run serves from. The `siaga` binary implements it;
/// the benchmark only chooses the name.
pub trait ScratchDatabases {
    /// Creates database `name` on the server `admin_url` names; returns the URL of the new database.
    fn create_database(
        &self,
        admin_url: &str,
        name: &str,
    ) -> impl Future<Output = anyhow::Result<String>> + Send;

    /// Drops database `name` on the server `admin_url` names, closing its connections.
    fn drop_database(
        &self,
        admin_url: &str,
        name: &str,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Commits per second that `connections` clients reach with one-row update transactions on the database
    /// at `url` (a scratch table, dropped afterwards).
    fn postgres_commit_limit(
        &self,
        url: &str,
        connections: usize,
    ) -> impl Future<Output = anyhow::Result<f64>> + Send;

    /// Commits per second of one writer (an insert and an update per transaction) on a new SQLite file at
    /// `path` in WAL mode with `synchronous=FULL`.
    fn sqlite_commit_limit(
        &self,
        path: &std::path::Path,
    ) -> impl Future<Output = anyhow::Result<f64>> + Send;

    /// PostgreSQL's cluster-wide count of write transactions and of WAL flushes so far.
    fn postgres_write_counters(
        &self,
        url: &str,
    ) -> impl Future<Output = anyhow::Result<(i64, i64)>> + Send;
}

/// Connections of the PostgreSQL commit probe (pgbench's figure in the issue was at 8 clients).
const PROBE_CONNECTIONS: usize = 8;

/// One measured stage.
struct Row {
    target: f64,
    window: Window,
    cpu_pct: f64,
    /// This process (the simulator driving the load), on the same machine.
    client_cpu_pct: f64,
    /// Every `postgres` process (PostgreSQL runs) — the database server's share of the machine.
    db_cpu_pct: Option<f64>,
    hwm_mb: f64,
    load: String,
    /// The engine's raw commit limit measured before the run (commits/s).
    commit_limit: f64,
    /// PostgreSQL: write transactions and WAL flushes in the stage (cluster-wide).
    pg_writes: Option<(i64, i64)>,
}

/// Runs the benchmark on each engine and prints the tables.
pub async fn run(args: BenchArgs, databases: &impl ScratchDatabases) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("locating the siaga binary")?;
    if !exe.to_string_lossy().contains("release") {
        println!(
            "note: {} is not a release build; numbers will be pessimistic",
            exe.display()
        );
    }
    let mut engines: Vec<(&str, Option<String>)> = Vec::new();
    if !args.no_sqlite {
        engines.push(("SQLite", None));
    }
    if let Some(pg) = &args.postgres {
        engines.push(("PostgreSQL", Some(pg.clone())));
    }
    let mut report = String::new();
    for (name, pg) in engines {
        let rows = run_engine(&exe, &args, name, pg.as_deref(), databases).await?;
        let table = table(name, &args, &rows);
        println!("{table}");
        report.push_str(&table);
    }
    println!("\n{report}");
    Ok(())
}

async fn run_engine(
    exe: &std::path::Path,
    args: &BenchArgs,
    name: &str,
    pg_admin: Option<&str>,
    databases: &impl ScratchDatabases,
) -> anyhow::Result<Vec<Row>> {
    let dir = std::env::temp_dir().join(format!("siaga-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let (url, pg_db) = match pg_admin {
        Some(admin) => {
            let db = format!("siaga_bench_{}", uuid::Uuid::new_v4().simple());
            (databases.create_database(admin, &db).await?, Some(db))
        }
        None => (
            format!("sqlite://{}", dir.as_path().join("siaga.db").display()),
            None,
        ),
    };
    let commit_limit = match pg_admin {
        Some(_) => {
            databases
                .postgres_commit_limit(&url, PROBE_CONNECTIONS)
                .await
        }
        None => {
            databases
                .sqlite_commit_limit(&dir.as_path().join("commit-probe.db"))
                .await
        }
    };
    let commit_limit = match commit_limit {
        Ok(rate) => {
            println!("[{name}] raw commit limit of this machine: {rate:.0} commits/s");
            rate
        }
        Err(e) => {
            println!("[{name}] measuring the raw commit limit failed: {e:#}");
            f64::NAN
        }
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let log = std::fs::File::create(dir.as_path().join("server.log"))?;
    let mut child = Command::new(exe)
        .args([
            "demo",
            "--no-simulate",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            &url,
        ])
        .env("RUST_LOG", "warn")
        .env("SIAGA_STATIC_DIR", dir.as_path())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("starting the server")?;
    let pg_url = pg_admin.map(|_| url.as_str());
    let probe = Probe {
        commit_limit,
        pg_url,
        databases,
    };
    let result = drive_engine(args, name, port, &child, &probe).await;
    if let Ok(Some(status)) = child.try_wait() {
        let log = std::fs::read_to_string(dir.as_path().join("server.log")).unwrap_or_default();
        println!(
            "[{name}] the server exited during the run ({status}); its log ends:\n{}",
            tail(&log, 20)
        );
    }
    let _ = child.kill();
    let _ = child.wait();
    if let (Some(admin), Some(db)) = (pg_admin, pg_db) {
        let _ = databases.drop_database(admin, &db).await;
    }
    if result.is_err() {
        let log = std::fs::read_to_string(dir.as_path().join("server.log")).unwrap_or_default();
        eprintln!("server log (last lines):\n{}", tail(&log, 20));
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// What a stage reads besides the server: the raw commit limit measured before, and PostgreSQL's counters.
struct Probe<'a, D> {
    commit_limit: f64,
    pg_url: Option<&'a str>,
    databases: &'a D,
}

impl<D: ScratchDatabases> Probe<'_, D> {
    async fn pg_counters(&self) -> Option<(i64, i64)> {
        let url = self.pg_url?;
        self.databases.postgres_write_counters(url).await.ok()
    }
}

async fn drive_engine<D: ScratchDatabases>(
    args: &BenchArgs,
    name: &str,
    port: u16,
    child: &Child,
    probe: &Probe<'_, D>,
) -> anyhow::Result<Vec<Row>> {
    let base = format!("http://127.0.0.1:{port}");
    let pid = child.id();
    wait_ready(&base).await?;
    let stats = Arc::new(Stats::default());
    let api = crate::client::Api::new(&base, Arc::clone(&stats))?;
    let (admin, _) = api.login("admin", "siaga112").await?;
    println!("[{name}] adding agencies and dispatchers …");
    let existing = api.get("/api/v1/agencies", &admin).await?;
    let have = existing.body.as_array().map_or(0, Vec::len);
    let types = ["health", "fire", "police", "disaster", "social"];
    for i in have..args.agencies {
        let code = format!("BENCH-{i:03}");
        let r = api
            .post(
                "/api/v1/agencies",
                &admin,
                &json!({"code": code, "name": format!("Bench OPD {i}"), "agency_type": types[i % types.len()],
                        "region_code": "31.72"}),
                Series::Workflow,
            )
            .await?;
        anyhow::ensure!(r.ok(), "creating agency {code}: {}", r.body);
        let agency_id = r.body["id"].as_str().unwrap_or_default().to_owned();
        let r = api
            .post(
                "/api/v1/users",
                &admin,
                &json!({"username": format!("bench.dispatch.{i:03}"), "display_name": format!("Bench {i}"),
                        "role": "dispatcher", "password": "siaga112", "agency_id": agency_id}),
                Series::Workflow,
            )
            .await?;
        anyhow::ensure!(r.ok(), "creating dispatcher {i}: {}", r.body);
    }
    println!("[{name}] creating {} units and logging in …", args.units);
    let setup_started = Instant::now();
    let mut sim_args = SimulateArgs::gentle(base.clone());
    sim_args.rate = 0.0;
    sim_args.units = Some(args.units);
    sim_args.speedup = args.speedup;
    sim_args.fix_every_s = args.fix_every_s;
    sim_args.mix = args.mix.clone();
    let sim = Sim::setup(sim_args, Arc::clone(&stats)).await?;
    let watchers = args.sockets.saturating_sub(sim.dispatchers.len());
    println!(
        "[{name}] setup took {:.0} s: {} units, {} dispatcher seats + {watchers} listening sockets",
        setup_started.elapsed().as_secs_f64(),
        sim.fleet_size(),
        sim.dispatchers.len()
    );
    sim.start(watchers);
    let share = args.mix.share("emergency").max(1e-6);
    let mut rows = Vec::new();
    let mut prev = stats.totals();
    let mut stages = vec![0.0];
    stages.extend(args.rates.iter().copied());
    for target in stages {
        sim.set_rate(target / share);
        tokio::time::sleep(Duration::from_secs(args.warmup_s)).await;
        let _ = stats.take_window(&mut prev, Duration::from_secs(args.warmup_s));
        let me = std::process::id();
        let cpu0 = (cpu_ticks(pid), cpu_ticks(me), postgres_ticks());
        let pg0 = probe.pg_counters().await;
        let t0 = Instant::now();
        tokio::time::sleep(Duration::from_secs(args.stage_s)).await;
        let elapsed = t0.elapsed();
        let window = stats.take_window(&mut prev, elapsed);
        let pg1 = probe.pg_counters().await;
        let pct = |ticks: u64| ticks as f64 / 100.0 / elapsed.as_secs_f64() * 100.0;
        let row = Row {
            target,
            window,
            cpu_pct: pct(cpu_ticks(pid).saturating_sub(cpu0.0)),
            client_cpu_pct: pct(cpu_ticks(me).saturating_sub(cpu0.1)),
            db_cpu_pct: (name == "PostgreSQL")
                .then(|| pct(postgres_ticks().saturating_sub(cpu0.2))),
            hwm_mb: peak_rss_mb(pid),
            load: std::fs::read_to_string("/proc/loadavg")
                .unwrap_or_default()
                .split(' ')
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
            commit_limit: probe.commit_limit,
            pg_writes: pg0.zip(pg1).map(|(a, b)| (b.0 - a.0, b.1 - a.1)),
        };
        println!(
            "[{name}] {}",
            row.window.line(&format!("{target} incidents/s"))
        );
        rows.push(row);
    }
    sim.stop();
    Ok(rows)
}

fn table(name: &str, args: &BenchArgs, rows: &[Row]) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "\n{name}: {} units × 1 fix/{} s, {} dispatcher sockets, {} agencies, speedup {}, {} s per rate, mix {:.0}% emergencies",
        args.units,
        args.fix_every_s,
        args.sockets,
        args.agencies,
        args.speedup,
        args.stage_s,
        args.mix.share("emergency") * 100.0
    );
    if let Some(limit) = rows.first().map(|r| r.commit_limit) {
        let _ = writeln!(
            t,
            "raw commit limit measured before the run: {limit:.0} commits/s ({})",
            if name == "PostgreSQL" {
                "8 connections, one-row UPDATE transactions"
            } else {
                "one writer, WAL, synchronous=FULL, INSERT + UPDATE per transaction"
            }
        );
    }
    let _ = writeln!(
        t,
        "| target inc/s | inc/s | calls/s | writes/s | % of commit limit | fixes/s | sockets | HTTP p50/p99 ms | fix POST p50/p99 ms | fan-out p50/p99 ms | server CPU % | simulator CPU % | PostgreSQL CPU % | PG write xacts/s (per write) | PG WAL flushes/s | peak RSS MB | 409 | errors | fixes skipped | load avg |"
    );
    let _ = writeln!(
        t,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for r in rows {
        let w = &r.window;
        let secs = w.elapsed.as_secs_f64().max(1e-9);
        let writes = w.rate(Count::Writes);
        let (pg_xacts, pg_flushes) = match r.pg_writes {
            Some((xacts, flushes)) => (
                format!(
                    "{:.0} ({:.2})",
                    xacts as f64 / secs,
                    xacts as f64 / (w.get(Count::Writes) as f64).max(1.0)
                ),
                format!("{:.0}", flushes as f64 / secs),
            ),
            None => ("-".to_owned(), "-".to_owned()),
        };
        let _ = writeln!(
            t,
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} | {} | {:.1} / {:.1} | {:.1} / {:.1} | {:.1} / {:.1} | {:.0} | {:.0} | {} | {} | {} | {:.0} | {} | {} | {} | {} |",
            r.target,
            w.rate(Count::IncidentsFiled),
            w.calls() as f64 / secs,
            writes,
            writes / r.commit_limit * 100.0,
            w.rate(Count::FixesSent),
            w.sockets,
            w.http.0,
            w.http.1,
            w.fix.0,
            w.fix.1,
            w.fanout.0,
            w.fanout.1,
            r.cpu_pct,
            r.client_cpu_pct,
            r.db_cpu_pct
                .map_or_else(|| "-".to_owned(), |c| format!("{c:.0}")),
            pg_xacts,
            pg_flushes,
            r.hwm_mb,
            w.get(Count::Conflicts),
            w.get(Count::Errors),
            w.get(Count::FixesSkipped),
            r.load,
        );
    }
    t
}

async fn wait_ready(base: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    for _ in 0..600 {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the server did not become healthy within 60 s")
}

/// utime + stime of a process, in clock ticks (1/100 s on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which ends with the last ')': state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let get = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    get(11) + get(12)
}

/// CPU ticks of every process named `postgres` on this machine (the database server, when it is local).
fn postgres_ticks() -> u64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        })
        .map(cpu_ticks)
        .sum()
}

/// VmHWM (peak resident memory) in MB.
fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
