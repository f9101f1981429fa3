//! A triage clinician's front door: referrals waiting for triage (with
//! risk) as the home counts them and the queue lists them, and the people
//! waiting now as the home counts them and the waiting list pages them.
//! Each count stops at `COUNT_CAP`, so the home costs the same behind any
//! backlog; below it, it is exact.

use crate::listed::staff;
use crate::{Fresh, at, both};
use bothy_domain::alerts::{AlertState, Outcome, Severity};
use bothy_domain::detectors::Cause;
use bothy_domain::ids::AlertId;
use bothy_domain::ids::{EpisodeId, ReferralId};
use bothy_domain::model::Alert;
use bothy_domain::referral::rtt::{self, CompletedWaits};
use bothy_domain::referral::{Details, Episode, Referral, Source, Status, Step};
use bothy_domain::time::Timestamp;
use bothy_domain::{PatientId, ServiceId, StaffId};
use bothy_store::{Batch, FrontDoorCounts, OverdueAlert};

both!(
    the_front_doors_counts_are_exact_then_capped,
    the_triage_queue_puts_risk_then_urgency_then_the_longest_waiting_first,
    referrals_are_read_by_id_in_one_statement,
    completed_waits_are_counted_by_day_as_the_standards_count_them
);

/// How an episode stands.
#[derive(Clone, Copy)]
enum Stage {
    Waiting,
    DischargedUntreated,
    Treated,
}

/// A referral with the patient, accepted or still waiting for triage.
fn referral(
    service: ServiceId,
    patient: Option<PatientId>,
    status: Status,
    risk: bool,
) -> Referral {
    queued(service, patient, status, (risk, false), 0)
}

/// A referral received `minutes` after the start, with risk and urgency.
fn queued(
    service: ServiceId,
    patient: Option<PatientId>,
    status: Status,
    (risk, urgent): (bool, bool),
    minutes: i64,
) -> Referral {
    Referral {
        // Every one received, the drafts included, so that the queue's
        // order by time is the same for all.
        received_at: Some(at(minutes)),
        risk,
        urgent,
        patient_id: patient,
        ..Referral::new(
            ReferralId::random(),
            service,
            (status, Source::SelfReferral),
            Details::default(),
            at(minutes),
        )
    }
}

/// Each patient's accepted referral and an episode at `stage`, the `i`th
/// referred `i` minutes after the start.
fn episodes(
    service: ServiceId,
    practitioner: StaffId,
    people: &[(PatientId, Stage)],
    first: i64,
) -> Batch {
    let mut b = Batch::default();
    for (i, (patient, stage)) in people.iter().enumerate() {
        let r = referral(service, Some(*patient), Status::Accepted, false);
        let referred = at(first + i as i64);
        b.episodes.push(Episode {
            id: EpisodeId::random(),
            patient_id: *patient,
            service_id: service,
            referral_id: r.id,
            step: Step::Therapist,
            practitioner_id: practitioner,
            problem_descriptor: bothy_domain::referral::problem_descriptor(&[]),
            referred_at: referred,
            opened_at: referred,
            first_treatment_at: matches!(stage, Stage::Treated).then(|| at(5_000)),
            treatment_appointments: 0,
            discharged_at: matches!(stage, Stage::DischargedUntreated).then(|| at(5_000)),
            discharge_reason: None,
            outcome: None,
        });
        b.referrals.push(r);
    }
    b
}

async fn load(db: &Fresh, batch: &Batch) {
    let mut tx = db.store.begin().await.unwrap();
    tx.insert_batch(batch).await.unwrap();
    tx.commit().await.unwrap();
}

/// When the counts are read: past the deadline of alerts due before it.
const NOW_MINUTES: i64 = 10_000;

async fn counts(db: &Fresh, service: ServiceId) -> FrontDoorCounts {
    let mut tx = db.store.read().await.unwrap();
    let c = tx
        .front_door_counts(service, at(NOW_MINUTES))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    c
}

