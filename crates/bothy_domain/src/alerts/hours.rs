//! A service's opening hours: when somebody is watching the duty queue.
//!
//! Hours are wall-clock times in the service's own time zone, so "09:00" is
//! nine in the morning in both GMT and BST and a deadline counted in working
//! time is unaffected by the clocks changing overnight. Closed dates (bank
//! holidays, a service's training days) come from configuration: the domain
//! holds no calendar of its own, because the four UK nations' bank holidays
//! differ.
//!
//! Configuration (TOML shown; every field is optional):
//!
//! ```toml
//! time_zone = "Europe/London"
//! closed_dates = ["2026-12-25", "2026-12-28"]
//!
//! [[weekly]]
//! day = "monday"
//! start = "09:00"
//! end = "17:00"
//! ```
//!
//! Each weekly interval lies within one day; `end` may be `24:00` for a
//! service open until midnight. Intervals on the same day may touch
//! (09:00-12:00 and 12:00-17:00) but not overlap.

use std::collections::BTreeSet;

use jiff::SignedDuration;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::ConfigError;
use crate::time::Timestamp;

const MINUTES_PER_DAY: u16 = 24 * 60;
const DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// One weekly opening interval as written in configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyInterval {
    /// An English weekday name, `monday` to `sunday` (any case).
    pub day: String,
    /// Opening time, `HH:MM`.
    pub start: String,
    /// Closing time, `HH:MM`, after `start`; `24:00` means midnight at the end of the day.
    pub end: String,
}

impl WeeklyInterval {
    pub fn new(day: &str, start: &str, end: &str) -> Self {
        Self {
            day: day.to_owned(),
            start: start.to_owned(),
            end: end.to_owned(),
        }
    }
}

/// Opening hours as configured; [`OpeningHoursConfig::validate`] turns them
/// into [`OpeningHours`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpeningHoursConfig {
    /// An IANA time zone name.
    pub time_zone: String,
    pub weekly: Vec<WeeklyInterval>,
    /// Whole days the service is closed, in its own time zone.
    pub closed_dates: Vec<Date>,
}

impl Default for OpeningHoursConfig {
    /// Europe/London, Monday to Friday 09:00-17:00, no closed dates.
    fn default() -> Self {
        Self {
            time_zone: "Europe/London".to_owned(),
            weekly: DAY_NAMES[..5]
                .iter()
                .map(|day| WeeklyInterval::new(day, "09:00", "17:00"))
                .collect(),
            closed_dates: Vec::new(),
        }
    }
}

impl OpeningHoursConfig {
    /// Checks the configuration, naming the first bad field, and resolves the
    /// time zone from the system's time zone database.
    pub fn validate(&self) -> Result<OpeningHours, ConfigError> {
        let tz = TimeZone::get(&self.time_zone).map_err(|_| {
            ConfigError::new(
                "time_zone",
                format!("unknown time zone {:?}", self.time_zone),
            )
        })?;
        if self.weekly.is_empty() {
            return Err(ConfigError::new(
                "weekly",
                "no opening hours: a service must be open at some time in the week",
            ));
        }
        // Per weekday: (start, end, index in `weekly`).
        let mut days: [Vec<(u16, u16, usize)>; 7] = Default::default();
        for (i, interval) in self.weekly.iter().enumerate() {
            let day = parse_weekday(&interval.day).ok_or_else(|| {
                ConfigError::new(
                    format!("weekly[{i}].day"),
                    format!(
                        "unknown weekday {:?} (expected monday to sunday)",
                        interval.day
                    ),
                )
            })?;
            let start = parse_minutes(&interval.start)
                .filter(|&m| m < MINUTES_PER_DAY)
                .ok_or_else(|| {
                    ConfigError::new(
                        format!("weekly[{i}].start"),
                        format!(
                            "{:?} is not a time HH:MM from 00:00 to 23:59",
                            interval.start
                        ),
                    )
                })?;
            let end = parse_minutes(&interval.end).ok_or_else(|| {
                ConfigError::new(
                    format!("weekly[{i}].end"),
                    format!("{:?} is not a time HH:MM from 00:00 to 24:00", interval.end),
                )
            })?;
            if end <= start {
                return Err(ConfigError::new(
                    format!("weekly[{i}].end"),
                    format!(
                        "closing time {} is not after opening time {}",
                        interval.end, interval.start
                    ),
                ));
            }
            days[day].push((start, end, i));
        }
        let mut week: [Vec<(u16, u16)>; 7] = Default::default();
        for (day, intervals) in days.iter_mut().enumerate() {
            intervals.sort_unstable();
            for pair in intervals.windows(2) {
                let ((_, prev_end, prev_i), (next_start, _, next_i)) = (pair[0], pair[1]);
                if next_start < prev_end {
                    let (first, second) = (prev_i.min(next_i), prev_i.max(next_i));
                    return Err(ConfigError::new(
                        format!("weekly[{second}]"),
                        format!("overlaps weekly[{first}] on {}", DAY_NAMES[day]),
                    ));
                }
            }
            // Merge touching intervals so that open time is one run.
            for &(start, end, _) in intervals.iter() {
                match week[day].last_mut() {
                    Some(last) if last.1 == start => last.1 = end,
                    _ => week[day].push((start, end)),
                }
            }
        }
        Ok(OpeningHours {
            config: self.clone(),
            tz,
            week,
            closed: self.closed_dates.iter().copied().collect(),
        })
    }
}

