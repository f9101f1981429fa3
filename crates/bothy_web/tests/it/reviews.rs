//! Supported reviews (issue 14, item 5): an enrolment's review falls due
//! every 14 days (or the service's `[reviews] every_days`); it shows as
//! overdue in the supporter's queue and the clinical lead's; the review
//! page shows what the person did since enrolment; writing a review may
//! open the next module, sets the next due date, tells the person only
//! that there is something new, and they read it on their programme page.
//! Eight submissions at once store one; bad feedback is a 422 with the
//! text kept; nobody else reads or writes one.

use crate::concurrency::{at_once, no_server_errors, post_owned, statuses};
use crate::helpers::{Client, TestApp};
use crate::{both_dbs, both_dbs_service};
use bothy_app::Actor;
use bothy_domain::ids::EnrolmentId;
use std::time::Duration;

both_dbs!(
    the_first_review_is_the_first_treatment_contact,
    an_overdue_review_is_queued_shown_written_and_read_by_the_person,
    eight_submissions_at_once_store_one_review,
    empty_or_over_long_feedback_is_422_naming_the_field_with_the_text_kept,
    another_service_and_another_patient_get_404,
    a_review_edited_in_sql_is_reported_and_reading_it_is_not,
);

both_dbs_service!(
    weekly_reviews;
    a_service_reviewing_every_7_days_changes_the_due_date,
);

fn weekly_reviews() -> &'static str {
    "[reviews]\nevery_days = 7\n"
}

const DAY: u64 = 86_400;

/// The first demo patient on the demo supporter's caseload.
async fn on_caseload(t: &TestApp) -> usize {
    let mut tx = t.app.store().read().await.unwrap();
    let mut found = None;
    for (n, p) in t.demo.patients.iter().enumerate() {
        let p = tx.patient(p.id.parse().unwrap()).await.unwrap().unwrap();
        if p.supporter_id.is_some() {
            found = Some(n);
            break;
        }
    }
    tx.rollback().await.unwrap();
    found.expect("the demo supporter has a caseload")
}

/// Enrols demo patient `n` on low mood with the demo supporter, through
/// the staff patient page; the enrolment's id.
async fn enrol(t: &TestApp, n: usize) -> EnrolmentId {
    let staff = t.staff_client("triage_clinician").await;
    let supporter = match t.fixtures().staff_actor("supporter").await {
        Actor::Staff(s) => s.id.to_string(),
        _ => unreachable!(),
    };
    let patient = &t.demo.patients[n].id;
    staff
        .post_form(
            &format!("/staff/patients/{patient}/enrolments"),
            &[("programme", "low-mood"), ("supporter", &supporter)],
        )
        .await
        .redirects_to(&format!("/staff/patients/{patient}#programmes"));
    let lead = t.fixtures().staff_actor("clinical_lead").await;
    t.app
        .enrolments()
        .of_patient(&lead, patient.parse().unwrap(), &Default::default())
        .await
        .unwrap()[0]
        .id
}

fn review_page(id: EnrolmentId) -> String {
    format!("/staff/enrolments/{id}/review")
}

/// Sends the review form as the page drew it, with `feedback`.
async fn write(c: &Client, id: EnrolmentId, feedback: &str, unlock: bool) -> crate::helpers::Resp {
    let page = c.get(&review_page(id)).await.ok();
    let (key, due) = (page.field("key"), page.field("due"));
    let mut fields = vec![("feedback", feedback), ("key", &key), ("due", &due)];
    if unlock {
        fields.push(("unlock", "yes"));
    }
    c.post_form(&review_page(id), &fields).await
}

async fn reviews_of(t: &TestApp, id: EnrolmentId) -> i64 {
    t.count(
        "SELECT COUNT(*) FROM reviews WHERE enrolment_id = $1",
        &id.to_string(),
    )
    .await
}

