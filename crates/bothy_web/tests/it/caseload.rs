//! The staff home by role (issue 14, item 7): a supporter's caseload in
//! order of need, a triage clinician's counts of the queues, a clinical
//! lead's overdue alerts with whom they are with, and risk at referral
//! following the person with a link to the referral's answers.

use crate::both_dbs;
use crate::helpers::{Client, TestApp};
use bothy_app::RequestContext;
use bothy_app::policy::Actor;
use bothy_domain::alerts::Outcome;
use bothy_domain::model::Patient;
use bothy_domain::person::{DateOfBirth, PersonName};
use bothy_domain::referral::Step;
use bothy_domain::role::Role;
use bothy_domain::{PatientId, StaffId};
use bothy_testkit::Person;
use std::time::Duration;

both_dbs!(
    a_supporter_sees_an_alert_then_an_unread_message_then_a_quiet_person,
    a_closed_alert_moves_the_person_down,
    a_triage_clinicians_counts_match_the_queues,
    a_clinical_lead_sees_an_overdue_alert_with_its_assignee_and_the_team,
    risk_at_referral_is_marked_with_a_link_on_the_waiting_list_caseload_and_patient_page,
    fifty_people_on_a_caseload_render_in_one_request,
    someone_on_a_programme_the_supporter_supports_is_on_their_caseload,
    an_overdue_review_shows_and_moves_the_person_above_the_quiet,
    a_clinical_lead_sees_how_many_alerts_are_overdue_beyond_those_listed,
    a_triage_clinicians_counts_stop_at_a_thousand,
);

const DAY: Duration = Duration::from_secs(86_400);

fn ctx() -> RequestContext {
    RequestContext::default()
}

/// Where each name first appears in `body`, which must hold them all.
fn positions(body: &str, names: &[&str]) -> Vec<usize> {
    names
        .iter()
        .map(|n| {
            body.find(n)
                .unwrap_or_else(|| panic!("{n} is not on the page: {body}"))
        })
        .collect()
}

/// The caseload section of the home page.
fn caseload(body: &str) -> &str {
    let start = body.find("id=\"caseload\"").expect("a caseload section");
    let end = body[start..].find("</section>").unwrap() + start;
    &body[start..end]
}

/// The number inside the element with this id.
fn count(body: &str, id: &str) -> i64 {
    let marker = format!("id=\"{id}\">");
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {id}: {body}"))
        + marker.len();
    body[at..body[at..].find('<').unwrap() + at]
        .parse()
        .unwrap()
}

fn name(t: &TestApp, n: usize) -> String {
    t.demo.patients[n].name.clone()
}

fn patient_id(t: &TestApp, n: usize) -> PatientId {
    t.demo.patients[n].id.parse().unwrap()
}

async fn staff_id(t: &TestApp, role: &str) -> StaffId {
    match t.fixtures().staff_actor(role).await {
        Actor::Staff(s) => s.id,
        _ => unreachable!("demo staff are staff"),
    }
}

/// Starts a message thread as demo patient `n`, as their browser would.
async fn message_from(t: &TestApp, n: usize) {
    let c: Client = t.patient_client(n).await;
    let key = c.get("/messages").await.ok().field("key");
    c.post_form(
        "/messages",
        &[
            ("subject", "A question"),
            ("body", "Can we talk about the next module?"),
            ("key", &key),
        ],
    )
    .await
    .status(303);
}

/// Three demo patients on the demo supporter's caseload, returned as
/// (alert, unread, quiet): the quiet one sends a measure, then 20 days
/// pass; the first answers the risk item (a high alert) and the second
/// sends a message.
async fn three_people(t: &TestApp) -> (usize, usize, usize) {
    let mine = on_caseload(t).await;
    let (alert, unread, quiet) = (mine[0], mine[1], mine[2]);
    t.clock.advance(Duration::from_secs(3600));
    crate::alerts::phq9(t, quiet, 0, "quiet").await;
    t.clock.advance(20 * DAY);
    crate::alerts::phq9(t, alert, 1, "risk").await;
    message_from(t, unread).await;
    (alert, unread, quiet)
}

