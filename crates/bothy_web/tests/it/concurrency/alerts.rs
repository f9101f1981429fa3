//! Transitions staff make on alerts and episodes, many at once: each happens
//! once, with one audit event; a repeat by the same person is answered as
//! if it were the first, and someone else is told who got there first.

use super::links::accepted;
use super::*;
use crate::both_dbs;
use crate::helpers::TestApp;
use bothy_app::RequestContext;
use bothy_app::measures::Submission;
use bothy_domain::PatientId;
use bothy_domain::ids::AlertId;
use bothy_domain::model::ResponseSource;
use std::time::Duration;

both_dbs!(staff_transitions_at_once);

/// One app for every scenario here (each app costs a fresh database).
async fn staff_transitions_at_once(t: TestApp) {
    acknowledging_at_once_happens_once(&t).await;
    closing_at_once_happens_once_and_the_first_outcome_stands(&t).await;
    discharging_at_once_happens_once(&t).await;
}

/// A fresh open risk alert for the `n`th demo patient (a PHQ-9 with its
/// last item answered "several days").
async fn risk_alert(t: &TestApp, n: usize, round: usize) -> AlertId {
    let id: PatientId = t.demo.patients[n].id.parse().unwrap();
    let actor = t.app.accounts().patient_actor(id).await.unwrap().unwrap();
    let sub = Submission {
        instrument_id: "phq9".into(),
        version: None,
        answers: [1, 1, 1, 1, 1, 0, 0, 0, 1].map(Some).to_vec(),
        idempotency_key: format!("alert-round-{round}"),
        source: ResponseSource::Web,
    };
    t.app
        .measures()
        .submit(&actor, id, sub, &RequestContext::default())
        .await
        .unwrap();
    let open = t.open_alerts(id).await;
    assert_eq!(open.len(), 1, "{open:#?}");
    open[0].id
}

/// Closes an alert directly, so that the next round raises a new one.
async fn close(t: &TestApp, c: &Client, id: AlertId) {
    c.post_form(
        &format!("/alerts/{id}/close"),
        &[("outcome", "contacted_person")],
    )
    .await;
    t.clock.advance(Duration::from_secs(60));
}

/// One clinician's double clicks land on the alert; a second clinician
/// clicking at the same moment is told who is dealing with it (or is the
/// one who is, and the first is told); one acknowledgement is recorded.
async fn acknowledging_at_once_happens_once(t: &TestApp) {
    let tariq = t.staff_client("triage_clinician").await;
    let lee = t.staff_client("clinical_lead").await;
    for round in 0..ROUNDS {
        let id = risk_alert(t, 0, round).await;
        let page = format!("/alerts/{id}");
        tariq.get(&page).await.ok();
        lee.get(&page).await.ok();
        let requests = (0..AT_ONCE)
            .map(|i| {
                let who = if i < AT_ONCE / 2 || round == 0 {
                    &tariq
                } else {
                    &lee
                };
                post_owned(who.clone(), format!("{page}/acknowledge"), Vec::new())
            })
            .collect();
        let answers = at_once(requests).await;
        no_server_errors(&answers);
        for r in &answers {
            match r.status.as_u16() {
                303 => assert_eq!(r.location(), Some(page.as_str())),
                409 => assert!(
                    r.body.contains("is already dealing with this alert"),
                    "{}",
                    r.body
                ),
                s => panic!("unexpected {s}: {}", r.body),
            }
        }
        if round == 0 {
            // One person's double clicks all succeed.
            all_redirect_to(&answers, &page);
        }
        assert_eq!(audited(t, "alert.acknowledged", &id.to_string()).await, 1);
        close(t, &tariq, id).await;
    }
}

/// Closing at once: the same person's repeats land on the closed alert;
/// a different outcome from someone else is refused; the first outcome
/// stands and one closing is recorded.
async fn closing_at_once_happens_once_and_the_first_outcome_stands(t: &TestApp) {
    let tariq = t.staff_client("triage_clinician").await;
    let lee = t.staff_client("clinical_lead").await;
    for round in 0..ROUNDS {
        let id = risk_alert(t, 1, round).await;
        let page = format!("/alerts/{id}");
        tariq.get(&page).await.ok();
        lee.get(&page).await.ok();
        let requests = (0..AT_ONCE)
            .map(|i| {
                let (who, outcome) = if i % 2 == 0 || round == 0 {
                    (&tariq, "contacted_person")
                } else {
                    (&lee, "appointment_offered")
                };
                post_owned(
                    who.clone(),
                    format!("{page}/close"),
                    owned(&[("outcome", outcome)]),
                )
            })
            .collect();
        let answers = at_once(requests).await;
        no_server_errors(&answers);
        if round == 0 {
            all_redirect_to(&answers, &page);
        }
        for r in &answers {
            match r.status.as_u16() {
                303 => assert_eq!(r.location(), Some(page.as_str())),
                409 => assert!(
                    r.body.contains("has already closed this alert"),
                    "{}",
                    r.body
                ),
                s => panic!("unexpected {s}: {}", r.body),
            }
        }
        assert_eq!(audited(t, "alert.closed", &id.to_string()).await, 1);
        t.clock.advance(Duration::from_secs(60));
    }
}

/// Discharging one episode many times at once: it ends once, with one
/// outcome and one audit event; the repeats are told it has ended.
async fn discharging_at_once_happens_once(t: &TestApp) {
    let tariq = t.staff_client("triage_clinician").await;
    tariq.get("/staff/waiting").await.ok();
    for round in 0..ROUNDS {
        let (referral, _) = accepted(t, 40 + round).await;
        let episode = t
            .count(
                "SELECT COUNT(*) FROM episodes WHERE referral_id = $1",
                &referral.to_string(),
            )
            .await;
        assert_eq!(episode, 1);
        let id = {
            let mut tx = t.app.store().read().await.unwrap();
            let p = tx.referral(referral).await.unwrap().unwrap().patient_id;
            let e = tx.open_episode(p.unwrap()).await.unwrap().unwrap().id;
            tx.rollback().await.unwrap();
            e
        };
        let answers = post_at_once(
            &tariq,
            AT_ONCE,
            &format!("/staff/episodes/{id}/discharge"),
            &[("reason", "Finished the programme")],
        )
        .await;
        no_server_errors(&answers);
        let mut s = statuses(&answers);
        s.sort();
        assert_eq!(
            s,
            [vec![200], vec![409; AT_ONCE - 1]].concat(),
            "round {round}"
        );
        for r in answers.iter().filter(|r| r.status.as_u16() == 409) {
            assert!(r.body.contains("already ended"), "{}", r.body);
        }
        assert_eq!(
            audited(t, "episode.discharged", &format!("episode {id}")).await,
            1
        );
    }
    t.drain_jobs().await;
}
