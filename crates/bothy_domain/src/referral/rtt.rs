//! The referral-to-treatment (RTT) clock and waiting-time standards.
//!
//! The clock starts when the referral is received and stops at the first
//! treatment contact (for digital CBT, when the person activates their
//! programme). Standards:
//! - Scotland, psychological therapies: 90% of people start treatment within
//!   18 weeks of referral (Public Health Scotland, Psychological Therapies
//!   Waiting Times, https://www.publichealthscotland.scot/publications/psychological-therapies-waiting-times/).
//! - England, NHS Talking Therapies: 75% within 6 weeks and 95% within 18
//!   weeks of referral (NHS England, https://www.england.nhs.uk/mental-health/adults/nhs-talking-therapies/).

use crate::time::Timestamp;

pub const WEEK_SECS: i64 = 7 * 24 * 3600;

/// A waiting-time standard: the share of people who should start within `weeks`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standard {
    pub weeks: i64,
    pub share: f64,
    pub name: &'static str,
}

impl Standard {
    /// Whether a share of completed waits within the limit meets the
    /// standard; "90%" is met by exactly 90% (shares computed from counts
    /// may land a rounding error below it).
    pub fn is_met_by(&self, share: f64) -> bool {
        share + 1e-9 >= self.share
    }
}

pub const SCOTLAND_18_WEEKS: Standard = Standard {
    weeks: 18,
    share: 0.90,
    name: "Scotland: 90% within 18 weeks",
};
pub const ENGLAND_6_WEEKS: Standard = Standard {
    weeks: 6,
    share: 0.75,
    name: "England: 75% within 6 weeks",
};
pub const ENGLAND_18_WEEKS: Standard = Standard {
    weeks: 18,
    share: 0.95,
    name: "England: 95% within 18 weeks",
};

/// Whole weeks waited between `start` and `end` (or now), rounded down, as
/// waiting-time statistics count them.
pub fn weeks_waited(start: Timestamp, end: Timestamp) -> i64 {
    (end.as_second() - start.as_second()).max(0) / WEEK_SECS
}

/// Whether a wait has gone past a standard's limit. A wait of exactly 18
/// weeks is still within "within 18 weeks".
pub fn breaches(start: Timestamp, end: Timestamp, standard: Standard) -> bool {
    end.as_second() - start.as_second() > standard.weeks * WEEK_SECS
}

/// The share of completed waits (start, stop) within a standard's limit.
pub fn share_within(waits: &[(Timestamp, Timestamp)], standard: Standard) -> Option<f64> {
    if waits.is_empty() {
        return None;
    }
    let within = waits
        .iter()
        .filter(|(s, e)| !breaches(*s, *e, standard))
        .count();
    Some(within as f64 / waits.len() as f64)
}

/// The median completed wait in days, for telling people how long it usually takes.
pub fn median_wait_days(waits: &[(Timestamp, Timestamp)]) -> Option<i64> {
    let mut days: Vec<i64> = waits
        .iter()
        .map(|(s, e)| (e.as_second() - s.as_second()).max(0) / 86_400)
        .collect();
    if days.is_empty() {
        return None;
    }
    days.sort_unstable();
    Some(days[days.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_standard_is_met_at_its_share_exactly_and_not_below() {
        assert!(SCOTLAND_18_WEEKS.is_met_by(0.90));
        assert!(SCOTLAND_18_WEEKS.is_met_by(9.0 / 10.0));
        assert!(!SCOTLAND_18_WEEKS.is_met_by(0.8999));
        assert!(ENGLAND_6_WEEKS.is_met_by(3.0 / 4.0));
        assert!(!ENGLAND_18_WEEKS.is_met_by(0.94));
    }

    fn t(days: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + days * 86_400).unwrap()
    }

    #[test]
    fn exactly_eighteen_weeks_is_within_and_a_second_more_breaches() {
        let start = t(0);
        assert_eq!(weeks_waited(start, t(126)), 18);
        assert!(!breaches(start, t(126), SCOTLAND_18_WEEKS));
        let later = Timestamp::from_second(t(126).as_second() + 1).unwrap();
        assert!(breaches(start, later, SCOTLAND_18_WEEKS));
        assert!(breaches(start, t(43), ENGLAND_6_WEEKS));
        assert!(!breaches(start, t(42), ENGLAND_6_WEEKS));
    }

    #[test]
    fn shares_and_medians() {
        let waits = [(t(0), t(10)), (t(0), t(50)), (t(0), t(130))];
        assert_eq!(share_within(&waits, SCOTLAND_18_WEEKS), Some(2.0 / 3.0));
        assert_eq!(share_within(&waits, ENGLAND_6_WEEKS), Some(1.0 / 3.0));
        assert_eq!(median_wait_days(&waits), Some(50));
        assert_eq!(share_within(&[], SCOTLAND_18_WEEKS), None);
    }
}
