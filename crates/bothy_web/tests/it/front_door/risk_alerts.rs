//! Every risk signal raises an alert wherever it enters (issue 13): a
//! self-referral (sent or not) and a professional referral with a risk answer
//! or risky words raise an alert in the duty queue at once, with a deadline
//! from the service's opening hours; the person is told honestly whether
//! anyone is watching; the risk follows the person after triage accepts.

use super::support::*;
use crate::both_dbs;
use crate::helpers::TestApp;
use bothy_domain::alerts::Severity;
use bothy_domain::model::Alert;
use bothy_domain::referral::Referral;
use std::time::Duration;

both_dbs!(
    a_risky_self_referral_out_of_hours_raises_an_alert_due_at_the_next_opening_and_the_risk_follows_the_person,
    an_unsent_self_referral_with_a_risk_answer_raises_an_alert_too,
    a_professional_referral_with_risky_words_raises_an_alert,
    the_crisis_contacts_show_once_on_a_patient_page_and_fold_on_staff_pages,
);

/// The alerts raised on a referral, newest first.
async fn referral_alerts(t: &TestApp, r: &Referral) -> Vec<Alert> {
    let mut tx = t.app.store().read().await.unwrap();
    let alerts = tx.referral_alerts(r.id).await.unwrap();
    tx.rollback().await.unwrap();
    alerts
}

/// Saturday 21 November 2026, 05:00 UK time (GMT): the demo service opens
/// again on Monday at 09:00, so an urgent alert (30 working minutes) is due
/// at 09:30.
const SATURDAY_0500: u64 = (3 * 24 + 19) * 3600;
const MONDAY_0930: &str = "2026-11-23T09:30:00Z";

async fn a_risky_self_referral_out_of_hours_raises_an_alert_due_at_the_next_opening_and_the_risk_follows_the_person(
    t: TestApp,
) {
    t.clock.advance(Duration::from_secs(SATURDAY_0500));
    let c = t.client();
    let token = begin(&c).await;
    let p = person("Morag", "Night", "morag.night@example.org");
    let next = |s: &str| format!("/refer/{token}/{s}");
    let mut you = about(&p);
    for (k, v) in &mut you {
        if k == "phone" {
            *v = "07700900456".into();
        }
    }
    step(&c, &token, "about", &you)
        .await
        .redirects_to(&next("gp"));
    step(
        &c,
        &token,
        "gp",
        &owned(&[("gp_practice", "Harbour Surgery")]),
    )
    .await
    .redirects_to(&next("help"));
    step(
        &c,
        &token,
        "help",
        &owned(&[
            ("problem_text", "Everyone would be better off without me."),
            ("problems", "low_mood"),
        ]),
    )
    .await
    .redirects_to(&next("questions"));
    // PHQ-9 item 9 "more than half the days".
    let mut q = answers("phq9", &[2, 2, 2, 2, 1, 2, 1, 1, 2]);
    q.extend(answers("gad7", &GAD7_LOW));
    step(&c, &token, "questions", &q)
        .await
        .redirects_to(&next("consent"));
    // The next step opens with the crisis contacts, once, and says honestly
    // that nobody is watching now.
    let consent = c.get(&next("consent")).await.ok().has_crisis_panel();
    assert!(
        before(&consent.body, "class=\"urgent\"", "<h1"),
        "{}",
        consent.body
    );
    assert_eq!(
        consent.body.matches("tel:116123").count(),
        1,
        "{}",
        consent.body
    );
    assert!(
        consent.body.contains("Nobody is watching right now"),
        "{}",
        consent.body
    );

    // Already in the duty queue, unsent: urgent at the risk answer, due at
    // Monday's opening, with no patient yet.
    let r = &queued(&t, &p.email).await[0];
    assert!(r.risk);
    let alerts = referral_alerts(&t, r).await;
    assert!(!alerts.is_empty(), "no alert raised on the referral");
    let top = alerts.iter().max_by_key(|a| a.severity).unwrap();
    assert!(top.severity >= Severity::High, "{top:?}");
    assert_eq!(top.deadline, MONDAY_0930.parse().unwrap());
    assert!(top.patient_id.is_none());
    assert!(
        alerts.iter().any(|a| a.cause.key() == "risky_text"),
        "{alerts:?}"
    );
    let duty = t.staff_client("triage_clinician").await;
    let queue_page = duty.get("/alerts").await.ok();
    assert!(
        queue_page.body.contains("Morag Night"),
        "{}",
        queue_page.body
    );
    assert!(queue_page.body.contains(&format!("/alerts/{}", top.id)));
    // The alert's page says how to reach the person and links to the referral.
    let alert_page = duty.get(&format!("/alerts/{}", top.id)).await.ok();
    assert!(
        alert_page.body.contains("tel:+447700900456"),
        "{}",
        alert_page.body
    );
    assert!(
        alert_page
            .body
            .contains(&format!("/staff/referrals/{}", r.id))
    );

    // Sent: the confirmation says the same, and nothing is raised twice.
    step(
        &c,
        &token,
        "consent",
        &owned(&[("treatment", "yes"), ("contact_email", "yes")]),
    )
    .await
    .redirects_to(&next("check"));
    t.clock.advance(Duration::from_secs(60));
    let sent = step(
        &c,
        &token,
        "check",
        &owned(&[("service", "demo"), ("website", ""), ("urgent", "1")]),
    )
    .await;
    let to = sent.location().expect("sent").to_string();
    let page = c.get(&to).await.ok().has_crisis_panel();
    assert!(
        before(&page.body, "class=\"urgent\"", "<h1"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Nobody is watching right now"),
        "{}",
        page.body
    );
    assert_eq!(page.body.matches("tel:116123").count(), 1, "{}", page.body);
    assert_eq!(referral_alerts(&t, r).await.len(), alerts.len());

    // Accepted: the alerts gain the patient, and the risk shows on the
    // waiting list, the supporter's caseload and the patient page.
    t.clock.advance(Duration::from_secs(2 * 24 * 3600));
    let duty = t.staff_client("triage_clinician").await;
    accept(&t, &duty, r, "therapist").await;
    let alerts = referral_alerts(&t, r).await;
    let patient = alerts[0]
        .patient_id
        .expect("the alert names the patient once accepted");
    assert!(alerts.iter().all(|a| a.patient_id == Some(patient)));
    assert!(!t.open_alerts(patient).await.is_empty());
    let waiting = duty.get("/staff/waiting").await.ok();
    let row = &waiting.body[waiting.body.find("Morag Night").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("open alert") && row.contains("Risk at referral"),
        "{row}"
    );
    let supporter = t.staff_client("supporter").await;
    let home = supporter.get("/staff").await.ok();
    let row = &home.body[home.body.find("Morag Night").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("open alert") && row.contains("Risk at referral"),
        "{row}"
    );
    let record = duty.get(&format!("/staff/patients/{patient}")).await.ok();
    assert!(record.body.contains("Risk at referral"), "{}", record.body);
    assert!(record.body.contains(&format!("/staff/referrals/{}", r.id)));
}

async fn an_unsent_self_referral_with_a_risk_answer_raises_an_alert_too(t: TestApp) {
    let c = t.client();
    let token = begin(&c).await;
    let p = person("Una", "Sent", "una.sent@example.org");
    step(&c, &token, "about", &about(&p)).await;
    // Only the risk question answered, then the person leaves.
    step(&c, &token, "questions", &owned(&[("phq9-9", "3")]))
        .await
        .status(422)
        .has_crisis_panel();
    let r = &queued(&t, &p.email).await[0];
    let alerts = referral_alerts(&t, r).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].severity, Severity::Urgent);
    assert!(!alerts[0].state.is_closed());
    // In opening hours, the page says the service will see it today.
    let page = c.get(&format!("/refer/{token}/questions")).await.ok();
    assert!(
        page.body.contains("The service is open now"),
        "{}",
        page.body
    );
}

