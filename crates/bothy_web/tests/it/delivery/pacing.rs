//! Reminders wait out the service's quiet hours (21:00 to 08:00, London
//! time with daylight saving) and its limits per address (3 an hour, 10 a
//! day); what answers a person's own step, and the duty team's alerts, never
//! wait. A reminder that waits is not a failed attempt.

use crate::both_dbs;
use crate::helpers::TestApp;
use bothy_app::jobs::{IdempotencyKey, MessageTemplate, Notification, Recipient};
use bothy_domain::ServiceId;
use bothy_domain::person::Email;
use std::time::Duration;

both_dbs!(
    a_reminder_at_night_waits_for_the_morning_and_an_account_link_does_not,
    reminders_to_one_address_wait_when_over_its_limit_and_go_later,
);

fn at(s: &str) -> bothy_domain::time::Timestamp {
    s.parse().unwrap()
}

async fn service(t: &TestApp) -> ServiceId {
    let mut tx = t.app.store().read().await.unwrap();
    let id = tx
        .service_by_slug(bothy_app::demo::DEMO_SLUG)
        .await
        .unwrap()
        .unwrap()
        .id;
    tx.rollback().await.unwrap();
    id
}

async fn queue(t: &TestApp, key: &str, to: &str, template: MessageTemplate) {
    let link = template
        .needs_link()
        .then(|| format!("{}/sign-in", t.app.settings().public_url));
    let n = Notification {
        to: Recipient::Email(Email::parse(to).unwrap()),
        template,
        link,
        service: Some(service(t).await),
        patient: None,
        appointment: None,
    };
    let mut tx = t.app.store().begin().await.unwrap();
    let key = IdempotencyKey::new(key).unwrap();
    t.app
        .jobs()
        .enqueue_notification(&mut tx, &key, n)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// Runs the worker; a job due later may stay queued.
async fn run(t: &TestApp) -> bothy_jobs::Report {
    let mut total = bothy_jobs::Report::default();
    for _ in 0..3 {
        total += bothy_jobs::run_once(&t.app).await.unwrap();
    }
    total
}

fn sent_to(t: &TestApp, to: &str) -> usize {
    t.outbox.sent().iter().filter(|m| m.to == to).count()
}

async fn a_reminder_at_night_waits_for_the_morning_and_an_account_link_does_not(t: TestApp) {
    // 22:30 in November is 22:30 in London.
    t.clock.set(at("2026-11-17T22:30:00Z"));
    queue(
        &t,
        "night.reminder",
        "night@example.org",
        MessageTemplate::MeasureDue,
    )
    .await;
    queue(
        &t,
        "night.activation",
        "link@example.org",
        MessageTemplate::Activation,
    )
    .await;
    let report = run(&t).await;
    assert_eq!(
        sent_to(&t, "link@example.org"),
        1,
        "an account link goes at once"
    );
    assert_eq!(sent_to(&t, "night@example.org"), 0);
    assert_eq!(report.jobs_deferred, 1);
    let job = t.job("night.reminder").await.unwrap();
    assert_eq!(job.run_at, at("2026-11-18T08:00:00Z"));
    assert_eq!(job.attempts, 0, "waiting is not a failed attempt");
    t.clock.set(at("2026-11-18T07:59:00Z"));
    run(&t).await;
    assert_eq!(sent_to(&t, "night@example.org"), 0);
    t.clock.set(at("2026-11-18T08:00:00Z"));
    run(&t).await;
    assert_eq!(sent_to(&t, "night@example.org"), 1);
    // In summer the same local hours are an hour earlier in UTC.
    t.clock.set(at("2027-06-01T20:30:00Z"));
    queue(
        &t,
        "summer.reminder",
        "night@example.org",
        MessageTemplate::NewFeedback,
    )
    .await;
    run(&t).await;
    assert_eq!(
        t.job("summer.reminder").await.unwrap().run_at,
        at("2027-06-02T07:00:00Z")
    );
}

async fn reminders_to_one_address_wait_when_over_its_limit_and_go_later(t: TestApp) {
    let to = "busy@example.org";
    for n in 0..5 {
        queue(&t, &format!("busy.{n}"), to, MessageTemplate::NewMessage).await;
    }
    run(&t).await;
    assert_eq!(sent_to(&t, to), 3, "three an hour");
    t.clock.advance(Duration::from_secs(30 * 60));
    run(&t).await;
    assert_eq!(sent_to(&t, to), 3, "still within the hour");
    t.clock.advance(Duration::from_secs(31 * 60));
    run(&t).await;
    assert_eq!(sent_to(&t, to), 5, "the rest an hour on");
    // Another address is not held by this one's limit.
    queue(
        &t,
        "other.0",
        "other@example.org",
        MessageTemplate::NewMessage,
    )
    .await;
    run(&t).await;
    assert_eq!(sent_to(&t, "other@example.org"), 1);
}
