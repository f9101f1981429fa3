//! Findings of the attack review (issue 12), each with the test that showed
//! it and now guards its fix: see RELIABILITY.md.

mod compression;
mod floods;
mod leaks;
mod lockout;
mod metrics;
mod proxy;
mod sessions;
mod text;

use crate::helpers::TestApp;
use bothy_domain::role::ApiPermission;
use bothy_domain::{ApiClientId, ServiceId};

/// A second dispatcher, alive while a test captures the log with a
/// thread-local subscriber. With exactly one registered, tracing-core
/// (0.1.36) decides a callsite's interest from the thread-local default of
/// whichever thread first reaches it: a test thread without a subscriber
/// caches "never", and the capturing test then loses that callsite's events
/// (tokio-rs/tracing#3611; seen here under load, where the capture held no
/// request lines). With two registered, every dispatcher is consulted.
pub(crate) fn second_dispatch() -> tracing::Dispatch {
    tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default())
}

pub(crate) async fn demo_service(t: &TestApp) -> ServiceId {
    let mut tx = t.app.store().read().await.unwrap();
    let s = tx.service_by_slug("demo").await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    s.id
}

/// A new API client of the demo service, and its bearer token.
pub(crate) async fn api_client(
    t: &TestApp,
    permissions: &[ApiPermission],
) -> (ApiClientId, String) {
    let made = t
        .app
        .admin()
        .register_api_client(
            demo_service(t).await,
            "hardening test",
            permissions,
            &bothy_app::RequestContext::default(),
        )
        .await
        .unwrap();
    (made.id, made.token)
}
