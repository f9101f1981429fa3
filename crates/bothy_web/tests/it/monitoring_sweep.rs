//! The worker's time-based monitoring: the sweep of every history detector
//! for everyone in an open episode, and each service's expected
//! trajectories, both safe to rerun.

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
    a_tool_entry_or_a_message_counts_as_activity,
    expected_trajectories_are_computed_from_finished_episodes_once_a_day,
    the_sweep_finds_what_no_submission_judged_and_leaves_a_closed_alert_closed,
    the_outcome_report_agrees_with_the_outcome_recorded_at_discharge,
);

fn ctx() -> RequestContext {
    RequestContext::default()
}

async fn staff(t: &TestApp, role: &str) -> Actor {
    let email = bothy_domain::person::Email::parse(&t.staff(role).email).unwrap();
    let mut tx = t.app.store().read().await.unwrap();
    let id = tx.staff_by_email(&email).await.unwrap().unwrap().id;
    tx.rollback().await.unwrap();
    t.app
        .accounts()
        .staff_actor(id, None)
        .await
        .unwrap()
        .unwrap()
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
        consents: bothy_domain::referral::Consents {
            contact_email: true,
            ..Default::default()
        },
        problems: vec![Problem::LowMood],
        screening: phq9.map(|a| ("phq9".to_string(), a)).into_iter().collect(),
        ..Details::default()
    };
    let (r, _) = t
        .app
        .referrals()
        .submit(&triage, details, Source::Professional, name, &ctx())
        .await
        .unwrap();
    let decision = Decision::Accept {
        step: Step::Therapist,
        practitioner: supporter.id,
        programme: None,
    };
    let r = t
        .app
        .triage()
        .decide(&triage, r.id, decision, &ctx())
        .await
        .unwrap();
    let pid = r.patient_id.unwrap();
    let mut tx = t.app.store().read().await.unwrap();
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
    assert_eq!(report.monitoring_signals, 1);
    let alerts = t.open_alerts(quiet).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].cause, Cause::Disengagement);
    assert_eq!(alerts[0].severity, Severity::Low);
    assert_eq!(alerts[0].source_kind, "evaluation");
    // Later sweeps leave the open alert as it is: nothing new happened, so
    // nothing is written, not even an audit event.
    let repeats = "SELECT COUNT(*) FROM audit_events WHERE action = $1";
    let events = t.count(repeats, "alert.repeated").await;
    t.clock.advance(Duration::from_secs(2 * 3600));
    t.drain_jobs().await;
    let again = t.open_alerts(quiet).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, alerts[0].id);
    assert_eq!(again[0].signal_count, alerts[0].signal_count);
    assert_eq!(t.count(repeats, "alert.repeated").await, events);

    // Closed by a clinician, it stays closed while the person stays quiet.
    let triage = staff(&t, "triage_clinician").await;
    t.app
        .alerts()
        .close(
            &triage,
            alerts[0].id,
            Some(bothy_domain::alerts::Outcome::ContactedPerson),
            None,
            &ctx(),
        )
        .await
        .unwrap();
    t.clock.advance(Duration::from_secs(2 * 3600));
    t.drain_jobs().await;
    assert!(
        t.open_alerts(quiet).await.is_empty(),
        "closing is not undone"
    );
    // Active again, then quiet for another two weeks: a new alert.
    let mut tx = t.app.store().read().await.unwrap();
    let patient = tx.patient(quiet).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    let person = Actor::Patient(bothy_app::policy::PatientActor {
        id: quiet,
        service_id: patient.service_id,
        name: patient.full_name(),
    });
    let input = bothy_app::check_ins::CheckInInput {
        mood: "6".into(),
        idempotency_key: "quinn-back".into(),
        ..Default::default()
    };
    t.app
        .check_ins()
        .record(&person, input, &ctx())
        .await
        .unwrap();
    t.clock.advance(Duration::from_secs(15 * 86_400));
    t.drain_jobs().await;
    let lapsed = t.open_alerts(quiet).await;
    assert_eq!(lapsed.len(), 1);
    assert_ne!(lapsed[0].id, alerts[0].id);

    // A low alert does not move anyone up the waiting list.
    let (_, _) = accepted(&t, "Ruth", None).await;
    let triage = staff(&t, "triage_clinician").await;
    let list = t
        .app
        .episodes()
        .waiting_list(&triage, &ctx())
        .await
        .unwrap();
    let quinn = list.entries.iter().find(|e| e.patient.id == quiet).unwrap();
    assert_eq!(quinn.open_flags, 0);
}

