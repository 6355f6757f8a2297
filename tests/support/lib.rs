//! Test harness: real Siaga servers on random ports, a fresh database per test, on both engines.
//!
//! * [`TestServer::start`] binds `127.0.0.1:0` first, then spawns the server in-process, so the first request
//!   simply waits in the accept backlog: no sleeps.
//! * SQLite databases are files in a temporary folder (WAL and durability settings are exercised);
//!   PostgreSQL databases are `siaga_t_<uuid>` created on `SIAGA_TEST_POSTGRES_URL`
//!   (default `postgres://127.0.0.1:5432/test`) and dropped when the server is dropped.
//! * [`engine_tests!`] expands one scenario into `…::sqlite` and `…::postgres` tests. PostgreSQL being
//!   unreachable fails the test; `SIAGA_TEST_ENGINES=sqlite` skips it with one loud line (for laptops only).

use anyhow::Context;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use siaga::clock::{Clock, ManualClock, SystemClock};
use siaga::{AppState, Config};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Password of every demo user.
pub const DEMO_PASSWORD: &str = "siaga112";

/// Which storage engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Expands `scenario(engine)` async functions into one test per engine.
#[macro_export]
macro_rules! engine_tests {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::Engine::Sqlite).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if !$crate::postgres_enabled() {
                        return;
                    }
                    super::$name($crate::Engine::Postgres).await;
                }
            }
        )+
    };
}

/// Whether PostgreSQL tests run (they do unless `SIAGA_TEST_ENGINES` names only sqlite).
pub fn postgres_enabled() -> bool {
    match std::env::var("SIAGA_TEST_ENGINES") {
        Ok(v) if !v.split(',').any(|e| e.trim() == "postgres") => {
            if std::env::var("CI").is_ok_and(|c| c == "true") {
                panic!("SIAGA_TEST_ENGINES={v} excludes postgres, which CI must test");
            }
            eprintln!("!!! SIAGA_TEST_ENGINES={v}: PostgreSQL NOT TESTED in this run !!!");
            false
        }
        _ => true,
    }
}

/// The PostgreSQL server used for test databases.
pub fn postgres_admin_url() -> String {
    std::env::var("SIAGA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://127.0.0.1:5432/test".to_owned())
}

/// A database that lives as long as the value (dropped/removed afterwards).
pub struct TestDb {
    pub url: String,
    pub engine: Engine,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

/// Runs `statements` in order on `pool`, stopping at the first refused.
async fn run_all<'p, DB: sqlx::Database>(
    pool: &'p sqlx::Pool<DB>,
    statements: &[&'p str],
) -> Result<(), String>
where
    &'p sqlx::Pool<DB>: sqlx::Executor<'p, Database = DB>,
    <DB as sqlx::Database>::Arguments<'p>: sqlx::IntoArguments<'p, DB>,
{
    for s in statements {
        sqlx::query(s)
            .execute(pool)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

impl TestDb {
    /// Runs SQL statements in order on this database, as someone with direct access would; stops at the first
    /// the engine refuses and returns its message.
    pub async fn execute(&self, statements: &[&str]) -> Result<(), String> {
        match self.engine {
            Engine::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.url)
                    .await
                    .expect("open SQLite");
                let done = run_all(&pool, statements).await;
                pool.close().await;
                done
            }
            Engine::Postgres => {
                let pool = sqlx::PgPool::connect(&self.url)
                    .await
                    .expect("open PostgreSQL");
                let done = run_all(&pool, statements).await;
                pool.close().await;
                done
            }
        }
    }

    /// A fresh, empty database on `engine`.
    pub async fn new(engine: Engine) -> TestDb {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("siaga.db").display());
                TestDb {
                    url,
                    engine,
                    _dir: Some(dir),
                    pg_name: None,
                }
            }
            Engine::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("siaga_t_{}", uuid::Uuid::new_v4().simple());
                let mut conn = connect_pg_admin(&admin).await;
                sqlx::Executor::execute(&mut conn, format!("CREATE DATABASE {name}").as_str())
                    .await
                    .expect("CREATE DATABASE");
                let url = siaga::config::with_database_name(&admin, &name);
                TestDb {
                    url,
                    engine,
                    _dir: None,
                    pg_name: Some(name),
                }
            }
        }
    }
}

