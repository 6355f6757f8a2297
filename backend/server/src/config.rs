//! Configuration: built-in defaults, then `siaga.toml`, then `SIAGA_*` environment variables.
//!
//! Strings become types here (socket addresses, engine choice), so the rest of the server never parses
//! configuration. Secrets are redacted from `Debug`.

use anyhow::{Context, bail};
use serde::Deserialize;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The documented example configuration, printed by `siaga config example` and parsed by a test.
pub const EXAMPLE: &str = include_str!("../../../siaga.example.toml");

/// Everything the server reads at start.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// `sqlite://…` or `postgres://…`; `None` means an SQLite file under `data_dir`.
    pub database_url: Option<String>,
    /// Folder for the embedded database and other local state.
    pub data_dir: PathBuf,
    /// Largest connection pool per instance.
    pub max_connections: u32,
    /// Built map client, served at `/` when present.
    pub static_dir: PathBuf,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Per-request time limit, and the shutdown grace period, in seconds.
    pub request_timeout_secs: u64,
    /// Login and token settings.
    pub auth: AuthConfig,
    /// The connection edge: header-read timeout, connection cap, https behind a proxy.
    pub http: HttpConfig,
    /// Websocket stream and position intake.
    pub live: LiveConfig,
    /// Dispatch rules: SLA targets, prank flag, duplicate detection.
    pub dispatch: DispatchConfig,
    /// Tiered routing of service lines and their follow-up programmes.
    pub routing: RoutingConfig,
    /// Map client: the offline basemap.
    pub map: MapConfig,
    /// The road graph for drive-time recommendations and routes.
    pub roads: RoadsConfig,
    /// The supervisor's coverage map.
    pub coverage: CoverageConfig,
    /// Alerts on responders' phones: the re-alert interval and Web Push (VAPID).
    pub push: PushConfig,
}

/// The `[push]` section: how responders' phones are woken. Web Push is off until a VAPID key is configured.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushConfig {
    /// The VAPID private key (RFC 8292): the P-256 private scalar, 32 bytes, base64url without padding, as
    /// `siaga push-keys` prints it. `None` turns Web Push off (the page still alerts while it is open).
    pub vapid_private_key: Option<String>,
    /// Who runs this server, for the push services (the VAPID `sub` claim): `mailto:` or `https:`.
    pub vapid_subject: String,
    /// Accept `http://` subscription endpoints: only for a push service on a closed network (and tests). A
    /// browser's push service is always https.
    pub allow_http_endpoints: bool,
    /// Seconds between repeated alerts on the responder's phone while an assignment is not acknowledged.
    pub realert_s: u64,
    /// Seconds a push service keeps a message for a phone that is off (the `TTL` header).
    pub ttl_s: u64,
}

impl Default for PushConfig {
    fn default() -> Self {
        PushConfig {
            vapid_private_key: None,
            vapid_subject: "mailto:admin@localhost".to_owned(),
            allow_http_endpoints: false,
            realert_s: 30,
            ttl_s: 600,
        }
    }
}

impl fmt::Debug for PushConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushConfig")
            .field(
                "vapid_private_key",
                &self.vapid_private_key.as_ref().map(|_| "***"),
            )
            .field("vapid_subject", &self.vapid_subject)
            .field("allow_http_endpoints", &self.allow_http_endpoints)
            .field("realert_s", &self.realert_s)
            .field("ttl_s", &self.ttl_s)
            .finish()
    }
}

impl PushConfig {
    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (5..=600).contains(&self.realert_s),
            "push.realert_s must be between 5 and 600"
        );
        anyhow::ensure!(
            (1..=86_400).contains(&self.ttl_s),
            "push.ttl_s must be between 1 and 86400"
        );
        anyhow::ensure!(
            self.vapid_subject.starts_with("mailto:") || self.vapid_subject.starts_with("https://"),
            "push.vapid_subject must start with mailto: or https://"
        );
        if self.vapid_private_key.is_some() {
            crate::service::push::Vapid::from_config(self).context("push.vapid_private_key")?;
        }
        Ok(())
    }
}

