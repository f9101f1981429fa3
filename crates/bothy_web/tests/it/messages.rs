//! Secure messages (issue 14, item 6): a patient starts a conversation with
//! their care team and staff reply, each seeing the other's messages and
//! the read state change; the notice to the patient says only that a
//! message is waiting; a resent form stores one message; risky words raise
//! an alert and show the crisis contacts; bad input is explained with the
//! text kept; nobody else reads or writes a thread; "needs a clinician"
//! marks and clears.

use crate::both_dbs;
use crate::concurrency::{at_once, no_server_errors, post_owned, statuses};
use crate::helpers::{Client, Resp, TestApp};
use bothy_domain::detectors::Cause;

both_dbs!(
    a_patient_starts_a_thread_and_staff_reply_and_each_sees_the_other,
    the_notice_to_the_patient_holds_no_message_text,
    a_double_submit_stores_one_message_and_eight_at_once_store_one,
    risky_words_raise_an_alert_and_show_the_crisis_contacts,
    an_empty_or_over_long_message_is_422_naming_the_field_with_the_text_kept,
    another_patient_and_staff_of_another_service_get_404,
    marking_needs_a_clinician_twice_is_fine_and_it_clears,
    a_message_edited_in_sql_is_reported_and_reading_or_marking_is_not,
);

/// Starts a thread as `c` from the form on `/messages`; returns the
/// thread's id and the answer.
async fn start(c: &Client, subject: &str, body: &str) -> (String, Resp) {
    let key = c
        .get("/messages")
        .await
        .ok()
        .has_crisis_panel()
        .field("key");
    let r = c
        .post_form(
            "/messages",
            &[("subject", subject), ("body", body), ("key", &key)],
        )
        .await
        .status(303);
    (thread_of(&r), r)
}

/// The thread id in a redirect to `.../{thread}?sent=1...`.
fn thread_of(r: &Resp) -> String {
    let to = r.location().expect("a redirect");
    let path = to.split('?').next().unwrap();
    path.rsplit('/').next().unwrap().to_string()
}

fn staff_thread(t: &TestApp, patient: usize, thread: &str) -> String {
    format!(
        "/staff/patients/{}/messages/{thread}",
        t.demo.patients[patient].id
    )
}

/// Replies from the form on `page` (a thread's address).
async fn reply(c: &Client, page: &str, body: &str) -> Resp {
    let key = c.get(page).await.ok().field("key");
    c.post_form(page, &[("body", body), ("key", &key)]).await
}

async fn audited(t: &TestApp, action: &str) -> i64 {
    t.count(
        "SELECT COUNT(*) FROM audit_events WHERE action = $1",
        action,
    )
    .await
}

async fn messages_in(t: &TestApp, thread: &str) -> i64 {
    t.count("SELECT COUNT(*) FROM messages WHERE thread_id = $1", thread)
        .await
}

async fn unread_in(t: &TestApp, thread: &str) -> i64 {
    t.count(
        "SELECT COUNT(*) FROM messages WHERE thread_id = $1 AND read_at IS NULL",
        thread,
    )
    .await
}

