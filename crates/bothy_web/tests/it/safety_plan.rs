//! Patients write and edit their safety plan (every save a new version); their
//! care team reads it and nobody else does; every read and save is audited;
//! after a low check-in the person is offered what has helped before.

use crate::both_dbs;
use crate::helpers::{Client, Resp, TestApp};
use bothy_app::{Clock, RequestContext};
use bothy_domain::PatientId;
use bothy_domain::role::Role;
use bothy_domain::safety_plan::{Section, StoredSafetyPlan};
use std::time::Duration;

both_dbs!(
    a_patient_writes_a_plan_and_reads_it_back,
    an_edit_saves_a_new_version_and_the_newest_is_shown,
    a_bad_plan_is_explained_field_by_field_and_the_text_is_kept,
    the_care_team_sees_the_plan_and_nobody_else_does,
    saving_and_reading_are_audited,
    plan_text_is_escaped_for_the_patient_and_staff,
    a_low_check_in_offers_what_helped_before_and_a_good_one_does_not,
    a_low_check_in_without_a_plan_suggests_writing_one,
    concurrent_saves_get_consecutive_versions,
);

fn patient_id(t: &TestApp, n: usize) -> PatientId {
    t.demo.patients[n].id.parse().unwrap()
}

async fn current(t: &TestApp, n: usize) -> Option<StoredSafetyPlan> {
    let mut tx = t.app.store().read().await.unwrap();
    let r = tx.current_safety_plan(patient_id(t, n)).await.unwrap();
    tx.rollback().await.unwrap();
    r
}

async fn versions(t: &TestApp, n: usize) -> i64 {
    let mut tx = t.app.store().read().await.unwrap();
    let r = tx
        .safety_plan_version_count(patient_id(t, n))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    r
}

/// Opens the form (as a browser would, for its CSRF token) and sends it.
async fn save(c: &Client, fields: &[(&str, &str)]) -> Resp {
    c.get("/safety-plan/edit").await.ok().has_crisis_panel();
    c.post_form("/safety-plan/edit", fields).await
}

async fn a_patient_writes_a_plan_and_reads_it_back(t: TestApp) {
    let c = t.patient_client(0).await;
    let home = c.get("/home").await.ok();
    assert!(home.body.contains("href=\"/safety-plan\""));
    let empty = c.get("/safety-plan").await.ok().has_crisis_panel();
    assert!(
        empty
            .body
            .contains("You have not written a safety plan yet")
    );
    assert!(empty.body.contains("href=\"/safety-plan/edit\""));
    let form = c.get("/safety-plan/edit").await.ok();
    for s in Section::ALL {
        assert!(
            form.body
                .contains(&format!("<textarea id=\"{}\"", s.field())),
            "{}",
            s.field()
        );
    }
    assert!(form.body.contains("One per line"));
    save(
        &c,
        &[
            ("warning_signs", "Not sleeping\r\n\r\n  Staying in bed  "),
            ("coping_strategies", "Walk by the sea\r\nPlay guitar"),
            ("people_and_places", "Call my sister Ana"),
            ("professionals", "GP: 0131 496 0000"),
            ("safe_environment", ""),
        ],
    )
    .await
    .redirects_to("/safety-plan?saved=1");
    let page = c.get("/safety-plan?saved=1").await.ok().has_crisis_panel();
    assert!(page.body.contains("Your safety plan is saved"));
    for text in [
        "<li>Not sleeping</li>",
        "<li>Staying in bed</li>",
        "<li>Walk by the sea</li>",
        "<li>Call my sister Ana</li>",
        "Nothing written yet",
        "Last saved 17 November 2026 10:00",
        "Edit your safety plan",
    ] {
        assert!(page.body.contains(text), "missing {text}: {}", page.body);
    }
    let s = current(&t, 0).await.unwrap();
    assert_eq!(s.version, 1);
    assert_eq!(
        s.plan.items(Section::WarningSigns),
        ["Not sleeping", "Staying in bed"]
    );
    assert_eq!(s.saved_by_kind, "patient");
    assert_eq!(
        s.saved_by_id.as_deref(),
        Some(t.demo.patients[0].id.as_str())
    );
}

