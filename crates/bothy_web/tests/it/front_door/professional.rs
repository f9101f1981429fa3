//! Referral by a professional.

use super::support::*;
use crate::both_dbs;
use crate::helpers::TestApp;

both_dbs!(a_professional_referral_is_made_once_and_its_referrer_told,);

async fn a_professional_referral_is_made_once_and_its_referrer_told(t: TestApp) {
    let staff = t.staff_client("triage_clinician").await;
    let form = staff
        .get("/staff/referrals/new")
        .await
        .ok()
        .has_crisis_panel();
    assert!(
        form.body.contains("href=\"/staff/referrals/new\""),
        "nav link"
    );
    let key = form.field("key");
    // Every problem at once, worded for the person referred.
    let bad = post(&staff, "/staff/referrals/new", &owned(&[("key", &key)]))
        .await
        .status(422);
    for (field, message) in [
        ("given_name", "Enter the person&#39;s first name"),
        (
            "preferred_channel",
            "Choose how the person would like to be contacted",
        ),
        (
            "gp_practice",
            "Enter the name of the person&#39;s GP practice",
        ),
        ("problem_text", "Give the reason for referral"),
        ("referrer_name", "Enter your name"),
        (
            "referrer_organisation",
            "Enter your GP practice or organisation",
        ),
    ] {
        assert!(bad.body.contains(message), "{message}: {}", bad.body);
        assert!(bad.body.contains(&format!("href=\"#{field}\"")));
        assert!(bad.body.contains(&format!("id=\"{field}\"")));
    }
    let mut fields = about(&person("Greer", "Gp-Referred", "greer@example.org"));
    fields.extend(owned(&[
        ("nhs_number", "9434765919"),
        ("gp_practice", "Leith Walk Surgery"),
        ("problem_text", "Panic attacks at work"),
        ("problems", "panic"),
        ("referrer_name", "Dr Fiona Black"),
        ("referrer_organisation", "Leith Walk Surgery"),
        ("referrer_email", "fiona.black@example.nhs.uk"),
        ("key", &key),
    ]));
    fields.retain(|(k, v)| !(k == "nhs_number" && v.is_empty()));
    let first = post(&staff, "/staff/referrals/new", &fields)
        .await
        .redirects_to("/staff/referrals/new?sent=1");
    // Sent twice (a double click): one referral.
    let second = post(&staff, "/staff/referrals/new", &fields).await;
    assert_eq!(second.location(), first.location());
    let q = queued(&t, "greer@example.org").await;
    assert_eq!(q.len(), 1);
    let r = &q[0];
    assert_eq!(r.source, bothy_domain::referral::Source::Professional);
    assert_eq!(r.details.nhs_number.as_deref(), Some("9434765919"));
    assert_eq!(r.details.referrer_name.as_deref(), Some("Dr Fiona Black"));
    let done = staff.get("/staff/referrals/new?sent=1").await.ok();
    assert!(done.body.contains("The referral has been sent"));
    // The triage page names the referrer; a decision tells them too.
    let view = staff.get(&format!("/staff/referrals/{}", r.id)).await.ok();
    assert!(view.body.contains("Dr Fiona Black, Leith Walk Surgery"));
    assert!(view.body.contains("Professional referral"));
    post(
        &staff,
        &format!("/staff/referrals/{}/decision", r.id),
        &owned(&[
            ("decision", "decline"),
            ("reason", "Needs a specialist service"),
        ]),
    )
    .await
    .redirects_to(&format!("/staff/referrals/{}?decided=1", r.id));
    let to_referrer = messages_to(&t, "fiona.black@example.nhs.uk").await;
    assert_eq!(to_referrer.len(), 1, "{to_referrer:#?}");
    assert!(!to_referrer[0].body.contains("specialist"));
    // Staff without the referral permission cannot use the form.
    t.staff_client("supporter")
        .await
        .get("/staff/referrals/new")
        .await
        .status(403);
}
