//! Loading: creates the service and its staff, then generates and writes
//! patients batch by batch, one transaction per batch. The next batch is
//! generated on a blocking thread while the current one is written, so the
//! database and the generator work at the same time.

use crate::{Synth, SynthConfig};
use bothy_domain::ServiceId;
use bothy_domain::model::{RoleGrant, Service, ServiceSlug, StaffMember};
use bothy_domain::person::{Email, PersonName};
use bothy_domain::time::from_millis;
use bothy_store::{Batch, Store, StoreError};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("a service with the short name {0:?} already exists; choose another with --service")]
    ServiceExists(String),
    #[error("{0:?} is not a valid service short name")]
    InvalidSlug(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("generation failed: {0}")]
    Generate(String),
}

/// Rows written, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub staff: u64,
    pub patients: u64,
    pub demographics: u64,
    pub referrals: u64,
    pub episodes: u64,
    pub responses: u64,
    pub check_ins: u64,
    pub alerts: u64,
}

impl Counts {
    fn add(&mut self, b: &Batch) {
        self.patients += b.patients.len() as u64;
        self.demographics += b.demographics.len() as u64;
        self.referrals += b.referrals.len() as u64;
        self.episodes += b.episodes.len() as u64;
        self.responses += b.responses.len() as u64;
        self.check_ins += b.check_ins.len() as u64;
        self.alerts += b.alerts.len() as u64;
    }

    pub fn total(&self) -> u64 {
        self.staff
            + self.patients
            + self.demographics
            + self.referrals
            + self.episodes
            + self.responses
            + self.check_ins
            + self.alerts
    }
}

#[derive(Debug, Clone)]
pub struct SynthReport {
    pub service_id: ServiceId,
    pub counts: Counts,
    /// From start to the last commit.
    pub elapsed: Duration,
    /// Time spent waiting for the database (writing and committing batches).
    pub writing: Duration,
}

impl SynthReport {
    pub fn rows_per_second(&self) -> f64 {
        self.counts.total() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

#[allow(clippy::disallowed_methods)]
// Timing the load for its report; not the application clock.
fn instant() -> Instant {
    Instant::now()
}

/// Generates the configured service into `store` (already migrated).
/// Refuses if the service's short name is taken.
pub async fn synthesize(store: &Store, config: &SynthConfig) -> Result<SynthReport, SynthError> {
    let slug = ServiceSlug::parse(&config.service_slug)
        .map_err(|_| SynthError::InvalidSlug(config.service_slug.clone()))?;
    let started = instant();
    let synth = Arc::new(Synth::new(config));
    let mut counts = Counts {
        staff: create_service(store, config, &synth, slug).await?,
        ..Counts::default()
    };
    let step = config.batch_patients.max(1);
    let spawn = |from: u64| {
        let synth = synth.clone();
        let to = (from + step).min(config.patients);
        tokio::task::spawn_blocking(move || synth.batch(from, to))
    };
    let mut writing = Duration::ZERO;
    let mut from = 0;
    let mut next = (config.patients > 0).then(|| spawn(0));
    while let Some(job) = next.take() {
        let batch = job.await.map_err(|e| SynthError::Generate(e.to_string()))?;
        from += step;
        if from < config.patients {
            next = Some(spawn(from));
        }
        let t = instant();
        let mut tx = store.begin().await?;
        tx.insert_batch(&batch).await?;
        tx.commit().await?;
        writing += t.elapsed();
        counts.add(&batch);
    }
    Ok(SynthReport {
        service_id: synth.service_id(),
        counts,
        elapsed: started.elapsed(),
        writing,
    })
}

async fn create_service(
    store: &Store,
    config: &SynthConfig,
    synth: &Synth,
    slug: ServiceSlug,
) -> Result<u64, SynthError> {
    let exists = || SynthError::ServiceExists(config.service_slug.clone());
    let created_at = from_millis(config.now.as_millisecond() - 400 * 86_400_000);
    let mut tx = store.begin().await?;
    if tx.service_by_slug(slug.as_str()).await?.is_some() {
        return Err(exists());
    }
    let service = Service {
        id: synth.service_id(),
        slug,
        name: config.service_name.clone(),
        created_at,
    };
    tx.insert_service(&service).await.map_err(|e| match e {
        e if e.is_constraint("slug") || e.is_constraint("services") => exists(),
        e => e.into(),
    })?;
    for s in synth.staff() {
        let invalid = |what: &str| SynthError::Generate(format!("invalid staff {what}"));
        let member = StaffMember {
            id: s.id,
            email: Email::parse(&s.email).map_err(|_| invalid("email"))?,
            name: PersonName::parse(&s.name).map_err(|_| invalid("name"))?,
            password_hash: None,
            totp_secret: None,
            created_at,
            disabled_at: None,
        };
        tx.insert_staff(&member).await?;
        let grant = RoleGrant {
            service_id: service.id,
            role: s.role,
        };
        tx.grant_role(member.id, grant).await?;
    }
    tx.commit().await?;
    Ok(synth.staff().len() as u64)
}