async fn a_supporter_sees_an_alert_then_an_unread_message_then_a_quiet_person(t: TestApp) {
    let (alert, unread, quiet) = three_people(&t).await;
    let supporter = t.staff_client("supporter").await;
    let home = supporter.get("/staff").await.ok().has_crisis_panel();
    let list = caseload(&home.body);
    let at = positions(
        list,
        &[&name(&t, alert), &name(&t, unread), &name(&t, quiet)],
    );
    assert!(at[0] < at[1] && at[1] < at[2], "{list}");
    assert!(list.contains("1 open alert, highest high"), "{list}");
    assert!(list.contains("1 unread"), "{list}");
    assert!(list.contains("(20 days ago)"), "{list}");
    assert!(list.contains("Quiet 14 days or more"), "{list}");
    assert!(list.contains("<caption>Your caseload, in order of need</caption>"));
    assert!(list.contains("<th scope=\"col\">Last activity</th>"));
    assert!(list.contains("class=\"table-wrap\""));
    // A supporter has neither the front door's counts nor the team's work.
    assert!(!home.body.contains("id=\"front-door\""));
    assert!(!home.body.contains("id=\"team\""));
}

async fn a_closed_alert_moves_the_person_down(t: TestApp) {
    let (alert, unread, _) = three_people(&t).await;
    let supporter = t.staff_client("supporter").await;
    let home = supporter.get("/staff").await.ok();
    let at = positions(caseload(&home.body), &[&name(&t, alert), &name(&t, unread)]);
    assert!(at[0] < at[1]);

    let lead = t.fixtures().staff_actor("clinical_lead").await;
    let open = t.open_alerts(patient_id(&t, alert)).await.remove(0);
    t.app
        .alerts()
        .acknowledge(&lead, open.id, &ctx())
        .await
        .unwrap();
    t.app
        .alerts()
        .close(
            &lead,
            open.id,
            Some(Outcome::ContactedPerson),
            Some("Phoned; safe and has a plan".into()),
            &ctx(),
        )
        .await
        .unwrap();
    let home = supporter.get("/staff").await.ok();
    let list = caseload(&home.body);
    let at = positions(list, &[&name(&t, alert), &name(&t, unread)]);
    assert!(at[1] < at[0], "the unread message comes first now: {list}");
    assert!(!list.contains("highest high"), "{list}");
}

async fn a_triage_clinicians_counts_match_the_queues(t: TestApp) {
    let f = t.fixtures();
    let risky = Person::new("Robin", "Risk", "robin@example.org");
    f.self_referral(&risky, &[1, 1, 1, 1, 1, 1, 1, 1, 2], &[1; 7])
        .await;
    let calm = Person::new("Calum", "Calm", "calum@example.org");
    f.self_referral(&calm, &[1, 1, 0, 0, 0, 0, 0, 0, 0], &[0; 7])
        .await;
    let wendy = Person::new("Wendy", "Waiting", "wendy@example.org");
    let waits = f.self_referral(&wendy, &[1; 9], &[0; 7]).await;
    f.accept(&waits, Step::Therapist).await;
    crate::alerts::phq9(&t, 1, 1, "risk").await;
    t.clock.advance(3 * DAY);

    let service = t.app.store().read().await.unwrap();
    let mut tx = service;
    let demo = tx.service_by_slug("demo").await.unwrap().unwrap().id;
    let queue = tx.triage_queue(demo, 10_000).await.unwrap();
    let waiting = tx.waiting_episodes(demo, 10_000).await.unwrap();
    let alerts = tx.open_alerts(demo, 10_000).await.unwrap();
    tx.rollback().await.unwrap();
    let now = t.app.clock().now();
    let overdue = alerts.iter().filter(|a| a.deadline < now).count() as i64;
    assert!(queue.len() >= 2 && !waiting.is_empty() && overdue >= 2);

    let triage = t.staff_client("triage_clinician").await;
    let home = triage.get("/staff").await.ok().has_crisis_panel();
    let body = &home.body;
    assert_eq!(count(body, "count-referrals"), queue.len() as i64);
    assert_eq!(
        count(body, "count-referrals-risk"),
        queue.iter().filter(|r| r.risk).count() as i64
    );
    assert_eq!(count(body, "count-waiting"), waiting.len() as i64);
    assert_eq!(count(body, "count-alerts"), alerts.len() as i64);
    assert_eq!(count(body, "count-alerts-overdue"), overdue);
    for link in ["/staff/triage", "/staff/waiting", "/alerts"] {
        assert!(body.contains(&format!("href=\"{link}\"")), "{link}");
    }
    // The service's people are still listed for someone who may open them.
    assert!(body.contains("People in this service"));
    assert!(!body.contains("id=\"caseload\"") && !body.contains("id=\"team\""));
}

