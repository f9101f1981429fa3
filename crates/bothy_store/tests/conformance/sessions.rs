//! Sessions know whose they are: ending an account's sessions spares the
//! one asking and everyone else's, and an ended session is never saved back.

use crate::{Fresh, at, both};
use bothy_domain::time::to_millis;
use bothy_domain::{PatientId, StaffId};
use bothy_store::{SessionAccount, SessionRow};

both!(ending_an_accounts_sessions_spares_the_rest_and_stays_ended);

fn row(id: &str, account: Option<SessionAccount>) -> SessionRow {
    SessionRow {
        id: id.into(),
        data: format!("{{\"session\":\"{id}\"}}"),
        expires_at_ms: to_millis(at(60)),
        account,
    }
}

async fn ending_an_accounts_sessions_spares_the_rest_and_stays_ended(db: &Fresh) {
    let staff = SessionAccount::Staff(StaffId::random());
    let patient = SessionAccount::Patient(PatientId::random());
    let mut tx = db.store.begin().await.unwrap();
    for r in [
        row("laptop", Some(staff)),
        row("phone", Some(staff)),
        row("patient", Some(patient)),
        row("anonymous", None),
    ] {
        assert!(tx.create_session(&r).await.unwrap());
    }
    tx.commit().await.unwrap();

    // A request of the phone's session has read it...
    let mut tx = db.store.read().await.unwrap();
    let phone = tx.load_session("phone", at(0)).await.unwrap().unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(phone.account, Some(staff));
    // ...when the password is changed on the laptop.
    let mut tx = db.store.begin().await.unwrap();
    assert_eq!(tx.end_sessions(staff, Some("laptop")).await.unwrap(), 1);
    tx.commit().await.unwrap();
    // The phone's request ends by saving its session: it stays ended.
    let mut tx = db.store.begin().await.unwrap();
    assert!(!tx.save_session(&phone).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = db.store.read().await.unwrap();
    assert!(tx.load_session("phone", at(0)).await.unwrap().is_none());
    for kept in ["laptop", "patient", "anonymous"] {
        assert!(
            tx.load_session(kept, at(0)).await.unwrap().is_some(),
            "{kept}"
        );
    }
    tx.rollback().await.unwrap();
    // A session still there is saved as usual, and the account is kept.
    let mut tx = db.store.begin().await.unwrap();
    assert!(tx.save_session(&row("laptop", Some(staff))).await.unwrap());
    assert_eq!(tx.end_sessions(staff, None).await.unwrap(), 1);
    tx.commit().await.unwrap();
}