async fn connect_pg_admin(admin: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    match sqlx::PgConnection::connect(admin).await {
        Ok(c) => c,
        Err(e) => panic!(
            "PostgreSQL at {admin} is unreachable ({e}). Start it with \
             `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, point \
             SIAGA_TEST_POSTGRES_URL at another server, or (not in CI) set SIAGA_TEST_ENGINES=sqlite."
        ),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            let admin = postgres_admin_url();
            // Drop on a separate thread with its own runtime: Drop cannot await, and the test's runtime
            // may be shutting down.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::Executor::execute(
                            &mut c,
                            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str(),
                        )
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running in-process server.
pub struct TestServer {
    pub base: String,
    pub db: Arc<TestDb>,
    pub clock: Option<ManualClock>,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Options for [`TestServer::start_with`].
#[derive(Default)]
pub struct Options {
    /// Use a manual clock starting at this instant (ms).
    pub manual_clock_at: Option<i64>,
    /// Load the demo data before serving.
    pub demo: bool,
    /// Configuration changes.
    pub tweak: Option<fn(&mut Config)>,
}

impl TestServer {
    /// A server with the demo data on a fresh database.
    pub async fn start(engine: Engine) -> TestServer {
        TestServer::start_with(
            engine,
            Options {
                demo: true,
                ..Options::default()
            },
        )
        .await
    }

    /// A server with the demo data and a configuration tweak, on a fresh database.
    pub async fn demo_with(engine: Engine, tweak: fn(&mut Config)) -> TestServer {
        TestServer::start_with(
            engine,
            Options {
                demo: true,
                tweak: Some(tweak),
                ..Options::default()
            },
        )
        .await
    }

    /// A server with options on a fresh database.
    pub async fn start_with(engine: Engine, options: Options) -> TestServer {
        let db = Arc::new(TestDb::new(engine).await);
        TestServer::on_db(db, options).await
    }

    /// A server on an existing database (e.g. after a restart).
    pub async fn on_db(db: Arc<TestDb>, options: Options) -> TestServer {
        let mut config = Config::load(None, Vec::new()).expect("default config");
        config.database_url = Some(db.url.clone());
        config.max_connections = 8;
        config.static_dir = workspace_root().join("map-client/dist");
        config.auth.bootstrap_admin_password = Some("bootstrap-admin-pw".into());
        if let Some(tweak) = options.tweak {
            tweak(&mut config);
        }
        let store = siaga::app::open_store(&config).await.expect("open store");
        let manual = options
            .manual_clock_at
            .map(|t| ManualClock::new(siaga_core::time::Timestamp(t)));
        let clock: Arc<dyn Clock> = match &manual {
            Some(m) => Arc::new(m.clone()),
            None => Arc::new(SystemClock),
        };
        let state = AppState::with_clock(store, config, clock);
        if options.demo {
            load_fixture_centre(&state).await;
        } else {
            siaga::cli::ensure_first_admin(&state)
                .await
                .expect("first admin");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(siaga::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        TestServer {
            base: format!("http://{addr}"),
            db,
            clock: manual,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the server gracefully and waits until it has closed the database.
    pub async fn stop(mut self) -> Arc<TestDb> {
        self.shutdown().await;
        Arc::clone(&self.db)
    }

    async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server result");
        }
    }

    /// A request builder for `path` (relative to the server).
    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let rb = self.http.request(method, format!("{}{}", self.base, path));
        match token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    /// Sends a JSON request and returns status and body (JSON, or `Value::String` for non-JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut rb = self.request(method, path, token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.expect("request sent");
        read(resp).await
    }

    /// GET as `token`.
    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// POST JSON as `token`.
    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// Logs in and returns the token; panics on failure.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        body["token"].as_str().expect("token").to_owned()
    }

    /// Logs in a demo user.
    pub async fn demo_login(&self, username: &str) -> String {
        self.login(username, DEMO_PASSWORD).await
    }

    /// Id of the agency with this code.
    pub async fn agency_id(&self, token: &str, code: &str) -> String {
        let (_, agencies) = self.get("/api/v1/agencies", token).await;
        agencies
            .as_array()
            .expect("agencies")
            .iter()
            .find(|a| a["code"] == code)
            .unwrap_or_else(|| panic!("agency {code}"))["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Status and JSON body of a response.
pub async fn read(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    let text = resp.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Asserts an error envelope with this status and code; returns the error object.
#[track_caller]
pub fn assert_error(got: &(StatusCode, Value), status: StatusCode, code: &str) -> Value {
    assert_eq!(got.0, status, "body: {}", got.1);
    assert_eq!(got.1["error"]["code"], code, "body: {}", got.1);
    assert!(got.1["error"]["message"].is_string(), "body: {}", got.1);
    // The status must also be the one the core's table gives the code, so a test cannot pin a pair the
    // server's one table does not hold.
    let table = code
        .parse::<siaga_core::error::ErrorCode>()
        .map(|c| c.http_status());
    assert_eq!(table, Ok(status.as_u16()), "{code} in siaga_core::error");
    got.1["error"].clone()
}

/// The workspace root (the folder with the top-level Cargo.toml).
/// Regions of the fictional fixture centre the Rust tests run on (a hand-drawn Kota Batam; see
/// `tests/fixtures/centre/README.md`). The product's demo (`siaga demo`) is the real Jakarta set instead.
pub const FIXTURE_REGIONS: &str = include_str!("../fixtures/centre/regions.geojson");
/// Agencies, units, faskes and users of the fixture centre.
pub const FIXTURE_DATA: &str = include_str!("../fixtures/centre/demo.json");

/// Loads the fixture centre (idempotent, like the demo).
pub async fn load_fixture_centre(state: &AppState) {
    siaga::demo::load_set(state, FIXTURE_REGIONS, FIXTURE_DATA)
        .await
        .expect("fixture centre");
}

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The `siaga` binary built by `cargo build` (or `SIAGA_BIN`).
pub fn siaga_bin() -> anyhow::Result<PathBuf> {
    if let Ok(p) = std::env::var("SIAGA_BIN") {
        return Ok(PathBuf::from(p));
    }
    // Test executables live in target/<profile>/deps; the binary one folder up.
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .context("locating target directory")?;
    let bin = dir.join("siaga");
    anyhow::ensure!(
        bin.exists(),
        "{} not found: run `cargo build --bin siaga` first or set SIAGA_BIN",
        bin.display()
    );
    Ok(bin)
}

/// A websocket client of `/api/v1/ws` (tokio-tungstenite) that reads JSON frames with bounded waits.
pub struct WsClient {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    /// The close frame's code and reason, once the server closed the connection.
    pub closed: Option<(u16, String)>,
}

/// How long a test waits for an expected frame before failing.
pub const WS_WAIT: Duration = Duration::from_secs(15);

impl WsClient {
    /// Connects to `base` (`http://…`) with `token` in the `Authorization` header, optionally resuming.
    pub async fn connect(base: &str, token: &str, resume_from: Option<i64>) -> WsClient {
        WsClient::try_connect(base, token, resume_from)
            .await
            .expect("websocket connect")
    }

    /// Like [`WsClient::connect`], returning the handshake error (e.g. a 401) instead of panicking.
    pub async fn try_connect(
        base: &str,
        token: &str,
        resume_from: Option<i64>,
    ) -> Result<WsClient, tokio_tungstenite::tungstenite::Error> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut url = format!("{}/api/v1/ws", base.replacen("http", "ws", 1));
        if let Some(seq) = resume_from {
            url.push_str(&format!("?resume_from={seq}"));
        }
        let mut request = url.into_client_request()?;
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header value"),
        );
        let (stream, _) = tokio_tungstenite::connect_async(request).await?;
        Ok(WsClient {
            stream,
            closed: None,
        })
    }

    /// Connects with a small receive buffer, so a client that stops reading fills up quickly.
    pub async fn connect_small_buffer(base: &str, token: &str) -> WsClient {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let addr: std::net::SocketAddr = base
            .trim_start_matches("http://")
            .parse()
            .expect("server address");
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
        let tcp = socket.connect(addr).await.expect("tcp connect");
        let mut request = format!("ws://{addr}/api/v1/ws")
            .into_client_request()
            .expect("request");
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header value"),
        );
        let (stream, _) =
            tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(tcp))
                .await
                .expect("websocket handshake");
        WsClient {
            stream,
            closed: None,
        }
    }

    /// The next JSON frame, or `None` when the server closed the connection (see [`WsClient::closed`]).
    /// Fails the test after `wait`.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        use futures::StreamExt;
        use tokio_tungstenite::tungstenite::Message;
        loop {
            let msg = tokio::time::timeout(wait, self.stream.next())
                .await
                .unwrap_or_else(|_| panic!("no websocket frame within {wait:?}"));
            match msg {
                Some(Ok(Message::Text(t))) => {
                    return Some(serde_json::from_str(t.as_str()).expect("JSON frame"));
                }
                Some(Ok(Message::Close(frame))) => {
                    self.closed = Some(frame.map_or((1005, String::new()), |f| {
                        (f.code.into(), f.reason.to_string())
                    }));
                    return None;
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => {
                    self.closed.get_or_insert((1006, String::new()));
                    return None;
                }
            }
        }
    }

    /// The next JSON frame; panics if the connection closed.
    pub async fn next(&mut self) -> Value {
        match self.next_within(WS_WAIT).await {
            Some(v) => v,
            None => panic!("websocket closed: {:?}", self.closed),
        }
    }

    /// The next frame of type `kind`, skipping others; panics after [`WS_WAIT`] or on close.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        let deadline = tokio::time::Instant::now() + WS_WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await {
                Some(v) if v["type"] == kind => return v,
                Some(_) => continue,
                None => panic!("websocket closed waiting for {kind}: {:?}", self.closed),
            }
        }
    }

    /// Sends a JSON text frame.
    pub async fn send_json(&mut self, value: &Value) {
        self.send_text(&value.to_string()).await;
    }

    /// Sends a raw text frame.
    pub async fn send_text(&mut self, text: &str) {
        use futures::SinkExt;
        self.stream
            .send(tokio_tungstenite::tungstenite::Message::Text(text.into()))
            .await
            .expect("websocket send");
    }

    /// Sends a raw binary frame.
    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        use futures::SinkExt;
        self.stream
            .send(tokio_tungstenite::tungstenite::Message::Binary(
                bytes.into(),
            ))
            .await
            .expect("websocket send");
    }

    /// Drops the TCP connection without a close handshake (a phone losing its network).
    pub fn cut(self) {
        drop(self.stream);
    }
}

