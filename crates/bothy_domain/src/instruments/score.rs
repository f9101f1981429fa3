//! Scoring a response exactly as its instrument file defines: reverse
//! scoring, optional items, prorating, sum or mean, raw-to-metric conversion,
//! bands, caseness, risk flags and reliable change.
//!
//! Pure and allocation-light: a complete response to an instrument without
//! subscales allocates only its band label (and a risk list when a risk item
//! is endorsed). Errors name the item at fault.

use super::load::TOLERANCE;
use super::model::{Instrument, Item, Method, Operator, Prorating};
use std::fmt;

/// A scored response.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// The reported score: after reverse scoring, prorating, the mean (for
    /// mean-scored instruments) and conversion (SWEMWBS metric score).
    pub total: f64,
    /// The plain sum of the item scores after reverse scoring, when no
    /// prorating was needed (before any mean or conversion). `None` when the
    /// total was prorated.
    pub raw_total: Option<i32>,
    /// Whether missing items were made up by the instrument's prorating rule.
    pub prorated: bool,
    /// The severity band of `total`, if the instrument has bands.
    pub band: Option<String>,
    /// Whether `total` meets the clinical cut-off, if the instrument has one.
    pub at_caseness: Option<bool>,
    /// Subscale scores by subscale id, in the order the file declares them,
    /// scored the same way as the total (sum, prorated sum or mean).
    pub subscales: Vec<(String, f64)>,
    /// Risk items (1-based) whose answer is above their risk threshold.
    pub risk_items: Vec<u16>,
}

/// The direction of a reliable change between two scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Improved,
    Deteriorated,
    NoReliableChange,
}

/// Why a response cannot be scored. Each names the item at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScoreError {
    /// One answer (or `None`) is needed per item, in order.
    WrongNumberOfAnswers { expected: usize, got: usize },
    /// The answer is not one of the item's option scores.
    NotAnOption {
        item: u16,
        value: i32,
        allowed: Vec<i32>,
    },
    /// More required items are unanswered than the prorating rule allows
    /// (none, for instruments without one).
    Incomplete { missing: Vec<u16>, max_missing: u16 },
    /// The raw total has no entry in the conversion table (an invalid file;
    /// validation prevents it).
    NoConversion { raw: i32 },
}

impl fmt::Display for ScoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScoreError::WrongNumberOfAnswers { expected, got } => write!(
                f,
                "expected {expected} answers, one per item, but got {got}"
            ),
            ScoreError::NotAnOption {
                item,
                value,
                allowed,
            } => {
                let allowed: Vec<String> = allowed.iter().map(i32::to_string).collect();
                write!(
                    f,
                    "item {item}: {value} is not one of this item's answer scores ({})",
                    allowed.join(", ")
                )
            }
            ScoreError::Incomplete {
                missing,
                max_missing,
            } => {
                let items: Vec<String> = missing.iter().map(u16::to_string).collect();
                let noun = if missing.len() == 1 { "item" } else { "items" };
                if *max_missing == 0 {
                    write!(
                        f,
                        "incomplete: {noun} {} unanswered, and this instrument's scoring allows no missing items",
                        items.join(", ")
                    )
                } else {
                    write!(
                        f,
                        "incomplete: {noun} {} unanswered, and this instrument's scoring allows at most {max_missing} missing",
                        items.join(", ")
                    )
                }
            }
            ScoreError::NoConversion { raw } => {
                write!(f, "raw total {raw} has no entry in the conversion table")
            }
        }
    }
}

impl std::error::Error for ScoreError {}

/// Scores one response. `answers` holds one entry per item, in order: the
/// chosen option's score as listed in the file (before reverse scoring), or
/// `None` for an unanswered item.
pub fn score(inst: &Instrument, answers: &[Option<i32>]) -> Result<Scored, ScoreError> {
    if answers.len() != inst.items.len() {
        return Err(ScoreError::WrongNumberOfAnswers {
            expected: inst.items.len(),
            got: answers.len(),
        });
    }
    // (sum, answered, missing) per subscale; allocated only when there are subscales.
    let mut subs: Vec<(i64, u32, u32)> = vec![(0, 0, 0); inst.subscales.len()];
    let mut sum: i64 = 0;
    let mut answered: u32 = 0;
    let mut missing: u32 = 0;
    for (item, answer) in inst.items.iter().zip(answers) {
        let sub = if subs.is_empty() {
            None
        } else {
            item.subscale
                .as_deref()
                .and_then(|id| inst.subscales.iter().position(|s| s.id == id))
        };
        match *answer {
            Some(value) => {
                let scored = i64::from(item_score(inst, item, value)?);
                sum += scored;
                answered += 1;
                if let Some(ix) = sub {
                    subs[ix].0 += scored;
                    subs[ix].1 += 1;
                }
            }
            // An optional item left out does not apply: it neither counts nor is prorated.
            None if item.optional => {}
            None => {
                missing += 1;
                if let Some(ix) = sub {
                    subs[ix].2 += 1;
                }
            }
        }
    }
    let max_missing = match inst.scoring.prorating {
        Prorating::None => 0,
        Prorating::MeanOfAnswered { max_missing } => max_missing,
    };
    if answered == 0 || missing > u32::from(max_missing) {
        return Err(ScoreError::Incomplete {
            missing: missing_items(inst, answers, answered == 0),
            max_missing,
        });
    }
    let prorated = missing > 0;
    let total = match &inst.scoring.conversion {
        Some(table) => {
            let raw = i32::try_from(sum).unwrap_or(i32::MAX);
            if prorated {
                return Err(ScoreError::NoConversion { raw });
            }
            table
                .iter()
                .find(|c| c.raw == raw)
                .map(|c| c.score)
                .ok_or(ScoreError::NoConversion { raw })?
        }
        None => combine(inst.scoring.method, sum, answered, missing),
    };
    let subscales = inst
        .subscales
        .iter()
        .zip(&subs)
        .filter(|(_, (_, n, _))| *n > 0)
        .map(|(s, &(ssum, n, miss))| (s.id.clone(), combine(inst.scoring.method, ssum, n, miss)))
        .collect();
    Ok(Scored {
        total,
        raw_total: if prorated {
            None
        } else {
            i32::try_from(sum).ok()
        },
        prorated,
        band: band_of(inst, total).map(str::to_string),
        at_caseness: meets_caseness(inst, total),
        subscales,
        risk_items: risk_flags(inst, answers),
    })
}

