//! The dashboard's figures as definitions over counts.
//!
//! Waits: the referral-to-treatment clock of `crate::referral::rtt` (from
//! the referral's receipt to the first treatment contact), counted for the
//! people who started treatment in the period ("completed waits", as
//! Public Health Scotland's psychological therapies waiting times
//! publication and NHS England's NHS Talking Therapies monthly statistics
//! both report them). Standards: Scotland 90% within 18 weeks; England 75%
//! within 6 weeks and 95% within 18 weeks.
//!
//! Outcomes: NHS Talking Therapies definitions (NHS England, "NHS Talking
//! Therapies for anxiety and depression manual", and the NHS Talking
//! Therapies Data Set's technical output specification) as classified by
//! `crate::outcomes` (docs/outcomes.md): recovery and reliable recovery
//! over people who finished a course of treatment at caseness; reliable
//! improvement and reliable deterioration over everyone who finished a
//! course of treatment.

use super::rates::Rate;
use crate::outcomes::Tally;
use crate::referral::rtt::{ENGLAND_6_WEEKS, ENGLAND_18_WEEKS, SCOTLAND_18_WEEKS, Standard};

/// Completed waits in a period and how many were within 6 and 18 weeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WaitCounts {
    pub completed: u64,
    pub within_6_weeks: u64,
    pub within_18_weeks: u64,
}

impl WaitCounts {
    /// Adds one wait of `millis` from referral to first treatment; a wait
    /// of exactly 18 weeks is within 18 weeks (`rtt::breaches`).
    pub fn add(&mut self, millis: i64) {
        self.completed += 1;
        let secs = millis.div_euclid(1000);
        if secs <= ENGLAND_6_WEEKS.weeks * crate::referral::rtt::WEEK_SECS {
            self.within_6_weeks += 1;
        }
        if secs <= ENGLAND_18_WEEKS.weeks * crate::referral::rtt::WEEK_SECS {
            self.within_18_weeks += 1;
        }
    }

    pub fn rate_within_6(self) -> Rate {
        Rate::new(self.within_6_weeks, self.completed)
    }

    pub fn rate_within_18(self) -> Rate {
        Rate::new(self.within_18_weeks, self.completed)
    }

    /// Each standard with the rate it is judged on and whether it is met
    /// (None when nobody finished waiting in the period).
    pub fn against_standards(self) -> [(Standard, Rate, Option<bool>); 3] {
        let judge = |s: Standard, r: Rate| (s, r, r.value().map(|v| s.is_met_by(v)));
        [
            judge(SCOTLAND_18_WEEKS, self.rate_within_18()),
            judge(ENGLAND_6_WEEKS, self.rate_within_6()),
            judge(ENGLAND_18_WEEKS, self.rate_within_18()),
        ]
    }
}

/// The outcome rates of a tally, each with the denominator the national
/// definition names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeRates {
    pub recovery: Rate,
    pub reliable_recovery: Rate,
    pub reliable_improvement: Rate,
    pub reliable_deterioration: Rate,
}

impl OutcomeRates {
    pub fn of(t: &Tally) -> OutcomeRates {
        OutcomeRates {
            recovery: Rate::new(t.recovered, t.at_caseness),
            reliable_recovery: Rate::new(t.reliable_recovery, t.at_caseness),
            reliable_improvement: Rate::new(t.reliable_improvement, t.finished),
            reliable_deterioration: Rate::new(t.reliable_deterioration, t.finished),
        }
    }
}

/// Dropout: ended before finishing a course (fewer than two treatment
/// contacts) among those who had at least one, as NHS Talking Therapies
/// counts "ended not finishing a course of treatment".
pub fn dropout(started_not_finished: u64, entered: u64) -> Rate {
    Rate::new(started_not_finished, entered)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WEEK_MS: i64 = 7 * 86_400_000;

    #[test]
    fn waits_on_the_boundaries() {
        let mut w = WaitCounts::default();
        w.add(6 * WEEK_MS);
        w.add(6 * WEEK_MS + 1000);
        w.add(18 * WEEK_MS);
        w.add(18 * WEEK_MS + 1000);
        assert_eq!(
            w,
            WaitCounts {
                completed: 4,
                within_6_weeks: 1,
                within_18_weeks: 3
            }
        );
        let [scot, eng6, eng18] = w.against_standards();
        assert_eq!(scot.1, Rate::new(3, 4));
        assert_eq!(scot.2, Some(false));
        assert_eq!(eng6.1, Rate::new(1, 4));
        assert_eq!(eng18.2, Some(false));
        assert_eq!(WaitCounts::default().against_standards()[0].2, None);
    }

    #[test]
    fn ninety_percent_meets_the_scottish_standard() {
        let mut w = WaitCounts::default();
        for i in 0..10 {
            w.add(if i == 0 { 19 * WEEK_MS } else { WEEK_MS });
        }
        assert_eq!(w.against_standards()[0].2, Some(true));
    }

    #[test]
    fn outcome_rates_use_the_national_denominators() {
        let t = Tally {
            episodes: 20,
            finished: 10,
            at_caseness: 8,
            recovered: 4,
            reliable_improvement: 6,
            reliable_recovery: 3,
            reliable_deterioration: 1,
        };
        let r = OutcomeRates::of(&t);
        assert_eq!(r.recovery, Rate::new(4, 8));
        assert_eq!(r.reliable_recovery, Rate::new(3, 8));
        assert_eq!(r.reliable_improvement, Rate::new(6, 10));
        assert_eq!(r.reliable_deterioration, Rate::new(1, 10));
        assert_eq!(dropout(2, 10).percent(), "20.0%");
    }
}