/// The queue's due date for the enrolment, as the app computes it.
async fn due_in_queue(t: &TestApp, role: &str, id: EnrolmentId) -> jiff::Timestamp {
    let actor = t.fixtures().staff_actor(role).await;
    let q = t
        .app
        .reviews()
        .queue(&actor, &Default::default())
        .await
        .unwrap();
    q.items
        .iter()
        .find(|i| i.enrolment_id == id)
        .expect("the enrolment is in the queue")
        .due_at
}

fn now(t: &TestApp) -> jiff::Timestamp {
    jiff::Timestamp::from_second(t.clock_secs() as i64).unwrap()
}

async fn an_overdue_review_is_queued_shown_written_and_read_by_the_person(t: TestApp) {
    let n = on_caseload(&t).await;
    let id = enrol(&t, n).await;
    let enrolled = now(&t);
    let supporter = t.staff_client("supporter").await;
    let queue = supporter
        .get("/staff/reviews")
        .await
        .ok()
        .has_crisis_panel();
    assert!(queue.body.contains(&review_page(id)), "{}", queue.body);
    assert!(
        !queue.body.contains("Overdue"),
        "not due yet: {}",
        queue.body
    );
    assert!(
        queue.body.contains("href=\"/staff/reviews\""),
        "in the navigation"
    );

    // The person works: a thought record, a message, module 1 done, a PHQ-9.
    let c = t.patient_client(n).await;
    let form = c.get("/tools/thought-record").await.ok();
    let key = form.field("key");
    c.post_form(
        "/tools/thought-record",
        &[
            ("situation", "Waiting for the bus in the rain"),
            ("feelings", "Fed up"),
            ("feeling_before", "70"),
            ("hot_thought", "Nothing ever goes right for me"),
            ("belief_before", "80"),
            ("key", &key),
        ],
    )
    .await
    .redirects_to("/tools/thought-record?saved=1");
    let key = c.get("/messages").await.ok().field("key");
    c.post_form(
        "/messages",
        &[
            ("subject", "Module one"),
            ("body", "I liked it"),
            ("key", &key),
        ],
    )
    .await
    .status(303);
    c.post_form(&format!("/programme/{id}/done"), &[("module", "1")])
        .await
        .status(303);
    crate::alerts::phq9(&t, n, 0, "review-phq9").await;

    // Past 14 days: overdue for the supporter and the clinical lead.
    t.clock.advance(Duration::from_secs(15 * DAY));
    let supporter = t.staff_client("supporter").await;
    let lead = t.staff_client("clinical_lead").await;
    for c in [&supporter, &lead] {
        let q = c.get("/staff/reviews").await.ok();
        assert!(q.body.contains(&review_page(id)), "{}", q.body);
        assert!(q.body.contains("Overdue"), "{}", q.body);
        assert!(q.body.contains("1 review is overdue") || q.body.contains("reviews are overdue"));
    }
    assert_eq!(
        due_in_queue(&t, "clinical_lead", id).await,
        enrolled + jiff::SignedDuration::from_hours(14 * 24)
    );

    // The review page: everything since enrolment.
    let page = supporter
        .get(&review_page(id))
        .await
        .ok()
        .has_crisis_panel();
    for seen in [
        "Waiting for the bus in the rain",
        "Module one",
        "1 conversation",
        "Module 1, Getting started: completed",
        "PHQ-9",
        "Overdue",
        "Unlock the next module (module 3",
    ] {
        assert!(page.body.contains(seen), "{seen:?} missing: {}", page.body);
    }
    assert!(
        page.body
            .contains("<span class=\"tag tag-grey\">New</span>"),
        "the new score"
    );
    // A template fills the text box, without JavaScript.
    let filled = supporter
        .get(&format!("{}?template=good-progress", review_page(id)))
        .await
        .ok();
    assert!(
        filled
            .body
            .contains("You have made good progress since we last looked")
    );

    // Write it, opening the next module.
    let feedback = "Lovely work on your thought record about the bus, keep going.";
    write(&supporter, id, feedback, true)
        .await
        .redirects_to(&format!("{}?written=1", review_page(id)));
    assert_eq!(reviews_of(&t, id).await, 1);
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM module_progress WHERE enrolment_id = $1",
            &id.to_string()
        )
        .await,
        3,
        "module 2 opened on finishing module 1, module 3 by the review"
    );
    assert_eq!(
        due_in_queue(&t, "supporter", id).await,
        now(&t) + jiff::SignedDuration::from_hours(14 * 24)
    );
    let q = supporter.get("/staff/reviews").await.ok();
    assert!(!q.body.contains("Overdue"), "{}", q.body);
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM audit_events WHERE action = $1",
            "review.written"
        )
        .await,
        1
    );

    // The notice says there is something new, never what.
    t.drain_jobs().await;
    let sent = t.outbox.sent();
    let notice = sent
        .iter()
        .find(|m| m.body.contains("new feedback"))
        .unwrap_or_else(|| panic!("no notice: {sent:#?}"));
    assert!(
        notice
            .body
            .starts_with("There is new feedback from your supporter. Sign in to read it."),
        "{}",
        notice.body
    );
    let all = format!("{:?} {}", notice.subject, notice.body).to_lowercase();
    for secret in [
        "thought",
        "bus",
        "lovely",
        "low mood",
        &t.staff("supporter").name.to_lowercase(),
    ] {
        assert!(!all.contains(secret), "the notice says {secret:?}: {all}");
    }

    // The person sees that there is new feedback, and reads it.
    let c = t.patient_client(n).await;
    let home = c.get("/home").await.ok();
    assert!(
        home.body.contains("New feedback from your supporter"),
        "{}",
        home.body
    );
    let programme = c
        .get(&format!("/programme/{id}"))
        .await
        .ok()
        .has_crisis_panel();
    assert!(programme.body.contains("Feedback from your supporter"));
    assert!(programme.body.contains(feedback), "{}", programme.body);
    let home = c.get("/home").await.ok();
    assert!(!home.body.contains("New feedback from your supporter"));
}

