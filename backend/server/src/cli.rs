//! The `siaga` command line.

use crate::app::{self, AppState};
use crate::auth::Actor;
use crate::config::{Config, LogFormat};
use crate::limits::Text;
use crate::service::accounts::{CreateUserRequest, create_account};
use anyhow::Context;
use clap::{Parser, Subcommand};
use siaga_core::role::Role;
use std::path::PathBuf;
use std::process::ExitCode;

/// Siaga 112: computer-aided dispatch for Indonesian emergency call centres.
///
/// Start with `siaga demo` to run a demo centre on an embedded SQLite database, then open the printed URL.
/// Configuration comes from siaga.toml and SIAGA_* environment variables (see `siaga config example`).
#[derive(Parser, Debug)]
#[command(name = "siaga", version, about, long_about)]
pub struct Cli {
    /// Configuration file (default: ./siaga.toml when present).
    #[arg(long, global = true, env = "SIAGA_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (migrates the database first; creates the first admin on an empty database).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Load the demo centre (Jakarta Utara and Jakarta Timur: real boundaries and streets, DEMO agencies,
    /// units and users), then run the server with a gentle city simulation so the map moves (see
    /// `siaga simulate`).
    Demo {
        /// Load the demo data and exit instead of serving.
        #[arg(long)]
        no_serve: bool,
        /// Also load the real faskes inside the demo regions from this GeoJSON file (the shared faskes schema,
        /// e.g. ../shared/geodata/faskes/faskes_kemenkes_bppsdmk_2019.geojson); the demo ships none, since the
        /// faskes data may not be redistributed.
        #[arg(long, env = "SIAGA_DEMO_FASKES")]
        faskes: Option<PathBuf>,
        /// Serve without the built-in simulation.
        #[arg(long)]
        no_simulate: bool,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Import boundaries, health facilities or agencies (one transaction; a refused file changes nothing).
    Import {
        #[command(subcommand)]
        what: crate::import::ImportCommand,
    },
    /// Read `lon,lat` lines on stdin; print `lon,lat,region_code,region_name` (empty code when outside).
    Locate,
    /// Offline basemap: build a PMTiles archive of vector tiles from an OpenStreetMap extract and boundaries.
    Basemap {
        #[command(subcommand)]
        what: BasemapCommand,
    },
    /// Print the live stream's JSON Schema (`docs/events.schema.json`), generated from the event types.
    EventsSchema,
    /// Print a new VAPID key pair for Web Push to responders' phones: put the private key in `[push]
    /// vapid_private_key` (or SIAGA_PUSH__VAPID_PRIVATE_KEY); the public key is served to the phones.
    PushKeys,
    /// Print the OpenAPI document (`docs/openapi.json`, from which the map client's types are generated).
    Openapi,
    /// Show configuration.
    Config {
        #[command(subcommand)]
        what: ConfigCommand,
    },
    /// Check the audit trail.
    Audit {
        #[command(subcommand)]
        what: AuditCommand,
    },
    /// Write a KPI or monthly report file (JSON, CSV or XLSX) from the database.
    Report(crate::reports::ReportArgs),
    /// Drive a running server like a busy centre: calls, call takers, dispatchers and moving units.
    Simulate(siaga_sim::SimulateArgs),
    /// Load benchmark: start a server (SQLite, and PostgreSQL with --postgres), run the simulator at
    /// increasing incident rates and print a table.
    Bench(siaga_sim::bench::BenchArgs),
}

/// Overrides for `serve` and `demo`.
#[derive(clap::Args, Debug, Default)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8112.
    #[arg(long)]
    pub listen: Option<std::net::SocketAddr>,
    /// Database URL (sqlite://… or postgres://…).
    #[arg(long)]
    pub database_url: Option<String>,
}

/// `siaga config …`
#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print the documented example configuration.
    Example,
    /// Print the configuration in force (passwords redacted).
    Show,
}

/// `siaga basemap …`
#[derive(Subcommand, Debug)]
pub enum BasemapCommand {
    /// Write one PMTiles v3 archive of vector tiles in the Protomaps basemap schema (v4), which the map
    /// client's light and dark styles draw with labels: land and sea, water, landuse, roads with names and
    /// refs, buildings, places, POIs, and the administrative boundaries with their names. Set `[map]
    /// basemap_pmtiles` to the result. Zooms 0 to --max-zoom; MapLibre overzooms the last one to street level.
    Build(BasemapBuildArgs),
}

