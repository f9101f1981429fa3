//! Prometheus metrics: request counts by route and status class, latency
//! histogram, database pool. Labels are route templates, never real paths,
//! so no id or patient detail reaches the metrics.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
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
    requests: BTreeMap<(String, String, &'static str), u64>,
    buckets: [u64; BUCKETS_MS.len()],
    count: u64,
    sum_ms: f64,
}

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, ms: f64) {
        let class = match status {
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        let mut m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *m.requests
            .entry((method.to_string(), route.to_string(), class))
            .or_default() += 1;
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            if ms <= *b as f64 {
                m.buckets[i] += 1;
            }
        }
        m.count += 1;
        m.sum_ms += ms;
    }

    pub fn render(&self, store: &bothy_store::Store) -> String {
        let m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        out.push_str("# HELP bothy_http_requests_total HTTP requests by route and status class.\n# TYPE bothy_http_requests_total counter\n");
        for ((method, route, class), n) in &m.requests {
            let _ = writeln!(
                out,
                "bothy_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{class}\"}} {n}"
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
        let (size, idle) = store.pool_size();
        let _ = writeln!(
            out,
            "# TYPE bothy_db_pool_connections gauge\nbothy_db_pool_connections{{state=\"open\"}} {size}\nbothy_db_pool_connections{{state=\"idle\"}} {idle}"
        );
        out
    }
}

/// Times each request and logs one line: method, route template, status,
/// duration and request id. Never the URL or body, which may hold patient data.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
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
    state.metrics.record(&method, &route, status, ms);
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