async fn a_service_reviewing_every_7_days_changes_the_due_date(t: TestApp) {
    let n = on_caseload(&t).await;
    let id = enrol(&t, n).await;
    let enrolled = now(&t);
    assert_eq!(
        due_in_queue(&t, "supporter", id).await,
        enrolled + jiff::SignedDuration::from_hours(7 * 24)
    );
    t.clock.advance(Duration::from_secs(8 * DAY));
    let supporter = t.staff_client("supporter").await;
    let q = supporter.get("/staff/reviews").await.ok();
    assert!(q.body.contains("Overdue"), "{}", q.body);
    assert!(q.body.contains("every 7 days"), "{}", q.body);
    write(&supporter, id, "Well done this week.", false)
        .await
        .status(303);
    assert_eq!(
        due_in_queue(&t, "supporter", id).await,
        now(&t) + jiff::SignedDuration::from_hours(7 * 24)
    );
}

async fn eight_submissions_at_once_store_one_review(t: TestApp) {
    let n = on_caseload(&t).await;
    let id = enrol(&t, n).await;
    t.clock.advance(Duration::from_secs(15 * DAY));
    let supporter = t.staff_client("supporter").await;
    let page = supporter.get(&review_page(id)).await.ok();
    let (key, due) = (page.field("key"), page.field("due"));
    let fields = vec![
        ("feedback".to_string(), "Twice".to_string()),
        ("key".to_string(), key),
        ("due".to_string(), due.clone()),
    ];
    let answers = at_once(
        (0..8)
            .map(|_| post_owned(supporter.clone(), review_page(id), fields.clone()))
            .collect(),
    )
    .await;
    no_server_errors(&answers);
    assert!(
        answers.iter().all(|r| r.status.as_u16() == 303),
        "{:?}",
        statuses(&answers)
    );
    assert_eq!(reviews_of(&t, id).await, 1);

    // Two people completing the next review at once, each with a key of
    // their own: one review, the other told (409), never a 500.
    t.clock.advance(Duration::from_secs(15 * DAY));
    let supporter = t.staff_client("supporter").await;
    let lead = t.staff_client("clinical_lead").await;
    let mut requests = Vec::new();
    for (n, c) in [&supporter, &lead].into_iter().cycle().take(8).enumerate() {
        let page = c.get(&review_page(id)).await.ok();
        let fields = vec![
            ("feedback".to_string(), format!("Review {n}")),
            ("key".to_string(), page.field("key")),
            ("due".to_string(), page.field("due")),
        ];
        requests.push(post_owned(c.clone(), review_page(id), fields));
    }
    let answers = at_once(requests).await;
    no_server_errors(&answers);
    let codes = statuses(&answers);
    assert_eq!(codes.iter().filter(|s| **s == 303).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|s| *s == 303 || *s == 409), "{codes:?}");
    assert_eq!(reviews_of(&t, id).await, 2);
    let conflict = answers.iter().find(|r| r.status.as_u16() == 409).unwrap();
    assert!(
        conflict.body.contains("has already written this review"),
        "{}",
        conflict.body
    );
}

