//! Programme enrolments (issue 14): staff enrol a patient on a programme
//! from the patient page; the person sees their next step at home and
//! works through the modules in order; staff open the next module; either
//! side pauses and resumes; the programme is pinned at enrolment; many
//! clicks at once make one change; nobody else reads or changes it.
//! (Account enrolment links are `enrolment.rs`.)

use crate::both_dbs;
use crate::concurrency::{at_once, no_server_errors, post_owned, statuses};
use crate::helpers::{Client, TestApp};
use bothy_app::Actor;

both_dbs!(
    a_patient_works_through_a_programme_module_by_module,
    staff_unlock_the_next_module_and_either_side_pauses_and_resumes,
    nobody_else_reads_or_changes_an_enrolment,
    an_enrolled_person_keeps_the_version_they_started_on,
    many_clicks_at_once_make_one_enrolment_and_one_completion,
);

/// The demo supporter's staff id, as the enrolment form offers it.
async fn supporter_id(t: &TestApp) -> String {
    match t.fixtures().staff_actor("supporter").await {
        Actor::Staff(s) => s.id.to_string(),
        _ => unreachable!(),
    }
}

/// Enrols demo patient `n` on `programme` through the staff patient page.
async fn enrol(t: &TestApp, staff: &Client, n: usize, programme: &str, supporter: &str) {
    let patient = &t.demo.patients[n].id;
    let page = staff.get(&format!("/staff/patients/{patient}")).await.ok();
    assert!(page.body.contains("Enrol on a programme"), "{}", page.body);
    assert!(
        page.body
            .contains("<label for=\"enrol-programme\">Programme</label>")
    );
    assert!(
        page.body
            .contains("<label for=\"enrol-supporter\">Supporter</label>")
    );
    staff
        .post_form(
            &format!("/staff/patients/{patient}/enrolments"),
            &[("programme", programme), ("supporter", supporter)],
        )
        .await
        .redirects_to(&format!("/staff/patients/{patient}#programmes"));
}

/// The first enrolment linked from the patient's home page.
async fn enrolment_from_home(c: &Client) -> String {
    let home = c.get("/home").await.ok();
    let at = home
        .body
        .find("href=\"/programme/")
        .unwrap_or_else(|| panic!("no programme on the home page: {}", home.body));
    home.body[at + 17..]
        .split(['"', '/'])
        .next()
        .unwrap()
        .to_string()
}

/// The href of the link carrying `attr`.
fn link(body: &str, attr: &str) -> Option<String> {
    let at = body.find(attr)?;
    let before = &body[..at];
    let href = before.rfind("href=\"")? + 6;
    Some(before[href..].split('"').next()?.to_string())
}

/// Follows "Next page" from `first` to the module's last page.
async fn last_page(c: &Client, first: &str) -> crate::helpers::Resp {
    let mut at = c.get(first).await.ok().has_crisis_panel();
    let mut pages = 1;
    while let Some(next) = link(&at.body, "rel=\"next\"") {
        assert!(
            !at.body.contains("I have finished this module"),
            "only the last page offers to finish"
        );
        at = c.get(&next).await.ok();
        pages += 1;
        assert!(pages < 12, "the pages end");
    }
    at
}

async fn audited(t: &TestApp, action: &str) -> i64 {
    t.count(
        "SELECT COUNT(*) FROM audit_events WHERE action = $1",
        action,
    )
    .await
}

