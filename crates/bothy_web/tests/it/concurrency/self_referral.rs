//! The front door at once: a self-referral sent while it is being edited,
//! sent many times, or edited on several steps together; a professional
//! referral or a FHIR ServiceRequest sent many times with one key.

use super::decisions::family;
use super::*;
use crate::both_dbs;
use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::{Method, Request, header};
use bothy_app::RequestContext;
use bothy_app::referrals::{AboutYou, StepInput};
use bothy_domain::ids::ReferralId;
use bothy_domain::referral::{Consents, Referral, Status};
use bothy_domain::role::ApiPermission;
use std::time::Duration;

both_dbs!(the_front_door_at_once);

/// One app for every front-door scenario (each app costs a fresh database).
async fn the_front_door_at_once(t: TestApp) {
    sending_while_editing_never_reverts_a_sent_referral(&t).await;
    parallel_sends_send_once(&t).await;
    parallel_edits_of_different_steps_all_stay(&t).await;
    a_risk_answer_sent_many_times_raises_one_alert(&t).await;
    a_professional_referral_sent_many_times_is_one(&t).await;
    a_service_request_sent_many_times_is_one(&t).await;
}

/// A risk answer saved many times at once (a double tap, a resent form):
/// one open alert on the referral, the repeats joined to it, no 500.
async fn a_risk_answer_sent_many_times_raises_one_alert(t: &TestApp) {
    for round in 0..ROUNDS {
        let (token, id) = filled_draft(t, 40 + round).await;
        let c = t.client();
        c.get(&format!("/refer/{token}/questions")).await.ok();
        let answers = post_at_once(
            &c,
            AT_ONCE,
            &format!("/refer/{token}/questions"),
            &[("phq9-9", "3")],
        )
        .await;
        no_server_errors(&answers);
        let mut tx = t.app.store().read().await.unwrap();
        let alerts = tx.referral_alerts(id).await.unwrap();
        tx.rollback().await.unwrap();
        assert_eq!(alerts.len(), 1, "round {round}: {alerts:?}");
        assert!(!alerts[0].state.is_closed());
        assert!(stored(t, id).await.risk, "round {round}");
    }
}

fn about(n: usize, language: &str) -> AboutYou {
    AboutYou {
        given_name: "Skye".into(),
        family_name: family(n),
        dob_day: "14".into(),
        dob_month: "6".into(),
        dob_year: "1988".into(),
        email: format!("skye.{n}@example.org"),
        preferred_channel: "email".into(),
        language: language.into(),
        postcode: "EH1 1AA".into(),
        ..Default::default()
    }
}

fn about_fields(n: usize, language: &str) -> Vec<(String, String)> {
    let a = about(n, language);
    owned(&[
        ("given_name", &a.given_name),
        ("family_name", &a.family_name),
        ("dob_day", &a.dob_day),
        ("dob_month", &a.dob_month),
        ("dob_year", &a.dob_year),
        ("email", &a.email),
        ("phone", ""),
        ("preferred_channel", &a.preferred_channel),
        ("language", language),
        ("accessibility_needs", ""),
        ("nhs_number", ""),
        ("chi", ""),
        ("postcode", &a.postcode),
    ])
}

/// A self-referral with every step filled in, old enough to be sent by a
/// person; returns its resume token and id.
async fn filled_draft(t: &TestApp, n: usize) -> (String, ReferralId) {
    let ctx = RequestContext::default();
    let draft = t.app.referrals().start("demo", &ctx).await.unwrap();
    let token = draft.resume_token;
    let steps = [
        StepInput::About(Box::new(about(n, ""))),
        StepInput::Gp {
            practice: "Riverside Medical Practice".into(),
        },
        StepInput::Help {
            text: "Flat since the winter".into(),
            problems: vec!["low_mood".into()],
        },
        StepInput::Questions(
            [
                (
                    "phq9".into(),
                    [1, 1, 1, 1, 1, 0, 0, 0, 0].map(Some).to_vec(),
                ),
                ("gad7".into(), [1, 1, 1, 0, 0, 0, 0].map(Some).to_vec()),
            ]
            .into(),
        ),
        StepInput::Consent(Consents {
            treatment: true,
            contact_email: true,
            ..Default::default()
        }),
    ];
    for s in steps {
        t.app.referrals().save_step(&token, s, &ctx).await.unwrap();
    }
    t.clock.advance(Duration::from_secs(60));
    (token, draft.referral.id)
}