async fn overdue(db: &Fresh, service: ServiceId, limit: i64) -> (Vec<OverdueAlert>, i64) {
    let mut tx = db.store.read().await.unwrap();
    let o = tx
        .overdue_alerts(service, at(NOW_MINUTES), limit)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    o
}

/// An alert about `patient` due at `deadline` (minutes), closed or not.
fn alert(
    service: ServiceId,
    patient: PatientId,
    deadline: i64,
    closed_by: Option<StaffId>,
) -> Alert {
    let key = uuid::Uuid::new_v4().to_string();
    Alert {
        id: AlertId::random(),
        patient_id: Some(patient),
        referral_id: None,
        service_id: service,
        cause: Cause::MoodDrop,
        dedupe_key: key.clone(),
        severity: Severity::High,
        summary: "A test alert".into(),
        source_kind: "test".into(),
        source_id: key,
        assigned_to: None,
        raised_at: at(deadline - 60),
        deadline: at(deadline),
        signal_count: 1,
        last_signal_at: at(deadline - 60),
        state: match closed_by {
            Some(by) => AlertState::Closed {
                by,
                at: at(deadline - 30),
                outcome: Outcome::ContactedPerson,
            },
            None => AlertState::Open,
        },
        acknowledged: closed_by.map(|by| (by, at(deadline - 40))),
        escalated_at: None,
        close_note: None,
    }
}

async fn the_front_doors_counts_are_exact_then_capped(db: &Fresh) {
    let cap = 1000;
    let (service, patients) = db.service_with_patients(cap + 20).await;
    let mut tx = db.store.begin().await.unwrap();
    let practitioner = staff(&mut tx, "practitioner@example.org").await;
    tx.commit().await.unwrap();

    // Four waiting, three discharged before treatment, two treated, each
    // referred a minute after the one before: only the four wait.
    let stages = [
        Stage::Treated,
        Stage::Waiting,
        Stage::DischargedUntreated,
        Stage::Waiting,
        Stage::DischargedUntreated,
        Stage::Waiting,
        Stage::Treated,
        Stage::DischargedUntreated,
        Stage::Waiting,
    ];
    let people: Vec<_> = patients.iter().copied().zip(stages).collect();
    let mut batch = episodes(service, practitioner, &people, 0);
    // Waiting for triage: two received (one with risk), one asking for
    // more information, one draft with a risk answer (the queue lists it);
    // a draft without risk and a declined referral are not waiting.
    batch.referrals.extend([
        referral(service, None, Status::Received, true),
        referral(service, None, Status::Received, false),
        referral(service, None, Status::InfoRequested, false),
        referral(service, None, Status::Draft, true),
        referral(service, None, Status::Draft, false),
        referral(service, None, Status::Declined, true),
    ]);
    // The duty queue: three open alerts past their deadline, two open and
    // not yet due (one due exactly now, which is not past it), and one
    // closed past its deadline.
    let p = patients[0];
    batch.alerts.extend([
        alert(service, p, NOW_MINUTES - 100, None),
        alert(service, p, NOW_MINUTES - 1, None),
        alert(service, p, 5, None),
        alert(service, p, NOW_MINUTES, None),
        alert(service, p, NOW_MINUTES + 60, None),
        alert(service, p, NOW_MINUTES - 10, Some(practitioner)),
    ]);
    load(db, &batch).await;
    assert_eq!(
        counts(db, service).await,
        FrontDoorCounts {
            referrals: 4,
            referrals_with_risk: 2,
            waiting: 4,
            open_alerts: 5,
            overdue_alerts: 3,
        }
    );
    // A clinical lead's list of the overdue: the most overdue first, cut
    // to its length, with the count of all of them.
    let (two, total) = overdue(db, service, 2).await;
    assert_eq!(total, 3);
    assert_eq!(
        two.iter().map(|a| a.alert.deadline).collect::<Vec<_>>(),
        [at(5), at(NOW_MINUTES - 100)]
    );
    assert_eq!(overdue(db, service, 50).await.0.len(), 3);
    let mut tx = db.store.read().await.unwrap();
    let list = tx.waiting_episodes(service, 50).await.unwrap();
    tx.rollback().await.unwrap();
    let waiting: Vec<PatientId> = people
        .iter()
        .filter(|(_, s)| matches!(s, Stage::Waiting))
        .map(|(p, _)| *p)
        .collect();
    assert_eq!(
        list.iter().map(|e| e.patient_id).collect::<Vec<_>>(),
        waiting,
        "the waiting list is the people waiting, longest first"
    );

    // A backlog past the cap: every count stops at it.
    let more: Vec<_> = patients[stages.len()..]
        .iter()
        .map(|p| (*p, Stage::Waiting))
        .collect();
    let mut batch = episodes(service, practitioner, &more, 100);
    batch
        .referrals
        .extend((0..cap).map(|_| referral(service, None, Status::Received, true)));
    batch
        .alerts
        .extend((0..cap).map(|i| alert(service, patients[i % patients.len()], 10, None)));
    load(db, &batch).await;
    assert_eq!(
        counts(db, service).await,
        FrontDoorCounts {
            referrals: cap as i64,
            referrals_with_risk: cap as i64,
            waiting: cap as i64,
            open_alerts: cap as i64,
            overdue_alerts: cap as i64,
        }
    );
    let (first, total) = overdue(db, service, 50).await;
    assert_eq!((first.len(), total), (50, cap as i64));
    let (none, total) = overdue(db, ServiceId::random(), 50).await;
    assert!(none.is_empty());
    assert_eq!(total, 0);
    let mut tx = db.store.read().await.unwrap();
    let list = tx.waiting_episodes(service, 5).await.unwrap();
    tx.rollback().await.unwrap();
    let first_page: Vec<PatientId> = waiting.iter().copied().chain([more[0].0]).collect();
    assert_eq!(
        list.iter().map(|e| e.patient_id).collect::<Vec<_>>(),
        first_page,
        "the first page is still the longest waiting"
    );
}