/// `siaga basemap build` arguments.
#[derive(clap::Args, Debug)]
pub struct BasemapBuildArgs {
    /// OpenStreetMap extract (.osm.pbf), e.g. Geofabrik's Indonesia or a province clipped from it.
    #[arg(long, value_name = "FILE.osm.pbf")]
    pub osm: PathBuf,
    /// Boundaries in the region import format (GeoJSON; `code` dotted Kemendagri code, `name`); repeatable.
    /// Without it, the regions imported into the configured database are used.
    #[arg(long, value_name = "FILE.geojson")]
    pub regions: Vec<PathBuf>,
    /// Land polygons (GeoJSON); the sea is the archive's extent minus land. Default: the union of the
    /// coarsest regions.
    #[arg(long, value_name = "FILE.geojson")]
    pub land: Option<PathBuf>,
    /// The archive to write (replaced only when the build succeeds).
    #[arg(long, value_name = "FILE.pmtiles")]
    pub out: PathBuf,
    /// Deepest zoom level (at most 16).
    #[arg(long, default_value_t = siaga_basemap::DEFAULT_MAX_ZOOM)]
    pub max_zoom: u8,
    /// Limit to west,south,east,north in degrees (default: the extract's own box, else the box of the data
    /// and the land).
    #[arg(long, value_name = "W,S,E,N", value_parser = parse_bbox)]
    pub bbox: Option<Bbox>,
}

/// `--bbox` west, south, east, north.
#[derive(Clone, Copy, Debug)]
pub struct Bbox(pub [f64; 4]);

fn parse_bbox(text: &str) -> Result<Bbox, String> {
    let parts: Vec<f64> = text
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("`{text}` is not four numbers west,south,east,north"))?;
    let [w, s, e, n] = parts[..] else {
        return Err(format!(
            "`{text}` is not four numbers west,south,east,north"
        ));
    };
    Ok(Bbox([w, s, e, n]))
}

/// `siaga audit …`
#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Walk the audit trail's hash chain and report the first edited, inserted or deleted entry (exit 1);
    /// when intact, print the entry count and the head hash to record elsewhere.
    Verify {
        /// A head recorded earlier, `ID:HASH`: the entry must still be there with that hash (detects a
        /// rewritten chain or a cut tail since then).
        #[arg(long)]
        anchor: Option<String>,
    },
}

/// `ID:HASH` of a recorded audit head.
fn parse_anchor(text: &str) -> anyhow::Result<(i64, String)> {
    let (id, hash) = text.split_once(':').ok_or_else(|| {
        anyhow::anyhow!("--anchor must be ID:HASH, as `siaga audit verify` printed it")
    })?;
    let id = id
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("--anchor: `{id}` is not an entry id"))?;
    Ok((id, hash.trim().to_owned()))
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("siaga: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("siaga: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load_config(cli: &Cli, serve: Option<&ServeArgs>) -> anyhow::Result<Config> {
    let mut config = Config::load(cli.config.as_deref(), std::env::vars())?;
    if let Some(args) = serve {
        if let Some(listen) = args.listen {
            config.listen = listen;
        }
        if let Some(url) = &args.database_url {
            crate::config::DatabaseEngine::of_url(url)?;
            config.database_url = Some(url.clone());
        }
    }
    Ok(config)
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests) is harmless; ignore its error.
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match &cli.command {
        Command::Openapi => {
            print!("{}", app::openapi_text());
            Ok(())
        }
        Command::EventsSchema => {
            print!("{}", crate::events::schema::document_text());
            Ok(())
        }
        Command::Config { what } => {
            match what {
                ConfigCommand::Example => print!("{}", crate::config::EXAMPLE),
                ConfigCommand::Show => println!("{:#?}", load_config(&cli, None)?),
            }
            Ok(())
        }
        Command::Audit {
            what: AuditCommand::Verify { anchor },
        } => {
            let anchor = anchor.as_deref().map(parse_anchor).transpose()?;
            let config = load_config(&cli, None)?;
            let store = app::open_store(&config).await?;
            let checked = store.verify_audit().await;
            let anchored = match &anchor {
                Some((id, _)) => store.audit_hash(*id).await.map(Some),
                None => Ok(None),
            };
            store.close().await;
            let (checked, anchored) = (checked?, anchored?);
            if let Some(broken) = checked.broken {
                anyhow::bail!(
                    "audit trail BROKEN: {broken} ({} entries before it verify)",
                    checked.entries
                );
            }
            if let Some((id, hash)) = &anchor
                && anchored.flatten().as_deref() != Some(hash.as_str())
            {
                anyhow::bail!(
                    "audit trail BROKEN: the recorded head entry {id} is gone or has another hash: the \
                     chain was cut or rewritten since it was recorded"
                );
            }
            match checked.head {
                Some((id, hash)) => println!(
                    "audit trail intact: {} entries; head {id}:{hash} (record it; later `siaga audit verify \
                     --anchor {id}:{hash}` shows whether the chain was cut or rewritten since)",
                    checked.entries
                ),
                None => println!("audit trail intact: no entries yet"),
            }
            Ok(())
        }
        Command::Report(args) => {
            let config = load_config(&cli, None)?;
            crate::reports::run_cli(&config, args).await
        }
        Command::Import {
            what: crate::import::ImportCommand::Roads { file, out },
        } => {
            let config = load_config(&cli, None)?;
            init_logging(config.log_format);
            let out = out.clone().unwrap_or_else(|| config.roads_graph_path());
            println!("{}", crate::import::import_roads(file, &out).await?);
            Ok(())
        }
        Command::Import { what } => {
            let config = load_config(&cli, None)?;
            init_logging(config.log_format);
            let store = app::open_store(&config).await?;
            let now = chrono::Utc::now().timestamp_millis();
            let summary = crate::import::run(&store, what, now).await?;
            println!("{summary}");
            store.close().await;
            Ok(())
        }
        Command::PushKeys => {
            let (private, public) = crate::service::push::generate_keys();
            println!("# [push] in siaga.toml; keep the private key secret.");
            println!("vapid_private_key = \"{private}\"");
            println!("# public key (served in /api/v1/client-config): {public}");
            Ok(())
        }
        Command::Locate => {
            let config = load_config(&cli, None)?;
            let store = app::open_store(&config).await?;
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            crate::import::locate(&store, stdin.lock(), stdout.lock()).await?;
            store.close().await;
            Ok(())
        }
        Command::Basemap {
            what: BasemapCommand::Build(args),
        } => basemap_build(&cli, args).await,
        Command::Migrate => {
            let config = load_config(&cli, None)?;
            init_logging(config.log_format);
            app::open_store(&config).await?;
            println!(
                "migrations applied to {}",
                crate::config::redact_url(&config.database_url())
            );
            Ok(())
        }
        Command::Serve(args) => {
            let config = load_config(&cli, Some(args))?;
            init_logging(config.log_format);
            let state = AppState::new(app::open_store(&config).await?, config);
            ensure_first_admin(&state).await?;
            serve_until_signal(state).await
        }
        Command::Demo {
            no_serve,
            no_simulate,
            faskes,
            serve,
        } => {
            let config = load_config(&cli, Some(serve))?;
            run_demo(config, *no_serve, *no_simulate, faskes.as_deref()).await
        }
        Command::Simulate(args) => {
            init_logging(LogFormat::Text);
            siaga_sim::run(
                args.clone(),
                siaga_sim::Output::Stdout,
                app::shutdown_signal(),
            )
            .await
            .map(|_| ())
        }
        Command::Bench(args) => {
            init_logging(LogFormat::Text);
            siaga_sim::bench::run(args.clone(), &PgScratch).await
        }
    }
}

