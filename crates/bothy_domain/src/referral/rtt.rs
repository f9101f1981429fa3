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

    /// Whether a wait of `seconds` has gone past the limit (`breaches`).
    pub fn breached_by(&self, seconds: i64) -> bool {
        seconds > self.weeks * WEEK_SECS
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
    standard.breached_by(end.as_second() - start.as_second())
}

/// Completed waits counted by length. A service's year of them is a few
/// hundred lengths however many people waited, so the store reads them
/// grouped by whole days, with how many of each day's ended exactly on its
/// boundary: that is all the standards' whole-week limits (`breaches`) and
/// the median in days can tell apart.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompletedWaits {
    /// (a length in seconds standing for its group, how many waits).
    lengths: Vec<(i64, u64)>,
    total: u64,
}

impl CompletedWaits {
    /// From (whole days waited, rounded toward zero; how many waits; how
    /// many of them lasted exactly that many days), as the store groups them.
    pub fn from_days(groups: impl IntoIterator<Item = (i64, u64, u64)>) -> CompletedWaits {
        let mut waits = CompletedWaits::default();
        for (days, count, exact) in groups {
            let exact = exact.min(count);
            // A second past the day stands for every length within it: the
            // limits are whole days, so they fall on boundaries only.
            let past = if days < 0 { -1 } else { 1 };
            waits.add(days * 86_400, exact);
            waits.add(days * 86_400 + past, count - exact);
        }
        waits.lengths.sort_unstable();
        waits
    }

    /// From each wait's (start, stop).
    pub fn from_waits(waits: &[(Timestamp, Timestamp)]) -> CompletedWaits {
        let mut all = CompletedWaits::default();
        for (start, stop) in waits {
            all.add(stop.as_second() - start.as_second(), 1);
        }
        all.lengths.sort_unstable();
        all
    }

    fn add(&mut self, seconds: i64, count: u64) {
        if count > 0 {
            self.lengths.push((seconds, count));
            self.total += count;
        }
    }

    /// How many waits there are.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The share within a standard's limit; none without any wait.
    pub fn share_within(&self, standard: Standard) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let within: u64 = self
            .lengths
            .iter()
            .filter(|(secs, _)| !standard.breached_by(*secs))
            .map(|(_, n)| n)
            .sum();
        Some(within as f64 / self.total as f64)
    }

    /// The median wait in whole days (the upper of the two middle waits
    /// when their number is even), for telling people how long it usually
    /// takes.
    pub fn median_days(&self) -> Option<i64> {
        let middle = self.total / 2;
        let mut seen = 0;
        for (secs, n) in &self.lengths {
            seen += n;
            if seen > middle {
                return Some(secs.max(&0) / 86_400);
            }
        }
        None
    }
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
        let waits = CompletedWaits::from_waits(&[(t(0), t(10)), (t(0), t(50)), (t(0), t(130))]);
        assert_eq!(waits.count(), 3);
        assert_eq!(waits.share_within(SCOTLAND_18_WEEKS), Some(2.0 / 3.0));
        assert_eq!(waits.share_within(ENGLAND_6_WEEKS), Some(1.0 / 3.0));
        assert_eq!(waits.median_days(), Some(50));
        let none = CompletedWaits::default();
        assert_eq!(none.share_within(SCOTLAND_18_WEEKS), None);
        assert_eq!(none.median_days(), None);
        let four =
            CompletedWaits::from_waits(&[(t(0), t(1)), (t(0), t(2)), (t(0), t(3)), (t(0), t(9))]);
        assert_eq!(
            four.median_days(),
            Some(3),
            "the upper middle of an even count"
        );
    }

    /// Grouped by day (as the store reads them), every share and median is
    /// the one of the waits themselves, at each boundary: exactly 6 or 18
    /// weeks, a second more, a day less, and waits stopped before they
    /// started (a data error, counted as no wait).
    #[test]
    fn waits_grouped_by_day_give_the_figures_of_the_waits_themselves() {
        let s = |secs: i64| Timestamp::from_second(1_800_000_000 + secs).unwrap();
        let lengths = [
            42 * 86_400,
            42 * 86_400 + 1,
            42 * 86_400 - 1,
            41 * 86_400,
            126 * 86_400,
            126 * 86_400 + 86_399,
            127 * 86_400,
            0,
            5,
            -5,
            -86_400,
            -90_000,
            3 * 86_400 + 7,
        ];
        let waits: Vec<_> = lengths.iter().map(|l| (s(0), s(*l))).collect();
        let exact = CompletedWaits::from_waits(&waits);
        // As the store's grouping computes it: days rounded toward zero.
        let mut groups: std::collections::BTreeMap<i64, (u64, u64)> = Default::default();
        for l in lengths {
            let g = groups.entry(l / 86_400).or_default();
            g.0 += 1;
            g.1 += u64::from(l % 86_400 == 0);
        }
        let grouped = CompletedWaits::from_days(groups.into_iter().map(|(d, (n, e))| (d, n, e)));
        assert_eq!(grouped.count(), exact.count());
        for standard in [ENGLAND_6_WEEKS, ENGLAND_18_WEEKS, SCOTLAND_18_WEEKS] {
            let within = lengths
                .iter()
                .filter(|l| !breaches(s(0), s(**l), standard))
                .count();
            let expected = Some(within as f64 / lengths.len() as f64);
            assert_eq!(exact.share_within(standard), expected, "{}", standard.name);
            assert_eq!(
                grouped.share_within(standard),
                expected,
                "{}",
                standard.name
            );
        }
        let mut days: Vec<i64> = lengths.iter().map(|l| l.max(&0) / 86_400).collect();
        days.sort_unstable();
        assert_eq!(exact.median_days(), Some(days[days.len() / 2]));
        assert_eq!(grouped.median_days(), exact.median_days());
        // Every prefix, so that the median is checked at each position.
        for n in 1..lengths.len() {
            let part = CompletedWaits::from_waits(&waits[..n]);
            let mut days: Vec<i64> = lengths[..n].iter().map(|l| l.max(&0) / 86_400).collect();
            days.sort_unstable();
            assert_eq!(part.median_days(), Some(days[n / 2]));
        }
    }
}
