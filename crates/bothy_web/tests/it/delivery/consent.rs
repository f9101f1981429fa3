//! The person's contact choice decides every message: asked once at
//! referral, editable on their account page; what is not sent, and why,
//! shows on the staff patient page.

use crate::both_dbs;
use crate::helpers::{Client, Resp, TestApp};
use bothy_app::{Actor, RequestContext};
use bothy_domain::gsm7;
use bothy_domain::referral::{Decision, Step};
use bothy_testkit::Person;

both_dbs!(
    a_self_referral_that_agreed_to_no_contact_gets_no_message,
    the_contact_question_is_asked_once,
    a_patient_changes_how_they_may_be_contacted,
);

const PHQ9_LOW: [i32; 9] = [1, 1, 1, 1, 1, 0, 0, 0, 0];
const GAD7_LOW: [i32; 7] = [1, 1, 1, 0, 0, 0, 0];

async fn accept(t: &TestApp, referral: &bothy_domain::referral::Referral) -> String {
    let f = t.fixtures();
    let triage = f.staff_actor("triage_clinician").await;
    let Actor::Staff(supporter) = f.staff_actor("supporter").await else {
        unreachable!()
    };
    let decided = t
        .app
        .triage()
        .decide(
            &triage,
            referral.id,
            Decision::Accept {
                step: Step::Programme,
                practitioner: supporter.id,
                programme: None,
            },
            &RequestContext::default(),
        )
        .await
        .unwrap();
    decided.patient_id.unwrap().to_string()
}

/// The bug of issue 15: a mobile number given and no contact consent, yet
/// the referral's receipt and the activation link went by SMS.
async fn a_self_referral_that_agreed_to_no_contact_gets_no_message(t: TestApp) {
    let mut p = Person::new("Isla", "Quiet", "isla.quiet@example.org");
    p.phone = "07700 900123".into();
    p.contact = "none";
    let referral = t.fixtures().self_referral(&p, &PHQ9_LOW, &GAD7_LOW).await;
    let c = referral.details.consents;
    assert!(!c.contact_sms && !c.contact_email, "{c:?}");
    let patient = accept(&t, &referral).await;
    t.drain_jobs().await;
    assert!(t.outbox.sent().is_empty(), "{:#?}", t.outbox.sent());
    assert_eq!(t.outbox.sends(), 0);
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM messages_not_sent WHERE referral_id = $1",
            &referral.id.to_string()
        )
        .await,
        2
    );
    // Staff see that nothing went, and why.
    let staff = t.staff_client("triage_clinician").await;
    let page = staff
        .get(&format!("/staff/patients/{patient}"))
        .await
        .ok()
        .has_crisis_panel();
    assert!(
        page.body.contains("Not by email or text message"),
        "{}",
        page.body
    );
    assert_eq!(
        page.body
            .matches("Not sent: no consent to email or SMS")
            .count(),
        2,
        "{}",
        page.body
    );
    assert!(page.body.contains("Referral received"));
    assert!(page.body.contains("Account set-up link"));
}

/// Starts a self-referral on the web; returns the client and resume token.
async fn begin(t: &TestApp) -> (Client, String) {
    let c = t.client();
    c.get("/refer").await.ok();
    let r = c.post_form("/refer", &[("service", "demo")]).await;
    let token = r.location().unwrap().split('/').nth(2).unwrap().to_string();
    (c, token)
}

fn about<'a>(contact: &'a str, phone: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("given_name", "Rowan"),
        ("family_name", "Once"),
        ("dob_day", "3"),
        ("dob_month", "4"),
        ("dob_year", "1990"),
        ("email", "rowan.once@example.org"),
        ("phone", phone),
        ("preferred_channel", contact),
        ("language", ""),
        ("accessibility_needs", ""),
        ("nhs_number", ""),
        ("chi", ""),
        ("postcode", ""),
    ]
}

async fn the_contact_question_is_asked_once(t: TestApp) {
    let (c, token) = begin(&t).await;
    let page = c.get(&format!("/refer/{token}/about")).await.ok();
    assert!(
        page.body.contains("How may we contact you?"),
        "{}",
        page.body
    );
    for value in ["email", "sms", "both", "none"] {
        assert!(
            page.body
                .contains(&format!("name=\"preferred_channel\" value=\"{value}\"")),
            "{value}"
        );
    }
    let consent = c.get(&format!("/refer/{token}/consent")).await.ok();
    assert!(consent.body.contains("name=\"treatment\""));
    for field in ["contact_sms", "contact_email"] {
        assert!(
            !consent.body.contains(&format!("name=\"{field}\"")),
            "{field}"
        );
    }
    // Text messages need a mobile number.
    let r: Resp = c
        .post_form(&format!("/refer/{token}/about"), &about("sms", ""))
        .await
        .status(422);
    assert!(r.body.contains("Enter a mobile number"), "{}", r.body);
    c.post_form(
        &format!("/refer/{token}/about"),
        &about("none", "07700 900456"),
    )
    .await
    .redirects_to(&format!("/refer/{token}/gp"));
    // Ticks sent to the consent step (an old page, a script) change nothing.
    c.post_form(
        &format!("/refer/{token}/consent"),
        &[
            ("treatment", "yes"),
            ("contact_sms", "yes"),
            ("contact_email", "yes"),
        ],
    )
    .await
    .redirects_to(&format!("/refer/{token}/check"));
    let d = t.app.referrals().draft(&token).await.unwrap().details;
    assert!(d.consents.treatment);
    assert!(!d.consents.contact_sms && !d.consents.contact_email);
    let check = c.get(&format!("/refer/{token}/check")).await.ok();
    assert!(check.body.contains("Not by email or text message"));
    // Changing the answer on the first step is the one way to agree.
    c.post_form(
        &format!("/refer/{token}/about"),
        &about("both", "07700 900456"),
    )
    .await
    .redirects_to(&format!("/refer/{token}/gp"));
    let d = t.app.referrals().draft(&token).await.unwrap().details;
    assert!(d.consents.treatment && d.consents.contact_sms && d.consents.contact_email);
    let again = c.get(&format!("/refer/{token}/about")).await.ok();
    assert!(
        again.body.contains("value=\"both\" checked"),
        "{}",
        again.body
    );
}

