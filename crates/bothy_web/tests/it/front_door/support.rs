//! Shared helpers for the front-door tests: a person referring themself,
//! filling in the steps, and reading the queue, patients and messages.

use crate::helpers::{Client, Resp, TestApp};
use bothy_app::notify::OutgoingMessage;
use bothy_domain::ServiceId;
use bothy_domain::model::Patient;
use bothy_domain::referral::Referral;
use std::time::Duration;

pub(crate) const PHQ9_LOW: [i32; 9] = [1, 1, 1, 1, 1, 0, 0, 0, 0];
pub(crate) const GAD7_LOW: [i32; 7] = [1, 1, 1, 0, 0, 0, 0];
pub(super) const PASSWORD: &str = "a long and private password";

pub(super) fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub(super) async fn post(c: &Client, path: &str, fields: &[(String, String)]) -> Resp {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form(path, &pairs).await
}

/// Someone referring themself.
pub(crate) struct Person {
    pub(super) given: &'static str,
    pub(super) family: &'static str,
    pub(super) email: String,
    /// Day, month, year.
    pub(super) dob: (&'static str, &'static str, &'static str),
}

pub(crate) fn person(given: &'static str, family: &'static str, email: &str) -> Person {
    Person {
        given,
        family,
        email: email.into(),
        dob: ("14", "6", "1988"),
    }
}

/// The same person, for the test kit's fixtures.
pub(super) fn kit(p: &Person) -> bothy_testkit::Person {
    let mut k = bothy_testkit::Person::new(p.given, p.family, &p.email);
    k.dob = (
        p.dob.0.parse().unwrap(),
        p.dob.1.parse().unwrap(),
        p.dob.2.parse().unwrap(),
    );
    k
}

pub(super) fn about(p: &Person) -> Vec<(String, String)> {
    owned(&[
        ("given_name", p.given),
        ("family_name", p.family),
        ("dob_day", p.dob.0),
        ("dob_month", p.dob.1),
        ("dob_year", p.dob.2),
        ("email", &p.email),
        ("phone", ""),
        ("preferred_channel", "email"),
        ("language", ""),
        ("accessibility_needs", ""),
        ("nhs_number", ""),
        ("chi", ""),
        ("postcode", "EH1 1AA"),
    ])
}

pub(super) fn answers(id: &str, values: &[i32]) -> Vec<(String, String)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("{id}-{}", i + 1), v.to_string()))
        .collect()
}

/// Starts a self-referral to the demo service; returns the resume token.
pub(crate) async fn begin(c: &Client) -> String {
    let start = c.get("/refer").await.ok().has_crisis_panel();
    assert!(
        start.body.contains("Demo digital CBT service"),
        "{}",
        start.body
    );
    let r = post(c, "/refer", &owned(&[("service", "demo")])).await;
    let to = r
        .location()
        .expect("a redirect to the first step")
        .to_string();
    assert!(to.starts_with("/refer/") && to.ends_with("/about"), "{to}");
    to.split('/').nth(2).unwrap().to_string()
}

pub(super) async fn step(c: &Client, token: &str, step: &str, fields: &[(String, String)]) -> Resp {
    post(c, &format!("/refer/{token}/{step}"), fields).await
}

/// Fills in every step (asserting each moves on) up to the check page.
pub(super) async fn fill(c: &Client, token: &str, p: &Person, phq9: &[i32], gad7: &[i32]) {
    let next = |s: &str| format!("/refer/{token}/{s}");
    step(c, token, "about", &about(p))
        .await
        .redirects_to(&next("gp"));
    step(
        c,
        token,
        "gp",
        &owned(&[("gp_practice", "Riverside Medical Practice")]),
    )
    .await
    .redirects_to(&next("help"));
    step(
        c,
        token,
        "help",
        &owned(&[
            ("problem_text", "I have been feeling flat since the winter."),
            ("problems", "low_mood"),
            ("problems", "sleep"),
        ]),
    )
    .await
    .redirects_to(&next("questions"));
    let mut q = answers("phq9", phq9);
    q.extend(answers("gad7", gad7));
    step(c, token, "questions", &q)
        .await
        .redirects_to(&next("consent"));
    step(
        c,
        token,
        "consent",
        &owned(&[("treatment", "yes"), ("contact_email", "yes")]),
    )
    .await
    .redirects_to(&next("check"));
}

