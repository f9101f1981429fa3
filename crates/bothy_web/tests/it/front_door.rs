//! The front door through the real router: self-referral step by step,
//! abuse protection, professional referral, triage decisions, matching,
//! activation, the waiting list and discharge.

use crate::both_dbs;
use crate::helpers::{Client, Resp, TestApp};
use bothy_app::notify::OutgoingMessage;
use bothy_domain::ServiceId;
use bothy_domain::model::Patient;
use bothy_domain::referral::{Referral, Status};
use std::time::Duration;

both_dbs!(
    a_complete_self_referral_step_by_step,
    every_step_explains_what_to_fix,
    a_risk_answer_shows_crisis_contacts_at_once_and_reaches_triage_unsent,
    automated_sends_are_held_back_but_look_the_same,
    a_double_posted_send_creates_one_referral,
    the_triage_queue_puts_risk_first_then_the_longest_waiting,
    accepting_opens_an_episode_and_sends_a_single_use_activation_link,
    signpost_decline_and_request_info_change_the_status_and_notify,
    a_professional_referral_is_made_once_and_its_referrer_told,
    matching_candidates_are_shown_and_verdicts_recorded_never_merged,
    the_waiting_list_shows_breaches_and_a_deterioration_moves_people_up,
    discharge_records_the_outcome,
    an_unsent_risky_referral_can_be_closed_by_a_clinician,
    unfinished_screening_cannot_be_sent,
    the_named_practitioner_sees_the_person_and_contacts_are_recorded_from_the_record,
    a_service_is_found_by_postcode,
);

const PHQ9_LOW: [i32; 9] = [1, 1, 1, 1, 1, 0, 0, 0, 0];
const GAD7_LOW: [i32; 7] = [1, 1, 1, 0, 0, 0, 0];
const PASSWORD: &str = "a long and private password";

fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn post(c: &Client, path: &str, fields: &[(String, String)]) -> Resp {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form(path, &pairs).await
}

/// Someone referring themself.
struct Person {
    given: &'static str,
    family: &'static str,
    email: String,
    /// Day, month, year.
    dob: (&'static str, &'static str, &'static str),
}

fn person(given: &'static str, family: &'static str, email: &str) -> Person {
    Person {
        given,
        family,
        email: email.into(),
        dob: ("14", "6", "1988"),
    }
}

fn about(p: &Person) -> Vec<(String, String)> {
    owned(&[
        ("given_name", p.given),
        ("family_name", p.family),
        ("dob_day", p.dob.0),
        ("dob_month", p.dob.1),
        ("dob_year", p.dob.2),
        ("email", &p.email),
        ("phone", ""),
        ("preferred_channel", "email"),
        ("language", ""),
        ("accessibility_needs", ""),
        ("nhs_number", ""),
        ("chi", ""),
        ("postcode", "EH1 1AA"),
    ])
}

fn answers(id: &str, values: &[i32]) -> Vec<(String, String)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("{id}-{}", i + 1), v.to_string()))
        .collect()
}

/// Starts a self-referral to the demo service; returns the resume token.
async fn begin(c: &Client) -> String {
    let start = c.get("/refer").await.ok().has_crisis_panel();
    assert!(
        start.body.contains("Demo digital CBT service"),
        "{}",
        start.body
    );
    let r = post(c, "/refer", &owned(&[("service", "demo")])).await;
    let to = r
        .location()
        .expect("a redirect to the first step")
        .to_string();
    assert!(to.starts_with("/refer/") && to.ends_with("/about"), "{to}");
    to.split('/').nth(2).unwrap().to_string()
}

async fn step(c: &Client, token: &str, step: &str, fields: &[(String, String)]) -> Resp {
    post(c, &format!("/refer/{token}/{step}"), fields).await
}

/// Fills in every step (asserting each moves on) up to the check page.
async fn fill(c: &Client, token: &str, p: &Person, phq9: &[i32], gad7: &[i32]) {
    let next = |s: &str| format!("/refer/{token}/{s}");
    step(c, token, "about", &about(p))
        .await
        .redirects_to(&next("gp"));
    step(
        c,
        token,
        "gp",
        &owned(&[("gp_practice", "Riverside Medical Practice")]),
    )
    .await
    .redirects_to(&next("help"));
    step(
        c,
        token,
        "help",
        &owned(&[
            ("problem_text", "I have been feeling flat since the winter."),
            ("problems", "low_mood"),
            ("problems", "sleep"),
        ]),
    )
    .await
    .redirects_to(&next("questions"));
    let mut q = answers("phq9", phq9);
    q.extend(answers("gad7", gad7));
    step(c, token, "questions", &q)
        .await
        .redirects_to(&next("consent"));
    step(
        c,
        token,
        "consent",
        &owned(&[("treatment", "yes"), ("contact_email", "yes")]),
    )
    .await
    .redirects_to(&next("check"));
}

/// A whole self-referral, sent as a person would (slower than a script).
async fn self_refer(t: &TestApp, p: &Person, phq9: &[i32], gad7: &[i32]) -> Client {
    let c = t.client();
    let token = begin(&c).await;
    fill(&c, &token, p, phq9, gad7).await;
    c.get(&format!("/refer/{token}/check")).await.ok();
    t.clock.advance(Duration::from_secs(60));
    let sent = step(
        &c,
        &token,
        "check",
        &owned(&[("service", "demo"), ("website", "")]),
    )
    .await;
    assert!(
        sent.location()
            .is_some_and(|l| l.starts_with("/refer/sent?service=demo")),
        "{:?} {}",
        sent.location(),
        sent.body
    );
    c
}