/// Starts a thread as the patient and has the triage clinician reply.
async fn staff_reply(t: &TestApp, patient: &Client, staff: &Client, n: usize) {
    let key = patient.get("/messages").await.ok().field("key");
    let r = patient
        .post_form(
            "/messages",
            &[("subject", "Hello"), ("body", "A question"), ("key", &key)],
        )
        .await
        .status(303);
    let to = r.location().unwrap();
    let thread = to.split('?').next().unwrap().rsplit('/').next().unwrap();
    let page = format!(
        "/staff/patients/{}/messages/{thread}",
        t.demo.patients[n].id
    );
    let key = staff.get(&page).await.ok().field("key");
    staff
        .post_form(&page, &[("body", "An answer"), ("key", &key)])
        .await
        .status(303);
}

async fn a_patient_changes_how_they_may_be_contacted(t: TestApp) {
    let c = t.patient_client(0).await;
    let account = c.get("/account").await.ok().has_crisis_panel();
    assert!(account.body.contains("How we may contact you"));
    assert!(
        account.body.contains("value=\"both\" checked"),
        "{}",
        account.body
    );
    c.post_form("/account/contact", &[("contact", "none")])
        .await
        .redirects_to("/account?contact=saved");
    let account = c.get("/account?contact=saved").await.ok();
    assert!(account.body.contains("value=\"none\" checked"));
    assert!(account.body.contains("has been saved"));

    let staff = t.staff_client("triage_clinician").await;
    staff_reply(&t, &c, &staff, 0).await;
    t.drain_jobs().await;
    assert!(t.outbox.sent().is_empty(), "{:#?}", t.outbox.sent());
    let record = staff
        .get(&format!("/staff/patients/{}", t.demo.patients[0].id))
        .await
        .ok();
    assert!(record.body.contains("New message"), "{}", record.body);
    assert!(record.body.contains("Not sent: no consent to email or SMS"));

    // Text messages only: the next notice goes by SMS, in the SMS alphabet,
    // naming the service and linking to sign in, and saying nothing else.
    c.get("/account").await.ok();
    c.post_form("/account/contact", &[("contact", "sms")])
        .await
        .redirects_to("/account?contact=saved");
    staff_reply(&t, &c, &staff, 0).await;
    t.drain_jobs().await;
    let sent = t.outbox.sent();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    let sms = &sent[0];
    assert_eq!(sms.channel, bothy_app::notify::Channel::Sms);
    let mut tx = t.app.store().read().await.unwrap();
    let me = tx
        .patient(t.demo.patients[0].id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(Some(sms.to.as_str()), me.phone.as_ref().map(|p| p.as_str()));
    let link = format!("{}/sign-in", t.app.settings().public_url);
    assert_eq!(
        sms.body,
        format!(
            "{}: You have a new message from your care team. Sign in to read it. {link}",
            t.demo.service
        )
    );
    assert!(gsm7::septets(&sms.body).is_some_and(|n| gsm7::segments(n) <= 2));
    assert!(!sms.body.contains("A question") && !sms.body.contains("An answer"));

    // A message queued while texts were agreed, and withdrawn before it
    // went (a retry can wait hours): asked again when sent, it is held back.
    staff_reply(&t, &c, &staff, 0).await;
    c.get("/account").await.ok();
    c.post_form("/account/contact", &[("contact", "none")])
        .await
        .redirects_to("/account?contact=saved");
    t.drain_jobs().await;
    assert_eq!(t.outbox.sent().len(), 1, "nothing more was sent");
    let record = staff
        .get(&format!("/staff/patients/{}", t.demo.patients[0].id))
        .await
        .ok();
    assert_eq!(
        record
            .body
            .matches("Not sent: no consent to email or SMS")
            .count(),
        2,
        "{}",
        record.body
    );
    // Switched to email while one waits: it goes by email instead.
    c.get("/account").await.ok();
    c.post_form("/account/contact", &[("contact", "sms")])
        .await
        .redirects_to("/account?contact=saved");
    staff_reply(&t, &c, &staff, 0).await;
    c.get("/account").await.ok();
    c.post_form("/account/contact", &[("contact", "email")])
        .await
        .redirects_to("/account?contact=saved");
    t.drain_jobs().await;
    let sent = t.outbox.sent();
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert_eq!(sent[1].channel, bothy_app::notify::Channel::Email);
    assert_eq!(sent[1].to, t.demo.patients[0].email);

    // A choice the record cannot honour is refused, and nothing changes.
    c.get("/account").await.ok();
    let r = c
        .post_form("/account/contact", &[("contact", "fax")])
        .await
        .status(422);
    assert!(r.body.contains("Choose how we may contact you"));
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM audit_events WHERE action = $1",
            "contact.choice_changed"
        )
        .await,
        5
    );
}
