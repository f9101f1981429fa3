//! An episode as `bothy outcomes` reads it, and the checks that turn the JSON
//! into a typed [`Episode`] whose measurements carry scores.
//!
//! A problem with the input is never fatal to other episodes: `parse` returns
//! every problem it finds in this one, each naming the measurement (by its
//! 1-based position and date), the instrument and, for answers, the item.

use super::InstrumentSource;
use crate::instruments::model::Prorating;
use crate::instruments::score::{ScoreError, score};
use crate::instruments::{Instrument, TOLERANCE};
use jiff::civil::Date;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The problem descriptor recorded for the referral, which chooses the
/// anxiety measure (see `classify::anxiety_measure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemDescriptor {
    Depression,
    GeneralisedAnxiety,
    MixedAnxietyDepression,
    SocialAnxiety,
    Ptsd,
    Agoraphobia,
    Ocd,
    Panic,
    HealthAnxiety,
    SpecificPhobia,
    Insomnia,
    PerinatalDepression,
    Other,
}

impl ProblemDescriptor {
    pub const ALL: [ProblemDescriptor; 13] = [
        Self::Depression,
        Self::GeneralisedAnxiety,
        Self::MixedAnxietyDepression,
        Self::SocialAnxiety,
        Self::Ptsd,
        Self::Agoraphobia,
        Self::Ocd,
        Self::Panic,
        Self::HealthAnxiety,
        Self::SpecificPhobia,
        Self::Insomnia,
        Self::PerinatalDepression,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Depression => "depression",
            Self::GeneralisedAnxiety => "generalised_anxiety",
            Self::MixedAnxietyDepression => "mixed_anxiety_depression",
            Self::SocialAnxiety => "social_anxiety",
            Self::Ptsd => "ptsd",
            Self::Agoraphobia => "agoraphobia",
            Self::Ocd => "ocd",
            Self::Panic => "panic",
            Self::HealthAnxiety => "health_anxiety",
            Self::SpecificPhobia => "specific_phobia",
            Self::Insomnia => "insomnia",
            Self::PerinatalDepression => "perinatal_depression",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// The purpose of the appointment at which a measure was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appointment {
    Assessment,
    Treatment,
}

/// A score on one instrument at one measurement.
#[derive(Debug, Clone, PartialEq)]
pub enum Score {
    Valid(f64),
    /// No valid score (too many items unanswered); the reason, for notes.
    NotValid(String),
}

/// One dated measurement: the scores taken at one appointment.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    pub date: Date,
    pub appointment: Appointment,
    /// By instrument id.
    pub scores: BTreeMap<String, Score>,
}

/// One episode of care, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    pub id: String,
    pub problem_descriptor: ProblemDescriptor,
    pub referral_ended: bool,
    pub treatment_appointments_attended: u32,
    /// In input order; classification orders them by date.
    pub measurements: Vec<Measurement>,
}