async fn a_professional_referral_with_risky_words_raises_an_alert(t: TestApp) {
    let staff = t.staff_client("triage_clinician").await;
    let form = staff.get("/staff/referrals/new").await.ok();
    let key = form.field("key");
    let mut fields = about(&person("Pat", "Words", "pat.words@example.org"));
    fields.extend(owned(&[
        ("gp_practice", "Harbour Surgery"),
        (
            "problem_text",
            "Says she has been cutting again and wrote goodbye letters.",
        ),
        ("problems", "low_mood"),
        ("referrer_name", "Dr Ann Other"),
        ("referrer_organisation", "Harbour Surgery"),
        ("key", &key),
    ]));
    fields.retain(|(k, v)| !(k == "nhs_number" && v.is_empty()));
    post(&staff, "/staff/referrals/new", &fields)
        .await
        .redirects_to("/staff/referrals/new?sent=1");
    let referral = &queued(&t, "pat.words@example.org").await[0];
    assert!(referral.risk);
    let alerts = referral_alerts(&t, referral).await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].cause.key(), "risky_text");
    assert!(
        alerts[0].summary.contains("professional referral"),
        "{}",
        alerts[0].summary
    );
    // Sent again (a double click): still one referral and one alert.
    post(&staff, "/staff/referrals/new", &fields).await;
    assert_eq!(queued(&t, "pat.words@example.org").await.len(), 1);
    assert_eq!(referral_alerts(&t, referral).await.len(), 1);
}

async fn the_crisis_contacts_show_once_on_a_patient_page_and_fold_on_staff_pages(t: TestApp) {
    let staff = t.staff_client("triage_clinician").await;
    let home = staff.get("/staff").await.ok().has_crisis_panel();
    assert!(home.body.contains("crisis-compact") && home.body.contains("<details>"));
    let c = t.client();
    let start = c.get("/refer").await.ok().has_crisis_panel();
    assert!(!start.body.contains("crisis-compact"));
    assert_eq!(start.body.matches("tel:116123").count(), 1);
}
