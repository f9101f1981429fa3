//! Self-referral step by step: the steps, what each asks to fix, risk
//! answers, unfinished screening and finding a service.

use super::support::*;
use crate::both_dbs;
use crate::helpers::TestApp;
use bothy_domain::referral::Status;
use std::time::Duration;

both_dbs!(
    a_complete_self_referral_step_by_step,
    every_step_explains_what_to_fix,
    a_risk_answer_shows_crisis_contacts_at_once_and_reaches_triage_unsent,
    unfinished_screening_cannot_be_sent,
    a_service_is_found_by_postcode,
    risk_words_in_the_persons_own_words_make_the_referral_urgent_and_everyday_ones_do_not,
);

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
        t.app.settings().public_url
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
        let mut tx = t.app.store().read().await.unwrap();
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
        let mut tx = t.app.store().begin().await.unwrap();
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

    let r = step(&c, &token, "consent", &owned(&[("evaluation", "yes")]))
        .await
        .status(422);
    assert!(
        r.body
            .contains("To send a referral, agree to us using your details to offer you treatment")
    );
    assert!(r.body.contains("href=\"#treatment\"") && r.body.contains("id=\"treatment\""));
    assert!(
        r.body
            .contains("id=\"evaluation\" name=\"evaluation\" value=\"yes\" checked")
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
    assert_eq!(q[0].details.screening["phq9"][8], Some(2));

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
        .admin()
        .set_service_areas(demo, "td, KY1 td", &bothy_app::RequestContext::default())
        .await
        .unwrap();
    assert_eq!(areas, vec!["TD".to_string(), "KY1".to_string()]);
    assert!(
        t.app
            .admin()
            .set_service_areas(demo, "E-H", &bothy_app::RequestContext::default())
            .await
            .is_err()
    );
}

async fn risk_words_in_the_persons_own_words_make_the_referral_urgent_and_everyday_ones_do_not(
    t: TestApp,
) {
    for (given, email, text, risky) in [
        (
            "Ellis",
            "ellis@example.org",
            "This job is killing me and I cannot sleep.",
            false,
        ),
        (
            "Morgan",
            "morgan@example.org",
            "I would never hurt myself, I just feel flat.",
            false,
        ),
        (
            "Robin",
            "robin@example.org",
            "Most nights I want to end my life.",
            true,
        ),
    ] {
        let c = t.client();
        let token = begin(&c).await;
        let p = person(given, "Words", email);
        step(&c, &token, "about", &about(&p))
            .await
            .redirects_to(&format!("/refer/{token}/gp"));
        step(
            &c,
            &token,
            "help",
            &owned(&[("problem_text", text), ("problems", "low_mood")]),
        )
        .await
        .redirects_to(&format!("/refer/{token}/questions"));
        let next = c.get(&format!("/refer/{token}/questions")).await.ok();
        assert_eq!(next.body.contains("Please get help now"), risky, "{text}");
        let mine = queued(&t, email).await;
        assert_eq!(
            mine.len(),
            usize::from(risky),
            "{text}: an unsent draft reaches triage only with risk"
        );
        if risky {
            assert!(mine[0].risk);
        }
    }
}