/// Tiered service lines (`[[routing.lines]]`) and follow-up programmes (`[[routing.follow_ups]]`).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoutingConfig {
    /// Lines answered by a regional team when the caller is inside a region it serves, by the central team
    /// otherwise, with a fallback to central when the regional team does not take the call in time.
    pub lines: siaga_core::routing::RoutingTable,
    /// Lines whose callers get scheduled follow-up calls.
    pub follow_ups: Vec<FollowUpLine>,
}

/// The follow-up programme of one line.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpLine {
    /// The line (`quitline`).
    pub line: siaga_core::call::ServiceLineCode,
    /// One follow-up call per offset, in days after the first call: `[1, 3, 7, 14, 30, 60, 90]`.
    pub day_offsets: Vec<u32>,
}

impl RoutingConfig {
    /// The codes of the tiered lines, as configured.
    pub fn tiered_line_codes(&self) -> Vec<String> {
        self.lines
            .lines()
            .iter()
            .map(|l| l.line.as_str().to_owned())
            .collect()
    }

    /// The codes of the lines with a follow-up programme, as configured.
    pub fn follow_up_line_codes(&self) -> Vec<String> {
        self.follow_ups
            .iter()
            .map(|f| f.line.as_str().to_owned())
            .collect()
    }

    /// Whether some tiered line has a regional team with this id.
    pub fn has_team(&self, team_id: &str) -> bool {
        self.lines
            .lines()
            .iter()
            .any(|l| l.regional_teams.iter().any(|t| t.team_id.0 == team_id))
    }

    /// The follow-up rule of `line`, when it has a programme.
    pub fn follow_up_rule(
        &self,
        line: &siaga_core::call::ServiceLineCode,
    ) -> Option<siaga_core::routing::FollowUpRule> {
        self.follow_ups
            .iter()
            .find(|f| &f.line == line)
            .and_then(|f| siaga_core::routing::FollowUpRule::new(f.day_offsets.clone()).ok())
    }

    fn validate(&self) -> anyhow::Result<()> {
        let mut seen = std::collections::HashSet::new();
        for f in &self.follow_ups {
            if !seen.insert(f.line.as_str()) {
                bail!(
                    "routing.follow_ups: line `{}` is listed more than once",
                    f.line.as_str()
                );
            }
            siaga_core::routing::FollowUpRule::new(f.day_offsets.clone())
                .with_context(|| format!("routing.follow_ups: line `{}`", f.line.as_str()))?;
        }
        Ok(())
    }
}

/// Map client settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MapConfig {
    /// A PMTiles v3 archive with the Protomaps basemap layers, served to the map client from
    /// `/api/v1/basemap.pmtiles`; `None` draws the imported data on a plain background.
    pub basemap_pmtiles: Option<PathBuf>,
}

impl MapConfig {
    /// A configured basemap must be a readable PMTiles v3 file, so a wrong path fails at start rather than
    /// as a blank map on every screen.
    fn validate(&self) -> anyhow::Result<()> {
        let Some(path) = &self.basemap_pmtiles else {
            return Ok(());
        };
        let mut magic = [0u8; 8];
        std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
            .with_context(|| format!("map.basemap_pmtiles: cannot read {}", path.display()))?;
        if &magic[..7] != b"PMTiles" || magic[7] != 3 {
            bail!(
                "map.basemap_pmtiles: {} is not a PMTiles version 3 archive",
                path.display()
            );
        }
        Ok(())
    }
}

