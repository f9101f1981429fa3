//! The waiting list, discharge and the named practitioner's view.

use super::support::*;
use crate::both_dbs;
use crate::helpers::TestApp;
use bothy_domain::referral::Step;
use std::time::Duration;

both_dbs!(
    the_waiting_list_shows_breaches_and_a_deterioration_moves_people_up,
    discharge_records_the_outcome,
    the_named_practitioner_sees_the_person_and_contacts_are_recorded_from_the_record,
    the_confirmation_pages_waiting_figures_are_kept_for_ten_minutes,
);

async fn the_waiting_list_shows_breaches_and_a_deterioration_moves_people_up(t: TestApp) {
    let first = person("Fiona", "First", "fiona.first@example.org");
    let later = person("Lachlan", "Later", "lachlan.later@example.org");
    // The waiting list is the point: referrals and decisions without pages.
    let f = t.fixtures();
    let r1 = f.self_referral(&kit(&first), &PHQ9_LOW, &GAD7_LOW).await;
    t.clock.advance(Duration::from_secs(24 * 3600));
    // PHQ-9 of 8 at referral.
    let r2 = f
        .self_referral(&kit(&later), &[1, 1, 1, 1, 1, 1, 1, 1, 0], &GAD7_LOW)
        .await;
    f.accept(&r1, Step::Therapist).await;
    let token = f.accept(&r2, Step::Therapist).await;
    activate_and_sign_in(&t, &token, &later.email).await;
    let staff = t.staff_client("triage_clinician").await;

    let page = staff.get("/staff/waiting").await.ok().has_crisis_panel();
    assert!(
        before(&page.body, "Fiona First", "Lachlan Later"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Over 6 weeks</span>"));
    for standard in [
        "Scotland: 90% within 18 weeks",
        "England: 75% within 6 weeks",
        "England: 95% within 18 weeks",
    ] {
        assert!(page.body.contains(standard), "{standard}");
    }
    assert!(page.body.contains("No completed waits yet"));

    // 19 weeks later both are over both limits.
    t.clock.advance(Duration::from_secs(19 * 7 * 24 * 3600));
    let staff = t.staff_client("triage_clinician").await;
    let page = staff.get("/staff/waiting").await.ok();
    assert!(page.body.contains("19 weeks"), "{}", page.body);
    assert_eq!(page.body.matches("Over 18 weeks</span>").count(), 2);
    assert_eq!(page.body.matches("Over 6 weeks</span>").count(), 2);
    assert!(before(&page.body, "Fiona First", "Lachlan Later"));

    // While waiting, Lachlan's PHQ-9 is 6 points worse than at referral.
    let patient = t.client();
    patient.get("/sign-in").await.ok();
    post(
        &patient,
        "/sign-in",
        &owned(&[("email", &later.email), ("password", PASSWORD)]),
    )
    .await
    .redirects_to("/home");
    let form = patient.get("/measures/phq9").await.ok();
    let key = form.field("key");
    let mut fields: Vec<(String, String)> = [2, 2, 2, 2, 2, 2, 1, 1, 0]
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("item-{}", i + 1), v.to_string()))
        .collect();
    fields.push(("key".into(), key));
    fields.push(("action".into(), "submit".into()));
    let done = post(&patient, "/measures/phq9", &fields).await;
    assert!(
        done.location()
            .is_some_and(|l| l.starts_with("/measures/responses/"))
    );
    let pid = referral(&t, r2.id).await.patient_id.unwrap();
    let flags = t.open_alerts(pid).await;
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0].dedupe_key, "deterioration:phq9");
    assert!(
        flags[0].summary.contains("PHQ-9 has reliably deteriorated"),
        "{}",
        flags[0].summary
    );
    // The flag moves Lachlan to the top.
    let page = staff.get("/staff/waiting").await.ok();
    assert!(
        before(&page.body, "Lachlan Later", "Fiona First"),
        "{}",
        page.body
    );
    assert!(page.body.contains("1 open alert"));

    // The summary the detectors read (the referral's screening score as the
    // baseline, then the response) is what a rebuild from the stored
    // records gives too.
    let summaries = |t: TestApp| async move {
        let mut tx = t.app.store().read().await.unwrap();
        let e = tx.open_episode(pid).await.unwrap().unwrap();
        let s = tx.score_summaries(pid, &e.id.to_string()).await.unwrap();
        tx.rollback().await.unwrap();
        s
    };
    let live = summaries(t.clone()).await;
    let phq9 = live.iter().find(|s| s.instrument_id == "phq9").unwrap();
    assert_eq!(phq9.screening.map(|(_, total)| total), Some(8.0));
    assert_eq!(phq9.latest.map(|(_, total)| total), Some(14.0));
    let counts = t.app.monitoring().rebuild_summaries().await.unwrap();
    assert!(counts.screening_baselines >= 4, "{counts:?}");
    assert_eq!(summaries(t.clone()).await, live);

    // A first treatment contact stops Fiona's clock: she leaves the list,
    // and her 19-week wait counts against the standards.
    let e1 = {
        let pid = referral(&t, r1.id).await.patient_id.unwrap();
        let mut tx = t.app.store().read().await.unwrap();
        let e = tx.open_episode(pid).await.unwrap().unwrap();
        tx.rollback().await.unwrap();
        e
    };
    post(&staff, &format!("/staff/episodes/{}/contact", e1.id), &[])
        .await
        .redirects_to("/staff/waiting?contact=1");
    let page = staff.get("/staff/waiting?contact=1").await.ok();
    assert!(page.body.contains("First treatment contact recorded"));
    assert!(!page.body.contains("Fiona First"));
    assert!(
        page.body.contains("from 1 completed wait in the last year"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<td>0%</td>"), "{}", page.body);
    // Nobody else's episode can be touched from another role.
    t.staff_client("supporter")
        .await
        .get("/staff/waiting")
        .await
        .status(403);
}

async fn discharge_records_the_outcome(t: TestApp) {
    let p = person("Dougie", "Discharged", "dougie@example.org");
    self_refer(&t, &p, &PHQ9_LOW, &GAD7_LOW).await;
    let staff = t.staff_client("triage_clinician").await;
    let r = queued(&t, &p.email).await.remove(0);
    accept(&t, &staff, &r, "guided_self_help").await;
    let pid = referral(&t, r.id).await.patient_id.unwrap();
    let episode = {
        let mut tx = t.app.store().read().await.unwrap();
        let e = tx.open_episode(pid).await.unwrap().unwrap();
        tx.rollback().await.unwrap();
        e
    };
    let page = staff.get("/staff/waiting").await.ok();
    let field = format!("reason-{}", episode.id);
    assert!(page.body.contains(&format!("<label for=\"{field}\">")));
    let path = format!("/staff/episodes/{}/discharge", episode.id);
    let bad = post(&staff, &path, &owned(&[("reason", "")]))
        .await
        .status(422);
    assert!(bad.body.contains("Give the reason for discharge"));
    assert!(
        bad.body.contains(&format!("href=\"#{field}\""))
            && bad.body.contains(&format!("id=\"{field}\""))
    );
    let done = post(
        &staff,
        &path,
        &owned(&[("reason", "Moved out of the area")]),
    )
    .await
    .ok()
    .has_crisis_panel();
    assert!(done.body.contains("Episode ended") && done.body.contains("Moved out of the area"));
    assert!(done.body.contains("Finished a course of treatment"));
    assert!(done.body.contains("Not defined"), "{}", done.body);
    let mut tx = t.app.store().read().await.unwrap();
    let e = tx.episode(episode.id).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(e.discharge_reason.as_deref(), Some("Moved out of the area"));
    assert!(e.discharged_at.is_some() && e.outcome.is_some());
    // Gone from the waiting list; a second discharge is refused.
    let page = staff.get("/staff/waiting").await.ok();
    assert!(!page.body.contains("Dougie Discharged"));
    post(&staff, &path, &owned(&[("reason", "Again")]))
        .await
        .status(409);
    post(
        &staff,
        &format!(
            "/staff/episodes/{}/discharge",
            bothy_domain::ids::EpisodeId::random()
        ),
        &owned(&[("reason", "Nobody")]),
    )
    .await
    .status(404);
}

async fn the_named_practitioner_sees_the_person_and_contacts_are_recorded_from_the_record(
    t: TestApp,
) {
    let p = person("Pat", "Practitioner", "pat.practitioner@example.org");
    self_refer(&t, &p, &PHQ9_LOW, &GAD7_LOW).await;
    let r = queued(&t, &p.email).await.remove(0);
    let triage = t.staff_client("triage_clinician").await;
    accept(&t, &triage, &r, "therapist").await;
    let patient = referral(&t, r.id).await.patient_id.unwrap();
    // Sam Supporter was named: Pat is on Sam's caseload now.
    let sam = t.staff_client("supporter").await;
    assert!(
        sam.get("/staff")
            .await
            .ok()
            .body
            .contains(&format!("/staff/patients/{patient}"))
    );
    sam.get(&format!("/staff/patients/{patient}")).await.ok();
    // A triage clinician records appointments from the record itself.
    let record = triage.get(&format!("/staff/patients/{patient}")).await.ok();
    assert!(
        record.body.contains("Waiting 0 weeks for treatment"),
        "{}",
        record.body
    );
    let episode = record
        .body
        .split("/staff/episodes/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    for _ in 0..2 {
        post(
            &triage,
            &format!("/staff/episodes/{episode}/contact"),
            &owned(&[("back", &format!("/staff/patients/{patient}"))]),
        )
        .await
        .redirects_to(&format!("/staff/patients/{patient}?contact=1"));
    }
    let record = triage
        .get(&format!("/staff/patients/{patient}?contact=1"))
        .await
        .ok();
    assert!(
        record.body.contains("Treatment contact recorded") && record.body.contains("<dd>2</dd>")
    );
    assert!(record.body.contains("Treatment started"));
    // Only a patient page is accepted as the way back.
    post(
        &triage,
        &format!("/staff/episodes/{episode}/contact"),
        &owned(&[("back", "https://elsewhere.example")]),
    )
    .await
    .redirects_to("/staff/waiting?contact=1");
}

/// Anyone may open the confirmation page, and its figures read a year of
/// completed waits: each service's are kept for ten minutes, then read
/// again.
async fn the_confirmation_pages_waiting_figures_are_kept_for_ten_minutes(t: TestApp) {
    use bothy_app::Clock;
    use bothy_app::referrals::WAITING_FIGURES_TTL_SECONDS;
    let referrals = t.app.referrals();
    let demo = referrals.services().await.unwrap();
    let demo = demo.iter().find(|s| s.slug.as_str() == "demo").unwrap().id;
    let p = t
        .fixtures()
        .patient(&kit(&person("Wendy", "Wait", "wendy.wait@example.org")))
        .await;
    t.clock.advance(Duration::from_secs(9 * 24 * 3600));
    assert_eq!(
        referrals.waiting_figures(demo).await.unwrap().median_days,
        None
    );

    // A wait of nine days completes.
    let mut tx = t.app.store().begin().await.unwrap();
    let episode = tx.open_episode(p.id).await.unwrap().unwrap();
    let now = t.clock.now();
    assert!(tx.record_treatment_contact(episode.id, now).await.unwrap());
    tx.commit().await.unwrap();

    let kept = referrals.waiting_figures(demo).await.unwrap();
    assert_eq!(kept.median_days, None, "read less than ten minutes ago");
    let ttl = u64::try_from(WAITING_FIGURES_TTL_SECONDS).unwrap();
    t.clock.advance(Duration::from_secs(ttl - 1));
    assert_eq!(
        referrals.waiting_figures(demo).await.unwrap().median_days,
        None
    );
    t.clock.advance(Duration::from_secs(1));
    let read = referrals.waiting_figures(demo).await.unwrap();
    assert_eq!(read.median_days, Some(9));
    assert_eq!(read.within_18_weeks, Some(1.0));
}
