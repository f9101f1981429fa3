//! Migration 8 on a trail of the earlier format (16 chains, each event
//! linked as it was written): the sealer checks those chains once, records
//! what it found as a sealed event, and seals their events in `seq` order
//! with the rest; a server of the previous version that still appends the
//! old way during a deploy has its events sealed too.

use super::raw::{Raw, V};
use crate::helpers::Db;
use bothy_domain::audit::legacy::{GENESIS, chain_for, event_hash};
use bothy_domain::audit::{AuditRecord, LEGACY_CHECK_ACTION, LegacyCheck};
use bothy_domain::time::Timestamp;
use bothy_store::{PoolSettings, Store};
use std::time::Duration;

macro_rules! on_both_dbs {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(crate::helpers::Db::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(bothy_no_postgres, ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set")]
            async fn postgres() {
                super::$name(crate::helpers::Db::Postgres).await;
            }
        }
    )*};
}

on_both_dbs!(
    the_earlier_chains_are_checked_once_then_sealed_in_seq_order,
    earlier_chains_already_broken_are_reported_and_their_events_sealed_as_found,
);

/// An empty database of its own, migrated only to `version`.
struct Scratch {
    store: Store,
    url: String,
    db: Db,
    admin: Option<String>,
    dir: Option<std::path::PathBuf>,
}

impl Scratch {
    async fn new(db: Db, version: i64) -> Option<Self> {
        let (url, admin, dir) = match db {
            Db::Sqlite => {
                let dir = std::env::temp_dir().join(format!(
                    "bothy-test-legacy-{}",
                    bothy_domain::PatientId::random()
                ));
                std::fs::create_dir_all(&dir).unwrap();
                (
                    format!("sqlite://{}/bothy.db", dir.display()),
                    None,
                    Some(dir),
                )
            }
            Db::Postgres => {
                let Ok(admin) = std::env::var("BOTHY_TEST_DATABASE_URL") else {
                    assert!(std::env::var_os("CI").is_none());
                    return None;
                };
                let url = bothy_store::create_scratch_database(&admin, "bothy_test")
                    .await
                    .unwrap();
                (url, Some(admin), None)
            }
        };
        let store = Store::connect(&url, &PoolSettings::default())
            .await
            .unwrap();
        store.migrate_to(version).await.unwrap();
        Some(Self {
            store,
            url,
            db,
            admin,
            dir,
        })
    }

    async fn raw(&self) -> Raw {
        Raw::connect(&self.url, self.db).await
    }

