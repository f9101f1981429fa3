//! Prometheus metrics: request counts by method, route and status, latency
//! histogram, database pool. Every label comes from a small fixed set, so
//! nothing a client sends can add labels: the method is one of the standard
//! ones or `other`, the route is the matched template or `unmatched` (never
//! a real path, so no id or patient detail reaches the metrics), and the
//! status is a number. `/metrics` itself is served only to a scraper holding
//! the configured bearer token (`pages::public::metrics`).

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

const BUCKETS_MS: [u64; 10] = [1, 2, 5, 10, 20, 50, 100, 250, 1000, 5000];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(&'static str, String, u16), u64>,
    buckets: [u64; BUCKETS_MS.len()],
    count: u64,
    sum_ms: f64,
}

/// The method as a label: one of the standard methods, else `other`, so a
/// client inventing methods cannot add labels (or lines to the log).
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

impl Metrics {
    fn record(&self, method: &'static str, route: &str, status: u16, ms: f64) {
        let mut m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *m.requests
            .entry((method, route.to_string(), status))
            .or_default() += 1;
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            if ms <= *b as f64 {
                m.buckets[i] += 1;
            }
        }
        m.count += 1;
        m.sum_ms += ms;
    }

    pub fn render(&self, app: &bothy_app::App) -> String {
        let m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        out.push_str("# HELP bothy_http_requests_total HTTP requests by method, route template and status.\n# TYPE bothy_http_requests_total counter\n");
        for ((method, route, status), n) in &m.requests {
            let _ = writeln!(
                out,
                "bothy_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP bothy_http_request_duration_seconds Time to answer a request.\n# TYPE bothy_http_request_duration_seconds histogram\n");
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            let _ = writeln!(
                out,
                "bothy_http_request_duration_seconds_bucket{{le=\"{}\"}} {}",
                *b as f64 / 1000.0,
                m.buckets[i]
            );
        }
        let _ = writeln!(
            out,
            "bothy_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            m.count
        );
        let _ = writeln!(
            out,
            "bothy_http_request_duration_seconds_sum {}",
            m.sum_ms / 1000.0
        );
        let _ = writeln!(out, "bothy_http_request_duration_seconds_count {}", m.count);
        let (size, idle) = app.pool_size();
        let _ = writeln!(
            out,
            "# TYPE bothy_db_pool_connections gauge\nbothy_db_pool_connections{{state=\"open\"}} {size}\nbothy_db_pool_connections{{state=\"idle\"}} {idle}"
        );
        out
    }
}

/// Times each request and logs one line: method label, route template,
/// status, duration and request id, each bounded. Never the URL, body or any
/// header a client chose, which may hold patient data or be of any size.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    // Ours: `security::request_id` replaces any id the client sent.
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    #[allow(clippy::disallowed_methods)] // A duration for metrics, not a point in time.
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = res.status().as_u16();
    state.metrics.record(method, &route, status, ms);
    tracing::info!(
        method,
        route,
        status,
        ms = format!("{ms:.1}"),
        request_id,
        "request"
    );
    res
}
