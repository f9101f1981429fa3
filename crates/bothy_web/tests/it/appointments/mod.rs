//! Appointments (issue 15, item 9): staff book an appointment from the
//! record (in person, phone or video); the person is invited by their
//! agreed channel, a video invitation carrying a signed Jitsi link and a
//! calendar file; attendance is recorded once and an attended appointment
//! is a treatment contact; cancelling sends a cancellation instead of a
//! waiting invitation. A form sent twice books once, a practitioner's
//! taken time is a 409, two clinicians recording at once change it once,
//! and nobody outside the record reads or changes any of it.

mod smtp;

use crate::both_dbs;
use crate::concurrency::{at_once, no_server_errors, post_at_once, post_owned, statuses};
use crate::helpers::{Client, TestApp};
use bothy_app::appointments::VideoSecret;
use bothy_app::{Actor, AppSettings, Clock};
use bothy_domain::PatientId;
use bothy_domain::appointments::{uk_moment, uk_when};
use bothy_domain::jwt::verify_hs256;
use bothy_testkit::{NewPatient, PATIENT_PASSWORD, Person};
use std::time::Duration;

/// The deployment's Jitsi key in these tests.
pub(crate) const SECRET: &str = "a test key for Jitsi room links, 32+";

/// The demo service's video provider in these tests.
pub(crate) const VIDEO: &str = "[video]\nprovider = \"jitsi\"\nbase_url = \"https://meet.example.org\"\napp_id = \"bothy-test\"\n";

pub(crate) fn settings() -> AppSettings {
    AppSettings {
        jitsi_secret: Some(VideoSecret::new(SECRET.as_bytes())),
        ..AppSettings::default()
    }
}

/// Runs each test on both databases with the Jitsi provider and its key.
macro_rules! with_video {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                bothy_testkit::run_with(bothy_testkit::Db::Sqlite, super::settings(), super::VIDEO, super::$name).await;
            }
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(bothy_no_postgres, ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set")]
            async fn postgres() {
                bothy_testkit::run_with(bothy_testkit::Db::Postgres, super::settings(), super::VIDEO, super::$name).await;
            }
        }
    )*};
}

with_video!(
    a_video_booking_invites_by_email_with_a_signed_link_and_a_calendar_file,
    cancelling_sends_a_cancellation_instead_of_the_waiting_invitation,
    a_practitioner_lists_theirs_and_a_clinical_lead_the_services,
    moving_sends_one_new_invitation_that_replaces_the_calendar_event,
    a_text_invitation_says_when_and_to_sign_in_to_join,
);

both_dbs!(
    attending_counts_one_treatment_contact_and_stops_the_clock,
    bad_input_is_refused_with_the_form_kept_and_another_service_gets_404,
    a_form_sent_twice_books_once_and_a_taken_time_is_a_409,
    two_clinicians_recording_at_once_change_it_once,
);

/// A person accepted from a self-referral, in an open episode, who agreed
/// to email.
pub(crate) async fn person(t: &TestApp, tag: &str) -> NewPatient {
    let unique = PatientId::random().to_string();
    t.fixtures()
        .patient(&Person::new(
            "Morag",
            "Appointment",
            &format!("{tag}.{unique}@example.org"),
        ))
        .await
}

pub(crate) async fn staff_id(t: &TestApp, role: &str) -> String {
    match t.fixtures().staff_actor(role).await {
        Actor::Staff(s) => s.id.to_string(),
        _ => unreachable!(),
    }
}

pub(crate) fn day_after(t: &TestApp, days: i32) -> String {
    (t.today() + jiff::ToSpan::days(days)).to_string()
}

fn book_path(p: PatientId) -> String {
    format!("/staff/patients/{p}/appointments")
}

/// Sends the booking form as the page drew it (its key), with `fields`.
pub(crate) async fn book(
    c: &Client,
    p: PatientId,
    fields: &[(&str, &str)],
) -> crate::helpers::Resp {
    let page = c.get(&format!("{}/new", book_path(p))).await.ok();
    let key = page.field("key");
    let mut all = vec![("key", key.as_str())];
    all.extend_from_slice(fields);
    c.post_form(&book_path(p), &all).await
}

pub(crate) async fn appointments_of(
    t: &TestApp,
    p: PatientId,
) -> Vec<bothy_domain::appointments::Appointment> {
    let mut tx = t.app.store().read().await.unwrap();
    let list = tx.appointments_of_patient(p).await.unwrap();
    tx.rollback().await.unwrap();
    list
}