fn parse_weekday(name: &str) -> Option<usize> {
    DAY_NAMES
        .iter()
        .position(|day| day.eq_ignore_ascii_case(name))
}

/// `HH:MM` to minutes since midnight; `24:00` is 1440.
fn parse_minutes(text: &str) -> Option<u16> {
    let bytes = text.as_bytes();
    if bytes.len() != 5 || bytes[2] != b':' {
        return None;
    }
    let digit = |b: u8| b.is_ascii_digit().then(|| u16::from(b - b'0'));
    let hours = digit(bytes[0])? * 10 + digit(bytes[1])?;
    let minutes = digit(bytes[3])? * 10 + digit(bytes[4])?;
    match (hours, minutes) {
        (24, 0) => Some(MINUTES_PER_DAY),
        (0..=23, 0..=59) => Some(hours * 60 + minutes),
        _ => None,
    }
}

/// Validated opening hours. Deserializing one validates it; serializing gives
/// back the configuration it was made from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "OpeningHoursConfig", into = "OpeningHoursConfig")]
pub struct OpeningHours {
    config: OpeningHoursConfig,
    tz: TimeZone,
    /// Per weekday from Monday: sorted, disjoint, non-touching (start, end)
    /// in minutes since local midnight.
    week: [Vec<(u16, u16)>; 7],
    closed: BTreeSet<Date>,
}

impl PartialEq for OpeningHours {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config
    }
}

impl TryFrom<OpeningHoursConfig> for OpeningHours {
    type Error = ConfigError;
    fn try_from(config: OpeningHoursConfig) -> Result<Self, ConfigError> {
        config.validate()
    }
}

impl From<OpeningHours> for OpeningHoursConfig {
    fn from(hours: OpeningHours) -> Self {
        hours.config
    }
}

impl OpeningHours {
    /// The configuration these hours were made from.
    pub fn config(&self) -> &OpeningHoursConfig {
        &self.config
    }

    /// The service's time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// Whether `date` (in the service's zone) is a configured closed date.
    pub fn is_closed_date(&self, date: Date) -> bool {
        self.closed.contains(&date)
    }

    /// Whether the service is open at `at`. Opening times are inclusive and
    /// closing times exclusive: open at 09:00, closed at 17:00.
    pub fn is_open(&self, at: Timestamp) -> bool {
        self.next_opening(at) == at
    }

    /// The earliest instant at or after `at` when the service is open: `at`
    /// itself when it is open now.
    pub fn next_opening(&self, at: Timestamp) -> Timestamp {
        self.open_from(at)
            .next()
            .map_or(Timestamp::MAX, |(start, _)| start)
    }

