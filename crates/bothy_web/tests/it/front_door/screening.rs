//! Screening instruments are a service's setting, not PHQ-9 and GAD-7 by
//! fixed fields: a service that screens with CORE-10 asks it in the
//! self-referral form, reads its risk item, shows it in triage, and takes it
//! (and only it) with a FHIR referral.

use super::support::*;
use crate::both_dbs_service;
use crate::helpers::TestApp;
use axum::body::Body;
use axum::http::{Method, Request, header};
use bothy_domain::role::ApiPermission;
use serde_json::{Value, json};
use std::time::Duration;

fn screens_with_core10() -> &'static str {
    "[screening]\ninstruments = [\"core10\"]\n"
}

both_dbs_service!(
    screens_with_core10;
    a_service_screening_with_core10_asks_it_reads_its_risk_item_and_triages_by_it,
    a_fhir_referral_to_it_with_phq9_answers_is_refused_by_name,
);

async fn a_service_screening_with_core10_asks_it_reads_its_risk_item_and_triages_by_it(t: TestApp) {
    let c = t.client();
    let token = begin(&c).await;
    let p = person("Corin", "Tenney", "corin.tenney@example.org");
    let next = |s: &str| format!("/refer/{token}/{s}");
    step(&c, &token, "about", &about(&p))
        .await
        .redirects_to(&next("gp"));
    step(&c, &token, "gp", &owned(&[("gp_practice", "Riverside")]))
        .await
        .redirects_to(&next("help"));
    step(&c, &token, "help", &owned(&[("problems", "low_mood")]))
        .await
        .redirects_to(&next("questions"));

    let page = c.get(&next("questions")).await.ok();
    assert!(page.body.contains("name=\"core10-10\""), "{}", page.body);
    assert!(!page.body.contains("name=\"phq9-1\"") && !page.body.contains("name=\"gad7-1\""));

    // PHQ-9 answers are not what this service asks: nothing of them is kept,
    // and the page says which questions are still to answer.
    let r = step(&c, &token, "questions", &answers("phq9", &PHQ9_LOW))
        .await
        .status(422);
    assert!(r.body.contains("CORE-10: answer question 1"), "{}", r.body);
    let draft = &queued(&t, &p.email).await;
    assert!(
        draft.is_empty(),
        "a draft without a risk answer is not in triage yet"
    );

    // CORE-10's risk item alone: the crisis contacts at once, the referral
    // urgent though unsent, and an alert for the duty clinician.
    step(&c, &token, "questions", &owned(&[("core10-6", "2")]))
        .await
        .status(422)
        .has_crisis_panel();
    let q = queued(&t, &p.email).await;
    assert_eq!(q.len(), 1);
    assert!(q[0].risk);
    assert_eq!(q[0].details.screening["core10"][5], Some(2));
    assert!(!q[0].details.screening.contains_key("phq9"));
    let alerts = t
        .count(
            "SELECT COUNT(*) FROM alerts WHERE referral_id = $1 AND closed_at IS NULL",
            &q[0].id.to_string(),
        )
        .await;
    assert_eq!(alerts, 1);

    // Complete, consent, check and send.
    step(&c, &token, "questions", &answers("core10", &[1; 10]))
        .await
        .redirects_to(&next("consent"));
    step(&c, &token, "consent", &owned(&[("treatment", "yes")]))
        .await
        .redirects_to(&next("check"));
    let check = c.get(&next("check")).await.ok();
    assert!(check.body.contains("CORE-10 question 10"), "{}", check.body);
    t.clock.advance(Duration::from_secs(60));
    let sent = step(&c, &token, "check", &owned(&[("website", "")])).await;
    assert!(
        sent.location()
            .is_some_and(|l| l.starts_with("/refer/sent"))
    );

    // Triage's columns are the service's questionnaires.
    let staff = t.staff_client("triage_clinician").await;
    let queue = staff.get("/staff/triage").await.ok();
    assert!(
        queue.body.contains("<th scope=\"col\">CORE-10</th>"),
        "{}",
        queue.body
    );
    assert!(!queue.body.contains(">PHQ-9<") && !queue.body.contains(">GAD-7<"));
    // Every answer 1: items 2 and 3 are worded positively and score in
    // reverse (4 - 1 = 3), so 8 x 1 + 2 x 3 = 14, "mild" (CORE-10 bands).
    assert!(
        queue.body.contains("<td>14, mild</td>"),
        "the CORE-10 total: {}",
        queue.body
    );
}

async fn a_fhir_referral_to_it_with_phq9_answers_is_refused_by_name(t: TestApp) {
    let demo = t.app.admin().service_by_slug("demo").await.unwrap().id;
    let client = t
        .app
        .admin()
        .register_api_client(
            demo,
            "GP referrals",
            &[ApiPermission::ReferralCreate],
            &Default::default(),
        )
        .await
        .unwrap();
    let body: Value =
        crate::fhir_referrals::referral(&t, "sr-core10", "rhona.referred@example.org");
    let r = t
        .client()
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/fhir/ServiceRequest")
                .header(header::CONTENT_TYPE, "application/fhir+json")
                .header(header::AUTHORIZATION, format!("Bearer {}", client.token))
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
        .status(422);
    let outcome = r.json();
    let issues = outcome["issue"].as_array().unwrap();
    let refused: Vec<&str> = issues
        .iter()
        .filter_map(|i| i["diagnostics"].as_str())
        .filter(|d| d.starts_with("This service takes CORE-10 answers with a referral"))
        .collect();
    assert_eq!(refused.len(), 2, "{outcome:#}");
    assert!(refused[0].contains("not PHQ-9") && refused[1].contains("not GAD-7"));
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM referrals WHERE service_id = $1",
            &demo.to_string()
        )
        .await,
        0,
        "nothing is stored: {}",
        json!(issues.len())
    );
}
