//! A sleep-diary night as a form gives it (a date, four clock times and two
//! numbers of minutes), read into a [`SleepDiaryEntry`]; and what the diary
//! suggests once a week of nights is recorded, by the rule in [`super::sleep`].
//!
//! The form asks for the date of the evening the night began and clock
//! times only, as a paper diary does; the dates follow: a bedtime before
//! noon is after midnight (the next day), waking is the first such time
//! after going to bed, and getting up the first such time from waking.

use super::sleep::{self, Change, Problems, SleepDiaryEntry, WEEK};
use jiff::civil::{Date, DateTime, Time};

/// How far back a night may be recorded, in days.
pub const PAST_LIMIT_DAYS: i64 = 31;
/// The most minutes either count of minutes may be.
pub const MINUTES_MAX: u32 = 24 * 60;

/// One night as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SleepDiaryInput {
    /// The date of the evening the night began (`2026-03-01`, or `1/3/2026`).
    pub night_of: String,
    /// Clock times, `23:30` (or `23.30`).
    pub went_to_bed: String,
    pub minutes_to_fall_asleep: String,
    pub minutes_awake_in_night: String,
    pub woke_finally: String,
    pub got_up: String,
}

/// Reads a night as typed. `now` is the wall-clock time where the person
/// is: a night cannot end in the future (5 minutes' grace) nor begin more
/// than [`PAST_LIMIT_DAYS`] ago. Every problem is named with its field.
pub fn parse(input: &SleepDiaryInput, now: DateTime) -> Result<SleepDiaryEntry, Problems> {
    let mut problems = Problems::new();
    let date = read_date(&input.night_of);
    if date.is_none() {
        problems.push((
            "night_of",
            "Enter the date the night began, for example 2026-03-01 or 1/3/2026".into(),
        ));
    }
    let mut time = |field: &'static str, typed: &str, what: &str| {
        let t = read_time(typed);
        if t.is_none() {
            problems.push((
                field,
                format!("Enter the time you {what} as hours and minutes, for example 23:30"),
            ));
        }
        t
    };
    let bed = time("went_to_bed", &input.went_to_bed, "went to bed");
    let latency = minutes(
        &mut problems,
        "minutes_to_fall_asleep",
        "The minutes it took to fall asleep",
        &input.minutes_to_fall_asleep,
    );
    let awake = minutes(
        &mut problems,
        "minutes_awake_in_night",
        "The minutes awake in the night",
        &input.minutes_awake_in_night,
    );
    let mut time = |field: &'static str, typed: &str, what: &str| {
        let t = read_time(typed);
        if t.is_none() {
            problems.push((
                field,
                format!("Enter the time you {what} as hours and minutes, for example 06:45"),
            ));
        }
        t
    };
    let woke = time(
        "woke_finally",
        &input.woke_finally,
        "woke up for the last time",
    );
    let up = time("got_up", &input.got_up, "got up");
    let (Some(date), Some(bed), Some(latency), Some(awake), Some(woke), Some(up)) =
        (date, bed, latency, awake, woke, up)
    else {
        return Err(problems);
    };
    let bed_at = if bed < Time::constant(12, 0, 0, 0) {
        next_day(date).to_datetime(bed)
    } else {
        date.to_datetime(bed)
    };
    let woke_at = first_after(bed_at, woke, false);
    let up_at = first_after(woke_at, up, true);
    let entry = SleepDiaryEntry::new(bed_at, latency, awake, woke_at, up_at)?;
    let grace = jiff::Span::new().minutes(5);
    if now.checked_add(grace).is_ok_and(|limit| up_at > limit) {
        return Err(vec![(
            "night_of",
            "A night cannot end in the future: check the date and times".into(),
        )]);
    }
    let oldest = now
        .date()
        .checked_sub(jiff::Span::new().days(PAST_LIMIT_DAYS))
        .unwrap_or(Date::MIN);
    if bed_at.date() < oldest {
        return Err(vec![(
            "night_of",
            format!("A night can be at most {PAST_LIMIT_DAYS} days ago"),
        )]);
    }
    Ok(entry)
}

fn next_day(d: Date) -> Date {
    d.tomorrow().unwrap_or(d)
}

