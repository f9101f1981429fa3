//! Email through a real SMTP server: the aiosmtpd server scripts/test starts
//! (tests/smtp/server.py), which stores what it receives as JSON files in
//! `$BOTHY_TEST_SMTP_DIR/messages`. Without that variable at build time
//! these tests are listed as ignored; with it, a missing server fails them.

use crate::helpers::{Db, TestApp};
use bothy_app::jobs::{IdempotencyKey, Job};
use bothy_app::notify::{ByChannel, Notifier};
use bothy_app::{App, Clock};
use bothy_jobs::smtp::{SmtpNotifier, SmtpSettings, SmtpTls};
use bothy_store::JobState;
use bothy_testkit::Person;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

macro_rules! smtp_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(bothy_no_smtp, ignore = "SMTP not tested: BOTHY_TEST_SMTP_DIR is not set (scripts/test sets it)")]
            async fn sqlite() {
                bothy_testkit::run(bothy_testkit::Db::Sqlite, Default::default(), super::$name).await;
            }
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(any(bothy_no_smtp, bothy_no_postgres), ignore = "SMTP or PostgreSQL not tested: BOTHY_TEST_SMTP_DIR or BOTHY_TEST_DATABASE_URL is not set")]
            async fn postgres() {
                bothy_testkit::run(bothy_testkit::Db::Postgres, Default::default(), super::$name).await;
            }
        }
    )*};
}

smtp_tests!(
    a_referral_receipt_arrives_by_smtp_with_text_and_html_parts,
    with_the_mail_server_down_the_job_waits_and_is_delivered_later,
    a_message_sent_before_a_worker_died_is_not_sent_again,
    a_refusal_fails_the_job_at_once_and_a_deferral_retries_it,
);

const PHQ9_LOW: [i32; 9] = [1, 1, 1, 1, 1, 0, 0, 0, 0];
const GAD7_LOW: [i32; 7] = [1, 1, 1, 0, 0, 0, 0];
const CONTACT: &str = "0131 496 0000";

/// The test server's directory; the test fails without one.
fn smtp_dir() -> PathBuf {
    PathBuf::from(std::env::var("BOTHY_TEST_SMTP_DIR").expect(
        "BOTHY_TEST_SMTP_DIR names the test SMTP server's directory (scripts/test starts one)",
    ))
}

pub(crate) fn smtp_port() -> u16 {
    let file = smtp_dir().join("port");
    std::fs::read_to_string(&file)
        .unwrap_or_else(|e| panic!("no SMTP test server: {} ({e})", file.display()))
        .trim()
        .parse()
        .unwrap()
}

pub(crate) fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        tls: SmtpTls::None,
        credentials: None,
        from: "no-reply@bothy.example.org".parse().unwrap(),
        helo_name: Some("bothy.test".into()),
        timeout: Duration::from_secs(5),
    }
}

/// Another worker on the same database, sending email over SMTP to `port`.
async fn smtp_worker(t: &TestApp, port: u16) -> App {
    let catalogue = bothy_app::content::default_catalogue();
    let known: Vec<&str> = catalogue.iter().map(|i| i.id.as_str()).collect();
    let demo = bothy_domain::monitoring::Monitoring::parse(
        "demo.toml",
        &format!("[messages]\ncontact = \"{CONTACT}\"\n"),
        &known,
    )
    .unwrap();
    let monitoring = bothy_app::monitoring::MonitoringSettings::new(
        bothy_domain::monitoring::Monitoring::defaults(),
        [(bothy_app::demo::DEMO_SLUG.to_string(), demo)].into(),
    );
    let email: Arc<dyn Notifier> = Arc::new(SmtpNotifier::new(&settings(port)).unwrap());
    t.worker_sending_by(Arc::new(ByChannel {
        email,
        sms: Arc::new(t.outbox.clone()),
    }))
    .await
    .with_monitoring(monitoring)
}

