//! Messages survive a worker killed mid-send (issue 15): 120 emails are
//! queued, `bothy worker` sends them through the test SMTP server
//! (tests/smtp/server.py) and is killed with SIGKILL three times while
//! sending, then started again until the queue is empty. Every message
//! arrives, and the person's mailbox, which like every mail client shows a
//! Message-ID once, shows each exactly once. On the wire a message can go
//! twice only in the one window a kill can hit (after the server accepted
//! it, before the worker recorded that): at most once a kill.

use super::support::Site;
use bothy_app::jobs::{IdempotencyKey, MessageTemplate, Notification, Recipient};
use bothy_domain::person::Email;
use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::time::Duration;

const MESSAGES: usize = 120;
const KILLS: usize = 3;

fn smtp_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(std::env::var("BOTHY_TEST_SMTP_DIR").expect(
        "BOTHY_TEST_SMTP_DIR names the test SMTP server's directory (scripts/test starts one)",
    ))
}

/// Message-ID of each message the server received for this run's
/// addresses (`{run}.{n}@example.org`), with how many times each came.
fn received(run: &str) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    let Ok(dir) = std::fs::read_dir(smtp_dir().join("messages")) else {
        return seen;
    };
    for entry in dir.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(m) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let ours = m["rcpt_tos"].as_array().is_some_and(|r| {
            r.iter()
                .any(|a| a.as_str().is_some_and(|a| a.starts_with(run)))
        });
        if ours {
            *seen
                .entry(m["message_id"].as_str().unwrap_or_default().to_string())
                .or_default() += 1;
        }
    }
    seen
}

fn worker(site: &Site, port: u16) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(site.dir.join("worker.log"))
        .unwrap();
    site.command(&["worker"])
        .env("BOTHY__EMAIL__TRANSPORT", "smtp")
        .env("BOTHY__EMAIL__SMTP_HOST", "127.0.0.1")
        .env("BOTHY__EMAIL__SMTP_PORT", port.to_string())
        .env("BOTHY__EMAIL__SMTP_TLS", "none")
        .env("BOTHY__EMAIL__FROM", "no-reply@bothy.example.org")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start bothy worker")
}

async fn killed_while_sending(site: Site) {
    let port: u16 = std::fs::read_to_string(smtp_dir().join("port"))
        .expect("the test SMTP server's port")
        .trim()
        .parse()
        .unwrap();
    let run = format!("crash{}", super::support::random() % 1_000_000);
    site.ok(&["migrate"]);
    let store = site.store().await;
    let app = bothy_app::App::new(
        store,
        std::sync::Arc::new(bothy_app::SystemClock),
        Default::default(),
        bothy_domain::crisis::CrisisContacts::parse(bothy::config::DEFAULT_CRISIS_CONTACTS)
            .unwrap(),
    );
    let mut tx = app.store().begin().await.unwrap();
    for n in 0..MESSAGES {
        let key = IdempotencyKey::new(format!("{run}.{n}")).unwrap();
        let to = Email::parse(&format!("{run}.{n}@example.org")).unwrap();
        let notification = Notification {
            to: Recipient::Email(to),
            // Not a reminder, so it goes whatever the hour (quiet hours hold reminders).
            template: MessageTemplate::ReferralReceived,
            link: None,
            service: None,
            patient: None,
            appointment: None,
        };
        assert!(
            app.jobs()
                .enqueue_notification(&mut tx, &key, notification)
                .await
                .unwrap()
        );
    }
    tx.commit().await.unwrap();
    let mut kills = 0;
    let mut child = worker(&site, port);
    let started = super::support::now();
    while kills < KILLS {
        // Kill once more messages have arrived, mid-batch.
        let before = received(&run).len();
        while received(&run).len() < before + 5 + (super::support::random() % 10) as usize {
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the worker stalled"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        kills += 1;
        // The dead worker's leases would run out in ten minutes: as if they had.
        let mut tx = app.store().begin().await.unwrap();
        tx.expire_job_leases(bothy_app::Clock::now(&bothy_app::SystemClock))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        child = worker(&site, port);
    }
    while received(&run).len() < MESSAGES {
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "messages were lost: {} of {MESSAGES}",
            received(&run).len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A moment for anything sent twice to arrive, then stop.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = child.kill();
    let _ = child.wait();
    let seen = received(&run);
    let doubled: usize = seen.values().map(|n| n - 1).sum();
    println!(
        "{MESSAGES} messages, {KILLS} kills: each arrived ({} Message-IDs); {doubled} sent twice on the wire",
        seen.len()
    );
    assert_eq!(
        seen.len(),
        MESSAGES,
        "every message, each Message-ID once in the mailbox"
    );
    for n in 0..MESSAGES {
        assert!(
            seen.keys()
                .any(|id| id.starts_with(&format!("<{run}.{n}@"))),
            "message {n}"
        );
    }
    assert!(
        doubled <= KILLS,
        "at most one message doubled by each kill: {doubled}"
    );
    let mut tx = app.store().read().await.unwrap();
    assert!(tx.unfinished_jobs(10).await.unwrap().is_empty());
    tx.rollback().await.unwrap();
    app.store().close().await;
    site.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    bothy_no_smtp,
    ignore = "SMTP not tested: BOTHY_TEST_SMTP_DIR is not set (scripts/test sets it)"
)]
async fn a_worker_killed_while_sending_loses_no_message_on_sqlite() {
    killed_while_sending(Site::sqlite("crash-messages-sqlite")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    any(bothy_no_smtp, bothy_no_postgres),
    ignore = "SMTP or PostgreSQL not tested: BOTHY_TEST_SMTP_DIR or BOTHY_TEST_DATABASE_URL is not set"
)]
async fn a_worker_killed_while_sending_loses_no_message_on_postgres() {
    killed_while_sending(Site::postgres("crash-messages-pg").await).await;
}
