//! GOV.UK Notify's contract: messages of a service configured for Notify go
//! from the job queue through the Notify client to a stand-in that checks
//! what Notify checks (`notify_standin.rs`); rate limits are waited out,
//! refusals go to the dead-letter list.

use super::notify_standin::{self, EMAIL_TEMPLATE, Fault, SMS_TEMPLATE, StandIn};
use crate::both_dbs;
use crate::helpers::{Db, TestApp};
use bothy_app::notify::{ByChannel, ByService, Notifier};
use bothy_app::{App, Clock, FakeClock};
use bothy_domain::ServiceId;
use bothy_jobs::notify_gov::{ApiKey, NotifyNotifier, NotifySettings};
use bothy_store::JobState;
use bothy_testkit::Person;
use std::sync::Arc;
use std::time::Duration;

both_dbs!(
    texts_and_emails_reach_notify_in_its_documented_shape,
    a_rate_limit_is_waited_out_and_the_message_sent_once,
    a_refused_key_or_template_fails_the_job_for_the_dead_letter_list,
    a_server_error_or_no_answer_is_tried_again,
);

pub(super) const PHQ9_LOW: [i32; 9] = [1, 1, 1, 1, 1, 0, 0, 0, 0];
pub(super) const GAD7_LOW: [i32; 7] = [1, 1, 1, 0, 0, 0, 0];

fn settings(base_url: &str, key: &str) -> NotifySettings {
    NotifySettings {
        label: "demo".into(),
        api_key: ApiKey::parse(key).unwrap(),
        base_url: base_url.into(),
        sms_template_id: Some(SMS_TEMPLATE.into()),
        email_template_id: Some(EMAIL_TEMPLATE.into()),
        sms_sender_id: None,
        email_reply_to_id: None,
        timeout: Duration::from_secs(5),
    }
}

async fn demo_service(t: &TestApp) -> ServiceId {
    t.app.admin().service_by_slug("demo").await.unwrap().id
}

/// Another worker on the same database that sends the demo service's
/// messages by Notify at `settings` (signing with `clock`), and every other
/// service's to the test outbox, as `build_app` wires a deployment.
async fn notify_worker(t: &TestApp, settings: NotifySettings, clock: Arc<dyn Clock>) -> App {
    let notify: Arc<dyn Notifier> = Arc::new(NotifyNotifier::new(settings, clock).unwrap());
    let outbox: Arc<dyn Notifier> = Arc::new(t.outbox.clone());
    let router = ByService {
        services: [(demo_service(t).await, notify)].into(),
        default: Arc::new(ByChannel {
            email: outbox.clone(),
            sms: outbox,
        }),
    };
    t.worker_sending_by(Arc::new(router)).await
}

pub(super) async fn standin_and_worker(t: &TestApp) -> (StandIn, App) {
    let clock: Arc<dyn Clock> = Arc::new(t.clock.clone());
    let standin = StandIn::start(clock.clone()).await;
    let worker = notify_worker(
        t,
        settings(&standin.base_url(), &notify_standin::api_key()),
        clock,
    )
    .await;
    (standin, worker)
}

pub(super) fn someone(t: &TestApp, tag: &str, contact: &'static str) -> Person {
    let db = match t.db {
        Db::Sqlite => "sqlite",
        Db::Postgres => "postgres",
    };
    let mut p = Person::new("Ailsa", "Notify", &format!("{tag}.{db}@example.org"));
    p.phone = "07700 900123".into();
    p.contact = contact;
    p
}

pub(super) fn receipt_key(referral: &bothy_domain::referral::Referral) -> String {
    format!("referral.{}.received.ReferralReceived.person", referral.id)
}