async fn stored(t: &TestApp, id: ReferralId) -> Referral {
    let mut tx = t.app.store().read().await.unwrap();
    let r = tx.referral(id).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    r
}

/// How many messages are queued to the person about their referral.
async fn received_messages(t: &TestApp, id: ReferralId) -> i64 {
    t.count(
        "SELECT COUNT(*) FROM jobs WHERE idempotency_key LIKE $1",
        &format!("referral.{id}.received.%"),
    )
    .await
}

async fn in_triage(t: &TestApp, id: ReferralId) -> bool {
    let service = t.app.admin().service_by_slug("demo").await.unwrap().id;
    let mut tx = t.app.store().read().await.unwrap();
    let q = tx.triage_queue(service, 500).await.unwrap();
    tx.rollback().await.unwrap();
    q.iter().any(|r| r.id == id)
}

const SENT: &str = "/refer/sent?service=demo";

/// "Send" and an edit of the first step, at the same moment, on one link:
/// the referral ends sent, in triage, with one message queued; each edit
/// either went in before the send or was refused with a message saying the
/// referral has been sent.
async fn sending_while_editing_never_reverts_a_sent_referral(t: &TestApp) {
    for round in 0..ROUNDS {
        let (token, id) = filled_draft(t, round).await;
        let c = t.client();
        c.get(&format!("/refer/{token}/check")).await.ok();
        let send = owned(&[("service", "demo"), ("website", "")]);
        let requests = (0..AT_ONCE)
            .map(|i| {
                if i % 2 == 0 {
                    post_owned(c.clone(), format!("/refer/{token}/check"), send.clone())
                } else {
                    post_owned(
                        c.clone(),
                        format!("/refer/{token}/about"),
                        about_fields(round, "Gaelic"),
                    )
                }
            })
            .collect();
        let answers = at_once(requests).await;
        no_server_errors(&answers);
        for (i, r) in answers.iter().enumerate() {
            if i % 2 == 0 {
                assert_eq!(r.location(), Some(SENT), "a send: {} {}", r.status, r.body);
            } else if r.status.as_u16() == 409 {
                assert!(
                    r.body.contains("already been sent"),
                    "the refusal says why: {}",
                    r.body
                );
            } else {
                assert_eq!(
                    r.location(),
                    Some(format!("/refer/{token}/gp").as_str()),
                    "an edit before the send: {} {}",
                    r.status,
                    r.body
                );
            }
        }
        let r = stored(t, id).await;
        assert_eq!(r.status, Status::Received, "round {round}");
        assert!(r.received_at.is_some());
        assert!(in_triage(t, id).await, "round {round}: in the triage queue");
        assert_eq!(received_messages(t, id).await, 1, "round {round}");
        assert_eq!(audited(t, "referral.received", &id.to_string()).await, 1);
        // After the send, an edit is refused and changes nothing.
        let late = post_owned(
            c.clone(),
            format!("/refer/{token}/gp"),
            owned(&[("gp_practice", "Harbour Surgery")]),
        )
        .await
        .status(409);
        assert!(late.body.contains("already been sent"), "{}", late.body);
        let after = stored(t, id).await;
        assert_eq!(after.status, Status::Received);
        assert_eq!(
            after.details.gp_practice.as_deref(),
            Some("Riverside Medical Practice")
        );
    }
    t.drain_jobs().await;
}

/// "Send" pressed many times at once: sent once, one message, and every
/// press lands on the same confirmation.
async fn parallel_sends_send_once(t: &TestApp) {
    for round in 0..ROUNDS {
        let (token, id) = filled_draft(t, 10 + round).await;
        let c = t.client();
        c.get(&format!("/refer/{token}/check")).await.ok();
        let answers = post_at_once(
            &c,
            AT_ONCE,
            &format!("/refer/{token}/check"),
            &[("service", "demo"), ("website", "")],
        )
        .await;
        all_redirect_to(&answers, SENT);
        assert_eq!(stored(t, id).await.status, Status::Received);
        assert_eq!(received_messages(t, id).await, 1, "round {round}");
        assert_eq!(audited(t, "referral.received", &id.to_string()).await, 1);
    }
    t.drain_jobs().await;
}