/// The episode's first treatment time and appointments counted.
async fn treatment(t: &TestApp, p: PatientId) -> (Option<jiff::Timestamp>, u32) {
    let mut tx = t.app.store().read().await.unwrap();
    let e = tx.open_episode(p).await.unwrap().expect("an open episode");
    tx.rollback().await.unwrap();
    (e.first_treatment_at, e.treatment_appointments)
}

/// Moves the clock to `minutes` after `at`.
fn move_to(t: &TestApp, at: jiff::Timestamp, minutes: i64) {
    let target = at + jiff::SignedDuration::from_mins(minutes);
    let by = target.duration_since(t.clock.now());
    t.clock
        .advance(Duration::from_secs(u64::try_from(by.as_secs()).unwrap()));
}

async fn audited(t: &TestApp, action: &'static str, about: &str) -> i64 {
    crate::concurrency::audited(t, action, about).await
}

pub(crate) async fn signed_in_patient(t: &TestApp, p: &NewPatient) -> Client {
    let c = t.client();
    c.get("/sign-in").await.ok();
    c.post_form(
        "/sign-in",
        &[("email", &p.email), ("password", PATIENT_PASSWORD)],
    )
    .await
    .redirects_to("/home");
    c
}

async fn a_video_booking_invites_by_email_with_a_signed_link_and_a_calendar_file(t: TestApp) {
    let p = person(&t, "video").await;
    let lead = t.staff_client("clinical_lead").await;
    let practitioner = staff_id(&t, "triage_clinician").await;
    let day = day_after(&t, 1);
    let form = lead
        .get(&format!("{}/new", book_path(p.id)))
        .await
        .ok()
        .has_crisis_panel();
    assert!(
        form.body
            .contains("Book an appointment for Morag Appointment")
    );
    book(
        &lead,
        p.id,
        &[
            ("practitioner", &practitioner),
            ("kind", "video"),
            ("date", &day),
            ("time", "10:30"),
            ("minutes", "50"),
        ],
    )
    .await
    .redirects_to(&format!("/staff/patients/{}?booked=1#appointments", p.id));
    let list = appointments_of(&t, p.id).await;
    assert_eq!(list.len(), 1);
    let a = &list[0];
    let start = uk_moment(&day, "10:30").unwrap();
    assert_eq!(a.slot.starts_at(), start);
    let room = a.room.clone().expect("a video room");
    assert!(room.starts_with("bothy-") && !room.to_lowercase().contains("morag"));
    let record = lead
        .get(&format!("/staff/patients/{}?booked=1", p.id))
        .await
        .ok();
    assert!(
        record.body.contains("Appointment booked"),
        "{}",
        record.body
    );
    assert!(
        record.body.contains(&room),
        "the join link is on the record"
    );
    assert_eq!(
        audited(&t, "appointment.booked", &a.id.to_string()).await,
        1
    );

    t.drain_jobs().await;
    let sent: Vec<_> = t
        .outbox
        .sent()
        .into_iter()
        .filter(|m| m.idempotency_key.as_str().starts_with("appointment."))
        .collect();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    let m = &sent[0];
    assert_eq!(m.to, p.email);
    assert_eq!(m.subject.as_deref(), Some("Your appointment"));
    let service = &t.demo.service;
    let expected = format!(
        "You have an appointment with {service} on {} (UK time), by video, for 50 minutes. Join: https://meet.example.org/{room}?jwt=",
        uk_when(start)
    );
    assert!(m.body.starts_with(&expected), "{}", m.body);
    let link = m.body.split("Join: ").nth(1).unwrap();
    let link = link.split_whitespace().next().unwrap().to_string();
    let token = link.split("?jwt=").nth(1).unwrap();
    let claims = verify_hs256(token, SECRET.as_bytes()).expect("the token verifies");
    assert_eq!(claims["iss"], "bothy-test");
    assert_eq!(claims["aud"], "jitsi");
    assert_eq!(claims["sub"], "meet.example.org");
    assert_eq!(claims["room"], room.as_str());
    assert_eq!(
        claims["exp"],
        a.slot.ends_at().as_second() + bothy_domain::appointments::video::TOKEN_GRACE_SECONDS
    );
    assert!(verify_hs256(token, b"another key entirely, 32 chars..").is_err());
    // Nothing about the person or their care.
    for private in ["Morag", "Appointment@", "PHQ", "low mood"] {
        assert!(!m.body.contains(private), "{private}: {}", m.body);
    }
    let file = m.attachment.as_ref().expect("a calendar file");
    assert_eq!(file.file_name, "appointment.ics");
    assert_eq!(
        file.content_type,
        "text/calendar; method=REQUEST; charset=UTF-8"
    );
    let ics = file.content.replace("\r\n ", "");
    assert!(ics.contains(&format!("\r\nURL:{link}\r\n")), "{ics}");
    assert!(
        ics.contains(&format!("\r\nUID:appointment-{}@127.0.0.1\r\n", a.id)),
        "{ics}"
    );
    assert!(ics.contains(&format!("\r\nSUMMARY:Appointment with {service}\r\n")));
    assert!(ics.contains(&format!(
        "\r\nDTSTART:{}\r\n",
        bothy_domain::appointments::ical::utc(start)
    )));

    // The person sees it, with the same link, on their home page.
    let c = signed_in_patient(&t, &p).await;
    let home = c.get("/home").await.ok().has_crisis_panel();
    assert!(home.body.contains("Your appointments"), "{}", home.body);
    assert!(home.body.contains("Join the video call"));
    assert!(home.body.contains(token), "the same signed link");
    assert!(audited(&t, "appointment.read", "").await >= 2);
}