async fn demo_service(t: &TestApp) -> ServiceId {
    let mut tx = t.app.store.read().await.unwrap();
    let s = tx.service_by_slug("demo").await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    s.id
}

/// Referrals in the triage queue, in its order.
async fn queue(t: &TestApp) -> Vec<Referral> {
    let service = demo_service(t).await;
    let mut tx = t.app.store.read().await.unwrap();
    let q = tx.triage_queue(service, 500).await.unwrap();
    tx.rollback().await.unwrap();
    q
}

async fn queued(t: &TestApp, email: &str) -> Vec<Referral> {
    queue(t)
        .await
        .into_iter()
        .filter(|r| r.details.email.as_deref() == Some(email))
        .collect()
}

async fn referral(t: &TestApp, id: bothy_domain::ids::ReferralId) -> Referral {
    let mut tx = t.app.store.read().await.unwrap();
    let r = tx.referral(id).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    r
}

async fn patients(t: &TestApp) -> Vec<Patient> {
    let service = demo_service(t).await;
    let mut tx = t.app.store.read().await.unwrap();
    let p = tx.patients_of_service(service, 1000).await.unwrap();
    tx.rollback().await.unwrap();
    p
}

/// The messages sent to `to` once the worker has run.
async fn messages_to(t: &TestApp, to: &str) -> Vec<OutgoingMessage> {
    t.drain_jobs().await;
    t.outbox.sent().into_iter().filter(|m| m.to == to).collect()
}

/// The value of the `<option>` labelled `label`.
fn option_value(body: &str, label: &str) -> String {
    let end = body
        .find(&format!("\">{label}</option>"))
        .unwrap_or_else(|| panic!("no option {label}: {body}"));
    let start = body[..end].rfind("value=\"").unwrap() + 7;
    body[start..end].to_string()
}

/// Accepts a referral through the triage page; returns the activation token.
async fn accept(t: &TestApp, staff: &Client, r: &Referral, step: &str) -> String {
    let page = staff.get(&format!("/staff/referrals/{}", r.id)).await.ok();
    let practitioner = option_value(&page.body, "Sam Supporter");
    post(
        staff,
        &format!("/staff/referrals/{}/decision", r.id),
        &owned(&[
            ("decision", "accept"),
            ("step", step),
            ("practitioner", &practitioner),
        ]),
    )
    .await
    .redirects_to(&format!("/staff/referrals/{}?decided=1", r.id));
    let email = r.details.email.clone().unwrap();
    let messages = messages_to(t, &email).await;
    let activation = messages
        .iter()
        .find(|m| m.body.contains("/activate/"))
        .unwrap_or_else(|| panic!("no activation message to {email}: {messages:#?}"));
    let link = format!("{}/activate/", t.app.settings.public_url);
    let at = activation.body.find(&link).expect("an activation link") + link.len();
    activation.body[at..at + 64].to_string()
}

/// Activates an account and signs in with it; returns the patient's client.
async fn activate_and_sign_in(t: &TestApp, token: &str, email: &str) -> Client {
    let c = t.client();
    c.get(&format!("/activate/{token}")).await.ok();
    let done = post(
        &c,
        &format!("/activate/{token}"),
        &owned(&[
            ("email", email),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ]),
    )
    .await
    .ok()
    .has_crisis_panel();
    assert!(done.body.contains("Your account is ready"), "{}", done.body);
    c.get("/sign-in").await.ok();
    post(
        &c,
        "/sign-in",
        &owned(&[("email", email), ("password", PASSWORD)]),
    )
    .await
    .redirects_to("/home");
    c
}

/// A valid modulus-11 CHI number for a DDMMYY date.
fn chi_for(ddmmyy: &str) -> String {
    for serial in 100..999 {
        let first: String = format!("{ddmmyy}{serial}");
        let sum: u32 = first
            .chars()
            .zip((2..=10).rev())
            .map(|(c, w)| c.to_digit(10).unwrap() * w)
            .sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => continue,
            c => c,
        };
        return format!("{first}{check}");
    }
    unreachable!()
}

fn before(body: &str, first: &str, second: &str) -> bool {
    match (body.find(first), body.find(second)) {
        (Some(a), Some(b)) => a < b,
        _ => false,
    }
}

