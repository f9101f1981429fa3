//! NHS Talking Therapies outcome classification of an episode of care.
//!
//! Given an episode (problem descriptor, whether the referral has ended, the
//! number of attended treatment appointments and dated measurements), say
//! whether it finished a course of treatment, which anxiety measure applies,
//! whether it was at caseness at the start, and whether it recovered, reliably
//! improved, reliably recovered or reliably deteriorated. Every rule names its
//! source where it is applied (`classify.rs`); the choices made where the
//! published definitions leave room are listed in `docs/outcomes.md` and
//! repeated, for each episode they affect, in the result's `notes`.
//!
//! - `input`: the JSON shape of an episode and its checks, scoring item-level
//!   answers into a typed `Episode`.
//! - `classify`: the definitions (`classify`), producing an `Outcome`.
//! - `summary`: the same input from an episode's write-time summaries, and
//!   tallies of outcomes for reports.
//!
//! Pure: no I/O, no clock. Instruments (cut-offs, reliable change indices,
//! direction, items) come from an [`InstrumentSource`], which the instrument
//! catalogue implements; caseness, reliable change and item scoring are the
//! catalogue's own (`instruments::score`), so nothing here hard-codes a
//! cut-off and decimal measures are compared with its tolerance.

mod classify;
mod input;
mod summary;

#[cfg(test)]
mod tests;

pub use classify::anxiety_measure;
pub use classify::{Options, Outcome, PtsdMeasure, classify, classify_json};
pub use input::{Appointment, Episode, Measurement, ProblemDescriptor, Score};
pub use summary::{FLAG_COUNT, OutcomeFlags, Tally, episode_from_summaries, rules_fingerprint};

use crate::instruments::{Catalogue, Instrument};

/// Where classification finds each instrument (cut-off with its operator,
/// reliable change index, direction, items). The instrument catalogue is one;
/// a plain list of instruments is another (tests, or a caller holding a few).
/// Item-level answers are scored by `instruments::score`, exactly as the
/// instrument file defines.
pub trait InstrumentSource {
    /// The instrument with this id (`phq9`, `gad7`, `mi`, ...), if known.
    fn instrument(&self, id: &str) -> Option<&Instrument>;
}

impl InstrumentSource for Catalogue {
    fn instrument(&self, id: &str) -> Option<&Instrument> {
        self.get(id)
    }
}

impl InstrumentSource for [Instrument] {
    fn instrument(&self, id: &str) -> Option<&Instrument> {
        self.iter().find(|i| i.id == id)
    }
}