async fn cancelling_sends_a_cancellation_instead_of_the_waiting_invitation(t: TestApp) {
    let p = person(&t, "cancel").await;
    let lead = t.staff_client("clinical_lead").await;
    let practitioner = staff_id(&t, "clinical_lead").await;
    book(
        &lead,
        p.id,
        &[
            ("practitioner", &practitioner),
            ("kind", "video"),
            ("date", &day_after(&t, 2)),
            ("time", "09:00"),
            ("minutes", "30"),
        ],
    )
    .await
    .status(303);
    let a = appointments_of(&t, p.id).await.remove(0);
    let record = format!("/staff/appointments/{}", a.id);
    lead.post_form(
        &record,
        &[("status", "cancelled_by_patient"), ("back", "record")],
    )
    .await
    .redirects_to(&format!("/staff/patients/{}?recorded=1#appointments", p.id));
    // The same again is answered as done; another outcome is a 409.
    lead.post_form(&record, &[("status", "cancelled_by_patient")])
        .await
        .redirects_to("/staff/appointments?recorded=1");
    let r = lead
        .post_form(&record, &[("status", "attended")])
        .await
        .status(409);
    assert!(
        r.body
            .contains("already recorded as: cancelled by the person"),
        "{}",
        r.body
    );
    let page = lead.get(&format!("/staff/patients/{}", p.id)).await.ok();
    assert!(page.body.contains("Cancelled by the person"));

    t.drain_jobs().await;
    let sent: Vec<_> = t
        .outbox
        .sent()
        .into_iter()
        .filter(|m| m.idempotency_key.as_str().starts_with("appointment."))
        .collect();
    assert_eq!(sent.len(), 1, "only the cancellation: {sent:#?}");
    let m = &sent[0];
    assert_eq!(m.subject.as_deref(), Some("Your appointment is cancelled"));
    assert!(!m.body.contains("jwt="), "{}", m.body);
    let file = m.attachment.as_ref().unwrap();
    assert_eq!(
        file.content_type,
        "text/calendar; method=CANCEL; charset=UTF-8"
    );
    assert!(file.content.contains("\r\nSTATUS:CANCELLED\r\n"));
    assert!(
        file.content
            .contains(&format!("\r\nUID:appointment-{}@", a.id))
    );
    // Nothing to join any more.
    let home = signed_in_patient(&t, &p).await.get("/home").await.ok();
    assert!(!home.body.contains("Join the video call"));
}

