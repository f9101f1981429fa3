//! The report tables (migration 36) follow every write that moves a
//! figure, through each table their triggers watch, and stay right when
//! several writers change one person at once (on PostgreSQL, under READ
//! COMMITTED). `run` also compares them with the records after every test.

use super::seed::{self, people};
use super::{cell, dashboard, request};
use crate::helpers::TestApp;
use bothy_domain::reports::Breakdown;
use bothy_testkit::Db;

crate::both_dbs!(
    every_change_to_a_counted_record_or_its_person_moves_the_figures,
    writers_changing_one_person_at_once_leave_every_row_right,
    a_persons_last_activity_follows_their_records_and_is_counted_again_when_one_goes,
    records_of_one_person_written_at_once_leave_their_last_activity_at_the_newest,
);

async fn no_drift(t: &TestApp) {
    let drift = t.app.store().report_facts_drift().await.unwrap();
    assert!(drift.is_empty(), "{drift:?}");
}

/// A count of the report table's rows matching `filter`.
async fn rows(t: &TestApp, table: &str, filter: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE {filter} AND '' <> $1");
    t.count(Box::leak(sql.into_boxed_str()), "x").await
}

/// The lead's own caseload's referrals (unsuppressed) in one group.
async fn caseload_referrals(t: &TestApp, by: Breakdown, row: &str) -> i64 {
    let d = dashboard(t, "clinical_lead", &request(by, true)).await;
    cell(&d, "referrals", row, "All referrals").parse().unwrap()
}

async fn every_change_to_a_counted_record_or_its_person_moves_the_figures(t: TestApp) {
    seed::seed(&t, &people()).await;
    no_drift(&t).await;
    let women = caseload_referrals(&t, Breakdown::Sex, "Female").await;
    let all = caseload_referrals(&t, Breakdown::None, "All").await;
    // rp0 (a man) changes in every table their groups come from, and their
    // referral, episode and alert change too; rp6 (a man) loses his
    // supporter, rp1 enrols and finishes a module, rp3's check-ins go.
    t.raw_sql(
        "UPDATE patient_demographics SET sex = 'female', ethnicity = 'other', imd_decile = 9 WHERE patient_id = 'rp0';
         UPDATE patients SET date_of_birth = '1950-01-02' WHERE id = 'rp0';
         UPDATE patients SET supporter_id = NULL WHERE id = 'rp6';
         UPDATE contact_preferences SET sms = 1 WHERE patient_id = 'rp0';
         UPDATE episodes SET first_treatment_at = referred_at + 86400000, treatment_appointments = 4 WHERE id = 're0';
         UPDATE referrals SET source = 'fhir' WHERE id = 'rr0';
         UPDATE alerts SET acknowledged_at = raised_at + 60000 WHERE patient_id = 'rp1';
         INSERT INTO enrolments (id, patient_id, service_id, programme_id, programme_version, content, status, enrolled_at, enrolled_by)
           SELECT 'en1', 'rp1', service_id, 'p', '1', '{}', 'active', 0, supporter_id FROM patients WHERE id = 'rp1';
         INSERT INTO module_progress (enrolment_id, module, unlocked_at, unlocked_by_kind) VALUES ('en1', 1, 0, 'start');
         UPDATE module_progress SET completed_at = 5 WHERE enrolment_id = 'en1';
         DELETE FROM mood_summaries WHERE patient_id = 'rp3';",
    )
    .await;
    no_drift(&t).await;
    assert_eq!(
        rows(
            &t,
            "report_people",
            "patient_id = 'rp0' AND sex = 'female' AND sms = 1 AND born = 19500102"
        )
        .await,
        1
    );
    assert_eq!(
        rows(
            &t,
            "report_episodes",
            "patient_id = 'rp0' AND decile = 9 AND treatment_appointments = 4"
        )
        .await,
        1
    );
    assert_eq!(
        rows(
            &t,
            "report_referrals",
            "referral_id = 'rr0' AND source = 'fhir' AND sex = 'female'"
        )
        .await,
        1
    );
    assert_eq!(
        rows(
            &t,
            "report_alerts",
            "patient_id = 'rp1' AND acknowledged_at IS NOT NULL"
        )
        .await,
        1
    );
    assert_eq!(
        rows(
            &t,
            "report_episodes",
            "patient_id = 'rp1' AND enrolled = 1 AND module_done = 1"
        )
        .await,
        1
    );
    assert_eq!(
        rows(
            &t,
            "report_episodes",
            "patient_id = 'rp3' AND checked_in = 0"
        )
        .await,
        1
    );
    assert_eq!(
        caseload_referrals(&t, Breakdown::Sex, "Female").await,
        women + 1
    );
    assert_eq!(
        caseload_referrals(&t, Breakdown::None, "All").await,
        all - 1
    );
    // A draft referral is counted only once received; a deleted draft
    // leaves nothing behind.
    t.raw_sql(
        "INSERT INTO referrals (id, service_id, status, source, created_at, updated_at)
           SELECT 'draft1', id, 'draft', 'self', 0, 0 FROM services WHERE slug = 'demo';",
    )
    .await;
    assert_eq!(
        rows(&t, "report_referrals", "referral_id = 'draft1'").await,
        0
    );
    t.raw_sql("UPDATE referrals SET received_at = 7 WHERE id = 'draft1';")
        .await;
    assert_eq!(
        rows(&t, "report_referrals", "referral_id = 'draft1'").await,
        1
    );
    t.raw_sql("DELETE FROM referrals WHERE id = 'draft1';")
        .await;
    assert_eq!(
        rows(&t, "report_referrals", "referral_id = 'draft1'").await,
        0
    );
    no_drift(&t).await;
}

