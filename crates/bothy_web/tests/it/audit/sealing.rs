//! The sealer: every committed event is sealed once, at its own gap-free
//! position, whatever the order events commit in and however many sealers
//! run; verification says honestly what is not sealed yet.

use super::raw::{Raw, RawSealer};
use super::{all_events, seal, some_activity};
use crate::both_dbs;
use crate::helpers::{Db, TestApp};
use bothy_app::Clock;
use bothy_domain::audit::{AuditRecord, StoredAuditEvent};
use bothy_domain::time::to_millis;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

both_dbs!(
    verify_reports_unsealed_events_honestly,
    concurrent_audited_writes_are_all_sealed_without_a_gap,
    an_event_committed_late_with_a_lower_seq_is_still_sealed,
    two_sealers_at_once_never_fork_or_seal_twice,
    a_sealer_that_died_holds_the_lease_only_until_it_runs_out,
);

/// Every event is sealed, once, at positions 1..=n, and the trail verifies.
async fn assert_all_sealed_once(t: &TestApp) -> Vec<StoredAuditEvent> {
    let all = all_events(t).await;
    let mut positions: Vec<i64> = all
        .iter()
        .map(|e| e.seal.as_ref().expect("every event sealed").pos)
        .collect();
    positions.sort_unstable();
    assert_eq!(positions, (1..=all.len() as i64).collect::<Vec<_>>());
    let report = t.app.store().verify_audit(&[]).await.unwrap();
    assert_eq!(report.first_break, None);
    assert_eq!(
        (report.sealed, report.unsealed, report.head.pos),
        (all.len() as u64, 0, all.len() as i64)
    );
    all
}

async fn verify_reports_unsealed_events_honestly(t: TestApp) {
    // Nothing has been sealed: the demo set-up's events all wait.
    let first_at = all_events(&t).await[0].record.at_ms;
    some_activity(&t).await;
    let events = all_events(&t).await.len() as u64;
    let report = t.app.store().verify_audit(&[]).await.unwrap();
    assert_eq!(report.first_break, None);
    assert_eq!(
        (
            report.sealed,
            report.unsealed,
            report.oldest_unsealed_at_ms,
            report.head.pos
        ),
        (0, events, Some(first_at), 0)
    );

    assert_eq!(seal(&t).await, events);
    let report = t.app.store().verify_audit(&[]).await.unwrap();
    assert_eq!(
        (report.sealed, report.unsealed, report.oldest_unsealed_at_ms),
        (events, 0, None)
    );
    let head = report.head.clone();
    assert_eq!(head.sealed_at_ms, Some(to_millis(t.clock.now())));

    // Later activity waits for the next pass, and says since when.
    t.clock.advance(Duration::from_secs(30));
    let later = to_millis(t.clock.now());
    let c = t.staff_client("triage_clinician").await;
    c.get(&format!("/staff/patients/{}", t.demo.patients[2].id))
        .await
        .ok();
    let more = all_events(&t).await.len() as u64 - events;
    assert!(more >= 3, "sign-in and a read");
    let report = t.app.store().verify_audit(&[]).await.unwrap();
    assert_eq!(
        (
            report.first_break,
            report.sealed,
            report.unsealed,
            report.oldest_unsealed_at_ms
        ),
        (None, events, more, Some(later))
    );
    assert_eq!(report.head, head, "the head moves only when sealing");
    assert_eq!(seal(&t).await, more);
    assert_all_sealed_once(&t).await;
}

