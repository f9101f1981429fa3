//! Synthetic services: seeded, reproducible, from a demo to a million
//! patients, bulk-loaded into the configured database.
//!
//! Generation is pure and lives in the modules below, one concern each; it
//! produces plain rows ([`bothy_store::Batch`]) for a range of patients, and
//! every patient has their own random stream, so a seed (with the same
//! `now`) gives the same database whatever the batch size. [`synthesize`]
//! (in `load.rs`) creates the service and its staff, then writes batches,
//! one transaction each. No audit events are written: loading generated
//! data is not anyone's access to a patient's record.
//!
//! `docs/synth.md` describes what is generated and why.

mod alerts;
mod check_ins;
mod generate;
mod load;
mod measures;
mod people;
mod referrals;
mod rng;
mod staff;
mod trajectories;

pub use load::{Counts, SynthError, SynthReport, synthesize};
pub use staff::StaffPlan;
pub use trajectories::{Kind as TrajectoryKind, MIX as TRAJECTORY_MIX};

use bothy_domain::ServiceId;
use bothy_domain::time::{Timestamp, to_millis};
use bothy_store::Batch;
use generate::World;
use rng::Rng;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthConfig {
    pub patients: u64,
    pub seed: u64,
    /// The new service's short name; it must not exist yet.
    pub service_slug: String,
    pub service_name: String,
    /// The end of the synthetic year: referrals arrive in the 365 days
    /// before it. Part of what a seed reproduces.
    pub now: Timestamp,
    /// Patients per batch (one transaction each).
    pub batch_patients: u64,
}

impl SynthConfig {
    pub fn new(patients: u64, seed: u64, service_slug: &str, now: Timestamp) -> Self {
        Self {
            patients,
            seed,
            service_slug: service_slug.to_string(),
            service_name: format!("Synthetic service ({service_slug})"),
            now,
            batch_patients: 2_000,
        }
    }
}

/// The generator for one configuration: the service, its staff, and the
/// rows of any range of patients.
pub struct Synth {
    world: World,
    staff: Vec<StaffPlan>,
}

impl Synth {
    pub fn new(config: &SynthConfig) -> Self {
        let catalogue = bothy_app::content::default_catalogue();
        let instrument = |id: &str| {
            catalogue
                .get(id)
                .cloned()
                .unwrap_or_else(|| panic!("the shipped catalogue has {id}"))
        };
        // Stream u64::MAX belongs to the service; patients use 0..patients.
        let mut r = Rng::stream(config.seed, u64::MAX);
        let service = ServiceId::from_uuid(r.uuid());
        let staff = staff::plan(&mut r, &config.service_slug, config.patients);
        let now = to_millis(config.now);
        Synth {
            world: World {
                seed: config.seed,
                now,
                today: generate::today(now),
                slug: config.service_slug.clone(),
                service,
                roster: staff::Roster::of(&staff),
                phq9: instrument("phq9"),
                gad7: instrument("gad7"),
                risk: Default::default(),
            },
            staff,
        }
    }

    /// More patients for an existing service (a benchmark's fresh
    /// patients): the same stories, in `service` with its own `staff`
    /// (`(id, role)`; at least a triage clinician and a supporter), numbered
    /// as the caller chooses so that their ids and emails are new.
    pub fn for_service(
        config: &SynthConfig,
        service: ServiceId,
        staff: &[(bothy_domain::StaffId, bothy_domain::role::Role)],
    ) -> Option<Self> {
        let mut synth = Synth::new(config);
        let roster = staff::Roster::of_roles(staff);
        if roster.triage.is_empty() || roster.supporters.is_empty() || roster.duty.is_empty() {
            return None;
        }
        synth.world.service = service;
        synth.world.roster = roster;
        synth.staff.clear();
        Some(synth)
    }

    pub fn service_id(&self) -> ServiceId {
        self.world.service
    }

    pub fn staff(&self) -> &[StaffPlan] {
        &self.staff
    }

    /// The rows of patients `from..to`, numbered from 0.
    pub fn batch(&self, from: u64, to: u64) -> Batch {
        generate::batch(&self.world, from, to)
    }
}

#[cfg(test)]
mod tests;