/// The first `time` after `from` (or at it, if `same_counts`).
fn first_after(from: DateTime, time: Time, same_counts: bool) -> DateTime {
    let same_day = from.date().to_datetime(time);
    if same_day > from || (same_counts && same_day == from) {
        same_day
    } else {
        next_day(from.date()).to_datetime(time)
    }
}

/// `2026-03-01`, as a date input sends it, or `1/3/2026` as people in the
/// UK write it where a browser shows a plain text box.
pub(super) fn read_date(typed: &str) -> Option<Date> {
    let t = typed.trim();
    if let Ok(d) = t.parse::<Date>() {
        return Some(d);
    }
    let mut parts = t
        .split(['/', '.', '-'])
        .map(|p| p.trim().parse::<i16>().ok());
    let (Some(Some(day)), Some(Some(month)), Some(Some(year)), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let day = i8::try_from(day).ok()?;
    let month = i8::try_from(month).ok()?;
    (year >= 1000).then(|| Date::new(year, month, day).ok())?
}

/// `23:30` as a time input sends it (seconds, if any, are dropped), or
/// `23.30` or `7:05`.
fn read_time(typed: &str) -> Option<Time> {
    let t = typed.trim();
    let mut parts = t.split([':', '.']);
    let (Some(h), Some(m)) = (parts.next(), parts.next()) else {
        return None;
    };
    if let Some(s) = parts.next()
        && (s.len() != 2 || s.parse::<u8>().ok()? > 59)
    {
        return None;
    }
    if parts.next().is_some() || h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m) = (h.parse::<i8>().ok()?, m.parse::<i8>().ok()?);
    Time::new(h, m, 0, 0).ok()
}

fn minutes(problems: &mut Problems, field: &'static str, what: &str, typed: &str) -> Option<u32> {
    let t = typed.trim();
    if t.is_empty() {
        problems.push((field, format!("{what}: give a number, 0 if none")));
        return None;
    }
    match t.parse::<u32>() {
        Ok(m) if m <= MINUTES_MAX => Some(m),
        _ => {
            problems.push((
                field,
                format!("{what} must be a whole number from 0 to {MINUTES_MAX}"),
            ));
            None
        }
    }
}

/// What the diary says once a week of nights is recorded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Week {
    /// Sleep efficiency of the last 7 nights recorded, in per cent.
    pub efficiency: f64,
    /// The sleep window to keep to next, in minutes.
    pub window_minutes: u32,
    /// How the last full week changed the window; `None` when it is the
    /// first window, set from the first week.
    pub change: Option<Change>,
}

