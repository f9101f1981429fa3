//! The job queue and notifications: enqueued with the change that causes
//! them, run once by whichever worker claims them, retried with back-off,
//! and never containing anything but fixed text and a link.

use crate::both_dbs;
use crate::helpers::{CRISIS, TestApp};
use bothy_app::jobs::{IdempotencyKey, Job, MAX_ATTEMPTS, retry_delay};
use bothy_app::notify::{
    Channel, Delivery, FileOutbox, MemoryOutbox, MessageTemplate, Notification, Notifier,
    OutgoingMessage, Recipient, SendError,
};
use bothy_app::{App, AppError, Clock};
use bothy_domain::crisis::CrisisContacts;
use bothy_domain::person::{Email, PhoneNumber};
use bothy_store::{JobState, NewJob};
use std::sync::Arc;
use std::time::Duration;

both_dbs!(
    a_job_in_a_rolled_back_transaction_never_runs,
    an_enqueued_notification_is_sent_once,
    a_job_waits_for_its_time,
    a_duplicate_key_is_queued_once,
    a_failing_send_is_retried_with_back_off,
    a_send_that_keeps_failing_fails_after_the_last_attempt,
    a_refused_address_fails_at_once,
    concurrent_workers_never_run_a_job_twice,
    an_expired_lease_is_claimed_again,
    a_lease_that_runs_out_on_the_last_attempt_fails_the_job,
    the_outbox_file_holds_only_the_fixed_text_and_the_link,
    jobs_that_could_not_run_well_are_refused,
    finished_jobs_are_deleted_after_a_month,
    periodic_tasks_run_once_a_period_however_many_workers_ask,
);

fn key(k: &str) -> IdempotencyKey {
    IdempotencyKey::new(k).unwrap()
}

fn email_to(address: &str, template: MessageTemplate, link: Option<String>) -> Notification {
    Notification {
        to: Recipient::Email(Email::parse(address).unwrap()),
        template,
        link,
        service: None,
        patient: None,
        appointment: None,
    }
}

fn link(t: &TestApp, path: &str) -> String {
    format!("{}{path}", t.app.settings().public_url)
}

/// Queues one message in its own transaction; true when it was queued.
async fn enqueue(t: &TestApp, k: &str, n: Notification) -> bool {
    let mut tx = t.app.store().begin().await.unwrap();
    let queued = t
        .app
        .jobs()
        .enqueue_notification(&mut tx, &key(k), n)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    queued
}

async fn state(t: &TestApp, k: &str) -> bothy_store::JobRecord {
    t.job(k).await.expect("the job exists")
}

async fn a_job_in_a_rolled_back_transaction_never_runs(t: TestApp) {
    let mut tx = t.app.store().begin().await.unwrap();
    let queued = t
        .app
        .jobs()
        .enqueue_notification(
            &mut tx,
            &key("rolled-back.1"),
            email_to("person@example.org", MessageTemplate::MeasureDue, None),
        )
        .await
        .unwrap();
    assert!(queued);
    tx.rollback().await.unwrap();
    let report = t.drain_jobs().await;
    assert_eq!(report.jobs_done, 0);
    assert!(t.job("rolled-back.1").await.is_none());
    assert_eq!(t.outbox.sends(), 0);
}

