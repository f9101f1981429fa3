//! The form tools (activity diary and planner, worry log, exposure ladder,
//! goals): entries saved through the real pages and listed in the order
//! each tool needs; impossible values refused by field with the rest kept;
//! a practice or rating only of the person's own step or goal; risk words
//! in any of them raise an alert and show the crisis contacts; the care
//! team reads them.

use crate::both_dbs;
use crate::helpers::{Client, Resp, TestApp};
use crate::tools::{pid, stored};
use bothy_domain::tools::ToolKind;
use std::time::Duration;

both_dbs!(
    an_activity_done_and_one_planned_are_listed_plans_first,
    a_plan_cannot_be_rated_and_a_done_activity_must_be,
    the_ladder_runs_from_the_easiest_step_with_each_practice_under_it,
    a_practice_of_someone_elses_step_is_refused,
    goals_list_their_progress_ratings,
    risky_words_in_a_worry_raise_an_alert_and_show_the_crisis_contacts,
    the_care_team_reads_the_entries_and_a_resent_form_stores_one,
);

/// Sends the form posted to `action` on page `page`, with that form's key.
async fn send(c: &Client, page: &str, action: &str, fields: &[(&str, &str)]) -> Resp {
    let p = c.get(page).await.ok().has_crisis_panel();
    let key = p.form(&format!("form[action=\"{action}\"]")).field("key");
    let mut all = fields.to_vec();
    all.push(("key", &key));
    c.post_form(action, &all).await
}

fn day(t: &TestApp, offset: i64) -> String {
    t.today()
        .checked_add(jiff::Span::new().days(offset))
        .unwrap()
        .to_string()
}

async fn an_activity_done_and_one_planned_are_listed_plans_first(t: TestApp) {
    let c = t.patient_client(0).await;
    let tools = c.get("/tools").await.ok();
    for path in [
        "/tools/activities",
        "/tools/worries",
        "/tools/exposure",
        "/tools/goals",
    ] {
        assert!(tools.body.contains(&format!("href=\"{path}\"")), "{path}");
    }
    let yesterday = day(&t, -1);
    send(
        &c,
        "/tools/activities",
        "/tools/activities",
        &[
            ("activity", "Walked to the park with the dog"),
            ("status", "done"),
            ("day", &yesterday),
            ("time_of_day", "morning"),
            ("mood", "6"),
            ("achievement", "7"),
            ("pleasure", "8"),
        ],
    )
    .await
    .redirects_to("/tools/activities?saved=1");
    let tomorrow = day(&t, 1);
    send(
        &c,
        "/tools/activities",
        "/tools/activities",
        &[
            ("activity", "Phone my sister"),
            ("status", "planned"),
            ("day", &tomorrow),
            ("time_of_day", "evening"),
        ],
    )
    .await
    .redirects_to("/tools/activities?saved=1");
    let page = c.get("/tools/activities?saved=1").await.ok();
    assert!(page.body.contains("Small steps count"));
    let plan = page.body.find("Phone my sister").unwrap();
    let done = page.body.find("Walked to the park with the dog").unwrap();
    assert!(plan < done, "plans first");
    for text in ["8 out of 10", "I plan to do it", "I did it", "Evening"] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    // A new form's day is today.
    assert!(page.body.contains(&format!("value=\"{}\"", t.today())));
    assert_eq!(stored(&t, 0, ToolKind::Activity).await.len(), 2);
}

async fn a_plan_cannot_be_rated_and_a_done_activity_must_be(t: TestApp) {
    let c = t.patient_client(0).await;
    let tomorrow = day(&t, 1);
    let r = send(
        &c,
        "/tools/activities",
        "/tools/activities",
        &[
            ("activity", "Go to the library"),
            ("status", "planned"),
            ("day", &tomorrow),
            ("time_of_day", "afternoon"),
            ("pleasure", "7"),
        ],
    )
    .await
    .status(422);
    for text in [
        "<title>Error: Activity diary and planner",
        "href=\"#pleasure\"",
        "Leave the ratings empty for a plan",
        ">Go to the library</textarea>",
        "value=\"afternoon\" checked",
    ] {
        assert!(r.body.contains(text), "{text}: {}", r.body);
    }
    let r = send(
        &c,
        "/tools/activities",
        "/tools/activities",
        &[
            ("activity", "Cooked a meal"),
            ("status", "done"),
            ("day", &tomorrow),
            ("time_of_day", "evening"),
            ("mood", "11"),
        ],
    )
    .await
    .status(422);
    for text in [
        "cannot be on a day still to come",
        "Your mood while doing it must be a whole number from 0 to 10",
        "How much of an achievement it was: give a number from 0 to 10",
        "value=\"11\"",
    ] {
        assert!(r.body.contains(text), "{text}: {}", r.body);
    }
    assert!(stored(&t, 0, ToolKind::Activity).await.is_empty());
}