    async fn finish(self) {
        self.store.close().await;
        if let Some(admin) = &self.admin {
            bothy_store::drop_scratch_database(admin, &self.url)
                .await
                .unwrap();
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn now() -> Timestamp {
    "2026-11-17T10:00:00Z".parse().unwrap()
}

fn record(i: usize) -> AuditRecord {
    AuditRecord {
        at_ms: 1_700_000_000_000 + i as i64,
        actor_kind: "staff".into(),
        actor_id: Some(format!("staff-{}", i % 3)),
        role: Some("triage_clinician".into()),
        service_id: Some("service-1".into()),
        patient_id: (!i.is_multiple_of(4)).then(|| format!("patient-{}", i % 7)),
        action: "patient.read".into(),
        purpose: "direct_care".into(),
        request_id: Some(format!("request-{i}")),
        detail: i.is_multiple_of(5).then(|| format!("note {i}")),
        record: None,
    }
}

/// Appends an event the way the previous version did: the next position of
/// its chain under the chain's row, linked to the chain's last hash.
async fn append_the_old_way(raw: &mut Raw, r: &AuditRecord) -> i64 {
    let chain = chain_for(r);
    let chain_seq = raw
        .int(
            "UPDATE audit_chains SET last_seq = last_seq + 1 WHERE chain = $1 RETURNING last_seq",
            &[chain.into()],
        )
        .await;
    let prev = raw
        .text(
            "SELECT last_hash FROM audit_chains WHERE chain = $1",
            &[chain.into()],
        )
        .await;
    let hash = event_hash(&prev, chain, chain_seq, r);
    let seq = raw
        .int(
            "INSERT INTO audit_events (chain, chain_seq, at, actor_kind, actor_id, role, service_id, \
             patient_id, action, purpose, request_id, detail, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING seq",
            &[
                chain.into(),
                chain_seq.into(),
                r.at_ms.into(),
                r.actor_kind.clone().into(),
                r.actor_id.clone().into(),
                r.role.clone().into(),
                r.service_id.clone().into(),
                r.patient_id.clone().into(),
                r.action.clone().into(),
                r.purpose.clone().into(),
                r.request_id.clone().into(),
                r.detail.clone().into(),
                prev.into(),
                hash.clone().into(),
            ],
        )
        .await;
    raw.execute(
        "UPDATE audit_chains SET last_hash = $2 WHERE chain = $1",
        &[chain.into(), V::from(hash)],
    )
    .await;
    seq
}

async fn seal(store: &Store) -> bothy_store::SealPass {
    store
        .seal_audit("test", now(), Duration::from_secs(60))
        .await
        .unwrap()
}

async fn the_earlier_chains_are_checked_once_then_sealed_in_seq_order(db: Db) {
    let Some(s) = Scratch::new(db, 7).await else {
        return;
    };
    let mut raw = s.raw().await;
    for i in 0..40 {
        append_the_old_way(&mut raw, &record(i)).await;
    }
    assert_eq!(
        raw.text(
            "SELECT last_hash FROM audit_chains WHERE last_seq = 0 LIMIT 1",
            &[]
        )
        .await,
        GENESIS,
        "some chain is still empty, as in a small deployment"
    );
    s.store.migrate().await.unwrap();
    // A server of the previous version still appends the old way ...
    append_the_old_way(&mut raw, &record(40)).await;
    append_the_old_way(&mut raw, &record(41)).await;
    // ... beside a new one.
    let mut tx = s.store.begin().await.unwrap();
    tx.audit(&record(42)).await.unwrap();
    tx.commit().await.unwrap();

    let report = s.store.verify_audit(&[]).await.unwrap();
    assert!(report.is_intact());
    assert_eq!((report.sealed, report.unsealed), (0, 43));
    assert_eq!(
        report.oldest_unsealed_at_ms,
        Some(record(0).at_ms),
        "waiting since the first event of the earlier format"
    );

    let pass = seal(&s.store).await;
    assert_eq!(
        pass.legacy,
        Some(LegacyCheck {
            chains: 16,
            events: 42,
            first_break: None
        })
    );
    assert_eq!(pass.sealed, 44, "every event, and the record of the check");

    let report = s.store.verify_audit(&[]).await.unwrap();
    assert!(report.is_intact(), "{:?}", report.first_break);
    assert_eq!((report.sealed, report.unsealed), (44, 0));
    let finding = report.legacy.expect("the check is reported");
    assert_eq!(finding.check.events, 42);

    // Sealed in `seq` order: the earlier events, the new one, then the check.
    let trail = raw.read().await;
    let by_seq: Vec<i64> = trail.events.values().map(|e| e.seal_pos.unwrap()).collect();
    assert_eq!(by_seq, (1..=44).collect::<Vec<_>>());
    let last = trail.events.values().last().unwrap();
    assert_eq!(last.seq, finding.seq);
    assert_eq!(last.record.action, LEGACY_CHECK_ACTION);
    assert_eq!(last.record.actor_kind, "system");

    // Still during the deploy: an old-format event is sealed like any other,
    // and the earlier chains are not checked again.
    append_the_old_way(&mut raw, &record(43)).await;
    let pass = seal(&s.store).await;
    assert_eq!((pass.sealed, pass.legacy), (1, None));
    let report = s.store.verify_audit(&[]).await.unwrap();
    assert!(report.is_intact());
    assert_eq!(report.sealed, 45);
    raw.close().await;
    s.finish().await;
}

async fn earlier_chains_already_broken_are_reported_and_their_events_sealed_as_found(db: Db) {
    let Some(s) = Scratch::new(db, 7).await else {
        return;
    };
    let mut raw = s.raw().await;
    let mut seqs = Vec::new();
    for i in 0..20 {
        seqs.push(append_the_old_way(&mut raw, &record(i)).await);
    }
    // Someone changed an event of the earlier format before the upgrade.
    let victim = seqs[7];
    raw.execute(
        "UPDATE audit_events SET actor_id = 'someone-else' WHERE seq = $1",
        &[victim.into()],
    )
    .await;
    s.store.migrate().await.unwrap();

    let pass = seal(&s.store).await;
    let check = pass.legacy.expect("checked before sealing");
    let found = check.first_break.clone().expect("the break is found");
    assert!(found.contains(&format!("event {victim} ")), "{found}");
    assert_eq!(
        pass.sealed, 21,
        "sealed as found, with the record of the check"
    );

    let report = s.store.verify_audit(&[]).await.unwrap();
    assert_eq!(report.first_break, None, "nothing changed since sealing");
    assert!(!report.is_intact(), "but the earlier chains were broken");
    assert_eq!(report.legacy.map(|l| l.check), Some(check));
    assert_eq!(report.unsealed, 0);
    raw.close().await;
    s.finish().await;
}
