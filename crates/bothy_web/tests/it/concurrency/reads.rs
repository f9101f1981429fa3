//! Reads at once: each read's audit event is committed with other reads'
//! (group commit), and still before its own answer leaves, exactly once.

use super::*;
use crate::both_dbs;
use bothy_app::App;
use std::collections::HashSet;

both_dbs!(reads_at_once_each_have_their_event_before_their_answer);

/// Sixteen record pages read at once by two clinicians, over four
/// patients, in each of three rounds: every answer's request has exactly
/// one `patient.read` event, already stored when the answer arrives.
async fn reads_at_once_each_have_their_event_before_their_answer(t: TestApp) {
    let clinicians = [
        t.staff_client("triage_clinician").await,
        t.staff_client("clinical_lead").await,
    ];
    let patients: Vec<String> = t.demo.patients[..4].iter().map(|p| p.id.clone()).collect();
    for _ in 0..ROUNDS {
        let reads = (0..2 * AT_ONCE)
            .map(|i| {
                let c = clinicians[i % 2].clone();
                let patient = patients[i % patients.len()].clone();
                let app = t.app.clone();
                async move {
                    let r = c.get(&format!("/staff/patients/{patient}")).await;
                    let stored = read_events(&app, &patient).await;
                    (r, patient, stored)
                }
            })
            .collect();
        let answers = at_once(reads).await;
        let mut requests = HashSet::new();
        for (r, patient, stored_at_answer) in &answers {
            assert_eq!(r.status.as_u16(), 200, "{}", r.body);
            let id = r.headers["x-request-id"].to_str().unwrap().to_string();
            assert!(
                stored_at_answer.contains(&id),
                "the read of {patient} by request {id} answered before its event was stored"
            );
            assert!(requests.insert(id), "request ids are distinct");
        }
        for patient in &patients {
            let mut ids = read_events(&t.app, patient).await;
            let all = ids.len();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), all, "a read of {patient} has two events");
        }
    }
}

/// The request ids of every `patient.read` event about `patient`.
async fn read_events(app: &App, patient: &str) -> Vec<String> {
    let mut tx = app.store().read().await.unwrap();
    let events = tx.audit_events_for_patient(patient, 10_000).await.unwrap();
    tx.rollback().await.unwrap();
    events
        .into_iter()
        .filter(|e| e.record.action == "patient.read")
        .filter_map(|e| e.record.request_id)
        .collect()
}