async fn a_complete_self_referral_step_by_step(t: TestApp) {
    let c = t.client();
    let token = begin(&c).await;
    let about_page = c
        .get(&format!("/refer/{token}/about"))
        .await
        .ok()
        .has_crisis_panel();
    let resume = format!(
        "Save this link to come back to your referral: {}/refer/{token}/about",
        t.app.settings.public_url
    );
    assert!(about_page.body.contains(&resume), "{}", about_page.body);
    assert!(about_page.body.contains("Save and continue"));
    assert!(about_page.body.contains("<label for=\"given_name\">"));
    assert!(!about_page.body.contains("class=\"urgent\""));

    let p = person("Morag", "Stewart", "morag.stewart@example.org");
    fill(&c, &token, &p, &PHQ9_LOW, &GAD7_LOW).await;
    // Every step can be come back to, with the answers kept.
    let back = c.get(&format!("/refer/{token}/about")).await.ok();
    assert!(back.body.contains("value=\"Morag\"") && back.body.contains("value=\"1988\""));
    let q = c.get(&format!("/refer/{token}/questions")).await.ok();
    assert_eq!(q.body.matches("<fieldset").count(), 16);
    assert!(q.body.contains("name=\"phq9-9\"") && q.body.contains("name=\"gad7-7\""));
    let check = c.get(&format!("/refer/{token}/check")).await.ok();
    for text in [
        "Morag Stewart",
        "14 June 1988",
        "Riverside Medical Practice",
        "Feeling low or depressed",
        "flat since the winter",
        "Send my referral",
        &resume,
    ] {
        assert!(check.body.contains(text), "{text}: {}", check.body);
    }
    assert!(
        check
            .body
            .contains(&format!("href=\"/refer/{token}/about\""))
    );
    // The honeypot: hidden from people and screen readers, never autofilled.
    let hp = check.body.find("name=\"website\"").expect("the honeypot");
    let container = check.body[..hp].rfind("<div").unwrap();
    let chunk = &check.body[container..hp + 80];
    assert!(chunk.contains("aria-hidden=\"true\"") && chunk.contains("refer-extra"));
    assert!(chunk.contains("tabindex=\"-1\"") && chunk.contains("autocomplete=\"off\""));

    t.clock.advance(Duration::from_secs(90));
    let sent = step(
        &c,
        &token,
        "check",
        &owned(&[("service", "demo"), ("website", "")]),
    )
    .await
    .redirects_to("/refer/sent?service=demo");
    let confirmation = c
        .get(sent.location().unwrap())
        .await
        .ok()
        .has_crisis_panel();
    assert!(confirmation.body.contains("Your referral has been sent"));
    assert!(confirmation.body.contains("What happens next"));
    // No completed waits yet: a plain default rather than a made-up figure.
    assert!(
        confirmation
            .body
            .contains("We will contact you to tell you what happens next"),
        "{}",
        confirmation.body
    );
    assert!(!confirmation.body.contains("class=\"urgent\""));

    let r = queued(&t, &p.email).await;
    assert_eq!(r.len(), 1);
    let r = &r[0];
    assert_eq!(r.status, Status::Received);
    assert!(!r.risk);
    assert_eq!(r.details.given_name.as_deref(), Some("Morag"));
    assert_eq!(r.details.postcode.as_deref(), Some("EH1 1AA"));
    assert_eq!(r.details.problems.len(), 2);
    assert!(r.details.consents.treatment && r.details.consents.contact_email);
    assert!(!r.details.consents.share_with_gp);
    // The resume link stops working once the referral is sent.
    c.get(&format!("/refer/{token}/about")).await.status(404);
    // The person is told it arrived, and nothing about what they said.
    let m = messages_to(&t, &p.email).await;
    assert_eq!(m.len(), 1, "{m:#?}");
    assert!(m[0].body.contains("We have received your referral"));
    assert!(!m[0].body.contains("Morag") && !m[0].body.contains("flat"));

    // Once waits have finished, the page says how long it usually takes.
    let staff = t.staff_client("triage_clinician").await;
    let token = accept(&t, &staff, r, "therapist").await;
    activate_and_sign_in(&t, &token, &p.email).await;
    let episode = {
        let mut tx = t.app.store.read().await.unwrap();
        let pid = referral(&t, r.id).await.patient_id.unwrap();
        let e = tx.open_episode(pid).await.unwrap().unwrap();
        tx.rollback().await.unwrap();
        e
    };
    t.clock.advance(Duration::from_secs(9 * 24 * 3600));
    let staff = t.staff_client("triage_clinician").await;
    staff.get("/staff/waiting").await.ok();
    post(
        &staff,
        &format!("/staff/episodes/{}/contact", episode.id),
        &[],
    )
    .await
    .redirects_to("/staff/waiting?contact=1");
    let page = t.client().get("/refer/sent?service=demo").await.ok();
    assert!(
        page.body
            .contains("half of the people referred started treatment within 9 days"),
        "{}",
        page.body
    );
}

