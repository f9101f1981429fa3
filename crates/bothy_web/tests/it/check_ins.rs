//! Patients check in (mood in two taps, or the fuller form); they see their
//! own timeline and chart; their care team sees the same; nobody else does.

use crate::both_dbs;
use crate::helpers::{Client, Resp, TestApp};
use bothy_app::Clock;

both_dbs!(
    two_taps_from_home_record_a_check_in,
    the_full_form_keeps_sleep_activity_and_note,
    bad_check_ins_are_explained_and_nothing_is_stored,
    a_note_is_shown_escaped,
    a_double_submission_stores_one_check_in,
    staff_see_the_mood_chart_and_other_patients_do_not,
    sleep_can_be_missing_then_given_then_missing_again,
);

async fn stored(t: &TestApp, patient: usize) -> Vec<bothy_domain::check_in::CheckIn> {
    let id = t.demo.patients[patient].id.parse().unwrap();
    let mut tx = t.app.store().read().await.unwrap();
    let r = tx.check_ins(id, 100).await.unwrap();
    tx.rollback().await.unwrap();
    r
}

/// Opens the full form and sends it with these fields (and the form's key).
async fn full_form(c: &Client, fields: &[(&str, &str)]) -> Resp {
    let form = c.get("/check-in").await.ok().has_crisis_panel();
    let key = form.field("key");
    let mut all = fields.to_vec();
    all.push(("key", &key));
    c.post_form("/check-in", &all).await
}

async fn two_taps_from_home_record_a_check_in(t: TestApp) {
    let c = t.patient_client(0).await;
    let home = c.get("/home").await.ok();
    assert!(home.body.contains("How are you feeling today?"));
    for n in 0..=10 {
        assert!(
            home.body.contains(&format!("name=\"mood\" value=\"{n}\"")),
            "button {n}: {}",
            home.body
        );
    }
    let key = home.field("key");
    c.post_form("/check-in", &[("key", &key), ("mood", "3")])
        .await
        .redirects_to("/check-ins?saved=1");
    let timeline = c.get("/check-ins?saved=1").await.ok().has_crisis_panel();
    assert!(timeline.body.contains("Your check-in is saved"));
    assert!(timeline.body.contains("<svg class=\"chart\""));
    assert!(timeline.body.contains("<td>3</td>"), "{}", timeline.body);
    let s = stored(&t, 0).await;
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].mood, 3);
    assert_eq!(s[0].checked_in_at, t.clock.now());
    assert_eq!(
        (s[0].sleep_hours, s[0].activity, &s[0].note),
        (None, None, &None)
    );
}

async fn the_full_form_keeps_sleep_activity_and_note(t: TestApp) {
    let c = t.patient_client(0).await;
    full_form(
        &c,
        &[
            ("mood", "6"),
            ("sleep", "7.5"),
            ("activity", "a_little"),
            ("note", "Walked to the shop"),
        ],
    )
    .await
    .redirects_to("/check-ins?saved=1");
    let s = stored(&t, 0).await;
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].mood, 6);
    assert_eq!(s[0].sleep_hours, Some(7.5));
    assert_eq!(
        s[0].activity,
        Some(bothy_domain::check_in::Activity::ALittle)
    );
    assert_eq!(s[0].note.as_deref(), Some("Walked to the shop"));
    let timeline = c.get("/check-ins").await.ok();
    for text in ["7.5 hours", "A little", "Walked to the shop", "<td>6</td>"] {
        assert!(timeline.body.contains(text), "missing {text}");
    }
    // An earlier time (within 7 days) is kept as the person gave it; the
    // timeline stays newest first.
    t.clock.advance(std::time::Duration::from_secs(20 * 60));
    let tz = jiff::tz::TimeZone::get("Europe/London").unwrap();
    let earlier = jiff::Timestamp::from_second(t.clock.now().as_second() - 2 * 24 * 3600)
        .unwrap()
        .to_zoned(tz)
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    full_form(&c, &[("mood", "2"), ("at", &earlier)])
        .await
        .redirects_to("/check-ins?saved=1");
    let timeline = c.get("/check-ins").await.ok();
    let six = timeline.body.find("<td>6</td>").unwrap();
    let two = timeline.body.find("<td>2</td>").unwrap();
    assert!(six < two, "newest first");
}

async fn bad_check_ins_are_explained_and_nothing_is_stored(t: TestApp) {
    let c = t.patient_client(0).await;
    let r = full_form(&c, &[("mood", "11")]).await.status(422);
    assert!(
        r.body
            .contains("Your mood must be a whole number from 0 to 10"),
        "{}",
        r.body
    );
    assert!(r.body.contains("href=\"#mood\""));
    let r = full_form(&c, &[]).await.status(422);
    assert!(r.body.contains("Choose how you are feeling, from 0 to 10"));
    let tz = jiff::tz::TimeZone::get("Europe/London").unwrap();
    let tomorrow = jiff::Timestamp::from_second(t.clock.now().as_second() + 24 * 3600)
        .unwrap()
        .to_zoned(tz)
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    let r = full_form(&c, &[("mood", "5"), ("at", &tomorrow)])
        .await
        .status(422);
    assert!(
        r.body.contains("A check-in cannot be in the future"),
        "{}",
        r.body
    );
    // The typed values come back so nothing has to be entered again.
    assert!(r.body.contains("value=\"5\" checked"));
    let r = full_form(&c, &[("mood", "5"), ("at", "yesterday")])
        .await
        .status(422);
    assert!(r.body.contains("Enter the date and time"));
    let long = "x".repeat(501);
    let r = full_form(&c, &[("mood", "5"), ("note", &long)])
        .await
        .status(422);
    assert!(
        r.body
            .contains("Your note must be 500 characters or fewer (it has 501)"),
        "{}",
        r.body
    );
    let r = full_form(&c, &[("mood", "5"), ("sleep", "30")])
        .await
        .status(422);
    assert!(
        r.body
            .contains("Hours of sleep must be a number from 0 to 24")
    );
    assert!(stored(&t, 0).await.is_empty());
}