async fn a_practitioner_lists_theirs_and_a_clinical_lead_the_services(t: TestApp) {
    let (p1, p2) = (person(&t, "list1").await, person(&t, "list2").await);
    let lead = t.staff_client("clinical_lead").await;
    let day = day_after(&t, 1);
    for (p, who, time) in [
        (&p1, "triage_clinician", "11:00"),
        (&p2, "clinical_lead", "11:00"),
    ] {
        let id = staff_id(&t, who).await;
        book(
            &lead,
            p.id,
            &[
                ("practitioner", &id),
                ("kind", "phone"),
                ("date", &day),
                ("time", time),
                ("minutes", "45"),
            ],
        )
        .await
        .status(303);
    }
    let record = |p: &NewPatient| format!("/staff/patients/{}", p.id);
    let mine = t
        .staff_client("triage_clinician")
        .await
        .get("/staff/appointments")
        .await
        .ok()
        .has_crisis_panel();
    assert!(mine.body.contains("Your booked appointments"));
    assert!(mine.body.contains(&record(&p1)) && !mine.body.contains(&record(&p2)));
    let all = lead.get("/staff/appointments").await.ok();
    assert!(
        all.body
            .contains("Every booked appointment in your service")
    );
    assert!(all.body.contains(&record(&p1)) && all.body.contains(&record(&p2)));
    assert!(
        all.body.contains("href=\"/staff/appointments\""),
        "in the navigation"
    );
    // Recorded from the list, it leaves the list.
    let a = appointments_of(&t, p1.id).await.remove(0);
    lead.post_form(
        &format!("/staff/appointments/{}", a.id),
        &[("status", "cancelled_by_service")],
    )
    .await
    .redirects_to("/staff/appointments?recorded=1");
    let all = lead.get("/staff/appointments?recorded=1").await.ok();
    assert!(all.body.contains("Appointment updated"));
    assert!(!all.body.contains(&record(&p1)));
    t.drain_jobs().await;
}

async fn attending_counts_one_treatment_contact_and_stops_the_clock(t: TestApp) {
    let p = person(&t, "attend").await;
    let staff = t.staff_client("triage_clinician").await;
    let me = staff_id(&t, "triage_clinician").await;
    let day = day_after(&t, 1);
    book(
        &staff,
        p.id,
        &[
            ("practitioner", &me),
            ("kind", "phone"),
            ("date", &day),
            ("time", "10:00"),
            ("minutes", "50"),
        ],
    )
    .await
    .status(303);
    let a = appointments_of(&t, p.id).await.remove(0);
    let path = format!("/staff/appointments/{}", a.id);
    assert_eq!(treatment(&t, p.id).await, (None, 0));
    // Not before it starts.
    let r = staff
        .post_form(&path, &[("status", "attended")])
        .await
        .status(422);
    assert!(r.body.contains("about to start"), "{}", r.body);
    let r = staff
        .post_form(&path, &[("status", "booked")])
        .await
        .status(422);
    assert!(r.body.contains("Choose what happened"));

    move_to(&t, a.slot.starts_at(), 55);
    let staff = t.staff_client("triage_clinician").await;
    staff
        .post_form(&path, &[("status", "attended")])
        .await
        .redirects_to("/staff/appointments?recorded=1");
    assert_eq!(
        treatment(&t, p.id).await,
        (Some(a.slot.starts_at()), 1),
        "the first treatment is the appointment's start"
    );
    // The same again (a double click) changes nothing; another is a 409.
    staff
        .post_form(&path, &[("status", "attended")])
        .await
        .status(303);
    let r = staff
        .post_form(&path, &[("status", "did_not_attend")])
        .await
        .status(409);
    assert!(
        r.body.contains("already recorded as: attended"),
        "{}",
        r.body
    );
    assert_eq!(treatment(&t, p.id).await.1, 1);
    assert_eq!(
        audited(&t, "appointment.recorded", &a.id.to_string()).await,
        1
    );
    assert_eq!(
        audited(
            &t,
            "episode.treatment_contact",
            &format!("appointment {} attended", a.id)
        )
        .await,
        1
    );
    let page = staff.get(&format!("/staff/patients/{}", p.id)).await.ok();
    assert!(page.body.contains("Attended"));
    t.drain_jobs().await;
}