async fn every_step_explains_what_to_fix(t: TestApp) {
    let c = t.client();
    // Choosing a service, and finding one by postcode.
    c.get("/refer").await.ok();
    let r = post(&c, "/refer", &[]).await.status(422);
    assert!(
        r.body
            .contains("Choose the service you would like to refer yourself to")
    );
    assert!(r.body.contains("href=\"#service\"") && r.body.contains("id=\"service\""));
    let r = c.get("/refer?postcode=nonsense").await.status(422);
    assert!(r.body.contains("Enter a full UK postcode"), "{}", r.body);
    assert!(r.body.contains("href=\"#postcode\"") && r.body.contains("id=\"postcode\""));
    {
        let service = demo_service(&t).await;
        let mut tx = t.app.store.begin().await.unwrap();
        tx.set_service_areas(service, "EH1 TD").await.unwrap();
        tx.commit().await.unwrap();
    }
    let r = c.get("/refer?postcode=eh1+1aa").await.ok();
    assert!(r.body.contains("Services that cover EH1 1AA"), "{}", r.body);
    assert!(r.body.contains("value=\"demo\" checked"));
    let r = c.get("/refer?postcode=TD9+7AA").await.ok();
    assert!(
        r.body.contains("value=\"demo\" checked"),
        "by postcode area"
    );
    let r = c.get("/refer?postcode=G1+1AA").await.ok();
    assert!(r.body.contains("We could not find a service"));

    let token = begin(&c).await;
    // Nothing filled in: every required answer is explained, with links to the fields.
    let r = step(&c, &token, "about", &[]).await.status(422);
    for (field, message) in [
        ("given_name", "Enter your first name"),
        ("family_name", "Enter your last name"),
        (
            "dob_day",
            "Enter a date of birth with a day, month and year in numbers",
        ),
        (
            "preferred_channel",
            "Choose how you would like us to contact you",
        ),
    ] {
        assert!(r.body.contains(message), "{message}: {}", r.body);
        assert!(
            r.body.contains(&format!("href=\"#{field}\""))
                && r.body.contains(&format!("id=\"{field}\"")),
            "{field}"
        );
    }
    assert!(r.body.contains("<title>Error: About you"));
    let p = person("Iona", "Grant", "iona.grant@example.org");
    let with = |changes: &[(&str, &str)]| {
        let mut f = about(&p);
        for (k, v) in changes {
            f.retain(|(name, _)| name != k);
            f.push((k.to_string(), v.to_string()));
        }
        f
    };
    // An NHS number whose check digit is wrong is explained, and what was typed is kept.
    let r = step(
        &c,
        &token,
        "about",
        &with(&[("nhs_number", "999 123 4570")]),
    )
    .await
    .status(422);
    assert!(
        r.body.contains("the last number does not match the others"),
        "{}",
        r.body
    );
    assert!(r.body.contains("href=\"#nhs_number\"") && r.body.contains("value=\"Iona\""));
    let r = step(&c, &token, "about", &with(&[("nhs_number", "12345")]))
        .await
        .status(422);
    assert!(
        r.body
            .contains("An NHS number is 10 numbers long, and this has too few")
    );
    // A real CHI number whose date part is not the date of birth given.
    let chi = chi_for("010190");
    let r = step(&c, &token, "about", &with(&[("chi", &chi)]))
        .await
        .status(422);
    assert!(
        r.body
            .contains("these do not match the date of birth you gave"),
        "{}",
        r.body
    );
    assert!(r.body.contains("href=\"#chi\""));
    // ... and accepted with the matching date.
    step(
        &c,
        &token,
        "about",
        &with(&[
            ("chi", &chi),
            ("dob_day", "1"),
            ("dob_month", "1"),
            ("dob_year", "1990"),
        ]),
    )
    .await
    .redirects_to(&format!("/refer/{token}/gp"));
    // The chosen way of contact needs its detail.
    let r = step(
        &c,
        &token,
        "about",
        &with(&[("preferred_channel", "sms"), ("phone", "")]),
    )
    .await
    .status(422);
    assert!(
        r.body
            .contains("Enter a mobile number, or choose to be contacted by email")
    );
    assert!(r.body.contains("href=\"#phone\""));
    let r = step(
        &c,
        &token,
        "about",
        &with(&[("preferred_channel", "email"), ("email", "")]),
    )
    .await
    .status(422);
    assert!(
        r.body
            .contains("Enter an email address, or choose to be contacted by text message")
    );
    let r = step(
        &c,
        &token,
        "about",
        &with(&[("preferred_channel", "sms"), ("phone", "0131 496 0000")]),
    )
    .await
    .status(422);
    assert!(
        r.body
            .contains("Text messages need a UK mobile number starting 07")
    );
    let r = step(
        &c,
        &token,
        "about",
        &with(&[("dob_day", "31"), ("dob_month", "2")]),
    )
    .await
    .status(422);
    assert!(r.body.contains("Date of birth must be a real date"));

    let r = step(&c, &token, "gp", &owned(&[("gp_practice", " ")]))
        .await
        .status(422);
    assert!(r.body.contains("Enter the name of your GP practice"));
    assert!(r.body.contains("href=\"#gp_practice\"") && r.body.contains("id=\"gp_practice\""));

    let r = step(&c, &token, "help", &[]).await.status(422);
    assert!(
        r.body
            .contains("Tell us in your own words, or choose at least one thing from the list")
    );
    assert!(r.body.contains("href=\"#problem_text\"") && r.body.contains("id=\"problem_text\""));
    let r = step(&c, &token, "help", &owned(&[("problems", "teleport")]))
        .await
        .status(422);
    assert!(r.body.contains("Choose from the list") && r.body.contains("id=\"problems\""));

    let mut partial = answers("phq9", &[1, 1, 1]);
    partial.push(("gad7-1".into(), "seven".into()));
    let r = step(&c, &token, "questions", &partial).await.status(422);
    assert!(r.body.contains("PHQ-9: answer question 4"), "{}", r.body);
    assert!(r.body.contains("href=\"#phq9-4\"") && r.body.contains("id=\"phq9-4\""));
    assert!(
        r.body
            .contains("GAD-7 question 1: choose one of the answers")
    );
    assert!(
        r.body.contains("value=\"1\" checked"),
        "answers given are kept"
    );
    assert!(!r.body.contains("class=\"urgent\""));

    let r = step(&c, &token, "consent", &owned(&[("contact_sms", "yes")]))
        .await
        .status(422);
    assert!(
        r.body
            .contains("To send a referral, agree to us using your details to offer you treatment")
    );
    assert!(r.body.contains("href=\"#treatment\"") && r.body.contains("id=\"treatment\""));
    assert!(
        r.body
            .contains("id=\"contact_sms\" name=\"contact_sms\" value=\"yes\" checked")
    );

    // Sending with steps unfinished says which, linking to each on the check page.
    t.clock.advance(Duration::from_secs(60));
    let r = step(&c, &token, "check", &owned(&[("service", "demo")]))
        .await
        .status(422);
    for (section, message) in [
        ("help", "Tell us what you would like help with"),
        (
            "consent",
            "Agree to us using your details to offer you treatment",
        ),
    ] {
        assert!(r.body.contains(message), "{message}: {}", r.body);
        assert!(r.body.contains(&format!("href=\"#{section}\"")));
        assert!(r.body.contains(&format!("id=\"{section}\"")));
    }
    // Unknown steps and links are not found.
    c.get(&format!("/refer/{token}/teleport")).await.status(404);
    c.get(&format!("/refer/{}/about", "0".repeat(64)))
        .await
        .status(404);
    c.get("/refer/not-a-token/about").await.status(404);
}