/// The `[roads]` section: the prepared road graph (`siaga import roads FILE.osm.pbf` writes it).
/// The `[coverage]` section.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CoverageConfig {
    /// A population table, CSV with the columns `code` and `population_total` (the shared gazetteer's
    /// `wilayah_population_area.csv`: provinces and kab/kota, Kemendagri codes). Read at start when set;
    /// coverage then estimates the population outside by uniform density in the region.
    pub population_csv: Option<PathBuf>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RoadsConfig {
    /// The prepared graph file; `None` means `roads.graph` in `data_dir`. Loaded at start when it exists;
    /// without it recommendations and routes fall back to the straight line and say so.
    pub graph: Option<PathBuf>,
    /// A point farther than this many metres from every road its vehicle may use is off the graph.
    pub snap_max_m: f64,
    /// The detour (circuity) factor of a straight-line estimate, used where no road route is known (a unit
    /// off the graph, no road between, no graph): the great-circle distance times this is the estimated route
    /// length, and its time is that length at the unit type's straight-line speed. Urban road networks are
    /// typically 1.2–1.4 times longer than the straight line, and worse across Indonesian rivers with few
    /// bridges and toll roads with few exits; without the factor a straight-line guess is optimistic and
    /// outranks units whose road ETA is real. Default 1.4 ([`siaga_roads::STRAIGHT_LINE_DETOUR`]); also
    /// shrinks the straight-line circles of coverage (radius = target × speed ÷ factor).
    pub straight_line_detour: f64,
}

impl Default for RoadsConfig {
    fn default() -> Self {
        RoadsConfig {
            graph: None,
            snap_max_m: 500.0,
            straight_line_detour: siaga_roads::STRAIGHT_LINE_DETOUR,
        }
    }
}

impl RoadsConfig {
    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.snap_max_m.is_finite() && (1.0..=50_000.0).contains(&self.snap_max_m),
            "roads.snap_max_m must be between 1 and 50000 metres"
        );
        anyhow::ensure!(
            self.straight_line_detour.is_finite()
                && (1.0..=3.0).contains(&self.straight_line_detour),
            "roads.straight_line_detour must be between 1 and 3"
        );
        Ok(())
    }
}

impl Config {
    /// Where the prepared road graph is kept: `roads.graph`, else `roads.graph` in `data_dir`.
    pub fn roads_graph_path(&self) -> PathBuf {
        self.roads
            .graph
            .clone()
            .unwrap_or_else(|| self.data_dir.join("roads.graph"))
    }
}

/// Dispatch rules. SLA targets default to `siaga_core::sla::SlaPolicy::defaults()`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DispatchConfig {
    /// SLA targets (seconds) per priority, with category overrides.
    pub sla: siaga_core::sla::SlaPolicy,
    /// When a caller number is flagged as a repeat prank caller.
    pub prank: siaga_core::call::PrankRule,
    /// Which calls get a call-back task on their own (abandoned, silent), how soon it is due, how many attempts.
    pub call_backs: siaga_core::call_back::CallBackRule,
    /// A new report within this distance (m) and time window (s) of an open incident of the same category is
    /// offered as a duplicate.
    pub duplicate_radius_m: f64,
    /// See `duplicate_radius_m`.
    pub duplicate_window_s: i64,
    /// Units whose last position fix is older than this many seconds are not recommended (lost contact).
    pub unit_stale_after_s: i64,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            sla: siaga_core::sla::SlaPolicy::defaults(),
            prank: siaga_core::call::PrankRule::default(),
            call_backs: siaga_core::call_back::CallBackRule::default(),
            duplicate_radius_m: 500.0,
            duplicate_window_s: 3600,
            unit_stale_after_s: 3600,
        }
    }
}

