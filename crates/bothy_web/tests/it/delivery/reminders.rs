//! Timed reminders (issue 15, item 8): a daily check-in prompt at the time
//! the person chose (by a reminder with a link, or, for someone reached by
//! text, a mood question whose reply is the check-in), once a day and not
//! on a day they checked in; never at a time in the quiet hours. An
//! appointment's reminder the day before, once per time it is at, and none
//! for one cancelled.

use crate::both_dbs;
use crate::helpers::{Client, TestApp};
use bothy_domain::PatientId;
use bothy_domain::time::Timestamp;

both_dbs!(
    a_check_in_prompt_comes_at_the_chosen_time_once_a_day_and_not_after_a_check_in,
    someone_reached_by_text_is_asked_for_their_mood_and_the_reply_is_the_check_in,
    staff_set_the_prompt_for_someone_without_an_account,
    an_appointment_is_reminded_the_day_before_once_and_not_when_cancelled,
);

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Prompts sent since the last call, by key.
fn prompts(t: &TestApp) -> Vec<bothy_app::notify::OutgoingMessage> {
    let sent = t
        .outbox
        .sent()
        .into_iter()
        .filter(|m| m.idempotency_key.as_str().starts_with("check-in-prompt"))
        .collect();
    t.outbox.clear();
    sent
}

/// A person accepted from a self-referral (an open episode), signed in.
async fn person(t: &TestApp, tag: &str) -> (bothy_testkit::NewPatient, Client) {
    let p = crate::appointments::person(t, tag).await;
    let c = crate::appointments::signed_in_patient(t, &p).await;
    (p, c)
}

/// Gives the person `phone` and their agreement to texts first.
async fn reached_by_text(t: &TestApp, id: PatientId, phone: &str) {
    t.raw_sql(&format!(
        "UPDATE patients SET phone = '{phone}' WHERE id = '{id}'"
    ))
    .await;
    t.raw_sql(&format!(
        "UPDATE contact_preferences SET sms = 1, preferred = 'sms' WHERE patient_id = '{id}'"
    ))
    .await;
}

async fn set_prompt(c: &Client, time: &str) -> crate::helpers::Resp {
    c.get("/account").await.ok();
    c.post_form("/account/check-in-prompt", &[("prompt_time", time)])
        .await
}