async fn a_patient_works_through_a_programme_module_by_module(t: TestApp) {
    let staff = t.staff_client("triage_clinician").await;
    let supporter = supporter_id(&t).await;
    enrol(&t, &staff, 0, "low-mood", &supporter).await;
    let patient = &t.demo.patients[0].id;
    let page = staff.get(&format!("/staff/patients/{patient}")).await.ok();
    assert!(page.body.contains("Lifting low mood"), "{}", page.body);
    assert!(page.body.contains("0 of 6 modules done") || page.body.contains(" modules done"));
    assert!(page.body.contains("Unlock next module: 2"), "{}", page.body);
    assert!(
        page.body.contains(&t.staff("supporter").name),
        "the supporter is named"
    );

    // At home, the person sees the programme, its progress and next step.
    let c = t.patient_client(0).await;
    let home = c.get("/home").await.ok();
    assert!(home.body.contains("Your programmes"), "{}", home.body);
    assert!(home.body.contains("Lifting low mood"));
    assert!(home.body.contains("0 of "));
    let id = enrolment_from_home(&c).await;
    let first = format!("/programme/{id}/01-getting-started/1");
    assert!(
        home.body.contains(&format!("href=\"{first}\"")),
        "{}",
        home.body
    );

    // The overview: module 1 open, module 2 not yet.
    let overview = c
        .get(&format!("/programme/{id}"))
        .await
        .ok()
        .has_crisis_panel();
    assert!(overview.body.contains("Not open yet"), "{}", overview.body);
    assert!(overview.body.contains("Opens when you finish module 1"));

    // A page's tool links to the tool itself.
    let goals = c
        .get(&format!("/programme/{id}/01-getting-started/6"))
        .await
        .ok();
    assert!(
        goals
            .body
            .contains("<a href=\"/tools/goals\">open the goals</a>"),
        "{}",
        goals.body
    );

    // Page 1 of module 1 reads; module 2 does not open yet.
    let p1 = c.get(&first).await.ok().has_crisis_panel();
    assert!(p1.body.contains("Page 1 of"), "{}", p1.body);
    let second = format!("/programme/{id}/02-noticing-what-you-do/1");
    let locked = c.get(&second).await.status(409).has_crisis_panel();
    assert!(locked.body.contains("not open yet"), "{}", locked.body);
    c.post_form(&format!("/programme/{id}/done"), &[("module", "2")])
        .await
        .status(409);
    c.get(&format!("/programme/{id}/01-getting-started/99"))
        .await
        .status(404);
    c.get(&format!("/programme/{id}/no-such-module/1"))
        .await
        .status(404);

    // The last page of module 1 offers "I have finished this module".
    let last = last_page(&c, &first).await;
    assert!(
        last.body.contains("I have finished this module"),
        "{}",
        last.body
    );
    assert!(last.body.contains("Before next time"), "the homework shows");
    c.post_form(&format!("/programme/{id}/done"), &[("module", "1")])
        .await
        .redirects_to(&format!("/programme/{id}?done=1"));
    let overview = c.get(&format!("/programme/{id}?done=1")).await.ok();
    assert!(
        overview.body.contains("you have finished module 1"),
        "{}",
        overview.body
    );
    assert!(overview.body.contains("1 of 6 modules done") || overview.body.contains("1 of "));

    // Module 2 is open now; module 1 shows as done and its form is gone.
    c.get(&second).await.ok();
    let last = last_page(&c, &first).await;
    assert!(!last.body.contains("I have finished this module"));
    assert!(last.body.contains("You have finished this module"));
    let home = c.get("/home").await.ok();
    assert!(home.body.contains("1 of "), "{}", home.body);
    assert!(
        home.body.contains(&format!("href=\"{second}\"")),
        "{}",
        home.body
    );

    assert_eq!(audited(&t, "enrolment.started").await, 1);
    assert_eq!(audited(&t, "enrolment.module_completed").await, 1);
    assert!(
        audited(&t, "enrolment.read").await >= 5,
        "reads are audited"
    );
}

