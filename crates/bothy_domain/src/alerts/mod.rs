//! Alerts: the rules that make sure a person sees each signal and acts on it.
//!
//! - [`hours`]: a service's opening hours, and working time counted in them;
//! - [`deadline`]: severity, the deadline policy and an alert's deadline;
//! - [`state`]: the alert state machine (open, acknowledged, closed with an
//!   outcome), overdue alerts and their single escalation;
//! - [`load`]: alert load statistics, so a service can tune its detectors
//!   before alert fatigue sets in.
//!
//! [`Severity`] here is the one severity every detector signal carries.
//!
//! Everything is pure: no I/O and no clock; `now` is always a parameter. The
//! one exception is resolving a time zone name, which reads the system's time
//! zone database once, when opening hours are validated at start-up.

pub mod deadline;
pub mod hours;
pub mod load;
pub mod state;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use deadline::{Allowance, DeadlinePolicy, deadline};
pub use hours::{OpeningHours, OpeningHoursConfig, WeeklyInterval};
pub use load::{
    AlertLoad, AlertSample, ClinicianLoad, LoadStats, ServiceLoad, percentile_nearest_rank,
};
pub use state::{Actor, AlertState, Outcome, TransitionError, escalation_due, is_overdue};

/// How urgently a person must act on an alert, from least to most urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look within days (for example a run of missed measures).
    Low,
    /// Deterioration: within two working days by default.
    Moderate,
    /// A risk answer without a plan: within four working hours by default.
    High,
    /// Risk with a plan: within 30 minutes by default.
    Urgent,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Moderate,
        Severity::High,
        Severity::Urgent,
    ];

    /// The stored and configured name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Moderate => "moderate",
            Severity::High => "high",
            Severity::Urgent => "urgent",
        }
    }

    /// One step up, capped at `Urgent` (a risk phrase with a plan, say).
    pub fn raised(self) -> Severity {
        match self {
            Severity::Low => Severity::Moderate,
            Severity::Moderate => Severity::High,
            Severity::High | Severity::Urgent => Severity::Urgent,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a severity name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {0:?} (expected low, moderate, high or urgent)")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;
    fn from_str(s: &str) -> Result<Self, UnknownSeverity> {
        Severity::ALL
            .into_iter()
            .find(|severity| severity.as_str() == s)
            .ok_or_else(|| UnknownSeverity(s.to_owned()))
    }
}

/// A configuration value that makes no sense, with the field it is in
/// (`weekly[2].end`, `high.minutes`), so start-up can name file and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