async fn the_triage_queue_puts_risk_then_urgency_then_the_longest_waiting_first(db: &Fresh) {
    let (service, _) = db.service_with_patients(0).await;
    let r = |status, flags, minutes| queued(service, None, status, flags, minutes);
    use Status::{Accepted, Declined, Draft, InfoRequested, Received};
    // In the order the queue must list them, each status among the others.
    let expected = [
        r(Draft, (true, true), 9),
        r(Received, (true, false), 3),
        r(InfoRequested, (true, false), 4),
        r(Draft, (true, false), 5),
        r(InfoRequested, (false, true), 1),
        r(Received, (false, true), 7),
        r(Received, (false, false), 2),
        r(InfoRequested, (false, false), 6),
        r(Received, (false, false), 8),
    ];
    // Not waiting for triage: a draft without risk, and decided ones.
    let others = [
        r(Draft, (false, true), 0),
        r(Accepted, (true, true), 0),
        r(Declined, (true, true), 0),
    ];
    let mut referrals: Vec<Referral> = others.into_iter().chain(expected.clone()).collect();
    referrals.reverse();
    load(
        db,
        &Batch {
            referrals,
            ..Batch::default()
        },
    )
    .await;
    let mut tx = db.store.read().await.unwrap();
    let all = tx.triage_queue(service, 50).await.unwrap();
    let first = tx.triage_queue(service, 3).await.unwrap();
    tx.rollback().await.unwrap();
    let ids = |list: &[Referral]| list.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(&all), ids(&expected));
    assert_eq!(ids(&first), ids(&expected[..3]), "cut after the merge");
}

