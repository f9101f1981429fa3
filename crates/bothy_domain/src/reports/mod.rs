//! Service reports: the figures a dashboard and its exports show, defined
//! once as pure functions with their sources named beside them
//! (docs/reports.md has the whole list and the choices made).
//!
//! - `rates.rs`: a rate with its denominator and Wilson score interval.
//! - `figures.rs`: waits against the national standards and the NHS
//!   Talking Therapies outcome rates from a [`crate::outcomes::Tally`].
//! - `disclosure.rs`: small-count suppression with secondary suppression.
//! - `groups.rs`: age bands, deprivation editions, deciles and quintiles,
//!   and the breakdowns a report is cut by.
//! - `pseudonym.rs`: the keyed hash that pseudonymises an extract.
//! - `period.rs`: a reporting period in UK days and its calendar months.

pub mod disclosure;
pub mod figures;
pub mod groups;
pub mod period;
pub mod pseudonym;
pub mod rates;

pub use disclosure::{Cell, Suppression, suppress_table};
pub use figures::{OutcomeRates, WaitCounts};
pub use groups::{AgeBand, Breakdown, Decile, Edition};
pub use period::Period;
pub use pseudonym::ExtractKey;
pub use rates::Rate;