/// A risky self-referral accepted with the demo supporter as practitioner:
/// its alert gains the person and the supporter.
/// They wait for a therapist, so they are on the waiting list.
async fn accepted_with_risk(t: &TestApp) -> (PatientId, String) {
    let p = Person::new("Rowan", "Referred", "rowan@example.org");
    let referral = t
        .fixtures()
        .self_referral(&p, &[1, 1, 1, 1, 1, 0, 0, 0, 2], &[1; 7])
        .await;
    t.fixtures().accept(&referral, Step::Therapist).await;
    let mut tx = t.app.store().read().await.unwrap();
    let episode = tx.episode_for_referral(referral.id).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    (episode.patient_id, referral.id.to_string())
}

/// The demo patients on the demo supporter's caseload, as indices into
/// `t.demo.patients`.
async fn on_caseload(t: &TestApp) -> Vec<usize> {
    let supporter = staff_id(t, "supporter").await;
    let mut tx = t.app.store().read().await.unwrap();
    let mut out = Vec::new();
    for n in 0..t.demo.patients.len() {
        let p = tx.patient(patient_id(t, n)).await.unwrap().unwrap();
        if p.supporter_id == Some(supporter) {
            out.push(n);
        }
    }
    tx.rollback().await.unwrap();
    out
}

async fn a_clinical_lead_sees_an_overdue_alert_with_its_assignee_and_the_team(t: TestApp) {
    let (patient, _) = accepted_with_risk(&t).await;
    let alert = t.open_alerts(patient).await.remove(0);
    assert_eq!(alert.assigned_to, Some(staff_id(&t, "supporter").await));
    t.clock.advance(3 * DAY);

    let lead = t.staff_client("clinical_lead").await;
    let home = lead.get("/staff").await.ok().has_crisis_panel();
    let start = home.body.find("id=\"team\"").expect("the team section");
    let team = &home.body[start..];
    let row_at = team
        .find(&format!("href=\"/alerts/{}\"", alert.id))
        .unwrap_or_else(|| panic!("the overdue alert is listed: {team}"));
    let row = &team[row_at..row_at + team[row_at..].find("</tr>").unwrap()];
    let supporter = t.staff("supporter").name.clone();
    assert!(row.contains(&supporter), "{row}");
    assert!(row.contains("overdue"), "{row}");
    assert!(team.contains("<caption>Overdue alerts, the most overdue first</caption>"));
    assert!(team.contains("href=\"/staff/team\""));
    // Each supporter's caseload, on its own page: the demo's people on it
    // and the new one, all quiet for three days only.
    let caseload_size = t
        .count(
            "SELECT COUNT(*) FROM patients WHERE supporter_id = $1",
            &staff_id(&t, "supporter").await.to_string(),
        )
        .await;
    let page = lead.get("/staff/team").await.ok().has_crisis_panel();
    let row = |body: &str| {
        let at = body
            .find(&format!("<th scope=\"row\">{supporter}</th>"))
            .unwrap_or_else(|| panic!("the supporter is listed: {body}"));
        body[at..at + body[at..].find("</tr>").unwrap()].to_string()
    };
    assert!(
        page.body
            .contains("<caption>Supporters' caseloads</caption>")
    );
    let line = row(&page.body);
    assert!(
        line.contains(&format!("<td>{caseload_size}</td><td>0</td>")),
        "{line}"
    );
    // Fourteen days on, every one of them is quiet.
    t.clock.advance(14 * DAY);
    let lead = t.staff_client("clinical_lead").await;
    let line = row(&lead.get("/staff/team").await.ok().body);
    assert!(
        line.contains(&format!(
            "<td>{caseload_size}</td><td><span class=\"tag tag-amber\">{caseload_size}</span></td>"
        )),
        "{line}"
    );
    // A supporter sees neither.
    let supporter = t.staff_client("supporter").await;
    supporter.get("/staff/team").await.status(403);
}