/// Login and token settings.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Token lifetime in seconds.
    pub token_ttl_secs: u64,
    /// Password for the first admin on an empty database; random (and printed once) when absent. Either way
    /// it must be changed at the first login.
    pub bootstrap_admin_password: Option<String>,
    /// Lifetime in days of service tokens issued to integration accounts (telephony/SMS gateways).
    pub service_token_ttl_days: u64,
    /// A bearer token a metrics scraper (Prometheus) presents to `GET /metrics`; without it only supervisors
    /// and admins read the metrics.
    pub metrics_token: Option<String>,
    /// Failed password checks for one username within `login_window_secs` before further attempts are
    /// refused (429) without being checked, until the window ends or an admin resets or re-enables the account.
    pub login_max_failures: u32,
    /// Failed password checks from one source (client IP address; an IPv6 /64) within `login_window_secs`
    /// before its further attempts are refused (429), whichever usernames they name.
    pub login_source_max_failures: u32,
    /// The throttle's window in seconds, counted from the first failure.
    pub login_window_secs: u64,
    /// Password hashes (argon2id, 19 MiB each) computed at once; 0 means one per CPU core.
    pub password_hash_concurrency: usize,
    /// Logins and password changes that may wait for a free hasher; beyond that they are answered 503 with
    /// `Retry-After` at once, so a flood of logins cannot queue without bound.
    pub password_hash_queue: usize,
}

/// The `[http]` section: limits on client connections, and whether browsers reach Siaga over https.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Seconds a client may take to send a request's headers. The same timer closes a kept-alive
    /// connection that sits idle this long between requests (HTTP/1.1 keep-alive).
    pub header_read_timeout_secs: u64,
    /// Most client connections open at once (websockets included); a connection beyond it is answered 503
    /// and closed at once.
    pub max_open_connections: usize,
    /// Whether the browser reached Siaga over https: decides the session cookie's `Secure` flag and
    /// `Strict-Transport-Security`.
    pub https: HttpsMode,
}

/// How Siaga knows a request came over https (Siaga itself speaks plain HTTP; TLS is a proxy's job).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum HttpsMode {
    /// When the request says so in `X-Forwarded-Proto: https` (set by the TLS proxy in front).
    Auto,
    /// Always (every browser comes through a TLS proxy).
    Always,
    /// Never (plain HTTP on a closed network).
    Never,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            header_read_timeout_secs: 10,
            max_open_connections: 2048,
            https: HttpsMode::Auto,
        }
    }
}

impl HttpConfig {
    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.header_read_timeout_secs >= 1,
            "http.header_read_timeout_secs must be at least 1"
        );
        anyhow::ensure!(
            self.max_open_connections >= 1,
            "http.max_open_connections must be at least 1"
        );
        Ok(())
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8112)),
            database_url: None,
            data_dir: PathBuf::from("data"),
            max_connections: 16,
            static_dir: PathBuf::from("map-client/dist"),
            log_format: LogFormat::Text,
            max_body_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            auth: AuthConfig::default(),
            http: HttpConfig::default(),
            live: LiveConfig::default(),
            dispatch: DispatchConfig::default(),
            routing: RoutingConfig::default(),
            map: MapConfig::default(),
            roads: RoadsConfig::default(),
            coverage: CoverageConfig::default(),
            push: PushConfig::default(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            token_ttl_secs: 12 * 3600,
            bootstrap_admin_password: None,
            service_token_ttl_days: 365,
            metrics_token: None,
            login_max_failures: 5,
            login_source_max_failures: 100,
            login_window_secs: 15 * 60,
            password_hash_concurrency: 0,
            password_hash_queue: 64,
        }
    }
}