/// The messages the server received for `to`.
fn received(to: &str) -> Vec<serde_json::Value> {
    let dir = smtp_dir().join("messages");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| {
            serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(p).unwrap()).unwrap()
        })
        .filter(|m| m["rcpt_tos"].as_array().unwrap().iter().any(|r| r == to))
        .collect()
}

/// Waits (a little, in real time: the server writes after it answers)
/// until `n` messages to `to` arrived, then a moment more for any extra.
pub(crate) async fn wait_for(to: &str, n: usize) -> Vec<serde_json::Value> {
    for _ in 0..100 {
        if received(to).len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    received(to)
}

async fn a_refusal_fails_the_job_at_once_and_a_deferral_retries_it(t: TestApp) {
    let worker = smtp_worker(&t, smtp_port()).await;
    let refused = someone(&t, "refused");
    let deferred = someone(&t, "deferred");
    let r1 = t
        .fixtures()
        .self_referral(&refused, &PHQ9_LOW, &GAD7_LOW)
        .await;
    let r2 = t
        .fixtures()
        .self_referral(&deferred, &PHQ9_LOW, &GAD7_LOW)
        .await;
    let report = bothy_jobs::run_once(&worker).await.unwrap();
    assert_eq!(
        (report.jobs_failed, report.jobs_retried),
        (1, 1),
        "{report:?}"
    );
    // 550: trying again will not help; it waits in the dead-letter list.
    let job = t.job(&receipt_key(&r1)).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Failed, 1));
    assert_eq!(
        job.last_error.as_deref(),
        Some("refused: the mail server refused the message (550)")
    );
    // 451: tried again later.
    let job = t.job(&receipt_key(&r2)).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Queued, 1));
    assert_eq!(
        job.last_error.as_deref(),
        Some("the mail server deferred the message (451)")
    );
    // Neither error names the address.
    for key in [receipt_key(&r1), receipt_key(&r2)] {
        let e = t.job(&key).await.unwrap().last_error.unwrap();
        assert!(!e.contains("@"), "{e}");
    }
    let admin = t.staff_client("admin").await;
    let page = admin.get("/staff/admin/jobs").await.ok();
    assert!(
        page.body.contains("Referral received (Email)"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(&refused.email));
    worker.store().close().await;
}

fn someone(t: &TestApp, tag: &str) -> Person {
    let unique = bothy_domain::ids::PatientId::random().to_string();
    let db = match t.db {
        Db::Sqlite => "sqlite",
        Db::Postgres => "postgres",
    };
    Person::new("Ailsa", "Smtp", &format!("{tag}.{db}.{unique}@example.org"))
}

fn receipt_key(referral: &bothy_domain::referral::Referral) -> String {
    format!("referral.{}.received.ReferralReceived.person", referral.id)
}

async fn a_referral_receipt_arrives_by_smtp_with_text_and_html_parts(t: TestApp) {
    let worker = smtp_worker(&t, smtp_port()).await;
    let p = someone(&t, "receipt");
    let referral = t.fixtures().self_referral(&p, &PHQ9_LOW, &GAD7_LOW).await;
    let report = bothy_jobs::run_once(&worker).await.unwrap();
    assert!(report.jobs_done >= 1, "{report:?}");
    let got = wait_for(&p.email, 1).await;
    assert_eq!(got.len(), 1, "{got:#?}");
    let m = &got[0];
    let service = &t.demo.service;
    assert_eq!(m["subject"], "We have received your referral");
    assert_eq!(m["mail_from"], "no-reply@bothy.example.org");
    let from = m["from"].as_str().unwrap();
    assert!(
        from.contains(service.as_str()) && from.contains("no-reply@bothy.example.org"),
        "{from}"
    );
    assert_eq!(m["content_type"], "multipart/alternative");
    let key = receipt_key(&referral);
    assert_eq!(m["message_id"], format!("<{key}@bothy.example.org>"));
    let text = m["text"].as_str().unwrap();
    assert!(
        text.starts_with("We have received your referral and will be in touch"),
        "{text}"
    );
    assert!(
        text.contains(&format!("To contact {service}: {CONTACT}")),
        "{text}"
    );
    let html = m["html"].as_str().unwrap();
    assert!(html.contains("<p>We have received your referral"), "{html}");
    assert!(
        html.contains(&format!("To contact {service}: {CONTACT}")),
        "{html}"
    );
    // Nothing the person wrote or answered, nor their name.
    for private in ["Ailsa", "Smtp", "flat since the winter", "Riverside"] {
        assert!(
            !text.contains(private) && !html.contains(private),
            "{private}"
        );
    }
    assert_eq!(t.job(&key).await.unwrap().state, JobState::Done);
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM message_sends WHERE idempotency_key = $1",
            &key
        )
        .await,
        1
    );
    worker.store().close().await;
}