async fn staff_unlock_the_next_module_and_either_side_pauses_and_resumes(t: TestApp) {
    let staff = t.staff_client("clinical_lead").await;
    enrol(&t, &staff, 0, "low-mood", "").await;
    let patient = &t.demo.patients[0].id;
    let c = t.patient_client(0).await;
    let id = enrolment_from_home(&c).await;
    let second = format!("/programme/{id}/02-noticing-what-you-do/1");
    c.get(&second).await.status(409);

    // Staff open module 2; the same click again changes nothing; module 4
    // cannot be opened before module 3.
    let back = format!("/staff/patients/{patient}#programmes");
    let unlock = format!("/staff/enrolments/{id}/unlock");
    staff.get(&format!("/staff/patients/{patient}")).await.ok();
    staff
        .post_form(&unlock, &[("module", "2")])
        .await
        .redirects_to(&back);
    staff
        .post_form(&unlock, &[("module", "2")])
        .await
        .redirects_to(&back);
    staff
        .post_form(&unlock, &[("module", "4")])
        .await
        .status(409);
    assert_eq!(audited(&t, "enrolment.module_unlocked").await, 1);
    c.get(&second).await.ok();
    let page = staff.get(&format!("/staff/patients/{patient}")).await.ok();
    assert!(page.body.contains("Unlock next module: 3"), "{}", page.body);

    // The person pauses: nothing finishes while paused; reading goes on.
    c.get(&format!("/programme/{id}")).await.ok();
    c.post_form(&format!("/programme/{id}/pause"), &[])
        .await
        .redirects_to(&format!("/programme/{id}"));
    let overview = c.get(&format!("/programme/{id}")).await.ok();
    assert!(
        overview.body.contains("This programme is paused"),
        "{}",
        overview.body
    );
    assert!(overview.body.contains("Resume the programme"));
    c.post_form(&format!("/programme/{id}/done"), &[("module", "1")])
        .await
        .status(409);
    c.get(&second).await.ok();
    // Staff see it paused, cannot open more, and resume it.
    let page = staff.get(&format!("/staff/patients/{patient}")).await.ok();
    assert!(page.body.contains("Paused"), "{}", page.body);
    assert!(!page.body.contains("Unlock next module"));
    staff
        .post_form(&format!("/staff/enrolments/{id}/resume"), &[])
        .await
        .redirects_to(&back);
    // Resuming again is answered as done; staff pause, the person resumes.
    staff
        .post_form(&format!("/staff/enrolments/{id}/resume"), &[])
        .await
        .redirects_to(&back);
    staff
        .post_form(&format!("/staff/enrolments/{id}/pause"), &[])
        .await
        .redirects_to(&back);
    c.get(&format!("/programme/{id}")).await.ok();
    c.post_form(&format!("/programme/{id}/resume"), &[])
        .await
        .redirects_to(&format!("/programme/{id}"));
    c.post_form(&format!("/programme/{id}/done"), &[("module", "1")])
        .await
        .redirects_to(&format!("/programme/{id}?done=1"));
    assert_eq!(audited(&t, "enrolment.paused").await, 2);
    assert_eq!(audited(&t, "enrolment.resumed").await, 2);

    // Enrolling again on the same programme with another supporter is
    // refused while this enrolment stands; the same request is answered as done.
    let supporter = supporter_id(&t).await;
    staff
        .post_form(
            &format!("/staff/patients/{patient}/enrolments"),
            &[("programme", "low-mood"), ("supporter", &supporter)],
        )
        .await
        .status(409);
    staff
        .post_form(
            &format!("/staff/patients/{patient}/enrolments"),
            &[("programme", "low-mood"), ("supporter", "")],
        )
        .await
        .redirects_to(&back);
    // A programme or supporter that is not on the lists is a field error.
    for (programme, supporter) in [("no-such-programme", ""), ("low-mood", "not-an-id")] {
        staff
            .post_form(
                &format!("/staff/patients/{patient}/enrolments"),
                &[("programme", programme), ("supporter", supporter)],
            )
            .await
            .status(422);
    }
    assert_eq!(audited(&t, "enrolment.started").await, 1);
}

async fn nobody_else_reads_or_changes_an_enrolment(t: TestApp) {
    let staff = t.staff_client("triage_clinician").await;
    enrol(&t, &staff, 0, "low-mood", "").await;
    let owner = t.patient_client(0).await;
    let id = enrolment_from_home(&owner).await;
    let other = t.patient_client(1).await;
    other.get("/home").await.ok();
    for path in [
        format!("/programme/{id}"),
        format!("/programme/{id}/01-getting-started/1"),
        "/programme/not-an-id".to_string(),
    ] {
        other.get(&path).await.status(404);
    }
    for action in ["done", "pause", "resume"] {
        other
            .post_form(&format!("/programme/{id}/{action}"), &[("module", "1")])
            .await
            .status(404);
    }
    // Nothing changed for the person enrolled.
    let overview = owner.get(&format!("/programme/{id}")).await.ok();
    assert!(overview.body.contains("0 of "), "{}", overview.body);
    assert!(overview.body.contains("Active"));
    // Staff who do not open records cannot act on it either.
    let analyst = t.staff_client("analyst").await;
    analyst.get("/account").await.ok();
    analyst
        .post_form(
            &format!("/staff/enrolments/{id}/unlock"),
            &[("module", "2")],
        )
        .await
        .status(403);
}