async fn a_patient_starts_a_thread_and_staff_reply_and_each_sees_the_other(t: TestApp) {
    let c = t.patient_client(0).await;
    let home = c.get("/home").await.ok();
    assert!(home.body.contains("href=\"/messages\""), "{}", home.body);
    let (thread, r) = start(&c, "Sleep", "I have not been sleeping well").await;
    assert_eq!(
        r.location(),
        Some(format!("/messages/{thread}?sent=1#reply").as_str())
    );
    let mine = c
        .get(&format!("/messages/{thread}?sent=1"))
        .await
        .ok()
        .has_crisis_panel();
    assert!(mine.body.contains("Your message is sent"));
    assert!(mine.body.contains("I have not been sleeping well"));
    assert!(mine.body.contains("Not read yet"), "{}", mine.body);
    let list = c.get("/messages").await.ok();
    assert!(list.body.contains("Sleep"));
    assert_eq!(unread_in(&t, &thread).await, 1);

    // Counts per patient, for a caseload: the patient who wrote, and nobody else.
    let staff_actor = t.fixtures().staff_actor("triage_clinician").await;
    let mut tx = t.app.store().read().await.unwrap();
    let mut people = Vec::new();
    for p in &t.demo.patients[..2] {
        people.push(tx.patient(p.id.parse().unwrap()).await.unwrap().unwrap());
    }
    tx.rollback().await.unwrap();
    let counts = t
        .app
        .messages()
        .unread_by_patient(&staff_actor, &people)
        .await
        .unwrap();
    assert_eq!(counts.get(&people[0].id), Some(&1));
    assert_eq!(counts.get(&people[1].id), None);

    // The care team sees it on the patient page, unread, then opens it.
    let staff = t.staff_client("triage_clinician").await;
    let record = staff
        .get(&format!("/staff/patients/{}", t.demo.patients[0].id))
        .await
        .ok();
    assert!(record.body.contains("id=\"messages-heading\""));
    assert!(record.body.contains("1 unread"), "{}", record.body);
    let page = staff_thread(&t, 0, &thread);
    assert!(record.body.contains(&format!("href=\"{page}\"")));
    let theirs = staff.get(&page).await.ok().has_crisis_panel();
    assert!(theirs.body.contains("I have not been sleeping well"));
    assert!(theirs.body.contains(&t.demo.patients[0].name));
    assert_eq!(unread_in(&t, &thread).await, 0, "opening it marks it read");
    let record = staff
        .get(&format!("/staff/patients/{}", t.demo.patients[0].id))
        .await
        .ok();
    assert!(record.body.contains("0 unread"), "{}", record.body);
    let mine = c.get(&format!("/messages/{thread}")).await.ok();
    assert!(
        mine.body.contains("Read by your care team on"),
        "{}",
        mine.body
    );

    // The reply: the patient sees it as new at home and in the list.
    reply(
        &staff,
        &page,
        "Thank you. Shall we talk about it on Tuesday?",
    )
    .await
    .redirects_to(&format!("{page}?sent=1#reply"));
    let after = staff.get(&page).await.ok();
    assert!(after.body.contains("Shall we talk about it on Tuesday?"));
    assert!(after.body.contains("Not read yet"));
    let home = c.get("/home").await.ok();
    assert!(home.body.contains("1 new"), "{}", home.body);
    let list = c.get("/messages").await.ok();
    assert!(list.body.contains("1 new"), "{}", list.body);
    let mine = c.get(&format!("/messages/{thread}")).await.ok();
    assert!(mine.body.contains("Shall we talk about it on Tuesday?"));
    assert!(mine.body.contains(&t.staff("triage_clinician").name));
    assert!(mine.body.contains("your care team"));
    let home = c.get("/home").await.ok();
    assert!(
        !home.body.contains(" new</span>"),
        "read now: {}",
        home.body
    );
    let after = staff.get(&page).await.ok();
    let given = t.demo.patients[0].name.split(' ').next().unwrap();
    assert!(
        after.body.contains(&format!("Read by {given} on")),
        "{}",
        after.body
    );

    // The patient replies in the same thread; oldest first.
    reply(&c, &format!("/messages/{thread}"), "Tuesday suits me")
        .await
        .redirects_to(&format!("/messages/{thread}?sent=1#reply"));
    let all = c.get(&format!("/messages/{thread}")).await.ok();
    let first = all.body.find("I have not been sleeping well").unwrap();
    let second = all.body.find("Shall we talk about it").unwrap();
    let third = all.body.find("Tuesday suits me").unwrap();
    assert!(first < second && second < third, "oldest first");
    assert_eq!(messages_in(&t, &thread).await, 3);

    assert_eq!(audited(&t, "message.thread_started").await, 1);
    assert_eq!(audited(&t, "message.sent").await, 3);
    assert!(
        audited(&t, "message.read").await >= 8,
        "every list and thread read is audited"
    );
    // The audit trail names ids only, never the words.
    let quoted = t
        .count(
            "SELECT COUNT(*) FROM audit_events WHERE detail LIKE $1",
            "%sleeping%",
        )
        .await;
    assert_eq!(quoted, 0);
}

