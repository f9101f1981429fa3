//! Behind a TLS proxy every request comes from the proxy's address. The
//! limits per address then count the address the proxy says it forwarded
//! for, but only from a proxy the configuration trusts: anyone else's
//! X-Forwarded-For is ignored, so it cannot be used to dodge a limit.

use crate::both_dbs;
use crate::helpers::{Client, TestApp};
use bothy_web::WebSettings;

both_dbs!(
    limits_count_the_address_a_trusted_proxy_forwarded_for,
    forwarded_addresses_from_anyone_else_are_ignored,
);

const PROXY: &str = "127.0.0.1";

async fn attempt(c: &Client, email: &str, password: &str) -> u16 {
    c.get("/sign-in").await.ok();
    c.post_form("/sign-in", &[("email", email), ("password", password)])
        .await
        .status
        .as_u16()
}

async fn limits_count_the_address_a_trusted_proxy_forwarded_for(t: TestApp) {
    let router = bothy_web::router(
        t.app.clone(),
        WebSettings {
            trusted_proxies: vec![PROXY.parse().unwrap()],
            ..WebSettings::default()
        },
    );
    let s = t.staff("analyst").clone();
    let via = |client: &str| {
        t.client_of(router.clone())
            .seen_from(PROXY)
            // A client may send its own header; the proxy appends the address it saw.
            .with_header("x-forwarded-for", &format!("192.0.2.99, {client}"))
    };
    let guesser = via("203.0.113.1");
    for _ in 0..5 {
        assert_eq!(attempt(&guesser, &s.email, "a guess").await, 401);
    }
    assert_eq!(attempt(&guesser, &s.email, &s.password).await, 429);
    // Someone else behind the same proxy is not held back by it.
    let owner = via("203.0.113.2");
    assert_eq!(attempt(&owner, &s.email, &s.password).await, 303);
}

async fn forwarded_addresses_from_anyone_else_are_ignored(t: TestApp) {
    let s = t.staff("analyst").clone();
    // No proxy is trusted (the default): the header changes nothing.
    for i in 0..5 {
        let c = t
            .client()
            .seen_from("198.51.100.1")
            .with_header("x-forwarded-for", &format!("203.0.113.{i}"));
        assert_eq!(attempt(&c, &s.email, "a guess").await, 401);
    }
    let c = t
        .client()
        .seen_from("198.51.100.1")
        .with_header("x-forwarded-for", "203.0.113.200");
    assert_eq!(attempt(&c, &s.email, &s.password).await, 429);
}
