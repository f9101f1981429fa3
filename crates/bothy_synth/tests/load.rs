//! Synthesizes a tiny service on SQLite (and on a scratch PostgreSQL
//! database when `BOTHY_TEST_DATABASE_URL` is set) and reads it back through
//! the application.

use bothy_app::policy::StaffActor;
use bothy_app::{Actor, App, AppSettings, FakeClock, RequestContext};
use bothy_domain::crisis::CrisisContacts;
use bothy_domain::model::RoleGrant;
use bothy_domain::role::Role;
use bothy_domain::time::Timestamp;
use bothy_store::{PoolSettings, Store};
use bothy_synth::{SynthConfig, SynthError, synthesize};
use std::sync::Arc;

const CRISIS: &str = include_str!("../../../content/crisis-contacts.toml");

async fn check(store: Store) {
    store.migrate().await.unwrap();
    let now = Timestamp::from_second(1_780_000_000).unwrap();
    let config = SynthConfig {
        batch_patients: 20,
        ..SynthConfig::new(50, 42, "synth-test", now)
    };
    let report = synthesize(&store, &config).await.unwrap();
    let c = report.counts;
    assert_eq!((c.patients, c.demographics, c.episodes), (50, 50, 50));
    assert!(
        c.referrals >= 50 && c.responses > 50 && c.check_ins > 100,
        "{c:?}"
    );
    assert!(c.staff >= 8);

    // The same slug again is refused, and nothing is written.
    match synthesize(&store, &config).await {
        Err(SynthError::ServiceExists(slug)) => assert_eq!(slug, "synth-test"),
        other => panic!("{other:?}"),
    }

    // The application reads the data as its own.
    let clock = FakeClock::at(now);
    let app = App::new(
        store.clone(),
        Arc::new(clock),
        AppSettings::default(),
        CrisisContacts::parse(CRISIS).unwrap(),
    );
    let mut tx = store.read().await.unwrap();
    let staff = tx.staff_of_service(report.service_id).await.unwrap();
    let patients = tx
        .patients_of_service(report.service_id, 100)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(patients.len(), 50);
    let actor = |role: Role| {
        let (member, _) = staff
            .iter()
            .find(|(_, roles)| roles.contains(&role))
            .unwrap();
        Actor::Staff(StaffActor {
            id: member.id,
            name: member.name.as_str().to_string(),
            grants: vec![RoleGrant {
                service_id: report.service_id,
                role,
            }],
            service_id: report.service_id,
        })
    };
    let triage = actor(Role::TriageClinician);
    let ctx = RequestContext::default();
    app.episodes().waiting_list(&triage, &ctx).await.unwrap();
    app.alerts().queue(&triage, &ctx).await.unwrap();
    let mut read = 0;
    for p in &patients {
        let m = app
            .records()
            .patient_record(&triage, p.id, &ctx)
            .await
            .unwrap();
        read += m.histories.iter().map(|h| h.responses.len()).sum::<usize>();
    }
    assert!(read > 50, "{read}");

    // A batch of thousands of people in one transaction: the report rows'
    // triggers are deferred and the rows written in a few statements at its
    // end (row by row, PostgreSQL ran out of its shared lock table), and
    // the rebuild of every summary refreshes every row the same way.
    let bulk = SynthConfig {
        batch_patients: 2_500,
        ..SynthConfig::new(2_500, 7, "synth-bulk", now)
    };
    let loaded = synthesize(&store, &bulk).await.unwrap().counts;
    assert_eq!(loaded.patients, 2_500);
    assert_eq!(store.report_facts_drift().await.unwrap(), Vec::new());
    let rebuilt = app.monitoring().rebuild_summaries().await.unwrap();
    assert!(rebuilt.mood_summaries > 2_000, "{rebuilt:?}");
    assert_eq!(store.report_facts_drift().await.unwrap(), Vec::new());
    store.close().await;
}

#[tokio::test]
async fn synthesizes_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("bothy-synth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/t.db", dir.display());
    check(
        Store::connect(&url, &PoolSettings::default())
            .await
            .unwrap(),
    )
    .await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
#[cfg_attr(
    bothy_no_postgres,
    ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set"
)]
async fn synthesizes_on_postgres() {
    let admin = std::env::var("BOTHY_TEST_DATABASE_URL").expect("BOTHY_TEST_DATABASE_URL is set");
    let url = bothy_store::create_scratch_database(&admin, "synth")
        .await
        .unwrap();
    check(
        Store::connect(&url, &PoolSettings::default())
            .await
            .unwrap(),
    )
    .await;
    bothy_store::drop_scratch_database(&admin, &url)
        .await
        .unwrap();
}
