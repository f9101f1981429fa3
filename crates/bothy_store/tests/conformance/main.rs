//! The store's conformance suite: the same stories against SQLite and
//! PostgreSQL through the public `Store`/`Tx` API. PostgreSQL runs when
//! `BOTHY_TEST_DATABASE_URL` names an administrative connection (CI sets it);
//! without it the PostgreSQL half is listed as ignored, never as passed
//! (see `tests/postgres_cfg.rs`).

mod audit;
mod fhir_search;
mod front_door;
mod listed;
mod plans;
mod sealing;
mod sessions;
mod snapshots;
mod summaries;
mod values;

use bothy_domain::model::{Service, ServiceSlug};
use bothy_domain::time::Timestamp;
use bothy_domain::{PatientId, ServiceId, StaffId};
use bothy_store::{Batch, PatientRow, PoolSettings, Store};

/// A migrated store on a fresh database, dropped when the story ends.
pub struct Fresh {
    pub store: Store,
    admin_and_url: Option<(String, String)>,
    dir: Option<std::path::PathBuf>,
}

impl Fresh {
    pub async fn sqlite() -> Self {
        let dir = std::env::temp_dir().join(format!("bothy-store-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/bothy.db", dir.display());
        Self::open(&url, None, Some(dir)).await
    }

    pub async fn postgres() -> Option<Self> {
        Self::postgres_with(&PoolSettings::default()).await
    }

    pub async fn postgres_with(settings: &PoolSettings) -> Option<Self> {
        let Ok(admin) = std::env::var("BOTHY_TEST_DATABASE_URL") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must set BOTHY_TEST_DATABASE_URL so PostgreSQL is tested"
            );
            eprintln!("BOTHY_TEST_DATABASE_URL not set: the PostgreSQL story did not run");
            return None;
        };
        let url = bothy_store::create_scratch_database(&admin, "bothy_store")
            .await
            .unwrap();
        Some(Self::open_with(&url.clone(), Some((admin, url)), None, settings).await)
    }

    async fn open(
        url: &str,
        admin_and_url: Option<(String, String)>,
        dir: Option<std::path::PathBuf>,
    ) -> Self {
        Self::open_with(url, admin_and_url, dir, &PoolSettings::default()).await
    }

    async fn open_with(
        url: &str,
        admin_and_url: Option<(String, String)>,
        dir: Option<std::path::PathBuf>,
        settings: &PoolSettings,
    ) -> Self {
        let store = Store::connect(url, settings).await.unwrap();
        store.migrate().await.unwrap();
        Self {
            store,
            admin_and_url,
            dir,
        }
    }

    pub async fn finish(self) {
        self.store.close().await;
        if let Some((admin, url)) = &self.admin_and_url {
            bothy_store::drop_scratch_database(admin, url)
                .await
                .unwrap();
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    /// A service with `n` patients (no other records).
    pub async fn service_with_patients(&self, n: usize) -> (ServiceId, Vec<PatientId>) {
        self.service_with_people(&vec![None; n]).await
    }

    /// A service with a patient for each entry, with that supporter (who
    /// must be in the database already); patient `i` is `Given{i} Family{i}`.
    pub async fn service_with_people(
        &self,
        supporters: &[Option<StaffId>],
    ) -> (ServiceId, Vec<PatientId>) {
        let now = at(0);
        let service = Service {
            id: ServiceId::random(),
            slug: ServiceSlug::parse("conformance").unwrap(),
            name: "Conformance".into(),
            created_at: now,
        };
        let patients: Vec<PatientRow> = supporters
            .iter()
            .enumerate()
            .map(|(i, supporter_id)| PatientRow {
                id: PatientId::random(),
                service_id: service.id,
                given_name: format!("Given{i}"),
                family_name: format!("Family{i}"),
                date_of_birth: "1990-01-01".into(),
                email: None,
                phone: None,
                supporter_id: *supporter_id,
                postcode: None,
                created_at: now,
            })
            .collect();
        let ids = patients.iter().map(|p| p.id).collect();
        let mut tx = self.store.begin().await.unwrap();
        tx.insert_service(&service).await.unwrap();
        tx.insert_batch(&Batch {
            patients,
            ..Batch::default()
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        (service.id, ids)
    }
}

/// A moment `minutes` after a fixed start.
pub fn at(minutes: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + minutes * 60).unwrap()
}

/// Runs each `async fn(&Fresh)` on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let db = $crate::Fresh::sqlite().await;
                super::$name(&db).await;
                db.finish().await;
            }
            #[tokio::test]
            #[cfg_attr(bothy_no_postgres, ignore = "PostgreSQL not tested: BOTHY_TEST_DATABASE_URL is not set")]
            async fn postgres() {
                let db = $crate::Fresh::postgres().await.expect("BOTHY_TEST_DATABASE_URL is set");
                super::$name(&db).await;
                db.finish().await;
            }
        }
    )*};
}
