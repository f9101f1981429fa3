//! Anonymous requests cannot grow the metrics, the log or the server's
//! memory: every label comes from a fixed set and every log field is bounded.

use super::api_client;
use crate::both_dbs;
use crate::helpers::{Client, TestApp};
use axum::body::Body;
use axum::http::{Method, Request};
use bothy_domain::role::ApiPermission;
use bothy_web::WebSettings;
use std::sync::{Arc, Mutex};

both_dbs!(
    invented_methods_and_paths_add_no_labels_or_log_bytes,
    metrics_are_only_for_the_scraper,
);

/// Everything logged while it is the thread's default subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

impl Captured {
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).to_string()
    }
}

/// A client of a router that serves metrics to the holder of [`TOKEN`].
fn scraped(t: &TestApp) -> Client {
    t.client_of(bothy_web::router(
        t.app.clone(),
        WebSettings {
            metrics_token: Some(TOKEN.into()),
            ..WebSettings::default()
        },
    ))
}

/// What a Prometheus scraper reads.
async fn scrape(c: &Client) -> String {
    c.get_with("/metrics", &[("authorization", &format!("Bearer {TOKEN}"))])
        .await
        .ok()
        .body
}

async fn invented_methods_and_paths_add_no_labels_or_log_bytes(t: TestApp) {
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_ansi(false)
        .finish();
    // The requests below run on this thread (the router is called in place).
    let _second = super::second_dispatch();
    let _guard = tracing::subscriber::set_default(subscriber);
    let c = scraped(&t);
    c.get("/sign-in").await.ok();
    let before = scrape(&c).await.len();
    let log_before = log.len();
    const N: usize = 100;
    for i in 0..N {
        // A 10 KB method and a 2 KB path, new each time.
        let method = format!("M{i}{}", "X".repeat(10_000));
        let req = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).unwrap())
            .uri(format!("/sign-in?{i}{}", "q".repeat(2_000)))
            .body(Body::empty())
            .unwrap();
        let r = c.send(req).await;
        assert!(r.status.is_client_error(), "{}", r.status);
        let req = Request::get(format!("/nowhere/{i}/{}", "p".repeat(2_000)))
            .body(Body::empty())
            .unwrap();
        c.send(req).await.status(404);
    }
    let after = scrape(&c).await;
    assert!(
        !after.contains("XXXXXXXX") && !after.contains("pppppppp"),
        "a client's method or path became a label"
    );
    assert!(
        after.len() < before + 1_000,
        "metrics grew from {before} to {} bytes",
        after.len()
    );
    assert!(
        // Refused (no CSRF token for a method that is not GET), counted as `other`.
        after.contains("method=\"other\",route=\"/sign-in\",status=\"403\"} 100"),
        "{after}"
    );
    assert!(
        after.contains("method=\"GET\",route=\"unmatched\",status=\"404\"} 100"),
        "{after}"
    );
    let logged = log.len() - log_before;
    let text = log.text();
    assert!(
        !text.contains("XXXXXXXX") && !text.contains("pppppppp") && !text.contains("qqqqqqqq"),
        "a client's method, path or query reached the log"
    );
    // Each request's line is short, whatever the request was.
    assert!(
        logged < 2 * N * 400,
        "{logged} bytes logged for {} requests",
        2 * N
    );
}

/// Without a token configured nobody reads the metrics; with one, only a
/// request bearing it does (not staff, not an API client's token).
async fn metrics_are_only_for_the_scraper(t: TestApp) {
    t.client().get("/metrics").await.status(404);
    t.staff_client("admin")
        .await
        .get("/metrics")
        .await
        .status(404);

    let c = scraped(&t);
    c.get("/metrics").await.status(401).has_crisis_panel();
    let bearer = |token: &str| format!("Bearer {token}");
    for wrong in ["", "wrong", &TOKEN[..TOKEN.len() - 1], &format!("{TOKEN}x")] {
        c.get_with("/metrics", &[("authorization", &bearer(wrong))])
            .await
            .status(401);
    }
    // An API client's token is no scraper's token.
    let (_, api_token) = api_client(&t, &[ApiPermission::PatientRead]).await;
    c.get_with("/metrics", &[("authorization", &bearer(&api_token))])
        .await
        .status(401);
    let m = c
        .get_with("/metrics", &[("authorization", &bearer(TOKEN))])
        .await
        .ok();
    assert!(
        m.body.contains(
            "bothy_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"401\"}"
        ),
        "{}",
        m.body
    );
    assert!(m.body.contains("bothy_db_pool_connections"));
}

const TOKEN: &str = "a-scraper-token-of-at-least-32-characters";