async fn bad_input_is_refused_with_the_form_kept_and_another_service_gets_404(t: TestApp) {
    let p = person(&t, "bad").await;
    let lead = t.staff_client("clinical_lead").await;
    let me = staff_id(&t, "clinical_lead").await;
    let (tomorrow, yesterday) = (day_after(&t, 1), day_after(&t, -1));
    let (tomorrow, yesterday) = (tomorrow.as_str(), yesterday.as_str());
    let unknown = bothy_domain::StaffId::random().to_string();
    t.fixtures().lead_in_borders("admin").await;
    let other_service_staff = staff_id(&t, "admin").await;
    let (me, unknown, other_service_staff) =
        (me.as_str(), unknown.as_str(), other_service_staff.as_str());
    for (fields, says) in [
        // Without a video provider (this service has none), video is refused.
        (
            [
                ("practitioner", me),
                ("kind", "video"),
                ("date", tomorrow),
                ("time", "10:00"),
                ("minutes", "50"),
            ],
            "no video provider",
        ),
        (
            [
                ("practitioner", me),
                ("kind", "phone"),
                ("date", yesterday),
                ("time", "10:00"),
                ("minutes", "50"),
            ],
            "must be in the future",
        ),
        (
            [
                ("practitioner", me),
                ("kind", "phone"),
                ("date", tomorrow),
                ("time", "10:00"),
                ("minutes", "5"),
            ],
            "from 10 to 180 minutes",
        ),
        (
            [
                ("practitioner", unknown),
                ("kind", "phone"),
                ("date", tomorrow),
                ("time", "10:00"),
                ("minutes", "50"),
            ],
            "Choose a practitioner",
        ),
        (
            [
                ("practitioner", other_service_staff),
                ("kind", "phone"),
                ("date", tomorrow),
                ("time", "10:00"),
                ("minutes", "50"),
            ],
            "Choose a practitioner",
        ),
        (
            [
                ("practitioner", "nonsense"),
                ("kind", "phone"),
                ("date", tomorrow),
                ("time", "10:00"),
                ("minutes", "50"),
            ],
            "Choose a practitioner",
        ),
        (
            [
                ("practitioner", me),
                ("kind", "fax"),
                ("date", tomorrow),
                ("time", "10:00"),
                ("minutes", "50"),
            ],
            "Choose in person, phone or video",
        ),
        (
            [
                ("practitioner", me),
                ("kind", "phone"),
                ("date", "31/12/2026"),
                ("time", "10:00"),
                ("minutes", "50"),
            ],
            "Enter the date",
        ),
        (
            [
                ("practitioner", me),
                ("kind", "phone"),
                ("date", tomorrow),
                ("time", "25:00"),
                ("minutes", "50"),
            ],
            "Enter the time",
        ),
    ] {
        let r = book(&lead, p.id, &fields)
            .await
            .status(422)
            .has_crisis_panel();
        assert!(r.body.contains(says), "{says}: {}", r.body);
        assert!(r.body.contains("There is a problem"));
        // What was typed is kept.
        assert!(
            r.body.contains(&format!("value=\"{}\"", fields[3].1)),
            "{}",
            r.body
        );
    }
    assert!(appointments_of(&t, p.id).await.is_empty());

    // Booked, then looked for from another service: nothing there.
    book(
        &lead,
        p.id,
        &[
            ("practitioner", me),
            ("kind", "in_person"),
            ("date", tomorrow),
            ("time", "12:00"),
            ("minutes", "60"),
        ],
    )
    .await
    .status(303);
    let a = appointments_of(&t, p.id).await.remove(0);
    let elsewhere = t.staff_client("admin").await;
    elsewhere
        .post_form("/staff/service", &[("service", "borders")])
        .await
        .redirects_to("/staff");
    elsewhere
        .get(&format!("{}/new", book_path(p.id)))
        .await
        .status(404);
    elsewhere
        .post_form(
            &book_path(p.id),
            &[
                ("practitioner", other_service_staff),
                ("kind", "phone"),
                ("date", tomorrow),
                ("time", "13:00"),
                ("minutes", "50"),
                ("key", "x"),
            ],
        )
        .await
        .status(404);
    elsewhere
        .post_form(
            &format!("/staff/appointments/{}", a.id),
            &[("status", "cancelled_by_service")],
        )
        .await
        .status(404);
    elsewhere
        .post_form(
            &format!(
                "/staff/appointments/{}",
                bothy_domain::ids::AppointmentId::random()
            ),
            &[("status", "cancelled_by_service")],
        )
        .await
        .status(404);
    let list = elsewhere.get("/staff/appointments").await.ok();
    assert!(!list.body.contains(&p.id.to_string()));
    assert_eq!(
        appointments_of(&t, p.id).await[0].status,
        bothy_domain::appointments::Status::Booked
    );
    t.drain_jobs().await;
}

