//! The sleep diary of CBT for insomnia, and the sleep-window rule the
//! insomnia programme states (content/programmes/insomnia/03-your-sleep-window.md):
//! sleep efficiency is time asleep divided by time in bed, times 100; each
//! week, from the average of the last 7 nights, 90% or more makes the window
//! 15 minutes longer, 85% to under 90% keeps it, under 85% makes it 15
//! minutes shorter, never shorter than 5 hours; the first window is the
//! first week's average time asleep, never under 5 hours. This is the
//! sleep restriction schedule of Spielman, Saskin and Thorpy (Sleep, 1987),
//! as CBT-I manuals teach it. Efficiency is compared unrounded, so 89.5% keeps
//! the window and 84.99% shortens it.

use jiff::civil::DateTime;

/// The shortest sleep window the rule allows.
pub const MIN_WINDOW_MINUTES: u32 = 5 * 60;
/// How much the window moves each week.
pub const STEP_MINUTES: u32 = 15;
/// Nights the weekly rule averages.
pub const WEEK: usize = 7;

/// One night, as the person records it the next morning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SleepDiaryEntry {
    pub went_to_bed: DateTime,
    /// Minutes from trying to sleep to falling asleep.
    pub minutes_to_fall_asleep: u32,
    /// Minutes awake during the night, after first falling asleep.
    pub minutes_awake_in_night: u32,
    pub woke_finally: DateTime,
    pub got_up: DateTime,
}