async fn a_note_is_shown_escaped(t: TestApp) {
    let c = t.patient_client(0).await;
    full_form(&c, &[("mood", "4"), ("note", "<script>alert(1)</script>")])
        .await
        .redirects_to("/check-ins?saved=1");
    let timeline = c.get("/check-ins").await.ok();
    assert!(!timeline.body.contains("<script>alert(1)"));
    assert!(timeline.body.contains("&#60;script&#62;") || timeline.body.contains("&lt;script&gt;"));
    let staff = t.staff_client("triage_clinician").await;
    let page = staff
        .get(&format!("/staff/patients/{}", t.demo.patients[0].id))
        .await
        .ok();
    assert!(!page.body.contains("<script>alert(1)"));
}

async fn a_double_submission_stores_one_check_in(t: TestApp) {
    let c = t.patient_client(0).await;
    let home = c.get("/home").await.ok();
    let key = home.field("key");
    for mood in ["7", "8"] {
        c.post_form("/check-in", &[("key", &key), ("mood", mood)])
            .await
            .redirects_to("/check-ins?saved=1");
    }
    let s = stored(&t, 0).await;
    assert_eq!(s.len(), 1, "one check-in however often the form is sent");
    assert_eq!(s[0].mood, 7, "the first one is kept");
    // A new visit to the home page gives a new key, so checking in again later counts.
    let key = c.get("/home").await.ok().field("key");
    c.post_form("/check-in", &[("key", &key), ("mood", "8")])
        .await
        .redirects_to("/check-ins?saved=1");
    assert_eq!(stored(&t, 0).await.len(), 2);
}

async fn staff_see_the_mood_chart_and_other_patients_do_not(t: TestApp) {
    let c = t.patient_client(0).await;
    for mood in ["2", "5", "8"] {
        full_form(&c, &[("mood", mood), ("note", "Private words")])
            .await
            .redirects_to("/check-ins?saved=1");
        t.clock.advance(std::time::Duration::from_secs(20 * 60));
    }
    let staff = t.staff_client("triage_clinician").await;
    let page = staff
        .get(&format!("/staff/patients/{}", t.demo.patients[0].id))
        .await
        .ok();
    assert!(page.body.contains("Mood check-ins"));
    assert!(
        page.body.contains("id=\"chart-mood-title\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("First 2, latest 8 from 3 check-ins"));
    assert!(page.body.contains("Private words"));
    // Another patient sees only their own (empty) timeline.
    let other = t.patient_client(1).await;
    let theirs = other.get("/check-ins").await.ok();
    assert!(theirs.body.contains("You have not checked in yet"));
    assert!(!theirs.body.contains("Private words"));
    // And the use case refuses them someone else's check-ins.
    let mut tx = t.app.store().read().await.unwrap();
    let them = tx
        .patient(t.demo.patients[1].id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    tx.rollback().await.unwrap();
    let actor = bothy_app::Actor::Patient(bothy_app::policy::PatientActor {
        id: them.id,
        service_id: them.service_id,
        name: them.full_name(),
    });
    let r = t
        .app
        .check_ins()
        .recent(
            &actor,
            t.demo.patients[0].id.parse().unwrap(),
            10,
            &Default::default(),
        )
        .await;
    assert!(matches!(r, Err(bothy_app::AppError::NotFound)), "{r:?}");
}

/// Optional numbers change between NULL and a value on one connection: a
/// check-in without sleep, then one with, then without again.
async fn sleep_can_be_missing_then_given_then_missing_again(t: TestApp) {
    let (actor, pid) = {
        let id: bothy_domain::PatientId = t.demo.patients[0].id.parse().unwrap();
        let mut tx = t.app.store().read().await.unwrap();
        let p = tx.patient(id).await.unwrap().unwrap();
        tx.rollback().await.unwrap();
        let actor = bothy_app::Actor::Patient(bothy_app::policy::PatientActor {
            id,
            service_id: p.service_id,
            name: p.full_name(),
        });
        (actor, id)
    };
    for (i, sleep) in ["", "7.5", "", "6", "6.5"].into_iter().enumerate() {
        t.clock.advance(std::time::Duration::from_secs(3600));
        let input = bothy_app::check_ins::CheckInInput {
            mood: "5".into(),
            sleep: sleep.into(),
            idempotency_key: format!("sleep-{i}"),
            ..Default::default()
        };
        t.app
            .check_ins()
            .record(&actor, input, &bothy_app::RequestContext::default())
            .await
            .unwrap_or_else(|e| panic!("check-in {i} (sleep {sleep:?}): {e:?}"));
    }
    let stored = t
        .app
        .check_ins()
        .recent(&actor, pid, 10, &bothy_app::RequestContext::default())
        .await
        .unwrap();
    let sleeps: Vec<Option<f64>> = stored.iter().rev().map(|c| c.sleep_hours).collect();
    assert_eq!(sleeps, [None, Some(7.5), None, Some(6.0), Some(6.5)]);
}
