//! The interactive tools: a patient saves thought records and sleep-diary
//! nights through the forms; bad values come back by field with the rest
//! kept; a resent form stores one entry; risk words raise an alert and show
//! the crisis contacts; the week's sleep window follows the domain's rule;
//! nobody outside the patient and their care team sees any of it.

use crate::both_dbs;
use crate::helpers::{Client, Resp, TestApp};
use bothy_app::{Actor, AppError, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::tools::sleep::{self, SleepDiaryEntry};
use bothy_domain::tools::{Entry, ToolEntry};
use bothy_domain::tools::{ToolKind, sleep_diary};
use std::time::Duration;

both_dbs!(
    a_thought_record_is_saved_and_listed_newest_first,
    a_bad_thought_record_names_each_field_and_keeps_the_rest,
    a_double_submit_stores_one_entry_of_each_tool,
    risky_words_in_a_thought_record_raise_an_alert_and_show_the_crisis_contacts,
    a_sleep_diary_night_is_saved_with_its_efficiency,
    the_sleep_window_after_seven_nights_follows_the_domain_rule,
    nobody_else_sees_the_entries,
    audit_verify_vouches_for_tool_entries_and_reports_one_changed_in_sql,
);

pub(crate) fn pid(t: &TestApp, n: usize) -> PatientId {
    t.demo.patients[n].id.parse().unwrap()
}

/// Every entry of demo patient `n`, newest first, straight from the store.
pub(crate) async fn stored(t: &TestApp, n: usize, tool: ToolKind) -> Vec<ToolEntry> {
    let mut tx = t.app.store().read().await.unwrap();
    let r = tx.tool_entries(pid(t, n), Some(tool), 1000).await.unwrap();
    tx.rollback().await.unwrap();
    r
}

const THOUGHT: [(&str, &str); 10] = [
    ("situation", "Waiting for the bus in the rain"),
    ("feelings", "Fed up"),
    ("feeling_before", "70"),
    ("hot_thought", "Nothing ever goes right for me"),
    ("belief_before", "80"),
    ("evidence_for", "The bus was late"),
    ("evidence_against", "Yesterday went fine"),
    (
        "balanced_thought",
        "A late bus is a bad ten minutes, not a bad life",
    ),
    ("balanced_belief", "60"),
    ("feeling_after", "40"),
];

/// Opens the form and sends `fields` over the defaults, with the form's key.
async fn thought(c: &Client, fields: &[(&str, &str)]) -> Resp {
    let form = c.get("/tools/thought-record").await.ok().has_crisis_panel();
    let key = form.field("key");
    let mut all: Vec<(&str, &str)> = THOUGHT
        .iter()
        .filter(|(k, _)| !fields.iter().any(|(f, _)| f == k))
        .copied()
        .collect();
    all.extend_from_slice(fields);
    all.push(("key", &key));
    c.post_form("/tools/thought-record", &all).await
}

/// A night through the form, with the form's key.
async fn night(c: &Client, night_of: &str, fields: &[(&str, &str)]) -> Resp {
    let form = c.get("/tools/sleep-diary").await.ok().has_crisis_panel();
    let key = form.field("key");
    let mut all: Vec<(&str, &str)> = vec![
        ("night_of", night_of),
        ("went_to_bed", "23:00"),
        ("minutes_to_fall_asleep", "30"),
        ("minutes_awake_in_night", "60"),
        ("woke_finally", "06:30"),
        ("got_up", "07:00"),
    ];
    all.retain(|(k, _)| !fields.iter().any(|(f, _)| f == k));
    all.extend_from_slice(fields);
    all.push(("key", &key));
    c.post_form("/tools/sleep-diary", &all).await
}

/// The date `days` before today, UK time, as a date input sends it.
fn days_ago(t: &TestApp, days: i64) -> String {
    jiff::Timestamp::from_second(t.clock_secs() as i64 - days * 86_400)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap())
        .date()
        .to_string()
}

