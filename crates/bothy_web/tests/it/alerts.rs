//! Alerts end to end: raised with the data that triggered them, deduplicated,
//! due by the service's opening hours, worked from the duty queue, closed
//! with an outcome, escalated when overdue, and what the person sees.

use crate::helpers::{Client, TestApp};
use crate::{both_dbs, both_dbs_service};
use bothy_app::RequestContext;
use bothy_app::measures::Submission;
use bothy_app::policy::{Actor, PatientActor};
use bothy_domain::alerts::{AlertState, Severity};
use bothy_domain::detectors::Cause;
use bothy_domain::model::{Alert, ResponseSource};
use bothy_domain::time::Timestamp;
use std::time::Duration;

both_dbs!(
    a_risk_answer_raises_one_alert_that_is_worked_and_closed_from_the_queue,
    repeated_signals_join_the_open_alert_and_raise_its_severity,
    deadlines_follow_opening_hours_across_the_weekend,
    an_overdue_alert_escalates_once_to_the_lead_and_the_duty_phone,
    many_alerts_overdue_at_once_reach_each_lead_in_a_few_messages,
    check_in_notes_and_mood_drops_raise_alerts_and_everyday_words_do_not,
    out_of_hours_the_person_is_told_nobody_is_watching,
    a_failing_history_detector_keeps_the_submission_and_retries,
    the_alert_load_counts_raised_acknowledged_and_overdue,
    the_duty_queue_names_people_not_yet_accepted_and_who_has_each_alert,
);

fn ctx() -> RequestContext {
    RequestContext::default()
}

pub(crate) async fn patient_actor(t: &TestApp, n: usize) -> (Actor, bothy_domain::PatientId) {
    let id: bothy_domain::PatientId = t.demo.patients[n].id.parse().unwrap();
    let mut tx = t.app.store().read().await.unwrap();
    let p = tx.patient(id).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    let actor = Actor::Patient(PatientActor {
        id,
        service_id: p.service_id,
        name: p.full_name(),
    });
    (actor, id)
}

/// Sends a measure form as the patient's browser would.
async fn submit_form(c: &Client, instrument: &str, values: &[i32]) -> crate::helpers::Resp {
    let form = c.get(&format!("/measures/{instrument}")).await.ok();
    let key = form.field("key");
    let mut fields: Vec<(String, String)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("item-{}", i + 1), v.to_string()))
        .collect();
    fields.push(("key".into(), key));
    fields.push(("action".into(), "submit".into()));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form(&format!("/measures/{instrument}"), &pairs)
        .await
}

/// Stores a PHQ-9 for demo patient `n` with every item 0 but item 9.
pub(crate) async fn phq9(t: &TestApp, n: usize, item9: i32, key: &str) {
    let (actor, id) = patient_actor(t, n).await;
    let mut answers = vec![Some(0); 9];
    answers[8] = Some(item9);
    let sub = Submission {
        instrument_id: "phq9".into(),
        version: None,
        answers,
        idempotency_key: key.into(),
        source: ResponseSource::Web,
    };
    t.app
        .measures()
        .submit(&actor, id, sub, &ctx())
        .await
        .unwrap();
}