async fn the_notice_to_the_patient_holds_no_message_text(t: TestApp) {
    let c = t.patient_client(0).await;
    let (thread, _) = start(&c, "Medication worries", "A question about my dose").await;
    t.drain_jobs().await;
    assert!(
        t.outbox.sent().is_empty(),
        "a patient's own message sends nothing"
    );
    let staff = t.staff_client("clinical_lead").await;
    let page = staff_thread(&t, 0, &thread);
    reply(&staff, &page, "Your sertraline dose can stay as it is")
        .await
        .status(303);
    // A second reply before the person has read the first adds no notice.
    reply(&staff, &page, "And do call if anything changes")
        .await
        .status(303);
    t.drain_jobs().await;
    let sent = t.outbox.sent();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    let m = &sent[0];
    assert_eq!(m.to, t.demo.patients[0].email);
    assert!(
        m.body
            .starts_with("You have a new message from your care team. Sign in to read it."),
        "{}",
        m.body
    );
    assert!(m.body.contains("/sign-in"));
    let all = format!("{:?} {}", m.subject, m.body).to_lowercase();
    for secret in [
        "sertraline",
        "dose",
        "medication",
        "worries",
        "changes",
        &t.staff("clinical_lead").name.to_lowercase(),
    ] {
        assert!(!all.contains(secret), "the notice says {secret:?}: {all}");
    }
    // Once read, the next reply sends one more notice.
    c.get(&format!("/messages/{thread}")).await.ok();
    reply(&staff, &page, "One more thing").await.status(303);
    t.drain_jobs().await;
    assert_eq!(t.outbox.sent().len(), 2);
}

async fn a_double_submit_stores_one_message_and_eight_at_once_store_one(t: TestApp) {
    let c = t.patient_client(0).await;
    let key = c.get("/messages").await.ok().field("key");
    let fields = [("subject", "Twice"), ("body", "Sent twice"), ("key", &key)];
    let first = c.post_form("/messages", &fields).await.status(303);
    let again = c.post_form("/messages", &fields).await.status(303);
    assert_eq!(first.location(), again.location(), "the same thread");
    let thread = thread_of(&first);
    assert_eq!(messages_in(&t, &thread).await, 1);
    let page = format!("/messages/{thread}");
    let key = c.get(&page).await.ok().field("key");
    for _ in 0..2 {
        c.post_form(&page, &[("body", "Reply twice"), ("key", &key)])
            .await
            .redirects_to(&format!("{page}?sent=1#reply"));
    }
    assert_eq!(messages_in(&t, &thread).await, 2);

    // Eight at once, starting a thread with one key: one thread, one message.
    let key = c.get("/messages").await.ok().field("key");
    let fields = vec![
        ("subject".to_string(), "At once".to_string()),
        ("body".to_string(), "Eight taps".to_string()),
        ("key".to_string(), key.clone()),
    ];
    let answers = at_once(
        (0..8)
            .map(|_| post_owned(c.clone(), "/messages".into(), fields.clone()))
            .collect(),
    )
    .await;
    no_server_errors(&answers);
    let to: Vec<_> = answers.iter().map(|r| r.location()).collect();
    assert!(
        to.iter().all(|l| l.is_some() && *l == to[0]),
        "{:?} {to:?}",
        statuses(&answers)
    );
    let thread = thread_of(&answers[0]);
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM message_threads WHERE start_key = $1",
            &key
        )
        .await,
        1
    );
    assert_eq!(messages_in(&t, &thread).await, 1);

    // Eight replies at once from the patient with one key: one message.
    let page = format!("/messages/{thread}");
    let key = c.get(&page).await.ok().field("key");
    let fields = vec![
        ("body".to_string(), "Eight replies".to_string()),
        ("key".to_string(), key),
    ];
    let answers = at_once(
        (0..8)
            .map(|_| post_owned(c.clone(), page.clone(), fields.clone()))
            .collect(),
    )
    .await;
    no_server_errors(&answers);
    assert!(
        answers
            .iter()
            .all(|r| r.location() == Some(format!("{page}?sent=1#reply").as_str())),
        "{:?}",
        statuses(&answers)
    );
    assert_eq!(messages_in(&t, &thread).await, 2);

    // Eight replies at once from staff with one key: one message, one notice.
    let staff = t.staff_client("triage_clinician").await;
    let page = staff_thread(&t, 0, &thread);
    let key = staff.get(&page).await.ok().field("key");
    let fields = vec![
        ("body".to_string(), "One reply".to_string()),
        ("key".to_string(), key),
    ];
    let answers = at_once(
        (0..8)
            .map(|_| post_owned(staff.clone(), page.clone(), fields.clone()))
            .collect(),
    )
    .await;
    no_server_errors(&answers);
    for r in &answers {
        assert_eq!(
            r.location(),
            Some(format!("{page}?sent=1#reply").as_str()),
            "{:?}",
            statuses(&answers)
        );
    }
    assert_eq!(messages_in(&t, &thread).await, 3);
    t.drain_jobs().await;
    assert_eq!(t.outbox.sent().len(), 1);
    assert_eq!(audited(&t, "message.sent").await, 5);
}

