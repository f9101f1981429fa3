//! FHIR search parameter values: dates with their prefixes.
//!
//! A date is a range at its own precision (`2026` is the whole year,
//! `2026-03-01` the whole day), and a prefix compares with that range as the
//! FHIR search rules say: `ge2026-01-01` from the start of that day,
//! `gt2026-01-01` from the end of it, `lt` before its start, `le` up to its
//! end, `eq` (or no prefix) within it. Dates without a time are UK days, where
//! every service Bothy hosts runs; a time must carry its zone.

use bothy_domain::time::{Date, Timestamp};
use jiff::tz::TimeZone;
use jiff::{Span, ToSpan};

/// The times a search allows: from `from` (inclusive) to `to` (exclusive).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

impl TimeRange {
    fn at_least(&mut self, t: Timestamp) {
        self.from = Some(self.from.map_or(t, |f| f.max(t)));
    }
    fn before(&mut self, t: Timestamp) {
        self.to = Some(self.to.map_or(t, |f| f.min(t)));
    }
}

fn uk() -> TimeZone {
    TimeZone::get("Europe/London").unwrap_or(TimeZone::UTC)
}

fn start_of(date: Date) -> Result<Timestamp, String> {
    date.to_zoned(uk())
        .map(|z| z.timestamp())
        .map_err(|e| e.to_string())
}