async fn only_alert(t: &TestApp, n: usize) -> Alert {
    let alerts = t.open_alerts(t.demo.patients[n].id.parse().unwrap()).await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    alerts.into_iter().next().unwrap()
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

async fn audit_actions(t: &TestApp) -> Vec<String> {
    let mut tx = t.app.store().read().await.unwrap();
    let events = tx.recent_audit_events(10_000).await.unwrap();
    tx.rollback().await.unwrap();
    events.into_iter().map(|e| e.record.action).collect()
}

async fn a_risk_answer_raises_one_alert_that_is_worked_and_closed_from_the_queue(t: TestApp) {
    phq9(&t, 0, 1, "k1").await;
    let alert = only_alert(&t, 0).await;
    assert_eq!(alert.cause, Cause::RiskItem);
    assert_eq!(alert.severity, Severity::High, "several days is high");
    // Tuesday 10:00 plus four working hours.
    assert_eq!(alert.deadline, at("2026-11-17T14:00:00Z"));
    assert_eq!(alert.source_kind, "measure_response");

    let duty = t.staff_client("triage_clinician").await;
    let queue = duty.get("/alerts").await.ok();
    assert!(
        queue.body.contains(&format!("/alerts/{}", alert.id)),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("Risk answer") && queue.body.contains("due in 4 hours"));

    let page = duty.get(&format!("/alerts/{}", alert.id)).await.ok();
    assert!(page.body.contains("PHQ-9 item 9 answered"));
    let path = format!("/alerts/{}/acknowledge", alert.id);
    duty.post_form(&path, &[])
        .await
        .redirects_to(&format!("/alerts/{}", alert.id));
    // A second clinician is told who has it.
    let lead = t.staff_client("clinical_lead").await;
    lead.get(&format!("/alerts/{}", alert.id)).await.ok();
    let clash = lead.post_form(&path, &[]).await.status(409);
    assert!(
        clash.body.contains("is already dealing with this alert"),
        "{}",
        clash.body
    );

    // Closing needs an outcome, and "no action needed" needs a reason.
    let close = format!("/alerts/{}/close", alert.id);
    let r = duty.post_form(&close, &[]).await.status(422);
    assert!(r.body.contains("Choose what was done"));
    let r = duty
        .post_form(&close, &[("outcome", "no_action_needed"), ("reason", "  ")])
        .await
        .status(422);
    assert!(r.body.contains("Say why no action is needed"));
    let r = duty
        .post_form(&close, &[("outcome", "teleport")])
        .await
        .status(422);
    assert!(r.body.contains("Choose one of the outcomes listed"));
    duty.post_form(&close, &[("outcome", "contacted_person")])
        .await
        .redirects_to(&format!("/alerts/{}", alert.id));
    assert!(t.open_alerts(alert.patient_id.unwrap()).await.is_empty());
    let queue = duty.get("/alerts").await.ok();
    assert!(queue.body.contains("No open alerts"));
    let page = duty.get(&format!("/alerts/{}", alert.id)).await.ok();
    assert!(page.body.contains("Contacted the person"), "{}", page.body);
    // The first outcome stands.
    let again = duty
        .post_form(&close, &[("outcome", "appointment_offered")])
        .await
        .status(409);
    assert!(again.body.contains("has already closed this alert"));

    let actions = audit_actions(&t).await;
    for a in [
        "alert.raised",
        "alert_queue.read",
        "alert.read",
        "alert.acknowledged",
        "alert.closed",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} not audited: {actions:?}"
        );
    }
}

async fn repeated_signals_join_the_open_alert_and_raise_its_severity(t: TestApp) {
    phq9(&t, 0, 1, "k1").await;
    t.clock.advance(Duration::from_secs(600));
    phq9(&t, 0, 3, "k2").await;
    let alert = only_alert(&t, 0).await;
    assert_eq!(alert.signal_count, 2);
    assert_eq!(
        alert.severity,
        Severity::Urgent,
        "nearly every day is urgent"
    );
    // Urgent: 30 minutes from the second signal, earlier than the first deadline.
    assert_eq!(alert.deadline, at("2026-11-17T10:40:00Z"));
    // The same form sent again adds nothing.
    phq9(&t, 0, 3, "k2").await;
    assert_eq!(only_alert(&t, 0).await.signal_count, 2);
    // Another patient's signal is theirs alone.
    phq9(&t, 2, 1, "k3").await;
    assert_eq!(only_alert(&t, 2).await.signal_count, 1);

    // Once closed, a new signal opens a new alert.
    let lead = t.staff_client("clinical_lead").await;
    lead.get(&format!("/alerts/{}", alert.id)).await.ok();
    lead.post_form(
        &format!("/alerts/{}/close", alert.id),
        &[
            ("outcome", "no_action_needed"),
            ("reason", "Discussed at review"),
        ],
    )
    .await
    .redirects_to(&format!("/alerts/{}", alert.id));
    phq9(&t, 0, 1, "k4").await;
    let fresh = only_alert(&t, 0).await;
    assert_ne!(fresh.id, alert.id);
    assert_eq!(fresh.signal_count, 1);
}