/// Reads of every demo record by `clients` tasks at once, `rounds` each.
async fn read_at_once(t: &TestApp, clients: usize, rounds: usize) {
    let c = t.staff_client("triage_clinician").await;
    let ids: Vec<String> = t.demo.patients.iter().map(|p| p.id.clone()).collect();
    let tasks: Vec<_> = (0..clients)
        .map(|n| {
            let c = c.clone();
            let ids = ids.clone();
            tokio::spawn(async move {
                for r in 0..rounds {
                    let id = &ids[(n + r) % ids.len()];
                    c.get(&format!("/staff/patients/{id}")).await.ok();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

async fn concurrent_audited_writes_are_all_sealed_without_a_gap(t: TestApp) {
    let before = all_events(&t).await.len();
    let stop = Arc::new(AtomicBool::new(false));
    let sealer = {
        let (app, stop) = (t.app.clone(), stop.clone());
        tokio::spawn(async move {
            let mut sealed = 0;
            while !stop.load(Ordering::Relaxed) {
                sealed += bothy_jobs::seal_audit(&app).await.unwrap().sealed;
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            sealed
        })
    };
    read_at_once(&t, 24, 8).await;
    stop.store(true, Ordering::Relaxed);
    let during = sealer.await.unwrap();
    let after = seal(&t).await;
    let all = assert_all_sealed_once(&t).await;
    assert!(all.len() >= before + 24 * 8, "{} events", all.len());
    assert_eq!(during + after, all.len() as u64);
}

async fn an_event_committed_late_with_a_lower_seq_is_still_sealed(t: TestApp) {
    if t.db == Db::Sqlite {
        // One writer at a time: on SQLite events commit in `seq` order.
        return;
    }
    seal(&t).await;
    let patient = t.demo.patients[0].id.clone();
    let c = t.staff_client("triage_clinician").await;
    // A transaction appends an event and is slow to commit ...
    let mut slow = t.app.store().begin().await.unwrap();
    slow.audit(&AuditRecord {
        at_ms: to_millis(t.clock.now()),
        actor_kind: "system".into(),
        actor_id: None,
        role: None,
        service_id: None,
        patient_id: Some(patient.clone()),
        action: "test.slow".into(),
        purpose: "direct_care".into(),
        request_id: None,
        detail: None,
        record: None,
    })
    .await
    .unwrap();
    // (A PostgreSQL transaction sends an event with its next statement: a
    // read of the trail sends it on its own, taking its `seq` now.)
    slow.recent_audit_events(1).await.unwrap();
    // ... while an audited read of the same patient neither waits for it
    // (no shared lock on the hot path) ...
    tokio::time::timeout(
        Duration::from_secs(10),
        c.get(&format!("/staff/patients/{patient}")),
    )
    .await
    .expect("an uncommitted audit event holds up nobody")
    .ok();
    // ... and is sealed first, with a higher `seq`.
    assert!(seal(&t).await >= 1);
    let report = t.app.store().verify_audit(&[]).await.unwrap();
    assert_eq!((report.first_break, report.unsealed), (None, 0));
    slow.commit().await.unwrap();
    let report = t.app.store().verify_audit(&[]).await.unwrap();
    assert_eq!(report.unsealed, 1, "the late event is reported as waiting");
    assert_eq!(seal(&t).await, 1);

    let all = assert_all_sealed_once(&t).await;
    let late = all.iter().find(|e| e.record.action == "test.slow").unwrap();
    let read = all
        .iter()
        .rfind(|e| e.record.action == "patient.read")
        .unwrap();
    assert!(late.seq < read.seq, "the late event has the lower seq");
    assert!(
        late.seal.as_ref().unwrap().pos > read.seal.as_ref().unwrap().pos,
        "and the later position"
    );
}

async fn two_sealers_at_once_never_fork_or_seal_twice(t: TestApp) {
    let stop = Arc::new(AtomicBool::new(false));
    // With no lease time at all, each sealer may take the lease from the
    // other at any moment: only the guarded seal keeps them apart.
    let sealers: Vec<_> = ["one", "two"]
        .into_iter()
        .map(|name| {
            let (app, stop) = (t.app.clone(), stop.clone());
            tokio::spawn(async move {
                let mut sealed = 0;
                while !stop.load(Ordering::Relaxed) {
                    let pass = app
                        .store()
                        .seal_audit(name, app.clock().now(), Duration::ZERO)
                        .await
                        .unwrap();
                    sealed += pass.sealed;
                    tokio::task::yield_now().await;
                }
                sealed
            })
        })
        .collect();
    read_at_once(&t, 12, 6).await;
    stop.store(true, Ordering::Relaxed);
    let mut sealed = 0;
    for s in sealers {
        sealed += s.await.unwrap();
    }
    sealed += seal(&t).await;
    let all = assert_all_sealed_once(&t).await;
    assert_eq!(sealed, all.len() as u64, "no event sealed twice");

    // With a lease, a second sealer finds the first at work and waits.
    let mut raw = Raw::connect(&t.url, t.db).await;
    let mut sealer = raw.read().await.sealer;
    sealer.lease_holder = Some("busy worker".into());
    t.staff_client("supporter").await;
    sealer.lease_until = Some(to_millis(t.clock.now()) + 1_000);
    raw.set_sealer(&sealer).await;
    let pass = t
        .app
        .store()
        .seal_audit("two", t.clock.now(), Duration::from_secs(60))
        .await
        .unwrap();
    assert!(pass.busy && pass.sealed == 0, "{pass:?}");
    raw.close().await;
}

async fn a_sealer_that_died_holds_the_lease_only_until_it_runs_out(t: TestApp) {
    let mut raw = Raw::connect(&t.url, t.db).await;
    let lease_until = to_millis(t.clock.now()) + 60_000;
    let dead = RawSealer {
        lease_holder: Some("worker-1/dead".into()),
        lease_until: Some(lease_until),
        ..raw.read().await.sealer
    };
    raw.set_sealer(&dead).await;
    let waiting = all_events(&t).await.len() as u64;
    assert_eq!(seal(&t).await, 0, "the lease is someone else's");
    assert_eq!(
        t.app.store().verify_audit(&[]).await.unwrap().unsealed,
        waiting
    );
    t.clock.advance(Duration::from_secs(61));
    assert_eq!(seal(&t).await, waiting, "the lease ran out");
    let after = raw.read().await.sealer;
    assert_eq!(
        (after.lease_holder, after.lease_until),
        (None, None),
        "a pass gives the lease back"
    );
    assert!(after.legacy_checked_at.is_some());
    assert_all_sealed_once(&t).await;
    raw.close().await;
}
