//! PostgreSQL keeps a plan for each statement the staff pages read, here on
//! a service of 2,000 people. A bound LIMIT or a bound array of one id made
//! the planner run on each read, and on a page of fifty people it took as
//! long as the read itself (docs/benchmark-profiles-2.md, finding 13). A
//! range on a bound time did too (the overdue alerts, finding 14): a plan
//! kept for any time assumes a third of the 4,000 open alerts are overdue,
//! one made for the time finds the 100 that are, and looked cheaper.

use crate::{Fresh, at};
use bothy_domain::ids::AlertId;
use bothy_domain::time::Timestamp;
use bothy_domain::{PatientId, ServiceId, StaffId};
use bothy_store::{AlertSubject, NewAlert, StatementPlans, Tx};

/// Every execution past PostgreSQL's first five planned ones.
const RUNS: usize = 8;

#[tokio::test]
#[cfg_attr(
    bothy_no_postgres,
    ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set"
)]
async fn the_staff_pages_reads_keep_their_plans_on_postgres() {
    let db = Fresh::postgres()
        .await
        .expect("BOTHY_TEST_DATABASE_URL is set");
    let mut tx = db.store.begin().await.unwrap();
    let supporter = crate::listed::staff(&mut tx, "supporter@example.org").await;
    tx.commit().await.unwrap();
    // Enough people that a plan kept for any LIMIT (which must assume a
    // tenth of the table) looks dearer than one made for fifty.
    let supporters: Vec<_> = (0..2_000)
        .map(|i| (i % 4 == 0).then_some(supporter))
        .collect();
    let (service, people) = db.service_with_people(&supporters).await;
    let person = people[0];
    // At `at(120)` the first 100 are overdue and the rest due later.
    let mut tx = db.store.begin().await.unwrap();
    for (i, p) in people.iter().chain(&people).enumerate() {
        let due = if i < 100 { at(60) } else { at(600) };
        raise(&mut tx, service, *p, i, due).await;
    }
    tx.commit().await.unwrap();
    db.store.analyze().await.unwrap();

    let mut tx = db.store.read().await.unwrap();
    for _ in 0..RUNS {
        read_the_pages(&mut tx, service, supporter, person).await;
    }
    let plans = tx.statement_plans().await.unwrap();
    tx.rollback().await.unwrap();
    let read_often: Vec<&StatementPlans> = plans
        .iter()
        .filter(|p| p.generic + p.custom >= RUNS as i64)
        .collect();
    assert!(
        read_often.len() >= 15,
        "the pages' statements were prepared: {plans:#?}"
    );
    let planned_each_time: Vec<&&StatementPlans> =
        read_often.iter().filter(|p| p.generic == 0).collect();
    assert!(
        planned_each_time.is_empty(),
        "planned afresh on every execution: {planned_each_time:#?}"
    );
    db.finish().await;
}

/// What a clinical lead's home, a supporter's home, a triage clinician's
/// home, the duty queue and a patient's page read.
async fn read_the_pages(tx: &mut Tx, service: ServiceId, supporter: StaffId, person: PatientId) {
    let now = at(120);
    tx.patients_listed(service, 50).await.unwrap();
    tx.caseload(service, supporter, 200).await.unwrap();
    tx.overdue_alerts(service, now, 50).await.unwrap();
    tx.open_alerts(service, 500).await.unwrap();
    tx.front_door_counts(service, now).await.unwrap();
    tx.triage_queue(service, 100).await.unwrap();
    tx.waiting_episodes(service, 500).await.unwrap();
    tx.patient_alerts(person, 50).await.unwrap();
    tx.check_ins(person, 30).await.unwrap();
    tx.risk_at_referral(&[person]).await.unwrap();
    tx.tool_entries(person, None, 20).await.unwrap();
    tx.sent_to_patient(person, 20).await.unwrap();
    tx.not_sent_to_patient(person, 20).await.unwrap();
    tx.message_threads_of(person, false, 20).await.unwrap();
    tx.measure_responses(person, None, None, true, 100)
        .await
        .unwrap();
}

async fn raise(tx: &mut Tx, service: ServiceId, p: PatientId, i: usize, due: Timestamp) {
    let key = format!("plans-{i}");
    tx.raise_alert(&NewAlert {
        id: AlertId::random(),
        subject: AlertSubject::Patient(p),
        service_id: service,
        cause: bothy_domain::detectors::Cause::MoodDrop,
        dedupe_key: &key,
        severity: bothy_domain::alerts::Severity::High,
        summary: "A test alert",
        source_kind: "test",
        source_id: &key,
        assigned_to: None,
        raised_at: at(1),
        deadline: due,
    })
    .await
    .unwrap();
}
