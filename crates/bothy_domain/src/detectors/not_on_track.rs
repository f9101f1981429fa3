//! Not on track: a score at session n worse than expected for the patient's
//! baseline severity.
//!
//! The idea is routine outcome monitoring with feedback: Lambert's OQ-45
//! signal-alarm system compares each session's score with the trajectory
//! expected for patients who started at the same level and alerts the
//! therapist when the patient falls outside it; Delgadillo and colleagues did
//! the same with PHQ-9 and GAD-7 in NHS Talking Therapies (Delgadillo et al.,
//! Lancet Psychiatry 2018, a cluster randomised trial of outcome feedback),
//! reporting better outcomes with feedback. We use the service's own finished
//! episodes: [`ExpectedTrajectories::from_episodes`] groups them by the band
//! of their baseline score and by session number, and takes a percentile of
//! the scores at each session (default the 90th: worse than nine in ten similar
//! patients). A cell with fewer than `min_episodes` episodes is not used.
//!
//! Until a cell has enough episodes, a default rule stands in: from session
//! 4, a patient whose baseline was at caseness and who has not improved by
//! at least half the reliable change index is not on track (PHQ-9: less than
//! 3 points better by session 4). It is deliberately modest so that the
//! signal stays rare: it asks only for half the change that counts as
//! reliable, only of people who started at caseness, and only from the
//! fourth session, by which time early change (which these feedback systems
//! treat as the main sign of progress) should be visible. It is `Low`
//! severity: a prompt to review the plan, not an emergency.

use super::config::NotOnTrackConfig;
use super::deterioration::{first_and_last, fmt_score};
use super::{Cause, ScorePoint, Signal};
use crate::instruments::{Instrument, band_of, meets_caseness};

/// One score of a finished episode: its session (1 = baseline) and total.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SessionScore {
    pub session: u32,
    pub total: f64,
}

/// The expected limit at one session for one baseline band.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Expected {
    /// The band label of the baseline score, as in the instrument file.
    pub band: String,
    pub session: u32,
    /// A score worse than this (above it, or below it when higher is
    /// better) is not on track.
    pub limit: f64,
    /// How many finished episodes had a score at this session.
    pub episodes: usize,
}

/// A service's expected trajectories for one instrument.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ExpectedTrajectories {
    instrument: String,
    percentile: f64,
    entries: Vec<Expected>,
}

impl ExpectedTrajectories {
    /// Computes the limits from finished episodes' trajectories (each in any
    /// order; its lowest session is its baseline). Episodes whose baseline
    /// falls in no band, and cells with fewer than `min_episodes` episodes,
    /// are left out. `percentile` is how much worse than similar patients a
    /// score must be (90: worse than nine in ten); for instruments where
    /// higher is better it is taken from the bottom.
    pub fn from_episodes(
        inst: &Instrument,
        episodes: &[&[SessionScore]],
        min_episodes: usize,
        percentile: f64,
    ) -> ExpectedTrajectories {
        // (band index, session, total) for every non-baseline score.
        let mut cells: Vec<(usize, u32, f64)> = Vec::new();
        for ep in episodes {
            let Some(base) = ep
                .iter()
                .filter(|s| s.total.is_finite())
                .min_by_key(|s| s.session)
            else {
                continue;
            };
            let Some(band) = band_index(inst, base.total) else {
                continue;
            };
            // One score per session: the first given.
            for (i, s) in ep.iter().enumerate() {
                if s.session > base.session
                    && s.total.is_finite()
                    && !ep[..i].iter().any(|p| p.session == s.session)
                {
                    cells.push((band, s.session, s.total));
                }
            }
        }
        cells.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then(a.2.total_cmp(&b.2)));
        let p = if inst.higher_is_better {
            100.0 - percentile
        } else {
            percentile
        };
        let mut entries = Vec::new();
        for group in cells.chunk_by(|a, b| a.0 == b.0 && a.1 == b.1) {
            if group.len() < min_episodes.max(1) {
                continue;
            }
            let (band, session, _) = group[0];
            entries.push(Expected {
                band: inst.bands[band].label.clone(),
                session,
                limit: percentile_of_sorted(group, p),
                episodes: group.len(),
            });
        }
        ExpectedTrajectories {
            instrument: inst.id.clone(),
            percentile,
            entries,
        }
    }

    pub fn instrument(&self) -> &str {
        &self.instrument
    }

    pub fn percentile(&self) -> f64 {
        self.percentile
    }

    pub fn entries(&self) -> &[Expected] {
        &self.entries
    }

    /// The expected limit for a baseline band at a session, if the service
    /// had enough episodes there.
    pub fn get(&self, band: &str, session: u32) -> Option<&Expected> {
        self.entries
            .iter()
            .find(|e| e.session == session && e.band == band)
    }
}