impl TestServer {
    /// A websocket client logged in as `token`.
    pub async fn ws(&self, token: &str) -> WsClient {
        WsClient::connect(&self.base, token, None).await
    }

    /// A websocket client resuming after `seq`.
    pub async fn ws_resume(&self, token: &str, seq: i64) -> WsClient {
        WsClient::connect(&self.base, token, Some(seq)).await
    }

    /// Opens the server's database directly (for appending events no endpoint produces yet).
    pub async fn store(&self) -> siaga::store::Store {
        siaga::store::Store::connect(&self.db.url, 2)
            .await
            .expect("open store")
    }

    /// Id of the user with this username (as an admin or supervisor sees the list).
    pub async fn user_id(&self, token: &str, username: &str) -> String {
        let (status, users) = self.get("/api/v1/users", token).await;
        assert_eq!(status, StatusCode::OK, "{users}");
        users
            .as_array()
            .expect("users")
            .iter()
            .find(|u| u["username"] == username)
            .unwrap_or_else(|| panic!("user {username}"))["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }

    /// Id of the unit with this call sign.
    pub async fn unit_id(&self, token: &str, call_sign: &str) -> String {
        let (status, units) = self.get("/api/v1/units", token).await;
        assert_eq!(status, StatusCode::OK, "{units}");
        units
            .as_array()
            .expect("units")
            .iter()
            .find(|u| u["call_sign"] == call_sign)
            .unwrap_or_else(|| panic!("unit {call_sign}"))["id"]
            .as_str()
            .expect("id")
            .to_owned()
    }
}

impl TestServer {
    /// Makes sure a region exists (a user's `region_code` must name one): regions the demo lacks, such as
    /// Jakarta's 31.71, are added without a boundary, as an import of names only would.
    pub async fn ensure_region(&self, code: &str, name: &str) {
        let level = match code.split('.').count() {
            1 => "province",
            2 => "regency",
            3 => "district",
            _ => "village",
        };
        self.execute_sql(&format!(
            "INSERT INTO regions (code, name, level, time_zone, imported_at) \
             VALUES ('{code}', '{name}', '{level}', 'Asia/Jakarta', 0) ON CONFLICT (code) DO NOTHING"
        ))
        .await;
    }

    /// Runs one SQL statement on the server's database (for simulating retention or corruption).
    pub async fn execute_sql(&self, sql: &str) {
        self.db.execute(&[sql]).await.expect("execute SQL");
    }

    /// One `BIGINT` read from the server's database (for checking what a request left behind).
    pub async fn query_i64(&self, sql: &str) -> i64 {
        match self.db.engine {
            Engine::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.db.url)
                    .await
                    .expect("open SQLite");
                let n = sqlx::query_scalar(sql)
                    .fetch_one(&pool)
                    .await
                    .expect("query");
                pool.close().await;
                n
            }
            Engine::Postgres => {
                let pool = sqlx::PgPool::connect(&self.db.url)
                    .await
                    .expect("open PostgreSQL");
                let n = sqlx::query_scalar(sql)
                    .fetch_one(&pool)
                    .await
                    .expect("query");
                pool.close().await;
                n
            }
        }
    }
}

