//! Audit covers clinical truth (issue 12, item 7): every clinical record
//! Bothy writes matches the digest held in its newest audit event, so a row
//! changed or deleted straight in the database is reported by
//! `Store::verify_audit` (what `bothy audit verify` prints), by kind and id.

use super::seal;
use crate::alerts::phq9;
use crate::both_dbs;
use crate::front_door::support::{
    GAD7_LOW, PHQ9_LOW, accept, activate_and_sign_in, begin, person, queued, self_refer,
};
use crate::helpers::TestApp;
use bothy_domain::audit::digest::RecordBreak;
use bothy_domain::check_in::CheckIn;
use bothy_domain::time::Timestamp;
use bothy_store::{RecordsReport, VerifyReport};
use std::time::Duration;

both_dbs!(
    normal_use_leaves_every_clinical_record_matching_its_audit_event,
    an_item_9_answer_edited_in_sql_is_reported_naming_the_response,
    an_alert_closed_in_sql_is_reported,
    a_check_in_deleted_in_sql_is_reported,
    a_draft_bothy_deletes_when_its_link_expires_is_not_reported,
);

/// Seals what waits, as the worker does, and verifies.
async fn verify(t: &TestApp) -> VerifyReport {
    seal(t).await;
    t.app.store().verify_audit(&[]).await.unwrap()
}

fn count(r: &RecordsReport, kind: &str) -> u64 {
    r.verified.get(kind).copied().unwrap_or(0)
}

/// The only break found, asserting the trail is otherwise intact.
fn only_break(report: &VerifyReport) -> RecordBreak {
    assert_eq!(report.first_break, None, "the chain itself is intact");
    assert!(!report.is_intact(), "{report:#?}");
    assert_eq!(report.records.breaks, 1, "{report:#?}");
    report.records.first_breaks[0].clone()
}

async fn check_in(t: &TestApp, n: usize, mood: &str) -> String {
    let c = t.patient_client(n).await;
    let home = c.get("/home").await.ok();
    let key = home.field("key");
    c.post_form("/check-in", &[("key", &key), ("mood", mood)])
        .await
        .redirects_to("/check-ins?saved=1");
    let id: bothy_domain::PatientId = t.demo.patients[n].id.parse().unwrap();
    let mut tx = t.app.store().read().await.unwrap();
    let all = tx.check_ins(id, 10).await.unwrap();
    tx.rollback().await.unwrap();
    all[0].id.to_string()
}

async fn normal_use_leaves_every_clinical_record_matching_its_audit_event(t: TestApp) {
    // A measure with a risk answer raises an alert; a duty clinician
    // acknowledges and closes it.
    phq9(&t, 0, 2, "k-risk").await;
    phq9(&t, 1, 0, "k-plain").await;
    let patient0: bothy_domain::PatientId = t.demo.patients[0].id.parse().unwrap();
    let alert = t.open_alerts(patient0).await.remove(0);
    let duty = t.staff_client("triage_clinician").await;
    duty.get(&format!("/alerts/{}", alert.id)).await.ok();
    duty.post_form(&format!("/alerts/{}/acknowledge", alert.id), &[])
        .await
        .redirects_to(&format!("/alerts/{}", alert.id));
    duty.post_form(
        &format!("/alerts/{}/close", alert.id),
        &[("outcome", "contacted_person")],
    )
    .await
    .redirects_to(&format!("/alerts/{}", alert.id));
    check_in(&t, 2, "6").await;
    // A safety plan written, then edited: two versions.
    let c = t.patient_client(3).await;
    for words in ["Walking the dog", "Walking the dog\nCalling my sister"] {
        c.get("/safety-plan/edit").await.ok();
        c.post_form("/safety-plan/edit", &[("coping_strategies", words)])
            .await
            .redirects_to("/safety-plan?saved=1");
    }
    // A self-referral, accepted (an episode opens), then activated.
    let email = "iona.intact@example.org";
    let p = person("Iona", "Intact", email);
    self_refer(&t, &p, &PHQ9_LOW, &GAD7_LOW).await;
    let r = queued(&t, email).await.remove(0);
    let token = accept(
        &t,
        &t.staff_client("triage_clinician").await,
        &r,
        "programme",
    )
    .await;
    t.clock.advance(Duration::from_secs(60));
    activate_and_sign_in(&t, &token, email).await;
    // A record written without an audit event, as synthetic data is loaded.
    let mut tx = t.app.store().begin().await.unwrap();
    let now: Timestamp = t.app.clock().now();
    let unaudited = CheckIn {
        id: bothy_domain::ids::CheckInId::random(),
        patient_id: patient0,
        service_id: alert.service_id,
        mood: 5,
        sleep_hours: None,
        activity: None,
        note: None,
        checked_in_at: now,
        recorded_at: now,
        idempotency_key: None,
    };
    assert!(tx.insert_check_in(&unaudited).await.unwrap());
    tx.commit().await.unwrap();

    let report = verify(&t).await;
    assert!(report.is_intact(), "{report:#?}");
    let r = &report.records;
    assert_eq!((r.breaks, &r.first_breaks), (0, &vec![]));
    assert_eq!(count(r, "measure_response"), 2, "{r:#?}");
    assert_eq!(count(r, "check_in"), 1, "{r:#?}");
    assert_eq!(count(r, "alert"), 1, "{r:#?}");
    assert_eq!(count(r, "referral"), 1, "{r:#?}");
    assert_eq!(count(r, "safety_plan_version"), 2, "{r:#?}");
    assert_eq!(count(r, "episode"), 1, "{r:#?}");
    // Counted honestly, not a break.
    assert_eq!(r.not_audited.get("check_in"), Some(&1), "{r:#?}");
}

