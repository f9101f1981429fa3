//! A video invitation through the real SMTP test server (tests/smtp/server.py,
//! started by scripts/test): a multipart/mixed email whose text and HTML
//! carry the signed Jitsi link and whose attachment is the calendar file,
//! byte for byte, CRLF lines and all.

use super::{SECRET, VIDEO, day_after, person, staff_id};
use crate::delivery::smtp::{settings as smtp_settings, smtp_port, wait_for};
use crate::helpers::{CRISIS, TestApp};
use bothy_app::App;
use bothy_app::appointments::BookingForm;
use bothy_app::notify::{ByChannel, Notifier};
use bothy_domain::crisis::CrisisContacts;
use bothy_domain::jwt::verify_hs256;
use bothy_jobs::smtp::SmtpNotifier;
use bothy_store::{PoolSettings, Store};
use std::sync::Arc;

macro_rules! smtp_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(bothy_no_smtp, ignore = "SMTP not tested: BOTHY_TEST_SMTP_DIR is not set (scripts/test sets it)")]
            async fn sqlite() {
                bothy_testkit::run_with(bothy_testkit::Db::Sqlite, super::super::settings(), super::VIDEO, super::$name).await;
            }
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(any(bothy_no_smtp, bothy_no_postgres), ignore = "SMTP or PostgreSQL not tested: BOTHY_TEST_SMTP_DIR or BOTHY_TEST_DATABASE_URL is not set")]
            async fn postgres() {
                bothy_testkit::run_with(bothy_testkit::Db::Postgres, super::super::settings(), super::VIDEO, super::$name).await;
            }
        }
    )*};
}

smtp_tests!(a_video_invitation_arrives_by_smtp_with_its_link_and_calendar_file);

/// A worker on the same database sending email over SMTP, with the demo
/// service's video provider and the deployment's Jitsi key.
async fn smtp_worker(t: &TestApp) -> App {
    let store = Store::connect(
        &t.url,
        &PoolSettings {
            max_connections: 4,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let catalogue = bothy_app::content::default_catalogue();
    let known: Vec<&str> = catalogue.iter().map(|i| i.id.as_str()).collect();
    let demo = bothy_domain::monitoring::Monitoring::parse("demo.toml", VIDEO, &known).unwrap();
    let monitoring = bothy_app::monitoring::MonitoringSettings::new(
        bothy_domain::monitoring::Monitoring::defaults(),
        [(bothy_app::demo::DEMO_SLUG.to_string(), demo)].into(),
    );
    let email: Arc<dyn Notifier> =
        Arc::new(SmtpNotifier::new(&smtp_settings(smtp_port())).unwrap());
    App::new(
        store,
        Arc::new(t.clock.clone()),
        t.app.settings().clone(),
        CrisisContacts::parse(CRISIS).unwrap(),
    )
    .with_monitoring(monitoring)
    .with_notifier(Arc::new(ByChannel {
        email,
        sms: Arc::new(t.outbox.clone()),
    }))
}

async fn a_video_invitation_arrives_by_smtp_with_its_link_and_calendar_file(t: TestApp) {
    let worker = smtp_worker(&t).await;
    let p = person(&t, "smtp-invite").await;
    let lead = t.fixtures().staff_actor("clinical_lead").await;
    let form = BookingForm {
        practitioner: staff_id(&t, "clinical_lead").await,
        kind: "video".into(),
        date: day_after(&t, 3),
        time: "15:15".into(),
        minutes: "40".into(),
        key: "smtp-invite".into(),
    };
    let booked = t
        .app
        .appointments()
        .book(&lead, p.id, &form, &Default::default())
        .await
        .unwrap();
    let room = booked.appointment.room.clone().unwrap();
    // Everything the person is owed (the referral's messages too) goes by SMTP.
    bothy_jobs::run_once(&worker).await.unwrap();
    let got = wait_for(&p.email, 1).await;
    let invitation: Vec<_> = got
        .iter()
        .filter(|m| m["subject"] == "Your appointment")
        .collect();
    assert_eq!(invitation.len(), 1, "{got:#?}");
    let m = invitation[0];
    assert_eq!(m["content_type"], "multipart/mixed");
    let text = m["text"].as_str().unwrap();
    let link = text.split("Join: ").nth(1).unwrap();
    let link = link.split_whitespace().next().unwrap();
    assert!(
        link.starts_with(&format!("https://meet.example.org/{room}?jwt=")),
        "{text}"
    );
    let token = link.split("?jwt=").nth(1).unwrap();
    let claims = verify_hs256(token, SECRET.as_bytes()).unwrap();
    assert_eq!(claims["room"], room.as_str());
    assert!(m["html"].as_str().unwrap().contains(token));
    let files = m["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{m:#?}");
    let file = &files[0];
    assert_eq!(file["filename"], "appointment.ics");
    // As Python prints the header: parameters may come back quoted.
    let content_type = file["content_type"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .replace('"', "");
    assert!(
        content_type.starts_with("text/calendar") && content_type.contains("method=request"),
        "{content_type}"
    );
    let ics = file["content"].as_str().unwrap();
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics:?}");
    assert!(ics.contains("\r\nMETHOD:REQUEST\r\n"));
    assert!(
        ics.replace("\r\n ", "")
            .contains(&format!("\r\nURL:{link}\r\n"))
    );
    assert!(ics.lines().all(|l| l.trim_end_matches('\r').len() <= 75));
    assert!(!ics.contains("Morag"));
    t.drain_jobs().await;
    worker.store().close().await;
}
