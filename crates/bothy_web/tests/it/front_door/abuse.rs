//! Abuse protection on the self-referral form: automated sends and
//! double posts.

use super::support::*;
use crate::both_dbs;
use crate::helpers::{Resp, TestApp};
use bothy_domain::referral::Status;
use std::time::Duration;

both_dbs!(
    automated_sends_are_held_back_but_look_the_same,
    a_double_posted_send_creates_one_referral,
);

async fn automated_sends_are_held_back_but_look_the_same(t: TestApp) {
    // A script fills in the hidden field.
    let bot = t.client();
    let token = begin(&bot).await;
    let p = person("Robo", "Filler", "robo@example.org");
    fill(&bot, &token, &p, &PHQ9_LOW, &GAD7_LOW).await;
    t.clock.advance(Duration::from_secs(60));
    let held = step(
        &bot,
        &token,
        "check",
        &owned(&[("service", "demo"), ("website", "http://spam.example")]),
    )
    .await
    .redirects_to("/refer/sent?service=demo");
    let held_page = bot.get(held.location().unwrap()).await.ok();
    assert!(held_page.body.contains("Your referral has been sent"));
    // Kept, but not sent, and nobody is messaged.
    let draft = t.app.referrals().draft(&token).await.unwrap();
    assert_eq!(draft.status, Status::Draft);
    assert!(queued(&t, &p.email).await.is_empty());
    assert!(messages_to(&t, &p.email).await.is_empty());

    // A script that fills in every step faster than a person could.
    let fast = t.client();
    let token = begin(&fast).await;
    let p = person("Speedy", "Script", "speedy@example.org");
    fill(&fast, &token, &p, &PHQ9_LOW, &GAD7_LOW).await;
    let too_fast = step(
        &fast,
        &token,
        "check",
        &owned(&[("service", "demo"), ("website", "")]),
    )
    .await;
    assert_eq!(too_fast.status, held.status);
    assert_eq!(too_fast.location(), held.location());
    let page = fast.get(too_fast.location().unwrap()).await.ok();
    assert_eq!(
        page.body.replace(&request_id(&page), ""),
        held_page.body.replace(&request_id(&held_page), ""),
        "the page looks exactly the same"
    );
    let draft = t.app.referrals().draft(&token).await.unwrap();
    assert_eq!(draft.status, Status::Draft);
    assert!(queued(&t, &p.email).await.is_empty());
}

fn request_id(r: &Resp) -> String {
    r.headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("no id")
        .to_string()
}

async fn a_double_posted_send_creates_one_referral(t: TestApp) {
    let c = t.client();
    let token = begin(&c).await;
    let p = person("Double", "Click", "double.click@example.org");
    fill(&c, &token, &p, &PHQ9_LOW, &GAD7_LOW).await;
    c.get(&format!("/refer/{token}/check")).await.ok();
    t.clock.advance(Duration::from_secs(60));
    let form = owned(&[("service", "demo"), ("website", "")]);
    let first = step(&c, &token, "check", &form).await;
    let second = step(&c, &token, "check", &form).await;
    assert_eq!(first.location(), Some("/refer/sent?service=demo"));
    assert_eq!(first.location(), second.location());
    assert_eq!(queued(&t, &p.email).await.len(), 1);
    assert_eq!(messages_to(&t, &p.email).await.len(), 1);
}