async fn a_risk_answer_shows_crisis_contacts_at_once_and_reaches_triage_unsent(t: TestApp) {
    // Someone else's referral, sent earlier and without risk.
    self_refer(
        &t,
        &person("Early", "Bird", "early.bird@example.org"),
        &PHQ9_LOW,
        &GAD7_LOW,
    )
    .await;
    t.clock.advance(Duration::from_secs(3600));

    let c = t.client();
    let token = begin(&c).await;
    let p = person("Rowan", "Risk", "rowan.risk@example.org");
    step(&c, &token, "about", &about(&p))
        .await
        .redirects_to(&format!("/refer/{token}/gp"));
    // Only the risk question answered: the page comes back with its errors,
    // and the crisis contacts open it.
    let r = step(&c, &token, "questions", &owned(&[("phq9-9", "2")]))
        .await
        .status(422)
        .has_crisis_panel();
    assert!(r.body.contains("class=\"urgent\"") && r.body.contains("Please get help now"));
    assert!(
        before(&r.body, "class=\"urgent\"", "<h1"),
        "the crisis contacts come before everything else in the page"
    );
    assert!(r.body.contains("PHQ-9: answer question 1"));
    // The referral is urgent at once, though never sent.
    let q = queue(&t).await;
    assert_eq!(q[0].details.email.as_deref(), Some(p.email.as_str()));
    assert_eq!(q[0].status, Status::Draft);
    assert!(q[0].risk);
    assert_eq!(q[0].details.phq9.as_ref().unwrap()[8], Some(2));

    // Completed with a risk answer: the very next step opens with the crisis contacts.
    let mut all = answers("phq9", &[1, 1, 1, 1, 1, 1, 1, 1, 1]);
    all.extend(answers("gad7", &GAD7_LOW));
    step(&c, &token, "questions", &all)
        .await
        .redirects_to(&format!("/refer/{token}/consent"));
    let next = c.get(&format!("/refer/{token}/consent")).await.ok();
    assert!(
        before(&next.body, "class=\"urgent\"", "<h1"),
        "{}",
        next.body
    );

    // Triage sees it first, marked, and unsent.
    let staff = t.staff_client("triage_clinician").await;
    let page = staff.get("/staff/triage").await.ok();
    assert!(
        before(&page.body, "Rowan Risk", "Early Bird"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Risk answer") && page.body.contains("Not sent yet"));
    let view = staff
        .get(&format!("/staff/referrals/{}", q[0].id))
        .await
        .ok();
    assert!(view.body.contains("has not sent this referral"));
    assert!(view.body.contains("class=\"risk-answer\""));
    assert!(
        view.body.contains("name=\"decision\""),
        "an unsent referral with a risk answer must be closed by a clinician's decision"
    );
}

async fn automated_sends_are_held_back_but_look_the_same(t: TestApp) {
    // A script fills in the hidden field.
    let bot = t.client();
    let token = begin(&bot).await;
    let p = person("Robo", "Filler", "robo@example.org");
    fill(&bot, &token, &p, &PHQ9_LOW, &GAD7_LOW).await;
    t.clock.advance(Duration::from_secs(60));
    let held = step(
        &bot,
        &token,
        "check",
        &owned(&[("service", "demo"), ("website", "http://spam.example")]),
    )
    .await
    .redirects_to("/refer/sent?service=demo");
    let held_page = bot.get(held.location().unwrap()).await.ok();
    assert!(held_page.body.contains("Your referral has been sent"));
    // Kept, but not sent, and nobody is messaged.
    let draft = t.app.self_referral_draft(&token).await.unwrap();
    assert_eq!(draft.status, Status::Draft);
    assert!(queued(&t, &p.email).await.is_empty());
    assert!(messages_to(&t, &p.email).await.is_empty());

    // A script that fills in every step faster than a person could.
    let fast = t.client();
    let token = begin(&fast).await;
    let p = person("Speedy", "Script", "speedy@example.org");
    fill(&fast, &token, &p, &PHQ9_LOW, &GAD7_LOW).await;
    let too_fast = step(
        &fast,
        &token,
        "check",
        &owned(&[("service", "demo"), ("website", "")]),
    )
    .await;
    assert_eq!(too_fast.status, held.status);
    assert_eq!(too_fast.location(), held.location());
    let page = fast.get(too_fast.location().unwrap()).await.ok();
    assert_eq!(
        page.body.replace(&request_id(&page), ""),
        held_page.body.replace(&request_id(&held_page), ""),
        "the page looks exactly the same"
    );
    let draft = t.app.self_referral_draft(&token).await.unwrap();
    assert_eq!(draft.status, Status::Draft);
    assert!(queued(&t, &p.email).await.is_empty());
}

fn request_id(r: &Resp) -> String {
    r.headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("no id")
        .to_string()
}

async fn a_double_posted_send_creates_one_referral(t: TestApp) {
    let c = t.client();
    let token = begin(&c).await;
    let p = person("Double", "Click", "double.click@example.org");
    fill(&c, &token, &p, &PHQ9_LOW, &GAD7_LOW).await;
    c.get(&format!("/refer/{token}/check")).await.ok();
    t.clock.advance(Duration::from_secs(60));
    let form = owned(&[("service", "demo"), ("website", "")]);
    let first = step(&c, &token, "check", &form).await;
    let second = step(&c, &token, "check", &form).await;
    assert_eq!(first.location(), Some("/refer/sent?service=demo"));
    assert_eq!(first.location(), second.location());
    assert_eq!(queued(&t, &p.email).await.len(), 1);
    assert_eq!(messages_to(&t, &p.email).await.len(), 1);
}

async fn the_triage_queue_puts_risk_first_then_the_longest_waiting(t: TestApp) {
    let oldest = person("Olive", "Oldest", "olive@example.org");
    let newer = person("Nina", "Newer", "nina@example.org");
    let risky = person("Ruth", "Risky", "ruth@example.org");
    self_refer(&t, &oldest, &PHQ9_LOW, &GAD7_LOW).await;
    t.clock.advance(Duration::from_secs(2 * 24 * 3600));
    self_refer(&t, &newer, &[3, 3, 2, 2, 2, 2, 1, 1, 0], &GAD7_LOW).await;
    t.clock.advance(Duration::from_secs(24 * 3600));
    self_refer(&t, &risky, &[1, 1, 1, 1, 1, 1, 1, 1, 1], &GAD7_LOW).await;
    let staff = t.staff_client("triage_clinician").await;
    let page = staff.get("/staff/triage").await.ok().has_crisis_panel();
    assert!(
        before(&page.body, "Ruth Risky", "Olive Oldest"),
        "{}",
        page.body
    );
    assert!(before(&page.body, "Olive Oldest", "Nina Newer"));
    assert!(page.body.contains("3 days"), "days waiting: {}", page.body);
    // Scores with their bands.
    assert!(page.body.contains("5, mild"), "{}", page.body);
    assert!(page.body.contains("16, moderately severe"), "{}", page.body);
    assert!(page.body.contains("Self-referral"));
    assert_eq!(page.body.matches("Risk answer").count(), 1);
    // Nav links for triage staff; not for a supporter.
    assert!(
        page.body.contains("href=\"/staff/triage\"")
            && page.body.contains("href=\"/staff/waiting\"")
    );
    let supporter = t.staff_client("supporter").await;
    let home = supporter.get("/staff").await.ok();
    assert!(!home.body.contains("href=\"/staff/triage\""));
    supporter.get("/staff/triage").await.status(403);

    // The referral page shows answers, free text and scores.
    let q = queued(&t, &newer.email).await;
    let view = staff
        .get(&format!("/staff/referrals/{}", q[0].id))
        .await
        .ok();
    for text in [
        "Nina Newer",
        "flat since the winter",
        "Feeling low or depressed",
        "Patient Health Questionnaire",
        "16, moderately severe",
        "Riverside Medical Practice",
        "name=\"decision\" value=\"accept\"",
    ] {
        assert!(view.body.contains(text), "{text}: {}", view.body);
    }
}

async fn accepting_opens_an_episode_and_sends_a_single_use_activation_link(t: TestApp) {
    let p = person("Ailsa", "Accepted", "ailsa@example.org");
    self_refer(&t, &p, &PHQ9_LOW, &GAD7_LOW).await;
    let r = queued(&t, &p.email).await.remove(0);
    let staff = t.staff_client("triage_clinician").await;
    // Accepting needs a step and a named practitioner.
    staff.get(&format!("/staff/referrals/{}", r.id)).await.ok();
    let bad = post(
        &staff,
        &format!("/staff/referrals/{}/decision", r.id),
        &owned(&[("decision", "accept"), ("step", "programme")]),
    )
    .await
    .status(422);
    assert!(
        bad.body
            .contains("Choose the practitioner who will support the person")
    );
    assert!(
        bad.body.contains("href=\"#practitioner\"") && bad.body.contains("id=\"practitioner\"")
    );
    assert!(bad.body.contains("value=\"programme\" selected"));

    let token = accept(&t, &staff, &r, "programme").await;
    let decided = staff
        .get(&format!("/staff/referrals/{}?decided=1", r.id))
        .await
        .ok();
    assert!(decided.body.contains("Decision recorded: Accepted"));
    let r = referral(&t, r.id).await;
    assert_eq!(r.status, Status::Accepted);
    let patient = r.patient_id.expect("a patient record for the person");
    let episode = {
        let mut tx = t.app.store.read().await.unwrap();
        let e = tx.open_episode(patient).await.unwrap();
        tx.rollback().await.unwrap();
        e.expect("an episode of care")
    };
    assert_eq!(episode.step, "programme");
    assert!(episode.first_treatment_at.is_none());
    // The message holds the link and nothing clinical.
    let m = messages_to(&t, &p.email).await;
    let activation = m.iter().find(|m| m.body.contains("/activate/")).unwrap();
    assert!(!activation.body.contains("Ailsa") && !activation.body.contains("programme"));

    // Unknown and malformed links are not found.
    let c = t.client();
    c.get(&format!("/activate/{}", "a".repeat(64)))
        .await
        .status(404)
        .has_crisis_panel();
    c.get("/activate/nonsense").await.status(404);
    // The link greets the person and checks what they choose.
    let form = c.get(&format!("/activate/{token}")).await.ok();
    assert!(form.body.contains("Hello Ailsa"));
    let r2 = post(
        &c,
        &format!("/activate/{token}"),
        &owned(&[
            ("email", "not an email"),
            ("password", "short"),
            ("confirm", "short"),
        ]),
    )
    .await
    .status(422);
    assert!(r2.body.contains("href=\"#email\"") && r2.body.contains("href=\"#password\""));
    let r2 = post(
        &c,
        &format!("/activate/{token}"),
        &owned(&[
            ("email", &p.email),
            ("password", PASSWORD),
            ("confirm", "something else entirely"),
        ]),
    )
    .await
    .status(422);
    assert!(r2.body.contains("The passwords do not match"));
    // Activating sets the password; the person can sign in.
    let home = activate_and_sign_in(&t, &token, &p.email).await;
    home.get("/home").await.ok();
    // For a digital programme, activation is the first treatment contact.
    let mut tx = t.app.store.read().await.unwrap();
    let e = tx.episode(episode.id).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    assert!(e.first_treatment_at.is_some());
    // The link cannot be used again.
    let again = t.client();
    again
        .get(&format!("/activate/{token}"))
        .await
        .status(410)
        .has_crisis_panel();
    again.get("/sign-in").await.ok();
    post(
        &again,
        &format!("/activate/{token}"),
        &owned(&[
            ("email", "someone.else@example.org"),
            ("password", PASSWORD),
            ("confirm", PASSWORD),
        ]),
    )
    .await
    .status(410);

    // Another person's link expires after a week.
    let q = person("Ewan", "Expired", "ewan@example.org");
    self_refer(&t, &q, &PHQ9_LOW, &GAD7_LOW).await;
    let r = queued(&t, &q.email).await.remove(0);
    let staff = t.staff_client("triage_clinician").await;
    let token = accept(&t, &staff, &r, "guided_self_help").await;
    t.client().get(&format!("/activate/{token}")).await.ok();
    t.clock.advance(Duration::from_secs(7 * 24 * 3600 + 1));
    t.client()
        .get(&format!("/activate/{token}"))
        .await
        .status(410);
}

async fn signpost_decline_and_request_info_change_the_status_and_notify(t: TestApp) {
    let people = [
        person("Sian", "Signposted", "sian@example.org"),
        person("Dara", "Declined", "dara@example.org"),
        person("Ines", "Info", "ines@example.org"),
    ];
    for p in &people {
        self_refer(&t, p, &PHQ9_LOW, &GAD7_LOW).await;
    }
    t.drain_jobs().await;
    t.outbox.clear();
    let staff = t.staff_client("triage_clinician").await;
    let decisions = [
        (
            "signpost",
            "place",
            "Edinburgh Community Mental Health Team",
            Status::Signposted,
        ),
        (
            "decline",
            "reason",
            "Already receiving the same help elsewhere",
            Status::Declined,
        ),
        (
            "request_info",
            "question",
            "Which GP practice are you registered with?",
            Status::InfoRequested,
        ),
    ];
    for (p, (decision, field, text, status)) in people.iter().zip(decisions) {
        let r = queued(&t, &p.email).await.remove(0);
        let path = format!("/staff/referrals/{}/decision", r.id);
        staff.get(&format!("/staff/referrals/{}", r.id)).await.ok();
        // An empty text is explained next to its box.
        let bad = post(
            &staff,
            &path,
            &owned(&[("decision", decision), (field, "  ")]),
        )
        .await
        .status(422);
        assert!(
            bad.body.contains(&format!("href=\"#{field}\""))
                && bad.body.contains(&format!("id=\"{field}\"")),
            "{decision}: {}",
            bad.body
        );
        assert_eq!(referral(&t, r.id).await.status, r.status);
        post(
            &staff,
            &path,
            &owned(&[("decision", decision), (field, text)]),
        )
        .await
        .redirects_to(&format!("/staff/referrals/{}?decided=1", r.id));
        let after = referral(&t, r.id).await;
        assert_eq!(after.status, status, "{decision}");
        assert_eq!(after.decision_note.as_deref(), Some(text));
        let page = staff
            .get(&format!("/staff/referrals/{}?decided=1", r.id))
            .await
            .ok();
        assert!(page.body.contains(status.label()), "{}", page.body);
        let m = messages_to(&t, &p.email).await;
        assert_eq!(m.len(), 1, "{decision}: {m:#?}");
        assert!(!m[0].body.contains(text), "no clinical content in messages");
        if decision == "request_info" {
            assert!(m[0].body.contains("We need a little more information"));
        } else {
            assert!(m[0].body.contains("There is an update about your referral"));
        }
    }
    // Asking for more information keeps the referral in the queue; the others leave it.
    let q = queue(&t).await;
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].status, Status::InfoRequested);
    // A decided referral cannot be decided again.
    let r = {
        let mut tx = t.app.store.read().await.unwrap();
        let service = demo_service(&t).await;
        let all = tx.triage_queue(service, 10).await.unwrap();
        tx.rollback().await.unwrap();
        all
    };
    assert_eq!(r.len(), 1);
}

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
    let key = form
        .body
        .split("name=\"key\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
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

async fn the_waiting_list_shows_breaches_and_a_deterioration_moves_people_up(t: TestApp) {
    let first = person("Fiona", "First", "fiona.first@example.org");
    let later = person("Lachlan", "Later", "lachlan.later@example.org");
    self_refer(&t, &first, &PHQ9_LOW, &GAD7_LOW).await;
    t.clock.advance(Duration::from_secs(24 * 3600));
    // PHQ-9 of 8 at referral.
    self_refer(&t, &later, &[1, 1, 1, 1, 1, 1, 1, 1, 0], &GAD7_LOW).await;
    let staff = t.staff_client("triage_clinician").await;
    let r1 = queued(&t, &first.email).await.remove(0);
    let r2 = queued(&t, &later.email).await.remove(0);
    accept(&t, &staff, &r1, "therapist").await;
    let token = accept(&t, &staff, &r2, "therapist").await;
    activate_and_sign_in(&t, &token, &later.email).await;

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
    let key = form
        .body
        .split("name=\"key\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
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
    let mut tx = t.app.store.read().await.unwrap();
    let flags = tx.open_risk_flags(pid).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(flags.len(), 1);
    assert!(
        flags[0]
            .reason
            .contains("Reliable deterioration on PHQ-9 while waiting"),
        "{}",
        flags[0].reason
    );
    // The flag moves Lachlan to the top.
    let page = staff.get("/staff/waiting").await.ok();
    assert!(
        before(&page.body, "Lachlan Later", "Fiona First"),
        "{}",
        page.body
    );
    assert!(page.body.contains("1 open flag"));

    // A first treatment contact stops Fiona's clock: she leaves the list,
    // and her 19-week wait counts against the standards.
    let e1 = {
        let pid = referral(&t, r1.id).await.patient_id.unwrap();
        let mut tx = t.app.store.read().await.unwrap();
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
        let mut tx = t.app.store.read().await.unwrap();
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
    let mut tx = t.app.store.read().await.unwrap();
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

async fn an_unsent_risky_referral_can_be_closed_by_a_clinician(t: TestApp) {
    let c = t.client();
    let token = begin(&c).await;
    let p = person("Casey", "Contacted", "casey.contacted@example.org");
    step(&c, &token, "about", &about(&p)).await;
    step(&c, &token, "questions", &owned(&[("phq9-9", "1")]))
        .await
        .status(422);
    let draft = queued(&t, &p.email).await.remove(0);
    assert_eq!(draft.status, Status::Draft);
    let staff = t.staff_client("triage_clinician").await;
    let page = staff
        .get(&format!("/staff/referrals/{}", draft.id))
        .await
        .ok();
    assert!(
        page.body.contains("value=\"decline\""),
        "the decision forms are offered"
    );
    post(
        &staff,
        &format!("/staff/referrals/{}/decision", draft.id),
        &owned(&[
            ("decision", "signpost"),
            ("place", "Phoned: now supported by the crisis team"),
        ]),
    )
    .await
    .redirects_to(&format!("/staff/referrals/{}?decided=1", draft.id));
    assert!(
        queued(&t, &p.email).await.is_empty(),
        "closed: it leaves the queue"
    );
    assert_eq!(referral(&t, draft.id).await.status, Status::Signposted);
    // The resume link no longer opens it.
    c.get(&format!("/refer/{token}/about")).await.status(404);
}

async fn unfinished_screening_cannot_be_sent(t: TestApp) {
    let c = t.client();
    let token = begin(&c).await;
    let p = person("Una", "Finished", "una.finished@example.org");
    fill(&c, &token, &p, &PHQ9_LOW, &GAD7_LOW).await;
    // Go back and leave most questions blank (keeping the risk question answered).
    step(&c, &token, "questions", &owned(&[("phq9-9", "0")]))
        .await
        .status(422);
    t.clock.advance(Duration::from_secs(60));
    let r = step(
        &c,
        &token,
        "check",
        &owned(&[("service", "demo"), ("website", "")]),
    )
    .await;
    assert_eq!(r.status.as_u16(), 422, "{:?}", r.location());
    assert!(
        r.body
            .contains("Answer every question about how you have been feeling"),
        "{}",
        r.body
    );
    assert!(queued(&t, &p.email).await.is_empty());
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

async fn a_service_is_found_by_postcode(t: TestApp) {
    let c = t.client();
    let found = c.get("/refer?postcode=eh1+1aa").await.ok();
    assert!(
        found.body.contains("Demo digital CBT service"),
        "{}",
        found.body
    );
    let demo = demo_service(&t).await;
    let areas = t
        .app
        .set_service_areas(demo, "td, KY1 td", &bothy_app::RequestContext::default())
        .await
        .unwrap();
    assert_eq!(areas, vec!["TD".to_string(), "KY1".to_string()]);
    assert!(
        t.app
            .set_service_areas(demo, "E-H", &bothy_app::RequestContext::default())
            .await
            .is_err()
    );
}