/// Several transactions change one person and their records at once, each
/// holding its change open a moment on PostgreSQL so that they overlap:
/// a row written from a person as another transaction was replacing them
/// would differ from the records afterwards.
async fn writers_changing_one_person_at_once_leave_every_row_right(t: TestApp) {
    seed::seed(&t, &people()).await;
    let pause = match t.db {
        Db::Postgres => "SELECT pg_sleep(0.05);",
        Db::Sqlite => "",
    };
    for round in 0..6 {
        let writes = [
            format!("UPDATE patient_demographics SET sex = 'r{round}', imd_decile = {d} WHERE patient_id = 'rp3';", d = round + 1),
            format!(
                "INSERT INTO alerts (id, patient_id, service_id, cause, dedupe_key, severity, severity_rank, summary, source_kind, source_id, raised_at, deadline_at, signal_count, last_signal_at)
                 SELECT 'par{round}', id, service_id, 'risk_item', 'par{round}', 'high', 3, 'Parallel', 'measure', 'x', 1, 2, 1, 1 FROM patients WHERE id = 'rp3';"
            ),
            format!("UPDATE episodes SET treatment_appointments = {round} WHERE patient_id = 'rp3';"),
            format!("UPDATE contact_preferences SET sms = {} WHERE patient_id = 'rp3';", round % 2),
            format!("UPDATE referrals SET postcode = 'EH{} 1AB' WHERE patient_id = 'rp3';", round + 1),
        ];
        let tasks: Vec<_> = writes
            .into_iter()
            .map(|w| {
                let t = t.clone();
                let sql = format!("BEGIN; {w} {pause} COMMIT;");
                tokio::spawn(async move { t.raw_sql(&sql).await })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        no_drift(&t).await;
    }
    assert_eq!(
        rows(
            &t,
            "report_alerts",
            "patient_id = 'rp3' AND sex = 'r5' AND decile = 6"
        )
        .await,
        rows(&t, "alerts", "patient_id = 'rp3'").await
    );
}

/// rp2's last activity, as kept (migration 40).
async fn last_activity(t: &TestApp) -> i64 {
    t.count(
        "SELECT COALESCE(MAX(last_at), -1) FROM patient_activity WHERE patient_id = $1",
        "rp2",
    )
    .await
}

/// Each kind of record that counts moves the person's one row forward, an
/// older one leaves it, and a record removed or moved back in SQL has the
/// row counted again from what is left.
async fn a_persons_last_activity_follows_their_records_and_is_counted_again_when_one_goes(
    t: TestApp,
) {
    seed::seed(&t, &people()).await;
    assert_eq!(last_activity(&t).await, -1, "nothing done yet");
    let tool = |id: &str, at: i64| {
        format!(
            "INSERT INTO tool_entries (id, patient_id, service_id, tool, entry, recorded_at, idempotency_key) \
             SELECT '{id}', id, service_id, 'thought_record', '{{}}', {at}, '{id}' FROM patients WHERE id = 'rp2';"
        )
    };
    t.raw_sql(&tool("te1", 5_000)).await;
    assert_eq!(last_activity(&t).await, 5_000);
    t.raw_sql(&tool("te0", 4_000)).await;
    assert_eq!(last_activity(&t).await, 5_000, "an older record leaves it");
    t.raw_sql(
        "INSERT INTO enrolments (id, patient_id, service_id, programme_id, programme_version, content, status, enrolled_at, enrolled_by)
           SELECT 'en2', 'rp2', service_id, 'p', '1', '{}', 'active', 0, supporter_id FROM patients WHERE id = 'rp2';
         INSERT INTO module_progress (enrolment_id, module, unlocked_at, unlocked_by_kind) VALUES ('en2', 1, 0, 'start');",
    )
    .await;
    assert_eq!(last_activity(&t).await, 5_000, "an open module is not done");
    t.raw_sql("UPDATE module_progress SET completed_at = 6000 WHERE enrolment_id = 'en2';")
        .await;
    assert_eq!(last_activity(&t).await, 6_000, "a finished module counts");
    no_drift(&t).await;
    t.raw_sql("UPDATE module_progress SET completed_at = NULL WHERE enrolment_id = 'en2';")
        .await;
    assert_eq!(
        last_activity(&t).await,
        5_000,
        "a module undone is counted again"
    );
    t.raw_sql("UPDATE tool_entries SET recorded_at = 3000 WHERE id = 'te1';")
        .await;
    assert_eq!(last_activity(&t).await, 4_000);
    t.raw_sql("DELETE FROM tool_entries WHERE patient_id = 'rp2';")
        .await;
    assert_eq!(last_activity(&t).await, -1, "no record left, no row");
    no_drift(&t).await;
}

/// Eight transactions each add one of rp2's tool entries at once, each
/// holding its change open a moment on PostgreSQL so that their upserts of
/// the one row overlap: the row ends at the newest, whatever the order.
async fn records_of_one_person_written_at_once_leave_their_last_activity_at_the_newest(t: TestApp) {
    seed::seed(&t, &people()).await;
    let pause = match t.db {
        Db::Postgres => "SELECT pg_sleep(0.05);",
        Db::Sqlite => "",
    };
    let tasks: Vec<_> = (1..=8)
        .map(|i| {
            let t = t.clone();
            let sql = format!(
                "BEGIN; INSERT INTO tool_entries (id, patient_id, service_id, tool, entry, recorded_at, idempotency_key) \
                 SELECT 'tp{i}', id, service_id, 'thought_record', '{{}}', {at}, 'tp{i}' FROM patients WHERE id = 'rp2'; \
                 {pause} COMMIT;",
                at = 1_000 * (9 - i),
            );
            tokio::spawn(async move { t.raw_sql(&sql).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(last_activity(&t).await, 8_000);
    no_drift(&t).await;
}
