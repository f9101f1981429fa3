//! Activation links cannot be used to ask whether an email address belongs
//! to someone: refusals are counted per link, which is used up after a few,
//! and attempts are limited per address.

use super::support::*;
use crate::both_dbs;
use crate::helpers::{Client, TestApp};
use bothy_domain::referral::Step;
use std::time::Duration;

both_dbs!(
    an_email_in_use_is_not_confirmed_and_tries_use_up_the_link,
    activation_attempts_are_limited_per_address,
);

/// An accepted self-referral's activation token (the referral and the
/// decision are not what these tests are about: made without pages).
async fn accepted(t: &TestApp, p: &Person) -> String {
    let r = t
        .fixtures()
        .self_referral(&kit(p), &PHQ9_LOW, &GAD7_LOW)
        .await;
    t.fixtures().accept(&r, Step::Programme).await
}

/// The patient record made for the person referred with `email`.
async fn queued_or_decided(t: &TestApp, email: &str) -> bothy_domain::PatientId {
    let mut tx = t.app.store().read().await.unwrap();
    let p = tx
        .patient_login(&bothy_domain::person::Email::parse(email).unwrap())
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    if let Some((p, _)) = p {
        return p.id;
    }
    patients(t)
        .await
        .into_iter()
        .find(|p| p.email.as_ref().is_some_and(|e| e.as_str() == email))
        .map(|p| p.id)
        .unwrap_or_else(|| panic!("no patient with {email}"))
}

/// The activation token in the newest message to `email`.
async fn new_link(t: &TestApp, email: &str) -> String {
    let messages = messages_to(t, email).await;
    let link = format!("{}/activate/", t.app.settings().public_url);
    let m = messages
        .iter()
        .rev()
        .find(|m| m.body.contains(&link))
        .unwrap_or_else(|| panic!("no activation message to {email}"));
    let at = m.body.find(&link).unwrap() + link.len();
    m.body[at..at + 64].to_string()
}

async fn try_email(c: &Client, token: &str, email: &str) -> crate::helpers::Resp {
    post(
        c,
        &format!("/activate/{token}"),
        &owned(&[
            ("email", email),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ]),
    )
    .await
}

async fn an_email_in_use_is_not_confirmed_and_tries_use_up_the_link(t: TestApp) {
    let p = person("Tam", "Tries", "tam@example.org");
    let token = accepted(&t, &p).await;
    let c = t.client();
    c.get(&format!("/activate/{token}")).await.ok();
    // Someone else's sign-in address: refused without saying it is anyone's.
    let taken = t.demo.patients[0].email.clone();
    for left in (1..=4).rev() {
        let r = try_email(&c, &token, &taken).await.status(422);
        for telling in ["already used", "another account", "belongs", "exists"] {
            assert!(!r.body.contains(telling), "{telling}: {}", r.body);
        }
        assert!(r.body.contains("href=\"#email\""), "{}", r.body);
        let times = if left == 1 { "time" } else { "times" };
        assert!(
            r.body.contains(&format!("{left} more {times}")),
            "{left}: {}",
            r.body
        );
    }
    // The fifth refusal uses the link up, and says how to get a new one.
    let r = try_email(&c, &token, &taken)
        .await
        .status(410)
        .has_crisis_panel();
    assert!(r.body.contains("new link"), "{}", r.body);
    assert!(r.body.contains("Demo digital CBT service"), "{}", r.body);
    let r = c
        .get(&format!("/activate/{token}"))
        .await
        .status(410)
        .has_crisis_panel();
    assert!(r.body.contains("new link"), "{}", r.body);
    // Not even the person's own, unused address works now.
    try_email(&c, &token, &p.email).await.status(410);
    // The service asks for a new link (bothy admin new-activation-link); it
    // comes by the same channel, and works.
    let patient = queued_or_decided(&t, &p.email).await;
    t.outbox.clear();
    let ctx = bothy_app::RequestContext::default();
    t.app.activation().new_link(patient, &ctx).await.unwrap();
    let fresh = new_link(&t, &p.email).await;
    assert_ne!(fresh, token);
    activate_and_sign_in(&t, &fresh, &p.email).await;
    try_email(&c, &token, &p.email).await.status(410);
    // Once the account is set up, there is no new link to send.
    assert!(t.app.activation().new_link(patient, &ctx).await.is_err());

    // Mistakes that carry no information (a mistyped confirmation) do not
    // count: another person's link survives them and still works.
    let q = person("Mhairi", "Mistyped", "mhairi@example.org");
    let token = accepted(&t, &q).await;
    let c = t.client();
    c.get(&format!("/activate/{token}")).await.ok();
    for _ in 0..6 {
        post(
            &c,
            &format!("/activate/{token}"),
            &owned(&[
                ("email", &q.email),
                ("password", PASSWORD),
                ("confirm", "not the same"),
            ]),
        )
        .await
        .status(422);
    }
    activate_and_sign_in(&t, &token, &q.email).await;
}

async fn activation_attempts_are_limited_per_address(t: TestApp) {
    let p = person("Ada", "Address", "ada@example.org");
    let token = accepted(&t, &p).await;
    let busy = t.client().seen_from("203.0.113.50");
    busy.get(&format!("/activate/{token}")).await.ok();
    let mismatched = owned(&[
        ("email", &p.email),
        ("password", PASSWORD),
        ("confirm", "not the same"),
    ]);
    for _ in 0..20 {
        post(&busy, &format!("/activate/{token}"), &mismatched)
            .await
            .status(422);
    }
    post(&busy, &format!("/activate/{token}"), &mismatched)
        .await
        .status(429)
        .has_crisis_panel();
    // Another address is not held back, and the limit refills.
    let other = t.client().seen_from("198.51.100.20");
    other.get(&format!("/activate/{token}")).await.ok();
    post(&other, &format!("/activate/{token}"), &mismatched)
        .await
        .status(422);
    t.clock.advance(Duration::from_secs(3600));
    post(&busy, &format!("/activate/{token}"), &mismatched)
        .await
        .status(422);
}