async fn an_item_9_answer_edited_in_sql_is_reported_naming_the_response(t: TestApp) {
    phq9(&t, 0, 0, "k-edit").await;
    check_in(&t, 0, "4").await;
    let patient: bothy_domain::PatientId = t.demo.patients[0].id.parse().unwrap();
    let mut tx = t.app.store().read().await.unwrap();
    let response = tx
        .measure_responses(patient, None, None, true, 10)
        .await
        .unwrap()
        .remove(0);
    tx.rollback().await.unwrap();
    assert!(verify(&t).await.is_intact());

    // Item 9 changed from "not at all" to "nearly every day", score kept.
    let changed = t
        .raw_sql(&format!(
            "UPDATE measure_responses SET answers = '[0,0,0,0,0,0,0,0,3]' WHERE id = '{}'",
            response.id
        ))
        .await;
    assert_eq!(changed, 1);
    let report = verify(&t).await;
    let b = only_break(&report);
    assert_eq!(
        b,
        RecordBreak::Changed {
            kind: "measure_response",
            id: response.id.to_string()
        }
    );
    let words = b.to_string();
    assert!(
        words.contains(&response.id.to_string()) && !words.contains("[0,"),
        "{words}"
    );
}

async fn an_alert_closed_in_sql_is_reported(t: TestApp) {
    phq9(&t, 0, 3, "k-close").await;
    let patient: bothy_domain::PatientId = t.demo.patients[0].id.parse().unwrap();
    let alert = t.open_alerts(patient).await.remove(0);
    assert!(verify(&t).await.is_intact());

    let at = bothy_domain::time::to_millis(t.app.clock().now());
    t.raw_sql(&format!(
        "UPDATE alerts SET closed_at = {at}, outcome = 'no_action_needed', \
             outcome_note = 'closed quietly' WHERE id = '{}'",
        alert.id
    ))
    .await;
    let b = only_break(&verify(&t).await);
    assert_eq!(
        b,
        RecordBreak::Changed {
            kind: "alert",
            id: alert.id.to_string()
        }
    );
}

async fn a_check_in_deleted_in_sql_is_reported(t: TestApp) {
    let id = check_in(&t, 1, "2").await;
    check_in(&t, 2, "7").await;
    assert!(verify(&t).await.is_intact());

    t.raw_sql(&format!("DELETE FROM check_ins WHERE id = '{id}'"))
        .await;
    let b = only_break(&verify(&t).await);
    assert_eq!(
        b,
        RecordBreak::Gone {
            kind: "check_in",
            id
        }
    );
}

async fn a_draft_bothy_deletes_when_its_link_expires_is_not_reported(t: TestApp) {
    begin(&t.client()).await;
    t.clock.advance(Duration::from_secs(31 * 86_400));
    let report = t.drain_jobs().await;
    assert_eq!(report.drafts_deleted, 1, "{report:?}");
    let report = verify(&t).await;
    assert!(report.is_intact(), "{report:#?}");
    assert_eq!(report.records.verified.get("referral"), None);
}