/// What `parse` makes of one JSON episode.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// The episode's id, when it could be read, even if nothing else could.
    pub id: Option<String>,
    /// The checked episode; `None` when the input has errors.
    pub episode: Option<Episode>,
    /// Input problems: errors (which leave `episode` empty) and conflicts
    /// (which do not). Any of them makes `bothy outcomes` exit with 2.
    pub problems: Vec<String>,
    /// Notes about the scores that are not input problems.
    pub notes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEpisode {
    id: String,
    problem_descriptor: String,
    referral_ended: bool,
    treatment_appointments_attended: u32,
    measurements: Vec<RawMeasurement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeasurement {
    date: String,
    appointment: String,
    #[serde(default)]
    scores: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    items: BTreeMap<String, Vec<serde_json::Value>>,
}

/// Read one episode from JSON and score its measurements.
pub(crate) fn parse<S: InstrumentSource + ?Sized>(value: &serde_json::Value, source: &S) -> Parsed {
    let id = match value.get("id") {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        _ => None,
    };
    let raw: RawEpisode = match serde_json::from_value(value.clone()) {
        Ok(raw) => raw,
        Err(e) => {
            return Parsed {
                id,
                episode: None,
                problems: vec![format!(
                    "input error: the episode is not of the documented shape: {e}"
                )],
                notes: Vec::new(),
            };
        }
    };
    let mut errors = Vec::new();
    let mut conflicts = Vec::new();
    let mut notes = Vec::new();

    let descriptor = ProblemDescriptor::parse(&raw.problem_descriptor);
    if descriptor.is_none() {
        errors.push(format!(
            "input error: unknown problem_descriptor {:?} (expected one of: {})",
            raw.problem_descriptor,
            ProblemDescriptor::ALL
                .map(ProblemDescriptor::as_str)
                .join(", ")
        ));
    }

    let mut measurements = Vec::new();
    for (i, m) in raw.measurements.iter().enumerate() {
        let at = format!("measurement {} ({})", i + 1, m.date);
        let date = match m.date.parse::<Date>() {
            Ok(d) if m.date.len() == 10 => Some(d),
            _ => {
                errors.push(format!(
                    "input error: measurement {}: date {:?} is not a calendar date written YYYY-MM-DD",
                    i + 1,
                    m.date
                ));
                None
            }
        };
        let appointment = match m.appointment.as_str() {
            "assessment" => Some(Appointment::Assessment),
            "treatment" => Some(Appointment::Treatment),
            other => {
                errors.push(format!(
                    "input error: {at}: appointment {other:?} is neither \"assessment\" nor \"treatment\""
                ));
                None
            }
        };
        let mut scores = BTreeMap::new();
        let ids: std::collections::BTreeSet<&String> =
            m.scores.keys().chain(m.items.keys()).collect();
        for inst_id in ids {
            let Some(inst) = source.instrument(inst_id) else {
                errors.push(format!("input error: {at}: unknown instrument {inst_id:?}"));
                continue;
            };
            let total = match m.scores.get(inst_id) {
                None => None,
                Some(v) => match check_total(inst, v) {
                    Ok(t) => Some(t),
                    Err(e) => {
                        errors.push(format!("input error: {at}: {inst_id} total: {e}"));
                        continue;
                    }
                },
            };
            let from_items = match m.items.get(inst_id) {
                None => None,
                Some(raw_answers) => match item_answers(raw_answers) {
                    Err(e) => {
                        errors.push(format!("input error: {at}: {inst_id} {e}"));
                        continue;
                    }
                    Ok(answers) => match score(inst, &answers) {
                        Ok(scored) => Some(Score::Valid(scored.total)),
                        // Unanswered items beyond the instrument's prorating
                        // rule: people skip items, so this is no input error,
                        // but there is no valid score.
                        Err(e @ ScoreError::Incomplete { .. }) => {
                            Some(Score::NotValid(e.to_string()))
                        }
                        Err(e) => {
                            errors.push(format!("input error: {at}: {inst_id} items: {e}"));
                            continue;
                        }
                    },
                },
            };
            let score = match (total, from_items) {
                (Some(t), None) => Score::Valid(t),
                (None, Some(s)) => s,
                (None, None) => continue,
                // Both given. The items are what the person answered and the
                // total is derived from them, so the items win; a total that
                // disagrees is a data-quality problem worth flagging.
                (Some(t), Some(Score::Valid(s))) => {
                    if (t - s).abs() > TOLERANCE {
                        conflicts.push(format!(
                            "input conflict: {at}: {inst_id} total {} disagrees with the score from its items, {}; the items' score is used",
                            fmt_score(t),
                            fmt_score(s)
                        ));
                    }
                    Score::Valid(s)
                }
                // A total alongside items too incomplete to score: the total
                // can only have been computed from an incomplete response,
                // which the instrument does not allow, so it is not used.
                (Some(t), Some(Score::NotValid(why))) => {
                    conflicts.push(format!(
                        "input conflict: {at}: {inst_id} total {} was given but its items are incomplete ({why}); no valid score",
                        fmt_score(t)
                    ));
                    Score::NotValid(why)
                }
            };
            if let Score::NotValid(why) = &score {
                notes.push(format!(
                    "{at}: {inst_id} is not a valid score ({why}) and is left out"
                ));
            }
            scores.insert(inst_id.clone(), score);
        }
        // Any error leaves the episode unclassified, so a measurement with one
        // need not be kept.
        if let (Some(date), Some(appointment)) = (date, appointment) {
            measurements.push(Measurement {
                date,
                appointment,
                scores,
            });
        }
    }

    let mut problems = errors;
    let clean = problems.is_empty();
    problems.extend(conflicts);
    Parsed {
        id: Some(raw.id.clone()),
        episode: match (clean, descriptor) {
            (true, Some(problem_descriptor)) => Some(Episode {
                id: raw.id,
                problem_descriptor,
                referral_ended: raw.referral_ended,
                treatment_appointments_attended: raw.treatment_appointments_attended,
                measurements,
            }),
            _ => None,
        },
        problems,
        notes,
    }
}

/// A total must be a number within the instrument's range (and a whole
/// number where the instrument can only produce one).
fn check_total(inst: &Instrument, v: &serde_json::Value) -> Result<f64, String> {
    let Some(t) = v.as_f64() else {
        return Err(format!("{v} is not a number"));
    };
    if t < inst.total_min - TOLERANCE || t > inst.total_max + TOLERANCE {
        return Err(format!(
            "{} is outside the range {} to {}",
            fmt_score(t),
            fmt_score(inst.total_min),
            fmt_score(inst.total_max)
        ));
    }
    // A plain sum without prorating can only be a whole number.
    if inst.is_integer_scored()
        && inst.scoring.prorating == Prorating::None
        && (t - t.round()).abs() > TOLERANCE
    {
        return Err(format!(
            "{} is not a whole number, as every {} total is",
            fmt_score(t),
            inst.short_name
        ));
    }
    Ok(t)
}

/// Item answers must be whole numbers or null (unanswered).
fn item_answers(raw: &[serde_json::Value]) -> Result<Vec<Option<i32>>, String> {
    raw.iter()
        .enumerate()
        .map(|(i, v)| match v {
            serde_json::Value::Null => Ok(None),
            v => v
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| format!("item {}: answer {v} is not a whole number or null", i + 1)),
        })
        .collect()
}

/// A score as people write it: no trailing ".0" on whole numbers.
pub(crate) fn fmt_score(x: f64) -> String {
    if (x - x.round()).abs() < TOLERANCE {
        format!("{}", x.round() as i64)
    } else {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').to_string()
    }
}