/// The diary's weekly figures from its nights, oldest first; `None` before
/// 7 nights. The first 7 nights set the first window (their average sleep,
/// never under 5 hours); each later full week of 7 nights then moves it by
/// the weekly rule, judged on that week. Nights are counted as recorded: a
/// night left out is not filled in.
pub fn week(nights: &[SleepDiaryEntry]) -> Option<Week> {
    let mut window = sleep::first_window(nights)?;
    let mut change = None;
    let mut end = 2 * WEEK;
    while end <= nights.len() {
        let (w, c) = sleep::next_window(window, &nights[..end])?;
        window = w;
        change = Some(c);
        end += WEEK;
    }
    Some(Week {
        efficiency: sleep::efficiency(&nights[nights.len() - WEEK..])?,
        window_minutes: window,
        change,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime {
        "2026-03-10T09:00".parse().unwrap()
    }

    fn input(night_of: &str, bed: &str, woke: &str, up: &str) -> SleepDiaryInput {
        SleepDiaryInput {
            night_of: night_of.into(),
            went_to_bed: bed.into(),
            minutes_to_fall_asleep: "20".into(),
            minutes_awake_in_night: "10".into(),
            woke_finally: woke.into(),
            got_up: up.into(),
        }
    }

    fn fields(r: Result<SleepDiaryEntry, Problems>) -> Vec<&'static str> {
        r.unwrap_err().into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn clock_times_become_a_night() {
        let n = parse(&input("2026-03-08", "23:30", "06:30", "07:00"), now()).unwrap();
        assert_eq!(n.went_to_bed, "2026-03-08T23:30".parse().unwrap());
        assert_eq!(n.woke_finally, "2026-03-09T06:30".parse().unwrap());
        assert_eq!(n.got_up, "2026-03-09T07:00".parse().unwrap());
        assert_eq!(n.minutes_in_bed(), 7 * 60 + 30);
        assert_eq!(n.minutes_asleep(), 7 * 60 - 30);
        // After midnight is the next day; UK dates and dots are read too.
        let n = parse(&input("8/3/2026", "00.45", "6:30", "06:30"), now()).unwrap();
        assert_eq!(n.went_to_bed, "2026-03-09T00:45".parse().unwrap());
        assert_eq!(n.got_up, n.woke_finally);
        // A time input may send seconds.
        assert!(parse(&input("2026-03-08", "23:30:00", "06:30", "07:00"), now()).is_ok());
    }

    #[test]
    fn what_cannot_be_read_is_refused_by_field() {
        let bad = SleepDiaryInput {
            night_of: "yesterday".into(),
            went_to_bed: "late".into(),
            minutes_to_fall_asleep: "abc".into(),
            minutes_awake_in_night: String::new(),
            woke_finally: "25:00".into(),
            got_up: "7".into(),
        };
        assert_eq!(
            fields(parse(&bad, now())),
            [
                "night_of",
                "went_to_bed",
                "minutes_to_fall_asleep",
                "minutes_awake_in_night",
                "woke_finally",
                "got_up"
            ]
        );
        let mut long = input("2026-03-08", "23:00", "06:00", "07:00");
        long.minutes_to_fall_asleep = "1500".into();
        assert_eq!(fields(parse(&long, now())), ["minutes_to_fall_asleep"]);
        let mut busy = input("2026-03-08", "23:00", "01:00", "07:00");
        busy.minutes_awake_in_night = "200".into();
        assert_eq!(fields(parse(&busy, now())), ["minutes_awake_in_night"]);
    }

    #[test]
    fn a_night_is_neither_in_the_future_nor_long_ago() {
        // Last night, up at 07:00 this morning: fine. Tonight: not yet.
        assert!(parse(&input("2026-03-09", "23:00", "06:30", "07:00"), now()).is_ok());
        assert_eq!(
            fields(parse(
                &input("2026-03-10", "23:00", "06:30", "07:00"),
                now()
            )),
            ["night_of"]
        );
        assert!(parse(&input("2026-02-07", "23:00", "06:30", "07:00"), now()).is_ok());
        assert_eq!(
            fields(parse(
                &input("2026-02-06", "23:00", "06:30", "07:00"),
                now()
            )),
            ["night_of"]
        );
    }

    fn night(day: u32, latency: u32, awake: u32) -> SleepDiaryEntry {
        let i = SleepDiaryInput {
            minutes_to_fall_asleep: latency.to_string(),
            minutes_awake_in_night: awake.to_string(),
            ..input(&format!("2026-02-{day:02}"), "23:00", "06:30", "07:00")
        };
        parse(&i, "2026-02-20T09:00".parse().unwrap()).unwrap()
    }

    #[test]
    fn the_first_week_sets_the_window_and_each_later_week_moves_it() {
        let poor: Vec<_> = (1..=7).map(|d| night(d, 30, 60)).collect();
        assert_eq!(week(&poor[..6]), None);
        let w = week(&poor).unwrap();
        assert_eq!(w.window_minutes, sleep::first_window(&poor).unwrap());
        assert_eq!(w.change, None);
        assert!((w.efficiency - 75.0).abs() < 1e-9);
        // Part of a second week changes nothing yet but the efficiency.
        let mut nights = poor.clone();
        nights.extend((8..=10).map(|d| night(d, 0, 0)));
        let w = week(&nights).unwrap();
        assert_eq!((w.window_minutes, w.change), (360, None));
        assert!(w.efficiency > 75.0);
        // A full second week, sleeping well: 15 minutes longer.
        nights.extend((11..=14).map(|d| night(d, 0, 0)));
        let w = week(&nights).unwrap();
        assert_eq!(
            (w.window_minutes, w.change),
            sleep::next_window(360, &nights)
                .map(|(m, c)| (m, Some(c)))
                .unwrap()
        );
        assert_eq!((w.window_minutes, w.change), (375, Some(Change::Longer)));
    }
}
