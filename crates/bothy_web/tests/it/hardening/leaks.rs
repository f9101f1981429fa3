//! No free text reaches a log line, a metric or a message (issue 12, item
//! 6). A canary, `Kanaryx` and the field's name, goes into every field a
//! person or a referrer types into: the self-referral's steps, the
//! professional referral form, a FHIR ServiceRequest (note, names, email),
//! a check-in note (with risk words, so an alert is raised), the safety
//! plan, and a refused form. Then the canary must be in no log line (every
//! level, TRACE included), nowhere in `/metrics`, and in no message's
//! subject or body (an email address is, rightly, the message's recipient).
//!
//! Current-thread runtime: every task the app spawns runs on this thread,
//! under the capturing subscriber; the test checks it captured each
//! submission's request line, so that an empty capture cannot pass.

use crate::helpers::{Client, Db, TestApp};
use axum::body::Body;
use axum::http::{Request, header};
use bothy_domain::role::ApiPermission;
use bothy_web::WebSettings;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CANARY: &str = "kanaryx";
const TOKEN: &str = "a-scraper-token-for-the-leak-test";

fn canary(field: &str) -> String {
    format!("Kanaryx{}", field.replace(['_', '-'], ""))
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test]
async fn sqlite() {
    no_free_text_leaks(Db::Sqlite).await;
}

#[tokio::test]
#[cfg_attr(
    bothy_no_postgres,
    ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set"
)]
async fn postgres() {
    no_free_text_leaks(Db::Postgres).await;
}

async fn no_free_text_leaks(db: Db) {
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .finish();
    let _second = super::second_dispatch();
    let _guard = tracing::subscriber::set_default(subscriber);
    let Some(mut t) = TestApp::new(db).await else {
        return;
    };
    // One router for every request, so its metrics count them all.
    t.router = bothy_web::router(
        t.app.clone(),
        WebSettings {
            metrics_token: Some(TOKEN.into()),
            ..WebSettings::default()
        },
    );
    self_referral(&t).await;
    professional_referral(&t).await;
    fhir_referral(&t).await;
    let patient = t.patient_client(0).await;
    check_in_and_safety_plan(&patient).await;
    t.drain_jobs().await;

    // The canaries went in: the triage queue shows the names.
    let triage = t.staff_client("triage_clinician").await;
    let queue = triage.get("/staff/triage").await.ok().body;
    for field in ["self_given", "prof_given", "fhir_given"] {
        assert!(
            queue.contains(&canary(field)),
            "{field} not stored:\n{queue}"
        );
    }
    let metrics = t
        .client()
        .get_with("/metrics", &[("authorization", &format!("Bearer {TOKEN}"))])
        .await
        .ok()
        .body;
    let messages = t.outbox.sent();
    let text = String::from_utf8_lossy(&log.0.lock().unwrap()).to_lowercase();

    // The capture sees what the server logs: each submission's request line.
    for route in [
        "/refer/{token}/{step}",
        "/staff/referrals/new",
        "/fhir/servicerequest",
        "/check-in",
        "/safety-plan/edit",
    ] {
        let line = format!("method=\"post\" route=\"{route}\"");
        assert!(text.contains(&line), "no {line} captured:\n{text}");
    }
    assert!(metrics.contains("route=\"/check-in\""), "{metrics}");
    assert!(messages.len() >= 2, "messages were sent: {messages:?}");

    let leaked: Vec<&str> = text.lines().filter(|l| l.contains(CANARY)).collect();
    assert!(
        leaked.is_empty(),
        "free text in the log:\n{}",
        leaked.join("\n")
    );
    assert!(
        !metrics.to_lowercase().contains(CANARY),
        "free text in /metrics:\n{metrics}"
    );
    for m in &messages {
        let words = format!("{:?} {}", m.subject, m.body).to_lowercase();
        assert!(!words.contains(CANARY), "free text in a message: {m:?}");
    }
    drop(_guard);
    t.finish().await;
}

async fn post(c: &Client, path: &str, fields: &[(&str, String)]) -> u16 {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post_form(path, &pairs).await.status.as_u16()
}

fn person(prefix: &str) -> Vec<(&'static str, String)> {
    vec![
        ("given_name", canary(&format!("{prefix}_given"))),
        ("family_name", canary(&format!("{prefix}_family"))),
        ("dob_day", "14".into()),
        ("dob_month", "6".into()),
        ("dob_year", "1988".into()),
        (
            "email",
            format!(
                "{}@example.org",
                canary(&format!("{prefix}_email")).to_lowercase()
            ),
        ),
        ("phone", String::new()),
        ("preferred_channel", "email".into()),
        ("language", canary(&format!("{prefix}_language"))),
        ("accessibility_needs", canary(&format!("{prefix}_access"))),
        ("nhs_number", String::new()),
        ("chi", String::new()),
        ("postcode", "EH1 1AA".into()),
        ("gp_practice", canary(&format!("{prefix}_gp"))),
    ]
}

