//! Reliable deterioration of an outcome measure against the episode's
//! baseline.
//!
//! The baseline is the episode's first score on the instrument, the
//! comparison its latest, and the test the instrument file's reliable change
//! index through [`crate::instruments::reliable_change`] (which respects
//! `higher_is_better` and counts a change exactly equal to the index as
//! reliable). This mirrors the NHS Talking Therapies definition of reliable
//! deterioration (first and last scores), applied while treatment is under
//! way so that someone getting worse is seen before the episode ends.
//! Instruments without a reliable change index raise nothing.

use super::config::DeteriorationConfig;
use super::{Cause, ScorePoint, Signal};
use crate::instruments::{Change, Instrument, reliable_change};

/// The signal for `inst`, reading the points of `scores` that belong to it
/// (`scores` may hold every instrument's). The baseline is the earliest
/// point (by `at`, then order given) and the comparison the latest.
pub fn detect(
    inst: &Instrument,
    scores: &[ScorePoint<'_>],
    config: &DeteriorationConfig,
) -> Vec<Signal> {
    if !config.enabled || (!config.instruments.is_empty() && !config.instruments.contains(&inst.id))
    {
        return Vec::new();
    }
    let Some((first, last)) = first_and_last(inst, scores) else {
        return Vec::new();
    };
    if reliable_change(inst, first.total, last.total) != Some(Change::Deteriorated) {
        return Vec::new();
    }
    let rci = inst.reliable_change.as_ref().map_or(0.0, |r| r.value);
    vec![Signal {
        cause: Cause::ReliableDeterioration,
        severity: config.severity,
        dedupe_key: format!("{}:{}", Cause::ReliableDeterioration.key(), inst.id),
        summary: format!(
            "{} has reliably deteriorated: {} at baseline, {} now (a change of {} or more is reliable).",
            inst.short_name,
            fmt_score(first.total),
            fmt_score(last.total),
            fmt_score(rci)
        ),
    }]
}

/// The earliest and latest points for `inst` (needs two distinct points).
pub(crate) fn first_and_last<'s, 'a>(
    inst: &Instrument,
    scores: &'s [ScorePoint<'a>],
) -> Option<(&'s ScorePoint<'a>, &'s ScorePoint<'a>)> {
    let mut first: Option<(usize, &ScorePoint<'a>)> = None;
    let mut last: Option<(usize, &ScorePoint<'a>)> = None;
    for (i, s) in scores.iter().enumerate() {
        if s.instrument != inst.id || !s.total.is_finite() {
            continue;
        }
        if first.is_none_or(|(_, f)| s.at < f.at) {
            first = Some((i, s));
        }
        if last.is_none_or(|(_, l)| s.at >= l.at) {
            last = Some((i, s));
        }
    }
    match (first, last) {
        (Some((fi, f)), Some((li, l))) if fi != li => Some((f, l)),
        _ => None,
    }
}

/// A score as a clinician reads it: whole numbers without decimals.
pub(crate) fn fmt_score(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}
