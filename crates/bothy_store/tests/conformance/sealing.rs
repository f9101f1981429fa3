//! Sealing a backlog: every event once, in order, in batches; and on SQLite
//! each seal finds its event by `seq`, whatever the planner's statistics
//! say, rather than scanning the unsealed events (finding 16 in
//! docs/benchmark-profiles-2.md: 1.7 s a batch with 5,000 waiting).

use crate::audit::record;
use crate::{Fresh, at, both};
use bothy_domain::audit::AuditRecord;
use std::time::Duration;

both!(a_backlog_is_sealed_in_batches_once_and_in_order);

const BACKLOG: i64 = 1_234;

async fn a_backlog_is_sealed_in_batches_once_and_in_order(db: &Fresh) {
    let records: Vec<AuditRecord> = (1..=BACKLOG).map(record).collect();
    for chunk in records.chunks(400) {
        let mut tx = db.store.begin().await.unwrap();
        tx.audit_all(chunk).await.unwrap();
        tx.commit().await.unwrap();
    }
    let before = db.store.verify_audit(&[]).await.unwrap();
    assert!(before.unsealed >= BACKLOG as u64, "{before:?}");

    let pass = db
        .store
        .seal_audit("conformance", at(BACKLOG + 1), Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(pass.sealed, before.unsealed, "{pass:?}");
    assert!(!pass.more && !pass.busy && !pass.lease_lost, "{pass:?}");

    let after = db.store.verify_audit(&[]).await.unwrap();
    assert_eq!(after.unsealed, 0, "{after:?}");
    assert_eq!(after.sealed, before.sealed + before.unsealed, "{after:?}");
    assert!(after.first_break.is_none(), "{after:?}");
    assert_eq!(after.head.pos as u64, after.sealed, "{after:?}");
}

#[tokio::test]
async fn on_sqlite_a_seal_finds_its_event_by_seq_whatever_the_statistics() {
    let db = Fresh::sqlite().await;
    // Statistics gathered when every event was sealed, as the sealer
    // keeps them, and then a backlog: the partial index of unsealed events
    // looks empty to the planner.
    for (from, to) in [(1, 20), (21, BACKLOG)] {
        let mut tx = db.store.begin().await.unwrap();
        tx.audit_all(&(from..=to).map(record).collect::<Vec<_>>())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        if from == 1 {
            let lease = Duration::from_secs(60);
            db.store
                .seal_audit("conformance", at(to), lease)
                .await
                .unwrap();
            db.store.analyze().await.unwrap();
        }
    }
    // A connection opened after the statistics plans with them.
    let path = db.dir.as_ref().unwrap().join("bothy.db");
    let again = Fresh::open(&format!("sqlite://{}", path.display()), None, None).await;
    let mut tx = again.store.read().await.unwrap();
    let plan = tx.seal_plan().await.unwrap();
    tx.rollback().await.unwrap();
    let on_events: Vec<&String> = plan.iter().filter(|l| l.contains("audit_events")).collect();
    assert!(
        !on_events.is_empty() && on_events.iter().all(|l| l.starts_with("SEARCH")),
        "each event is looked up, none scanned: {plan:#?}"
    );
    again.store.close().await;
    db.finish().await;
}