/// The low mood programme's files with a new version, title and first
/// page, written to a programmes folder as a deployment would.
fn second_edition() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "bothy-programmes-{}",
        bothy_domain::ids::EnrolmentId::random()
    ));
    let (_, files) = bothy_app::programmes::builtin_sources()
        .into_iter()
        .find(|(id, _)| id == "low-mood")
        .unwrap();
    let folder = dir.join("low-mood");
    std::fs::create_dir_all(&folder).unwrap();
    for (name, text) in files {
        let text = if name == "programme.md" {
            let version = text
                .lines()
                .find(|l| l.starts_with("version"))
                .unwrap()
                .to_string();
            text.replace(&version, "version = \"9.0.0\"").replace(
                "title = \"Lifting low mood\"",
                "title = \"Lifting low mood again\"",
            )
        } else if name.starts_with("01-") {
            let at = text.find("\n## ").unwrap();
            let end = text[at + 4..].find('\n').unwrap() + at + 4;
            format!(
                "{}\n\nThis line is new in the later version.{}",
                &text[..end],
                &text[end..]
            )
        } else {
            text
        };
        std::fs::write(folder.join(name), text).unwrap();
    }
    dir
}

async fn an_enrolled_person_keeps_the_version_they_started_on(t: TestApp) {
    let shipped = t
        .app
        .programmes()
        .all()
        .into_iter()
        .find(|p| p.id == "low-mood")
        .unwrap()
        .version
        .clone();
    let staff = t.staff_client("triage_clinician").await;
    enrol(&t, &staff, 0, "low-mood", "").await;
    let c = t.patient_client(0).await;
    let id = enrolment_from_home(&c).await;
    let first = format!("/programme/{id}/01-getting-started/1");
    let before = c.get(&first).await.ok().body;
    last_page(&c, &first).await;
    c.post_form(&format!("/programme/{id}/done"), &[("module", "1")])
        .await
        .redirects_to(&format!("/programme/{id}?done=1"));

    // The service changes the programme's files and restarts.
    let dir = second_edition();
    let (programmes, problems) = bothy_app::programmes::load_programmes(
        Some(&dir),
        &bothy_app::content::default_catalogue(),
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(problems.is_empty(), "{problems:#?}");
    let t2 = t.with_programmes(programmes).await;
    let staff2 = t2.staff_client("triage_clinician").await;
    let list = staff2.get("/staff/programmes").await.ok();
    assert!(
        list.body.contains("Lifting low mood again"),
        "the files changed"
    );
    assert!(list.body.contains("9.0.0"));

    // The person enrolled still reads the version they started on, with
    // their finished module still finished.
    let c2 = t2.patient_client(0).await;
    let overview = c2.get(&format!("/programme/{id}")).await.ok();
    assert!(
        overview.body.contains(&format!("Version {shipped}")),
        "{}",
        overview.body
    );
    assert!(!overview.body.contains("9.0.0"));
    assert!(!overview.body.contains("Lifting low mood again"));
    assert!(overview.body.contains("1 of "), "{}", overview.body);
    let after = c2.get(&first).await.ok().body;
    assert!(!after.contains("new in the later version"));
    let (before, after) = (strip_tokens(&before), strip_tokens(&after));
    if let Some((b, a)) = before.lines().zip(after.lines()).find(|(b, a)| b != a) {
        panic!("the page reads differently:\n{b}\n{a}");
    }
    assert_eq!(before, after, "the page reads as it did");
    c2.get(&format!("/programme/{id}/02-noticing-what-you-do/1"))
        .await
        .ok();
    let patient = &t.demo.patients[0].id;
    let page = staff2.get(&format!("/staff/patients/{patient}")).await.ok();
    assert!(
        page.body.contains(&format!("version {shipped}")),
        "{}",
        page.body
    );

    // Someone enrolled now gets the new version.
    enrol(&t2, &staff2, 1, "low-mood", "").await;
    let c3 = t2.patient_client(1).await;
    let id3 = enrolment_from_home(&c3).await;
    let page = c3
        .get(&format!("/programme/{id3}/01-getting-started/1"))
        .await
        .ok();
    assert!(
        page.body.contains("new in the later version"),
        "{}",
        page.body
    );
    t2.app.store().close().await;
}

/// A page without what differs between two requests (CSRF token, request id).
fn strip_tokens(body: &str) -> String {
    let start = body.find("<main").unwrap_or(0);
    let end = body.find("</main>").unwrap_or(body.len());
    body[start..end]
        .lines()
        .filter(|l| !l.contains("csrf_token") && !l.contains("request"))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn many_clicks_at_once_make_one_enrolment_and_one_completion(t: TestApp) {
    let tariq = t.staff_client("triage_clinician").await;
    let lee = t.staff_client("clinical_lead").await;
    let patient = t.demo.patients[0].id.clone();
    tariq.get(&format!("/staff/patients/{patient}")).await.ok();
    lee.get(&format!("/staff/patients/{patient}")).await.ok();
    let back = format!("/staff/patients/{patient}#programmes");

    // Two clinicians, each clicking "Enrol" four times at the same moment.
    let fields = vec![
        ("programme".to_string(), "low-mood".to_string()),
        ("supporter".to_string(), String::new()),
    ];
    let answers = at_once(
        (0..8)
            .map(|i| {
                let who = if i % 2 == 0 { &tariq } else { &lee };
                post_owned(
                    who.clone(),
                    format!("/staff/patients/{patient}/enrolments"),
                    fields.clone(),
                )
            })
            .collect(),
    )
    .await;
    no_server_errors(&answers);
    for r in &answers {
        assert_eq!(
            r.location(),
            Some(back.as_str()),
            "{:?}",
            statuses(&answers)
        );
    }
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM enrolments WHERE patient_id = $1",
            &patient
        )
        .await,
        1
    );
    assert_eq!(audited(&t, "enrolment.started").await, 1);

    // Eight "Unlock next module" at once open module 2 once.
    let c = t.patient_client(0).await;
    let id = enrolment_from_home(&c).await;
    let answers = at_once(
        (0..8)
            .map(|i| {
                let who = if i % 2 == 0 { &tariq } else { &lee };
                post_owned(
                    who.clone(),
                    format!("/staff/enrolments/{id}/unlock"),
                    vec![("module".into(), "2".into())],
                )
            })
            .collect(),
    )
    .await;
    no_server_errors(&answers);
    assert!(answers.iter().all(|r| r.location() == Some(back.as_str())));
    assert_eq!(audited(&t, "enrolment.module_unlocked").await, 1);

    // Eight taps on "I have finished this module" finish it once, and the
    // module after the open ones (3) opens once.
    c.get(&format!("/programme/{id}")).await.ok();
    let done = format!("/programme/{id}?done=1");
    let answers = at_once(
        (0..8)
            .map(|_| {
                post_owned(
                    c.clone(),
                    format!("/programme/{id}/done"),
                    vec![("module".into(), "1".into())],
                )
            })
            .collect(),
    )
    .await;
    no_server_errors(&answers);
    for r in &answers {
        assert_eq!(
            r.location(),
            Some(done.as_str()),
            "{:?}",
            statuses(&answers)
        );
    }
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM module_progress WHERE enrolment_id = $1 AND completed_at IS NOT NULL",
            &id
        )
        .await,
        1
    );
    assert_eq!(audited(&t, "enrolment.module_completed").await, 1);
    // Module 2 was open already; finishing module 1 opens nothing new.
    assert_eq!(
        t.count(
            "SELECT COUNT(*) FROM module_progress WHERE enrolment_id = $1",
            &id
        )
        .await,
        2
    );

    // Pause and resume at once from both sides: one change each.
    let answers = at_once(
        (0..8)
            .map(|i| {
                if i % 2 == 0 {
                    post_owned(c.clone(), format!("/programme/{id}/pause"), Vec::new())
                } else {
                    post_owned(
                        tariq.clone(),
                        format!("/staff/enrolments/{id}/pause"),
                        Vec::new(),
                    )
                }
            })
            .collect(),
    )
    .await;
    no_server_errors(&answers);
    assert!(
        answers.iter().all(|r| r.status.is_redirection()),
        "{:?}",
        statuses(&answers)
    );
    assert_eq!(audited(&t, "enrolment.paused").await, 1);
}