async fn an_edit_saves_a_new_version_and_the_newest_is_shown(t: TestApp) {
    let c = t.patient_client(0).await;
    save(&c, &[("coping_strategies", "Walk by the sea")])
        .await
        .redirects_to("/safety-plan?saved=1");
    // Within the patient's 30-minute idle time-out.
    t.clock.advance(Duration::from_secs(20 * 60));
    // The form opens with the plan as saved, one item per line.
    let form = c.get("/safety-plan/edit").await.ok();
    assert!(
        form.body.contains(">Walk by the sea</textarea>"),
        "{}",
        form.body
    );
    save(&c, &[("coping_strategies", "Swim\nCook something")])
        .await
        .redirects_to("/safety-plan?saved=1");
    let page = c.get("/safety-plan").await.ok();
    assert!(page.body.contains("<li>Swim</li>"));
    assert!(page.body.contains("<li>Cook something</li>"));
    assert!(!page.body.contains("Walk by the sea"));
    assert!(page.body.contains("Last saved 17 November 2026 10:20"));
    assert_eq!(versions(&t, 0).await, 2, "nothing is overwritten");
    assert_eq!(current(&t, 0).await.unwrap().version, 2);
    // Versions are per patient.
    let other = t.patient_client(1).await;
    save(&other, &[("warning_signs", "Shaking")])
        .await
        .redirects_to("/safety-plan?saved=1");
    assert_eq!(current(&t, 1).await.unwrap().version, 1);
}

async fn a_bad_plan_is_explained_field_by_field_and_the_text_is_kept(t: TestApp) {
    let c = t.patient_client(0).await;
    let r = save(&c, &[("warning_signs", " \r\n ")]).await.status(422);
    assert!(
        r.body
            .contains("Write at least one thing in any part of your safety plan")
    );
    assert!(r.body.contains("href=\"#warning_signs\""));
    assert!(r.body.contains("<title>Error: Write your safety plan"));

    let many = vec!["Breathe"; 21].join("\r\n");
    let long = format!("Fine\r\n{}", "x".repeat(301));
    let r = save(
        &c,
        &[
            ("coping_strategies", &many),
            ("people_and_places", &long),
            ("professionals", "My GP, Dr Ross"),
        ],
    )
    .await
    .status(422)
    .has_crisis_panel();
    assert!(
        r.body.contains(
            "Keep things you can do to cope to 20 lines or fewer (it has 21): choose the ones that matter most"
        ),
        "{}",
        r.body
    );
    assert!(r.body.contains(
        "In people and places that help, line 2 is too long: keep each line to 300 characters or fewer (it has 301)"
    ));
    assert!(r.body.contains("href=\"#coping_strategies\""));
    assert!(r.body.contains("href=\"#people_and_places\""));
    assert!(
        r.body
            .contains("aria-describedby=\"coping_strategies-hint coping_strategies-error\"")
    );
    // What was typed comes back, so nothing has to be written again.
    assert!(r.body.contains(">My GP, Dr Ross</textarea>"));
    assert!(r.body.contains(&"x".repeat(301)));
    assert!(current(&t, 0).await.is_none());
}

/// A demo patient on the supporter's caseload and one who is not, by index.
async fn caseload(t: &TestApp) -> (usize, usize) {
    let mut tx = t.app.store().read().await.unwrap();
    let mut on = None;
    let mut off = None;
    for (i, d) in t.demo.patients.iter().enumerate() {
        let p = tx.patient(d.id.parse().unwrap()).await.unwrap().unwrap();
        match p.supporter_id {
            Some(_) => on = on.or(Some(i)),
            None => off = off.or(Some(i)),
        }
    }
    tx.rollback().await.unwrap();
    (on.unwrap(), off.unwrap())
}

/// Staff of another service, signed in with password and code.
async fn other_service_staff(t: &TestApp) -> Client {
    let ctx = RequestContext::default();
    let other = t
        .app
        .admin()
        .create_service("elsewhere", "Elsewhere wellbeing service", &ctx)
        .await
        .unwrap();
    let email = "olive.other@elsewhere.test";
    let new = t
        .app
        .admin()
        .create_staff(other.id, email, "Olive Other", &[Role::ClinicalLead], &ctx)
        .await
        .unwrap();
    let token = new.enrolment_link.rsplit('/').next().unwrap().to_string();
    let secret = t
        .app
        .accounts()
        .enrolment_page(&token)
        .await
        .unwrap()
        .totp_secret;
    let code = |t: &TestApp| bothy_app::credentials::totp_code(&secret, t.clock_secs()).unwrap();
    let password = "olive's own long password";
    t.app
        .accounts()
        .complete_enrolment(&token, password, password, &code(t), &ctx)
        .await
        .unwrap();
    let c = t.client();
    c.get("/sign-in").await.ok();
    c.post_form("/sign-in", &[("email", email), ("password", password)])
        .await
        .redirects_to("/sign-in/code");
    c.get("/sign-in/code").await.ok();
    t.clock.advance(Duration::from_secs(30));
    c.post_form("/sign-in/code", &[("code", &code(t))])
        .await
        .redirects_to("/staff");
    c
}

