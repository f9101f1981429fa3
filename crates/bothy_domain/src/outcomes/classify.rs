//! The NHS Talking Therapies outcome definitions, applied to one episode.
//!
//! Sources (each rule below names the one it follows):
//! - [DS] NHS England / NHS Digital, NHS Talking Therapies for anxiety and
//!   depression data set and its technical output specification, as
//!   published with the monthly and annual reports; definitions summarised in
//!   the Fingertips common mental disorders glossary,
//!   <https://fingertips.phe.org.uk/profile/common-mental-disorders/supporting-information/Glossary>,
//!   and the annual report appendices,
//!   <https://digital.nhs.uk/data-and-information/publications/statistical/nhs-talking-therapies-for-anxiety-and-depression-annual-reports>.
//! - [Manual] NHS England (2024), The NHS Talking Therapies for anxiety and
//!   depression manual, the section on outcome measurement, published from
//!   the programme's page,
//!   <https://www.england.nhs.uk/mental-health/adults/nhs-talking-therapies/>.
//! - [Clark] Clark DM (2018), Realizing the mass public benefit of
//!   evidence-based psychological therapies: the IAPT program, Annu Rev Clin
//!   Psychol 14:159-183, Table 2 (the anxiety disorder specific measure for
//!   each problem descriptor, and GAD-7 as their back-up),
//!   <https://pmc.ncbi.nlm.nih.gov/articles/PMC5942544/table/T2>.
//!
//! Cut-offs (with their operator), reliable change indices and the direction
//! of improvement are not written here: they come from each instrument's file
//! through the [`InstrumentSource`], which cites its own sources.

use super::input::{Episode, Score, fmt_score, parse};
use super::{InstrumentSource, ProblemDescriptor};
use crate::instruments::Instrument;
use crate::instruments::score::{Change, meets_caseness, reliable_change};
use jiff::civil::Date;
use serde::Serialize;

/// The measure used for PTSD. [Clark] Table 2 and the [Manual] name the
/// IES-R; some services use the PCL-5 instead, and choose it here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PtsdMeasure {
    #[default]
    Iesr,
    Pcl5,
}

/// Service-level choices the published definitions allow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    pub ptsd_measure: PtsdMeasure,
}

/// The classification of one episode; `None` (JSON `null`) where a value is
/// not defined, with the reason in `notes`.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Outcome {
    pub id: Option<String>,
    pub finished_treatment: Option<bool>,
    pub anxiety_measure: Option<String>,
    pub at_caseness: Option<bool>,
    pub recovered: Option<bool>,
    pub reliable_improvement: Option<bool>,
    pub reliable_recovery: Option<bool>,
    pub reliable_deterioration: Option<bool>,
    pub notes: Vec<String>,
    /// The input had errors or conflicts (listed first in `notes`).
    #[serde(skip)]
    pub input_problem: bool,
}

impl Outcome {
    fn undefined(id: Option<String>) -> Self {
        Outcome {
            id,
            finished_treatment: None,
            anxiety_measure: None,
            at_caseness: None,
            recovered: None,
            reliable_improvement: None,
            reliable_recovery: None,
            reliable_deterioration: None,
            notes: Vec::new(),
            input_problem: false,
        }
    }
}

/// Classify one episode given as JSON (the shape in `docs/outcomes.md`). An
/// episode whose input has errors is not classified: every value is `null`
/// and the notes list each error, since a partial reading of bad data could
/// give a confident but wrong outcome.
pub fn classify_json<S: InstrumentSource + ?Sized>(
    value: &serde_json::Value,
    source: &S,
    options: &Options,
) -> Outcome {
    let parsed = parse(value, source);
    let mut outcome = match &parsed.episode {
        Some(episode) => classify(episode, source, options),
        None => Outcome::undefined(parsed.id.clone()),
    };
    outcome.input_problem = !parsed.problems.is_empty();
    if parsed.episode.is_none() {
        outcome
            .notes
            .push("not classified because of the input errors above".to_string());
    }
    let mut notes = parsed.problems;
    notes.extend(parsed.notes);
    notes.append(&mut outcome.notes);
    outcome.notes = notes;
    outcome
}