/// The range a date or date-time value stands for: [start, end).
pub fn value_range(value: &str) -> Result<(Timestamp, Timestamp), String> {
    let bad = || {
        format!(
            "{value:?} is not a date: use YYYY, YYYY-MM, YYYY-MM-DD or a date-time with its zone, \
             such as 2026-01-31T09:00:00Z"
        )
    };
    let date = |y: &str, m: &str, d: &str| -> Result<Date, String> {
        let (y, m, d) = (
            y.parse().map_err(|_| bad())?,
            m.parse().map_err(|_| bad())?,
            d.parse().map_err(|_| bad())?,
        );
        Date::new(y, m, d).map_err(|_| bad())
    };
    let range = |start: Date, span: Span| -> Result<(Timestamp, Timestamp), String> {
        let end = start.checked_add(span).map_err(|_| bad())?;
        Ok((start_of(start)?, start_of(end)?))
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = value.split('-').collect();
    match parts.as_slice() {
        [y] if digits(y, 4) => range(date(y, "1", "1")?, 1.year()),
        [y, m] if digits(y, 4) && digits(m, 2) => range(date(y, m, "1")?, 1.month()),
        [y, m, d] if digits(y, 4) && digits(m, 2) && digits(d, 2) => range(date(y, m, d)?, 1.day()),
        _ if value.contains('T') => {
            let t: Timestamp = value.parse().map_err(|_| bad())?;
            let time = value.split_once('T').map(|(_, t)| t).unwrap_or_default();
            let clock = time.split(['Z', '+', '-']).next().unwrap_or_default();
            let precision = match clock.split(':').count() {
                2 => 1.minute(),
                _ if clock.contains('.') => 1.millisecond(),
                _ => 1.second(),
            };
            let end = t.checked_add(precision).map_err(|_| bad())?;
            Ok((t, end))
        }
        _ => Err(bad()),
    }
}

/// Combines every value of a date parameter (they must all hold).
pub fn date_params(values: &[&str]) -> Result<TimeRange, String> {
    let mut r = TimeRange::default();
    for v in values {
        let (prefix, rest) = match v.get(..2) {
            Some(p) if p.bytes().all(|b| b.is_ascii_lowercase()) => (p, &v[2..]),
            _ => ("eq", *v),
        };
        let (start, end) = value_range(rest)?;
        match prefix {
            "eq" => {
                r.at_least(start);
                r.before(end);
            }
            "ge" => r.at_least(start),
            "gt" | "sa" => r.at_least(end),
            "lt" | "eb" => r.before(start),
            "le" => r.before(end),
            other => {
                return Err(format!(
                    "the prefix {other:?} is not supported here: use eq, ge, gt, le or lt"
                ));
            }
        }
    }
    Ok(r)
}

/// Combines every value of a date parameter on a date without a time (a
/// birth date): the days allowed, from `.0` (inclusive) to `.1`
/// (exclusive). A value with a time is refused: a birth date has none.
pub fn day_params(values: &[&str]) -> Result<(Option<Date>, Option<Date>), String> {
    let (mut from, mut to): (Option<Date>, Option<Date>) = (None, None);
    for v in values {
        let (prefix, rest) = match v.get(..2) {
            Some(p) if p.bytes().all(|b| b.is_ascii_lowercase()) => (p, &v[2..]),
            _ => ("eq", *v),
        };
        if rest.contains('T') {
            return Err(format!(
                "{rest:?} has a time: give a date, such as 1990-05-17"
            ));
        }
        // The day range is the same in any zone: read it as UK days and
        // take their dates back.
        let (start, end) = value_range(rest)?;
        let day = |t: Timestamp| t.to_zoned(uk()).date();
        let (start, end) = (day(start), day(end));
        let mut at_least = |d: Date| from = Some(from.map_or(d, |f| f.max(d)));
        match prefix {
            "eq" => {
                at_least(start);
                to = Some(to.map_or(end, |t| t.min(end)));
            }
            "ge" => at_least(start),
            "gt" | "sa" => at_least(end),
            "lt" | "eb" => to = Some(to.map_or(start, |t| t.min(start))),
            "le" => to = Some(to.map_or(end, |t| t.min(end))),
            other => {
                return Err(format!(
                    "the prefix {other:?} is not supported here: use eq, ge, gt, le or lt"
                ));
            }
        }
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn dates_are_ranges_at_their_precision_in_uk_time() {
        // Winter: UK time is UTC.
        assert_eq!(
            value_range("2026-01-31").unwrap(),
            (ts("2026-01-31T00:00:00Z"), ts("2026-02-01T00:00:00Z"))
        );
        // Summer: a UK day starts at 23:00 UTC the day before.
        assert_eq!(
            value_range("2026-07").unwrap(),
            (ts("2026-06-30T23:00:00Z"), ts("2026-07-31T23:00:00Z"))
        );
        assert_eq!(value_range("2026").unwrap().1, ts("2027-01-01T00:00:00Z"));
        assert_eq!(
            value_range("2026-01-31T09:00:00Z").unwrap(),
            (ts("2026-01-31T09:00:00Z"), ts("2026-01-31T09:00:01Z"))
        );
        assert_eq!(
            value_range("2026-01-31T09:00+01:00").unwrap().1,
            ts("2026-01-31T08:01:00Z")
        );
        for bad in [
            "",
            "26",
            "2026-1-5",
            "2026-02-30",
            "yesterday",
            "2026-01-31T09:00:00",
        ] {
            assert!(value_range(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prefixes_combine() {
        let r = date_params(&["ge2026-01-01", "lt2027-01-01"]).unwrap();
        assert_eq!(r.from, Some(ts("2026-01-01T00:00:00Z")));
        assert_eq!(r.to, Some(ts("2027-01-01T00:00:00Z")));
        let r = date_params(&["gt2026-01-01", "le2026-01-03"]).unwrap();
        assert_eq!(r.from, Some(ts("2026-01-02T00:00:00Z")));
        assert_eq!(r.to, Some(ts("2026-01-04T00:00:00Z")));
        let r = date_params(&["2026-03-02"]).unwrap();
        assert_eq!(
            (r.from, r.to),
            (
                Some(ts("2026-03-02T00:00:00Z")),
                Some(ts("2026-03-03T00:00:00Z"))
            )
        );
        assert!(date_params(&["ne2026"]).is_err());
        let d = |s: &str| -> Date { s.parse().unwrap() };
        assert_eq!(
            day_params(&["1990"]).unwrap(),
            (Some(d("1990-01-01")), Some(d("1991-01-01")))
        );
        assert_eq!(
            day_params(&["ge1990-07-01", "le1990-07-31"]).unwrap(),
            (Some(d("1990-07-01")), Some(d("1990-08-01")))
        );
        assert!(day_params(&["1990-07-01T00:00:00Z"]).is_err());
        assert!(date_params(&["ap2026"]).is_err());
    }
}