async fn risk_at_referral_is_marked_with_a_link_on_the_waiting_list_caseload_and_patient_page(
    t: TestApp,
) {
    let (patient, referral) = accepted_with_risk(&t).await;
    let link = format!("href=\"/staff/referrals/{referral}\"");
    let record = format!("/staff/patients/{patient}");

    let triage = t.staff_client("triage_clinician").await;
    let waiting = triage.get("/staff/waiting").await.ok();
    let row_at = waiting.body.find("Rowan Referred").expect("on the list");
    let row = &waiting.body[row_at..row_at + waiting.body[row_at..].find("</tr>").unwrap()];
    assert!(
        row.contains("Risk at referral") && row.contains(&link),
        "{row}"
    );
    let page = triage.get(&record).await.ok();
    assert!(page.body.contains("id=\"risk-at-referral\""));
    assert!(page.body.contains(&link), "{}", page.body);
    let home = triage.get("/staff").await.ok();
    assert!(home.body.contains(&link), "the service's list links it");

    // The supporter sees the mark; the referral is not theirs to read.
    let supporter = t.staff_client("supporter").await;
    let home = supporter.get("/staff").await.ok();
    let list = caseload(&home.body);
    let row_at = list.find("Rowan Referred").expect("on the caseload");
    let row = &list[row_at..row_at + list[row_at..].find("</tr>").unwrap()];
    assert!(
        row.contains("Risk at referral") && !row.contains(&link),
        "{row}"
    );
    let first = on_caseload(&t).await[0];
    let at = positions(list, &["Rowan Referred", &name(&t, first)]);
    assert!(at[0] < at[1], "risk comes first: {list}");
    let page = supporter.get(&record).await.ok();
    assert!(page.body.contains("id=\"risk-at-referral\"") && !page.body.contains(&link));

    // A supporter who also triages follows it from the caseload.
    t.fixtures()
        .grant("supporter", "demo", Role::TriageClinician)
        .await;
    let home = supporter.get("/staff").await.ok();
    assert!(caseload(&home.body).contains(&link));
    assert!(
        home.body.contains("id=\"front-door\""),
        "each part that applies"
    );
}

async fn fifty_people_on_a_caseload_render_in_one_request(t: TestApp) {
    let supporter = staff_id(&t, "supporter").await;
    let mut tx = t.app.store().begin().await.unwrap();
    let demo = tx.service_by_slug("demo").await.unwrap().unwrap().id;
    for i in 0..50u8 {
        let p = Patient {
            id: PatientId::random(),
            service_id: demo,
            given_name: PersonName::parse(&format!(
                "P{}{}",
                char::from(b'a' + i / 26),
                char::from(b'a' + i % 26)
            ))
            .unwrap(),
            family_name: PersonName::parse("Many").unwrap(),
            date_of_birth: DateOfBirth::from_stored("1990-01-01".parse().unwrap()),
            email: None,
            phone: None,
            supporter_id: Some(supporter),
            created_at: t.app.clock().now(),
            programme_supporters: Vec::new(),
        };
        tx.insert_patient(&p, None).await.unwrap();
    }
    tx.commit().await.unwrap();
    let first = on_caseload(&t).await[0];
    crate::alerts::phq9(&t, first, 1, "risk").await;
    t.clock.advance(DAY);
    let c = t.staff_client("supporter").await;
    #[allow(clippy::disallowed_methods, reason = "a test's own duration")]
    let started = std::time::Instant::now();
    let home = c.get("/staff").await.ok();
    let took = started.elapsed();
    let list = caseload(&home.body);
    assert_eq!(list.matches("Many</").count(), 50, "{list}");
    let at = positions(list, &[&name(&t, first), "Paa Many"]);
    assert!(at[0] < at[1], "the alert first");
    assert!(
        took < Duration::from_secs(5),
        "one request for 50 people took {took:?}"
    );
}

