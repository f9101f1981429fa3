//! The audit trail through the web: reading a record writes a complete
//! event, the sealer chains committed events, and `Store::verify_audit`
//! accepts the untouched trail and detects every kind of tampering with
//! sealed events.

mod legacy;
mod raw;
mod records;
mod sealing;
mod tamper;

use crate::both_dbs;
use crate::helpers::{Resp, TestApp};
use bothy_app::{Clock, RequestContext};
use bothy_domain::audit::{AuditRecord, StoredAuditEvent};
use bothy_domain::person::Email;
use bothy_domain::role::ApiPermission;
use bothy_domain::time::to_millis;

both_dbs!(
    reading_a_record_writes_a_complete_audit_event,
    the_untampered_trail_verifies,
    verifying_during_activity_and_sealing_reports_no_break,
);

fn request_id(r: &Resp) -> String {
    r.headers
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string()
}

/// Seals everything committed, as the worker does; returns how many.
async fn seal(t: &TestApp) -> u64 {
    bothy_jobs::seal_audit(&t.app).await.unwrap().sealed
}

/// Every stored event, oldest first.
async fn all_events(t: &TestApp) -> Vec<StoredAuditEvent> {
    let mut tx = t.app.store().read().await.unwrap();
    let mut all = tx.recent_audit_events(1_000_000).await.unwrap();
    tx.rollback().await.unwrap();
    all.reverse();
    all
}

async fn reading_a_record_writes_a_complete_audit_event(t: TestApp) {
    let c = t.staff_client("triage_clinician").await;
    let patient = &t.demo.patients[3];
    let r = c.get(&format!("/staff/patients/{}", patient.id)).await.ok();

    let mut tx = t.app.store().read().await.unwrap();
    let email = Email::parse(&t.staff("triage_clinician").email).unwrap();
    let staff = tx.staff_by_email(&email).await.unwrap().unwrap();
    let service = tx.service_by_slug("demo").await.unwrap().unwrap();
    let events = tx.audit_events_for_patient(&patient.id, 100).await.unwrap();
    tx.rollback().await.unwrap();
    let reads: Vec<&StoredAuditEvent> = events
        .iter()
        .filter(|e| e.record.action == "patient.read")
        .collect();
    assert_eq!(reads.len(), 1, "one read, one event: {events:#?}");
    let by_staff = AuditRecord {
        at_ms: to_millis(t.clock.now()),
        actor_kind: "staff".into(),
        actor_id: Some(staff.id.to_string()),
        role: Some("triage_clinician".into()),
        service_id: Some(service.id.to_string()),
        patient_id: Some(patient.id.clone()),
        action: "patient.read".into(),
        purpose: "direct_care".into(),
        request_id: Some(request_id(&r)),
        // What the page showed, in counts only.
        detail: reads[0].record.detail.clone(),
        record: None,
    };
    assert!(
        by_staff
            .detail
            .as_deref()
            .is_some_and(|d| d.starts_with("record page: ")),
        "{by_staff:?}"
    );
    assert_eq!(reads[0].record, by_staff);
    assert_eq!(reads[0].seal, None, "committed, not yet sealed");
    let seq = reads[0].seq;
    assert!(seal(&t).await > 0);
    let mut tx = t.app.store().read().await.unwrap();
    let events = tx.audit_events_for_patient(&patient.id, 100).await.unwrap();
    tx.rollback().await.unwrap();
    let read = events.iter().find(|e| e.seq == seq).unwrap();
    assert_eq!(
        read.record, by_staff,
        "sealing changes nothing of the event"
    );
    assert!(read.seal.as_ref().is_some_and(|s| s.pos > 0));

    // Another system's read is recorded the same way, as that client.
    let client = t
        .app
        .admin()
        .register_api_client(
            service.id,
            "GP system",
            &[ApiPermission::PatientRead],
            &RequestContext::default(),
        )
        .await
        .unwrap();
    let auth = format!("Bearer {}", client.token);
    let r = t
        .client()
        .get_with(
            &format!("/fhir/Patient/{}", patient.id),
            &[("authorization", &auth)],
        )
        .await
        .ok();
    let mut tx = t.app.store().read().await.unwrap();
    let newest = tx
        .audit_events_for_patient(&patient.id, 1)
        .await
        .unwrap()
        .remove(0)
        .record;
    tx.rollback().await.unwrap();
    let by_client = AuditRecord {
        actor_kind: "api_client".into(),
        actor_id: Some(client.id.to_string()),
        role: None,
        request_id: Some(request_id(&r)),
        // The API's read of the record itself says no more.
        detail: None,
        record: None,
        ..by_staff
    };
    assert_eq!(newest, by_client);
}

