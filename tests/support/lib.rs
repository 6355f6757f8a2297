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

impl TestDb {
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
                let url = replace_db_name(&admin, &name);
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

fn replace_db_name(url: &str, name: &str) -> String {
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
            siaga::demo::load(&state).await.expect("demo data");
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
    got.1["error"].clone()
}

/// The workspace root (the folder with the top-level Cargo.toml).
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
