//! Closing the loop (issue 13): closing an alert takes a note of what was
//! done (required for "no action needed"), and the alert's page shows how to
//! reach the person, their safety plan, their other alerts and who did what
//! when.

use crate::both_dbs;
use crate::helpers::TestApp;
use std::time::Duration;

both_dbs!(an_alert_is_closed_with_a_note_and_its_page_shows_who_did_what_when);

async fn phq9_with_item_9(t: &TestApp, key: &str) {
    crate::alerts::phq9(t, 0, 2, key).await;
}

async fn an_alert_is_closed_with_a_note_and_its_page_shows_who_did_what_when(t: TestApp) {
    let patient = t.patient_client(0).await;
    patient.get("/safety-plan/edit").await.ok();
    patient
        .post_form(
            "/safety-plan/edit",
            &[
                ("warning_signs", "Not sleeping"),
                ("coping_strategies", "A walk by the canal"),
            ],
        )
        .await
        .status(303);
    phq9_with_item_9(&t, "first").await;
    let id = t.demo.patients[0].id.parse().unwrap();
    let first = t.open_alerts(id).await.remove(0);
    let duty = t.staff_client("triage_clinician").await;
    let close = format!("/alerts/{}/close", first.id);
    // "No action needed" needs the note, as its reason.
    let r = duty
        .post_form(&close, &[("outcome", "no_action_needed"), ("note", " ")])
        .await
        .status(422);
    assert!(r.body.contains("Say why no action is needed"), "{}", r.body);
    assert!(r.body.contains("id=\"note-error\""));
    // Any other outcome takes an optional note, kept with the alert.
    duty.post_form(
        &close,
        &[
            ("outcome", "contacted_person"),
            (
                "note",
                "Rang her; she is safe tonight and will call the GP.",
            ),
        ],
    )
    .await
    .redirects_to(&format!("/alerts/{}", first.id));
    let page = duty.get(&format!("/alerts/{}", first.id)).await.ok();
    assert!(
        page.body.contains(
            "Tariq Triage closed it: Contacted the person. Note: Rang her; she is safe tonight"
        ),
        "{}",
        page.body
    );
    assert!(page.body.contains("Raised from measure response"));

    // A later alert's page shows the earlier one, the safety plan and the
    // ways to reach the person.
    t.clock.advance(Duration::from_secs(3600));
    phq9_with_item_9(&t, "second").await;
    let second = t.open_alerts(id).await.remove(0);
    assert_ne!(second.id, first.id);
    // Signed in again: an hour idle ends a staff session.
    let duty = t.staff_client("triage_clinician").await;
    let page = duty.get(&format!("/alerts/{}", second.id)).await.ok();
    assert!(
        page.body.contains(&format!("/alerts/{}", first.id)),
        "{}",
        page.body
    );
    assert!(page.body.contains("A walk by the canal"), "{}", page.body);
    assert!(page.body.contains("How to reach them"));
    // Staff pages fold the crisis contacts into one line.
    assert!(page.body.contains("crisis-compact"));
}