async fn texts_and_emails_reach_notify_in_its_documented_shape(t: TestApp) {
    let (standin, worker) = standin_and_worker(&t).await;
    let texted = someone(&t, "texted", "sms");
    let emailed = someone(&t, "emailed", "email");
    let r1 = t
        .fixtures()
        .self_referral(&texted, &PHQ9_LOW, &GAD7_LOW)
        .await;
    let r2 = t
        .fixtures()
        .self_referral(&emailed, &PHQ9_LOW, &GAD7_LOW)
        .await;
    let report = bothy_jobs::run_once(&worker).await.unwrap();
    assert_eq!(
        (report.jobs_failed, report.jobs_retried),
        (0, 0),
        "{report:?}"
    );
    let seen = standin.seen();
    assert_eq!(seen.len(), 2, "{seen:#?}");
    assert_eq!(standin.accepted().len(), 2, "{seen:#?}");
    assert!(t.outbox.sent().is_empty(), "nothing went another way");
    let sms = seen
        .iter()
        .find(|s| s.path == "/v2/notifications/sms")
        .unwrap();
    let email = seen
        .iter()
        .find(|s| s.path == "/v2/notifications/email")
        .unwrap();
    // A valid token: HS256 with the secret, iss the service id, iat now.
    for s in [sms, email] {
        let claims = s.claims.as_ref().expect("the token verified");
        assert_eq!(claims["iss"], notify_standin::SERVICE_ID);
        assert_eq!(claims["iat"], t.clock.now().as_second());
        assert_eq!(claims.as_object().unwrap().len(), 2, "{claims}");
    }
    // Exactly the documented fields.
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&sms.body),
        [
            "personalisation",
            "phone_number",
            "reference",
            "template_id"
        ]
    );
    assert_eq!(
        keys(&email.body),
        [
            "email_address",
            "personalisation",
            "reference",
            "template_id"
        ]
    );
    assert_eq!(sms.body["phone_number"], "+447700900123");
    assert_eq!(sms.body["template_id"], SMS_TEMPLATE);
    assert_eq!(email.body["email_address"], emailed.email.as_str());
    assert_eq!(email.body["template_id"], EMAIL_TEMPLATE);
    // Our key is the reference, so callbacks map back to the message.
    assert_eq!(sms.body["reference"], receipt_key(&r1).as_str());
    assert_eq!(email.body["reference"], receipt_key(&r2).as_str());
    assert_eq!(sms.answer["reference"], receipt_key(&r1).as_str());
    // The message Bothy rendered, and nothing the person wrote or answered.
    assert_eq!(keys(&sms.body["personalisation"]), ["body"]);
    assert_eq!(keys(&email.body["personalisation"]), ["body", "subject"]);
    let text = sms.body["personalisation"]["body"].as_str().unwrap();
    assert!(text.starts_with(t.demo.service.as_str()), "{text}");
    assert!(bothy_domain::gsm7::is_gsm7(text), "{text}");
    assert_eq!(
        email.body["personalisation"]["subject"],
        "We have received your referral"
    );
    let mail = email.body["personalisation"]["body"].as_str().unwrap();
    for private in ["Ailsa", "Notify", "flat since the winter", "Riverside"] {
        assert!(
            !text.contains(private) && !mail.contains(private),
            "{private}"
        );
    }
    // Done, and recorded as sent once.
    for key in [receipt_key(&r1), receipt_key(&r2)] {
        assert_eq!(t.job(&key).await.unwrap().state, JobState::Done);
        assert_eq!(
            t.count(
                "SELECT COUNT(*) FROM message_sends WHERE idempotency_key = $1",
                &key
            )
            .await,
            1
        );
    }
    worker.store().close().await;
}

async fn a_rate_limit_is_waited_out_and_the_message_sent_once(t: TestApp) {
    let (standin, worker) = standin_and_worker(&t).await;
    let p = someone(&t, "limited", "sms");
    let referral = t.fixtures().self_referral(&p, &PHQ9_LOW, &GAD7_LOW).await;
    let key = receipt_key(&referral);
    // 429 without Retry-After: the queue's own back-off (a minute first).
    standin.fail_next(&[Fault::RateLimit(None), Fault::RateLimit(Some(300))]);
    let report = bothy_jobs::run_once(&worker).await.unwrap();
    assert_eq!(report.jobs_retried, 1, "{report:?}");
    let job = t.job(&key).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Queued, 1));
    assert_eq!(
        job.run_at,
        t.clock.now().checked_add(Duration::from_secs(60)).unwrap()
    );
    let error = job.last_error.unwrap();
    assert!(error.contains("429 RateLimitError"), "{error}");
    assert!(!error.contains("+447700900123"), "{error}");
    // Due again; 429 with Retry-After: 300 waits exactly that.
    t.clock.advance(Duration::from_secs(60));
    bothy_jobs::run_once(&worker).await.unwrap();
    let job = t.job(&key).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Queued, 2));
    assert_eq!(
        job.run_at,
        t.clock.now().checked_add(Duration::from_secs(300)).unwrap()
    );
    // Not before then.
    t.clock.advance(Duration::from_secs(299));
    bothy_jobs::run_once(&worker).await.unwrap();
    assert_eq!(standin.seen().len(), 2);
    t.clock.advance(Duration::from_secs(1));
    bothy_jobs::run_once(&worker).await.unwrap();
    let job = t.job(&key).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Done, 3));
    // Delivered exactly once; later passes send nothing more.
    t.clock.advance(Duration::from_secs(3600));
    bothy_jobs::run_once(&worker).await.unwrap();
    let seen = standin.seen();
    assert_eq!(
        seen.iter().map(|s| s.status).collect::<Vec<_>>(),
        [429, 429, 201]
    );
    assert_eq!(standin.accepted()[0].body["reference"], key.as_str());
    worker.store().close().await;
}