async fn with_the_mail_server_down_the_job_waits_and_is_delivered_later(t: TestApp) {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = smtp_worker(&t, closed).await;
    let p = someone(&t, "down");
    let referral = t.fixtures().self_referral(&p, &PHQ9_LOW, &GAD7_LOW).await;
    let key = receipt_key(&referral);
    let report = bothy_jobs::run_once(&down).await.unwrap();
    assert_eq!(report.jobs_retried, 1, "{report:?}");
    let job = t.job(&key).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Queued, 1));
    assert_eq!(
        job.run_at,
        t.clock.now().checked_add(Duration::from_secs(60)).unwrap(),
        "the first retry waits a minute"
    );
    assert_eq!(
        job.last_error.as_deref(),
        Some("the mail server could not be reached")
    );
    // Still down a minute later: the next wait is longer.
    t.clock.advance(Duration::from_secs(61));
    bothy_jobs::run_once(&down).await.unwrap();
    let job = t.job(&key).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Queued, 2));
    assert_eq!(
        job.run_at,
        t.clock
            .now()
            .checked_add(Duration::from_secs(5 * 60))
            .unwrap()
    );
    assert!(received(&p.email).is_empty());
    // The server is back: delivered once, and done.
    let up = smtp_worker(&t, smtp_port()).await;
    bothy_jobs::run_once(&up).await.unwrap();
    assert_eq!(
        t.job(&key).await.unwrap().state,
        JobState::Queued,
        "not due yet"
    );
    t.clock.advance(Duration::from_secs(5 * 60));
    bothy_jobs::run_once(&up).await.unwrap();
    assert_eq!(wait_for(&p.email, 1).await.len(), 1);
    let job = t.job(&key).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Done, 3));
    down.store().close().await;
    up.store().close().await;
}

async fn a_message_sent_before_a_worker_died_is_not_sent_again(t: TestApp) {
    let worker = smtp_worker(&t, smtp_port()).await;
    let p = someone(&t, "crash");
    let referral = t.fixtures().self_referral(&p, &PHQ9_LOW, &GAD7_LOW).await;
    let key = receipt_key(&referral);
    // A worker claims the job and sends the message, then dies before it
    // can mark the job done.
    let claim = worker
        .jobs()
        .claim_due("dies", Duration::from_secs(600), 10)
        .await
        .unwrap()
        .unwrap();
    let job = claim
        .jobs
        .iter()
        .find(|j| j.idempotency_key == key)
        .expect("the receipt's job was claimed");
    let decoded = Job::decode(&job.kind, &job.payload).unwrap();
    worker
        .jobs()
        .perform(&IdempotencyKey::new(&key).unwrap(), &decoded)
        .await
        .unwrap();
    assert_eq!(wait_for(&p.email, 1).await.len(), 1);
    assert_eq!(t.job(&key).await.unwrap().state, JobState::Running);
    // Its lease runs out; another worker claims the job again and finds
    // the message recorded as sent.
    t.clock.advance(Duration::from_secs(601));
    let other = smtp_worker(&t, smtp_port()).await;
    let report = bothy_jobs::run_once(&other).await.unwrap();
    assert!(report.jobs_done >= 1, "{report:?}");
    let job = t.job(&key).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Done, 2));
    assert_eq!(wait_for(&p.email, 2).await.len(), 1, "sent once only");
    worker.store().close().await;
    other.store().close().await;
}
