//! A reporting period: whole days in UK time, first and last included,
//! cut into calendar months for the monthly tables.

use crate::person::Invalid;
use crate::time::{Date, Timestamp};
use jiff::tz::TimeZone;

/// The longest period a dashboard reads at once.
const MAX_DAYS: i32 = 5 * 366;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    /// The last day included.
    pub to: Date,
}

fn uk() -> TimeZone {
    TimeZone::get("Europe/London").unwrap_or(TimeZone::UTC)
}

fn start_of(day: Date) -> Timestamp {
    day.to_zoned(uk())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

impl Period {
    pub fn new(from: Date, to: Date) -> Result<Period, Invalid> {
        if to < from {
            return Err(Invalid(
                "The end of the period must not be before its start",
            ));
        }
        let days = (to - from).get_days();
        if days > MAX_DAYS {
            return Err(Invalid("Choose a period of at most 5 years"));
        }
        Ok(Period { from, to })
    }

    /// The last twelve months to `today`: from the 1st of the month eleven
    /// months back.
    pub fn last_twelve_months(today: Date) -> Period {
        let from = today
            .first_of_month()
            .checked_sub(jiff::Span::new().months(11))
            .unwrap_or(today);
        Period { from, to: today }
    }

    /// One calendar month.
    pub fn month(first: Date) -> Period {
        let from = first.first_of_month();
        Period {
            from,
            to: from.last_of_month(),
        }
    }

    /// From the start of the first day to the start of the day after the
    /// last, as instants.
    pub fn bounds(&self) -> (Timestamp, Timestamp) {
        let after = self.to.tomorrow().unwrap_or(self.to);
        (start_of(self.from), start_of(after))
    }

    /// Each calendar month the period touches, labelled "2026-03", and the
    /// instants between them in milliseconds: the period's start, the 1st
    /// of each later month, and the period's end (one more than labels).
    pub fn months(&self) -> (Vec<String>, Vec<i64>) {
        let (from, to) = self.bounds();
        let mut labels = vec![self.from.strftime("%Y-%m").to_string()];
        let mut bounds = vec![crate::time::to_millis(from)];
        let mut month = self.from.first_of_month();
        loop {
            let Ok(next) = month.checked_add(jiff::Span::new().months(1)) else {
                break;
            };
            if next > self.to {
                break;
            }
            labels.push(next.strftime("%Y-%m").to_string());
            bounds.push(crate::time::to_millis(start_of(next)));
            month = next;
        }
        bounds.push(crate::time::to_millis(to));
        (labels, bounds)
    }

    /// The day ages are counted on, as YYYYMMDD: the last day.
    pub fn age_on(&self) -> i64 {
        i64::from(self.to.year()) * 10_000
            + i64::from(self.to.month()) * 100
            + i64::from(self.to.day())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn months_cut_at_the_first_in_uk_time() {
        let p = Period::new(date(2026, 1, 15), date(2026, 3, 31)).unwrap();
        let (labels, bounds) = p.months();
        assert_eq!(labels, ["2026-01", "2026-02", "2026-03"]);
        assert_eq!(bounds.len(), 4);
        // 1 March 2026 is in GMT; 31 March ends at midnight BST (23:00 UTC).
        assert_eq!(bounds[2], 1_772_323_200_000);
        assert_eq!(bounds[3], 1_774_998_000_000);
        assert_eq!(p.age_on(), 20260331);
    }

    #[test]
    fn periods_are_checked() {
        assert!(Period::new(date(2026, 2, 1), date(2026, 1, 1)).is_err());
        assert!(Period::new(date(2020, 1, 1), date(2026, 1, 1)).is_err());
        let p = Period::last_twelve_months(date(2026, 12, 6));
        assert_eq!(p.from, date(2026, 1, 1));
        assert_eq!(Period::month(date(2026, 2, 10)).to, date(2026, 2, 28));
    }
}