/// Sum (prorated to every applicable item when some are missing: the mean
/// of the answered items times the number of items, as CORE-10 defines) or
/// mean of the answered items.
fn combine(method: Method, sum: i64, answered: u32, missing: u32) -> f64 {
    let (sum, answered) = (sum as f64, f64::from(answered));
    match method {
        Method::Sum if missing == 0 => sum,
        Method::Sum => sum / answered * (answered + f64::from(missing)),
        Method::Mean => sum / answered,
    }
}

/// The score an answer contributes: the option's score, reversed as
/// (lowest + highest) - answer for a reverse-scored item.
fn item_score(inst: &Instrument, item: &Item, value: i32) -> Result<i32, ScoreError> {
    let opts = inst.options_for(item);
    let mut found = false;
    let (mut lo, mut hi) = (i32::MAX, i32::MIN);
    for o in opts {
        found |= o.score == value;
        lo = lo.min(o.score);
        hi = hi.max(o.score);
    }
    if !found {
        return Err(ScoreError::NotAnOption {
            item: item.n,
            value,
            allowed: opts.iter().map(|o| o.score).collect(),
        });
    }
    Ok(if item.reverse { lo + hi - value } else { value })
}

/// The required items left unanswered (every unanswered item when nothing
/// at all was answered).
fn missing_items(inst: &Instrument, answers: &[Option<i32>], all: bool) -> Vec<u16> {
    inst.items
        .iter()
        .zip(answers)
        .filter(|(item, a)| a.is_none() && (all || !item.optional))
        .map(|(item, _)| item.n)
        .collect()
}

/// The risk items endorsed above their threshold. Works on any response,
/// complete or not, so that a risk answer is acted on even when the rest of
/// the response cannot be scored; an answer that is not one of the item's
/// options cannot be read and raises nothing (scoring rejects it).
pub fn risk_flags(inst: &Instrument, answers: &[Option<i32>]) -> Vec<u16> {
    let mut flags = Vec::new();
    for r in &inst.risk_items {
        let Some(ix) = usize::from(r.item).checked_sub(1) else {
            continue;
        };
        let (Some(item), Some(Some(value))) = (inst.items.get(ix), answers.get(ix)) else {
            continue;
        };
        if let Ok(scored) = item_score(inst, item, *value)
            && scored > r.above
        {
            flags.push(r.item);
        }
    }
    flags
}

/// The label of the band `score` falls in: the last band whose minimum it
/// reaches (so a prorated score between two integer bands stays in the lower
/// one). `None` without bands or outside the total range.
pub fn band_of(inst: &Instrument, score: f64) -> Option<&str> {
    if !score.is_finite()
        || score < inst.total_min - TOLERANCE
        || score > inst.total_max + TOLERANCE
    {
        return None;
    }
    inst.bands
        .iter()
        .rev()
        .find(|b| score >= b.min - TOLERANCE)
        .map(|b| b.label.as_str())
}

/// Whether `score` meets the instrument's clinical cut-off with its operator
/// (`>=` or `>`), comparing within [`TOLERANCE`] so that a decimal score such
/// as a Mobility Inventory mean of 2.3 is not "above 2.3" through rounding.
/// `None` when the instrument has no cut-off.
pub fn meets_caseness(inst: &Instrument, score: f64) -> Option<bool> {
    let c = inst.caseness.as_ref()?;
    Some(match c.operator {
        Operator::AtLeast => score >= c.value - TOLERANCE,
        Operator::Above => score > c.value + TOLERANCE,
    })
}

/// Whether the change from `first` to `last` is reliable, and in which
/// direction; improvement is a decrease, or an increase for instruments where
/// higher is better. A change exactly equal to the reliable change index
/// counts as reliable: NHS Talking Therapies defines reliable improvement as
/// a reduction of 6 or more on the PHQ-9 and 4 or more on the GAD-7 (IAPT
/// Manual, as quoted at
/// <http://www.cbtwatch.com/tag/no-justification-for-nhs-talking-theapies/>).
/// `None` when the instrument has no reliable change index.
pub fn reliable_change(inst: &Instrument, first: f64, last: f64) -> Option<Change> {
    let rci = inst.reliable_change.as_ref()?.value;
    let improvement = if inst.higher_is_better {
        last - first
    } else {
        first - last
    };
    Some(if improvement >= rci - TOLERANCE {
        Change::Improved
    } else if -improvement >= rci - TOLERANCE {
        Change::Deteriorated
    } else {
        Change::NoReliableChange
    })
}
