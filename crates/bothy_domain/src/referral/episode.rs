//! An episode of care: from a referral's acceptance to discharge. Treatment
//! programmes, reviews and outcomes hang off it.

use super::{Problem, Step};
use crate::ids::{EpisodeId, ReferralId};
use crate::outcomes::{Outcome, ProblemDescriptor};
use crate::{PatientId, ServiceId, StaffId};
use jiff::Timestamp;

#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    pub id: EpisodeId,
    pub patient_id: PatientId,
    pub service_id: ServiceId,
    pub referral_id: ReferralId,
    pub step: Step,
    /// The supporter or therapist named at acceptance.
    pub practitioner_id: StaffId,
    pub problem_descriptor: ProblemDescriptor,
    /// When the referral was received: the referral-to-treatment clock starts.
    pub referred_at: Timestamp,
    pub opened_at: Timestamp,
    /// The first treatment contact: the clock stops.
    pub first_treatment_at: Option<Timestamp>,
    pub treatment_appointments: u32,
    pub discharged_at: Option<Timestamp>,
    pub discharge_reason: Option<String>,
    /// The NHS Talking Therapies outcome computed at discharge.
    pub outcome: Option<Outcome>,
}

impl Episode {
    pub fn is_open(&self) -> bool {
        self.discharged_at.is_none()
    }
}

/// The problem descriptor for a referral, from the first problem the person
/// or referrer named: the referral form asks in the order of the NHS Talking
/// Therapies problem descriptors it maps to, and the descriptor chooses the
/// anxiety measure for outcomes (`outcomes::anxiety_measure`). A clinician
/// can record a different one as treatment goes on.
pub fn problem_descriptor(problems: &[Problem]) -> ProblemDescriptor {
    use ProblemDescriptor as D;
    match problems.first() {
        Some(Problem::LowMood) => D::Depression,
        Some(Problem::Worry | Problem::Stress) => D::GeneralisedAnxiety,
        Some(Problem::Panic) => D::Panic,
        Some(Problem::SocialAnxiety) => D::SocialAnxiety,
        Some(Problem::Trauma) => D::Ptsd,
        Some(Problem::Obsessions) => D::Ocd,
        Some(Problem::HealthWorries) => D::HealthAnxiety,
        Some(Problem::Sleep) => D::Insomnia,
        Some(Problem::Other) | None => D::Other,
    }
}