async fn an_enqueued_notification_is_sent_once(t: TestApp) {
    let to = "person@example.org";
    let l = link(&t, "/measures");
    assert!(
        enqueue(
            &t,
            "measure-due.1",
            email_to(to, MessageTemplate::MeasureDue, Some(l.clone()))
        )
        .await
    );
    // Nothing is sent in the request: the worker sends it.
    assert_eq!(t.outbox.sends(), 0);
    let queued = state(&t, "measure-due.1").await;
    assert_eq!(
        (queued.state, queued.attempts, queued.max_attempts),
        (JobState::Queued, 0, MAX_ATTEMPTS)
    );
    assert_eq!(queued.kind, "notify");

    let report = t.drain_jobs().await;
    assert_eq!(
        (report.jobs_done, report.jobs_retried, report.jobs_failed),
        (1, 0, 0)
    );
    let sent = t.outbox.sent();
    assert_eq!(sent.len(), 1);
    let m = &sent[0];
    assert_eq!(m.idempotency_key.as_str(), "measure-due.1");
    assert_eq!((m.channel, m.to.as_str()), (Channel::Email, to));
    // A message of no service names the deployment.
    let sender = bothy_app::notify::Sender {
        name: "Bothy".into(),
        contact: t.app.settings().public_url.clone(),
    };
    let rendered = MessageTemplate::MeasureDue.render(Channel::Email, Some(&l), &sender);
    assert_eq!(
        (&m.subject, &m.body, &m.html),
        (&rendered.subject, &rendered.body, &rendered.html)
    );
    assert_eq!(m.created_at, t.clock.now());

    let done = state(&t, "measure-due.1").await;
    assert_eq!((done.state, done.attempts), (JobState::Done, 1));
    assert_eq!(done.finished_at, Some(t.clock.now()));
    assert_eq!(
        (done.locked_by, done.locked_until, done.last_error),
        (None, None, None)
    );

    // Later passes do not touch it again.
    t.clock.advance(Duration::from_secs(24 * 3600));
    assert_eq!(t.drain_jobs().await.jobs_done, 0);
    assert_eq!(t.outbox.sends(), 1);
}

