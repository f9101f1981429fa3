//! A PostgreSQL read snapshot is begun and ended by statements of its own,
//! so its connection can append the read's audit events afterwards. One
//! dropped before its end (an error, a cancelled request) must never go
//! back to the pool inside its read-only transaction: the next user would
//! see old data and could not write.

use crate::Fresh;
use bothy_domain::StaffId;
use bothy_store::PoolSettings;

#[tokio::test]
#[cfg_attr(
    bothy_no_postgres,
    ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set"
)]
async fn a_snapshot_dropped_before_its_end_is_never_reused_inside_it() {
    // One connection: whatever the next statement runs on is the one the
    // dropped snapshot held, unless it was closed.
    let one = PoolSettings {
        max_connections: 1,
        ..PoolSettings::default()
    };
    let db = Fresh::postgres_with(&one)
        .await
        .expect("BOTHY_TEST_DATABASE_URL is set");
    let mut read = db.store.read().await.unwrap();
    assert!(read.staff_by_id(StaffId::random()).await.unwrap().is_none());
    drop(read);

    let mut tx = db.store.begin().await.unwrap();
    let later = crate::listed::staff(&mut tx, "later@example.org").await;
    tx.commit().await.unwrap();

    let mut read = db.store.read().await.unwrap();
    let seen = read.staff_by_id(later).await.unwrap();
    read.rollback().await.unwrap();
    assert!(seen.is_some(), "a later snapshot sees the later commit");
    db.finish().await;
}
