//! A person's submissions, many at once: check-ins, measures (sent and
//! saved for later), FHIR QuestionnaireResponses and safety plan saves.

use super::*;
use crate::both_dbs;
use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::{Method, Request, header};
use bothy_app::RequestContext;
use bothy_domain::role::ApiPermission;
use std::time::Duration;

both_dbs!(submissions_at_once);

/// One app for every submission scenario (each app costs a fresh database).
async fn submissions_at_once(t: TestApp) {
    a_check_in_sent_many_times_is_stored_once(&t).await;
    a_measure_sent_many_times_is_stored_once_with_one_alert(&t).await;
    measure_drafts_saved_at_once_leave_one_draft(&t).await;
    a_questionnaire_response_sent_many_times_is_stored_once(&t).await;
    safety_plan_saves_at_once_each_make_one_version(&t).await;
}

fn patient(t: &TestApp, n: usize) -> String {
    t.demo.patients[n].id.clone()
}

/// A double tap on a mood button, and the same form resent: one check-in,
/// and every answer lands on the same timeline.
async fn a_check_in_sent_many_times_is_stored_once(t: &TestApp) {
    let c = t.patient_client(0).await;
    let before = audited(t, "check_in.recorded", "").await;
    for round in 0..ROUNDS {
        let key = c.get("/check-in").await.ok().field("key");
        let mood = (3 + round).to_string();
        let answers = post_at_once(
            &c,
            AT_ONCE,
            "/check-in",
            &[("key", &key), ("mood", &mood), ("note", "Tired")],
        )
        .await;
        all_redirect_to(&answers, "/check-ins?saved=1");
        let n = t
            .count(
                "SELECT COUNT(*) FROM check_ins WHERE idempotency_key = $1",
                &key,
            )
            .await;
        assert_eq!(n, 1, "round {round}");
        assert_eq!(
            audited(t, "check_in.recorded", "").await,
            before + round as i64 + 1
        );
        t.clock.advance(Duration::from_secs(60));
    }
}

fn measure_fields(answers: &[i32], key: &str) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = answers
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("item-{}", i + 1), v.to_string()))
        .collect();
    f.push(("key".into(), key.into()));
    f.push(("action".into(), "submit".into()));
    f
}

/// A PHQ-9 with a risk answer sent many times at once: one response, one
/// alert raised once, and every answer leads to the same result page.
async fn a_measure_sent_many_times_is_stored_once_with_one_alert(t: &TestApp) {
    let c = t.patient_client(1).await;
    let me = patient(t, 1);
    for round in 0..ROUNDS {
        let key = c.get("/measures/phq9").await.ok().field("key");
        let fields = measure_fields(&[2, 1, 2, 1, 0, 1, 1, 0, 1], &key);
        let requests = (0..AT_ONCE)
            .map(|_| post_owned(c.clone(), "/measures/phq9".into(), fields.clone()))
            .collect();
        let answers = at_once(requests).await;
        no_server_errors(&answers);
        let first = answers[0].location().unwrap_or_default().to_string();
        assert!(first.starts_with("/measures/responses/"), "{first}");
        all_redirect_to(&answers, &first);
        let n = t
            .count(
                "SELECT COUNT(*) FROM measure_responses WHERE idempotency_key = $1",
                &key,
            )
            .await;
        assert_eq!(n, 1, "round {round}");
        let id = first.trim_start_matches("/measures/responses/");
        assert_eq!(audited(t, "measure.submitted", id).await, 1);
        // The risk answer raised (or repeated) an alert once, from this one
        // response: the others stored nothing and raised nothing.
        let risk = format!("risk_item%{id}");
        let signalled =
            audited(t, "alert.raised", &risk).await + audited(t, "alert.repeated", &risk).await;
        assert_eq!(signalled, 1, "round {round}");
        assert!(!t.open_alerts(me.parse().unwrap()).await.is_empty());
        t.clock.advance(Duration::from_secs(60));
    }
}