async fn a_refused_key_or_template_fails_the_job_for_the_dead_letter_list(t: TestApp) {
    let clock: Arc<dyn Clock> = Arc::new(t.clock.clone());
    let standin = StandIn::start(clock.clone()).await;
    // A key of the same service with another secret: Notify's 403.
    let wrong_key = notify_standin::api_key().replace("3d844edf", "00000000");
    let wrong = notify_worker(&t, settings(&standin.base_url(), &wrong_key), clock).await;
    let p = someone(&t, "refused", "email");
    let r1 = t.fixtures().self_referral(&p, &PHQ9_LOW, &GAD7_LOW).await;
    let report = bothy_jobs::run_once(&wrong).await.unwrap();
    assert_eq!(report.jobs_failed, 1, "{report:?}");
    let job = t.job(&receipt_key(&r1)).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Failed, 1));
    assert_eq!(
        job.last_error.as_deref(),
        Some(
            "refused: GOV.UK Notify refused the API key (403 AuthError: Invalid token: API key not found)"
        )
    );
    // A clock more than 30 seconds off: refused the same way.
    let slow = FakeClock::at(t.clock.now().checked_sub(Duration::from_secs(31)).unwrap());
    let late = notify_worker(
        &t,
        settings(&standin.base_url(), &notify_standin::api_key()),
        Arc::new(slow),
    )
    .await;
    let r2 = t
        .fixtures()
        .self_referral(&someone(&t, "late", "sms"), &PHQ9_LOW, &GAD7_LOW)
        .await;
    bothy_jobs::run_once(&late).await.unwrap();
    let job = t.job(&receipt_key(&r2)).await.unwrap();
    assert_eq!(job.state, JobState::Failed);
    assert!(
        job.last_error
            .as_deref()
            .unwrap()
            .contains("accurate to within 30 seconds"),
        "{job:?}"
    );
    // A template Notify does not know: 400, failed at once.
    let mut unknown = settings(&standin.base_url(), &notify_standin::api_key());
    unknown.sms_template_id = Some("00000000-0000-4000-8000-000000000000".into());
    let unknown = notify_worker(&t, unknown, Arc::new(t.clock.clone())).await;
    let r3 = t
        .fixtures()
        .self_referral(&someone(&t, "template", "sms"), &PHQ9_LOW, &GAD7_LOW)
        .await;
    bothy_jobs::run_once(&unknown).await.unwrap();
    let job = t.job(&receipt_key(&r3)).await.unwrap();
    assert_eq!(
        (job.state, job.last_error.as_deref()),
        (
            JobState::Failed,
            Some(
                "refused: GOV.UK Notify refused the message (400 BadRequestError: Template not found)"
            )
        )
    );
    assert!(standin.accepted().is_empty());
    assert_eq!(
        standin.seen().iter().map(|s| s.status).collect::<Vec<_>>(),
        [403, 403, 400]
    );
    // The administrator sees them, without the address.
    let admin = t.staff_client("admin").await;
    let page = admin.get("/staff/admin/jobs").await.ok();
    assert!(
        page.body.contains("Referral received (Email)"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Referral received (Text message)"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("GOV.UK Notify refused the API key"),
        "{}",
        page.body
    );
    assert!(!page.body.contains(&p.email) && !page.body.contains("900123"));
    for w in [wrong, late, unknown] {
        w.store().close().await;
    }
}

async fn a_server_error_or_no_answer_is_tried_again(t: TestApp) {
    let (standin, worker) = standin_and_worker(&t).await;
    let p = someone(&t, "retried", "email");
    let referral = t.fixtures().self_referral(&p, &PHQ9_LOW, &GAD7_LOW).await;
    let key = receipt_key(&referral);
    standin.fail_next(&[Fault::ServerError]);
    bothy_jobs::run_once(&worker).await.unwrap();
    let job = t.job(&key).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Queued, 1));
    assert_eq!(
        job.last_error.as_deref(),
        Some("GOV.UK Notify failed (500 Exception: Internal server error)")
    );
    // Nobody listening: tried again later.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let down = notify_worker(
        &t,
        settings(
            &format!("http://127.0.0.1:{closed}"),
            &notify_standin::api_key(),
        ),
        Arc::new(t.clock.clone()),
    )
    .await;
    t.clock.advance(Duration::from_secs(60));
    bothy_jobs::run_once(&down).await.unwrap();
    let job = t.job(&key).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Queued, 2));
    assert_eq!(
        job.last_error.as_deref(),
        Some("GOV.UK Notify could not be reached")
    );
    // Back: sent once.
    t.clock.advance(Duration::from_secs(5 * 60));
    bothy_jobs::run_once(&worker).await.unwrap();
    assert_eq!(t.job(&key).await.unwrap().state, JobState::Done);
    assert_eq!(standin.accepted().len(), 1);
    worker.store().close().await;
    down.store().close().await;
}
