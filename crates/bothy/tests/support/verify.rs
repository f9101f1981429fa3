//! What must hold after any crash: every acknowledged check-in stored once,
//! with its audit event, and the alert its risk words call for.

use super::load::{Ack, note};
use bothy_domain::detectors::Cause;
use bothy_store::Store;
use std::collections::{BTreeMap, HashMap};

/// Reads every patient's check-ins, audit events and alerts once, and
/// returns each problem found (none when all is well).
pub async fn acknowledged_are_stored(store: &Store, acks: &[Ack]) -> Vec<String> {
    let mut by_patient: BTreeMap<String, Vec<&Ack>> = BTreeMap::new();
    for a in acks {
        by_patient.entry(a.patient.to_string()).or_default().push(a);
    }
    let mut problems = Vec::new();
    let mut tx = store.read().await.expect("read");
    for (patient, acks) in by_patient {
        let id = acks[0].patient;
        let check_ins = tx.check_ins(id, 1_000_000).await.expect("check-ins");
        let mut notes: HashMap<&str, Vec<&bothy_domain::check_in::CheckIn>> = HashMap::new();
        for c in &check_ins {
            if let Some(n) = c.note.as_deref() {
                notes.entry(n).or_default().push(c);
            }
        }
        let events = tx
            .audit_events_for_patient(&patient, 1_000_000)
            .await
            .expect("audit events");
        let mut audited: HashMap<String, usize> = HashMap::new();
        for e in &events {
            if let Some(d) = &e.record.detail {
                *audited.entry(d.clone()).or_default() += 1;
            }
        }
        let alerts = tx.patient_alerts(id, 1_000).await.expect("alerts");
        let risky_alert = alerts.iter().any(|a| a.cause == Cause::RiskyText);
        for a in acks {
            let stored = notes
                .get(note(&a.key, a.risky).as_str())
                .map_or(&[][..], |v| &v[..]);
            if stored.len() != 1 {
                problems.push(format!("{}: stored {} times", a.key, stored.len()));
                continue;
            }
            let detail = format!("check-in {}", stored[0].id);
            let n = audited.get(&detail).copied().unwrap_or(0);
            if n != 1 {
                problems.push(format!("{}: {n} audit events", a.key));
            }
            if a.risky && !risky_alert {
                problems.push(format!("{}: risk words and no alert", a.key));
            }
        }
    }
    tx.rollback().await.expect("rollback");
    problems
}