async fn a_check_in_prompt_comes_at_the_chosen_time_once_a_day_and_not_after_a_check_in(
    t: TestApp,
) {
    let (p, c) = person(&t, "prompt").await;
    let email = p.email.clone();
    // Night is not offered, and refused if sent anyway.
    let page = c.get("/account").await.ok();
    assert!(
        page.body.contains("Daily check-in reminder"),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"<option value="20:30">"#));
    assert!(!page.body.contains(r#"<option value="21:00">"#));
    let night = set_prompt(&c, "22:00").await.status(422);
    assert!(
        night.body.contains("We do not send reminders at 22:00"),
        "{}",
        night.body
    );
    set_prompt(&c, "07:15").await.status(422);
    set_prompt(&c, "18:30")
        .await
        .redirects_to("/account?prompt=saved");
    let page = c.get("/account?prompt=saved").await.ok();
    assert!(page.body.contains(r#"<option value="18:30" selected>"#));
    assert!(
        page.body
            .contains("Your daily check-in reminder has been saved")
    );
    assert_eq!(
        crate::concurrency::audited(&t, "check_in.prompt_changed", "18:30").await,
        1
    );
    t.drain_jobs().await;
    prompts(&t);

    // Not before its time (winter: London is UTC), then once.
    t.clock.set(at("2026-11-17T18:20:00Z"));
    t.drain_jobs().await;
    assert!(prompts(&t).is_empty());
    t.clock.set(at("2026-11-17T18:31:00Z"));
    t.drain_jobs().await;
    let sent = prompts(&t);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, email);
    assert_eq!(sent[0].subject.as_deref(), Some("Time for your check-in"));
    assert!(
        sent[0].body.contains("It is time for your daily check-in")
            && sent[0].body.contains("/check-in"),
        "{}",
        sent[0].body
    );
    t.clock.set(at("2026-11-17T19:41:00Z"));
    t.drain_jobs().await;
    assert!(prompts(&t).is_empty(), "once a day");

    // The next day they check in in the morning: no prompt that evening.
    t.clock.set(at("2026-11-18T09:00:00Z"));
    let c = crate::appointments::signed_in_patient(&t, &p).await;
    let form = c.get("/check-in").await.ok();
    c.post_form("/check-in", &[("key", &form.field("key")), ("mood", "6")])
        .await
        .redirects_to("/check-ins?saved=1");
    t.clock.set(at("2026-11-18T18:40:00Z"));
    t.drain_jobs().await;
    assert!(prompts(&t).is_empty(), "they checked in today");

    // A prompt at 20:30 whose worker comes back at 21:10, in the quiet
    // hours, is skipped rather than sent in the night or the next morning.
    let c = crate::appointments::signed_in_patient(&t, &p).await;
    set_prompt(&c, "20:30")
        .await
        .redirects_to("/account?prompt=saved");
    t.clock.set(at("2026-11-19T21:10:00Z"));
    t.drain_jobs().await;
    t.clock.set(at("2026-11-20T08:05:00Z"));
    t.drain_jobs().await;
    assert!(prompts(&t).is_empty(), "no prompt in or after the night");

    // Off: nothing that evening.
    let c = crate::appointments::signed_in_patient(&t, &p).await;
    set_prompt(&c, "")
        .await
        .redirects_to("/account?prompt=saved");
    t.clock.set(at("2026-11-20T20:40:00Z"));
    t.drain_jobs().await;
    assert!(prompts(&t).is_empty());
}

const PHONE: &str = "+447700900556";

async fn someone_reached_by_text_is_asked_for_their_mood_and_the_reply_is_the_check_in(t: TestApp) {
    // Summer time: 09:00 in London is 08:00 UTC.
    t.clock.set(at("2027-06-01T07:00:00Z"));
    let (p, c) = person(&t, "texts").await;
    let patient = p.id;
    reached_by_text(&t, patient, PHONE).await;
    set_prompt(&c, "09:00")
        .await
        .redirects_to("/account?prompt=saved");
    t.drain_jobs().await;
    t.outbox.clear();
    t.clock.set(at("2027-06-01T07:59:00Z"));
    t.drain_jobs().await;
    assert!(t.outbox.sent().is_empty());
    t.clock.set(at("2027-06-01T08:05:00Z"));
    t.drain_jobs().await;
    let texts: Vec<_> = t
        .outbox
        .sent()
        .into_iter()
        .filter(|m| m.to == PHONE)
        .collect();
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].body.contains("0 to 10"),
        "the mood question: {}",
        texts[0].body
    );
    t.outbox.clear();
    // The reply is the day's check-in, through the gateway.
    crate::sms::text_from(&t, "prompt-reply-1", PHONE, "7").await;
    t.drain_jobs().await;
    let mut tx = t.app.store().read().await.unwrap();
    let check_ins = tx.check_ins(patient, 10).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(check_ins.len(), 1);
    assert_eq!(check_ins[0].mood, 7);
    // Later that day: nothing more.
    t.clock.set(at("2027-06-01T09:55:00Z"));
    t.drain_jobs().await;
    let more: Vec<_> = t
        .outbox
        .sent()
        .into_iter()
        .filter(|m| m.to == PHONE && m.body.contains("0 to 10"))
        .collect();
    assert!(more.is_empty(), "{more:?}");
}

async fn staff_set_the_prompt_for_someone_without_an_account(t: TestApp) {
    let patient = crate::appointments::person(&t, "no-account").await.id;
    reached_by_text(&t, patient, PHONE).await;
    let staff = t.staff_client("clinical_lead").await;
    let page = staff.get(&format!("/staff/patients/{patient}")).await.ok();
    assert!(
        page.body.contains("Time of the daily reminder"),
        "{}",
        page.body
    );
    staff
        .post_form(
            &format!("/staff/patients/{patient}/check-in-prompt"),
            &[("prompt_time", "12:00")],
        )
        .await
        .redirects_to(&format!("/staff/patients/{patient}?sms=prompt"));
    let page = staff
        .get(&format!("/staff/patients/{patient}?sms=prompt"))
        .await
        .ok();
    assert!(page.body.contains(r#"<option value="12:00" selected>"#));
    // A time that is not on the list.
    staff
        .post_form(
            &format!("/staff/patients/{patient}/check-in-prompt"),
            &[("prompt_time", "12:07")],
        )
        .await
        .status(422);
    t.drain_jobs().await;
    t.outbox.clear();
    t.clock.set(at("2026-11-17T12:10:00Z"));
    t.drain_jobs().await;
    let texts: Vec<_> = t
        .outbox
        .sent()
        .into_iter()
        .filter(|m| m.to == PHONE)
        .collect();
    assert_eq!(texts.len(), 1, "{texts:?}");
}

async fn an_appointment_is_reminded_the_day_before_once_and_not_when_cancelled(t: TestApp) {
    let p = crate::appointments::person(&t, "reminder").await;
    let other = crate::appointments::person(&t, "cancelled").await;
    let practitioner = crate::appointments::staff_id(&t, "triage_clinician").await;
    let lead = t.staff_client("clinical_lead").await;
    let day = crate::appointments::day_after(&t, 3);
    for (who, time) in [(&p, "10:30"), (&other, "14:00")] {
        crate::appointments::book(
            &lead,
            who.id,
            &[
                ("practitioner", &practitioner),
                ("kind", "phone"),
                ("date", &day),
                ("time", time),
                ("minutes", "30"),
            ],
        )
        .await
        .redirects_to(&format!("/staff/patients/{}?booked=1#appointments", who.id));
    }
    t.drain_jobs().await;
    t.outbox.clear();
    let cancelled = crate::appointments::appointments_of(&t, other.id).await[0].id;
    lead.get(&format!("/staff/patients/{}", other.id))
        .await
        .ok();
    lead.post_form(
        &format!("/staff/appointments/{cancelled}"),
        &[("status", "cancelled_by_service")],
    )
    .await;
    t.drain_jobs().await;
    t.outbox.clear();
    let reminders = |t: &TestApp| -> Vec<_> {
        t.outbox
            .sent()
            .into_iter()
            .filter(|m| m.idempotency_key.as_str().contains("appointment_reminder"))
            .collect()
    };
    // Two days before: nothing yet.
    t.clock.set(at("2026-11-18T12:00:00Z"));
    t.drain_jobs().await;
    assert!(reminders(&t).is_empty());
    // A day before, give or take ten minutes.
    t.clock.set(at("2026-11-19T10:35:00Z"));
    t.drain_jobs().await;
    let sent = reminders(&t);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, p.email);
    assert_eq!(
        sent[0].subject.as_deref(),
        Some("Reminder: your appointment")
    );
    assert!(
        sent[0]
            .body
            .starts_with("Reminder: you have an appointment with ")
    );
    assert!(
        sent[0].body.contains(&format!(
            "on {} (UK time), by phone",
            bothy_domain::appointments::uk_when(
                bothy_domain::appointments::uk_moment(&day, "10:30").unwrap()
            )
        )),
        "{}",
        sent[0].body
    );
    assert!(sent[0].attachment.is_none(), "no second calendar event");
    // Never again for the same time, and none for the cancelled one.
    t.clock.set(at("2026-11-19T16:00:00Z"));
    t.drain_jobs().await;
    assert_eq!(reminders(&t).len(), 1);
}