/// `siaga basemap build`: regions from the files given, else from the database; the build itself runs on
/// blocking threads.
async fn basemap_build(cli: &Cli, args: &BasemapBuildArgs) -> anyhow::Result<()> {
    let mut regions = Vec::new();
    for path in &args.regions {
        regions.extend(siaga_basemap::read_regions(path)?);
    }
    if args.regions.is_empty() {
        let config = load_config(cli, None)?;
        let store = app::open_store(&config).await?;
        let rows = store.region_geometries(None).await;
        store.close().await;
        for row in rows? {
            let Some(text) = row.geometry else { continue };
            let geometry: geojson::Geometry = text
                .parse()
                .with_context(|| format!("stored geometry of region {}", row.code))?;
            let area = siaga_basemap::region_area(&geometry)
                .map_err(|e| anyhow::anyhow!("stored geometry of region {}: {e}", row.code))?;
            regions.push(siaga_basemap::Region {
                code: row.code,
                name: row.name,
                area,
            });
        }
        eprintln!(
            "{} regions from the database ({})",
            regions.len(),
            crate::config::redact_url(&config.database_url())
        );
    }
    let land = args
        .land
        .as_deref()
        .map(siaga_basemap::read_land)
        .transpose()?;
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let options = siaga_basemap::BuildOptions {
        osm: args.osm.clone(),
        regions,
        land,
        out: args.out.clone(),
        max_zoom: args.max_zoom,
        bbox: args.bbox.map(|b| b.0),
        cancel: Some(cancel.clone()),
    };
    let mut build = tokio::task::spawn_blocking(move || siaga_basemap::build(&options));
    // Ctrl-C stops the build between features or tiles, so the temporary files are removed on the way out.
    let report = tokio::select! {
        done = &mut build => done??,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("interrupted: stopping and removing the temporary files");
            cancel.store(true, std::sync::atomic::Ordering::Relaxed);
            build.await??
        }
    };
    let mb = report.osm.file_bytes as f64 / 1e6;
    println!(
        "wrote {} ({:.1} MB): {} tiles z0-{}, {} features from {:.1} MB of OSM ({} nodes, {} ways, {} relations kept) \
         in {:.1} s (read {:.1} s, {:.1} MB/s; {:.0} tiles/s); bounds {:.4},{:.4},{:.4},{:.4}",
        args.out.display(),
        report.archive_bytes as f64 / 1e6,
        report.tiles,
        args.max_zoom,
        report.features,
        mb,
        report.osm.nodes,
        report.osm.ways,
        report.osm.relations,
        report.total_seconds,
        report.read_seconds,
        mb / report.read_seconds.max(1e-9),
        report.tiles as f64 / (report.total_seconds - report.read_seconds).max(1e-9),
        report.bounds[0],
        report.bounds[1],
        report.bounds[2],
        report.bounds[3],
    );
    Ok(())
}

