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