/// The duty queue names people whose referral is not yet accepted from a
/// page of referrals read at once: those asked for, whatever else exists.
async fn referrals_are_read_by_id_in_one_statement(db: &Fresh) {
    let (service, _) = db.service_with_patients(0).await;
    let made: Vec<Referral> = (0..3)
        .map(|i| queued(service, None, Status::Received, (i == 1, false), i))
        .collect();
    let mut batch = Batch::default();
    batch.referrals.extend(made.iter().cloned());
    load(db, &batch).await;
    let unknown = ReferralId::random();
    let mut tx = db.store.read().await.unwrap();
    assert!(tx.referrals_by_ids(&[]).await.unwrap().is_empty());
    let read = tx
        .referrals_by_ids(&[made[1].id, unknown, made[2].id])
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    let mut ids: Vec<ReferralId> = read.keys().copied().collect();
    ids.sort();
    let mut asked = vec![made[1].id, made[2].id];
    asked.sort();
    assert_eq!(ids, asked, "the two asked for that exist");
    for r in &made[1..] {
        let got = &read[&r.id];
        assert_eq!(
            (got.service_id, got.status, got.risk),
            (r.service_id, r.status, r.risk)
        );
        assert_eq!(
            (got.received_at, got.created_at),
            (r.received_at, r.created_at)
        );
    }
}

/// The waiting list's and the confirmation page's figures, from waits the
/// database counts by day: the same as from the waits themselves, at each
/// boundary of the standards, in whole seconds as `rtt::breaches` counts.
async fn completed_waits_are_counted_by_day_as_the_standards_count_them(db: &Fresh) {
    let (service, patients) = db.service_with_patients(9).await;
    let mut tx = db.store.begin().await.unwrap();
    let practitioner = staff(&mut tx, "practitioner@example.org").await;
    tx.commit().await.unwrap();
    let day = 86_400_000;
    // Waits in milliseconds: exactly six weeks, a second more, 699 and 700
    // ms more (with the referral 300 ms into its second, the first ends in
    // the same whole second and the second in the next), a day less,
    // exactly 18 weeks and a second more, and one stopped before it started.
    let lengths = [
        42 * day,
        42 * day + 1000,
        42 * day + 699,
        42 * day + 700,
        41 * day,
        126 * day,
        126 * day + 1000,
        -5000,
    ];
    let ms = |plus: i64| Timestamp::from_millisecond(at(0).as_millisecond() + plus).unwrap();
    let people: Vec<_> = patients.iter().map(|p| (*p, Stage::Treated)).collect();
    let mut batch = episodes(service, practitioner, &people, 0);
    let mut waits = Vec::new();
    for (e, length) in batch.episodes.iter_mut().zip(lengths) {
        e.referred_at = ms(300 + 100 * day);
        e.first_treatment_at = Some(ms(300 + 100 * day + length));
        waits.push((e.referred_at, e.first_treatment_at.unwrap()));
    }
    // Stopped before the year asked for (day 50 on): not counted.
    batch.episodes[8].first_treatment_at = Some(ms(5 * day));
    load(db, &batch).await;

    let mut tx = db.store.read().await.unwrap();
    let counted = tx.completed_waits(service, ms(50 * day)).await.unwrap();
    let none = tx.completed_waits(service, ms(300 * day)).await.unwrap();
    tx.rollback().await.unwrap();
    // Waits of whole seconds computed the domain's way, stop before start.
    let secs = |(a, b): (Timestamp, Timestamp)| b.as_second() - a.as_second();
    let exact = CompletedWaits::from_waits(&waits);
    assert_eq!(counted.count(), lengths.len() as u64);
    for standard in [rtt::ENGLAND_6_WEEKS, rtt::SCOTLAND_18_WEEKS] {
        let within = waits
            .iter()
            .filter(|w| secs(**w) <= standard.weeks * rtt::WEEK_SECS)
            .count();
        let share = Some(within as f64 / lengths.len() as f64);
        assert_eq!(exact.share_within(standard), share, "{}", standard.name);
        assert_eq!(counted.share_within(standard), share, "{}", standard.name);
    }
    assert_eq!(counted.median_days(), exact.median_days());
    assert_eq!(none, CompletedWaits::default());
}