async fn someone_on_a_programme_the_supporter_supports_is_on_their_caseload(t: TestApp) {
    let mine = on_caseload(&t).await;
    let other = (0..t.demo.patients.len())
        .find(|n| !mine.contains(n))
        .expect("someone with another supporter");
    let own = mine[0];
    let triage = t.fixtures().staff_actor("triage_clinician").await;
    let supporter = staff_id(&t, "supporter").await;
    for n in [other, own] {
        t.app
            .enrolments()
            .enrol(
                &triage,
                patient_id(&t, n),
                "low-mood",
                Some(supporter),
                &ctx(),
            )
            .await
            .unwrap();
    }
    let c = t.staff_client("supporter").await;
    let home = c.get("/staff").await.ok();
    let list = caseload(&home.body);
    let row_at = list.find(&name(&t, other)).expect("on the caseload");
    let row = &list[row_at..row_at + list[row_at..].find("</tr>").unwrap()];
    assert!(
        row.contains("0 of ") && row.contains("modules done"),
        "{row}"
    );
    // Guiding the programme, they open the record and can review it.
    let record = format!("/staff/patients/{}", patient_id(&t, other));
    assert!(list.contains(&record), "{list}");
    let page = c.get(&record).await.ok();
    assert!(page.body.contains(&name(&t, other)));
    // Once the programme is finished (or for staff who guide nothing
    // for them), the record is not theirs to open.
    let third = (0..t.demo.patients.len())
        .find(|n| !mine.contains(n) && *n != other)
        .expect("a third person");
    c.get(&format!("/staff/patients/{}", patient_id(&t, third)))
        .await
        .status(404);
    let row_at = list.find(&name(&t, own)).unwrap();
    let row = &list[row_at..row_at + list[row_at..].find("</tr>").unwrap()];
    assert!(row.contains("modules done"), "{row}");
    assert_eq!(list.matches(&name(&t, own)).count(), 1, "listed once");
}

async fn an_overdue_review_shows_and_moves_the_person_above_the_quiet(t: TestApp) {
    let mine = on_caseload(&t).await;
    // The quiet person comes first by name (family, then given), so only
    // the review can put the enrolled one above them.
    let mut tx = t.app.store().read().await.unwrap();
    let mut by_name = Vec::new();
    for n in [mine[0], mine[1]] {
        let p = tx.patient(patient_id(&t, n)).await.unwrap().unwrap();
        by_name.push((p.family_name.to_string(), p.given_name.to_string(), n));
    }
    tx.rollback().await.unwrap();
    by_name.sort();
    let (quiet, enrolled) = (by_name[0].2, by_name[1].2);
    let triage = t.fixtures().staff_actor("triage_clinician").await;
    let supporter = staff_id(&t, "supporter").await;
    t.app
        .enrolments()
        .enrol(
            &triage,
            patient_id(&t, enrolled),
            "low-mood",
            Some(supporter),
            &ctx(),
        )
        .await
        .unwrap();
    let row_of = |list: &str, who: &str| {
        let at = list.find(who).expect("on the caseload");
        list[at..at + list[at..].find("</tr>").unwrap()].to_string()
    };
    // Due in 14 days: shown, and not yet a reason to come first.
    let home = t.staff_client("supporter").await.get("/staff").await.ok();
    let row = row_of(caseload(&home.body), &name(&t, enrolled));
    assert!(row.contains("<td>Due "), "{row}");
    assert!(!row.contains("Overdue"), "{row}");
    // Fifteen days on nobody has been active; the review is overdue, and the
    // person waiting for it comes before someone who is only quiet.
    t.clock.advance(15 * DAY);
    let home = t.staff_client("supporter").await.get("/staff").await.ok();
    let list = caseload(&home.body);
    let row = row_of(list, &name(&t, enrolled));
    assert!(row.contains("Overdue</span> since"), "{row}");
    let at = positions(list, &[&name(&t, enrolled), &name(&t, quiet)]);
    assert!(at[0] < at[1], "{list}");
    assert!(row_of(list, &name(&t, quiet)).contains("None due"));
}