async fn the_care_team_sees_the_plan_and_nobody_else_does(t: TestApp) {
    let record = |n: usize| format!("/staff/patients/{}", t.demo.patients[n].id);
    let staff = t.staff_client("triage_clinician").await;
    let before = staff.get(&record(0)).await.ok();
    assert!(
        before
            .body
            .contains("<h2 id=\"safety-plan-heading\">Safety plan</h2>")
    );
    assert!(before.body.contains("No safety plan yet"));

    let c = t.patient_client(0).await;
    save(&c, &[("coping_strategies", "Private plan words")])
        .await
        .redirects_to("/safety-plan?saved=1");
    let page = staff.get(&record(0)).await.ok();
    assert!(page.body.contains("<li>Private plan words</li>"));
    assert!(
        page.body
            .contains("Version 1, saved 17 November 2026 10:00"),
        "{}",
        page.body
    );
    // A supporter sees their own caseload only.
    let (on, off) = caseload(&t).await;
    let supporter = t.staff_client("supporter").await;
    for (n, words) in [(on, "On the caseload"), (off, "Not for this supporter")] {
        let pc = t.patient_client(n).await;
        save(&pc, &[("coping_strategies", words)])
            .await
            .redirects_to("/safety-plan?saved=1");
    }
    let seen = supporter.get(&record(on)).await.ok();
    assert!(seen.body.contains("<li>On the caseload</li>"));
    let hidden = supporter.get(&record(off)).await.status(404);
    assert!(!hidden.body.contains("Not for this supporter"));
    // Another service's staff: not found, and nothing shown.
    let outsider = other_service_staff(&t).await;
    let r = outsider.get(&record(0)).await.status(404);
    assert!(!r.body.contains("Private plan words"));
    // Other patients see only their own plan, through the page and the use case.
    let theirs = t.patient_client(1).await;
    let mine = theirs.get("/safety-plan").await.ok();
    assert!(!mine.body.contains("Private plan words"));
    let actor = bothy_app::Actor::Patient(bothy_app::policy::PatientActor {
        id: patient_id(&t, 1),
        service_id: current(&t, 0).await.unwrap().service_id,
        name: "Someone else".into(),
    });
    let r = t
        .app
        .safety_plans()
        .current(&actor, patient_id(&t, 0), &Default::default())
        .await;
    assert!(matches!(r, Err(bothy_app::AppError::NotFound)), "{r:?}");
    // Staff do not write a patient's plan for them.
    let before = versions(&t, 0).await;
    let r = staff
        .post_form("/safety-plan/edit", &[("coping_strategies", "x")])
        .await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.body);
    assert_eq!(versions(&t, 0).await, before);
}

async fn saving_and_reading_are_audited(t: TestApp) {
    let c = t.patient_client(0).await;
    save(&c, &[("warning_signs", "Not sleeping")])
        .await
        .redirects_to("/safety-plan?saved=1");
    c.get("/safety-plan").await.ok();
    let staff = t.staff_client("triage_clinician").await;
    staff
        .get(&format!("/staff/patients/{}", t.demo.patients[0].id))
        .await
        .ok();
    let mut tx = t.app.store().read().await.unwrap();
    let events = tx
        .audit_events_for_patient(&t.demo.patients[0].id, 1000)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let of = |action: &str, kind: &str| {
        events
            .iter()
            .map(|e| &e.record)
            .filter(|r| r.action == action && r.actor_kind == kind)
            .collect::<Vec<_>>()
    };
    let saved = of("safety_plan.saved", "patient");
    assert_eq!(saved.len(), 1, "{events:#?}");
    assert_eq!(saved[0].purpose, "direct_care");
    assert_eq!(saved[0].detail.as_deref(), Some("version 1"));
    // The form's read (prefill), the page's read; then the staff page's,
    // one event for the whole record page, naming the plan's version.
    assert_eq!(of("safety_plan.read", "patient").len(), 2);
    let by_staff = of("patient.read", "staff");
    assert_eq!(by_staff.len(), 1);
    assert_eq!(by_staff[0].role.as_deref(), Some("triage_clinician"));
    assert!(
        by_staff[0]
            .detail
            .as_deref()
            .is_some_and(|d| d.ends_with("safety plan version 1")),
        "{by_staff:?}"
    );
    // Plan text never reaches the audit trail.
    assert!(events.iter().all(|e| {
        !e.record
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("sleeping")
    }));
}