async fn deadlines_follow_opening_hours_across_the_weekend(t: TestApp) {
    // Friday 16:00 London (GMT in November): one working hour left that day.
    t.clock.set(at("2026-11-20T16:00:00Z"));
    phq9(&t, 0, 1, "fri").await;
    assert_eq!(
        only_alert(&t, 0).await.deadline,
        at("2026-11-23T12:00:00Z"),
        "high: 1 hour on Friday and 3 on Monday"
    );
    // Saturday: urgent is 30 minutes after Monday's opening.
    t.clock.set(at("2026-11-21T13:00:00Z"));
    phq9(&t, 2, 3, "sat").await;
    assert_eq!(only_alert(&t, 2).await.deadline, at("2026-11-23T09:30:00Z"));
    // Urgent in hours counts elapsed time, even past closing.
    t.clock.set(at("2026-11-23T16:50:00Z"));
    phq9(&t, 4, 3, "mon").await;
    assert_eq!(only_alert(&t, 4).await.deadline, at("2026-11-23T17:20:00Z"));
}

async fn an_overdue_alert_escalates_once_to_the_lead_and_the_duty_phone(t: TestApp) {
    phq9(&t, 0, 3, "k1").await;
    let alert = only_alert(&t, 0).await;
    t.drain_jobs().await;
    assert!(t.outbox.sent().is_empty(), "nothing before the deadline");
    // Acknowledged is not enough: the deadline is for closing.
    let duty = t.staff_client("triage_clinician").await;
    duty.get(&format!("/alerts/{}", alert.id)).await.ok();
    duty.post_form(&format!("/alerts/{}/acknowledge", alert.id), &[])
        .await
        .redirects_to(&format!("/alerts/{}", alert.id));
    t.clock.advance(Duration::from_secs(31 * 60));
    let report = t.drain_jobs().await;
    assert_eq!(report.alerts_escalated, 1);
    let sent = t.outbox.sent();
    let lead = &t.staff("clinical_lead").email;
    let to_lead: Vec<_> = sent.iter().filter(|m| &m.to == lead).collect();
    assert_eq!(to_lead.len(), 1, "{sent:#?}");
    assert!(to_lead[0].body.contains(&format!("/alerts/{}", alert.id)));
    let to_phone: Vec<_> = sent
        .iter()
        .filter(|m| m.to.replace(' ', "").ends_with("7700900123"))
        .collect();
    assert_eq!(to_phone.len(), 1, "the second channel: {sent:#?}");
    assert!(to_phone[0].subject.is_none(), "a text message");
    // No patient data travels in the message.
    assert!(
        !to_lead[0].body.contains(&t.demo.patients[0].name),
        "{}",
        to_lead[0].body
    );
    let escalated = only_alert(&t, 0).await;
    assert!(escalated.escalated_at.is_some());
    assert!(matches!(escalated.state, AlertState::Acknowledged { .. }));
    // A rerun escalates nothing twice.
    t.clock.advance(Duration::from_secs(3600));
    assert_eq!(t.drain_jobs().await.alerts_escalated, 0);
    assert_eq!(t.outbox.sent().len(), sent.len());
    let duty = t.staff_client("triage_clinician").await;
    let queue = duty.get("/alerts").await.ok();
    assert!(queue.body.contains("Escalated") && queue.body.contains("overdue"));
    assert!(
        audit_actions(&t)
            .await
            .iter()
            .any(|a| a == "alert.escalated")
    );
}

/// After an outage many alerts fall due together: each lead hears of the
/// first few one by one and of the rest in one message to the queue, not
/// one message per alert.
async fn many_alerts_overdue_at_once_reach_each_lead_in_a_few_messages(t: TestApp) {
    for n in 0..7 {
        phq9(&t, n, 3, &format!("many-{n}")).await;
    }
    t.drain_jobs().await;
    t.outbox.clear();
    t.clock.advance(Duration::from_secs(31 * 60));
    let report = t.drain_jobs().await;
    assert_eq!(report.alerts_escalated, 7);
    let sent = t.outbox.sent();
    let lead = &t.staff("clinical_lead").email;
    let to_lead: Vec<_> = sent.iter().filter(|m| &m.to == lead).collect();
    let limit = bothy_app::evaluation::ESCALATION_DIGEST_FROM;
    assert_eq!(to_lead.len(), limit, "{to_lead:#?}");
    let digests: Vec<_> = to_lead
        .iter()
        .filter(|m| {
            m.body
                .contains("Several tasks in your service are past their deadline")
        })
        .collect();
    assert_eq!(digests.len(), 1, "{to_lead:#?}");
    // The digest points to the queue, not to one alert.
    assert!(
        digests[0].body.contains("/alerts\n") && !digests[0].body.contains("/alerts/"),
        "{}",
        digests[0].body
    );
    let to_phone = sent
        .iter()
        .filter(|m| m.to.replace(' ', "").ends_with("7700900123"))
        .count();
    assert_eq!(to_phone, limit, "the duty phone likewise");
    // Every alert is escalated, and none again.
    t.clock.advance(Duration::from_secs(3600));
    assert_eq!(t.drain_jobs().await.alerts_escalated, 0);
}

