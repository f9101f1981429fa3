//! Triage: the queue's order and the decisions made from it.

use super::support::*;
use crate::both_dbs;
use crate::helpers::TestApp;
use bothy_domain::referral::Status;
use std::time::Duration;

both_dbs!(
    the_triage_queue_puts_risk_first_then_the_longest_waiting,
    accepting_opens_an_episode_and_sends_a_single_use_activation_link,
    signpost_decline_and_request_info_change_the_status_and_notify,
    an_unsent_risky_referral_can_be_closed_by_a_clinician,
    accepting_to_a_programme_enrols_the_person_with_the_practitioner_as_supporter,
);

async fn the_triage_queue_puts_risk_first_then_the_longest_waiting(t: TestApp) {
    let oldest = person("Olive", "Oldest", "olive@example.org");
    let newer = person("Nina", "Newer", "nina@example.org");
    let risky = person("Ruth", "Risky", "ruth@example.org");
    // The queue page is the point: the referrals are made without pages.
    let f = t.fixtures();
    f.self_referral(&kit(&oldest), &PHQ9_LOW, &GAD7_LOW).await;
    t.clock.advance(Duration::from_secs(2 * 24 * 3600));
    f.self_referral(&kit(&newer), &[3, 3, 2, 2, 2, 2, 1, 1, 0], &GAD7_LOW)
        .await;
    t.clock.advance(Duration::from_secs(24 * 3600));
    f.self_referral(&kit(&risky), &[1, 1, 1, 1, 1, 1, 1, 1, 1], &GAD7_LOW)
        .await;
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
        let mut tx = t.app.store().read().await.unwrap();
        let e = tx.open_episode(patient).await.unwrap();
        tx.rollback().await.unwrap();
        e.expect("an episode of care")
    };
    assert_eq!(episode.step, bothy_domain::referral::Step::Programme);
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
    // Activating an account is not treatment: the clock runs on, and the
    // person stays on the waiting list until a first treatment contact.
    let mut tx = t.app.store().read().await.unwrap();
    let e = tx.episode(episode.id).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    assert!(e.first_treatment_at.is_none());
    // The link cannot be used again.
    let again = t.client();
    let used = again
        .get(&format!("/activate/{token}"))
        .await
        .status(410)
        .has_crisis_panel();
    // It says what happened and how to get a new link.
    assert!(used.body.contains("already been used"), "{}", used.body);
    assert!(used.body.contains(&format!("contact {}", t.demo.service)));
    assert!(used.body.contains("send you a new link"));
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
    let expired = t
        .client()
        .get(&format!("/activate/{token}"))
        .await
        .status(410);
    assert!(
        expired.body.contains("This link has expired"),
        "{}",
        expired.body
    );
    assert!(expired.body.contains("ask them to send you a new link"));
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
        let mut tx = t.app.store().read().await.unwrap();
        let service = demo_service(&t).await;
        let all = tx.triage_queue(service, 10).await.unwrap();
        tx.rollback().await.unwrap();
        all
    };
    assert_eq!(r.len(), 1);
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

async fn accepting_to_a_programme_enrols_the_person_with_the_practitioner_as_supporter(t: TestApp) {
    let p = person("Pat", "Programme", "pat@example.org");
    self_refer(&t, &p, &PHQ9_LOW, &GAD7_LOW).await;
    let r = queued(&t, &p.email).await.remove(0);
    let staff = t.staff_client("triage_clinician").await;
    let page = staff.get(&format!("/staff/referrals/{}", r.id)).await.ok();
    let practitioner = page.option_value("Sam Supporter");
    let low_mood = page.option_value("Lifting low mood");
    let decide = |step: &'static str, programme: String| {
        let staff = &staff;
        let practitioner = practitioner.clone();
        let id = r.id;
        async move {
            post(
                staff,
                &format!("/staff/referrals/{id}/decision"),
                &owned(&[
                    ("decision", "accept"),
                    ("step", step),
                    ("practitioner", &practitioner),
                    ("programme", &programme),
                ]),
            )
            .await
        }
    };
    // A programme goes only with the programme step, and must be one in effect.
    let bad = decide("therapist", low_mood.clone()).await.status(422);
    assert!(
        bad.body
            .contains("A programme goes with the digital programme step")
    );
    assert!(bad.body.contains("href=\"#programme\""), "{}", bad.body);
    let bad = decide("programme", "no-such-programme".into())
        .await
        .status(422);
    assert!(bad.body.contains("Choose a programme from the list"));
    assert_eq!(referral(&t, r.id).await.status, Status::Received);

    decide("programme", low_mood.clone()).await.status(303);
    let patient = referral(&t, r.id).await.patient_id.unwrap();
    let mut tx = t.app.store().read().await.unwrap();
    let enrolments = tx.programme_enrolments_of(patient).await.unwrap();
    let supporter = tx.patient(patient).await.unwrap().unwrap().supporter_id;
    tx.rollback().await.unwrap();
    assert_eq!(enrolments.len(), 1, "{enrolments:?}");
    assert_eq!(enrolments[0].programme.id, "low-mood");
    assert_eq!(
        enrolments[0].supporter_id.map(|s| s.to_string()),
        Some(practitioner.clone())
    );
    assert_eq!(supporter.map(|s| s.to_string()), Some(practitioner.clone()));
    // The same decision again (a double click) changes nothing.
    decide("programme", low_mood).await;
    let mut tx = t.app.store().read().await.unwrap();
    assert_eq!(tx.programme_enrolments_of(patient).await.unwrap().len(), 1);
    tx.rollback().await.unwrap();
}
