//! When the two timed reminders go (issue 15, item 8): a person's daily
//! check-in prompt at the time they chose, and an appointment's reminder
//! the day before it. Pure: the worker asks these with the time now.

use crate::pacing::Pacing;
use crate::time::Timestamp;
use jiff::SignedDuration;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

/// A prompt more than this late is skipped for the day: a nudge at the
/// wrong time of day (a worker down all morning) is noise, not help.
pub const PROMPT_LATE_MINUTES: i64 = 120;

/// The times offered for a check-in prompt are on the half hour.
pub const PROMPT_STEP_MINUTES: u16 = 30;

/// How long before an appointment its reminder goes.
pub const APPOINTMENT_REMINDER_HOURS: i64 = 24;

/// The local time of day a person chose for their check-in prompt, on the
/// half hour: "18:30". Valid by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PromptTime(u16);

impl PromptTime {
    /// A time "HH:MM" (24-hour clock) on the hour or half hour.
    pub fn parse(s: &str) -> Option<PromptTime> {
        let (h, m) = s.trim().split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let h: u16 = h.parse().ok()?;
        let m: u16 = m.parse().ok()?;
        (h < 24 && m < 60 && m.is_multiple_of(PROMPT_STEP_MINUTES))
            .then_some(PromptTime(h * 60 + m))
    }

    /// The stored minute of the day (0 to 1439).
    pub fn from_minute(minute: i64) -> Option<PromptTime> {
        let m = u16::try_from(minute).ok()?;
        (m < 24 * 60 && m.is_multiple_of(PROMPT_STEP_MINUTES)).then_some(PromptTime(m))
    }

    pub fn minute(self) -> u16 {
        self.0
    }

    pub fn time(self) -> Time {
        // Both parts are in range by construction.
        Time::new((self.0 / 60) as i8, (self.0 % 60) as i8, 0, 0).unwrap_or(Time::midnight())
    }

    /// Every time a person may choose: each half hour outside the
    /// service's quiet hours (a prompt is a reminder and never goes in them).
    pub fn offered(pacing: &Pacing) -> Vec<PromptTime> {
        (0..24 * 60 / PROMPT_STEP_MINUTES)
            .map(|i| PromptTime(i * PROMPT_STEP_MINUTES))
            .filter(|t| !pacing.is_quiet(t.time()))
            .collect()
    }
}

impl std::fmt::Display for PromptTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// Today's prompt, if one is due at `now` in the service's time zone: the
/// local date it is for (one prompt a day, keyed by it) when the chosen time
/// has come and is no more than [`PROMPT_LATE_MINUTES`] past.
pub fn prompt_due(tz: &TimeZone, now: Timestamp, at: PromptTime) -> Option<Date> {
    let local = now.to_zoned(tz.clone());
    let today = local.date();
    // The chosen time today, as a moment (a time the clocks skip is taken
    // as just after the change).
    let due = today.to_datetime(at.time()).to_zoned(tz.clone()).ok()?;
    let late = local.timestamp().duration_since(due.timestamp());
    (late >= SignedDuration::ZERO && late <= SignedDuration::from_mins(PROMPT_LATE_MINUTES))
        .then_some(today)
}

/// Whether an appointment starting at `starts_at` and booked at
/// `booked_at` gets its reminder at `now`: from a day before it starts,
/// unless it was booked within that day (the invitation was the reminder).
pub fn appointment_reminder_due(
    starts_at: Timestamp,
    booked_at: Timestamp,
    now: Timestamp,
) -> bool {
    let ahead = SignedDuration::from_hours(APPOINTMENT_REMINDER_HOURS);
    let from = starts_at.checked_sub(ahead).unwrap_or(starts_at);
    now >= from && now < starts_at && booked_at <= from
}

#[cfg(test)]
mod tests {
    use super::*;

    fn london() -> TimeZone {
        TimeZone::get("Europe/London").unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_prompt_time_is_a_half_hour_on_the_24_hour_clock() {
        assert_eq!(PromptTime::parse("18:30").unwrap().minute(), 18 * 60 + 30);
        assert_eq!(PromptTime::parse(" 08:00 ").unwrap().to_string(), "08:00");
        for bad in [
            "", "8:00", "18:15", "24:00", "12:60", "noon", "12:00:00", "-1:30",
        ] {
            assert_eq!(PromptTime::parse(bad), None, "{bad:?}");
        }
        assert_eq!(PromptTime::from_minute(570).unwrap().to_string(), "09:30");
        assert_eq!(PromptTime::from_minute(1440), None);
        assert_eq!(PromptTime::from_minute(575), None);
        assert_eq!(PromptTime::from_minute(-30), None);
    }

    #[test]
    fn only_times_outside_quiet_hours_are_offered() {
        let offered = PromptTime::offered(&Pacing::default());
        assert_eq!(offered.first().unwrap().to_string(), "08:00");
        assert_eq!(offered.last().unwrap().to_string(), "20:30");
        assert_eq!(offered.len(), 26);
        let all = PromptTime::offered(&Pacing {
            quiet: None,
            ..Pacing::default()
        });
        assert_eq!(all.len(), 48);
    }

    #[test]
    fn a_prompt_is_due_from_its_local_time_for_two_hours() {
        let t = PromptTime::parse("18:30").unwrap();
        let day = |s: &str| s.parse::<Date>().unwrap();
        // Winter: London is UTC.
        assert_eq!(prompt_due(&london(), at("2026-11-17T18:29:00Z"), t), None);
        assert_eq!(
            prompt_due(&london(), at("2026-11-17T18:30:00Z"), t),
            Some(day("2026-11-17"))
        );
        assert_eq!(
            prompt_due(&london(), at("2026-11-17T20:30:00Z"), t),
            Some(day("2026-11-17"))
        );
        assert_eq!(prompt_due(&london(), at("2026-11-17T20:31:00Z"), t), None);
        // Summer: 18:30 in London is 17:30 UTC.
        assert_eq!(
            prompt_due(&london(), at("2026-07-01T17:30:00Z"), t),
            Some(day("2026-07-01"))
        );
        assert_eq!(
            prompt_due(&london(), at("2026-07-01T18:29:00Z"), t),
            Some(day("2026-07-01"))
        );
        assert_eq!(prompt_due(&london(), at("2026-07-01T17:29:00Z"), t), None);
        // Just after midnight, a 23:30 prompt belongs to yesterday: not due
        // for today, and never sent twice for one day.
        let late = PromptTime::parse("23:30").unwrap();
        assert_eq!(
            prompt_due(&london(), at("2026-11-18T00:10:00Z"), late),
            None
        );
    }

    #[test]
    fn an_appointment_is_reminded_the_day_before_unless_booked_within_it() {
        let starts = at("2026-12-10T10:00:00Z");
        let booked = at("2026-12-01T09:00:00Z");
        assert!(!appointment_reminder_due(
            starts,
            booked,
            at("2026-12-09T09:59:00Z")
        ));
        assert!(appointment_reminder_due(
            starts,
            booked,
            at("2026-12-09T10:00:00Z")
        ));
        assert!(appointment_reminder_due(
            starts,
            booked,
            at("2026-12-10T09:59:00Z")
        ));
        assert!(!appointment_reminder_due(starts, booked, starts));
        // Booked the afternoon before: its invitation is reminder enough.
        assert!(!appointment_reminder_due(
            starts,
            at("2026-12-09T15:00:00Z"),
            at("2026-12-09T16:00:00Z")
        ));
    }
}