/// Someone who uses the tools or writes to their team is not disengaged,
/// though they never check in or complete a measure.
async fn a_tool_entry_or_a_message_counts_as_activity(t: TestApp) {
    let (busy, _) = accepted(&t, "Bea", None).await;
    let mut tx = t.app.store().read().await.unwrap();
    let patient = tx.patient(busy).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    let person = Actor::Patient(bothy_app::policy::PatientActor {
        id: busy,
        service_id: patient.service_id,
        name: patient.full_name(),
    });
    t.clock.advance(Duration::from_secs(10 * 86_400));
    let goal = [("goal", "Swim again"), ("progress", "2")]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .to_vec();
    let input = bothy_app::tools::ToolInput::Form(bothy_domain::tools::ToolKind::Goal, goal);
    t.app
        .tools()
        .record(&person, input, "bea-goal", &ctx())
        .await
        .unwrap();
    // Fourteen days after the episode began, but four after the entry.
    t.clock.advance(Duration::from_secs(5 * 86_400));
    t.drain_jobs().await;
    assert!(t.open_alerts(busy).await.is_empty(), "a tool entry counts");

    t.clock.advance(Duration::from_secs(8 * 86_400));
    t.app
        .messages()
        .start(
            &person,
            "A question",
            "Is it normal to feel tired?",
            "bea-1",
            &ctx(),
        )
        .await
        .unwrap();
    // Fourteen days after the entry, but six after the message.
    t.clock.advance(Duration::from_secs(6 * 86_400));
    t.drain_jobs().await;
    assert!(t.open_alerts(busy).await.is_empty(), "a message counts");

    // Quiet for fourteen days after the message: raised, dated from it.
    t.clock.advance(Duration::from_secs(8 * 86_400 + 60));
    t.drain_jobs().await;
    let alerts = t.open_alerts(busy).await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].cause, Cause::Disengagement);
    assert!(
        alerts[0].summary.starts_with("14 days"),
        "{}",
        alerts[0].summary
    );
}

async fn expected_trajectories_are_computed_from_finished_episodes_once_a_day(t: TestApp) {
    let (pid, episode) = accepted(&t, "Finn", Some(vec![Some(2); 9])).await;
    let mut tx = t.app.store().read().await.unwrap();
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
        .measures()
        .submit(&actor, pid, sub, &ctx())
        .await
        .unwrap();
    let triage = staff(&t, "triage_clinician").await;
    t.app
        .episodes()
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
    let mut tx = t.app.store().read().await.unwrap();
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

/// A deterioration stored without its detectors (as a bulk load stores it)
/// is found by the sweep; once a clinician closes that alert, later sweeps
/// leave it closed until new data arrives.
async fn the_sweep_finds_what_no_submission_judged_and_leaves_a_closed_alert_closed(t: TestApp) {
    // PHQ-9 of 8 at referral, then 20 a week later, written straight to the
    // store with its summary and no detectors.
    let (pid, episode) = accepted(
        &t,
        "Sam",
        Some(vec![
            Some(1),
            Some(1),
            Some(1),
            Some(1),
            Some(1),
            Some(1),
            Some(1),
            Some(1),
            Some(0),
        ]),
    )
    .await;
    t.drain_jobs().await;
    t.clock.advance(Duration::from_secs(7 * 86_400));
    let mut tx = t.app.store().begin().await.unwrap();
    let patient = tx.patient(pid).await.unwrap().unwrap();
    tx.add_to_score_summary(pid, &episode, "phq9", t.app.clock().now(), 20.0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(t.open_alerts(pid).await.is_empty());

    let swept = t.app.monitoring().sweep().await.unwrap();
    assert!(swept.people >= 1, "{swept:?}");
    let alerts = t.open_alerts(pid).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].dedupe_key, "deterioration:phq9");
    assert_eq!(alerts[0].source_kind, "evaluation");

    // A clinician closes it; the same data does not raise it again.
    let triage = staff(&t, "triage_clinician").await;
    t.app
        .alerts()
        .close(
            &triage,
            alerts[0].id,
            Some(bothy_domain::alerts::Outcome::ContactedPerson),
            None,
            &ctx(),
        )
        .await
        .unwrap();
    t.clock.advance(Duration::from_secs(3600));
    t.app.monitoring().sweep().await.unwrap();
    assert!(
        t.open_alerts(pid).await.is_empty(),
        "a closed alert stays closed"
    );

    // A new, still worse response is new data: judged at once, alerting again.
    let actor = Actor::Patient(bothy_app::policy::PatientActor {
        id: pid,
        service_id: patient.service_id,
        name: patient.full_name(),
    });
    let sub = bothy_app::measures::Submission {
        instrument_id: "phq9".into(),
        version: None,
        answers: vec![
            Some(2),
            Some(2),
            Some(2),
            Some(2),
            Some(2),
            Some(2),
            Some(2),
            Some(2),
            Some(0),
        ],
        idempotency_key: "sam-2".into(),
        source: bothy_domain::model::ResponseSource::Web,
    };
    t.app
        .measures()
        .submit(&actor, pid, sub, &ctx())
        .await
        .unwrap();
    let alerts = t.open_alerts(pid).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].dedupe_key, "deterioration:phq9");
    assert_eq!(alerts[0].source_kind, "measure_response");
}