/// "Save and finish later" pressed many times at once: one draft, kept.
async fn measure_drafts_saved_at_once_leave_one_draft(t: &TestApp) {
    let c = t.patient_client(0).await;
    let me = patient(t, 0);
    for round in 0..ROUNDS {
        c.get("/measures/gad7").await.ok();
        let mut fields: Vec<(String, String)> = (1..=3)
            .map(|i| (format!("item-{i}"), ((i + round) % 4).to_string()))
            .collect();
        fields.push(("action".into(), "save".into()));
        let requests = (0..AT_ONCE)
            .map(|_| post_owned(c.clone(), "/measures/gad7".into(), fields.clone()))
            .collect();
        let answers = at_once(requests).await;
        all_redirect_to(&answers, "/home?saved=1");
        let n = t
            .count(
                "SELECT COUNT(*) FROM measure_drafts WHERE patient_id = $1",
                &me,
            )
            .await;
        assert_eq!(n, 1, "round {round}");
    }
}

/// The same QuestionnaireResponse posted many times at once by a system:
/// one stored, one 201 and the rest 200 with the same resource.
async fn a_questionnaire_response_sent_many_times_is_stored_once(t: &TestApp) {
    let demo = t.app.admin().service_by_slug("demo").await.unwrap().id;
    let client = t
        .app
        .admin()
        .register_api_client(
            demo,
            "Outcomes feed",
            &[ApiPermission::MeasuresWrite, ApiPermission::PatientRead],
            &RequestContext::default(),
        )
        .await
        .unwrap();
    let auth = format!("Bearer {}", client.token);
    let phq9 = t.app.measures().instrument("phq9").unwrap().clone();
    let me = patient(t, 2);
    let c = t.client();
    for round in 0..ROUNDS {
        let key = format!("gp-concurrent-{round}");
        let body = crate::fhir_measures::response(&phq9, &me, &key, &[1, 1, 1, 1, 1, 0, 0, 0, 0])
            .to_string();
        let requests = (0..AT_ONCE)
            .map(|_| {
                let c = c.clone();
                let auth = auth.clone();
                let body = body.clone();
                async move {
                    c.send(
                        Request::builder()
                            .method(Method::POST)
                            .uri("/fhir/QuestionnaireResponse")
                            .header(header::AUTHORIZATION, auth)
                            .header(header::CONTENT_TYPE, "application/fhir+json")
                            .body(Body::from(body))
                            .unwrap(),
                    )
                    .await
                }
            })
            .collect();
        let answers = at_once(requests).await;
        no_server_errors(&answers);
        let mut s = statuses(&answers);
        s.sort();
        assert_eq!(
            s,
            [vec![200; AT_ONCE - 1], vec![201]].concat(),
            "round {round}"
        );
        let ids: Vec<String> = answers.iter().map(|r| r.json()["id"].to_string()).collect();
        assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
        let n = t
            .count(
                "SELECT COUNT(*) FROM measure_responses WHERE idempotency_key = $1",
                &key,
            )
            .await;
        assert_eq!(n, 1, "round {round}");
    }
}

/// Saving the safety plan many times at once: every save is a version (a
/// plan is never overwritten), so the versions run 1..N with none lost,
/// doubled or refused.
async fn safety_plan_saves_at_once_each_make_one_version(t: &TestApp) {
    let c = t.patient_client(0).await;
    let me = patient(t, 0);
    let before = audited(t, "safety_plan.saved", "").await;
    c.get("/safety-plan/edit").await.ok();
    for round in 0..ROUNDS {
        let requests = (0..AT_ONCE)
            .map(|i| {
                post_owned(
                    c.clone(),
                    "/safety-plan/edit".into(),
                    owned(&[("coping_strategies", &format!("Walk {round}.{i}"))]),
                )
            })
            .collect();
        let answers = at_once(requests).await;
        all_redirect_to(&answers, "/safety-plan?saved=1");
    }
    let total = (ROUNDS * AT_ONCE) as i64;
    assert_eq!(
        t.count(
            "SELECT COUNT(DISTINCT version) FROM safety_plan_versions WHERE patient_id = $1",
            &me,
        )
        .await,
        total
    );
    assert_eq!(
        t.count(
            "SELECT MAX(version) FROM safety_plan_versions WHERE patient_id = $1",
            &me,
        )
        .await,
        total
    );
    assert_eq!(audited(t, "safety_plan.saved", "").await, before + total);
}