async fn risky_words_raise_an_alert_and_show_the_crisis_contacts(t: TestApp) {
    let pid = t.demo.patients[0].id.parse().unwrap();
    let c = t.patient_client(0).await;
    let (thread, r) = start(&c, "Last night", "I took too many pills last night").await;
    let to = r.location().unwrap().to_string();
    assert_eq!(to, format!("/messages/{thread}?sent=1&risk=1#reply"));
    let page = c.get(&to).await.ok().has_crisis_panel();
    assert!(page.body.contains("Please get help now"), "{}", page.body);
    assert!(page.body.contains("Some of what you wrote in your message"));
    assert!(page.body.contains("safety plan"));
    let alerts = t.open_alerts(pid).await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].cause, Cause::RiskyText);
    assert_eq!(alerts[0].source_kind, "message");
    assert!(!alerts[0].summary.contains("last night"));
    let open = t
        .count(
            "SELECT COUNT(*) FROM alerts WHERE patient_id = $1 AND closed_at IS NULL",
            &t.demo.patients[0].id,
        )
        .await;
    assert_eq!(open, 1);

    // An everyday message shows no crisis panel and raises nothing.
    let (_, r) = start(&c, "Everyday", "See you on Tuesday").await;
    assert!(!r.location().unwrap().contains("risk=1"));
    let calm = c.get(r.location().unwrap()).await.ok();
    assert!(!calm.body.contains("Please get help now"));

    // Risky words from staff raise nothing: they are not the person's.
    let staff = t.staff_client("triage_clinician").await;
    reply(
        &staff,
        &staff_thread(&t, 0, &thread),
        "Thank you for telling us you took too many pills. Please call 111 now.",
    )
    .await
    .status(303);
    let alerts = t.open_alerts(pid).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].signal_count, 1, "no signal joined it");
}

