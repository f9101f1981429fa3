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

both!(a_session_is_read_with_the_account_it_names);

/// The staff member with each of their roles, or the patient, a session's
/// row names comes back with it; a session of nobody, or of an account
/// that does not exist, comes back alone.
async fn a_session_is_read_with_the_account_it_names(db: &Fresh) {
    use bothy_domain::model::{RoleGrant, StaffMember};
    use bothy_domain::person::{Email, PersonName};
    use bothy_domain::role::Role;
    use bothy_store::SessionHolder;

    let (service, patients) = db.service_with_patients(1).await;
    let member = StaffMember {
        id: StaffId::random(),
        email: Email::from_stored("lead@example.org".into()),
        name: PersonName::from_stored("Ann Lead".into()),
        password_hash: None,
        totp_secret: None,
        created_at: at(0),
        disabled_at: None,
    };
    let grants = [Role::ClinicalLead, Role::Supporter].map(|role| RoleGrant {
        service_id: service,
        role,
    });
    let mut tx = db.store.begin().await.unwrap();
    tx.insert_staff(&member).await.unwrap();
    for g in grants {
        tx.grant_role(member.id, g).await.unwrap();
    }
    for r in [
        row("staff", Some(SessionAccount::Staff(member.id))),
        row("patient", Some(SessionAccount::Patient(patients[0]))),
        row("anonymous", None),
        row("gone", Some(SessionAccount::Patient(PatientId::random()))),
    ] {
        assert!(tx.create_session(&r).await.unwrap());
    }
    tx.commit().await.unwrap();

    let mut tx = db.store.read().await.unwrap();
    let (session, holder) = tx
        .load_session_with_holder("staff", at(0))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.data, row("staff", None).data);
    match holder {
        Some(SessionHolder::Staff(m, mut g)) => {
            assert_eq!(
                (m.id, m.name.as_str(), m.disabled_at),
                (member.id, "Ann Lead", None)
            );
            g.sort();
            let mut want = grants.to_vec();
            want.sort();
            assert_eq!(g, want);
        }
        other => panic!("the staff session's holder: {other:?}"),
    }
    match tx.load_session_with_holder("patient", at(0)).await.unwrap() {
        Some((
            s,
            Some(SessionHolder::Patient {
                id,
                service_id,
                given_name,
            }),
        )) => {
            assert_eq!(s.account, Some(SessionAccount::Patient(patients[0])));
            assert_eq!((id, service_id), (patients[0], service));
            assert_eq!(given_name.as_str(), "Given0");
        }
        other => panic!("the patient session's holder: {other:?}"),
    }
    for alone in ["anonymous", "gone"] {
        let (s, holder) = tx
            .load_session_with_holder(alone, at(0))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(s.id, alone);
        assert!(holder.is_none(), "{alone}: {holder:?}");
    }
    // An expired session is not read, nor its holder.
    assert!(
        tx.load_session_with_holder("staff", at(61))
            .await
            .unwrap()
            .is_none()
    );
    tx.rollback().await.unwrap();
}