/// `siaga demo`: loads the demo centre, then serves it with a gentle simulation (unless told not to).
async fn run_demo(
    config: Config,
    no_serve: bool,
    no_simulate: bool,
    faskes: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    init_logging(config.log_format);
    let state = AppState::new(app::open_store(&config).await?, config);
    let summary = crate::demo::load(&state, faskes).await?;
    println!("{summary}");
    if no_serve {
        return Ok(());
    }
    if no_simulate {
        return serve_until_signal(state).await;
    }
    let listen = state.config.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    println!(
        "Siaga is running at http://{addr}/  (Ctrl-C stops it); a simulated city is calling \
         (incidents marked {}; --no-simulate turns it off)",
        siaga_sim::MARKER
    );
    tracing::info!(config = ?state.config, "configuration");
    let url = format!("http://{addr}");
    let sim = tokio::spawn(async move {
        let args = siaga_sim::SimulateArgs::gentle(url);
        if let Err(e) =
            siaga_sim::run(args, siaga_sim::Output::Log, std::future::pending::<()>()).await
        {
            tracing::warn!(error = %format!("{e:#}"), "the demo simulation stopped");
        }
    });
    let served = app::serve(listener, state, app::shutdown_signal()).await;
    sim.abort();
    served
}

/// The scratch PostgreSQL databases of `siaga bench`, made here because the benchmark speaks to the server only
/// through its command line and HTTP API, and creating a database is neither.
struct PgScratch;

impl siaga_sim::bench::ScratchDatabases for PgScratch {
    async fn create_database(&self, admin_url: &str, name: &str) -> anyhow::Result<String> {
        crate::store::scratch::create_database(admin_url, name).await?;
        Ok(crate::config::with_database_name(admin_url, name))
    }

    async fn drop_database(&self, admin_url: &str, name: &str) -> anyhow::Result<()> {
        crate::store::scratch::drop_database(admin_url, name).await
    }

    async fn postgres_commit_limit(&self, url: &str, connections: usize) -> anyhow::Result<f64> {
        crate::store::scratch::postgres_commit_limit(url, connections, 5.0).await
    }

    async fn sqlite_commit_limit(&self, path: &std::path::Path) -> anyhow::Result<f64> {
        crate::store::scratch::sqlite_commit_limit(path, 5.0).await
    }

    async fn postgres_write_counters(&self, url: &str) -> anyhow::Result<(i64, i64)> {
        crate::store::scratch::postgres_write_counters(url).await
    }
}

async fn serve_until_signal(state: AppState) -> anyhow::Result<()> {
    let listen = state.config.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    println!("Siaga is running at http://{addr}/  (Ctrl-C stops it)");
    tracing::info!(config = ?state.config, "configuration");
    app::serve(listener, state, app::shutdown_signal()).await
}

/// On a database with no users, creates `admin` with the configured password or a random one printed once.
/// Either way the password must be changed at the first login (`must_change_password`): it was written in a
/// configuration file or on a console.
pub async fn ensure_first_admin(state: &AppState) -> anyhow::Result<()> {
    if state.store.count_users().await? > 0 {
        return Ok(());
    }
    let (password, generated) = match &state.config.auth.bootstrap_admin_password {
        Some(p) => (p.clone(), false),
        None => (crate::auth::random_password(), true),
    };
    create_account(
        state,
        None::<&Actor>,
        CreateUserRequest {
            username: Text::trusted("admin".to_owned()),
            display_name: Text::trusted("Administrator".to_owned()),
            role: Role::Admin,
            password: password.clone(),
            agency_id: None,
            unit_id: None,
            region_code: None,
            team_id: None,
            must_change_password: true,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("creating the first admin: {}", e.message))?;
    if generated {
        println!(
            "First start: created user `admin` with one-time password `{password}`. \
             It is shown only now, and must be changed at the first login."
        );
    } else {
        println!(
            "First start: created user `admin` with the configured bootstrap password, which must be \
             changed at the first login."
        );
    }
    Ok(())
}