async fn an_empty_or_over_long_message_is_422_naming_the_field_with_the_text_kept(t: TestApp) {
    let c = t.patient_client(0).await;
    let key = c.get("/messages").await.ok().field("key");
    let r = c
        .post_form(
            "/messages",
            &[("subject", "Kept subject"), ("body", "  "), ("key", &key)],
        )
        .await
        .status(422)
        .has_crisis_panel();
    assert!(r.body.contains("There is a problem"));
    assert!(r.body.contains("Enter your message"));
    assert!(r.body.contains("href=\"#body\""));
    assert!(r.body.contains("value=\"Kept subject\""), "{}", r.body);
    let long = format!("Start {}", "x".repeat(5_000));
    let r = c
        .post_form(
            "/messages",
            &[("subject", "Long"), ("body", &long), ("key", &key)],
        )
        .await
        .status(422);
    assert!(
        r.body
            .contains("Your message must be 5000 characters or fewer (it has 5006)"),
        "{}",
        r.body
    );
    assert!(r.body.contains(&long), "the body is kept");
    let r = c
        .post_form(
            "/messages",
            &[("subject", &"s".repeat(121)), ("body", "Hi"), ("key", &key)],
        )
        .await
        .status(422);
    assert!(r.body.contains("href=\"#subject\""));
    assert!(
        r.body
            .contains("The subject must be 120 characters or fewer")
    );
    assert_eq!(
        t.count("SELECT COUNT(*) FROM messages WHERE body <> $1", "")
            .await,
        0
    );

    // Replies, the patient's and staff's, likewise.
    let (thread, _) = start(&c, "Fine", "A first message").await;
    let page = format!("/messages/{thread}");
    let r = reply(&c, &page, "").await.status(422).has_crisis_panel();
    assert!(r.body.contains("Enter your message"));
    assert!(r.body.contains("href=\"#body\""));
    assert!(r.body.contains("A first message"), "the thread still shows");
    let staff = t.staff_client("triage_clinician").await;
    let r = reply(&staff, &staff_thread(&t, 0, &thread), &long)
        .await
        .status(422);
    assert!(r.body.contains("5000 characters or fewer"));
    assert!(r.body.contains(&long));
    assert_eq!(messages_in(&t, &thread).await, 1);
}

async fn another_patient_and_staff_of_another_service_get_404(t: TestApp) {
    let c = t.patient_client(0).await;
    let (thread, _) = start(&c, "Private subject", "Private words").await;
    let other = t.patient_client(1).await;
    let page = format!("/messages/{thread}");
    let r = other.get(&page).await.status(404).has_crisis_panel();
    assert!(!r.body.contains("Private words"));
    let key = other.get("/messages").await.ok().field("key");
    other
        .post_form(&page, &[("body", "Let me in"), ("key", &key)])
        .await
        .status(404);
    let theirs = other.get("/messages").await.ok();
    assert!(!theirs.body.contains("Private subject"));
    // Patient 1's record in the staff address does not open patient 0's thread.
    let staff = t.staff_client("triage_clinician").await;
    staff.get(&staff_thread(&t, 1, &thread)).await.status(404);

    // A clinical lead of another service, working there.
    t.fixtures().lead_in_borders("admin").await;
    let elsewhere = t.staff_client("admin").await;
    elsewhere
        .post_form("/staff/service", &[("service", "borders")])
        .await
        .redirects_to("/staff");
    let page = staff_thread(&t, 0, &thread);
    let r = elsewhere.get(&page).await.status(404);
    assert!(!r.body.contains("Private words"));
    let key = "elsewhere-1";
    elsewhere
        .post_form(&page, &[("body", "Hello"), ("key", key)])
        .await
        .status(404);
    let message = staff
        .get(&page)
        .await
        .ok()
        .form(&format!("form[action=\"{page}/needs-clinician\"]"))
        .field("message");
    elsewhere
        .post_form(
            &format!("{page}/needs-clinician"),
            &[("message", &message), ("needs", "yes")],
        )
        .await
        .status(404);
    assert_eq!(messages_in(&t, &thread).await, 1);
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM messages WHERE thread_id = $1 AND needs_clinician_at IS NOT NULL",
            &thread
        )
        .await,
        0
    );
}

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

