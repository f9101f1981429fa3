//! Floods from many addresses (issue 12, item 5): what an anonymous request
//! can make the server keep is bounded, limits hold per address (an IPv6
//! host counts as its /64), and every refusal is the 429 page with the
//! crisis contacts. The server-level flood (other people's p99 and memory
//! while it runs) is `crates/bothy/tests/flood.rs`.

use crate::both_dbs;
use crate::helpers::{Client, TestApp};
use bothy_app::throttle::{ANONYMOUS_SESSIONS_PER_ADDRESS, REFERRAL_STARTS_PER_HOUR};
use std::time::Duration;

both_dbs!(
    a_self_referral_flood_from_many_addresses_is_capped_and_refused_with_the_crisis_panel,
    page_loads_from_one_address_leave_a_bounded_number_of_sessions,
    never_sent_drafts_are_deleted_when_their_links_expire_unless_they_raised_an_alert,
);

/// Starts a self-referral as a new visitor from `ip`: the answer's status,
/// the visitor, and the first step's address when it started.
async fn start_from(t: &TestApp, ip: &str) -> (u16, Client, String) {
    let c = t.client().seen_from(ip);
    c.get("/refer").await.ok();
    let r = c.post_form("/refer", &[("service", "demo")]).await;
    if r.status.as_u16() == 429 {
        r.has_crisis_panel();
        return (429, c, String::new());
    }
    let r = r.status(303);
    let at = r.location().unwrap().to_string();
    (303, c, at)
}

fn v4(n: u32) -> String {
    std::net::Ipv4Addr::from(0x0a00_0000 + n).to_string()
}

async fn a_self_referral_flood_from_many_addresses_is_capped_and_refused_with_the_crisis_panel(
    t: TestApp,
) {
    // One IPv6 host picks a new address in its /64 for every try: it is one
    // address to the limits (30 drafts an hour).
    let mut host = 0;
    for n in 0..31 {
        if start_from(&t, &format!("2001:db8:7:7::{:x}", n + 1))
            .await
            .0
            == 303
        {
            host += 1;
        }
    }
    assert_eq!(host, 30, "an IPv6 /64 gets one address's allowance");
    // Many addresses, a draft each: all of them together are capped.
    let cap = REFERRAL_STARTS_PER_HOUR - 30;
    let mut started = 0;
    let mut refused = 0;
    for n in 0..cap + 40 {
        match start_from(&t, &v4(n)).await.0 {
            303 => started += 1,
            _ => refused += 1,
        }
    }
    assert_eq!(started, cap, "drafts from all addresses are capped");
    assert_eq!(refused, 40);
    let drafts = t
        .count("SELECT COUNT(*) FROM referrals WHERE status = $1", "draft")
        .await;
    assert_eq!(
        drafts,
        i64::from(REFERRAL_STARTS_PER_HOUR),
        "nothing beyond the cap was kept"
    );
    // An hour on, people can start again.
    t.clock.advance(Duration::from_secs(3600));
    assert_eq!(start_from(&t, &v4(99_999)).await.0, 303);
}

async fn page_loads_from_one_address_leave_a_bounded_number_of_sessions(t: TestApp) {
    let before = t
        .count("SELECT COUNT(*) FROM sessions WHERE data <> $1", "")
        .await;
    let mut last = None;
    for _ in 0..ANONYMOUS_SESSIONS_PER_ADDRESS + 10 {
        // A new visitor each time: no cookie, so the page makes a session.
        let c = t.client().seen_from("198.51.100.7");
        c.get("/sign-in").await.ok().has_crisis_panel();
        last = Some(c);
    }
    let made = t
        .count("SELECT COUNT(*) FROM sessions WHERE data <> $1", "")
        .await
        - before;
    assert_eq!(made, i64::from(ANONYMOUS_SESSIONS_PER_ADDRESS));
    // The visitor past the limit got the page; its form asks them to try
    // again (a clear 403, never a 500), and after a while it works.
    let s = t.staff("analyst").clone();
    let late = last.unwrap();
    let r = late
        .post_form(
            "/sign-in",
            &[("email", &s.email), ("password", &s.password)],
        )
        .await
        .status(403);
    assert!(r.body.contains("This form has expired"), "{}", r.body);
    // Another address is not affected.
    let other = t.client().seen_from("198.51.100.8");
    other.get("/sign-in").await.ok();
    other
        .post_form(
            "/sign-in",
            &[("email", &s.email), ("password", &s.password)],
        )
        .await
        .status(303);
    t.clock.advance(Duration::from_secs(600));
    let again = t.client().seen_from("198.51.100.7");
    again.get("/sign-in").await.ok();
    again
        .post_form(
            "/sign-in",
            &[("email", &s.email), ("password", &s.password)],
        )
        .await
        .status(303);
}

async fn never_sent_drafts_are_deleted_when_their_links_expire_unless_they_raised_an_alert(
    t: TestApp,
) {
    let (_, abandoned, abandoned_at) = start_from(&t, "192.0.2.1").await;
    // A draft whose risk answer raised an alert is a clinical record.
    let (_, risky, risky_at) = start_from(&t, "192.0.2.2").await;
    let token = risky_at.split('/').nth(2).unwrap().to_string();
    risky
        .post_form(&format!("/refer/{token}/questions"), &[("phq9-9", "3")])
        .await
        .status(422)
        .has_crisis_panel();
    t.clock.advance(Duration::from_secs(20 * 86_400));
    let (_, recent, recent_at) = start_from(&t, "192.0.2.3").await;
    t.clock.advance(Duration::from_secs(10 * 86_400 + 60));
    let report = t.drain_jobs().await;
    assert_eq!(report.drafts_deleted, 1, "{report:?}");
    abandoned.get(&abandoned_at).await.status(404);
    recent.get(&recent_at).await.ok();
    // Kept for the clinicians, though its link has expired; the page says
    // how to go on.
    let gone = risky.get(&risky_at).await.status(410).has_crisis_panel();
    assert!(
        gone.body.contains("start a new referral at"),
        "{}",
        gone.body
    );
    let drafts = t
        .count("SELECT COUNT(*) FROM referrals WHERE status = $1", "draft")
        .await;
    assert_eq!(drafts, 2, "the draft with an alert and the recent one stay");
}