/// The shared real geodata (`SIAGA_GEODATA_DIR`, else `../shared/geodata` beside the workspace).
pub fn shared_geodata() -> PathBuf {
    let dir = std::env::var("SIAGA_GEODATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace_root().join("../shared/geodata"));
    assert!(
        dir.join("boundaries/idn_adm3_kecamatan.geojson").exists(),
        "the shared geodata is expected at {} (or set SIAGA_GEODATA_DIR)",
        dir.display()
    );
    dir
}

/// Writes DKI Jakarta's real kecamatan and kelurahan (code `31.…`, from the shared geodata) into `dir` as two
/// GeoJSON files for `siaga import regions`; returns their paths (kecamatan, kelurahan).
pub fn jakarta_boundaries(dir: &std::path::Path) -> (PathBuf, PathBuf) {
    let g = shared_geodata();
    let subset = |from: &str, to: &str| {
        let text = std::fs::read_to_string(g.join(from)).expect("shared boundaries");
        let mut doc: Value = serde_json::from_str(&text).expect("GeoJSON");
        let features = doc["features"].as_array_mut().expect("features");
        features.retain(|f| {
            f["properties"]["code"]
                .as_str()
                .is_some_and(|c| c.starts_with("31."))
        });
        assert!(!features.is_empty(), "no Jakarta region in {from}");
        let path = dir.join(to);
        std::fs::write(&path, doc.to_string()).expect("write subset");
        path
    };
    (
        subset(
            "boundaries/idn_adm3_kecamatan.geojson",
            "jakarta_kecamatan.geojson",
        ),
        subset(
            "boundaries/idn_adm4_desa_selected_cities.geojson",
            "jakarta_kelurahan.geojson",
        ),
    )
}

/// The committed demo streets, real OpenStreetMap data of Kelapa Gading and Jatinegara/Cakung, Jakarta.
pub fn demo_streets_pbf() -> PathBuf {
    workspace_root().join("geodata/demo/streets.osm.pbf")
}