impl Config {
    /// Loads defaults, then the file (an explicit path must exist; `./siaga.toml` is read when present),
    /// then `SIAGA_*` variables from `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Config> {
        let mut table = match file {
            Some(path) => read_table(path)?,
            None if Path::new("siaga.toml").exists() => read_table(Path::new("siaga.toml"))?,
            None => toml::Table::new(),
        };
        for (key, value) in env {
            let Some(rest) = key.strip_prefix("SIAGA_") else {
                continue;
            };
            // Variables that steer tests and tools, not the server (`SIAGA_CONFIG` names the file itself).
            if rest.starts_with("TEST_")
                || rest == "BIN"
                || rest == "GEODATA_DIR"
                || rest == "CONFIG"
            {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
            set_path(&mut table, &path, env_value(&value))
                .with_context(|| format!("environment variable {key}"))?;
        }
        let config: Config = toml::Value::Table(table)
            .try_into()
            .context("invalid configuration")?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.max_connections == 0 {
            bail!("max_connections must be at least 1");
        }
        if self.auth.token_ttl_secs < 60 {
            bail!("auth.token_ttl_secs must be at least 60");
        }
        if self
            .auth
            .metrics_token
            .as_ref()
            .is_some_and(|t| t.len() < 32 || t.trim() != t)
        {
            bail!("auth.metrics_token must be at least 32 characters without surrounding spaces");
        }
        if self.auth.login_max_failures == 0 || self.auth.login_source_max_failures == 0 {
            bail!("auth.login_max_failures and auth.login_source_max_failures must be at least 1");
        }
        if self.auth.login_window_secs < 1 {
            bail!("auth.login_window_secs must be at least 1");
        }
        if self.dispatch.unit_stale_after_s < 1 {
            bail!("dispatch.unit_stale_after_s must be at least 1");
        }
        if self.max_body_bytes < 1024 {
            bail!("max_body_bytes must be at least 1024");
        }
        if let Some(url) = &self.database_url {
            DatabaseEngine::of_url(url)?;
        }
        self.dispatch
            .sla
            .validate()
            .context("invalid [dispatch.sla] policy")?;
        self.live.validate()?;
        self.http.validate()?;
        self.routing.validate()?;
        self.map.validate()?;
        self.roads.validate()?;
        self.push.validate()?;
        Ok(())
    }

    /// The database URL in force: the configured one, or an SQLite file under `data_dir`.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("siaga.db").display()),
        }
    }
}

fn read_table(path: &Path) -> anyhow::Result<toml::Table> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading configuration file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing configuration file {}", path.display()))
}

/// Environment values are strings; numbers and booleans are recognised so `SIAGA_MAX_CONNECTIONS=4` works.
fn env_value(raw: &str) -> toml::Value {
    if let Ok(i) = raw.parse::<i64>() {
        return toml::Value::Integer(i);
    }
    match raw {
        "true" => toml::Value::Boolean(true),
        "false" => toml::Value::Boolean(false),
        _ => toml::Value::String(raw.to_owned()),
    }
}

fn set_path(table: &mut toml::Table, path: &[String], value: toml::Value) -> anyhow::Result<()> {
    match path {
        [] => bail!("empty key"),
        [last] => {
            table.insert(last.clone(), value);
            Ok(())
        }
        [first, rest @ ..] => {
            let entry = table
                .entry(first.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            match entry {
                toml::Value::Table(inner) => set_path(inner, rest, value),
                _ => bail!("`{first}` is not a section"),
            }
        }
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url()))
            .field("data_dir", &self.data_dir)
            .field("max_connections", &self.max_connections)
            .field("static_dir", &self.static_dir)
            .field("log_format", &self.log_format)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("request_timeout_secs", &self.request_timeout_secs)
            .field("auth.token_ttl_secs", &self.auth.token_ttl_secs)
            .field(
                "auth.service_token_ttl_days",
                &self.auth.service_token_ttl_days,
            )
            .field("http", &self.http)
            .field(
                "auth.metrics_token",
                &self.auth.metrics_token.as_ref().map(|_| "***"),
            )
            .field("auth.login_max_failures", &self.auth.login_max_failures)
            .field(
                "auth.login_source_max_failures",
                &self.auth.login_source_max_failures,
            )
            .field("auth.login_window_secs", &self.auth.login_window_secs)
            .field(
                "auth.password_hash_concurrency",
                &self.auth.password_hash_concurrency,
            )
            .field("auth.password_hash_queue", &self.auth.password_hash_queue)
            .field("dispatch", &self.dispatch)
            .field("live", &self.live)
            .field("routing", &self.routing)
            .field("map", &self.map)
            .field("push", &self.push)
            .finish_non_exhaustive()
    }
}