async fn a_job_waits_for_its_time(t: TestApp) {
    let job = Job::Notify(email_to(
        "person@example.org",
        MessageTemplate::MeasureDue,
        None,
    ));
    let at = t
        .clock
        .now()
        .checked_add(Duration::from_secs(3600))
        .unwrap();
    let mut tx = t.app.store().begin().await.unwrap();
    assert!(
        t.app
            .jobs()
            .enqueue_at(&mut tx, &key("later.1"), &job, at)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    t.clock.advance(Duration::from_secs(3599));
    assert_eq!(bothy_jobs::run_once(&t.app).await.unwrap().jobs_done, 0);
    assert_eq!(state(&t, "later.1").await.state, JobState::Queued);
    t.clock.advance(Duration::from_secs(1));
    assert_eq!(t.drain_jobs().await.jobs_done, 1);
    assert_eq!(t.outbox.sent().len(), 1);
}

async fn a_duplicate_key_is_queued_once(t: TestApp) {
    let n = || {
        email_to(
            "person@example.org",
            MessageTemplate::ReferralReceived,
            None,
        )
    };
    // Twice in one transaction, and again in another.
    let mut tx = t.app.store().begin().await.unwrap();
    assert!(
        t.app
            .jobs()
            .enqueue_notification(&mut tx, &key("received.1"), n())
            .await
            .unwrap()
    );
    assert!(
        !t.app
            .jobs()
            .enqueue_notification(&mut tx, &key("received.1"), n())
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    assert!(!enqueue(&t, "received.1", n()).await);
    assert_eq!(t.drain_jobs().await.jobs_done, 1);
    // Even once it is done, the same key is not queued again.
    assert!(!enqueue(&t, "received.1", n()).await);
    assert_eq!(t.drain_jobs().await.jobs_done, 0);
    assert_eq!((t.outbox.sent().len(), t.outbox.sends()), (1, 1));
    // The key is per job, not per recipient or message.
    assert!(enqueue(&t, "received.2", n()).await);
    t.drain_jobs().await;
    assert_eq!(t.outbox.sent().len(), 2);
}

async fn a_failing_send_is_retried_with_back_off(t: TestApp) {
    let k = "decision.retry";
    let l = link(&t, "/referral");
    assert!(
        enqueue(
            &t,
            k,
            email_to(
                "person@example.org",
                MessageTemplate::ReferralDecision,
                Some(l)
            )
        )
        .await
    );
    t.outbox
        .set_failure(Some(SendError::Temporary("gateway unavailable".into())));
    for attempt in 1..=3 {
        let report = bothy_jobs::run_once(&t.app).await.unwrap();
        assert_eq!(
            (report.jobs_retried, report.jobs_done),
            (1, 0),
            "attempt {attempt}"
        );
        let job = state(&t, k).await;
        let delay = retry_delay(attempt);
        assert_eq!(job.state, JobState::Queued);
        assert_eq!(job.attempts, attempt);
        assert_eq!(job.last_error.as_deref(), Some("gateway unavailable"));
        assert_eq!(job.run_at, t.clock.now().checked_add(delay).unwrap());
        // Not before its time.
        t.clock.advance(delay - Duration::from_secs(1));
        assert_eq!(bothy_jobs::run_once(&t.app).await.unwrap().jobs_retried, 0);
        assert_eq!(t.outbox.sends(), attempt as usize);
        t.clock.advance(Duration::from_secs(1));
    }
    assert_eq!(
        [1, 2, 3].map(|a| retry_delay(a).as_secs() / 60),
        [1, 5, 30],
        "back-off: 1 minute, 5 minutes, 30 minutes"
    );
    // The gateway recovers: the fourth attempt sends it, once.
    t.outbox.set_failure(None);
    assert_eq!(t.drain_jobs().await.jobs_done, 1);
    let job = state(&t, k).await;
    assert_eq!((job.state, job.attempts), (JobState::Done, 4));
    assert_eq!(t.outbox.sent().len(), 1);
}

async fn a_send_that_keeps_failing_fails_after_the_last_attempt(t: TestApp) {
    let k = "decision.fails";
    assert!(
        enqueue(
            &t,
            k,
            email_to(
                "person@example.org",
                MessageTemplate::ReferralDecision,
                None
            )
        )
        .await
    );
    t.outbox
        .set_failure(Some(SendError::Temporary("gateway unavailable".into())));
    let mut waited = Duration::ZERO;
    for attempt in 1..=MAX_ATTEMPTS {
        let report = bothy_jobs::run_once(&t.app).await.unwrap();
        let job = state(&t, k).await;
        assert_eq!(job.attempts, attempt);
        if attempt < MAX_ATTEMPTS {
            assert_eq!((report.jobs_retried, job.state), (1, JobState::Queued));
            t.clock.advance(retry_delay(attempt));
            waited += retry_delay(attempt);
        } else {
            assert_eq!((report.jobs_failed, job.state), (1, JobState::Failed));
            assert_eq!(job.last_error.as_deref(), Some("gateway unavailable"));
            assert_eq!(job.finished_at, Some(t.clock.now()));
        }
    }
    assert!(
        waited > Duration::from_secs(24 * 3600),
        "retries span more than a day: {waited:?}"
    );
    // Given up: not tried again, even when the gateway recovers.
    t.outbox.set_failure(None);
    t.clock.advance(Duration::from_secs(7 * 24 * 3600));
    assert_eq!(t.drain_jobs().await.jobs_done, 0);
    assert_eq!(t.outbox.sends(), MAX_ATTEMPTS as usize);
    assert!(t.outbox.sent().is_empty());
}

async fn a_refused_address_fails_at_once(t: TestApp) {
    assert!(
        enqueue(
            &t,
            "refused.1",
            email_to("person@example.org", MessageTemplate::MeasureDue, None)
        )
        .await
    );
    t.outbox
        .set_failure(Some(SendError::Permanent("mailbox does not exist".into())));
    let report = bothy_jobs::run_once(&t.app).await.unwrap();
    assert_eq!((report.jobs_failed, report.jobs_retried), (1, 0));
    let job = state(&t, "refused.1").await;
    assert_eq!((job.state, job.attempts), (JobState::Failed, 1));
    assert_eq!(
        job.last_error.as_deref(),
        Some("refused: mailbox does not exist")
    );
}

/// A second app on its own connection pool: another worker process.
async fn other_worker(t: &TestApp, outbox: &MemoryOutbox) -> App {
    t.worker_sending_by(Arc::new(outbox.clone())).await
}

async fn concurrent_workers_never_run_a_job_twice(t: TestApp) {
    const ROUNDS: usize = 5;
    const JOBS: usize = 40;
    // Four workers at once: two in this process, two on their own pools
    // (as other processes would be), all sending to one outbox.
    let a = Arc::new(other_worker(&t, &t.outbox).await);
    let b = Arc::new(other_worker(&t, &t.outbox).await);
    for round in 0..ROUNDS {
        let mut tx = t.app.store().begin().await.unwrap();
        for i in 0..JOBS {
            // Not a reminder: five rounds to one address stay within no limit.
            let n = email_to(
                &format!("person{i}@example.org"),
                MessageTemplate::ReferralReceived,
                None,
            );
            let k = key(&format!("many.{round}.{i}"));
            assert!(
                t.app
                    .jobs()
                    .enqueue_notification(&mut tx, &k, n)
                    .await
                    .unwrap()
            );
        }
        tx.commit().await.unwrap();
        let start = Arc::new(tokio::sync::Barrier::new(4));
        let runs: Vec<_> = [t.app.clone(), t.app.clone(), a.clone(), b.clone()]
            .into_iter()
            .map(|app| {
                let start = start.clone();
                tokio::spawn(async move {
                    start.wait().await;
                    bothy_jobs::run_once(&app).await.unwrap()
                })
            })
            .collect();
        let mut done = 0;
        for run in runs {
            let r = run.await.unwrap();
            assert_eq!(
                (r.leases_lost, r.jobs_retried, r.jobs_failed),
                (0, 0, 0),
                "{r:?}"
            );
            done += r.jobs_done as usize;
        }
        assert_eq!(
            done, JOBS,
            "round {round}: every job done by exactly one worker"
        );
    }
    let total = ROUNDS * JOBS;
    assert_eq!(t.outbox.sends(), total, "no job was sent twice");
    let mut keys: Vec<String> = t
        .outbox
        .sent()
        .iter()
        .map(|m| m.idempotency_key.to_string())
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), total);
    let mut tx = t.app.store().read().await.unwrap();
    let counts = tx.count_jobs().await.unwrap();
    tx.rollback().await.unwrap();
    // Besides the messages, the first period's four periodic tasks, each
    // queued once and run once however many workers asked for them.
    assert_eq!(
        (counts.done, counts.queued, counts.running),
        (total as u64 + 4, 0, 0)
    );
    a.store().close().await;
    b.store().close().await;
}

