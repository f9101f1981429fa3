//! Tests for alert rules. Dates are real 2026 dates: the clocks go forward on
//! Sunday 29 March and back on Sunday 25 October in Europe/London; Good Friday
//! is 3 April and Easter Monday 6 April.

mod deadline;
mod hours;
mod load;
mod state;

use jiff::SignedDuration;
use jiff::civil::{Date, DateTime};

use super::{OpeningHours, OpeningHoursConfig};
use crate::time::Timestamp;

/// A wall-clock time in Europe/London, `YYYY-MM-DDTHH:MM`.
fn uk(local: &str) -> Timestamp {
    local
        .parse::<DateTime>()
        .unwrap()
        .in_tz("Europe/London")
        .unwrap()
        .timestamp()
}

/// An instant in UTC, `YYYY-MM-DDTHH:MMZ`.
fn utc(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn date(text: &str) -> Date {
    text.parse().unwrap()
}

fn hours_of(h: i64) -> SignedDuration {
    SignedDuration::from_hours(h)
}

fn mins(m: i64) -> SignedDuration {
    SignedDuration::from_mins(m)
}

/// Europe/London, Monday-Friday 09:00-17:00.
fn office() -> OpeningHours {
    OpeningHoursConfig::default().validate().unwrap()
}

/// Office hours closed over Easter 2026 (England and Wales bank holidays).
fn office_with_easter() -> OpeningHours {
    OpeningHoursConfig {
        closed_dates: vec![date("2026-04-03"), date("2026-04-06")],
        ..OpeningHoursConfig::default()
    }
    .validate()
    .unwrap()
}