async fn check_in(c: &Client, mood: &str, note: &str) -> crate::helpers::Resp {
    let form = c.get("/check-in").await.ok();
    let key = form.field("key");
    c.post_form(
        "/check-in",
        &[("mood", mood), ("note", note), ("key", &key)],
    )
    .await
}

async fn check_in_notes_and_mood_drops_raise_alerts_and_everyday_words_do_not(t: TestApp) {
    let pid = t.demo.patients[0].id.parse().unwrap();
    assert!(
        !t.app
            .check_ins()
            .note_has_risk(Some("I would never hurt myself")),
        "direct"
    );
    for note in [
        "This job is killing me",
        "I would never hurt myself",
        "Dead tired after work",
        "Killing time before the bus",
    ] {
        let c = t.patient_client(0).await;
        let r = check_in(&c, "6", note).await;
        assert_eq!(r.location(), Some("/check-ins?saved=1"), "{note}");
        let page = c.get(r.location().unwrap()).await.ok();
        assert!(!page.body.contains("Please get help now"), "{note}");
        t.clock.advance(Duration::from_secs(3600 * 24));
    }
    assert!(
        t.open_alerts(pid).await.is_empty(),
        "everyday phrases raise nothing"
    );
    // Monday morning, in hours.
    t.clock.set(at("2026-11-23T11:00:00Z"));
    let c = t.patient_client(0).await;
    check_in(&c, "6", "I want to kill myself tonight")
        .await
        .redirects_to("/check-ins?saved=1&risk=1");
    let page = c
        .get("/check-ins?saved=1&risk=1")
        .await
        .ok()
        .has_crisis_panel();
    assert!(page.body.contains("Please get help now"));
    assert!(
        page.body.contains("Your care team will see this today"),
        "Monday in hours"
    );
    let alerts = t.open_alerts(pid).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].cause, Cause::RiskyText);
    assert_eq!(
        alerts[0].severity,
        Severity::Urgent,
        "a plan word raises it"
    );
    assert!(
        !alerts[0].summary.contains("I want"),
        "only the lexicon's words are quoted, never the person's: {}",
        alerts[0].summary
    );

    // A sharp drop after a steady run.
    let (actor, _) = patient_actor(&t, 0).await;
    for (day, mood) in [7, 7, 6, 7, 7, 7, 1].into_iter().enumerate() {
        t.clock.advance(Duration::from_secs(3600 * 24));
        let input = bothy_app::check_ins::CheckInInput {
            mood: mood.to_string(),
            idempotency_key: format!("day-{day}"),
            ..Default::default()
        };
        t.app
            .check_ins()
            .record(&actor, input, &ctx())
            .await
            .unwrap();
    }
    let alerts = t.open_alerts(pid).await;
    assert!(
        alerts
            .iter()
            .any(|a| a.cause == Cause::MoodDrop && a.severity == Severity::Moderate),
        "{alerts:#?}"
    );
}