async fn self_referral(t: &TestApp) {
    let c = t.client();
    c.get("/refer").await.ok();
    let r = c.post_form("/refer", &[("service", "demo")]).await;
    let token = r.location().unwrap().split('/').nth(2).unwrap().to_string();
    let step = |s: &str| format!("/refer/{token}/{s}");
    // Refused first (an email that is not one), with the canaries in it.
    let mut bad = person("self_bad");
    bad[5].1 = canary("self_bad_email");
    assert_eq!(post(&c, &step("about"), &bad).await, 422);
    let about = person("self");
    assert_eq!(post(&c, &step("about"), &about[..13]).await, 303);
    assert_eq!(post(&c, &step("gp"), &about[13..]).await, 303);
    let help = [
        (
            "problem_text",
            format!("{} I want to die", canary("self_problem")),
        ),
        ("problems", "low_mood".into()),
    ];
    assert_eq!(post(&c, &step("help"), &help).await, 303);
    let mut q: Vec<(String, String)> = (1..=9).map(|i| (format!("phq9-{i}"), "1".into())).collect();
    q.extend((1..=7).map(|i| (format!("gad7-{i}"), "1".into())));
    let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        c.post_form(&step("questions"), &q).await.status.as_u16(),
        303
    );
    let consent = [("treatment", "yes"), ("contact_email", "yes")];
    assert_eq!(
        c.post_form(&step("consent"), &consent)
            .await
            .status
            .as_u16(),
        303
    );
    c.get(&step("check")).await.ok();
    t.clock.advance(Duration::from_secs(60));
    let sent = c
        .post_form(&step("check"), &[("service", "demo"), ("website", "")])
        .await;
    assert_eq!(sent.status.as_u16(), 303, "{}", sent.body);
}

async fn professional_referral(t: &TestApp) {
    let staff = t.staff_client("triage_clinician").await;
    let key = staff.get("/staff/referrals/new").await.ok().field("key");
    let mut fields = person("prof");
    fields.extend([
        ("problem_text", canary("prof_problem")),
        ("problems", "panic".into()),
        ("referrer_name", canary("prof_referrer")),
        ("referrer_organisation", canary("prof_organisation")),
        (
            "referrer_email",
            format!(
                "{}@example.nhs.uk",
                canary("prof_referrer_email").to_lowercase()
            ),
        ),
        ("key", key.to_string()),
    ]);
    assert_eq!(post(&staff, "/staff/referrals/new", &fields).await, 303);
}

async fn fhir_referral(t: &TestApp) {
    let (_, token) = super::api_client(t, &[ApiPermission::ReferralCreate]).await;
    let email = format!("{}@example.org", canary("fhir_email").to_lowercase());
    let mut sr = crate::fhir_referrals::referral(t, &canary("fhir_identifier"), &email);
    sr["note"][0]["text"] = canary("fhir_note").into();
    sr["contained"][0]["name"][0]["given"][0] = canary("fhir_given").into();
    sr["contained"][0]["name"][0]["family"] = canary("fhir_family").into();
    sr["contained"][2]["name"][0]["family"] = canary("fhir_referrer").into();
    let req = Request::post("/fhir/ServiceRequest")
        .header(header::CONTENT_TYPE, "application/fhir+json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(sr.to_string()))
        .unwrap();
    let r = t.client().send(req).await;
    assert_eq!(r.status.as_u16(), 201, "{}", r.body);
}

async fn check_in_and_safety_plan(c: &Client) {
    c.get("/check-in").await.ok();
    let note = format!("{} I want to die", canary("check_in_note"));
    let fields = [
        ("mood", "2".to_string()),
        ("note", note),
        ("key", "leak-1".into()),
    ];
    assert_eq!(post(c, "/check-in", &fields).await, 303);
    // Refused (too long), the canary in it all the same.
    let long = format!("{} {}", canary("check_in_long"), "x".repeat(600));
    let fields = [
        ("mood", "2".to_string()),
        ("note", long),
        ("key", "leak-2".into()),
    ];
    assert_eq!(post(c, "/check-in", &fields).await, 422);
    c.get("/safety-plan/edit").await.ok();
    let plan: Vec<(&str, String)> = [
        "warning_signs",
        "coping_strategies",
        "people_and_places",
        "professionals",
        "safe_environment",
    ]
    .into_iter()
    .map(|f| (f, canary(f)))
    .collect();
    assert_eq!(post(c, "/safety-plan/edit", &plan).await, 303);
}