async fn a_thought_record_is_saved_and_listed_newest_first(t: TestApp) {
    let c = t.patient_client(0).await;
    let home = c.get("/home").await.ok();
    assert!(home.body.contains("href=\"/tools\""), "{}", home.body);
    let tools = c.get("/tools").await.ok().has_crisis_panel();
    assert!(tools.body.contains("href=\"/tools/thought-record\""));
    assert!(tools.body.contains("href=\"/tools/sleep-diary\""));

    thought(&c, &[])
        .await
        .redirects_to("/tools/thought-record?saved=1");
    let page = c.get("/tools/thought-record?saved=1").await.ok();
    assert!(page.body.contains("Your thought record is saved"));
    assert!(page.body.contains("Nothing ever goes right for me"));
    assert!(page.body.contains("believed 80 out of 100"));
    assert!(!page.body.contains("id=\"crisis\" class=\"urgent\""));
    let s = stored(&t, 0, ToolKind::ThoughtRecord).await;
    assert_eq!(s.len(), 1);
    let Entry::ThoughtRecord(r) = &s[0].entry else {
        panic!("{s:?}")
    };
    assert_eq!((r.feeling_before, r.feeling_after), (70, Some(40)));
    assert_eq!(r.situation, "Waiting for the bus in the rain");

    // Only the first three parts and their ratings are needed.
    t.clock.advance(Duration::from_secs(20 * 60));
    thought(
        &c,
        &[
            ("hot_thought", "I will fail the interview"),
            ("evidence_for", ""),
            ("evidence_against", ""),
            ("balanced_thought", ""),
            ("balanced_belief", ""),
            ("feeling_after", ""),
        ],
    )
    .await
    .redirects_to("/tools/thought-record?saved=1");
    let page = c.get("/tools/thought-record").await.ok();
    let newer = page.body.find("I will fail the interview").unwrap();
    let older = page.body.find("Nothing ever goes right for me").unwrap();
    assert!(newer < older, "newest first");
    assert_eq!(stored(&t, 0, ToolKind::ThoughtRecord).await.len(), 2);
}

async fn a_bad_thought_record_names_each_field_and_keeps_the_rest(t: TestApp) {
    let c = t.patient_client(0).await;
    let r = thought(
        &c,
        &[
            ("feeling_before", "150"),
            ("belief_before", "abc"),
            ("hot_thought", ""),
        ],
    )
    .await
    .status(422)
    .has_crisis_panel();
    for text in [
        "There is a problem",
        "How strong the feeling was must be a whole number from 0 to 100",
        "How much you believed the thought must be a whole number from 0 to 100",
        "Write the thought that went through your mind",
        "href=\"#feeling_before\"",
        "href=\"#belief_before\"",
        "href=\"#hot_thought\"",
        "<title>Error: Thought record",
    ] {
        assert!(r.body.contains(text), "missing {text}: {}", r.body);
    }
    // What was typed comes back, the impossible values too, to be corrected.
    assert!(
        r.body
            .contains(">Waiting for the bus in the rain</textarea>")
    );
    assert!(
        r.body
            .contains(">A late bus is a bad ten minutes, not a bad life</textarea>")
    );
    assert!(r.body.contains("value=\"150\""));
    assert!(r.body.contains("value=\"abc\""));
    assert!(r.body.contains("value=\"60\""));
    let long = "x".repeat(2001);
    let r = thought(&c, &[("situation", &long)]).await.status(422);
    assert!(
        r.body
            .contains("The situation must be 2000 characters or fewer (it has 2001)"),
        "{}",
        r.body
    );
    assert!(stored(&t, 0, ToolKind::ThoughtRecord).await.is_empty());
}

