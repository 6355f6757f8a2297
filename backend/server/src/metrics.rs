//! Prometheus text exposition of request counts and latencies, without a metrics framework.
//!
//! Label sets are bounded: the route template (not the raw path), the method and the status class, so an
//! attacker cannot grow memory by requesting random URLs.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Latency bucket upper bounds in seconds.
const BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum_secs: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Request metrics, shared by all handlers.
#[derive(Default)]
pub struct Metrics {
    // A std mutex is right here: the critical section is a few additions and never awaits.
    requests: Mutex<BTreeMap<(String, String, u16), Series>>,
    /// Cluster-wide jobs and whether this instance leads them.
    leading: Mutex<BTreeMap<String, bool>>,
    /// Web Push deliveries by outcome: `sent`, `failed` (the push service refused or could not be reached),
    /// `gone` (the subscription expired; it was deleted).
    pushes: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    /// Records one finished request.
    pub fn observe(&self, method: &str, route: &str, status: u16, secs: f64) {
        let class = status / 100 * 100;
        let mut map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let s = map
            .entry((method.to_owned(), route.to_owned(), class))
            .or_default();
        s.count += 1;
        s.sum_secs += secs;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                s.buckets[i] += 1;
            }
        }
    }

    /// Records whether this instance leads the cluster-wide `job`.
    pub fn set_leading(&self, job: &str, leading: bool) {
        self.leading
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(job.to_owned(), leading);
    }

    /// Counts one Web Push delivery with its outcome (`sent`, `failed`, `gone`).
    pub fn push_outcome(&self, outcome: &'static str) {
        *self
            .pushes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(outcome)
            .or_default() += 1;
    }

    /// Web Push deliveries counted with `outcome` so far.
    pub fn push_count(&self, outcome: &str) -> u64 {
        self.pushes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(outcome)
            .copied()
            .unwrap_or(0)
    }

    /// The Prometheus text format of everything recorded, plus `extra` gauge lines.
    pub fn render(&self, extra: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        {
            let leading = self.leading.lock().unwrap_or_else(|p| p.into_inner());
            out.push_str(
                "# HELP siaga_leader 1 when this instance runs the cluster-wide job (one instance per job).\n",
            );
            out.push_str("# TYPE siaga_leader gauge\n");
            for (job, on) in leading.iter() {
                let _ = writeln!(out, "siaga_leader{{job=\"{job}\"}} {}", u8::from(*on));
            }
        }
        {
            let pushes = self.pushes.lock().unwrap_or_else(|p| p.into_inner());
            out.push_str(
                "# HELP siaga_push_total Web Push deliveries to responders' phones by outcome.\n",
            );
            out.push_str("# TYPE siaga_push_total counter\n");
            for (outcome, n) in pushes.iter() {
                let _ = writeln!(out, "siaga_push_total{{outcome=\"{outcome}\"}} {n}");
            }
        }
        let map = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        out.push_str(
            "# HELP siaga_http_requests_total HTTP requests by route, method and status class.\n",
        );
        out.push_str("# TYPE siaga_http_requests_total counter\n");
        for ((method, route, class), s) in map.iter() {
            let _ = writeln!(
                out,
                "siaga_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{class}\"}} {}",
                s.count
            );
        }
        out.push_str("# HELP siaga_http_request_duration_seconds HTTP request latency.\n");
        out.push_str("# TYPE siaga_http_request_duration_seconds histogram\n");
        for ((method, route, class), s) in map.iter() {
            let labels = format!("method=\"{method}\",route=\"{route}\",status=\"{class}\"");
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "siaga_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "siaga_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "siaga_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum_secs
            );
            let _ = writeln!(
                out,
                "siaga_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        for (name, help, value) in extra {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}