async fn an_expired_lease_is_claimed_again(t: TestApp) {
    let k = "received.lease";
    assert!(
        enqueue(
            &t,
            k,
            email_to(
                "person@example.org",
                MessageTemplate::ReferralReceived,
                None
            )
        )
        .await
    );
    // A worker claims the job, sends the message, and dies before recording it.
    let mut tx = t.app.store().begin().await.unwrap();
    let claimed = tx
        .claim_jobs("doomed", t.clock.now(), bothy_jobs::LEASE, 10)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(claimed.len(), 1);
    let stale = claimed[0].clone();
    let job = Job::decode(&stale.kind, &stale.payload).unwrap();
    t.app.jobs().perform(&key(k), &job).await.unwrap();
    assert_eq!(state(&t, k).await.state, JobState::Running);

    // While the lease lasts, no other worker takes it.
    t.clock.advance(bothy_jobs::LEASE - Duration::from_secs(1));
    assert_eq!(bothy_jobs::run_once(&t.app).await.unwrap().jobs_done, 0);
    assert_eq!(t.outbox.sends(), 1);

    // Once it runs out, the job is claimed and run again; the outbox knows the key.
    t.clock.advance(Duration::from_secs(1));
    let report = t.drain_jobs().await;
    assert_eq!(report.jobs_done, 1);
    let job = state(&t, k).await;
    assert_eq!((job.state, job.attempts), (JobState::Done, 2));
    // The send was recorded by its key, so the outbox is not even asked.
    assert_eq!(
        (t.outbox.sends(), t.outbox.sent().len()),
        (1, 1),
        "sent once"
    );

    // The first worker comes back: its claim no longer counts.
    let mut tx = t.app.store().begin().await.unwrap();
    assert!(!tx.complete_job(&stale, t.clock.now()).await.unwrap());
    assert!(!tx.retry_job(&stale, t.clock.now(), "late").await.unwrap());
    assert!(!tx.fail_job(&stale, t.clock.now(), "late").await.unwrap());
    assert!(!tx.release_job(&stale).await.unwrap());
    tx.commit().await.unwrap();
    let job = state(&t, k).await;
    assert_eq!(
        (job.state, job.attempts, job.last_error),
        (JobState::Done, 2, None)
    );
}

async fn a_lease_that_runs_out_on_the_last_attempt_fails_the_job(t: TestApp) {
    let payload = Job::Notify(email_to(
        "person@example.org",
        MessageTemplate::MeasureDue,
        None,
    ))
    .encode()
    .unwrap();
    let mut tx = t.app.store().begin().await.unwrap();
    let new = NewJob {
        kind: &payload.0,
        payload: &payload.1,
        idempotency_key: "one-try.1",
        run_at: t.clock.now(),
        max_attempts: 1,
    };
    assert!(tx.enqueue_job(&new, t.clock.now()).await.unwrap());
    let claimed = tx
        .claim_jobs("doomed", t.clock.now(), bothy_jobs::LEASE, 10)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(claimed.len(), 1);
    t.clock.advance(bothy_jobs::LEASE);
    let report = t.drain_jobs().await;
    assert_eq!((report.jobs_failed, report.jobs_done), (1, 0));
    let job = state(&t, "one-try.1").await;
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(
        job.last_error.as_deref(),
        Some("the worker stopped during the last attempt")
    );
    assert_eq!(t.outbox.sends(), 0);
}