    /// The instant at which `duration` of open time has passed since `start`.
    /// Only open time counts: evenings, weekends and closed dates are skipped.
    /// When the duration ends exactly at closing time, that closing time is
    /// the answer (not the next opening). A zero or negative duration gives
    /// `start`.
    pub fn add_working_time(&self, start: Timestamp, duration: SignedDuration) -> Timestamp {
        if duration <= SignedDuration::ZERO {
            return start;
        }
        let mut remaining = duration;
        for (open, close) in self.open_from(start) {
            let length = close.duration_since(open);
            if remaining <= length {
                return open.checked_add(remaining).unwrap_or(Timestamp::MAX);
            }
            remaining -= length;
        }
        Timestamp::MAX
    }

    /// The open time between `a` and `b`; zero when `b` is not after `a`.
    pub fn working_time_between(&self, a: Timestamp, b: Timestamp) -> SignedDuration {
        let mut total = SignedDuration::ZERO;
        if b <= a {
            return total;
        }
        for (open, close) in self.open_from(a) {
            if open >= b {
                break;
            }
            total += close.min(b).duration_since(open);
        }
        total
    }

    /// The length of a working day, used to turn "working days" into working
    /// time: the opening length most common among the days of the week that
    /// open at all (the shorter on a tie). Eight hours for the default
    /// Monday-Friday 09:00-17:00 week; a Saturday morning clinic does not
    /// shorten the working day of a weekday service.
    pub fn working_day_length(&self) -> SignedDuration {
        let mut lengths: Vec<u32> = self
            .week
            .iter()
            .map(|day| day.iter().map(|&(s, e)| u32::from(e - s)).sum())
            .filter(|&minutes| minutes > 0)
            .collect();
        lengths.sort_unstable();
        let mut best = (0usize, 0u32);
        for chunk in lengths.chunk_by(|a, b| a == b) {
            if chunk.len() > best.0 {
                best = (chunk.len(), chunk[0]);
            }
        }
        SignedDuration::from_mins(i64::from(best.1))
    }

    /// The open intervals that end after `at`, in order, the first clipped to
    /// start no earlier than `at`. Endless unless the calendar runs out;
    /// validation guarantees some open time every week.
    fn open_from(&self, at: Timestamp) -> impl Iterator<Item = (Timestamp, Timestamp)> + '_ {
        let local = at.to_zoned(self.tz.clone()).date();
        // A day early, in case a disambiguated local time moves an interval of
        // the day before past `at`.
        let first = local.yesterday().unwrap_or(local);
        std::iter::successors(Some(first), |d| d.tomorrow().ok())
            .flat_map(move |date| self.intervals_on(date))
            .filter(move |&(_, close)| close > at)
            .map(move |(open, close)| (open.max(at), close))
    }

    /// The open intervals of one local date as instants.
    fn intervals_on(&self, date: Date) -> Vec<(Timestamp, Timestamp)> {
        if self.closed.contains(&date) {
            return Vec::new();
        }
        let day = date.weekday().to_monday_zero_offset() as usize;
        self.week[day]
            .iter()
            .filter_map(|&(start, end)| {
                let open = self.instant(date, start)?;
                let close = self.instant(date, end)?;
                (close > open).then_some((open, close))
            })
            .collect()
    }

    /// A local wall-clock time as an instant. A time the clocks skip (in
    /// Europe/London, 01:00-02:00 on the last Sunday of March) moves forward
    /// by the gap; a time that happens twice takes the first occurrence.
    fn instant(&self, date: Date, minutes: u16) -> Option<Timestamp> {
        let (date, minutes) = if minutes >= MINUTES_PER_DAY {
            (date.tomorrow().ok()?, 0)
        } else {
            (date, minutes)
        };
        let (hour, minute) = ((minutes / 60) as i8, (minutes % 60) as i8);
        self.tz
            .to_ambiguous_timestamp(date.at(hour, minute, 0, 0))
            .compatible()
            .ok()
    }
}