async fn the_ladder_runs_from_the_easiest_step_with_each_practice_under_it(t: TestApp) {
    let c = t.patient_client(0).await;
    let empty = c.get("/tools/exposure").await.ok();
    assert!(empty.body.contains("Add a step to your ladder first"));
    assert!(!empty.body.contains("action=\"/tools/exposure/practice\""));
    for (situation, expected) in [
        ("Take the bus into town at rush hour", "80"),
        ("Stand at the bus stop for five minutes", "30"),
    ] {
        send(
            &c,
            "/tools/exposure",
            "/tools/exposure/steps",
            &[("situation", situation), ("expected_distress", expected)],
        )
        .await
        .redirects_to("/tools/exposure?saved=1");
    }
    let page = c.get("/tools/exposure").await.ok();
    let ladder = |body: &str| body[body.find("<h2>Your ladder").unwrap()..].to_string();
    let list = ladder(&page.body);
    let easy = list.find("Stand at the bus stop").unwrap();
    let hard = list.find("Take the bus into town").unwrap();
    assert!(easy < hard, "easiest step first");
    // The steps to choose from are in the ladder's order too.
    let choices = page.form("select");
    assert_eq!(
        choices.fields()[0].1,
        choices.option_value("Stand at the bus stop for five minutes")
    );
    let step = page.option_value("Stand at the bus stop for five minutes");
    let today = t.today().to_string();
    let practice = [
        ("step", step.as_str()),
        ("practised_on", today.as_str()),
        ("minutes", "20"),
        ("distress_before", "60"),
        ("distress_peak", "50"),
        ("distress_after", "30"),
    ];
    // The highest cannot be below the start: refused, and nothing stored.
    let r = send(&c, "/tools/exposure", "/tools/exposure/practice", &practice)
        .await
        .status(422);
    assert!(
        r.body
            .contains("Anxiety at its highest cannot be lower than at the start (60)"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"20\""), "the rest is kept");
    let mut practice = practice.to_vec();
    practice[4] = ("distress_peak", "75");
    send(&c, "/tools/exposure", "/tools/exposure/practice", &practice)
        .await
        .redirects_to("/tools/exposure?saved=1");
    let page = c.get("/tools/exposure").await.ok();
    let list = ladder(&page.body);
    let li = list.find("Anxiety at the start: 60 out of 100").unwrap();
    let easy = list.find("Stand at the bus stop").unwrap();
    assert!(easy < li && li < list.find("Take the bus into town").unwrap());
    assert!(page.body.contains("Anxiety at the end: 30 out of 100"));
    assert!(page.body.contains("Minutes: 20 minutes"));
    assert_eq!(stored(&t, 0, ToolKind::ExposurePractice).await.len(), 1);
}

async fn a_practice_of_someone_elses_step_is_refused(t: TestApp) {
    let other = t.patient_client(1).await;
    send(
        &other,
        "/tools/exposure",
        "/tools/exposure/steps",
        &[("situation", "Their own step"), ("expected_distress", "50")],
    )
    .await
    .redirects_to("/tools/exposure?saved=1");
    let theirs = stored(&t, 1, ToolKind::ExposureStep).await[0]
        .id
        .to_string();
    let c = t.patient_client(0).await;
    send(
        &c,
        "/tools/exposure",
        "/tools/exposure/steps",
        &[("situation", "My step"), ("expected_distress", "40")],
    )
    .await
    .redirects_to("/tools/exposure?saved=1");
    let today = t.today().to_string();
    let r = send(
        &c,
        "/tools/exposure",
        "/tools/exposure/practice",
        &[
            ("step", &theirs),
            ("practised_on", &today),
            ("minutes", "10"),
            ("distress_before", "50"),
            ("distress_after", "20"),
        ],
    )
    .await
    .status(422);
    assert!(r.body.contains("Choose one from the list"), "{}", r.body);
    assert!(!r.body.contains("Their own step"), "never shown");
    // A goal is not a step either.
    send(
        &c,
        "/tools/goals",
        "/tools/goals",
        &[("goal", "Swim again"), ("progress", "1")],
    )
    .await
    .redirects_to("/tools/goals?saved=1");
    let goal = stored(&t, 0, ToolKind::Goal).await[0].id.to_string();
    send(
        &c,
        "/tools/exposure",
        "/tools/exposure/practice",
        &[
            ("step", &goal),
            ("practised_on", &today),
            ("minutes", "10"),
            ("distress_before", "50"),
            ("distress_after", "20"),
        ],
    )
    .await
    .status(422);
    assert!(stored(&t, 0, ToolKind::ExposurePractice).await.is_empty());
}