/// Raises `n` moderate alerts about demo patient 0, each of its own kind
/// (so none merges into another), due in an hour.
async fn raise_alerts(t: &TestApp, n: usize, tag: &str) {
    let now = t.app.clock().now();
    let service = crate::hardening::demo_service(t).await;
    let mut tx = t.app.store().begin().await.unwrap();
    for i in 0..n {
        let key = format!("test-{tag}-{i}");
        tx.raise_alert(&bothy_store::NewAlert {
            id: bothy_domain::ids::AlertId::random(),
            subject: bothy_store::AlertSubject::Patient(patient_id(t, 0)),
            service_id: service,
            cause: bothy_domain::detectors::Cause::MoodDrop,
            dedupe_key: &key,
            severity: bothy_domain::alerts::Severity::Moderate,
            summary: "A test alert",
            source_kind: "test",
            source_id: &key,
            assigned_to: None,
            raised_at: now,
            deadline: now.checked_add(Duration::from_secs(3600)).unwrap(),
        })
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// The lead's home lists the 50 most overdue alerts and says how many
/// there are in all, whether the list holds them all or not.
async fn a_clinical_lead_sees_how_many_alerts_are_overdue_beyond_those_listed(t: TestApp) {
    let open = "SELECT COUNT(*) FROM alerts WHERE service_id = $1 AND closed_at IS NULL";
    let listed = |body: &str| body.matches("href=\"/alerts/").count();
    raise_alerts(&t, 2, "few").await;
    // A week on, every open alert is past its deadline.
    t.clock.advance(7 * DAY);
    let service = crate::hardening::demo_service(&t).await.to_string();
    let few = t.count(open, &service).await;
    assert!(few < 50, "the demo holds {few} open alerts");
    let lead = t.staff_client("clinical_lead").await;
    let home = lead.get("/staff").await.ok();
    assert!(
        home.body
            .contains(&format!("{few} alerts are past their deadline. ")),
        "{}",
        home.body
    );
    let team = &home.body[home.body.find("id=\"team\"").expect("the team section")..];
    assert_eq!(listed(team), few as usize);

    raise_alerts(&t, 60, "many").await;
    t.clock.advance(7 * DAY);
    let many = t.count(open, &service).await;
    assert!(many > 50);
    // Signed in again: a week idle ended the session.
    let lead = t.staff_client("clinical_lead").await;
    let home = lead.get("/staff").await.ok();
    assert!(
        home.body.contains(&format!(
            "{many} alerts are past their deadline; the most overdue are listed."
        )),
        "{}",
        home.body
    );
    let team = &home.body[home.body.find("id=\"team\"").unwrap()..];
    assert_eq!(listed(team), bothy_app::records::OVERDUE_SHOWN as usize);
}

/// Behind a backlog, the front door's counts say "1,000 or more" (they stop
/// at bothy_store's cap, so the home costs the same whatever the backlog),
/// and the queue still opens with its first page.
async fn a_triage_clinicians_counts_stop_at_a_thousand(t: TestApp) {
    use bothy_domain::ids::ReferralId;
    use bothy_domain::referral::{Details, Referral, Source, Status};
    let service = crate::hardening::demo_service(&t).await;
    let now = t.app.clock().now();
    let referrals = (0..1_000)
        .map(|_| Referral {
            risk: true,
            ..Referral::new(
                ReferralId::random(),
                service,
                (Status::Received, Source::SelfReferral),
                Details::default(),
                now,
            )
        })
        .collect();
    let mut tx = t.app.store().begin().await.unwrap();
    tx.insert_batch(&bothy_store::Batch {
        referrals,
        ..Default::default()
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let triage = t.staff_client("triage_clinician").await;
    let home = triage.get("/staff").await.ok();
    for id in ["count-referrals", "count-referrals-risk"] {
        assert!(
            home.body.contains(&format!("id=\"{id}\">1,000 or more<")),
            "{id}: {}",
            home.body
        );
    }
    let queue = triage.get("/staff/triage").await.ok();
    assert!(queue.body.contains("<table"), "{}", queue.body);
}