async fn the_outbox_file_holds_only_the_fixed_text_and_the_link(t: TestApp) {
    let dir = std::env::temp_dir().join(format!("bothy-outbox-{}", uuid_like()));
    let file_app = App::new(
        t.app.store().clone(),
        Arc::new(t.clock.clone()),
        t.app.settings().clone(),
        CrisisContacts::parse(CRISIS).unwrap(),
    )
    .with_notifier(Arc::new(FileOutbox::new(&dir)));
    // A patient with a record full of clinical detail: none of it may travel.
    let patient = &t.demo.patients[0];
    let activation = link(&t, "/activate/Zm9vYmFyYmF6cXV4cXV1eHh5enp5");
    let decision = link(&t, "/referral");
    let mut tx = t.app.store().begin().await.unwrap();
    for (k, n) in [
        (
            "activation.file",
            email_to(
                &patient.email,
                MessageTemplate::Activation,
                Some(activation.clone()),
            ),
        ),
        (
            "decision.file",
            Notification {
                to: Recipient::Sms(PhoneNumber::parse("07700 900123").unwrap()),
                template: MessageTemplate::ReferralDecision,
                link: Some(decision.clone()),
                service: None,
                patient: None,
                appointment: None,
            },
        ),
    ] {
        assert!(
            file_app
                .jobs()
                .enqueue_notification(&mut tx, &key(k), n)
                .await
                .unwrap()
        );
    }
    tx.commit().await.unwrap();
    let report = bothy_jobs::run_once(&file_app).await.unwrap();
    assert_eq!(report.jobs_done, 2);

    let read = |k: &str| {
        let text = std::fs::read_to_string(dir.join(format!("{k}.json"))).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let fields: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "body",
                "channel",
                "created_at",
                "html",
                "idempotency_key",
                "sender_name",
                "subject",
                "to"
            ],
            "{text}"
        );
        let m: OutgoingMessage = serde_json::from_value(v).unwrap();
        (text, m)
    };
    let (text, mail) = read("activation.file");
    assert_eq!(mail.channel, Channel::Email);
    assert_eq!(mail.to, patient.email);
    assert_eq!(mail.subject.as_deref(), Some("Set up your account"));
    assert_eq!(
        mail.body,
        format!(
            "Set up your account with this link. It works once, for a limited time:\n\n{activation}\n\n\
             To contact Bothy: {}\n\n\
             This message was sent automatically. Replies are not read.\n",
            t.app.settings().public_url
        )
    );
    assert_eq!(mail.created_at, t.clock.now());
    assert!(!text.contains(&patient.name), "no name in {text}");

    let (text, sms) = read("decision.file");
    assert_eq!(
        (sms.channel, sms.to.as_str(), sms.subject),
        (Channel::Sms, "+447700900123", None)
    );
    assert_eq!(
        sms.body,
        format!(
            "Bothy: There is an update about your referral. Follow the link to read it: {decision}"
        )
    );
    assert!(bothy_domain::gsm7::septets(&sms.body).is_some_and(|n| n <= 160));
    for word in [
        "phq", "gad", "depress", "anxi", "risk", "score", "suicid", "harm", "declin", "accept",
    ] {
        assert!(!text.to_lowercase().contains(word), "{word} in {text}");
    }

    // Run again (as after a worker died): the files are not rewritten.
    let before = std::fs::read_to_string(dir.join("decision.file.json")).unwrap();
    t.clock.advance(Duration::from_secs(60));
    let again = OutgoingMessage::new(
        key("decision.file"),
        &Notification {
            to: Recipient::Sms(PhoneNumber::parse("07700 900123").unwrap()),
            template: MessageTemplate::ReferralDecision,
            link: None,
            service: None,
            patient: None,
            appointment: None,
        },
        &bothy_app::notify::Sender {
            name: "Bothy".into(),
            contact: "https://example.org".into(),
        },
        t.clock.now(),
    );
    assert_eq!(
        FileOutbox::new(&dir).send(&again).await,
        Ok(Delivery::AlreadySent)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("decision.file.json")).unwrap(),
        before
    );
    let _ = std::fs::remove_dir_all(dir);
}

