//! The simulator's view of a Siaga server: JSON over HTTP with a bearer token and an `Idempotency-Key` on
//! every write, websocket connections, and the counters and latencies the summary lines report.

use crate::model::percentile_ms;
use anyhow::Context;
use serde_json::Value;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The request header that makes a write safe to retry (docs/api.md, "Idempotency"). Header names are
/// case-insensitive; this is the documented spelling.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// Log target of this module's lines: under `siaga`, the binary that runs the simulator, so `RUST_LOG=siaga=debug`
/// selects them with the server's.
const LOG_TARGET: &str = "siaga::simulate::client";

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    CallsEmergency,
    CallsInformation,
    CallsPrank,
    CallsGhost,
    CallsWrongNumber,
    CallsAbandoned,
    IncidentsFiled,
    Verified,
    Assigned,
    Acknowledged,
    OnScene,
    Resolved,
    Closed,
    /// No available unit was recommended (the dispatcher waits and asks again).
    NoUnit,
    /// 409: another actor changed the same thing first (handled, not an error).
    Conflicts,
    /// Requests that failed otherwise (transport errors, unexpected statuses).
    Errors,
    FixesSent,
    /// Fixes the server refused (422).
    FixesRefused,
    /// Fixes not sent because too many were still in flight (the server is saturated).
    FixesSkipped,
    /// Websocket frames received by every simulated socket.
    Frames,
    /// Workflow writes (POSTs with an `Idempotency-Key`; position fixes not included), one per write whatever
    /// its retries.
    Writes,
}

/// How many counters [`Count`] has.
pub const N_COUNTS: usize = 21;

/// Counters and latency samples shared by every simulated actor.
#[derive(Default)]
pub struct Stats {
    counts: [AtomicU64; N_COUNTS],
    /// Websockets open now.
    pub sockets: AtomicU64,
    http_us: Mutex<Vec<u32>>,
    fix_us: Mutex<Vec<u32>>,
    fanout_us: Mutex<Vec<u32>>,
}

/// Counts and latency quantiles of one window of time.
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub counts: [u64; N_COUNTS],
    pub elapsed: Duration,
    pub sockets: u64,
    /// Workflow requests (everything but position fixes): p50, p99 in ms, and how many.
    pub http: (f64, f64, usize),
    /// Position fix POSTs: p50, p99, count.
    pub fix: (f64, f64, usize),
    /// Position fix HTTP write → `unit.position` frame on a dispatcher socket: p50, p99, count.
    pub fanout: (f64, f64, usize),
}

impl Window {
    /// One counter.
    pub fn get(&self, c: Count) -> u64 {
        self.counts[c as usize]
    }

    /// Per second over the window.
    pub fn rate(&self, c: Count) -> f64 {
        self.get(c) as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Calls of every class.
    pub fn calls(&self) -> u64 {
        self.counts[..6].iter().sum()
    }

    /// The one-line summary.
    pub fn line(&self, label: &str) -> String {
        let f = |v: f64| {
            if v.is_nan() {
                "-".to_owned()
            } else {
                format!("{v:.1}")
            }
        };
        format!(
            "{label}: calls {} (emergency {}, information {}, prank {}, ghost {}, wrong {}, abandoned {}) | \
             incidents filed {} verified {} assigned {} on scene {} resolved {} closed {} | no unit {} | \
             fixes {} ({:.0}/s, refused {}, skipped {}) | http p50 {} p99 {} ms (n {}) | fix p50 {} p99 {} ms | \
             fan-out p50 {} p99 {} ms | sockets {} | 409 {} | errors {}",
            self.calls(),
            self.get(Count::CallsEmergency),
            self.get(Count::CallsInformation),
            self.get(Count::CallsPrank),
            self.get(Count::CallsGhost),
            self.get(Count::CallsWrongNumber),
            self.get(Count::CallsAbandoned),
            self.get(Count::IncidentsFiled),
            self.get(Count::Verified),
            self.get(Count::Assigned),
            self.get(Count::OnScene),
            self.get(Count::Resolved),
            self.get(Count::Closed),
            self.get(Count::NoUnit),
            self.get(Count::FixesSent),
            self.rate(Count::FixesSent),
            self.get(Count::FixesRefused),
            self.get(Count::FixesSkipped),
            f(self.http.0),
            f(self.http.1),
            self.http.2,
            f(self.fix.0),
            f(self.fix.1),
            f(self.fanout.0),
            f(self.fanout.1),
            self.sockets,
            self.get(Count::Conflicts),
            self.get(Count::Errors),
        )
    }
}

fn quantiles(samples: &Mutex<Vec<u32>>) -> (f64, f64, usize) {
    let mut v = std::mem::take(&mut *samples.lock().unwrap_or_else(|p| p.into_inner()));
    v.sort_unstable();
    (percentile_ms(&v, 0.5), percentile_ms(&v, 0.99), v.len())
}

fn push(samples: &Mutex<Vec<u32>>, d: Duration) {
    let us = u32::try_from(d.as_micros()).unwrap_or(u32::MAX);
    samples.lock().unwrap_or_else(|p| p.into_inner()).push(us);
}

impl Stats {
    /// Adds one to a counter.
    pub fn add(&self, c: Count) {
        self.counts[c as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// The counter for a call class.
    pub fn call_class(class: &str) -> Count {
        match class {
            "emergency" => Count::CallsEmergency,
            "information" => Count::CallsInformation,
            "prank" => Count::CallsPrank,
            "ghost" => Count::CallsGhost,
            "wrong_number" => Count::CallsWrongNumber,
            _ => Count::CallsAbandoned,
        }
    }

    /// Records a fan-out latency.
    pub fn fanout(&self, d: Duration) {
        push(&self.fanout_us, d);
    }

    /// Counts since `prev` and the latencies recorded since the last call, which starts a new window.
    pub fn take_window(&self, prev: &mut [u64; N_COUNTS], elapsed: Duration) -> Window {
        let mut counts = [0u64; N_COUNTS];
        for (i, c) in self.counts.iter().enumerate() {
            let now = c.load(Ordering::Relaxed);
            counts[i] = now - prev[i];
            prev[i] = now;
        }
        Window {
            counts,
            elapsed,
            sockets: self.sockets.load(Ordering::Relaxed),
            http: quantiles(&self.http_us),
            fix: quantiles(&self.fix_us),
            fanout: quantiles(&self.fanout_us),
        }
    }

    /// Counters since the start.
    pub fn totals(&self) -> [u64; N_COUNTS] {
        let mut out = [0u64; N_COUNTS];
        for (i, c) in self.counts.iter().enumerate() {
            out[i] = c.load(Ordering::Relaxed);
        }
        out
    }
}

/// A status and JSON body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    /// 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The error code of an error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// Which latency series a request belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Series {
    Workflow,
    Fix,
}

/// An HTTP client of one server.
pub struct Api {
    pub base: String,
    http: reqwest::Client,
    pub stats: std::sync::Arc<Stats>,
}

impl Api {
    /// A client of `base` (`http://host:port`).
    pub fn new(base: &str, stats: std::sync::Arc<Stats>) -> anyhow::Result<Api> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(512)
            .build()
            .context("building the HTTP client")?;
        Ok(Api {
            base: base.trim_end_matches('/').to_owned(),
            http,
            stats,
        })
    }

