//! A sharp drop in daily mood, by an EWMA rule on 0-10 check-ins.
//!
//! The previous check-ins are smoothed by an exponentially weighted moving
//! average (weight `lambda` on the newest, default 0.3: the average is
//! dominated by the last week or so). The person's usual day-to-day
//! variation is the standard deviation of their last `sd_window` previous
//! check-ins (default 28). The latest check-in raises a signal when it is
//! below the average by at least `min_drop` points (default 3) and by at
//! least `k` standard deviations (default 3; the deviation is floored at
//! `min_sd`, default 1 point, so that a perfectly flat history does not make
//! a small dip significant), after at least `min_history` previous
//! check-ins (default 5). This is the lower half of an EWMA control chart on
//! the person's own baseline, so someone whose mood always swings needs a
//! bigger drop than someone whose mood is steady.
//!
//! Tuned to keep false alarms rare: on synthetic stable series (a level of
//! 4 to 8 with day-to-day noise of standard deviation 1 or 1.5 points,
//! rounded and clamped to 0-10) it fires on fewer than 1 in 200 check-ins
//! (the tests state and check the bound), while on a steady mood a drop of
//! 4 points is caught about 4 times in 5 and a drop of 5 almost always. An
//! exponentially weighted variance was tried and rejected: with `lambda` 0.3
//! it rests on a handful of days and, when it happens to be small, alarms
//! twice as often. A slow slide is not a "sharp drop" and is left to the
//! outcome measures (reliable deterioration). A drop to
//! `moderate_at_or_below` (default 4) or lower is
//! `Moderate`; a drop that stays above it (say 9 to 5) is `Low`.

use super::config::MoodDropConfig;
use super::deterioration::fmt_score;
use super::{Cause, CheckIn, Severity, Signal};

/// Reads the last check-in of `check_ins` (oldest first) against the ones
/// before it.
pub fn detect(check_ins: &[CheckIn], config: &MoodDropConfig) -> Vec<Signal> {
    let moods: Vec<u8> = check_ins.iter().map(|c| c.mood).collect();
    detect_moods(&moods, config)
}

/// The same rule over moods alone, oldest first (a person's
/// `summaries::MoodSummary`).
pub fn detect_moods(moods: &[u8], config: &MoodDropConfig) -> Vec<Signal> {
    if !config.enabled {
        return Vec::new();
    }
    let Some((&latest, previous)) = moods.split_last() else {
        return Vec::new();
    };
    if previous.len() < config.min_history.max(1) {
        return Vec::new();
    }
    let mean = ewma(previous, config.lambda);
    let recent = &previous[previous.len().saturating_sub(config.sd_window.max(2))..];
    let sd = std_dev(recent);
    let latest_mood = f64::from(latest.min(10));
    let drop = mean - latest_mood;
    let sd = sd.max(config.min_sd);
    if drop < config.min_drop || drop < config.k * sd {
        return Vec::new();
    }
    let severity = if latest.min(10) <= config.moderate_at_or_below {
        Severity::Moderate
    } else {
        Severity::Low
    };
    vec![Signal {
        cause: Cause::MoodDrop,
        severity,
        dedupe_key: Cause::MoodDrop.key().to_owned(),
        summary: format!(
            "Mood dropped sharply: the latest check-in is {} out of 10 against a recent average \
             of {} (usual day-to-day variation about {} points).",
            latest.min(10),
            fmt_score((mean * 10.0).round() / 10.0),
            fmt_score((sd * 10.0).round() / 10.0)
        ),
    }]
}

/// The exponentially weighted mean of `xs` (oldest first), which must not
/// be empty.
fn ewma(xs: &[u8], lambda: f64) -> f64 {
    let mut mean = f64::from(xs[0].min(10));
    for &m in &xs[1..] {
        mean += lambda * (f64::from(m.min(10)) - mean);
    }
    mean
}

/// The sample standard deviation (0 for fewer than two values).
fn std_dev(xs: &[u8]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let n = xs.len() as f64;
    let mean = xs.iter().map(|&m| f64::from(m.min(10))).sum::<f64>() / n;
    let ss = xs
        .iter()
        .map(|&m| (f64::from(m.min(10)) - mean).powi(2))
        .sum::<f64>();
    (ss / (n - 1.0)).sqrt()
}