async fn jobs_that_could_not_run_well_are_refused(t: TestApp) {
    let mut tx = t.app.store().begin().await.unwrap();
    for (n, why) in [
        (
            email_to("person@example.org", MessageTemplate::Activation, None),
            "an activation message without its link",
        ),
        (
            email_to(
                "person@example.org",
                MessageTemplate::ReferralDecision,
                Some("https://elsewhere.example/referral".into()),
            ),
            "a link out of this deployment",
        ),
        (
            email_to(
                "person@example.org",
                MessageTemplate::ReferralDecision,
                Some(format!("{}.evil.example/x", t.app.settings().public_url)),
            ),
            "a link to a look-alike host",
        ),
        (
            email_to(
                "person@example.org",
                MessageTemplate::ReferralDecision,
                Some(link(&t, &format!("/{}", "x".repeat(300)))),
            ),
            "a very long link",
        ),
    ] {
        let r = t
            .app
            .jobs()
            .enqueue_notification(&mut tx, &key("refused.x"), n)
            .await;
        assert!(matches!(r, Err(AppError::Internal(_))), "{why}: {r:?}");
    }
    tx.rollback().await.unwrap();
    assert!(t.job("refused.x").await.is_none());
}

async fn finished_jobs_are_deleted_after_a_month(t: TestApp) {
    assert!(
        enqueue(
            &t,
            "old.1",
            email_to("person@example.org", MessageTemplate::MeasureDue, None)
        )
        .await
    );
    t.drain_jobs().await;
    t.clock.advance(Duration::from_secs(29 * 24 * 3600));
    assert_eq!(t.drain_jobs().await.jobs_deleted, 0);
    assert!(t.job("old.1").await.is_some());
    t.clock.advance(Duration::from_secs(24 * 3600 + 1));
    // The message's job and the first period's four periodic tasks.
    assert_eq!(t.drain_jobs().await.jobs_deleted, 5);
    assert!(t.job("old.1").await.is_none());
}

/// Housekeeping and reminders every ten minutes, the sweep and expected
/// trajectories every hour: each period's task is one job, whoever queues it.
async fn periodic_tasks_run_once_a_period_however_many_workers_ask(t: TestApp) {
    // The first worker pass of a period runs all four; another asking in
    // the same period (this process or another) finds them queued already.
    t.clock.set("2026-11-17T10:00:30Z".parse().unwrap());
    assert_eq!(t.drain_jobs().await.periodic_done, 4);
    let again = four_workers_at_once(&t).await;
    assert_eq!(again, 0, "the same period's tasks ran once");
    // Ten minutes on: only housekeeping's and the reminders' periods have turned.
    t.clock.advance(Duration::from_secs(10 * 60));
    assert_eq!(t.drain_jobs().await.periodic_done, 2);
    // An hour on: all four again.
    t.clock.advance(Duration::from_secs(3600));
    assert_eq!(t.drain_jobs().await.periodic_done, 4);
    for task in [
        "housekeeping",
        "reminders",
        "monitoring_sweep",
        "expected_trajectories",
    ] {
        let period = bothy_app::periodic::Periodic::ALL
            .into_iter()
            .find(|p| p.as_str() == task)
            .unwrap()
            .period(t.app.clock().now());
        let job = t.job(&format!("periodic.{task}.{period}")).await.unwrap();
        assert_eq!(job.state, JobState::Done, "{task}");
    }
}

/// Four workers' passes at once; returns the periodic tasks they ran.
async fn four_workers_at_once(t: &TestApp) -> u32 {
    let runs = (0..4).map(|_| {
        let app = t.app.clone();
        tokio::spawn(async move { bothy_jobs::run_once(&app).await.unwrap().periodic_done })
    });
    let mut total = 0;
    for run in runs.collect::<Vec<_>>() {
        total += run.await.unwrap();
    }
    total
}

fn uuid_like() -> String {
    bothy_domain::PatientId::random().to_string()
}