/// Several steps of one draft saved at the same moment (two tabs): every
/// step's answer is kept; none overwrites another's.
async fn parallel_edits_of_different_steps_all_stay(t: &TestApp) {
    for round in 0..ROUNDS {
        let (token, id) = filled_draft(t, 20 + round).await;
        let c = t.client();
        c.get(&format!("/refer/{token}/about")).await.ok();
        let practice = format!("Harbour Surgery {round}");
        let text = format!("Worse since the autumn {round}");
        let requests = vec![
            post_owned(
                c.clone(),
                format!("/refer/{token}/about"),
                about_fields(20 + round, "Gaelic"),
            ),
            post_owned(
                c.clone(),
                format!("/refer/{token}/gp"),
                owned(&[("gp_practice", &practice)]),
            ),
            post_owned(
                c.clone(),
                format!("/refer/{token}/help"),
                owned(&[("problem_text", &text), ("problems", "sleep")]),
            ),
            post_owned(
                c.clone(),
                format!("/refer/{token}/consent"),
                owned(&[
                    ("treatment", "yes"),
                    ("contact_email", "yes"),
                    ("evaluation", "yes"),
                ]),
            ),
        ];
        let answers = at_once(requests).await;
        no_server_errors(&answers);
        for (r, next) in answers.iter().zip(["gp", "help", "questions", "check"]) {
            assert_eq!(
                r.location(),
                Some(format!("/refer/{token}/{next}").as_str()),
                "{} {}",
                r.status,
                r.body
            );
        }
        let d = stored(t, id).await.details;
        assert_eq!(d.language.as_deref(), Some("Gaelic"), "round {round}");
        assert_eq!(d.gp_practice.as_deref(), Some(practice.as_str()));
        assert_eq!(d.problem_text.as_deref(), Some(text.as_str()));
        assert!(d.consents.evaluation, "round {round}: consent kept");
    }
}

/// The professional form sent many times with its key: one referral.
async fn a_professional_referral_sent_many_times_is_one(t: &TestApp) {
    let staff = t.staff_client("triage_clinician").await;
    for round in 0..ROUNDS {
        let form = staff.get("/staff/referrals/new").await.ok();
        let key = form.field("key");
        let mut fields = about_fields(30 + round, "");
        fields.extend(owned(&[
            ("gp_practice", "Leith Walk Surgery"),
            ("problem_text", "Panic attacks at work"),
            ("problems", "panic"),
            ("referrer_name", "Dr Fiona Black"),
            ("referrer_organisation", "Leith Walk Surgery"),
            ("key", &key),
        ]));
        let requests = (0..AT_ONCE)
            .map(|_| post_owned(staff.clone(), "/staff/referrals/new".into(), fields.clone()))
            .collect();
        let answers = at_once(requests).await;
        all_redirect_to(&answers, "/staff/referrals/new?sent=1");
        let n = t
            .count(
                "SELECT COUNT(*) FROM referrals WHERE family_name = $1",
                &family(30 + round),
            )
            .await;
        assert_eq!(n, 1, "round {round}");
    }
    t.drain_jobs().await;
}

/// A ServiceRequest sent many times with one identifier: one referral, one
/// 201 and the rest 200 with the same resource.
async fn a_service_request_sent_many_times_is_one(t: &TestApp) {
    let demo = t.app.admin().service_by_slug("demo").await.unwrap().id;
    let client = t
        .app
        .admin()
        .register_api_client(
            demo,
            "GP system",
            &[ApiPermission::ReferralCreate],
            &RequestContext::default(),
        )
        .await
        .unwrap();
    let auth = format!("Bearer {}", client.token);
    let c = t.client();
    for round in 0..ROUNDS {
        let key = format!("gp-concurrent-{round}");
        let email = format!("rhona.{round}@example.org");
        let body = crate::fhir_referrals::referral(t, &key, &email).to_string();
        let requests = (0..AT_ONCE)
            .map(|_| {
                let c = c.clone();
                let auth = auth.clone();
                let body = body.clone();
                async move {
                    c.send(
                        Request::builder()
                            .method(Method::POST)
                            .uri("/fhir/ServiceRequest")
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
            .count("SELECT COUNT(*) FROM referrals WHERE email = $1", &email)
            .await;
        assert_eq!(n, 1, "round {round}");
    }
    t.drain_jobs().await;
}