/// The anxiety measure for a problem descriptor: the anxiety disorder
/// specific measure (ADSM) where there is one, otherwise GAD-7 ([Clark]
/// Table 2; [Manual], outcome measurement; [DS]). PHQ-9 is always the
/// depression measure, whatever the descriptor.
pub fn anxiety_measure(descriptor: ProblemDescriptor, options: &Options) -> &'static str {
    use ProblemDescriptor as P;
    match descriptor {
        P::SocialAnxiety => "spin",
        P::Ptsd => match options.ptsd_measure {
            PtsdMeasure::Iesr => "iesr",
            PtsdMeasure::Pcl5 => "pcl5",
        },
        P::Agoraphobia => "mi",
        P::Ocd => "ocir",
        P::Panic => "pdss",
        P::HealthAnxiety => "shai",
        P::Depression
        | P::GeneralisedAnxiety
        | P::MixedAnxietyDepression
        | P::SpecificPhobia
        | P::Insomnia
        | P::PerinatalDepression
        | P::Other => GAD7,
    }
}

const PHQ9: &str = "phq9";
const GAD7: &str = "gad7";

/// One measure's valid scores in date order.
struct Series<'a> {
    inst: &'a Instrument,
    scores: Vec<(Date, f64)>,
}

impl Series<'_> {
    fn first(&self) -> Option<(Date, f64)> {
        self.scores.first().copied()
    }

    /// First and last valid scores, on different measurements. [DS]: outcomes
    /// compare the first and the last scores of the referral; scores in
    /// between (valid or not) play no part.
    fn pair(&self) -> Option<((Date, f64), (Date, f64))> {
        match self.scores.as_slice() {
            [first, .., last] => Some((*first, *last)),
            _ => None,
        }
    }

    /// The name people write ("PHQ-9"), for notes.
    fn short_name(&self) -> &str {
        &self.inst.short_name
    }
}

fn series<'a, S: InstrumentSource + ?Sized>(
    episode: &Episode,
    order: &[usize],
    source: &'a S,
    id: &str,
) -> Option<Series<'a>> {
    let inst = source.instrument(id)?;
    let scores = order
        .iter()
        .map(|&i| &episode.measurements[i])
        .filter_map(|m| match m.scores.get(id) {
            Some(Score::Valid(s)) => Some((m.date, *s)),
            _ => None,
        })
        .collect();
    Some(Series { inst, scores })
}

// Caseness uses `meets_caseness`: the instrument's cut-off with its operator
// (PHQ-9 ">= 10", GAD-7 ">= 8", Mobility Inventory "> 2.3", ...), within the
// catalogue's tolerance for decimal measures. Reliable change uses
// `reliable_change`: a change of at least the instrument's index in the
// direction of improvement (downwards unless higher is better) is a reliable
// improvement, and the same the other way a reliable deterioration; a change
// exactly equal to the index counts (PHQ-9 6, GAD-7 4) [DS; Manual].

