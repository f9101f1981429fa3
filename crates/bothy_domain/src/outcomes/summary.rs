//! Classification input from write-time summaries, and tallies of outcomes.
//!
//! The definitions compare the first and last valid scores of each measure
//! ([`super::classify`]); an episode's `ScoreSummary` for each instrument
//! holds exactly those, so a report over a year's episodes reads one short
//! row per instrument instead of every response. The referral's screening
//! score is not a measurement at an appointment and is not used here, as at
//! discharge.

use super::{Appointment, Episode, Measurement, Outcome, ProblemDescriptor, Score};
use crate::summaries::ScoreSummary;
use crate::time::uk_date;
use serde::Serialize;

/// The episode the definitions read, from its summaries.
pub fn episode_from_summaries(
    id: String,
    problem_descriptor: ProblemDescriptor,
    treatment_appointments_attended: u32,
    summaries: &[ScoreSummary],
) -> Episode {
    let mut measurements: Vec<Measurement> = Vec::with_capacity(summaries.len() * 2);
    for s in summaries {
        let points = match (s.first, s.latest) {
            (Some(f), Some(l)) if s.responses > 1 => vec![f, l],
            (Some(f), _) => vec![f],
            _ => Vec::new(),
        };
        for (at, total) in points {
            let date = uk_date(at);
            let scores = [(s.instrument_id.clone(), Score::Valid(total))]
                .into_iter()
                .collect();
            measurements.push(Measurement {
                date,
                appointment: Appointment::Treatment,
                scores,
            });
        }
    }
    Episode {
        id,
        problem_descriptor,
        referral_ended: true,
        treatment_appointments_attended,
        measurements,
    }
}

/// How many of a set of classified episodes had each outcome. Rates are
/// left to the reader, with their denominators: recovery and reliable
/// recovery are defined only for finished courses at caseness; reliable
/// improvement and deterioration for every finished course with scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub episodes: u64,
    pub finished: u64,
    pub at_caseness: u64,
    pub recovered: u64,
    pub reliable_improvement: u64,
    pub reliable_recovery: u64,
    pub reliable_deterioration: u64,
}

impl Tally {
    pub fn add(&mut self, o: &Outcome) {
        let yes = |v: Option<bool>| u64::from(v == Some(true));
        self.episodes += 1;
        self.finished += yes(o.finished_treatment);
        self.at_caseness += yes(o.finished_treatment.and(o.at_caseness));
        self.recovered += yes(o.recovered);
        self.reliable_improvement += yes(o.reliable_improvement);
        self.reliable_recovery += yes(o.reliable_recovery);
        self.reliable_deterioration += yes(o.reliable_deterioration);
    }
}