/// Sign-ins (good and bad), record views by staff, a patient and another
/// system, a list, a password change and sign-outs, all through the web.
async fn some_activity(t: &TestApp) {
    let triage = t.staff_client("triage_clinician").await;
    let lead = t.staff_client("clinical_lead").await;
    let supporter = t.staff_client("supporter").await;
    for p in &t.demo.patients[..6] {
        triage.get(&format!("/staff/patients/{}", p.id)).await.ok();
    }
    lead.get("/staff").await.ok();
    lead.get(&format!("/staff/patients/{}", t.demo.patients[7].id))
        .await
        .ok();
    supporter.get("/staff").await.ok();
    supporter
        .get(&format!("/staff/patients/{}", t.demo.patients[1].id))
        .await;
    for n in 0..3 {
        t.patient_client(n).await.get("/home").await.ok();
    }
    let stranger = t.client();
    stranger.get("/sign-in").await.ok();
    stranger
        .post_form(
            "/sign-in",
            &[
                ("email", "nobody@example.org"),
                ("password", "not the password"),
            ],
        )
        .await
        .status(401);
    let password = t.staff("clinical_lead").password.clone();
    lead.get("/account").await.ok();
    lead.post_form(
        "/account/password",
        &[
            ("current_password", &password),
            ("new_password", &password),
            ("confirm", &password),
        ],
    )
    .await
    .redirects_to("/account?changed=1");

    let demo = t.app.admin().service_by_slug("demo").await.unwrap();
    let feed = t
        .app
        .admin()
        .register_api_client(
            demo.id,
            "Records feed",
            &[ApiPermission::PatientRead],
            &RequestContext::default(),
        )
        .await
        .unwrap();
    let auth = format!("Bearer {}", feed.token);
    for p in &t.demo.patients[4..9] {
        t.client()
            .get_with(
                &format!("/api/v1/patients/{}", p.id),
                &[("authorization", &auth)],
            )
            .await
            .ok();
    }
    for c in [&triage, &lead] {
        c.get("/account").await.ok();
        c.post_form("/sign-out", &[])
            .await
            .redirects_to("/signed-out");
    }
}

async fn the_untampered_trail_verifies(t: TestApp) {
    some_activity(&t).await;
    let sealed = seal(&t).await;
    let report = t.app.store().verify_audit(&[]).await.unwrap();
    assert_eq!(report.first_break, None);
    assert!(report.is_intact());
    let all = all_events(&t).await;
    assert_eq!(sealed, all.len() as u64, "every event is sealed");
    assert_eq!(report.sealed, sealed, "every sealed event is walked");
    assert_eq!((report.unsealed, report.oldest_unsealed_at_ms), (0, None));
    assert_eq!(report.head.pos, sealed as i64);
    assert!(all.len() > 30, "only {} events", all.len());
    // Everything was committed before the pass, so seals follow `seq`.
    let positions: Vec<i64> = all.iter().map(|e| e.seal.as_ref().unwrap().pos).collect();
    assert_eq!(positions, (1..=sealed as i64).collect::<Vec<_>>());
    let actions: std::collections::BTreeSet<&str> =
        all.iter().map(|e| e.record.action.as_str()).collect();
    for a in [
        "sign_in.password_ok",
        "sign_in.complete",
        "sign_in.refused",
        "patient.read",
        "patient.list",
        "password.changed",
        "sign_out",
    ] {
        assert!(actions.contains(a), "no {a} event among {actions:?}");
    }
    // A fresh database has no chains of the earlier format to report on.
    assert_eq!(report.legacy, None);
    // The head is the last seal, and `audit_head` says so without walking.
    assert_eq!(t.app.store().audit_head().await.unwrap(), report.head);
}

async fn verifying_during_activity_and_sealing_reports_no_break(t: TestApp) {
    some_activity(&t).await;
    seal(&t).await;
    let triage = t.staff_client("triage_clinician").await;
    let ids: Vec<String> = t.demo.patients.iter().map(|p| p.id.clone()).collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let running = |f: &std::sync::Arc<std::sync::atomic::AtomicBool>| {
        !f.load(std::sync::atomic::Ordering::Relaxed)
    };
    let reading = {
        let stop = stop.clone();
        tokio::spawn(async move {
            for id in ids.iter().cycle() {
                if !running(&stop) {
                    break;
                }
                triage.get(&format!("/staff/patients/{id}")).await.ok();
            }
        })
    };
    let sealing = {
        let stop = stop.clone();
        let app = t.app.clone();
        tokio::spawn(async move {
            while running(&stop) {
                bothy_jobs::seal_audit(&app).await.unwrap();
            }
        })
    };
    let mut breaks = Vec::new();
    for _ in 0..100 {
        if let Some(b) = t.app.store().verify_audit(&[]).await.unwrap().first_break {
            breaks.push(b.to_string());
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    reading.await.unwrap();
    sealing.await.unwrap();
    seal(&t).await;
    let report = t.app.store().verify_audit(&[]).await.unwrap();
    assert_eq!((report.first_break, report.unsealed), (None, 0));
    assert!(
        breaks.is_empty(),
        "{} of 100 verifications of an untouched trail reported a break, first: {}",
        breaks.len(),
        breaks[0]
    );
}
