//! The staff home's lists: a supporter's caseload is the people they
//! support and the people on a programme they support, merged by name and
//! cut to the limit whichever group each comes from; each person comes with
//! their open alerts and the highest severity among them.

use crate::{Fresh, at, both};
use bothy_domain::alerts::Severity;
use bothy_domain::detectors::Cause;
use bothy_domain::ids::{AlertId, EnrolmentId};
use bothy_domain::model::StaffMember;
use bothy_domain::person::{Email, PersonName};
use bothy_domain::programmes::{Kind, Programme};
use bothy_domain::{PatientId, StaffId};
use bothy_store::{AlertSubject, NewAlert, NewEnrolment, OnCaseload, Tx};

both!(a_caseload_merges_both_groups_by_name_and_cuts_to_the_limit);

pub(crate) async fn staff(tx: &mut Tx, email: &str) -> StaffId {
    let member = StaffMember {
        id: StaffId::random(),
        email: Email::from_stored(email.into()),
        name: PersonName::from_stored("A Supporter".into()),
        password_hash: None,
        totp_secret: None,
        created_at: at(0),
        disabled_at: None,
    };
    tx.insert_staff(&member).await.unwrap();
    member.id
}

async fn alert(
    tx: &mut Tx,
    service: bothy_domain::ServiceId,
    p: PatientId,
    key: &str,
    s: Severity,
) {
    tx.raise_alert(&NewAlert {
        id: AlertId::random(),
        subject: AlertSubject::Patient(p),
        service_id: service,
        cause: Cause::MoodDrop,
        dedupe_key: key,
        severity: s,
        summary: "A test alert",
        source_kind: "test",
        source_id: key,
        assigned_to: None,
        raised_at: at(1),
        deadline: at(60),
    })
    .await
    .unwrap();
}

async fn a_caseload_merges_both_groups_by_name_and_cuts_to_the_limit(db: &Fresh) {
    let mut tx = db.store.begin().await.unwrap();
    let mine = staff(&mut tx, "mine@example.org").await;
    let other = staff(&mut tx, "other@example.org").await;
    tx.commit().await.unwrap();
    // By name (Family0 ... Family5): 0, 2 and 4 are the supporter's own;
    // 1 and 3 are another's, and 3 is on a programme the supporter
    // supports; 5 is nobody's.
    let (service, p) = db
        .service_with_people(&[
            Some(mine),
            Some(other),
            Some(mine),
            Some(other),
            Some(mine),
            None,
        ])
        .await;
    let programme = Programme {
        id: "test-programme".into(),
        title: "Test".into(),
        condition: "low mood".into(),
        population: "adults".into(),
        version: "1.0.0".into(),
        licence: "CC BY 4.0".into(),
        reading_age: 9,
        authors: vec![],
        clinical_reviewer: "A Reviewer".into(),
        reviewed_on: "2026-01-01".into(),
        kind: Kind::Guided,
        introduction: vec![],
        modules: vec![],
    };
    let mut tx = db.store.begin().await.unwrap();
    tx.insert_programme_enrolment(&NewEnrolment {
        id: EnrolmentId::random(),
        patient_id: p[3],
        service_id: service,
        programme: &programme,
        supporter_id: Some(mine),
        enrolled_at: at(1),
        enrolled_by: mine,
    })
    .await
    .unwrap();
    alert(&mut tx, service, p[2], "one", Severity::Moderate).await;
    alert(&mut tx, service, p[2], "two", Severity::High).await;
    tx.commit().await.unwrap();

    let mut tx = db.store.read().await.unwrap();
    let ids = |list: &[OnCaseload]| list.iter().map(|l| l.listed.patient.id).collect::<Vec<_>>();
    let all = tx.caseload(service, mine, 10).await.unwrap();
    assert_eq!(ids(&all), vec![p[0], p[2], p[3], p[4]]);
    // Cut after the merge: the programme's person keeps their place.
    let first = tx.caseload(service, mine, 3).await.unwrap();
    assert_eq!(ids(&first), vec![p[0], p[2], p[3]]);
    let figures: Vec<_> = all
        .iter()
        .map(|l| (l.listed.open_alerts, l.highest_alert, l.unread_messages))
        .collect();
    assert_eq!(
        figures,
        vec![
            (0, None, 0),
            (2, Some(Severity::High), 0),
            (0, None, 0),
            (0, None, 0),
        ]
    );
    // The other supporter's own, without the programme's person.
    let theirs = tx.caseload(service, other, 10).await.unwrap();
    assert_eq!(ids(&theirs), vec![p[1], p[3]]);
    // Everyone, by name, cut to the limit.
    let listed = tx.patients_listed(service, 5).await.unwrap();
    let listed_ids: Vec<PatientId> = listed.iter().map(|l| l.patient.id).collect();
    assert_eq!(listed_ids, p[..5].to_vec());
    assert_eq!(listed[2].open_alerts, 2);
    tx.rollback().await.unwrap();
}