async fn empty_or_over_long_feedback_is_422_naming_the_field_with_the_text_kept(t: TestApp) {
    let n = on_caseload(&t).await;
    let id = enrol(&t, n).await;
    let supporter = t.staff_client("supporter").await;
    let r = write(&supporter, id, "   ", false)
        .await
        .status(422)
        .has_crisis_panel();
    assert!(r.body.contains("Enter your feedback"), "{}", r.body);
    assert!(r.body.contains("href=\"#feedback\""), "{}", r.body);
    let long = format!("Kept words {}", "a".repeat(4_000));
    let r = write(&supporter, id, &long, true).await.status(422);
    assert!(r.body.contains("4000 characters or fewer"), "{}", r.body);
    assert!(r.body.contains(&long), "the text is kept");
    assert!(r.body.contains("aria-invalid=\"true\""));
    assert!(r.body.contains(" checked>"), "the unlock box is kept");
    assert_eq!(reviews_of(&t, id).await, 0);
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM module_progress WHERE enrolment_id = $1",
            &id.to_string()
        )
        .await,
        1,
        "nothing opened"
    );
}

async fn another_service_and_another_patient_get_404(t: TestApp) {
    let n = on_caseload(&t).await;
    let id = enrol(&t, n).await;
    let supporter = t.staff_client("supporter").await;
    write(&supporter, id, "Private feedback", false)
        .await
        .status(303);

    // Another patient: not their programme, and no staff pages.
    let other = t.patient_client(if n == 0 { 1 } else { 0 }).await;
    let r = other.get(&format!("/programme/{id}")).await.status(404);
    assert!(!r.body.contains("Private feedback"));
    let r = other.get(&review_page(id)).await;
    assert!(matches!(r.status.as_u16(), 403 | 404), "{}", r.status);

    // A clinical lead of another service, working there.
    t.fixtures().lead_in_borders("admin").await;
    let elsewhere = t.staff_client("admin").await;
    elsewhere
        .post_form("/staff/service", &[("service", "borders")])
        .await
        .redirects_to("/staff");
    let r = elsewhere.get(&review_page(id)).await.status(404);
    assert!(!r.body.contains("Private feedback"));
    let due = supporter.get(&review_page(id)).await.ok().field("due");
    elsewhere
        .post_form(
            &review_page(id),
            &[("feedback", "Hello"), ("key", "elsewhere"), ("due", &due)],
        )
        .await
        .status(404);
    let q = elsewhere.get("/staff/reviews").await.ok();
    assert!(!q.body.contains(&review_page(id)), "{}", q.body);
    assert_eq!(reviews_of(&t, id).await, 1);
}

