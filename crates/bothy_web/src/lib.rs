//! Bothy's HTTP edge: the axum router, server-rendered pages (askama), the
//! JSON API and FHIR endpoints, sessions, CSRF and the one error renderer.
//! No SQL here: everything goes through `bothy_app`.

mod api;
mod auth;
mod chart;
pub mod cors;
mod csrf;
mod error;
mod fhir;
mod fhir_bulk;
mod fhir_referral;
mod fhir_referral_search;
mod fhir_search;
mod fhir_versions;
mod form;
mod format;
mod layout;
mod markdown;
mod metrics;
mod notify_callbacks;
mod openapi;
mod pages;
mod report_chart;
mod routes;
mod security;
mod session_store;
mod smart;
mod sms;

pub use error::WebError;
pub use routes::{RouteSpec, route_specs};

use bothy_app::App;
use std::sync::Arc;

/// Settings of the HTTP edge, from the loaded configuration.
#[derive(Clone)]
pub struct WebSettings {
    /// Served over TLS (the public URL is https): secure `__Host-` cookies and HSTS.
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The bearer token a Prometheus scraper sends for `/metrics`; without
    /// one, `/metrics` is not served.
    pub metrics_token: Option<String>,
    /// Proxies whose `X-Forwarded-For` names the client's address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Origins whose browser apps may call the FHIR API (`cors.rs`).
    pub cors_origins: Vec<axum::http::HeaderValue>,
    /// Each GOV.UK Notify service's callback token, by the Bothy service it
    /// sends for (`notify_callbacks.rs`); callbacks bearing no listed token
    /// are refused.
    pub notify_callbacks: Vec<(bothy_domain::ServiceId, String)>,
    /// The secret the SMS gateway gives back (HTTP Basic) with replies and
    /// delivery reports; without one, those callbacks are not served.
    pub sms_inbound_secret: Option<String>,
}

impl std::fmt::Debug for WebSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSettings")
            .field("secure_cookies", &self.secure_cookies)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("trusted_proxies", &self.trusted_proxies)
            .field("cors_origins", &self.cors_origins)
            .field(
                "notify_callbacks",
                &self
                    .notify_callbacks
                    .iter()
                    .map(|(s, _)| (s, "***"))
                    .collect::<Vec<_>>(),
            )
            .field(
                "sms_inbound_secret",
                &self.sms_inbound_secret.as_ref().map(|_| "***"),
            )
            .finish()
    }
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            max_body_bytes: 1024 * 1024,
            metrics_token: None,
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            notify_callbacks: Vec::new(),
            sms_inbound_secret: None,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub app: Arc<App>,
    /// When this server loaded its content: the `lastUpdated` of what it
    /// serves from files (Questionnaires, CodeSystems).
    pub content_loaded_at: bothy_domain::time::Timestamp,
    pub settings: Arc<WebSettings>,
    pub metrics: Arc<metrics::Metrics>,
}

/// The whole web application, ready to serve.
pub fn router(app: Arc<App>, settings: WebSettings) -> axum::Router {
    let state = AppState {
        content_loaded_at: app.clock().now(),
        app,
        settings: Arc::new(settings),
        metrics: Arc::new(metrics::Metrics::default()),
    };
    routes::build(state)
}
