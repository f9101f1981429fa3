//! Appending several audit events at once.

use crate::{Fresh, at, both};
use bothy_domain::audit::{AuditRecord, RecordDigest};
use bothy_domain::time::to_millis;

both!(events_appended_together_are_stored_as_given_in_order);

fn record(n: i64) -> AuditRecord {
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

    let mut tx = db.store.read().await.unwrap();
    let mut stored = tx.recent_audit_events(100).await.unwrap();
    tx.rollback().await.unwrap();
    stored.reverse();
    let got: Vec<AuditRecord> = stored.into_iter().map(|e| e.record).collect();
    assert_eq!(got, records);
}
