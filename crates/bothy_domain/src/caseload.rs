//! A supporter's caseload in order of need: who needs help today comes
//! first. The rule is here, pure, so that it is written once and tested
//! without a database; the application fills in each person's [`Need`].

use crate::alerts::Severity;
use crate::time::Timestamp;
use std::cmp::Ordering;

/// How long without any activity counts as quiet (for a clinical lead's
/// view of each supporter's caseload).
pub const QUIET_DAYS: i64 = 14;

/// What the ordering looks at for one person on a caseload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    /// The highest severity among the person's open alerts, if any.
    pub highest_alert: Option<Severity>,
    /// Whether their referral had a risk answer or risky words.
    pub risk_at_referral: bool,
    /// Messages from the person nobody in the care team has read.
    pub unread_messages: i64,
    /// A programme review of theirs is past its due date.
    pub review_overdue: bool,
    /// The latest of their check-ins, measures, tool entries, messages and
    /// finished modules; for someone who has done nothing yet, when they
    /// came on record, so a person added today is not "quietest".
    pub last_activity: Timestamp,
}

impl Need {
    /// An open alert that must be dealt with within hours (high) or
    /// minutes (urgent).
    pub fn urgent_alert(&self) -> Option<Severity> {
        self.highest_alert
            .filter(|s| matches!(s, Severity::High | Severity::Urgent))
    }
}

/// Whether someone last active at `last` has been quiet for
/// [`QUIET_DAYS`] or more at `now`.
pub fn is_quiet(last: Timestamp, now: Timestamp) -> bool {
    now.as_millisecond() - last.as_millisecond() >= QUIET_DAYS * 86_400_000
}

/// Orders two people by need, the one who needs help first coming first.
/// Ties keep the order they came in (use a stable sort, after sorting by
/// name), so the list does not shuffle between visits.
pub fn by_need(a: &Need, b: &Need) -> Ordering {
    // 1. An open urgent or high alert: risk now, with a deadline of minutes
    //    or hours. Urgent before high. Lower severities (deterioration,
    //    missed measures) are shown on the row but do not move it: their
    //    deadlines are days and the duty queue works them.
    rank(b.urgent_alert())
        .cmp(&rank(a.urgent_alert()))
        // 2. Risk found at referral: a known risk that has not gone away
        //    because the alert that reported it was closed.
        .then_with(|| b.risk_at_referral.cmp(&a.risk_at_referral))
        // 3. Unread messages: the person asked for something and is
        //    waiting for an answer. Whether there are any, not how many:
        //    three short messages are no more pressing than one.
        .then_with(|| (b.unread_messages > 0).cmp(&(a.unread_messages > 0)))
        // 4. An overdue review: the person is working on a programme and
        //    waiting for their supporter's feedback, which is also their
        //    treatment contact. Work owed, not a sign of risk, so after the
        //    three above.
        .then_with(|| b.review_overdue.cmp(&a.review_overdue))
        // 5. Longest without activity: silence is the commonest sign of
        //    someone dropping out, and the one nobody else will notice.
        .then_with(|| a.last_activity.cmp(&b.last_activity))
}

fn rank(s: Option<Severity>) -> u8 {
    match s {
        None | Some(Severity::Low | Severity::Moderate) => 0,
        Some(Severity::High) => 1,
        Some(Severity::Urgent) => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + d * 86_400).unwrap()
    }

    fn quiet_since(d: i64) -> Need {
        Need {
            highest_alert: None,
            risk_at_referral: false,
            unread_messages: 0,
            review_overdue: false,
            last_activity: day(d),
        }
    }

    fn sorted(mut v: Vec<(&'static str, Need)>) -> Vec<&'static str> {
        v.sort_by(|a, b| by_need(&a.1, &b.1));
        v.into_iter().map(|(n, _)| n).collect()
    }

    #[test]
    fn an_urgent_alert_comes_before_everything_else() {
        let alert = Need {
            highest_alert: Some(Severity::High),
            ..quiet_since(30)
        };
        let urgent = Need {
            highest_alert: Some(Severity::Urgent),
            ..quiet_since(30)
        };
        let risk = Need {
            risk_at_referral: true,
            unread_messages: 4,
            ..quiet_since(0)
        };
        assert_eq!(
            sorted(vec![("risk", risk), ("high", alert), ("urgent", urgent)]),
            ["urgent", "high", "risk"]
        );
    }

    #[test]
    fn a_moderate_alert_does_not_move_a_person() {
        let moderate = Need {
            highest_alert: Some(Severity::Moderate),
            ..quiet_since(10)
        };
        let quieter = quiet_since(1);
        assert_eq!(
            sorted(vec![("moderate", moderate), ("quieter", quieter)]),
            ["quieter", "moderate"]
        );
    }

    #[test]
    fn risk_at_referral_comes_before_unread_messages() {
        let risk = Need {
            risk_at_referral: true,
            ..quiet_since(10)
        };
        let unread = Need {
            unread_messages: 2,
            ..quiet_since(1)
        };
        assert_eq!(
            sorted(vec![("unread", unread), ("risk", risk)]),
            ["risk", "unread"]
        );
    }

    #[test]
    fn unread_messages_come_before_silence_and_their_number_does_not_count() {
        let one = Need {
            unread_messages: 1,
            ..quiet_since(2)
        };
        let three = Need {
            unread_messages: 3,
            ..quiet_since(5)
        };
        assert_eq!(
            sorted(vec![
                ("quiet", quiet_since(0)),
                ("three", three),
                ("one", one)
            ]),
            ["one", "three", "quiet"]
        );
    }

    #[test]
    fn the_longest_quiet_comes_first_and_ties_keep_their_order() {
        assert_eq!(
            sorted(vec![
                ("recent", quiet_since(20)),
                ("b", quiet_since(3)),
                ("a", quiet_since(3)),
                ("oldest", quiet_since(0)),
            ]),
            ["oldest", "b", "a", "recent"]
        );
    }

    #[test]
    fn quiet_means_fourteen_days_or_more() {
        assert!(!is_quiet(day(0), day(13)));
        assert!(is_quiet(day(0), day(14)));
    }

    #[test]
    fn an_overdue_review_comes_after_unread_messages_and_before_silence() {
        let unread = Need {
            unread_messages: 1,
            ..quiet_since(9)
        };
        let overdue = Need {
            review_overdue: true,
            ..quiet_since(8)
        };
        let quietest = quiet_since(0);
        assert_eq!(
            sorted(vec![
                ("quietest", quietest),
                ("overdue", overdue),
                ("unread", unread)
            ]),
            ["unread", "overdue", "quietest"]
        );
    }
}