async fn a_double_submit_stores_one_entry_of_each_tool(t: TestApp) {
    let c = t.patient_client(0).await;
    let key = c.get("/tools/thought-record").await.ok().field("key");
    let mut fields = THOUGHT.to_vec();
    fields.push(("key", &key));
    for _ in 0..2 {
        c.post_form("/tools/thought-record", &fields)
            .await
            .redirects_to("/tools/thought-record?saved=1");
    }
    assert_eq!(stored(&t, 0, ToolKind::ThoughtRecord).await.len(), 1);

    let key = c.get("/tools/sleep-diary").await.ok().field("key");
    let yesterday = days_ago(&t, 1);
    let fields = [
        ("night_of", yesterday.as_str()),
        ("went_to_bed", "23:00"),
        ("minutes_to_fall_asleep", "30"),
        ("minutes_awake_in_night", "60"),
        ("woke_finally", "06:30"),
        ("got_up", "07:00"),
        ("key", &key),
    ];
    for _ in 0..2 {
        c.post_form("/tools/sleep-diary", &fields)
            .await
            .redirects_to("/tools/sleep-diary?saved=1");
    }
    assert_eq!(stored(&t, 0, ToolKind::SleepDiary).await.len(), 1);
    let audited = t
        .count(
            "SELECT COUNT(*) FROM audit_events WHERE action = $1",
            "tool_entry.recorded",
        )
        .await;
    assert_eq!(audited, 2, "one event per entry stored");
}