/// The same PostgreSQL URL naming database `name` instead (its query string kept), e.g. for a scratch database
/// beside the one configured.
pub fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match base.rfind('/') {
        Some(i) if i > "postgres://".len() => &base[..i],
        _ => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// Hides the password in `scheme://user:password@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Which storage engine a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseEngine {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl DatabaseEngine {
    /// The engine named by the URL scheme.
    pub fn of_url(url: &str) -> anyhow::Result<DatabaseEngine> {
        if url.starts_with("sqlite:") {
            Ok(DatabaseEngine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseEngine::Postgres)
        } else {
            bail!(
                "database_url `{}` must start with sqlite:// or postgres://",
                redact_url(url)
            )
        }
    }
}

/// The `[live]` configuration section.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LiveConfig {
    /// At most one `unit.position` event per unit per this many milliseconds (0 = one per fix).
    pub position_event_interval_ms: u64,
    /// Events queued per websocket client before it is dropped as a slow consumer.
    pub client_queue_len: usize,
    /// Seconds between server pings.
    pub ping_interval_secs: u64,
    /// Seconds without any frame from the client (pongs included) before it is closed.
    pub idle_timeout_secs: u64,
    /// Seconds one frame may take to write before the client is given up.
    pub write_timeout_secs: u64,
    /// Safety poll of the event log in milliseconds (wake-ups normally come sooner).
    pub poll_interval_ms: u64,
    /// Milliseconds between writes of the position track when no `unit.position` event is due (a round that
    /// commits an event carries the track with it): a fix that makes no event is written this long after the
    /// previous write at the latest, so its sender waits up to this long, plus the write, for its answer.
    pub track_flush_ms: u64,
    /// Buffered fixes that trigger an early track write.
    pub track_batch_max: usize,
    /// Fixes implying a faster movement from the unit's last fix are refused.
    pub max_speed_kmh: f64,
    /// Hours the event log keeps events for resuming clients (0 = forever). Older events are pruned by one
    /// instance of the cluster; a client resuming from before them is told to reload (`resync_required`).
    pub event_retention_hours: u64,
    /// Seconds between prunes of the event log.
    pub event_prune_every_secs: u64,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            position_event_interval_ms: 2000,
            client_queue_len: 1024,
            ping_interval_secs: 20,
            idle_timeout_secs: 60,
            write_timeout_secs: 10,
            poll_interval_ms: 1000,
            track_flush_ms: 100,
            track_batch_max: 100,
            max_speed_kmh: 300.0,
            event_retention_hours: 168,
            event_prune_every_secs: 600,
        }
    }
}