async fn a_review_edited_in_sql_is_reported_and_reading_it_is_not(t: TestApp) {
    let n = on_caseload(&t).await;
    let id = enrol(&t, n).await;
    let supporter = t.staff_client("supporter").await;
    write(&supporter, id, "Keep going", false).await.status(303);
    // The person reading it (which marks it read) is not a change.
    let c = t.patient_client(n).await;
    c.get(&format!("/programme/{id}")).await.ok();
    bothy_jobs::seal_audit(&t.app).await.unwrap();
    let report = t.app.store().verify_audit(&[]).await.unwrap();
    assert!(report.is_intact(), "{report:#?}");
    assert_eq!(report.records.verified.get("review"), Some(&1));
    t.raw_sql(&format!(
        "UPDATE reviews SET feedback = 'Stop' WHERE enrolment_id = '{id}'"
    ))
    .await;
    let report = t.app.store().verify_audit(&[]).await.unwrap();
    assert_eq!(report.records.breaks, 1, "{report:#?}");
}

/// The open episode of a patient: when treatment started, and how many
/// treatment appointments it has counted.
async fn treatment(
    t: &TestApp,
    patient: bothy_domain::PatientId,
) -> (Option<jiff::Timestamp>, i64) {
    let mut tx = t.app.store().read().await.unwrap();
    let e = tx
        .open_episode(patient)
        .await
        .unwrap()
        .expect("an open episode");
    tx.rollback().await.unwrap();
    (e.first_treatment_at, i64::from(e.treatment_appointments))
}

async fn the_first_review_is_the_first_treatment_contact(t: TestApp) {
    // Accepted to the programme and activated: activation is not treatment.
    let p = t
        .fixtures()
        .patient(&bothy_testkit::Person::new(
            "Rhona",
            "Review",
            "rhona.review@example.org",
        ))
        .await;
    assert_eq!(treatment(&t, p.id).await, (None, 0));
    let staff = t.staff_client("clinical_lead").await;
    staff
        .post_form(
            &format!("/staff/patients/{}/enrolments", p.id),
            &[("programme", "low-mood"), ("supporter", "")],
        )
        .await
        .redirects_to(&format!("/staff/patients/{}#programmes", p.id));
    let lead = t.fixtures().staff_actor("clinical_lead").await;
    let id = t
        .app
        .enrolments()
        .of_patient(&lead, p.id, &Default::default())
        .await
        .unwrap()[0]
        .id;
    // Still waiting for treatment while the first review is not written.
    t.clock.advance(std::time::Duration::from_secs(15 * DAY));
    assert_eq!(treatment(&t, p.id).await, (None, 0));
    // Signed in again: a staff session ends after 15 idle minutes.
    let staff = t.staff_client("clinical_lead").await;
    let waiting = staff.get("/staff/waiting").await.ok();
    assert!(waiting.body.contains("Rhona Review"), "{}", waiting.body);

    // The first supported review stops the clock and counts one appointment.
    write(
        &staff,
        id,
        "A good start: keep the diary going this week.",
        false,
    )
    .await
    .redirects_to(&format!("{}?written=1", review_page(id)));
    let reviewed_at = now(&t);
    assert_eq!(treatment(&t, p.id).await, (Some(reviewed_at), 1));
    let waiting = staff.get("/staff/waiting").await.ok();
    assert!(!waiting.body.contains("Rhona Review"), "{}", waiting.body);

    // The next one counts another appointment; treatment started at the first.
    t.clock.advance(std::time::Duration::from_secs(15 * DAY));
    let staff = t.staff_client("clinical_lead").await;
    write(&staff, id, "Well done on the second module.", false)
        .await
        .redirects_to(&format!("{}?written=1", review_page(id)));
    assert_eq!(treatment(&t, p.id).await, (Some(reviewed_at), 2));
}
