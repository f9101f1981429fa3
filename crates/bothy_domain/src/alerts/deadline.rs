//! When an alert must have been dealt with.
//!
//! The default policy follows the issue's examples:
//!
//! | severity | default | rule |
//! |---|---|---|
//! | urgent (risk with a plan) | 30 minutes | `elapsed_from_open` |
//! | high (other risk) | 4 working hours | `working_hours` |
//! | moderate (deterioration) | 2 working days | `working_days` |
//! | low | 5 working days | `working_days` |
//!
//! Choices:
//!
//! - **Urgent alerts count elapsed time, not working time.** Raised in hours,
//!   the deadline is 30 minutes later even if the service closes in between:
//!   an alert about risk with a plan raised at 16:50 is due at 17:20, not at
//!   09:20 the next working day, because the duty clinician is still there
//!   and must not leave it overnight. If nobody closes it by then it escalates
//!   (to the clinical lead and a second channel), which is the point. Raised
//!   out of hours, nobody is watching: the deadline is 30 minutes after the
//!   next opening, and the person is shown the out-of-hours message (what to
//!   do instead: crisis contacts, their safety plan). Callers decide that
//!   message with `!hours.is_open(raised_at)`.
//! - **A working day is a length of open time**, [`OpeningHours::working_day_length`]
//!   (8 hours for Monday-Friday 09:00-17:00), so "2 working days" is 16
//!   working hours: raised Tuesday 10:00, due Thursday 10:00; raised Friday
//!   16:00, due Tuesday 16:00. Counting open time (rather than calendar days)
//!   skips weekends and closed dates and is exact across clock changes.
//!
//! A service overrides any severity's rule (TOML shown):
//!
//! ```toml
//! [high]
//! rule = "working_minutes"
//! minutes = 120
//! ```

use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use super::hours::OpeningHours;
use super::{ConfigError, Severity};
use crate::time::Timestamp;

/// The most any rule may allow: a deadline further away than a month is no deadline.
const MAX_DAYS: i64 = 31;

/// How much time one severity allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum Allowance {
    /// Elapsed minutes from the raise if the service is open then, otherwise
    /// from its next opening.
    ElapsedFromOpen { minutes: i64 },
    /// Minutes of open time.
    WorkingMinutes { minutes: i64 },
    /// Hours of open time.
    WorkingHours { hours: i64 },
    /// Working days of open time, each [`OpeningHours::working_day_length`] long.
    WorkingDays { days: i64 },
}

impl Allowance {
    /// The allowance as open time, for comparing rules with each other.
    fn nominal(self, day: SignedDuration) -> SignedDuration {
        match self {
            Allowance::ElapsedFromOpen { minutes } | Allowance::WorkingMinutes { minutes } => {
                SignedDuration::from_mins(minutes)
            }
            Allowance::WorkingHours { hours } => SignedDuration::from_hours(hours),
            Allowance::WorkingDays { days } => {
                SignedDuration::from_secs(day.as_secs().saturating_mul(days))
            }
        }
    }

    fn check(self, severity: &str) -> Result<(), ConfigError> {
        let (field, value, max) = match self {
            Allowance::ElapsedFromOpen { minutes } | Allowance::WorkingMinutes { minutes } => {
                ("minutes", minutes, MAX_DAYS * 24 * 60)
            }
            Allowance::WorkingHours { hours } => ("hours", hours, MAX_DAYS * 24),
            Allowance::WorkingDays { days } => ("days", days, MAX_DAYS),
        };
        if value <= 0 || value > max {
            return Err(ConfigError::new(
                format!("{severity}.{field}"),
                format!("{value} is not between 1 and {max}"),
            ));
        }
        Ok(())
    }
}

/// A service's deadline rule for each severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DeadlinePolicy {
    pub urgent: Allowance,
    pub high: Allowance,
    pub moderate: Allowance,
    pub low: Allowance,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        Self {
            urgent: Allowance::ElapsedFromOpen { minutes: 30 },
            high: Allowance::WorkingHours { hours: 4 },
            moderate: Allowance::WorkingDays { days: 2 },
            low: Allowance::WorkingDays { days: 5 },
        }
    }
}

impl DeadlinePolicy {
    /// The rule for one severity.
    pub fn allowance(&self, severity: Severity) -> Allowance {
        match severity {
            Severity::Urgent => self.urgent,
            Severity::High => self.high,
            Severity::Moderate => self.moderate,
            Severity::Low => self.low,
        }
    }

    /// Checks every amount is positive and at most a month, and that no
    /// severity allows more time than a less severe one under the service's
    /// `hours` (a more urgent alert must never be due later). Names the field.
    pub fn validate(&self, hours: &OpeningHours) -> Result<(), ConfigError> {
        for severity in Severity::ALL {
            self.allowance(severity).check(severity.as_str())?;
        }
        let day = hours.working_day_length();
        for pair in Severity::ALL.windows(2) {
            let (less, more) = (pair[0], pair[1]);
            if self.allowance(more).nominal(day) > self.allowance(less).nominal(day) {
                return Err(ConfigError::new(
                    more.as_str(),
                    format!("allows more time than {less}"),
                ));
            }
        }
        Ok(())
    }
}

/// When an alert of `severity` raised at `raised_at` must have been closed,
/// under the service's `hours` and `policy` (see the module notes).
pub fn deadline(
    severity: Severity,
    raised_at: Timestamp,
    hours: &OpeningHours,
    policy: &DeadlinePolicy,
) -> Timestamp {
    let allowance = policy.allowance(severity);
    match allowance {
        Allowance::ElapsedFromOpen { minutes } => hours
            .next_opening(raised_at)
            .checked_add(SignedDuration::from_mins(minutes.max(0)))
            .unwrap_or(Timestamp::MAX),
        _ => hours.add_working_time(raised_at, allowance.nominal(hours.working_day_length())),
    }
}