fn band_index(inst: &Instrument, score: f64) -> Option<usize> {
    let label = band_of(inst, score)?;
    inst.bands.iter().rposition(|b| b.label == label)
}

/// Linear interpolation between closest ranks (sorted by total).
fn percentile_of_sorted(group: &[(usize, u32, f64)], p: f64) -> f64 {
    let n = group.len();
    if n == 1 {
        return group[0].2;
    }
    let rank = (p / 100.0).clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let frac = rank - lo as f64;
    group[lo].2 + (group[hi].2 - group[lo].2) * frac
}

/// The signal for `inst` from the episode's latest score, reading the points
/// of `scores` that belong to it. Uses `expected` where it has a limit for
/// the baseline band and session (with at least `min_episodes` episodes),
/// else the default rule.
pub fn detect(
    inst: &Instrument,
    scores: &[ScorePoint<'_>],
    expected: Option<&ExpectedTrajectories>,
    config: &NotOnTrackConfig,
) -> Vec<Signal> {
    if !config.enabled || (!config.instruments.is_empty() && !config.instruments.contains(&inst.id))
    {
        return Vec::new();
    }
    let Some((base, last)) = first_and_last(inst, scores) else {
        return Vec::new();
    };
    if last.session <= base.session {
        return Vec::new();
    }
    let signal = |summary: String| {
        vec![Signal {
            cause: Cause::NotOnTrack,
            severity: config.severity,
            dedupe_key: format!("{}:{}", Cause::NotOnTrack.key(), inst.id),
            summary,
        }]
    };
    let band = band_of(inst, base.total);
    let cell = match (expected, band) {
        (Some(e), Some(b)) if e.instrument == inst.id => e
            .get(b, last.session)
            .filter(|c| c.episodes >= config.min_episodes.max(1)),
        _ => None,
    };
    if let Some(c) = cell {
        let worse = if inst.higher_is_better {
            last.total < c.limit
        } else {
            last.total > c.limit
        };
        if !worse {
            return Vec::new();
        }
        return signal(format!(
            "{} at session {} is {}, worse than expected for patients who started in the \"{}\" band \
             (worse than the {}th percentile, {}, of {} finished episodes in this service).",
            inst.short_name,
            last.session,
            fmt_score(last.total),
            c.band,
            fmt_score(config.percentile),
            fmt_score(c.limit),
            c.episodes
        ));
    }
    // Default rule.
    let Some(rci) = inst.reliable_change.as_ref().map(|r| r.value) else {
        return Vec::new();
    };
    if last.session < config.default_from_session || meets_caseness(inst, base.total) != Some(true)
    {
        return Vec::new();
    }
    let improvement = if inst.higher_is_better {
        last.total - base.total
    } else {
        base.total - last.total
    };
    let needed = rci * config.default_min_improvement_of_rci;
    if improvement >= needed - crate::instruments::TOLERANCE {
        return Vec::new();
    }
    signal(format!(
        "{} at session {} is {} against a baseline of {}: less than {} points of improvement, \
         so the person may not be on track (default rule, used until this service has enough \
         finished episodes).",
        inst.short_name,
        last.session,
        fmt_score(last.total),
        fmt_score(base.total),
        fmt_score(needed)
    ))
}