async fn risky_words_in_a_thought_record_raise_an_alert_and_show_the_crisis_contacts(t: TestApp) {
    let c = t.patient_client(0).await;
    let words = "I took too many pills last night";
    // Refused for a rating, the words still show the contacts at once;
    // nothing is stored, so nothing is raised yet.
    let r = thought(&c, &[("hot_thought", words), ("feeling_before", "150")])
        .await
        .status(422)
        .has_crisis_panel();
    assert!(
        r.body.contains("id=\"crisis\" class=\"urgent\""),
        "{}",
        r.body
    );
    assert!(r.body.contains("What you wrote is not saved yet"));
    assert!(t.open_alerts(pid(&t, 0)).await.is_empty());

    thought(&c, &[("hot_thought", words)])
        .await
        .redirects_to("/tools/thought-record?saved=1&risk=1");
    let page = c
        .get("/tools/thought-record?saved=1&risk=1")
        .await
        .ok()
        .has_crisis_panel();
    assert!(
        page.body.contains("id=\"crisis\" class=\"urgent\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("Please get help now if you need it"));
    assert!(page.body.contains("passed it to your care team"));
    let alerts = t.open_alerts(pid(&t, 0)).await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let entry = stored(&t, 0, ToolKind::ThoughtRecord).await.remove(0);
    assert_eq!(alerts[0].source_kind, "tool_entry");
    assert_eq!(alerts[0].source_id, entry.id.to_string());
    assert!(!alerts[0].summary.contains(words), "alerts never quote");
    // The duty clinician sees it in the queue.
    let duty = t.staff_client("triage_clinician").await;
    let queue = duty.get("/alerts").await.ok();
    assert!(queue.body.contains(&format!("/alerts/{}", alerts[0].id)));
}

async fn a_sleep_diary_night_is_saved_with_its_efficiency(t: TestApp) {
    let c = t.patient_client(0).await;
    let form = c.get("/tools/sleep-diary").await.ok();
    assert!(form.body.contains("type=\"date\""));
    assert!(form.body.contains("type=\"time\""));
    assert!(
        form.body
            .contains(&format!("value=\"{}\"", days_ago(&t, 1))),
        "last night by default"
    );
    let yesterday = days_ago(&t, 1);
    night(&c, &yesterday, &[])
        .await
        .redirects_to("/tools/sleep-diary?saved=1");
    let page = c.get("/tools/sleep-diary?saved=1").await.ok();
    for text in [
        "Your night is saved",
        "8 hours (23:00 to 07:00)",
        "6 hours",
        "75%",
        "Record 6 more nights",
    ] {
        assert!(page.body.contains(text), "missing {text}: {}", page.body);
    }
    // Impossible values, by field, with the rest kept.
    let r = night(
        &c,
        "not a date",
        &[("minutes_to_fall_asleep", "abc"), ("got_up", "25:00")],
    )
    .await
    .status(422);
    for text in [
        "href=\"#night_of\"",
        "href=\"#minutes_to_fall_asleep\"",
        "href=\"#got_up\"",
        "The minutes it took to fall asleep must be a whole number",
        "value=\"23:00\"",
        "value=\"not a date\"",
    ] {
        assert!(r.body.contains(text), "missing {text}: {}", r.body);
    }
    // The same night again under a new key, and a night in the future.
    let r = night(&c, &yesterday, &[]).await.status(422);
    assert!(
        r.body
            .contains("You have already recorded a night that overlaps this one")
    );
    let r = night(&c, &days_ago(&t, -1), &[]).await.status(422);
    assert!(r.body.contains("A night cannot end in the future"));
    assert_eq!(stored(&t, 0, ToolKind::SleepDiary).await.len(), 1);
}

async fn the_sleep_window_after_seven_nights_follows_the_domain_rule(t: TestApp) {
    let c = t.patient_client(0).await;
    // Fourteen nights, entered the oldest first; the first week sleeps
    // badly, the second well.
    for d in (1..=14).rev() {
        let (latency, awake) = if d > 7 { ("45", "50") } else { ("10", "5") };
        night(
            &c,
            &days_ago(&t, d),
            &[
                ("minutes_to_fall_asleep", latency),
                ("minutes_awake_in_night", awake),
            ],
        )
        .await
        .redirects_to("/tools/sleep-diary?saved=1");
        if d == 8 {
            // One week: the first window is the week's average sleep.
            let nights = nights(&t).await;
            let want = sleep::first_window(&nights).unwrap();
            assert_eq!(want, 8 * 60 - 95 - 30);
            let page = c.get("/tools/sleep-diary").await.ok();
            let window = "5 hours 55 minutes";
            assert!(
                page.body
                    .contains(&format!("Your starting sleep window is {window}")),
                "{}",
                page.body
            );
            let e = sleep::efficiency(&nights).unwrap().floor();
            assert!(
                page.body.contains(&format!("<dd>{e}%</dd>")),
                "{}",
                page.body
            );
        }
    }
    let nights = nights(&t).await;
    let first = sleep::first_window(&nights[..7]).unwrap();
    let (want, change) = sleep::next_window(first, &nights).unwrap();
    assert_eq!(change, sleep::Change::Longer);
    assert_eq!(
        sleep_diary::week(&nights).map(|w| w.window_minutes),
        Some(want)
    );
    assert_eq!(want, 355 + 15);
    let page = c.get("/tools/sleep-diary").await.ok();
    let window = "6 hours 10 minutes";
    assert!(
        page.body
            .contains(&format!("grows by 15 minutes, to {window}")),
        "{}",
        page.body
    );
}

/// Demo patient 0's nights, oldest first, as the app reads them.
async fn nights(t: &TestApp) -> Vec<SleepDiaryEntry> {
    let actor = patient_actor(t, 0).await;
    let diary = t
        .app
        .tools()
        .sleep_diary(&actor, pid(t, 0), &RequestContext::default())
        .await
        .unwrap();
    diary.nights.into_iter().rev().map(|(_, n)| n).collect()
}

async fn patient_actor(t: &TestApp, n: usize) -> Actor {
    let mut tx = t.app.store().read().await.unwrap();
    let p = tx.patient(pid(t, n)).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    Actor::Patient(bothy_app::policy::PatientActor {
        id: p.id,
        service_id: p.service_id,
        name: p.full_name(),
    })
}

async fn nobody_else_sees_the_entries(t: TestApp) {
    let c = t.patient_client(0).await;
    thought(&c, &[("hot_thought", "Private words about my sister")])
        .await
        .redirects_to("/tools/thought-record?saved=1");
    night(&c, &days_ago(&t, 1), &[])
        .await
        .redirects_to("/tools/sleep-diary?saved=1");

    // Their care team sees the latest entries on the patient page.
    let staff = t.staff_client("triage_clinician").await;
    let page = staff
        .get(&format!("/staff/patients/{}", t.demo.patients[0].id))
        .await
        .ok();
    assert!(page.body.contains("Tool entries"), "{}", page.body);
    assert!(page.body.contains("Private words about my sister"));
    assert!(page.body.contains("sleep efficiency 75%"));

    // Another patient sees only their own (empty) pages.
    let other = t.patient_client(1).await;
    let theirs = other.get("/tools/thought-record").await.ok();
    assert!(
        theirs
            .body
            .contains("You have not saved a thought record yet")
    );
    assert!(!theirs.body.contains("Private words"));
    let theirs = other.get("/tools/sleep-diary").await.ok();
    assert!(theirs.body.contains("You have not recorded a night yet"));

    // The use case refuses anyone else: another patient, and staff of
    // another service, alike with NotFound.
    let ctx = RequestContext::default();
    let them = patient_actor(&t, 1).await;
    let r = t
        .app
        .tools()
        .entries(&them, pid(&t, 0), None, 10, &ctx)
        .await;
    assert!(matches!(r, Err(AppError::NotFound)), "{r:?}");
    let elsewhere = t
        .app
        .admin()
        .create_service("elsewhere", "Elsewhere wellbeing service", &ctx)
        .await
        .unwrap();
    let olive = t
        .app
        .admin()
        .create_staff(
            elsewhere.id,
            "olive.other@elsewhere.test",
            "Olive Other",
            &[
                bothy_domain::role::Role::Admin,
                bothy_domain::role::Role::ClinicalLead,
            ],
            &ctx,
        )
        .await
        .unwrap();
    let olive = t
        .app
        .accounts()
        .staff_actor(olive.id, None)
        .await
        .unwrap()
        .unwrap();
    for tool in [
        None,
        Some(ToolKind::ThoughtRecord),
        Some(ToolKind::SleepDiary),
    ] {
        let r = t
            .app
            .tools()
            .entries(&olive, pid(&t, 0), tool, 10, &ctx)
            .await;
        assert!(matches!(r, Err(AppError::NotFound)), "{r:?}");
    }
    let r = t.app.tools().sleep_diary(&olive, pid(&t, 0), &ctx).await;
    assert!(matches!(r, Err(AppError::NotFound)), "{r:?}");
    // Staff cannot record entries for a patient.
    let r = t
        .app
        .tools()
        .record(
            &olive,
            bothy_app::tools::ToolInput::ThoughtRecord(Default::default()),
            "k",
            &ctx,
        )
        .await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
}

async fn audit_verify_vouches_for_tool_entries_and_reports_one_changed_in_sql(t: TestApp) {
    let c = t.patient_client(0).await;
    thought(&c, &[])
        .await
        .redirects_to("/tools/thought-record?saved=1");
    night(&c, &days_ago(&t, 1), &[])
        .await
        .redirects_to("/tools/sleep-diary?saved=1");
    bothy_jobs::seal_audit(&t.app).await.unwrap();
    let report = t.app.store().verify_audit(&[]).await.unwrap();
    assert!(report.is_intact(), "{report:#?}");
    assert_eq!(
        report.records.verified.get("tool_entry"),
        Some(&2),
        "{report:#?}"
    );
    // A belief rating lowered straight in the database.
    let entry = stored(&t, 0, ToolKind::ThoughtRecord).await.remove(0);
    t.raw_sql(&format!(
        "UPDATE tool_entries SET entry = REPLACE(entry, '\"belief_before\":80', \
         '\"belief_before\":20') WHERE id = '{}'",
        entry.id
    ))
    .await;
    let Entry::ThoughtRecord(r) = &stored(&t, 0, ToolKind::ThoughtRecord).await[0].entry else {
        panic!()
    };
    assert_eq!(r.belief_before, 20, "the edit took");
    let report = t.app.store().verify_audit(&[]).await.unwrap();
    assert_eq!(report.records.breaks, 1, "{report:#?}");
    assert_eq!(
        report.records.first_breaks[0],
        bothy_domain::audit::digest::RecordBreak::Changed {
            kind: "tool_entry",
            id: entry.id.to_string(),
        }
    );
}