/// A whole self-referral, sent as a person would (slower than a script).
pub(crate) async fn self_refer(t: &TestApp, p: &Person, phq9: &[i32], gad7: &[i32]) -> Client {
    let c = t.client();
    let token = begin(&c).await;
    fill(&c, &token, p, phq9, gad7).await;
    c.get(&format!("/refer/{token}/check")).await.ok();
    t.clock.advance(Duration::from_secs(60));
    let sent = step(
        &c,
        &token,
        "check",
        &owned(&[("service", "demo"), ("website", "")]),
    )
    .await;
    assert!(
        sent.location()
            .is_some_and(|l| l.starts_with("/refer/sent?service=demo")),
        "{:?} {}",
        sent.location(),
        sent.body
    );
    c
}

pub(super) async fn demo_service(t: &TestApp) -> ServiceId {
    let mut tx = t.app.store().read().await.unwrap();
    let s = tx.service_by_slug("demo").await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    s.id
}

/// Referrals in the triage queue, in its order.
pub(super) async fn queue(t: &TestApp) -> Vec<Referral> {
    let service = demo_service(t).await;
    let mut tx = t.app.store().read().await.unwrap();
    let q = tx.triage_queue(service, 500).await.unwrap();
    tx.rollback().await.unwrap();
    q
}

pub(crate) async fn queued(t: &TestApp, email: &str) -> Vec<Referral> {
    queue(t)
        .await
        .into_iter()
        .filter(|r| r.details.email.as_deref() == Some(email))
        .collect()
}

pub(super) async fn referral(t: &TestApp, id: bothy_domain::ids::ReferralId) -> Referral {
    let mut tx = t.app.store().read().await.unwrap();
    let r = tx.referral(id).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    r
}

pub(super) async fn patients(t: &TestApp) -> Vec<Patient> {
    let service = demo_service(t).await;
    let mut tx = t.app.store().read().await.unwrap();
    let p = tx.patients_of_service(service, 1000).await.unwrap();
    tx.rollback().await.unwrap();
    p
}

/// The messages sent to `to` once the worker has run.
pub(super) async fn messages_to(t: &TestApp, to: &str) -> Vec<OutgoingMessage> {
    t.drain_jobs().await;
    t.outbox.sent().into_iter().filter(|m| m.to == to).collect()
}

/// Accepts a referral through the triage page; returns the activation token.
pub(crate) async fn accept(t: &TestApp, staff: &Client, r: &Referral, step: &str) -> String {
    let page = staff.get(&format!("/staff/referrals/{}", r.id)).await.ok();
    let practitioner = page.option_value("Sam Supporter");
    post(
        staff,
        &format!("/staff/referrals/{}/decision", r.id),
        &owned(&[
            ("decision", "accept"),
            ("step", step),
            ("practitioner", &practitioner),
        ]),
    )
    .await
    .redirects_to(&format!("/staff/referrals/{}?decided=1", r.id));
    let email = r.details.email.clone().unwrap();
    let messages = messages_to(t, &email).await;
    let activation = messages
        .iter()
        .find(|m| m.body.contains("/activate/"))
        .unwrap_or_else(|| panic!("no activation message to {email}: {messages:#?}"));
    let link = format!("{}/activate/", t.app.settings().public_url);
    let at = activation.body.find(&link).expect("an activation link") + link.len();
    activation.body[at..at + 64].to_string()
}

/// Activates an account and signs in with it; returns the patient's client.
pub(crate) async fn activate_and_sign_in(t: &TestApp, token: &str, email: &str) -> Client {
    let c = t.client();
    c.get(&format!("/activate/{token}")).await.ok();
    let done = post(
        &c,
        &format!("/activate/{token}"),
        &owned(&[
            ("email", email),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ]),
    )
    .await
    .ok()
    .has_crisis_panel();
    assert!(done.body.contains("Your account is ready"), "{}", done.body);
    c.get("/sign-in").await.ok();
    post(
        &c,
        "/sign-in",
        &owned(&[("email", email), ("password", PASSWORD)]),
    )
    .await
    .redirects_to("/home");
    c
}

/// A valid modulus-11 CHI number for a DDMMYY date.
pub(super) fn chi_for(ddmmyy: &str) -> String {
    for serial in 100..999 {
        let first: String = format!("{ddmmyy}{serial}");
        let sum: u32 = first
            .chars()
            .zip((2..=10).rev())
            .map(|(c, w)| c.to_digit(10).unwrap() * w)
            .sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => continue,
            c => c,
        };
        return format!("{first}{check}");
    }
    unreachable!()
}

pub(super) fn before(body: &str, first: &str, second: &str) -> bool {
    match (body.find(first), body.find(second)) {
        (Some(a), Some(b)) => a < b,
        _ => false,
    }
}
