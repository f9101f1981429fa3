//! PostgreSQL stopped and started under load (issue 12, item 2), on a
//! throwaway cluster: the server stays up; while the database is away every
//! answer is a 503 with the crisis panel (never a 500, never a dropped
//! connection); after the database is back the first check-in is
//! acknowledged within 5 s; nothing acknowledged is lost. The stops
//! alternate between `fast` and `immediate` (a crash of PostgreSQL);
//! `BOTHY_PG_RESTARTS` sets how many (default 2).

use crate::cluster::Cluster;
use crate::support::load::Load;
use crate::support::{Server, Site, fresh_dir, now, patients_who_sign_in, verify};
use std::time::Duration;

/// Longer than the pool's 5 s wait for a connection, so that requests
/// during the outage are answered (503) rather than all held until it ends.
const OUTAGE: Duration = Duration::from_secs(7);
const RECOVERY_LIMIT: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    bothy_no_postgres,
    ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set"
)]
async fn postgres_restarts_under_load() {
    let cluster = match Cluster::create() {
        Ok(c) => c,
        Err(why) => {
            eprintln!(
                "\n!!!! SKIPPED postgres_restarts_under_load: cannot run a PostgreSQL cluster \
                 of its own: {why}\n"
            );
            return;
        }
    };
    let restarts = crate::env_count("BOTHY_PG_RESTARTS", 2);
    let site = Site {
        dir: fresh_dir("pg-restart"),
        database_url: Some(cluster.url()),
    };
    let patients = patients_who_sign_in(&site, 3).await;
    let mut server = Server::start(&site, &[]).await;
    let load = Load::start(server.addr, &patients, "pgrestart").await;
    let mut recoveries = Vec::new();
    for i in 0..restarts {
        load.wait_for_more(10, Duration::from_secs(30)).await;
        let mode = if i % 2 == 0 { "fast" } else { "immediate" };
        cluster.stop(mode);
        let down = now();
        // A person arriving now sees the crisis contacts.
        let mut c = bothy_bench::client::Conn::open(server.addr).await.unwrap();
        let page = c
            .get("/sign-in")
            .await
            .expect("an answer while the database is away");
        let body = String::from_utf8_lossy(&page.body);
        assert_eq!(page.status.as_u16(), 503, "{body}");
        assert!(
            body.contains("tel:999") && body.contains("tel:116123"),
            "{body}"
        );
        tokio::time::sleep(OUTAGE.saturating_sub(down.elapsed())).await;
        assert!(server.is_running(), "the server stayed up");
        cluster.start();
        let up = now();
        let mut waited = Duration::ZERO;
        while waited < Duration::from_secs(30) {
            let first = load
                .record
                .acks
                .lock()
                .unwrap()
                .iter()
                .find(|a| a.at > up)
                .map(|a| a.at);
            if let Some(at) = first {
                recoveries.push((mode, at - up));
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            waited = up.elapsed();
        }
        // Every answer given while it was away was an honest 503.
        let refusals = load.record.refusals.lock().unwrap().clone();
        let away: Vec<_> = refusals
            .iter()
            .filter(|r| r.at > down && r.at < up)
            .collect();
        assert!(!away.is_empty(), "requests were answered during the outage");
        for r in &away {
            assert_eq!(
                r.status,
                Some(503),
                "answered {:?} while the database was away",
                r.status
            );
            assert!(r.crisis_panel, "a 503 without the crisis panel");
        }
        println!(
            "PostgreSQL {mode} stop {}: {} answers while away, all 503 with the crisis panel",
            i + 1,
            away.len()
        );
    }
    load.wait_for_more(10, Duration::from_secs(30)).await;
    let record = load.stop().await;
    server.stop();
    let acks = record.acks.lock().unwrap().clone();
    let store = site.store().await;
    let problems = verify::acknowledged_are_stored(&store, &acks).await;
    let audit = store.verify_audit(&[]).await.expect("audit");
    store.close().await;
    println!(
        "PostgreSQL restarts under load: {} acknowledged, {} problems, audit trail {}; \
         first acknowledgement after the database was back: {}",
        acks.len(),
        problems.len(),
        if audit.is_intact() {
            "intact"
        } else {
            "BROKEN"
        },
        recoveries
            .iter()
            .map(|(m, d)| format!("{m} {} ms", d.as_millis()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert_eq!(
        recoveries.len(),
        restarts,
        "the service came back every time"
    );
    for (mode, d) in &recoveries {
        assert!(*d < RECOVERY_LIMIT, "{mode}: back after {d:?}");
    }
    assert_eq!(problems, Vec::<String>::new());
    assert!(audit.is_intact());
    let _ = std::fs::remove_dir_all(&site.dir);
}