/// A finished course that recovered: the year's outcome report, read from
/// summaries, classifies it as the discharge did from every response.
async fn the_outcome_report_agrees_with_the_outcome_recorded_at_discharge(t: TestApp) {
    let from = t.app.clock().now();
    let (pid, episode) = accepted(&t, "Rory", None).await;
    let mut tx = t.app.store().read().await.unwrap();
    let patient = tx.patient(pid).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    let actor = Actor::Patient(bothy_app::policy::PatientActor {
        id: pid,
        service_id: patient.service_id,
        name: patient.full_name(),
    });
    let triage = staff(&t, "triage_clinician").await;
    let episode_id = episode.parse().unwrap();
    // Three weeks of treatment: high scores at the start, low at the end,
    // with one in between that the report does not need.
    for (week, (phq9, gad7)) in [(3, 3), (2, 2), (0, 0)].into_iter().enumerate() {
        if week > 0 {
            t.clock.advance(Duration::from_secs(7 * 86_400));
        }
        t.app
            .episodes()
            .record_contact(&triage, episode_id, &ctx())
            .await
            .unwrap();
        for (instrument, value, items) in [("phq9", phq9, 9), ("gad7", gad7, 7)] {
            let sub = bothy_app::measures::Submission {
                instrument_id: instrument.into(),
                version: None,
                answers: (0..items)
                    .map(|i| Some(if i == 8 { 0 } else { value }))
                    .collect(),
                idempotency_key: format!("rory-{instrument}-{week}"),
                source: bothy_domain::model::ResponseSource::Web,
            };
            t.app
                .measures()
                .submit(&actor, pid, sub, &ctx())
                .await
                .unwrap();
        }
    }
    t.clock.advance(Duration::from_secs(3600));
    let at_discharge = t
        .app
        .episodes()
        .discharge(&triage, episode_id, "Finished treatment", &ctx())
        .await
        .unwrap();
    assert_eq!(at_discharge.finished_treatment, Some(true));
    assert_eq!(at_discharge.recovered, Some(true), "{at_discharge:?}");
    t.clock.advance(Duration::from_secs(60));
    let tally = t
        .app
        .reports()
        .outcome_tally(patient.service_id, from, t.app.clock().now())
        .await
        .unwrap();
    let yes = |v: Option<bool>| u64::from(v == Some(true));
    assert_eq!(
        tally,
        bothy_domain::outcomes::Tally {
            episodes: 1,
            finished: 1,
            at_caseness: yes(at_discharge.at_caseness),
            recovered: 1,
            reliable_improvement: yes(at_discharge.reliable_improvement),
            reliable_recovery: yes(at_discharge.reliable_recovery),
            reliable_deterioration: yes(at_discharge.reliable_deterioration),
        }
    );
    // The count came from the flags stored at discharge; with them gone
    // (as for an episode discharged before they were kept) or made by other
    // rules, the episode is classified again, counted once, and its flags
    // kept for the next count.
    let id = episode_id.to_string();
    let flagged = "SELECT COUNT(*) FROM episodes WHERE id = $1 AND outcome_flags IS NOT NULL \
                   AND outcome_rules LIKE 'talking-therapies-%'";
    assert_eq!(t.count(flagged, &id).await, 1);
    for stale in [
        "UPDATE episodes SET outcome_flags = NULL, outcome_rules = NULL",
        "UPDATE episodes SET outcome_flags = 0, outcome_rules = 'talking-therapies-0'",
    ] {
        t.raw_sql(stale).await;
        let again = t
            .app
            .reports()
            .outcome_tally(patient.service_id, from, t.app.clock().now())
            .await
            .unwrap();
        assert_eq!(again, tally, "after {stale}");
        assert_eq!(t.count(flagged, &id).await, 1, "after {stale}");
    }
    // Nothing discharged before the period is counted.
    let earlier = t
        .app
        .reports()
        .outcome_tally(patient.service_id, from, from)
        .await
        .unwrap();
    assert_eq!(earlier.episodes, 0);
}