async fn marking_needs_a_clinician_twice_is_fine_and_it_clears(t: TestApp) {
    let n = on_caseload(&t).await;
    let c = t.patient_client(n).await;
    let (thread, _) = start(&c, "Worried", "Things are harder this week").await;
    let supporter = t.staff_client("supporter").await;
    let page = staff_thread(&t, n, &thread);
    let view = supporter.get(&page).await.ok();
    assert!(
        view.body.contains("Mark as needing a clinician"),
        "{}",
        view.body
    );
    let message = view
        .form(&format!("form[action=\"{page}/needs-clinician\"]"))
        .field("message");
    let mark = format!("{page}/needs-clinician");
    for _ in 0..2 {
        supporter
            .post_form(&mark, &[("message", &message), ("needs", "yes")])
            .await
            .redirects_to(&format!("{page}#message-{message}"));
    }
    assert_eq!(audited(&t, "message.needs_clinician").await, 1);
    let lead = t.staff_client("clinical_lead").await;
    let view = lead.get(&page).await.ok();
    let by = &t.staff("supporter").name;
    assert!(
        view.body
            .contains(&format!("Needs a clinician: marked by {by} on")),
        "{}",
        view.body
    );
    let record = lead
        .get(&format!("/staff/patients/{}", t.demo.patients[n].id))
        .await
        .ok();
    assert!(
        record.body.contains("1 needs a clinician"),
        "{}",
        record.body
    );
    // The patient does not see the care team's mark.
    let mine = c.get(&format!("/messages/{thread}")).await.ok();
    assert!(!mine.body.contains("Needs a clinician"));
    assert!(!mine.body.contains("needs-clinician"));
    // Clearing, twice; then it is gone from the record.
    for _ in 0..2 {
        lead.post_form(&mark, &[("message", &message), ("needs", "no")])
            .await
            .status(303);
    }
    assert_eq!(audited(&t, "message.needs_clinician_cleared").await, 1);
    let view = lead.get(&page).await.ok();
    assert!(!view.body.contains("Needs a clinician: marked"));
    // Eight marks at once: one mark, no server error.
    let fields = vec![
        ("message".to_string(), message.clone()),
        ("needs".to_string(), "yes".to_string()),
    ];
    let answers = at_once(
        (0..8)
            .map(|_| post_owned(lead.clone(), mark.clone(), fields.clone()))
            .collect(),
    )
    .await;
    no_server_errors(&answers);
    assert_eq!(audited(&t, "message.needs_clinician").await, 2);
    // A message that is not in this thread, or not a message at all.
    lead.post_form(
        &mark,
        &[
            (
                "message",
                &bothy_domain::ids::MessageId::random().to_string(),
            ),
            ("needs", "yes"),
        ],
    )
    .await
    .status(404);
    lead.post_form(&mark, &[("message", &message), ("needs", "maybe")])
        .await
        .status(422);
}

/// A message's words, author and mark are vouched for by its audit event;
/// reading it (which marks it read) and marking it are Bothy's own writes.
async fn a_message_edited_in_sql_is_reported_and_reading_or_marking_is_not(t: TestApp) {
    let c = t.patient_client(0).await;
    let (thread, _) = start(&c, "Sleep", "I slept four hours").await;
    let staff = t.staff_client("triage_clinician").await;
    let page = staff_thread(&t, 0, &thread);
    let message = staff
        .get(&page)
        .await
        .ok()
        .form(&format!("form[action=\"{page}/needs-clinician\"]"))
        .field("message");
    staff
        .post_form(
            &format!("{page}/needs-clinician"),
            &[("message", &message), ("needs", "yes")],
        )
        .await
        .status(303);
    reply(&staff, &page, "Thank you").await.status(303);
    c.get(&format!("/messages/{thread}")).await.ok();
    bothy_jobs::seal_audit(&t.app).await.unwrap();
    let report = t.app.store().verify_audit(&[]).await.unwrap();
    assert!(report.is_intact(), "{report:#?}");
    assert_eq!(report.records.verified.get("message"), Some(&2));
    t.raw_sql(&format!(
        "UPDATE messages SET body = 'I slept well' WHERE id = '{message}'"
    ))
    .await;
    let report = t.app.store().verify_audit(&[]).await.unwrap();
    assert_eq!(report.records.breaks, 1, "{report:#?}");
    assert_eq!(
        report.records.first_breaks[0],
        bothy_domain::audit::digest::RecordBreak::Changed {
            kind: "message",
            id: message,
        }
    );
}