async fn goals_list_their_progress_ratings(t: TestApp) {
    let c = t.patient_client(0).await;
    assert!(
        c.get("/tools/goals")
            .await
            .ok()
            .body
            .contains("Add a goal first")
    );
    send(
        &c,
        "/tools/goals",
        "/tools/goals",
        &[("goal", "Go back to my swimming class"), ("progress", "2")],
    )
    .await
    .redirects_to("/tools/goals?saved=1");
    let page = c.get("/tools/goals").await.ok();
    let goal = page.option_value("Go back to my swimming class");
    for rating in ["4", "6"] {
        t.clock.advance(Duration::from_secs(60));
        send(
            &c,
            "/tools/goals",
            "/tools/goals/ratings",
            &[("rated_goal", &goal), ("rating", rating)],
        )
        .await
        .redirects_to("/tools/goals?saved=1");
    }
    let r = send(
        &c,
        "/tools/goals",
        "/tools/goals/ratings",
        &[("rated_goal", &goal), ("rating", "12")],
    )
    .await
    .status(422);
    assert!(r.body.contains("from 0 to 10"), "{}", r.body);
    let page = c.get("/tools/goals").await.ok();
    assert!(
        page.body
            .contains("<dt>Progress at the start</dt><dd class=\"note\">2 out of 10</dd>"),
        "{}",
        page.body
    );
    let four = page.body.find("Progress: 4 out of 10").unwrap();
    let six = page.body.find("Progress: 6 out of 10").unwrap();
    assert!(four < six, "ratings oldest first under the goal");
    assert_eq!(stored(&t, 0, ToolKind::GoalRating).await.len(), 2);
}

async fn risky_words_in_a_worry_raise_an_alert_and_show_the_crisis_contacts(t: TestApp) {
    let c = t.patient_client(0).await;
    let words = "I took too many pills last night";
    // Refused for another reason, the words still show the contacts.
    let r = send(
        &c,
        "/tools/worries",
        "/tools/worries",
        &[("worry", words), ("worry_type", "practical")],
    )
    .await
    .status(422);
    assert!(
        r.body.contains("id=\"crisis\" class=\"urgent\""),
        "{}",
        r.body
    );
    assert!(t.open_alerts(pid(&t, 0)).await.is_empty());
    send(
        &c,
        "/tools/worries",
        "/tools/worries",
        &[
            ("worry", words),
            ("worry_type", "practical"),
            ("distress", "90"),
        ],
    )
    .await
    .redirects_to("/tools/worries?saved=1&risk=1");
    let page = c.get("/tools/worries?saved=1&risk=1").await.ok();
    assert!(page.body.contains("id=\"crisis\" class=\"urgent\""));
    let alerts = t.open_alerts(pid(&t, 0)).await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let entry = stored(&t, 0, ToolKind::Worry).await.remove(0);
    assert_eq!(alerts[0].source_kind, "tool_entry");
    assert_eq!(alerts[0].source_id, entry.id.to_string());
    assert!(!alerts[0].summary.contains(words), "alerts never quote");
}

async fn the_care_team_reads_the_entries_and_a_resent_form_stores_one(t: TestApp) {
    let c = t.patient_client(0).await;
    let page = c.get("/tools/worries").await.ok();
    let key = page.field("key");
    let fields = [
        ("worry", "What if I lose my job"),
        ("worry_type", "hypothetical"),
        ("distress", "70"),
        ("key", key.as_str()),
    ];
    for _ in 0..2 {
        c.post_form("/tools/worries", &fields)
            .await
            .redirects_to("/tools/worries?saved=1");
    }
    assert_eq!(stored(&t, 0, ToolKind::Worry).await.len(), 1);
    // The same key on another tool's form is a mistake, not a resend.
    c.post_form(
        "/tools/goals",
        &[("goal", "Sleep better"), ("progress", "3"), ("key", &key)],
    )
    .await
    .status(409);
    assert!(stored(&t, 0, ToolKind::Goal).await.is_empty());
    let staff = t.staff_client("triage_clinician").await;
    let page = staff
        .get(&format!("/staff/patients/{}", t.demo.patients[0].id))
        .await
        .ok();
    assert!(page.body.contains("Worry log"), "{}", page.body);
    assert!(page.body.contains("Worry: What if I lose my job"));
    assert!(page.body.contains("Worry before: 70 out of 100"));
    // Another patient sees none of it.
    let other = t.patient_client(1).await;
    let theirs = other.get("/tools/worries").await.ok();
    assert!(!theirs.body.contains("What if I lose my job"));
}