async fn a_form_sent_twice_books_once_and_a_taken_time_is_a_409(t: TestApp) {
    let (p, q) = (person(&t, "twice").await, person(&t, "taken").await);
    let lead = t.staff_client("clinical_lead").await;
    let me = staff_id(&t, "clinical_lead").await;
    let day = day_after(&t, 1);
    let key = lead
        .get(&format!("{}/new", book_path(p.id)))
        .await
        .ok()
        .field("key");
    let fields = [
        ("practitioner", me.as_str()),
        ("kind", "phone"),
        ("date", &day),
        ("time", "14:00"),
        ("minutes", "50"),
        ("key", &key),
    ];
    let answers = post_at_once(&lead, 8, &book_path(p.id), &fields).await;
    no_server_errors(&answers);
    let back = format!("/staff/patients/{}?booked=1#appointments", p.id);
    assert!(
        answers.iter().all(|r| r.location() == Some(back.as_str())),
        "{:?}",
        statuses(&answers)
    );
    let list = appointments_of(&t, p.id).await;
    assert_eq!(list.len(), 1);
    assert_eq!(
        audited(&t, "appointment.booked", &list[0].id.to_string()).await,
        1
    );

    // The same practitioner, another person: the same start, or an
    // overlapping one, is a 409 that says so.
    for (time, says) in [
        ("14:00", "already has an appointment from"),
        ("14:30", "already has an appointment from"),
        ("13:30", "already has an appointment from"),
    ] {
        let r = book(
            &lead,
            q.id,
            &[
                ("practitioner", &me),
                ("kind", "phone"),
                ("date", &day),
                ("time", time),
                ("minutes", "45"),
            ],
        )
        .await
        .status(409);
        assert!(r.body.contains(says), "{time}: {}", r.body);
    }
    // Eight different forms for the same time at once: one booking.
    let forms: Vec<_> = (0..8)
        .map(|n| {
            let key = format!("race-{n}");
            vec![
                ("practitioner".to_string(), me.clone()),
                ("kind".into(), "phone".into()),
                ("date".into(), day.clone()),
                ("time".into(), "16:00".into()),
                ("minutes".into(), "30".into()),
                ("key".into(), key),
            ]
        })
        .collect();
    let answers = at_once(
        forms
            .into_iter()
            .map(|f| post_owned(lead.clone(), book_path(q.id), f))
            .collect(),
    )
    .await;
    no_server_errors(&answers);
    let codes = statuses(&answers);
    assert_eq!(codes.iter().filter(|s| **s == 303).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|s| matches!(s, 303 | 409)), "{codes:?}");
    assert_eq!(appointments_of(&t, q.id).await.len(), 1);
    // Eight forms at once whose times overlap but start apart (no index
    // sees those): one booking, the rest told the time is taken.
    let r = person(&t, "overlap").await;
    let answers = at_once(
        (0..8)
            .map(|n| {
                let f = vec![
                    ("practitioner".to_string(), me.clone()),
                    ("kind".into(), "phone".into()),
                    ("date".into(), day.clone()),
                    ("time".into(), format!("18:{:02}", n * 5)),
                    ("minutes".into(), "60".into()),
                    ("key".into(), format!("overlap-{n}")),
                ];
                post_owned(lead.clone(), book_path(r.id), f)
            })
            .collect(),
    )
    .await;
    no_server_errors(&answers);
    let codes = statuses(&answers);
    assert_eq!(codes.iter().filter(|s| **s == 303).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|s| matches!(s, 303 | 409)), "{codes:?}");
    assert_eq!(appointments_of(&t, r.id).await.len(), 1);

    // Cancelled, the time is free again.
    lead.post_form(
        &format!("/staff/appointments/{}", list[0].id),
        &[("status", "cancelled_by_service")],
    )
    .await
    .status(303);
    book(
        &lead,
        q.id,
        &[
            ("practitioner", &me),
            ("kind", "phone"),
            ("date", &day),
            ("time", "14:00"),
            ("minutes", "50"),
        ],
    )
    .await
    .status(303);
    t.drain_jobs().await;
}

