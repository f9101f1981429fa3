//! Appending audit events: several at once, and one held by a PostgreSQL
//! transaction until its next statement carries it.

use crate::{Fresh, at, both};
use bothy_domain::audit::{AuditRecord, RecordDigest};
use bothy_domain::time::to_millis;

both!(
    events_appended_together_are_stored_as_given_in_order,
    a_writes_events_are_stored_once_whatever_statement_follows_them,
    events_undone_with_their_savepoint_or_transaction_are_not_stored,
);

pub(crate) fn record(n: i64) -> AuditRecord {
    AuditRecord {
        at_ms: to_millis(at(n)),
        actor_kind: "staff".into(),
        actor_id: Some(format!("staff-{n}")),
        role: None,
        service_id: Some("service".into()),
        patient_id: (n % 2 == 0).then(|| format!("patient-{n}")),
        action: "patient.read".into(),
        purpose: "direct_care".into(),
        request_id: None,
        // Quotes, a backslash, a line break and a character past ASCII
        // survive the trip through the one JSON parameter.
        detail: Some(format!("record page: {n} \"quoted\" \\ \n é")),
        record: (n == 3).then(|| RecordDigest {
            kind: "measure_response".into(),
            id: "response-3".into(),
            digest: "ab".repeat(32),
        }),
    }
}

/// Every field of each event comes back as given, in the order given;
/// an empty list writes nothing.
async fn events_appended_together_are_stored_as_given_in_order(db: &Fresh) {
    let records: Vec<AuditRecord> = (1..=5).map(record).collect();
    let mut tx = db.store.begin().await.unwrap();
    tx.audit_all(&[]).await.unwrap();
    tx.audit_all(&records).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(stored(db).await, records);
}

/// The trail as stored, oldest first.
async fn stored(db: &Fresh) -> Vec<AuditRecord> {
    let mut tx = db.store.read().await.unwrap();
    let mut stored = tx.recent_audit_events(100).await.unwrap();
    tx.rollback().await.unwrap();
    stored.reverse();
    stored.into_iter().map(|e| e.record).collect()
}

/// An event is sent with the statement after it, or before a statement that
/// reads the trail, or before the commit: each is stored once, in order,
/// and the transaction's own read of the trail already sees it.
async fn a_writes_events_are_stored_once_whatever_statement_follows_them(db: &Fresh) {
    let (service, _) = db.service_with_patients(3).await;
    let records: Vec<AuditRecord> = (1..=4).map(record).collect();
    let mut tx = db.store.begin().await.unwrap();
    tx.audit(&records[0]).await.unwrap();
    // A read carries it, and still answers.
    assert_eq!(tx.count_patients(service).await.unwrap(), 3);
    tx.audit(&records[1]).await.unwrap();
    tx.audit(&records[2]).await.unwrap();
    // A read of the trail sends the two first, and sees them.
    let seen = tx.recent_audit_events(10).await.unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].record, records[2]);
    tx.audit(&records[3]).await.unwrap();
    // Nothing follows the last but the commit.
    tx.commit().await.unwrap();
    assert_eq!(stored(db).await, records);
}

/// Events appended after a savepoint go when it is rolled back, whether
/// they were sent or still held; those before it stay; a transaction
/// rolled back stores none.
async fn events_undone_with_their_savepoint_or_transaction_are_not_stored(db: &Fresh) {
    let (service, _) = db.service_with_patients(1).await;
    let r: Vec<AuditRecord> = (1..=6).map(record).collect();
    let mut tx = db.store.begin().await.unwrap();
    tx.audit(&r[0]).await.unwrap();
    tx.savepoint("first").await.unwrap();
    tx.audit(&r[1]).await.unwrap();
    tx.count_patients(service).await.unwrap();
    tx.rollback_to_savepoint("first").await.unwrap();
    tx.audit(&r[2]).await.unwrap();
    tx.savepoint("second").await.unwrap();
    tx.audit(&r[3]).await.unwrap();
    tx.rollback_to_savepoint("second").await.unwrap();
    tx.release_savepoint("second").await.unwrap();
    tx.savepoint("third").await.unwrap();
    tx.audit(&r[4]).await.unwrap();
    tx.release_savepoint("third").await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = db.store.begin().await.unwrap();
    tx.audit(&r[5]).await.unwrap();
    tx.count_patients(service).await.unwrap();
    tx.rollback().await.unwrap();

    assert_eq!(
        stored(db).await,
        vec![r[0].clone(), r[2].clone(), r[4].clone()]
    );
}
