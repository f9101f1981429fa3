//! `bothy backup` while the server takes check-ins, and `bothy restore` into
//! a fresh data directory (or database): every row of the source is there,
//! the integrity check passes, the audit trail verifies and can be sealed
//! on; a restore over records is refused without `--force`. On SQLite and
//! on PostgreSQL (with pg_dump and pg_restore).

mod support;

use std::time::Duration;
use support::load::{Ack, Load};
use support::{Server, Site, patients_who_sign_in, verify};

async fn counts(site: &Site) -> Vec<(String, i64)> {
    let store = site.store().await;
    let counts = store.table_counts().await.expect("counts");
    store.close().await;
    counts
}

async fn backup_while_writing_then_restore(src: Site, dst: Site, again: Site) {
    let patients = patients_who_sign_in(&src, 3).await;
    let server = Server::start(&src, &[]).await;
    let load = Load::start(server.addr, &patients, "backup").await;
    load.wait_for_more(30, Duration::from_secs(60)).await;
    // Everything acknowledged before the copy starts must be in it.
    let before: Vec<Ack> = load.record.acks.lock().unwrap().clone();
    let during = src.dir.join("during.backup");
    let out = src.ok(&["backup", &during.display().to_string()]);
    assert!(out.contains("Backed up"), "{out}");
    load.wait_for_more(20, Duration::from_secs(60)).await;
    let all: Vec<Ack> = load.stop().await.acks.lock().unwrap().clone();
    assert!(
        all.len() > before.len(),
        "writes carried on during the copy"
    );
    server.stop();

    // A copy of the quiet database restores row for row.
    let quiet = src.dir.join("quiet.backup");
    src.ok(&["backup", &quiet.display().to_string()]);
    assert!(
        !src.run(&["backup", &quiet.display().to_string()])
            .status
            .success(),
        "an existing file is never overwritten"
    );
    let out = dst.ok(&["restore", &quiet.display().to_string()]);
    assert!(out.contains("Audit trail intact"), "{out}");
    if dst.database_url.is_none() {
        assert!(out.contains("Integrity check: ok."), "{out}");
    }
    let source = counts(&src).await;
    assert!(source.iter().any(|(t, n)| t == "check_ins" && *n > 0));
    assert_eq!(counts(&dst).await, source);
    let store = dst.store().await;
    assert_eq!(
        verify::acknowledged_are_stored(&store, &all).await,
        Vec::<String>::new()
    );
    store.close().await;
    // The restored trail verifies, and the worker can seal on from it.
    dst.ok(&["audit", "seal"]);
    assert!(dst.ok(&["audit", "verify"]).contains("Audit trail intact"));

    // The copy taken under load is consistent and has everything
    // acknowledged before it began.
    let out = again.ok(&["restore", &during.display().to_string()]);
    assert!(out.contains("Audit trail intact"), "{out}");
    let store = again.store().await;
    assert_eq!(
        verify::acknowledged_are_stored(&store, &before).await,
        Vec::<String>::new()
    );
    if let Some(problems) = store.check_integrity().await.unwrap() {
        assert!(problems.is_empty(), "{problems:?}");
    }
    store.close().await;

    // A database with records is replaced only when asked.
    let out = again.run(&["restore", &quiet.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("already holds records") && err.contains("--force"),
        "{err}"
    );
    again.ok(&["restore", "--force", &quiet.display().to_string()]);
    assert_eq!(counts(&again).await, source);

    // A damaged backup is refused before anything is replaced (SQLite
    // checks the file; pg_restore's single transaction leaves the database).
    let damaged = src.dir.join("damaged.backup");
    let mut bytes = std::fs::read(&quiet).unwrap();
    let cut = bytes.len() / 2;
    bytes.truncate(cut);
    std::fs::write(&damaged, bytes).unwrap();
    let out = again.run(&["restore", "--force", &damaged.display().to_string()]);
    assert!(!out.status.success(), "{out:?}");
    assert_eq!(counts(&again).await, source);

    for site in [src, dst, again] {
        site.remove().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_on_sqlite() {
    backup_while_writing_then_restore(
        Site::sqlite("backup-src"),
        Site::sqlite("backup-dst"),
        Site::sqlite("backup-again"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    bothy_no_postgres,
    ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set"
)]
async fn backup_and_restore_on_postgres() {
    backup_while_writing_then_restore(
        Site::postgres("backup-pg-src").await,
        Site::postgres("backup-pg-dst").await,
        Site::postgres("backup-pg-again").await,
    )
    .await;
}
