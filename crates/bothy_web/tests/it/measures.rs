//! Patients complete measures; staff see them; risk answers are flagged at once.

use crate::both_dbs;
use crate::helpers::{Client, TestApp};

both_dbs!(
    a_risk_answer_in_an_unfinished_form_still_shows_help_and_is_flagged,
    patient_completes_phq9_and_sees_the_result,
    a_risk_answer_shows_crisis_contacts_and_flags_it_in_the_same_transaction,
    incomplete_and_invalid_answers_are_explained_and_nothing_is_stored,
    a_double_submission_stores_one_response,
    unfinished_answers_are_kept_as_a_draft,
    staff_see_charts_tables_and_the_risk_item,
);

fn answers(values: &[i32]) -> Vec<(String, String)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("item-{}", i + 1), v.to_string()))
        .collect()
}

async fn submit(
    c: &Client,
    instrument: &str,
    values: &[i32],
    action: &str,
) -> crate::helpers::Resp {
    let form = c.get(&format!("/measures/{instrument}")).await;
    assert_eq!(form.status, 200, "{:?}", form.location());
    let key = form.field("key");
    let mut fields: Vec<(String, String)> = answers(values);
    fields.push(("key".into(), key));
    fields.push(("action".into(), action.into()));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form(&format!("/measures/{instrument}"), &pairs)
        .await
}

async fn stored(t: &TestApp, patient: usize) -> Vec<bothy_domain::model::MeasureResponse> {
    let id = t.demo.patients[patient].id.parse().unwrap();
    let mut tx = t.app.store().read().await.unwrap();
    let r = tx
        .measure_responses(id, None, None, false, 100)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    r
}

async fn patient_completes_phq9_and_sees_the_result(t: TestApp) {
    let c = t.patient_client(0).await;
    let home = c.get("/home").await.ok();
    assert!(
        home.body.contains("/measures/phq9") && home.body.contains("/measures/gad7"),
        "{}",
        home.body
    );
    let form = c.get("/measures/phq9").await.ok().has_crisis_panel();
    assert_eq!(form.body.matches("<fieldset").count(), 9);
    assert!(
        form.body
            .contains("Little interest or pleasure in doing things")
    );
    let done = submit(&c, "phq9", &[2, 2, 1, 2, 1, 1, 1, 2, 0], "submit").await;
    let to = done.location().unwrap().to_string();
    assert!(to.starts_with("/measures/responses/"), "{}", done.body);
    let result = c.get(&to).await.ok().has_crisis_panel();
    assert!(
        result.body.contains("<strong>12</strong> out of 27") && result.body.contains("moderate"),
        "{}",
        result.body
    );
    assert!(!result.body.contains("class=\"urgent\""));
    let home = c.get("/home").await.ok();
    assert!(!home.body.contains("/measures/phq9") && home.body.contains("/measures/gad7"));
    // Two weeks later it is due again.
    t.clock
        .advance(std::time::Duration::from_secs(14 * 24 * 3600));
    let c = t.patient_client(0).await;
    assert!(c.get("/home").await.ok().body.contains("/measures/phq9"));
    // Another patient cannot open this result.
    t.patient_client(1).await.get(&to).await.status(404);
}

async fn a_risk_answer_shows_crisis_contacts_and_flags_it_in_the_same_transaction(t: TestApp) {
    let c = t.patient_client(0).await;
    let done = submit(&c, "phq9", &[1, 1, 1, 1, 1, 1, 1, 1, 1], "submit").await;
    let result = c.get(done.location().unwrap()).await.ok();
    assert!(
        result.body.contains("class=\"urgent\"") && result.body.contains("Please get help now")
    );
    assert_eq!(
        result.body.matches("tel:116123").count(),
        1,
        "the crisis contacts are shown once, opening the result itself"
    );
    assert!(result.body.find("class=\"urgent\"") < result.body.find("<h1"));
    let id = t.demo.patients[0].id.parse().unwrap();
    let flags = t.open_alerts(id).await;
    assert_eq!(flags.len(), 1);
    assert!(
        flags[0]
            .summary
            .contains("PHQ-9 item 9 answered \"Several days\""),
        "{}",
        flags[0].summary
    );
    let responses = stored(&t, 0).await;
    assert_eq!(flags[0].source_id, responses[0].id.to_string());
    assert_eq!(responses[0].risk_items, vec![9]);
}

