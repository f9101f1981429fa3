//! Crash safety of `bothy serve` (issue 12, item 2). Under a steady load of
//! check-ins from three patients, the server is killed with SIGKILL at a
//! random moment and started again, `BOTHY_CRASH_KILLS` times (default 5,
//! the short run CI makes; `scripts/reliability` runs 100). Afterwards every
//! acknowledged check-in is stored exactly once, with its audit event and,
//! when its note had risk words, an alert; SQLite passes `integrity_check`;
//! the audit trail verifies. Figures are printed (run with --nocapture).
//!
//! The PostgreSQL restart (`postgres_restarts_under_load`) is in
//! `crash/pg_restart.rs`: it runs a throwaway cluster of its own. A worker
//! killed while sending messages is in `crash/messages.rs`.

mod support;

#[path = "crash/cluster.rs"]
mod cluster;
#[path = "crash/messages.rs"]
mod messages;
#[path = "crash/pg_restart.rs"]
mod pg_restart;

use std::time::Duration;
use support::load::Load;
use support::{Server, Site, now, patients_who_sign_in, random, verify};

pub fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn killed_at_random_moments(site: Site, backend: &str) {
    let kills = env_count("BOTHY_CRASH_KILLS", 5);
    let patients = patients_who_sign_in(&site, 3).await;
    let mut server = Server::start(&site, &[]).await;
    let port = server.addr.port();
    let load = Load::start(server.addr, &patients, "crash").await;
    let began = now();
    let mut restarts = Vec::new();
    for _ in 0..kills {
        // Some work between kills, then a moment anywhere in the next 300
        // ms: mid-request, mid-commit, mid-seal or idle.
        load.wait_for_more(3, Duration::from_secs(30)).await;
        tokio::time::sleep(Duration::from_millis(random() % 300)).await;
        server.kill();
        let t = now();
        server = Server::start_on(&site, port, &[]).await;
        restarts.push(t.elapsed());
    }
    load.wait_for_more(10, Duration::from_secs(30)).await;
    let record = load.stop().await;
    let elapsed = began.elapsed();
    server.stop();
    let acks = record.acks.lock().unwrap().clone();
    let refused = record.refusals.lock().unwrap().len();

    let store = site.store().await;
    let problems = verify::acknowledged_are_stored(&store, &acks).await;
    // The check can fail: a check-in never sent is reported missing.
    let mut never = acks[0].clone();
    never.key = "never-sent".into();
    assert_eq!(
        verify::acknowledged_are_stored(&store, &[never])
            .await
            .len(),
        1
    );
    let integrity = store.check_integrity().await.expect("integrity check");
    let audit = store.verify_audit(&[]).await.expect("audit");
    store.close().await;
    restarts.sort();
    let median = restarts
        .get(restarts.len() / 2)
        .copied()
        .unwrap_or_default();
    let max = restarts.last().copied().unwrap_or_default();
    println!(
        "crash safety on {backend}: {kills} kills in {:.0} s; {} check-ins acknowledged \
         ({} with risk words), {refused} unanswered or refused; {} problems; integrity {}; \
         audit trail {} ({} sealed, {} unsealed); restart to ready: median {} ms, max {} ms",
        elapsed.as_secs_f64(),
        acks.len(),
        acks.iter().filter(|a| a.risky).count(),
        problems.len(),
        match &integrity {
            Some(p) if p.is_empty() => "ok".to_string(),
            Some(p) => format!("FAILED: {p:?}"),
            None => "not applicable".to_string(),
        },
        if audit.is_intact() {
            "intact"
        } else {
            "BROKEN"
        },
        audit.sealed,
        audit.unsealed,
        median.as_millis(),
        max.as_millis()
    );
    assert!(acks.len() >= kills * 3, "the load kept going");
    assert_eq!(problems, Vec::<String>::new());
    if let Some(p) = integrity {
        assert!(p.is_empty(), "{p:?}");
    }
    assert!(audit.is_intact(), "{:?}", audit.first_break);
    site.remove().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_on_sqlite() {
    killed_at_random_moments(Site::sqlite("crash-sqlite"), "SQLite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    bothy_no_postgres,
    ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set"
)]
async fn sigkill_under_load_on_postgres() {
    killed_at_random_moments(Site::postgres("crash-pg").await, "PostgreSQL").await;
}
