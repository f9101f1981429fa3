//! The dead-letter list: an administrator sees failed jobs (never an
//! address), retries or cancels each once; two at once get one effect.

use crate::both_dbs;
use crate::helpers::TestApp;
use bothy_app::jobs::{IdempotencyKey, MAX_ATTEMPTS, MessageTemplate, Notification, Recipient};
use bothy_app::notify::SendError;
use bothy_domain::person::Email;
use bothy_store::JobState;

both_dbs!(
    an_administrator_retries_a_failed_message_once,
    an_administrator_cancels_a_failed_job_once,
);

/// A message of the demo service that the mail server refuses for good.
async fn failed_message(t: &TestApp, key: &str) -> String {
    let mut tx = t.app.store().read().await.unwrap();
    let service = tx.service_by_slug("demo").await.unwrap().unwrap().id;
    tx.rollback().await.unwrap();
    let mut tx = t.app.store().begin().await.unwrap();
    let n = Notification {
        to: Recipient::Email(Email::parse("private.person@example.org").unwrap()),
        template: MessageTemplate::MeasureDue,
        link: None,
        service: Some(service),
        patient: None,
        appointment: None,
    };
    t.app
        .jobs()
        .enqueue_notification(&mut tx, &IdempotencyKey::new(key).unwrap(), n)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    t.outbox
        .set_failure(Some(SendError::Permanent("mailbox does not exist".into())));
    bothy_jobs::run_once(&t.app).await.unwrap();
    t.outbox.set_failure(None);
    let job = t.job(key).await.unwrap();
    assert_eq!(job.state, JobState::Failed);
    job.id
}

async fn audited(t: &TestApp, action: &str) -> i64 {
    t.count(
        "SELECT COUNT(*) FROM audit_events WHERE action = $1",
        action,
    )
    .await
}

async fn an_administrator_retries_a_failed_message_once(t: TestApp) {
    let id = failed_message(&t, "dead.retry").await;
    let admin = t.staff_client("admin").await;
    let other = t.staff_client("admin").await;
    let page = admin.get("/staff/admin/jobs").await.ok().has_crisis_panel();
    assert!(
        page.body.contains("Questionnaire due (Email)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("refused: mailbox does not exist"));
    assert!(!page.body.contains("private.person"), "no address is shown");
    assert_eq!(audited(&t, "jobs.failed_read").await, 1);
    other.get("/staff/admin/jobs").await.ok();
    // Two administrators press Retry at the same moment: one puts the job
    // back, the other is told it already was; neither is a server error.
    let path = format!("/staff/admin/jobs/{id}/retry");
    let (a, b) = tokio::join!(admin.post_form(&path, &[]), other.post_form(&path, &[]));
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409], "{} / {}", a.body, b.body);
    let loser = if a.status.as_u16() == 409 { a } else { b };
    assert!(
        loser.body.contains("already been put back"),
        "{}",
        loser.body
    );
    assert_eq!(audited(&t, "jobs.failed_retried").await, 1);
    let job = t.job("dead.retry").await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Queued, 0));
    // Cancelling it now is refused too: it is no longer failed.
    admin.get("/staff/admin/jobs").await.ok();
    admin
        .post_form(&format!("/staff/admin/jobs/{id}/cancel"), &[])
        .await
        .status(409);
    t.drain_jobs().await;
    assert_eq!(t.outbox.sent().len(), 1);
    let job = t.job("dead.retry").await.unwrap();
    assert!(job.attempts < MAX_ATTEMPTS && job.state == JobState::Done);
    let page = admin.get("/staff/admin/jobs").await.ok();
    assert!(page.body.contains("No failed jobs."));
}

async fn an_administrator_cancels_a_failed_job_once(t: TestApp) {
    let id = failed_message(&t, "dead.cancel").await;
    let admin = t.staff_client("admin").await;
    admin.get("/staff/admin/jobs").await.ok();
    admin
        .post_form(&format!("/staff/admin/jobs/{id}/cancel"), &[])
        .await
        .redirects_to("/staff/admin/jobs?done=cancelled");
    let job = t.job("dead.cancel").await.unwrap();
    assert_eq!(job.state, JobState::Done);
    assert_eq!(
        job.last_error.as_deref(),
        Some("cancelled by an administrator")
    );
    admin.get("/staff/admin/jobs").await.ok();
    let again = admin
        .post_form(&format!("/staff/admin/jobs/{id}/retry"), &[])
        .await
        .status(409);
    assert!(
        again.body.contains("already been cancelled"),
        "{}",
        again.body
    );
    assert_eq!(audited(&t, "jobs.failed_cancelled").await, 1);
    // Without a CSRF token, nothing happens.
    let bare = admin
        .post_raw(
            &format!("/staff/admin/jobs/{id}/cancel"),
            "application/x-www-form-urlencoded",
            Vec::new(),
        )
        .await;
    assert_eq!(bare.status.as_u16(), 403);
    // Another service's administrator and other staff cannot see it.
    let lead = t.staff_client("clinical_lead").await;
    lead.get("/staff/admin/jobs").await.status(403);
    t.drain_jobs().await;
    assert!(t.outbox.sent().is_empty());
}