    /// Logs in; returns the token and the user object.
    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<(String, Value)> {
        let resp = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
            .await
            .with_context(|| format!("cannot reach {}", self.base))?;
        let status = resp.status();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(
            status.is_success(),
            "login as {username} failed: {status} {}",
            body["error"]["message"].as_str().unwrap_or("")
        );
        let token = body["token"]
            .as_str()
            .context("login answer has no token")?
            .to_owned();
        Ok((token, body["user"].clone()))
    }

    /// GET as `token`.
    pub async fn get(&self, path: &str, token: &str) -> anyhow::Result<Reply> {
        let rb = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token);
        self.send(rb, Series::Workflow).await
    }

    /// POST JSON as `token` with a fresh `Idempotency-Key`; a transport error or a 5xx is retried once with
    /// the same key, so the retry can never do the work twice.
    pub async fn post(
        &self,
        path: &str,
        token: &str,
        body: &Value,
        series: Series,
    ) -> anyhow::Result<Reply> {
        let key = uuid::Uuid::new_v4().to_string();
        if series == Series::Workflow {
            self.stats.add(Count::Writes);
        }
        let build = || {
            self.http
                .post(format!("{}{path}", self.base))
                .bearer_auth(token)
                .header(IDEMPOTENCY_KEY, &key)
                .json(body)
        };
        match self.send(build(), series).await {
            Ok(r) if r.status < 500 => Ok(r),
            _ => {
                tokio::time::sleep(Duration::from_millis(500)).await;
                self.send(build(), series).await
            }
        }
    }

    async fn send(&self, rb: reqwest::RequestBuilder, series: Series) -> anyhow::Result<Reply> {
        let started = Instant::now();
        let resp = rb.send().await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                self.stats.add(Count::Errors);
                return Err(e.into());
            }
        };
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        let elapsed = started.elapsed();
        match series {
            Series::Workflow => push(&self.stats.http_us, elapsed),
            Series::Fix => push(&self.stats.fix_us, elapsed),
        }
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        let reply = Reply { status, body };
        if status == 409 {
            self.stats.add(Count::Conflicts);
        } else if !(reply.ok() || series == Series::Fix && status == 422) {
            self.stats.add(Count::Errors);
            tracing::debug!(target: LOG_TARGET, status, body = %reply.body, "simulated request refused");
        }
        Ok(reply)
    }

    /// Websocket URL of the live stream (token as a query parameter), resuming after `resume_from`.
    pub fn ws_url(&self, token: &str, resume_from: Option<i64>) -> String {
        let mut url = format!(
            "{}/api/v1/ws?access_token={token}",
            self.base.replacen("http", "ws", 1)
        );
        if let Some(seq) = resume_from {
            url.push_str(&format!("&resume_from={seq}"));
        }
        url
    }
}
