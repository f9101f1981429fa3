//! How pages write dates, times and scores: one place, so every page says
//! "5 December 2026 14:05" in UK time and "12" or "2.33" for a score.

use bothy_domain::time::{Date, Timestamp};

/// The UK's time zone (GMT or BST); UTC if the zone database lacks it.
pub fn london() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC)
}

/// "5 December 2026 14:05", in UK time.
pub fn uk_time(t: Timestamp) -> String {
    t.to_zoned(london()).strftime("%-d %B %Y %H:%M").to_string()
}

/// "27 March 1990".
pub fn long_date(d: Date) -> String {
    d.strftime("%-d %B %Y").to_string()
}

/// A score as people read it: whole numbers plain, decimals (a mean, a
/// converted score) to two places ("12", "2.33").
pub fn score(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.2}")
    }
}

/// A length of time in whole minutes: "7 hours 30 minutes", "45 minutes".
pub fn hours_minutes(minutes: u32) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    let hours = match h {
        0 => String::new(),
        1 => "1 hour".to_string(),
        _ => format!("{h} hours"),
    };
    let mins = match m {
        1 => "1 minute".to_string(),
        _ => format!("{m} minutes"),
    };
    match (h, m) {
        (0, _) => mins,
        (_, 0) => hours,
        _ => format!("{hours} {mins}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_times_read_as_people_write_them() {
        assert_eq!(score(12.0), "12");
        assert_eq!(score(2.3333), "2.33");
        assert_eq!(score(2.5), "2.50");
        // Summer time: 13:05 UTC is 14:05 in London.
        let t: Timestamp = "2026-07-05T13:05:00Z".parse().unwrap();
        assert_eq!(uk_time(t), "5 July 2026 14:05");
        let t: Timestamp = "2026-12-05T13:05:00Z".parse().unwrap();
        assert_eq!(uk_time(t), "5 December 2026 13:05");
        assert_eq!(long_date(Date::constant(1990, 3, 27)), "27 March 1990");
        assert_eq!(hours_minutes(450), "7 hours 30 minutes");
        assert_eq!(hours_minutes(61), "1 hour 1 minute");
        assert_eq!(hours_minutes(300), "5 hours");
        assert_eq!(hours_minutes(45), "45 minutes");
    }
}