async fn incomplete_and_invalid_answers_are_explained_and_nothing_is_stored(t: TestApp) {
    let c = t.patient_client(0).await;
    let r = submit(&c, "phq9", &[1, 1, 1], "submit").await.status(422);
    for n in 4..=9 {
        assert!(
            r.body.contains(&format!("Answer question {n}")),
            "{}",
            r.body
        );
    }
    assert!(
        r.body.contains("href=\"#item-4\"") && r.body.contains("id=\"item-4\""),
        "error links land on the question"
    );
    // Earlier answers are kept on the page.
    assert!(r.body.contains("value=\"1\" checked"));
    let r = submit(&c, "phq9", &[1, 1, 1, 1, 7, 1, 1, 1, 0], "submit")
        .await
        .status(422);
    assert!(
        r.body.contains("Question 5: 7 is not one of its answers"),
        "{}",
        r.body
    );
    let form = c.get("/measures/phq9").await.ok();
    let key = form.field("key");
    let r = c
        .post_form(
            "/measures/phq9",
            &[("item-1", "<script>"), ("key", &key), ("action", "submit")],
        )
        .await
        .status(422);
    assert!(
        r.body.contains("Question 1: choose one of the answers") && !r.body.contains("<script>")
    );
    c.get("/measures/nonsense").await.status(404);
    assert!(stored(&t, 0).await.is_empty());
}

async fn a_double_submission_stores_one_response(t: TestApp) {
    let c = t.patient_client(0).await;
    let form = c.get("/measures/gad7").await.ok();
    let key = form.field("key");
    let mut fields = answers(&[1, 2, 1, 0, 0, 1, 2]);
    fields.push(("key".into(), key));
    fields.push(("action".into(), "submit".into()));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let first = c.post_form("/measures/gad7", &pairs).await;
    let second = c.post_form("/measures/gad7", &pairs).await;
    assert_eq!(first.location(), second.location());
    assert_eq!(stored(&t, 0).await.len(), 1);
}

async fn unfinished_answers_are_kept_as_a_draft(t: TestApp) {
    let c = t.patient_client(0).await;
    let mut fields: Vec<(String, String)> = answers(&[3, 2]);
    fields.push(("action".into(), "save".into()));
    c.get("/measures/phq9").await.ok();
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form("/measures/phq9", &pairs)
        .await
        .redirects_to("/home?saved=1");
    let home = c.get("/home?saved=1").await.ok();
    assert!(
        home.body.contains("Your answers are saved")
            && home
                .body
                .contains("Finish the Patient Health Questionnaire"),
        "{}",
        home.body
    );
    let form = c.get("/measures/phq9").await.ok();
    assert!(
        form.body
            .contains("id=\"item-1-3\" name=\"item-1\" value=\"3\" checked"),
        "{}",
        form.body
    );
    assert!(stored(&t, 0).await.is_empty());
    // Finishing the form clears the draft.
    submit(&c, "phq9", &[3, 2, 0, 0, 0, 0, 0, 0, 0], "submit").await;
    assert!(c.get("/home").await.ok().body.contains("/measures/gad7"));
    let form = c.get("/measures/phq9").await.ok();
    assert!(!form.body.contains(" checked"));
}

async fn staff_see_charts_tables_and_the_risk_item(t: TestApp) {
    for values in [
        [3, 3, 2, 2, 2, 2, 2, 2, 1],
        [2, 2, 1, 1, 1, 1, 1, 1, 0],
        [1, 1, 0, 0, 0, 0, 1, 0, 0],
    ] {
        // A week apart: each time a fresh sign-in, as the last one has timed out.
        let c = t.patient_client(0).await;
        submit(&c, "phq9", &values, "submit").await;
        t.clock
            .advance(std::time::Duration::from_secs(7 * 24 * 3600));
    }
    let staff = t.staff_client("triage_clinician").await;
    let page = staff
        .get(&format!("/staff/patients/{}", t.demo.patients[0].id))
        .await
        .ok();
    assert!(page.body.contains("<svg class=\"chart\""), "{}", page.body);
    assert!(page.body.contains("clinical cut-off 10"));
    assert!(page.body.contains("Question 9 (risk)"));
    assert!(page.body.contains("Open alerts"));
    assert!(page.body.contains("class=\"risk-answer\">1</td>"));
    // The table lists every response with its score.
    for score in ["19", "10", "3"] {
        assert!(
            page.body.contains(&format!("<td>{score}</td>")),
            "missing {score}"
        );
    }
}

async fn a_risk_answer_in_an_unfinished_form_still_shows_help_and_is_flagged(t: TestApp) {
    let c = t.patient_client(0).await;
    let form = c.get("/measures/phq9").await.ok();
    let key = form.field("key");
    // Only item 9 answered ("More than half the days"), then sent twice.
    for _ in 0..2 {
        let r = c
            .post_form(
                "/measures/phq9",
                &[("item-9", "2"), ("key", &key), ("action", "submit")],
            )
            .await
            .status(422);
        assert!(
            r.body.contains("class=\"urgent\"") && r.body.contains("Answer question 1"),
            "{}",
            r.body
        );
    }
    let id = t.demo.patients[0].id.parse().unwrap();
    let flags = t.open_alerts(id).await;
    assert_eq!(
        flags.len(),
        1,
        "one alert however often the form comes back"
    );
    assert!(
        flags[0]
            .summary
            .contains("item 9 answered \"More than half the days\""),
        "{}",
        flags[0].summary
    );
    assert!(
        stored(&t, 0).await.is_empty(),
        "the unfinished answers are not a response"
    );
}
