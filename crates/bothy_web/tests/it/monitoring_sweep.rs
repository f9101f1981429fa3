//! The worker's time-based monitoring: disengagement for everyone in an open
//! episode, and each service's expected trajectories, both safe to rerun.

use crate::both_dbs;
use crate::helpers::TestApp;
use bothy_app::RequestContext;
use bothy_app::policy::Actor;
use bothy_domain::PatientId;
use bothy_domain::alerts::Severity;
use bothy_domain::detectors::{Cause, ExpectedTrajectories};
use bothy_domain::referral::{Decision, Details, Problem, Source, Step};
use std::time::Duration;

both_dbs!(
    nobody_active_for_two_weeks_raises_one_low_alert_that_does_not_jump_the_waiting_list,
    expected_trajectories_are_computed_from_finished_episodes_once_a_day,
);

fn ctx() -> RequestContext {
    RequestContext::default()
}

async fn staff(t: &TestApp, role: &str) -> Actor {
    let email = bothy_domain::person::Email::parse(&t.staff(role).email).unwrap();
    let mut tx = t.app.store.read().await.unwrap();
    let id = tx.staff_by_email(&email).await.unwrap().unwrap().id;
    tx.rollback().await.unwrap();
    t.app.staff_actor(id, None).await.unwrap().unwrap()
}

/// Refers and accepts someone new; returns their patient id and episode.
async fn accepted(t: &TestApp, name: &str, phq9: Option<Vec<Option<i32>>>) -> (PatientId, String) {
    let triage = staff(t, "triage_clinician").await;
    let Actor::Staff(supporter) = staff(t, "supporter").await else {
        unreachable!()
    };
    let details = Details {
        given_name: Some(name.into()),
        family_name: Some("Sweep".into()),
        date_of_birth: Some("1980-02-02".parse().unwrap()),
        email: Some(format!("{}.sweep@example.org", name.to_lowercase())),
        preferred_channel: Some(bothy_domain::referral::Channel::Email),
        problems: vec![Problem::LowMood],
        phq9,
        ..Details::default()
    };
    let (r, _) = t
        .app
        .submit_referral(&triage, details, Source::Professional, name, &ctx())
        .await
        .unwrap();
    let decision = Decision::Accept {
        step: Step::Therapist,
        practitioner: supporter.id,
    };
    let r = t.app.decide(&triage, r.id, decision, &ctx()).await.unwrap();
    let pid = r.patient_id.unwrap();
    let mut tx = t.app.store.read().await.unwrap();
    let episode = tx.open_episode(pid).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    (pid, episode.id.to_string())
}

async fn nobody_active_for_two_weeks_raises_one_low_alert_that_does_not_jump_the_waiting_list(
    t: TestApp,
) {
    let (quiet, _) = accepted(&t, "Quinn", None).await;
    t.drain_jobs().await;
    assert!(
        t.open_alerts(quiet).await.is_empty(),
        "nobody is disengaged at once"
    );
    t.clock.advance(Duration::from_secs(14 * 86_400 - 60));
    t.drain_jobs().await;
    assert!(t.open_alerts(quiet).await.is_empty(), "not before 14 days");

    t.clock.advance(Duration::from_secs(120));
    let report = t.drain_jobs().await;
    assert_eq!(report.disengagement_signals, 1);
    let alerts = t.open_alerts(quiet).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].cause, Cause::Disengagement);
    assert_eq!(alerts[0].severity, Severity::Low);
    assert_eq!(alerts[0].source_kind, "evaluation");
    // Rerunning merges into the same alert.
    t.drain_jobs().await;
    let again = t.open_alerts(quiet).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, alerts[0].id);

    // A low alert does not move anyone up the waiting list.
    let (_, _) = accepted(&t, "Ruth", None).await;
    let triage = staff(&t, "triage_clinician").await;
    let list = t.app.waiting_list(&triage, &ctx()).await.unwrap();
    let quinn = list.entries.iter().find(|e| e.patient.id == quiet).unwrap();
    assert_eq!(quinn.open_flags, 0);
}

async fn expected_trajectories_are_computed_from_finished_episodes_once_a_day(t: TestApp) {
    let (pid, episode) = accepted(&t, "Finn", Some(vec![Some(2); 9])).await;
    let mut tx = t.app.store.read().await.unwrap();
    let patient = tx.patient(pid).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    let actor = Actor::Patient(bothy_app::policy::PatientActor {
        id: pid,
        service_id: patient.service_id,
        name: patient.full_name(),
    });
    t.clock.advance(Duration::from_secs(7 * 86_400));
    let sub = bothy_app::measures::Submission {
        instrument_id: "phq9".into(),
        version: None,
        answers: vec![Some(1); 9],
        idempotency_key: "finn-1".into(),
        source: bothy_domain::model::ResponseSource::Web,
    };
    t.app
        .submit_measure(&actor, pid, sub, &ctx())
        .await
        .unwrap();
    let triage = staff(&t, "triage_clinician").await;
    t.app
        .discharge(
            &triage,
            episode.parse().unwrap(),
            "Finished treatment",
            &ctx(),
        )
        .await
        .unwrap();

    let report = t.drain_jobs().await;
    assert!(
        report.trajectories_computed >= 2,
        "PHQ-9 and GAD-7: {report:?}"
    );
    let mut tx = t.app.store.read().await.unwrap();
    let (json, _) = tx
        .expected_trajectories(patient.service_id, "phq9")
        .await
        .unwrap()
        .expect("stored");
    tx.rollback().await.unwrap();
    let expected: ExpectedTrajectories = serde_json::from_str(&json).unwrap();
    assert_eq!(expected.instrument(), "phq9");
    assert!(
        expected.entries().is_empty(),
        "one finished episode is far fewer than the 30 a cell needs"
    );
    // Fresh for a day, then computed again.
    assert_eq!(t.drain_jobs().await.trajectories_computed, 0);
    t.clock.advance(Duration::from_secs(25 * 3600));
    assert!(t.drain_jobs().await.trajectories_computed >= 2);
}