impl LiveConfig {
    /// Refuses settings that cannot work.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.client_queue_len >= 1,
            "live.client_queue_len must be at least 1"
        );
        anyhow::ensure!(
            self.ping_interval_secs >= 1 && self.idle_timeout_secs > self.ping_interval_secs,
            "live.idle_timeout_secs must be longer than live.ping_interval_secs (≥ 1)"
        );
        anyhow::ensure!(
            self.write_timeout_secs >= 1,
            "live.write_timeout_secs must be at least 1"
        );
        anyhow::ensure!(
            self.poll_interval_ms >= 10 && self.track_flush_ms >= 10,
            "live.poll_interval_ms and live.track_flush_ms must be at least 10"
        );
        anyhow::ensure!(
            self.track_batch_max >= 1,
            "live.track_batch_max must be at least 1"
        );
        anyhow::ensure!(
            self.event_prune_every_secs >= 1,
            "live.event_prune_every_secs must be at least 1"
        );
        anyhow::ensure!(
            self.max_speed_kmh.is_finite() && self.max_speed_kmh > 0.0,
            "live.max_speed_kmh must be a positive number"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_database_name_keeps_host_credentials_and_options() {
        assert_eq!(
            with_database_name("postgres://u:p@db:5432/test?sslmode=disable", "scratch"),
            "postgres://u:p@db:5432/scratch?sslmode=disable"
        );
        assert_eq!(
            with_database_name("postgres://127.0.0.1:5432", "scratch"),
            "postgres://127.0.0.1:5432/scratch"
        );
    }

    #[test]
    fn example_file_parses_and_equals_the_defaults() {
        let table: toml::Table = toml::from_str(EXAMPLE).unwrap();
        let parsed: Config = toml::Value::Table(table).try_into().unwrap();
        let default = Config::default();
        assert_eq!(format!("{parsed:?}"), format!("{default:?}"));
    }

    #[test]
    fn the_commented_routing_example_is_a_working_setup() {
        let block: String = EXAMPLE
            .lines()
            .skip_while(|l| *l != "# [[routing.lines]]")
            .map_while(|l| l.strip_prefix("# "))
            .map(|l| format!("{l}\n"))
            .collect();
        let table: toml::Table = toml::from_str(&block).unwrap();
        let parsed: Config = toml::Value::Table(table).try_into().unwrap();
        parsed.validate().unwrap();
        assert!(parsed.routing.has_team("quitline-kepri"));
        let quitline = siaga_core::call::ServiceLineCode::parse("quitline").unwrap();
        assert!(parsed.routing.lines.is_tiered(&quitline));
        let rule = parsed.routing.follow_up_rule(&quitline).unwrap();
        assert_eq!(rule.day_offsets(), &[1, 3, 7, 14, 30, 60, 90]);
    }

    #[test]
    fn environment_overrides_file_and_nested_keys() {
        let env = vec![
            ("SIAGA_LISTEN".to_owned(), "0.0.0.0:9000".to_owned()),
            ("SIAGA_AUTH__TOKEN_TTL_SECS".to_owned(), "600".to_owned()),
            ("SIAGA_TEST_POSTGRES_URL".to_owned(), "ignored".to_owned()),
            ("PATH".to_owned(), "/bin".to_owned()),
        ];
        let c = Config::load(None, env).unwrap();
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.auth.token_ttl_secs, 600);
    }

    #[test]
    fn unknown_keys_and_bad_urls_are_refused() {
        let err = Config::load(None, vec![("SIAGA_LISTN".into(), "x".into())]).unwrap_err();
        assert!(format!("{err:#}").contains("listn"), "{err:#}");
        let err = Config::load(
            None,
            vec![("SIAGA_DATABASE_URL".into(), "mysql://x".into())],
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("sqlite://"), "{err:#}");
    }

    #[test]
    fn basemap_must_be_a_pmtiles_v3_file() {
        let dir = std::env::temp_dir().join(format!("siaga-config-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("basemap.pmtiles");
        std::fs::write(&good, b"PMTiles\x03 and the rest of the archive").unwrap();
        let bad = dir.join("basemap.mbtiles");
        std::fs::write(&bad, b"SQLite format 3\0").unwrap();
        let var = |p: &Path| {
            vec![(
                "SIAGA_MAP__BASEMAP_PMTILES".to_owned(),
                p.display().to_string(),
            )]
        };

        let c = Config::load(None, var(&good)).unwrap();
        assert_eq!(c.map.basemap_pmtiles.as_deref(), Some(good.as_path()));
        let err = Config::load(None, var(&bad)).unwrap_err();
        assert!(format!("{err:#}").contains("not a PMTiles"), "{err:#}");
        let err = Config::load(None, var(&dir.join("missing.pmtiles"))).unwrap_err();
        assert!(format!("{err:#}").contains("cannot read"), "{err:#}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://siaga:s3cret@db:5432/siaga"),
            "postgres://siaga:***@db:5432/siaga"
        );
        assert_eq!(
            redact_url("sqlite://data/siaga.db"),
            "sqlite://data/siaga.db"
        );
    }
}
