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

/// The outcome flags in the order of their bits in [`OutcomeFlags`].
pub const FLAG_COUNT: usize = 6;

/// What a tally counts of one outcome, as bits: finished (0), finished at
/// caseness (1), recovered (2), reliable improvement (3), reliable recovery
/// (4), reliable deterioration (5). Stored with each discharged episode, so
/// that a report sums bits in the database instead of classifying every
/// episode again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutcomeFlags(pub i64);

impl OutcomeFlags {
    pub fn of(o: &Outcome) -> Self {
        let yes = |v: Option<bool>| v == Some(true);
        let bits = [
            yes(o.finished_treatment),
            // The recovery rate's denominator [DS]: finished and at caseness
            // (not `Option::and`, which keeps a caseness of unfinished courses).
            yes(o.finished_treatment) && yes(o.at_caseness),
            yes(o.recovered),
            yes(o.reliable_improvement),
            yes(o.reliable_recovery),
            yes(o.reliable_deterioration),
        ];
        OutcomeFlags(
            bits.iter()
                .enumerate()
                .map(|(i, b)| i64::from(*b) << i)
                .sum(),
        )
    }
}

impl Tally {
    pub fn add(&mut self, o: &Outcome) {
        self.add_counts(1, &OutcomeFlags::of(o).bits());
    }

    /// Adds `episodes` whose flags, bit by bit, were set `counts` times.
    pub fn add_counts(&mut self, episodes: u64, counts: &[u64; FLAG_COUNT]) {
        self.episodes += episodes;
        self.finished += counts[0];
        self.at_caseness += counts[1];
        self.recovered += counts[2];
        self.reliable_improvement += counts[3];
        self.reliable_recovery += counts[4];
        self.reliable_deterioration += counts[5];
    }
}

impl OutcomeFlags {
    /// Each bit as a count of 0 or 1.
    pub fn bits(self) -> [u64; FLAG_COUNT] {
        std::array::from_fn(|i| ((self.0 >> i) & 1) as u64)
    }
}

/// Bumped whenever [`super::classify`] changes what it decides.
const RULES_VERSION: &str = "talking-therapies-1";

/// The instruments the classification reads: PHQ-9 and every anxiety
/// measure a problem descriptor can name.
const OUTCOME_INSTRUMENTS: [&str; 9] = [
    "phq9", "gad7", "spin", "iesr", "pcl5", "mi", "ocir", "pdss", "shai",
];

/// Names what a stored outcome was classified with: these rules and the
/// version of every instrument they read (a deployment may override an
/// instrument's file, and with it a cut-off). A stored outcome counts in a
/// report only while this is unchanged; otherwise the episode is
/// classified again.
pub fn rules_fingerprint<S: super::InstrumentSource + ?Sized>(source: &S) -> String {
    let mut out = RULES_VERSION.to_string();
    for id in OUTCOME_INSTRUMENTS {
        let version = source.instrument(id).map_or("-", |i| i.version.as_str());
        out.push_str(&format!(";{id}@{version}"));
    }
    out
}

#[cfg(test)]
mod flag_tests {
    use super::*;

    #[test]
    fn flags_count_what_the_tally_counts() {
        let mut o = Outcome {
            id: None,
            finished_treatment: Some(true),
            anxiety_measure: None,
            at_caseness: Some(true),
            recovered: Some(false),
            reliable_improvement: Some(true),
            reliable_recovery: None,
            reliable_deterioration: Some(true),
            notes: Vec::new(),
            input_problem: false,
        };
        assert_eq!(OutcomeFlags::of(&o).bits(), [1, 1, 0, 1, 0, 1]);
        // At caseness counts only for a finished course.
        o.finished_treatment = Some(false);
        assert_eq!(OutcomeFlags::of(&o).bits(), [0, 0, 0, 1, 0, 1]);
        let mut by_flags = Tally::default();
        by_flags.add_counts(2, &[1, 0, 0, 2, 0, 2]);
        let mut by_outcome = Tally::default();
        by_outcome.add(&o);
        o.finished_treatment = Some(true);
        by_outcome.add(&o);
        assert_eq!(by_flags.episodes, by_outcome.episodes);
        assert_eq!(
            by_flags.reliable_improvement,
            by_outcome.reliable_improvement
        );
        assert_eq!(by_flags.finished, by_outcome.finished);
    }
}
