//! Matching a referral to existing patients.

use super::support::*;
use crate::both_dbs;
use crate::helpers::TestApp;
use bothy_domain::referral::Referral;
use std::time::Duration;

both_dbs!(matching_candidates_are_shown_and_verdicts_recorded_never_merged,);

async fn matching_candidates_are_shown_and_verdicts_recorded_never_merged(t: TestApp) {
    let before_count = patients(&t).await.len();
    let existing = patients(&t)
        .await
        .into_iter()
        .find(|p| {
            p.email
                .as_ref()
                .is_some_and(|e| e.as_str() == t.demo.patients[0].email)
        })
        .unwrap();
    let dob = existing.date_of_birth.date();
    let (day, month, year) = (
        dob.day().to_string(),
        dob.month().to_string(),
        dob.year().to_string(),
    );
    // The same person, referring themself with a new email address.
    let refer_as = |email: &str| {
        let mut f = about(&person("x", "x", email));
        for (k, v) in [
            ("given_name", existing.given_name.as_str()),
            ("family_name", existing.family_name.as_str()),
            ("dob_day", day.as_str()),
            ("dob_month", month.as_str()),
            ("dob_year", year.as_str()),
        ] {
            f.retain(|(name, _)| name != k);
            f.push((k.to_string(), v.to_string()));
        }
        f
    };
    let mut sent = Vec::new();
    for email in ["same.person.1@example.org", "same.person.2@example.org"] {
        let c = t.client();
        let token = begin(&c).await;
        let p = person("x", "x", email);
        fill(&c, &token, &p, &PHQ9_LOW, &GAD7_LOW).await;
        step(&c, &token, "about", &refer_as(email))
            .await
            .redirects_to(&format!("/refer/{token}/gp"));
        t.clock.advance(Duration::from_secs(60));
        step(&c, &token, "check", &owned(&[("service", "demo")]))
            .await
            .redirects_to("/refer/sent?service=demo");
        sent.push(queued(&t, email).await.remove(0));
    }
    let staff = t.staff_client("triage_clinician").await;
    let path = |r: &Referral| format!("/staff/referrals/{}", r.id);
    let view = staff.get(&path(&sent[0])).await.ok();
    assert!(view.body.contains("Possible existing records"));
    assert!(
        view.body.contains(&existing.id.to_string()),
        "{}",
        view.body
    );
    assert!(
        view.body.contains("Same "),
        "a reason is given: {}",
        view.body
    );

    // Confirmed, then changed to rejected: recorded each time, nothing merged.
    for (verdict, shown) in [
        ("confirm", "Confirmed: the same person"),
        ("reject", "Rejected: not the same person"),
    ] {
        post(
            &staff,
            &format!("{}/match", path(&sent[0])),
            &owned(&[
                ("patient_id", &existing.id.to_string()),
                ("verdict", verdict),
            ]),
        )
        .await
        .redirects_to(&format!("{}#matches", path(&sent[0])));
        let page = staff.get(&path(&sent[0])).await.ok();
        assert!(page.body.contains(shown), "{}", page.body);
        assert_eq!(patients(&t).await.len(), before_count);
        assert!(referral(&t, sent[0].id).await.patient_id.is_none());
    }
    // Rejected: accepting makes a new record.
    accept(&t, &staff, &sent[0], "therapist").await;
    let first = referral(&t, sent[0].id).await;
    assert_ne!(first.patient_id, Some(existing.id));
    assert_eq!(patients(&t).await.len(), before_count + 1);
    // Confirmed: accepting uses the existing record, which is left as it was.
    post(
        &staff,
        &format!("{}/match", path(&sent[1])),
        &owned(&[
            ("patient_id", &existing.id.to_string()),
            ("verdict", "confirm"),
        ]),
    )
    .await;
    accept(&t, &staff, &sent[1], "therapist").await;
    let second = referral(&t, sent[1].id).await;
    assert_eq!(second.patient_id, Some(existing.id));
    assert_eq!(patients(&t).await.len(), before_count + 1);
    let now = patients(&t)
        .await
        .into_iter()
        .find(|p| p.id == existing.id)
        .unwrap();
    assert_eq!(
        now.email, existing.email,
        "the existing record keeps its own details"
    );
    // A verdict about a patient of no concern to the referral is refused.
    post(
        &staff,
        &format!("{}/match", path(&sent[1])),
        &owned(&[
            ("patient_id", &bothy_domain::PatientId::random().to_string()),
            ("verdict", "confirm"),
        ]),
    )
    .await
    .status(404);
}