async fn two_clinicians_recording_at_once_change_it_once(t: TestApp) {
    let p = person(&t, "race").await;
    let lead = t.staff_client("clinical_lead").await;
    let me = staff_id(&t, "clinical_lead").await;
    let day = day_after(&t, 1);
    for time in ["09:00", "10:00", "11:00"] {
        book(
            &lead,
            p.id,
            &[
                ("practitioner", &me),
                ("kind", "phone"),
                ("date", &day),
                ("time", time),
                ("minutes", "50"),
            ],
        )
        .await
        .status(303);
    }
    let list = appointments_of(&t, p.id).await;
    move_to(&t, list[2].slot.ends_at(), 5);
    let lead = t.staff_client("clinical_lead").await;
    let triage = t.staff_client("triage_clinician").await;
    for a in &list {
        let path = format!("/staff/appointments/{}", a.id);
        // Half say attended, half did not attend, from two clinicians.
        let requests = (0..8)
            .map(|n| {
                let (c, status) = if n % 2 == 0 {
                    (lead.clone(), "attended")
                } else {
                    (triage.clone(), "did_not_attend")
                };
                post_owned(c, path.clone(), vec![("status".into(), status.into())])
            })
            .collect();
        let answers = at_once(requests).await;
        no_server_errors(&answers);
        let codes = statuses(&answers);
        assert!(codes.iter().all(|s| matches!(s, 303 | 409)), "{codes:?}");
        assert!(codes.contains(&303), "{codes:?}");
        assert_eq!(
            audited(&t, "appointment.recorded", &a.id.to_string()).await,
            1
        );
        let stored = appointments_of(&t, p.id)
            .await
            .into_iter()
            .find(|x| x.id == a.id)
            .unwrap();
        assert!(matches!(
            stored.status,
            bothy_domain::appointments::Status::Attended
                | bothy_domain::appointments::Status::DidNotAttend
        ));
    }
    // Each appointment attended counted once, and only those.
    let attended = appointments_of(&t, p.id)
        .await
        .iter()
        .filter(|a| a.status == bothy_domain::appointments::Status::Attended)
        .count();
    assert_eq!(treatment(&t, p.id).await.1 as usize, attended);
    t.drain_jobs().await;
}

async fn moving_sends_one_new_invitation_that_replaces_the_calendar_event(t: TestApp) {
    let p = person(&t, "move").await;
    let lead = t.staff_client("clinical_lead").await;
    let me = staff_id(&t, "clinical_lead").await;
    let day = day_after(&t, 2);
    for time in ["09:00", "13:00"] {
        book(
            &lead,
            p.id,
            &[
                ("practitioner", &me),
                ("kind", "video"),
                ("date", &day),
                ("time", time),
                ("minutes", "30"),
            ],
        )
        .await
        .status(303);
    }
    let a = appointments_of(&t, p.id).await.remove(0);
    let edit = format!("/staff/appointments/{}/edit", a.id);
    let form = lead.get(&edit).await.ok().has_crisis_panel();
    assert_eq!(form.field("sequence"), "0");
    assert_eq!(form.field("date"), day);
    assert_eq!(form.field("time"), "09:00");
    let record = lead.get(&format!("/staff/patients/{}", p.id)).await.ok();
    assert!(record.body.contains(&edit), "a link to move it");

    // Two moves from the same sight of the form at once: one wins.
    let moves = ["10:00", "11:00"]
        .into_iter()
        .map(|time| {
            let fields = vec![
                ("date".to_string(), day.clone()),
                ("time".into(), time.into()),
                ("minutes".into(), "30".into()),
                ("sequence".into(), "0".into()),
            ];
            post_owned(lead.clone(), edit.clone(), fields)
        })
        .collect();
    let answers = at_once(moves).await;
    no_server_errors(&answers);
    let mut codes = statuses(&answers);
    codes.sort_unstable();
    assert_eq!(codes, [303, 409], "{}", answers[1].body);
    let moved = appointments_of(&t, p.id).await.remove(0);
    assert_eq!(moved.sequence, 1);
    let time = if moved.slot.starts_at() == uk_moment(&day, "10:00").unwrap() {
        "10:00"
    } else {
        "11:00"
    };
    assert_eq!(moved.slot.starts_at(), uk_moment(&day, time).unwrap());
    assert_eq!(moved.room, a.room, "the same room");
    // The winning move sent again is answered as done.
    lead.post_form(
        &edit,
        &[
            ("date", &day),
            ("time", time),
            ("minutes", "30"),
            ("sequence", "0"),
        ],
    )
    .await
    .redirects_to(&format!("/staff/patients/{}?moved=1#appointments", p.id));
    // Onto the practitioner's other appointment: 409; into the past: 422.
    let r = lead
        .post_form(
            &edit,
            &[
                ("date", &day),
                ("time", "13:10"),
                ("minutes", "30"),
                ("sequence", "1"),
            ],
        )
        .await
        .status(409);
    assert!(
        r.body.contains("already has an appointment from"),
        "{}",
        r.body
    );
    let r = lead
        .post_form(
            &edit,
            &[
                ("date", &day_after(&t, -1)),
                ("time", "10:00"),
                ("minutes", "30"),
                ("sequence", "1"),
            ],
        )
        .await
        .status(422);
    assert!(r.body.contains("must be in the future"));
    assert_eq!(audited(&t, "appointment.moved", &a.id.to_string()).await, 1);

    // One invitation went, to the new time, replacing the first in the calendar.
    t.drain_jobs().await;
    let sent: Vec<_> = t
        .outbox
        .sent()
        .into_iter()
        .filter(|m| {
            m.idempotency_key
                .as_str()
                .starts_with(&format!("appointment.{}.", a.id))
        })
        .collect();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    let ics = sent[0].attachment.as_ref().unwrap().content.clone();
    assert!(ics.contains(&format!("\r\nUID:appointment-{}@", a.id)));
    assert!(ics.contains("\r\nSEQUENCE:1\r\n"), "{ics}");
    assert!(ics.contains(&format!(
        "\r\nDTSTART:{}\r\n",
        bothy_domain::appointments::ical::utc(moved.slot.starts_at())
    )));
    let first = t
        .job(&format!("appointment.{}.appointment_invitation", a.id))
        .await
        .unwrap();
    assert_eq!(
        first.state,
        bothy_store::JobState::Done,
        "not sent, and done"
    );

    // Started, it cannot move; recorded, neither.
    move_to(&t, moved.slot.starts_at(), 1);
    let lead = t.staff_client("clinical_lead").await;
    let r = lead
        .post_form(
            &edit,
            &[
                ("date", &day_after(&t, 3)),
                ("time", "10:00"),
                ("minutes", "30"),
                ("sequence", "1"),
            ],
        )
        .await
        .status(422);
    assert!(r.body.contains("has started"), "{}", r.body);
    lead.post_form(
        &format!("/staff/appointments/{}", a.id),
        &[("status", "attended")],
    )
    .await
    .status(303);
    let r = lead
        .post_form(
            &edit,
            &[
                ("date", &day_after(&t, 3)),
                ("time", "10:00"),
                ("minutes", "30"),
                ("sequence", "1"),
            ],
        )
        .await
        .status(409);
    assert!(
        r.body.contains("already recorded as: attended"),
        "{}",
        r.body
    );
    t.drain_jobs().await;
}

