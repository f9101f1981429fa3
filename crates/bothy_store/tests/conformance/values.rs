//! Values round-trip through both native drivers, including NULLs bound to
//! a statement that is prepared once and cached per connection.

use crate::{Fresh, at, both};
use bothy_domain::check_in::CheckIn;
use bothy_domain::ids::CheckInId;

both!(nullable_values_share_a_cached_statement);

async fn nullable_values_share_a_cached_statement(db: &Fresh) {
    let (service, patients) = db.service_with_patients(1).await;
    let sleeps = [None, Some(7.5), None, Some(6.0)];
    let notes = [None, Some("a note"), None, Some("another")];
    let mut tx = db.store.begin().await.unwrap();
    for (i, (sleep, note)) in sleeps.iter().zip(notes).enumerate() {
        tx.insert_check_in(&CheckIn {
            id: CheckInId::random(),
            patient_id: patients[0],
            service_id: service,
            mood: 5,
            sleep_hours: *sleep,
            activity: None,
            note: note.map(str::to_string),
            checked_in_at: at(i as i64),
            recorded_at: at(i as i64),
            idempotency_key: Some(format!("k{i}")),
        })
        .await
        .unwrap_or_else(|e| panic!("check-in {i}: {e}"));
    }
    let stored = tx.check_ins(patients[0], 10).await.unwrap();
    tx.commit().await.unwrap();
    let mut got: Vec<(Option<f64>, Option<String>)> = stored
        .iter()
        .map(|c| (c.sleep_hours, c.note.clone()))
        .collect();
    got.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    let mut want: Vec<(Option<f64>, Option<String>)> = sleeps
        .iter()
        .zip(notes)
        .map(|(s, n)| (*s, n.map(str::to_string)))
        .collect();
    want.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(got, want);
}