async fn out_of_hours_the_person_is_told_nobody_is_watching(t: TestApp) {
    t.clock.set(at("2026-11-21T22:00:00Z"));
    let c = t.patient_client(0).await;
    let r = submit_form(&c, "phq9", &[0, 0, 0, 0, 0, 0, 0, 0, 2]).await;
    let page = c.get(r.location().unwrap()).await.ok().has_crisis_panel();
    assert!(page.body.contains("Please get help now"));
    assert!(
        page.body.contains("Nobody is watching right now"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("Write your safety plan"),
        "no plan yet: an invitation"
    );
    // With a plan, the plan itself is shown.
    let form = c.get("/safety-plan/edit").await.ok();
    assert_eq!(form.status, 200);
    c.post_form(
        "/safety-plan/edit",
        &[("coping_strategies", "Walk the dog on the beach")],
    )
    .await;
    let page = c.get(r.location().unwrap()).await.ok();
    assert!(
        page.body.contains("Walk the dog on the beach"),
        "{}",
        page.body
    );
}

async fn a_failing_history_detector_keeps_the_submission_and_retries(t: TestApp) {
    let (actor, pid) = patient_actor(&t, 0).await;
    phq9(&t, 0, 0, "earlier").await;
    t.clock.advance(Duration::from_secs(7 * 86_400));
    // Make raising the history detectors' alerts fail, as a fault would.
    let (break_it, repair) = match t.db {
        crate::helpers::Db::Sqlite => (
            "CREATE TRIGGER refuse_history BEFORE INSERT ON alerts \
             WHEN NEW.cause <> 'risk_item' BEGIN SELECT RAISE(ABORT, 'refused'); END;",
            "DROP TRIGGER refuse_history;",
        ),
        crate::helpers::Db::Postgres => (
            "CREATE FUNCTION refuse_history() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN IF NEW.cause <> 'risk_item' THEN RAISE EXCEPTION 'refused'; END IF; \
             RETURN NEW; END $$; \
             CREATE TRIGGER refuse_history BEFORE INSERT ON alerts \
             FOR EACH ROW EXECUTE FUNCTION refuse_history();",
            "DROP TRIGGER refuse_history ON alerts; DROP FUNCTION refuse_history();",
        ),
    };
    t.raw_sql(break_it).await;
    let mut answers = vec![Some(3); 9];
    answers[8] = Some(1);
    let sub = Submission {
        instrument_id: "phq9".into(),
        version: None,
        answers,
        idempotency_key: "later".into(),
        source: ResponseSource::Web,
    };
    let done = t
        .app
        .measures()
        .submit(&actor, pid, sub, &ctx())
        .await
        .unwrap();
    // The submission and its risk alert are kept; the rest waits for a retry.
    let alerts = t.open_alerts(pid).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].cause, Cause::RiskItem);
    let key = format!("reevaluate.measure_response.{}", done.response.id);
    assert!(t.job(&key).await.is_some(), "a re-evaluation is queued");
    // Repaired, the retry runs the history detectors.
    t.raw_sql(repair).await;
    t.drain_jobs().await;
    let alerts = t.open_alerts(pid).await;
    assert!(
        alerts
            .iter()
            .any(|a| a.cause == Cause::ReliableDeterioration),
        "0 to 28 is a reliable deterioration: {alerts:#?}"
    );
}

async fn the_alert_load_counts_raised_acknowledged_and_overdue(t: TestApp) {
    phq9(&t, 0, 1, "a").await;
    phq9(&t, 2, 1, "b").await;
    let first = only_alert(&t, 0).await;
    t.clock.advance(Duration::from_secs(20 * 60));
    let duty = t.staff_client("triage_clinician").await;
    duty.get(&format!("/alerts/{}", first.id)).await.ok();
    duty.post_form(&format!("/alerts/{}/acknowledge", first.id), &[])
        .await
        .redirects_to(&format!("/alerts/{}", first.id));
    t.clock.advance(Duration::from_secs(5 * 3600));
    let lead = t.staff_client("clinical_lead").await;
    let page = lead.get("/alerts/load").await.ok();
    let whole = page
        .body
        .split("Whole service</th>")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    let cells: Vec<&str> = whole
        .split("<td>")
        .skip(1)
        .map(|c| c.split("</td>").next().unwrap())
        .collect();
    assert_eq!(cells[0], "2", "raised: {whole}");
    assert_eq!(cells[1], "1", "not acknowledged: {whole}");
    assert_eq!(cells[2], "20 min", "median: {whole}");
    assert_eq!(cells[4], "2", "both overdue now: {whole}");
    assert!(cells[5].contains("Risk answer (2)"), "{whole}");
    // Aggregates only: no patient is named.
    assert!(!page.body.contains(&t.demo.patients[0].name));
    // The duty clinician cannot see it; the analyst can.
    let duty = t.staff_client("triage_clinician").await;
    duty.get("/alerts/load").await.status(403);
    t.staff_client("analyst")
        .await
        .get("/alerts/load")
        .await
        .ok();
}

both_dbs_service!(
    duty_email_too;
    an_escalation_text_not_reported_delivered_in_5_minutes_goes_to_the_duty_email,
);