/// A field and what to fix, in plain words.
pub type Problems = Vec<(&'static str, String)>;

impl SleepDiaryEntry {
    /// Checks that the night adds up: every problem is named with its field,
    /// so a form can keep what was right and point at what was not.
    pub fn new(
        went_to_bed: DateTime,
        minutes_to_fall_asleep: u32,
        minutes_awake_in_night: u32,
        woke_finally: DateTime,
        got_up: DateTime,
    ) -> Result<Self, Problems> {
        let mut problems = Problems::new();
        let minutes = |from: DateTime, to: DateTime| to.duration_since(from).as_secs_f64() / 60.0;
        if woke_finally <= went_to_bed {
            problems.push((
                "woke_finally",
                "The time you woke up must be after the time you went to bed".into(),
            ));
        }
        if got_up < woke_finally {
            problems.push((
                "got_up",
                "The time you got up must be the same as or after the time you woke up".into(),
            ));
        }
        let in_bed = minutes(went_to_bed, got_up);
        if in_bed > 24.0 * 60.0 {
            problems.push((
                "got_up",
                "A night in bed cannot be longer than 24 hours: check the dates".into(),
            ));
        }
        let until_waking = minutes(went_to_bed, woke_finally);
        if problems.is_empty()
            && f64::from(minutes_to_fall_asleep) + f64::from(minutes_awake_in_night) > until_waking
        {
            problems.push((
                "minutes_awake_in_night",
                "The minutes it took to fall asleep and the minutes awake add up to more than the time from going to bed to waking".into(),
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            went_to_bed,
            minutes_to_fall_asleep,
            minutes_awake_in_night,
            woke_finally,
            got_up,
        })
    }

    /// Minutes from going to bed to getting up.
    pub fn minutes_in_bed(&self) -> u32 {
        whole_minutes(self.went_to_bed, self.got_up)
    }

    /// Minutes asleep: from going to bed to waking, less the time to fall
    /// asleep and the time awake in the night.
    pub fn minutes_asleep(&self) -> u32 {
        whole_minutes(self.went_to_bed, self.woke_finally)
            .saturating_sub(self.minutes_to_fall_asleep)
            .saturating_sub(self.minutes_awake_in_night)
    }

    /// Time asleep as a percentage of time in bed.
    pub fn efficiency(&self) -> f64 {
        efficiency(std::slice::from_ref(self)).unwrap_or(0.0)
    }
}

/// Whole minutes from `from` to `to` (none if `to` is earlier).
fn whole_minutes(from: DateTime, to: DateTime) -> u32 {
    u32::try_from(to.duration_since(from).as_secs().max(0) / 60).unwrap_or(u32::MAX)
}

/// Sleep efficiency of these nights together: total time asleep over total
/// time in bed, times 100 (the same as averaging both first). None without
/// time in bed.
pub fn efficiency(nights: &[SleepDiaryEntry]) -> Option<f64> {
    let in_bed: u64 = nights.iter().map(|n| u64::from(n.minutes_in_bed())).sum();
    let asleep: u64 = nights.iter().map(|n| u64::from(n.minutes_asleep())).sum();
    (in_bed > 0).then(|| asleep as f64 * 100.0 / in_bed as f64)
}

/// The first sleep window: the average time asleep over the first week's
/// nights, never under 5 hours. None before a full week is recorded.
pub fn first_window(first_week: &[SleepDiaryEntry]) -> Option<u32> {
    if first_week.len() < WEEK {
        return None;
    }
    let nights = &first_week[..WEEK];
    let asleep: u32 = nights.iter().map(SleepDiaryEntry::minutes_asleep).sum();
    Some((asleep / WEEK as u32).max(MIN_WINDOW_MINUTES))
}

/// What the weekly rule says to do with the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Longer,
    Same,
    Shorter,
}

/// The next week's window from this week's, judged on the last 7 nights
/// (the most recent last). None until 7 nights are recorded.
pub fn next_window(window_minutes: u32, nights: &[SleepDiaryEntry]) -> Option<(u32, Change)> {
    if nights.len() < WEEK {
        return None;
    }
    let e = efficiency(&nights[nights.len() - WEEK..])?;
    Some(if e >= 90.0 {
        (window_minutes + STEP_MINUTES, Change::Longer)
    } else if e >= 85.0 {
        (window_minutes.max(MIN_WINDOW_MINUTES), Change::Same)
    } else {
        (
            window_minutes
                .saturating_sub(STEP_MINUTES)
                .max(MIN_WINDOW_MINUTES),
            Change::Shorter,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime {
        s.parse().unwrap()
    }

    /// A night from 23:00 in bed, falling asleep after `latency`, awake
    /// `awake`, waking at 06:30 and up at 07:00.
    fn night(latency: u32, awake: u32) -> SleepDiaryEntry {
        SleepDiaryEntry::new(
            at("2026-03-01T23:00"),
            latency,
            awake,
            at("2026-03-02T06:30"),
            at("2026-03-02T07:00"),
        )
        .unwrap()
    }

    #[test]
    fn a_night_is_time_in_bed_and_time_asleep() {
        let n = night(30, 60);
        assert_eq!(n.minutes_in_bed(), 8 * 60);
        assert_eq!(n.minutes_asleep(), 7 * 60 + 30 - 90);
        assert!((n.efficiency() - 75.0).abs() < 1e-9);
    }

    #[test]
    fn impossible_nights_are_refused_by_field() {
        let fields = |r: Result<SleepDiaryEntry, Problems>| -> Vec<&'static str> {
            r.unwrap_err().into_iter().map(|(f, _)| f).collect()
        };
        // Woke before going to bed.
        let r = SleepDiaryEntry::new(
            at("2026-03-01T23:00"),
            10,
            0,
            at("2026-03-01T22:00"),
            at("2026-03-02T07:00"),
        );
        assert_eq!(fields(r), ["woke_finally"]);
        // Got up before waking.
        let r = SleepDiaryEntry::new(
            at("2026-03-01T23:00"),
            10,
            0,
            at("2026-03-02T07:00"),
            at("2026-03-02T06:00"),
        );
        assert_eq!(fields(r), ["got_up"]);
        // More than a day in bed.
        let r = SleepDiaryEntry::new(
            at("2026-03-01T23:00"),
            10,
            0,
            at("2026-03-02T06:00"),
            at("2026-03-03T07:00"),
        );
        assert_eq!(fields(r), ["got_up"]);
        // More minutes awake than the night had.
        let r = SleepDiaryEntry::new(
            at("2026-03-01T23:00"),
            300,
            200,
            at("2026-03-02T06:00"),
            at("2026-03-02T07:00"),
        );
        assert_eq!(fields(r), ["minutes_awake_in_night"]);
    }

    #[test]
    fn the_weekly_rule_moves_the_window_as_the_programme_says() {
        // 7:30 asleep of 8:00 in bed: 93.75%, longer.
        let good = vec![night(0, 0); 7];
        assert_eq!(next_window(360, &good), Some((375, Change::Longer)));
        // 6:48 asleep of 8:00: 85%, the same.
        let fair = vec![night(20, 22); 7];
        assert!((efficiency(&fair).unwrap() - 85.0).abs() < 1e-9);
        assert_eq!(next_window(360, &fair), Some((360, Change::Same)));
        // Under 85%: shorter, but never under 5 hours.
        let poor = vec![night(30, 60); 7];
        assert_eq!(next_window(360, &poor), Some((345, Change::Shorter)));
        assert_eq!(next_window(305, &poor), Some((300, Change::Shorter)));
        assert_eq!(next_window(300, &poor), Some((300, Change::Shorter)));
        // Only the last 7 nights count, and not before there are 7.
        assert_eq!(next_window(360, &good[..6]), None);
        let mut mixed = poor.clone();
        mixed.extend(good.clone());
        assert_eq!(next_window(360, &mixed), Some((375, Change::Longer)));
    }

    #[test]
    fn the_first_window_is_the_first_weeks_average_sleep_never_under_five_hours() {
        assert_eq!(first_window(&vec![night(30, 60); 7]), Some(6 * 60));
        assert_eq!(
            first_window(&vec![night(90, 150); 7]),
            Some(MIN_WINDOW_MINUTES)
        );
        assert_eq!(first_window(&vec![night(0, 0); 6]), None);
    }
}