async fn a_text_invitation_says_when_and_to_sign_in_to_join(t: TestApp) {
    let unique = PatientId::random().to_string();
    let mut who = Person::new("Morag", "Texter", &format!("sms.{unique}@example.org"));
    who.phone = "07700 900456".into();
    let p = t.fixtures().patient(&who).await;
    // Texts only, from now on: their choice on their account page.
    let c = signed_in_patient(&t, &p).await;
    c.get("/account").await.ok();
    c.post_form("/account/contact", &[("contact", "sms")])
        .await
        .status(303);
    let lead = t.fixtures().staff_actor("clinical_lead").await;
    let form = bothy_app::appointments::BookingForm {
        practitioner: staff_id(&t, "clinical_lead").await,
        kind: "video".into(),
        date: day_after(&t, 1),
        time: "09:30".into(),
        minutes: "30".into(),
        key: "by-text".into(),
    };
    let booked = t
        .app
        .appointments()
        .book(&lead, p.id, &form, &Default::default())
        .await
        .unwrap();
    t.drain_jobs().await;
    let sent: Vec<_> = t
        .outbox
        .sent()
        .into_iter()
        .filter(|m| m.idempotency_key.as_str().starts_with("appointment."))
        .collect();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    let m = &sent[0];
    assert_eq!(m.channel, bothy_app::notify::Channel::Sms);
    assert!(m.to.ends_with("7700900456"), "{}", m.to);
    // A Jitsi link with its token is too long for a text: the sign-in page,
    // whose home page has it.
    let when = bothy_domain::appointments::uk_when_short(booked.appointment.slot.starts_at());
    assert!(
        m.body.ends_with(&format!(
            "You have an appointment on {when}, by video. Sign in to join: http://127.0.0.1:8080/sign-in"
        )),
        "{}",
        m.body
    );
    assert!(!m.body.contains("Texter") && m.attachment.is_none());
    let septets = bothy_domain::gsm7::septets(&m.body).expect("GSM-7");
    assert!(bothy_domain::gsm7::segments(septets) <= 2);
}