/// Three-valued OR: true if either is true, false if both are false,
/// unknown otherwise.
fn or3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// Classify a checked episode.
pub fn classify<S: InstrumentSource + ?Sized>(
    episode: &Episode,
    source: &S,
    options: &Options,
) -> Outcome {
    let mut out = Outcome::undefined(Some(episode.id.clone()));
    let notes = &mut out.notes;

    // Finished course of treatment [DS; Fingertips glossary]: the referral
    // has ended and had at least two attended treatment appointments.
    let finished = episode.referral_ended && episode.treatment_appointments_attended >= 2;
    out.finished_treatment = Some(finished);

    // Measurements by date; on the same date, in input order.
    let mut order: Vec<usize> = (0..episode.measurements.len()).collect();
    order.sort_by_key(|&i| episode.measurements[i].date);

    let Some(phq9) = series(episode, &order, source, PHQ9) else {
        notes.push("the instrument catalogue has no PHQ-9: nothing can be classified".into());
        return out;
    };

    // The anxiety measure: the ADSM for the descriptor, falling back to
    // GAD-7 when the ADSM has no first-and-last pair [Clark, Table 2:
    // "back-up GAD-7"; Manual].
    let preferred = anxiety_measure(episode.problem_descriptor, options);
    let adsm = series(episode, &order, source, preferred);
    if adsm.is_none() {
        notes.push(format!(
            "the instrument catalogue has no {preferred:?}, the anxiety measure for {}",
            episode.problem_descriptor.as_str()
        ));
    }
    let anxiety = match adsm {
        Some(s) if s.pair().is_some() || preferred == GAD7 => Some(s),
        other => match series(episode, &order, source, GAD7) {
            Some(gad7) if gad7.pair().is_some() => {
                notes.push(format!(
                    "no pair of valid {} scores: GAD-7 is used as the anxiety measure instead (the back-up measure)",
                    other.as_ref().map_or(preferred, |s| s.short_name())
                ));
                Some(gad7)
            }
            // Neither is paired: report the measure the service should have
            // collected (GAD-7 only if the catalogue lacks the other).
            gad7 => other.or(gad7),
        },
    };
    let Some(anxiety) = anxiety else {
        return out;
    };
    out.anxiety_measure = Some(anxiety.inst.id.clone());

    // Caseness at the start [DS; Fingertips glossary: a clinical case on the
    // depression measure, the anxiety measure or both]: the first valid
    // PHQ-9 score at its cut-off, or the first valid anxiety score at its
    // cut-off. Known when either first score says "case", or both say "not";
    // taken from first scores even when a measure has no pair.
    for s in [&phq9, &anxiety] {
        if s.inst.caseness.is_none() {
            notes.push(format!(
                "the instrument catalogue gives no caseness cut-off for {}",
                s.short_name()
            ));
        }
        if s.inst.reliable_change.is_none() {
            notes.push(format!(
                "the instrument catalogue gives no reliable change index for {}",
                s.short_name()
            ));
        }
    }
    let first_case = |s: &Series| s.first().and_then(|(_, x)| meets_caseness(s.inst, x));
    out.at_caseness = or3(first_case(&phq9), first_case(&anxiety));
    if out.at_caseness.is_none() {
        let missing: Vec<&str> = [&phq9, &anxiety]
            .into_iter()
            .filter(|s| first_case(s).is_none())
            .map(|s| s.short_name())
            .collect();
        notes.push(format!(
            "caseness at the start is unknown: no first {} score to judge it by, and no other measure was at caseness",
            missing.join(" or ")
        ));
    }

    if !finished {
        notes.push(if episode.referral_ended {
            format!(
                "not a finished course of treatment: {} attended treatment appointment(s), at least 2 are needed; outcomes are not defined",
                episode.treatment_appointments_attended
            )
        } else {
            "not a finished course of treatment: the referral has not ended; outcomes are not defined".to_string()
        });
        return out;
    }

    // Outcomes compare first and last valid scores and need a pair on both
    // measures [DS: paired scores]; without one they are not defined.
    let (Some(p), Some(a)) = (phq9.pair(), anxiety.pair()) else {
        for s in [&phq9, &anxiety] {
            if s.pair().is_none() {
                notes.push(format!(
                    "no pair of valid {} scores (a first and a last on different measurements): outcomes are not defined",
                    s.short_name()
                ));
            }
        }
        return out;
    };
    for (s, ((d0, x0), (d1, x1))) in [(&phq9, p), (&anxiety, a)] {
        notes.push(format!(
            "{}: first {} on {d0}, last {} on {d1}",
            s.short_name(),
            fmt_score(x0),
            fmt_score(x1)
        ));
    }

    // Reliable improvement [DS]: a reliable improvement on at least one of
    // the two measures and a reliable deterioration on neither. Reliable
    // deterioration, symmetrically: a reliable deterioration on at least one
    // and a reliable improvement on neither. An episode whose measures move
    // reliably in opposite directions is therefore neither (the data set's
    // "no reliable change"): see docs/outcomes.md for why, and the note.
    let changes = (
        reliable_change(phq9.inst, p.0.1, p.1.1),
        reliable_change(anxiety.inst, a.0.1, a.1.1),
    );
    if let (Some(cp), Some(ca)) = changes {
        let improved = cp == Change::Improved || ca == Change::Improved;
        let deteriorated = cp == Change::Deteriorated || ca == Change::Deteriorated;
        out.reliable_improvement = Some(improved && !deteriorated);
        out.reliable_deterioration = Some(deteriorated && !improved);
        if improved && deteriorated {
            let (up, down) = if cp == Change::Improved {
                (&phq9, &anxiety)
            } else {
                (&anxiety, &phq9)
            };
            notes.push(format!(
                "{} reliably improved and {} reliably deteriorated: counted as neither reliable improvement nor reliable deterioration",
                up.short_name(),
                down.short_name()
            ));
        }
    }

    // Recovery [DS; Manual]: at caseness at the start, and below caseness on
    // both measures at the end (last scores). Not applicable (null) when not
    // at caseness at the start: such an episode cannot "move to recovery",
    // and NHS Talking Therapies leaves it out of the recovery rate.
    match out.at_caseness {
        Some(true) => {
            let end_case = or3(meets_caseness(phq9.inst, p.1.1), meets_caseness(anxiety.inst, a.1.1));
            out.recovered = end_case.map(|case| !case);
        }
        Some(false) => notes.push(
            "not at caseness at the start: recovery and reliable recovery do not apply; reliable improvement and deterioration are still assessed"
                .to_string(),
        ),
        None => {}
    }

    // Reliable recovery [DS]: recovered and reliably improved.
    out.reliable_recovery = match (out.recovered, out.reliable_improvement) {
        (Some(r), Some(i)) => Some(r && i),
        _ => None,
    };
    out
}