/// A duty email beside the demo's duty phone (this follows its
/// `[escalation]` line in the demo's settings).
fn duty_email_too() -> &'static str {
    "duty_email = \"duty-team@example.org\"\n"
}

async fn an_escalation_text_not_reported_delivered_in_5_minutes_goes_to_the_duty_email(t: TestApp) {
    let to_duty = |t: &TestApp| {
        t.outbox
            .sent()
            .into_iter()
            .filter(|m| m.to == "duty-team@example.org")
            .count()
    };
    // A delivery report within the 5 minutes: nothing more.
    phq9(&t, 0, 3, "f1").await;
    t.clock.advance(Duration::from_secs(31 * 60));
    run_worker(&t).await;
    let text = t
        .outbox
        .sent()
        .into_iter()
        .find(|m| m.to.ends_with("7700900123"))
        .expect("the duty phone's text");
    t.app
        .sms()
        .delivery_report(
            text.idempotency_key.as_str(),
            bothy_app::sms::DeliveryStatus::Delivered,
        )
        .await
        .unwrap();
    t.clock.advance(Duration::from_secs(4 * 60));
    run_worker(&t).await;
    assert_eq!(to_duty(&t), 0, "not before 5 minutes");
    t.clock.advance(Duration::from_secs(2 * 60));
    run_worker(&t).await;
    assert_eq!(to_duty(&t), 0, "delivered: no fallback");
    // No report (or a failure) in 5 minutes: the duty email as well, once.
    phq9(&t, 2, 3, "f2").await;
    t.clock.advance(Duration::from_secs(31 * 60));
    run_worker(&t).await;
    assert_eq!(to_duty(&t), 0);
    t.clock.advance(Duration::from_secs(5 * 60));
    run_worker(&t).await;
    assert_eq!(to_duty(&t), 1);
    t.clock.advance(Duration::from_secs(3600));
    run_worker(&t).await;
    assert_eq!(to_duty(&t), 1);
}

/// Runs the worker a few times; unlike `drain_jobs`, a job due later (the
/// fallback's check) may stay queued.
async fn run_worker(t: &TestApp) {
    for _ in 0..3 {
        bothy_jobs::run_once(&t.app).await.unwrap();
    }
}

/// Alerts on referrals nobody has accepted yet name the person from their
/// referral; every alert names who is dealing with it; a second clinician
/// is told who. The queue reads them in a statement each, not one a row.
async fn the_duty_queue_names_people_not_yet_accepted_and_who_has_each_alert(t: TestApp) {
    use bothy_testkit::Person;
    // Item 9 answered "more than half the days": a risk alert on the referral.
    let risky = [1, 1, 1, 1, 1, 0, 0, 0, 2];
    let people = [
        ("Aoife", "Brennan"),
        ("Ruaridh", "Campbell"),
        ("Morag", "Dunn"),
    ];
    let mut referrals = Vec::new();
    for (given, family) in people {
        let email = format!("{}@example.org", given.to_lowercase());
        let p = Person::new(given, family, &email);
        referrals.push(t.fixtures().self_referral(&p, &risky, &[1; 7]).await);
    }
    let mut tx = t.app.store().read().await.unwrap();
    let mut alerts = Vec::new();
    for r in &referrals {
        let raised = tx.referral_alerts(r.id).await.unwrap();
        assert_eq!(raised.len(), 1, "{raised:?}");
        assert_eq!(raised[0].patient_id, None);
        alerts.push(raised[0].id);
    }
    tx.rollback().await.unwrap();

    let duty = t.staff_client("triage_clinician").await;
    let ack = format!("/alerts/{}/acknowledge", alerts[1]);
    duty.post_form(&ack, &[]).await;
    let lead = t.staff_client("clinical_lead").await;
    let queue = lead.get("/alerts").await.ok();
    for (given, family) in people {
        let name = format!("{given} {family} (referral)");
        assert!(queue.body.contains(&name), "{name} missing: {}", queue.body);
    }
    let duty_name = &t.staff("triage_clinician").name;
    assert_eq!(
        queue.body.matches(duty_name.as_str()).count(),
        1,
        "one alert is acknowledged by {duty_name}: {}",
        queue.body
    );
    let clash = lead.post_form(&ack, &[]).await.status(409);
    assert!(
        clash
            .body
            .contains(&format!("{duty_name} is already dealing with this alert")),
        "{}",
        clash.body
    );
}