async fn plan_text_is_escaped_for_the_patient_and_staff(t: TestApp) {
    let c = t.patient_client(0).await;
    let evil = "<script>alert(1)</script>";
    save(
        &c,
        &[
            ("coping_strategies", evil),
            ("people_and_places", "\"><img src=x>"),
        ],
    )
    .await
    .redirects_to("/safety-plan?saved=1");
    let escaped = |r: &Resp| {
        assert!(!r.body.contains("<script>alert(1)"), "{}", r.body);
        assert!(!r.body.contains("<img src=x>"));
        assert!(r.body.contains("&#60;script&#62;") || r.body.contains("&lt;script&gt;"));
    };
    escaped(&c.get("/safety-plan").await.ok());
    escaped(&c.get("/safety-plan/edit").await.ok());
    let staff = t.staff_client("triage_clinician").await;
    escaped(
        &staff
            .get(&format!("/staff/patients/{}", t.demo.patients[0].id))
            .await
            .ok(),
    );
    // And as a suggestion after a low check-in.
    let key = c.get("/home").await.ok().field("key");
    c.post_form("/check-in", &[("key", &key), ("mood", "1")])
        .await
        .redirects_to("/check-ins?saved=1");
    escaped(&c.get("/check-ins?saved=1").await.ok());
}

async fn check_in(c: &Client, mood: &str) -> Resp {
    let key = c.get("/home").await.ok().field("key");
    c.post_form("/check-in", &[("key", &key), ("mood", mood)])
        .await
        .redirects_to("/check-ins?saved=1");
    c.get("/check-ins?saved=1").await.ok().has_crisis_panel()
}

async fn a_low_check_in_offers_what_helped_before_and_a_good_one_does_not(t: TestApp) {
    let c = t.patient_client(0).await;
    save(
        &c,
        &[
            ("warning_signs", "Not sleeping"),
            ("coping_strategies", "Walk by the sea\nPlay guitar"),
            ("people_and_places", "Call Ana\nwalk by the SEA"),
            ("professionals", "GP surgery"),
        ],
    )
    .await
    .redirects_to("/safety-plan?saved=1");
    let low = check_in(&c, "3").await;
    assert!(
        low.body.contains("Things that have helped you before"),
        "{}",
        low.body
    );
    let list = low.body.split("id=\"coping-heading\"").nth(1).unwrap();
    let list = list.split("</section>").next().unwrap();
    let walk = list.find("<li>Walk by the sea</li>").unwrap();
    let guitar = list.find("<li>Play guitar</li>").unwrap();
    let ana = list.find("<li>Call Ana</li>").unwrap();
    assert!(walk < guitar && guitar < ana, "coping first, then people");
    assert!(!list.contains("walk by the SEA"), "shown once");
    assert!(!list.contains("Not sleeping") && !list.contains("GP surgery"));

    t.clock.advance(Duration::from_secs(600));
    let good = check_in(&c, "4").await;
    assert!(good.body.contains("Your check-in is saved"));
    assert!(!good.body.contains("Things that have helped you before"));
    // Only straight after saving: the timeline on its own stays as it was.
    let timeline = c.get("/check-ins").await.ok();
    assert!(!timeline.body.contains("Things that have helped you before"));
}

async fn a_low_check_in_without_a_plan_suggests_writing_one(t: TestApp) {
    let c = t.patient_client(0).await;
    let low = check_in(&c, "0").await;
    assert!(low.body.contains("Things that have helped you before"));
    assert!(low.body.contains("Write your safety plan"));
    assert!(low.body.contains("href=\"/safety-plan/edit\""));
    // A plan with nothing to suggest asks for coping strategies or people.
    save(&c, &[("warning_signs", "Not sleeping")])
        .await
        .redirects_to("/safety-plan?saved=1");
    t.clock.advance(Duration::from_secs(600));
    let low = check_in(&c, "2").await;
    assert!(
        low.body
            .contains("Your safety plan does not list things you can do or people to contact yet")
    );
}

/// Two saves at once: the second waits for the first and takes the next
/// number, rather than failing on the primary key (PostgreSQL) or the lock (SQLite).
async fn concurrent_saves_get_consecutive_versions(t: TestApp) {
    use bothy_domain::safety_plan::{SafetyPlan, SafetyPlanText};
    let id = patient_id(&t, 0);
    let mut tx = t.app.store().read().await.unwrap();
    let service = tx.patient(id).await.unwrap().unwrap().service_id;
    tx.rollback().await.unwrap();
    let plan = SafetyPlan::parse(&SafetyPlanText {
        coping_strategies: "Swim".into(),
        ..Default::default()
    })
    .unwrap();
    let now = t.clock.now();
    let mut first = t.app.store().begin().await.unwrap();
    let v1 = first
        .insert_safety_plan_version(id, service, &plan, now, "patient", None)
        .await
        .unwrap();
    let store = t.app.store().clone();
    let p2 = plan.clone();
    let second = tokio::spawn(async move {
        let mut tx = store.begin().await.unwrap();
        let v = tx
            .insert_safety_plan_version(id, service, &p2, now, "patient", None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        v
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    first.commit().await.unwrap();
    let v2 = second.await.unwrap();
    assert_eq!((v1, v2), (1, 2));
    assert_eq!(versions(&t, 0).await, 2);
}
