//! When a reminder may go (issue 15, item 8): never in the service's quiet
//! hours (21:00 to 08:00 unless its settings say otherwise, in the service's
//! time zone: Europe/London, with daylight saving, unless its opening hours
//! name another), and at most so many messages to one address an hour and a
//! day. Reminders are what can wait (a questionnaire due, new feedback, a
//! new message); what answers the person or the duty team never waits here.

use crate::time::Timestamp;
use jiff::civil::Time;
use jiff::tz::TimeZone;
use std::time::Duration;

/// Quiet hours and limits, per service (`[messages]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pacing {
    /// From, until (local times); none: no quiet hours.
    pub quiet: Option<(Time, Time)>,
    /// Messages to one address in any hour, and in any day.
    pub per_hour: u32,
    pub per_day: u32,
}

impl Default for Pacing {
    fn default() -> Self {
        Self {
            quiet: Some((Time::constant(21, 0, 0, 0), Time::constant(8, 0, 0, 0))),
            per_hour: 3,
            per_day: 10,
        }
    }
}

/// How many messages went to the address lately.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Recent {
    pub last_hour: u32,
    pub last_day: u32,
}

impl Pacing {
    /// The earliest moment from `now` a reminder may go: `now` itself, the
    /// end of quiet hours, or later when a limit is reached (tried again
    /// then: the count will have moved on).
    pub fn earliest(&self, tz: &TimeZone, now: Timestamp, recent: Recent) -> Timestamp {
        let wait = if recent.last_day >= self.per_day {
            Duration::from_secs(3600)
        } else if recent.last_hour >= self.per_hour {
            Duration::from_secs(15 * 60)
        } else {
            Duration::ZERO
        };
        self.out_of_quiet(tz, now + wait)
    }

    /// Whether a local time of day is in the quiet hours.
    pub fn is_quiet(&self, time: Time) -> bool {
        match self.quiet {
            None => false,
            Some((from, until)) if from <= until => time >= from && time < until,
            Some((from, until)) => time >= from || time < until,
        }
    }

    /// `at`, or the end of the quiet hours it falls in.
    fn out_of_quiet(&self, tz: &TimeZone, at: Timestamp) -> Timestamp {
        let Some((from, until)) = self.quiet else {
            return at;
        };
        let local = at.to_zoned(tz.clone());
        let time = local.time();
        if !self.is_quiet(time) {
            return at;
        }
        let day = if from > until && time >= from {
            local.date().tomorrow().unwrap_or(local.date())
        } else {
            local.date()
        };
        // The end's local time on that day (compatible with daylight saving:
        // a time the clocks skip is taken as just after the change).
        day.to_datetime(until)
            .to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or(at)
    }
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
    fn quiet_hours_are_local_time_with_daylight_saving() {
        let p = Pacing::default();
        let none = Recent::default();
        // Winter (GMT): 20:59 goes, 21:00 waits until 08:00 the next morning.
        assert_eq!(
            p.earliest(&london(), at("2026-11-17T20:59:00Z"), none),
            at("2026-11-17T20:59:00Z")
        );
        assert_eq!(
            p.earliest(&london(), at("2026-11-17T21:00:00Z"), none),
            at("2026-11-18T08:00:00Z")
        );
        assert_eq!(
            p.earliest(&london(), at("2026-11-18T03:00:00Z"), none),
            at("2026-11-18T08:00:00Z")
        );
        assert_eq!(
            p.earliest(&london(), at("2026-11-18T08:00:00Z"), none),
            at("2026-11-18T08:00:00Z")
        );
        // Summer (BST, UTC+1): 21:00 local is 20:00 UTC; 08:00 local is 07:00 UTC.
        assert_eq!(
            p.earliest(&london(), at("2026-07-01T19:59:00Z"), none),
            at("2026-07-01T19:59:00Z")
        );
        assert_eq!(
            p.earliest(&london(), at("2026-07-01T20:00:00Z"), none),
            at("2026-07-02T07:00:00Z")
        );
        // The night the clocks go forward (29 March 2026): 08:00 is BST.
        assert_eq!(
            p.earliest(&london(), at("2026-03-28T23:30:00Z"), none),
            at("2026-03-29T07:00:00Z")
        );
        // And back (25 October 2026): 08:00 is GMT again.
        assert_eq!(
            p.earliest(&london(), at("2026-10-24T22:00:00Z"), none),
            at("2026-10-25T08:00:00Z")
        );
    }

    #[test]
    fn limits_per_address_defer_and_quiet_hours_still_hold() {
        let p = Pacing::default();
        let now = at("2026-11-17T10:00:00Z");
        let busy = |h, d| Recent {
            last_hour: h,
            last_day: d,
        };
        assert_eq!(p.earliest(&london(), now, busy(2, 9)), now);
        assert_eq!(
            p.earliest(&london(), now, busy(3, 3)),
            at("2026-11-17T10:15:00Z")
        );
        assert_eq!(
            p.earliest(&london(), now, busy(0, 10)),
            at("2026-11-17T11:00:00Z")
        );
        // A wait that runs into the night waits for the morning.
        assert_eq!(
            p.earliest(&london(), at("2026-11-17T20:50:00Z"), busy(3, 3)),
            at("2026-11-18T08:00:00Z")
        );
        let off = Pacing { quiet: None, ..p };
        assert_eq!(
            off.earliest(&london(), at("2026-11-17T23:00:00Z"), Recent::default()),
            at("2026-11-17T23:00:00Z")
        );
    }
}
