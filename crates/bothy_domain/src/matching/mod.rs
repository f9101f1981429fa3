//! Finding existing patients of a service who may be the person a new
//! referral is about.
//!
//! **The matcher never decides.** It ranks candidates whose score reaches
//! [`THRESHOLD`] and says why, in plain English, for a triage clinician to
//! confirm or reject. Records are never merged or linked automatically,
//! however strong the match: two people can share a name, a date of birth
//! and a postcode (twins), and a mistyped identifier can point at someone
//! else.
//!
//! How a referral is compared with a patient ([`assess`]):
//!
//! 1. **Identifier.** The same NHS number, or the same CHI number, makes a
//!    candidate of [`Strength::Identifier`] with score 1, whatever else
//!    differs; the reason says what else differs, so a typing error that hit
//!    a real number stands out.
//! 2. **Otherwise, demographics.** The date of birth must be the same (no
//!    candidate otherwise). The score is then
//!    `0.30 + 0.30 × family + 0.20 × given + 0.20 × postcode`, where:
//!    - `family` and `given` come from comparing each name part, after
//!      setting aside case, accents ("Siân"/"Sian"), spaces, hyphens,
//!      apostrophes and "Mc"/"Mac": the same name is 1; one name's parts all
//!      in the other ("Mary"/"Mary Ann") counts as a Jaro-Winkler similarity
//!      of 0.92, an initial ("J"/"John") as 0.85; otherwise the Jaro-Winkler
//!      similarity of the normalised names. A similarity `s` contributes
//!      `(s - 0.75) / 0.25`, clamped to 0..=1, so unrelated names (which
//!      still score around 0.4 to 0.7) contribute nothing. Given and family
//!      names are also compared crosswise, and the crosswise reading is used
//!      when it fits better (names typed in the wrong boxes); read that
//!      way, the two names weigh 0.25 each.
//!    - `postcode` is 1 for the same postcode, 0.5 for the same outward code
//!      (district), and 0 when they differ or either is unknown.
//!
//! With these weights and [`THRESHOLD`] 0.65: the same name and date of
//! birth are a candidate even without a postcode (0.80); twins (same family
//! name, date of birth and postcode, different given names) are candidates
//! (0.80) with a reason that says so; different names with the same date of
//! birth are not, even at the same postcode (at most about 0.60 unless the
//! names are close). The weights and threshold are chosen by reasoning about
//! such cases, not fitted to data; revisit them with real referral data.
//!
//! Pure: no I/O, and names are compared only within the records given.

mod names;

#[cfg(test)]
mod tests;

use crate::identifiers::{Chi, NhsNumber, UkPostcode};
use crate::time::Date;
use names::{Agreement, NameComparison};

/// Candidates scoring at least this are shown to the clinician.
pub const THRESHOLD: f64 = 0.65;

/// Demographic candidates scoring at least this are [`Strength::Strong`].
pub const STRONG: f64 = 0.85;

/// What the matcher compares about a person, from a referral or from a
/// patient record. Names are as typed; identifiers and postcode are parsed
/// values, so their spacing and case are already normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonDetails {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Date,
    pub nhs_number: Option<NhsNumber>,
    pub chi: Option<Chi>,
    pub postcode: Option<UkPostcode>,
}

/// How strongly a candidate matches.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Strength {
    /// Names, date of birth and postcode suggest the same person, with some
    /// doubt (score from [`THRESHOLD`] up to [`STRONG`]).
    Possible,
    /// Names, date of birth and postcode agree closely (score from
    /// [`STRONG`]).
    Strong,
    /// The same NHS number or CHI number.
    Identifier,
}

/// The result of comparing a referral with one patient.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// 0 to 1; 1 for an identifier match.
    pub score: f64,
    /// `None` when the score is below [`THRESHOLD`]: not a candidate.
    pub strength: Option<Strength>,
    /// Why, in plain English, for the clinician: "Same date of birth and
    /// postcode; family name similar (Macleod / MacLeod)".
    pub reason: String,
}

/// A patient who may be the person referred, for a clinician to confirm or
/// reject.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<K> {
    /// Whatever identifies the patient to the caller (a `PatientId`).
    pub patient: K,
    pub strength: Strength,
    pub score: f64,
    pub reason: String,
}

/// The existing patients who may be the person `referral` describes, best
/// first: identifier matches, then by score (ties keep the input order).
/// Only candidates reaching [`THRESHOLD`] are returned. The clinician
/// decides; nothing here links or merges records.
pub fn find_candidates<'a, K, I>(referral: &PersonDetails, existing: I) -> Vec<Candidate<K>>
where
    I: IntoIterator<Item = (K, &'a PersonDetails)>,
{
    let mut found: Vec<Candidate<K>> = existing
        .into_iter()
        .filter_map(|(patient, details)| {
            let a = assess(referral, details);
            a.strength.map(|strength| Candidate {
                patient,
                strength,
                score: a.score,
                reason: a.reason,
            })
        })
        .collect();
    found.sort_by(|x, y| {
        y.strength
            .cmp(&x.strength)
            .then(y.score.total_cmp(&x.score))
    });
    found
}

/// Compare a referral with one patient (see the module documentation for
/// the rule). Symmetric in its score: `assess(a, b).score ==
/// assess(b, a).score`.
pub fn assess(referral: &PersonDetails, patient: &PersonDetails) -> Assessment {
    let same_nhs =
        matches!((&referral.nhs_number, &patient.nhs_number), (Some(a), Some(b)) if a == b);
    let same_chi = matches!((&referral.chi, &patient.chi), (Some(a), Some(b)) if a == b);
    let names = NameReading::best(referral, patient);
    if same_nhs || same_chi {
        return identifier_match(referral, patient, same_nhs, same_chi, &names);
    }
    if referral.date_of_birth != patient.date_of_birth {
        return Assessment {
            score: 0.0,
            strength: None,
            reason: "Different date of birth".to_string(),
        };
    }
    let postcode = PostcodeAgreement::of(referral.postcode.as_ref(), patient.postcode.as_ref());
    let (given, family) = (
        contribution(names.given.similarity),
        contribution(names.family.similarity),
    );
    // Read crosswise, neither name is known to be the family name, so both
    // weigh the same (which also keeps the score symmetric).
    let name_part = if names.swapped {
        0.25 * (given + family)
    } else {
        0.30 * family + 0.20 * given
    };
    let raw = 0.30 + name_part + 0.20 * postcode.weight();
    let score = (raw * 1000.0).round() / 1000.0;
    let strength = if score >= STRONG {
        Some(Strength::Strong)
    } else if score >= THRESHOLD {
        Some(Strength::Possible)
    } else {
        None
    };
    Assessment {
        score,
        strength,
        reason: demographic_reason(referral, patient, &names, postcode),
    }
}

/// How much a name similarity adds: nothing below 0.75, all of it at 1.
fn contribution(similarity: f64) -> f64 {
    ((similarity - 0.75) / 0.25).clamp(0.0, 1.0)
}

/// The names compared straight (given with given) or crosswise (given with
/// family), whichever fits better.
struct NameReading {
    given: NameComparison,
    family: NameComparison,
    swapped: bool,
}

impl NameReading {
    fn best(a: &PersonDetails, b: &PersonDetails) -> Self {
        let straight = Self {
            given: names::compare(&a.given_name, &b.given_name),
            family: names::compare(&a.family_name, &b.family_name),
            swapped: false,
        };
        let crosswise = Self {
            given: names::compare(&a.given_name, &b.family_name),
            family: names::compare(&a.family_name, &b.given_name),
            swapped: true,
        };
        // Crosswise only when it explains both names and fits better than
        // the straight reading; never for a merely similar pair, so twins
        // called "Morgan Lewis" and "Lewis Morgan" stay straight unless both
        // parts agree.
        let fit = |r: &Self| r.given.similarity + r.family.similarity;
        if crosswise.given.agreement >= Agreement::Similar
            && crosswise.family.agreement >= Agreement::Similar
            && fit(&crosswise) > fit(&straight) + 1e-9
        {
            crosswise
        } else {
            straight
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PostcodeAgreement {
    Same,
    SameDistrict,
    Different,
    Unknown,
}

impl PostcodeAgreement {
    fn of(a: Option<&UkPostcode>, b: Option<&UkPostcode>) -> Self {
        match (a, b) {
            (Some(a), Some(b)) if a == b => Self::Same,
            (Some(a), Some(b)) if a.outward() == b.outward() => Self::SameDistrict,
            (Some(_), Some(_)) => Self::Different,
            _ => Self::Unknown,
        }
    }

    fn weight(self) -> f64 {
        match self {
            Self::Same => 1.0,
            Self::SameDistrict => 0.5,
            Self::Different | Self::Unknown => 0.0,
        }
    }
}

fn identifier_match(
    a: &PersonDetails,
    b: &PersonDetails,
    same_nhs: bool,
    same_chi: bool,
    names: &NameReading,
) -> Assessment {
    let mut clauses = vec![
        match (same_nhs, same_chi) {
            (true, true) => "Same NHS number and CHI number",
            (true, false) => "Same NHS number",
            _ => "Same CHI number",
        }
        .to_string(),
    ];
    if a.date_of_birth != b.date_of_birth {
        clauses.push(format!(
            "but the date of birth differs ({} / {})",
            a.date_of_birth, b.date_of_birth
        ));
    }
    if names.family.agreement < Agreement::Similar || names.given.agreement < Agreement::Similar {
        clauses.push(format!(
            "but the names differ ({} {} / {} {})",
            a.given_name.trim(),
            a.family_name.trim(),
            b.given_name.trim(),
            b.family_name.trim()
        ));
    }
    Assessment {
        score: 1.0,
        strength: Some(Strength::Identifier),
        reason: clauses.join("; "),
    }
}

fn demographic_reason(
    a: &PersonDetails,
    b: &PersonDetails,
    names: &NameReading,
    postcode: PostcodeAgreement,
) -> String {
    let mut same = vec!["date of birth"];
    let mut clauses = Vec::new();
    let pair = |x: &str, y: &str| format!("({} / {})", x.trim(), y.trim());
    if names.swapped {
        let both_equal = names.given.agreement >= Agreement::Equivalent
            && names.family.agreement >= Agreement::Equivalent;
        clauses.push(format!(
            "{} with given and family names swapped {}",
            if both_equal {
                "same names"
            } else {
                "similar names"
            },
            pair(
                &format!("{} {}", a.given_name.trim(), a.family_name.trim()),
                &format!("{} {}", b.given_name.trim(), b.family_name.trim())
            )
        ));
    } else {
        for (label, cmp, x, y) in [
            ("given name", names.given, &a.given_name, &b.given_name),
            ("family name", names.family, &a.family_name, &b.family_name),
        ] {
            let p = pair(x, y);
            match cmp.agreement {
                Agreement::Identical => same.push(label),
                Agreement::Equivalent | Agreement::Similar => {
                    clauses.push(format!("{label} similar {p}"));
                }
                Agreement::Part => clauses.push(format!("{label} partly the same {p}")),
                Agreement::Initial => clauses.push(format!("{label} initial matches {p}")),
                Agreement::Different => clauses.push(format!("{label}s differ {p}")),
            }
        }
    }
    match postcode {
        PostcodeAgreement::Same => same.push("postcode"),
        PostcodeAgreement::SameDistrict => clauses.push(format!(
            "same postcode district ({})",
            a.postcode.as_ref().map_or("", |p| p.outward())
        )),
        PostcodeAgreement::Different => clauses.push(format!(
            "postcodes differ {}",
            pair(
                a.postcode.as_ref().map_or("", |p| p.as_str()),
                b.postcode.as_ref().map_or("", |p| p.as_str())
            )
        )),
        PostcodeAgreement::Unknown => clauses.push("no postcode to compare".to_string()),
    }
    if !names.swapped
        && names.family.agreement >= Agreement::Similar
        && names.given.agreement == Agreement::Different
    {
        clauses.push("could be a twin or another member of the same family".to_string());
    }
    if let (Some(x), Some(y)) = (&a.nhs_number, &b.nhs_number)
        && x != y
    {
        clauses.push(format!("but the NHS numbers differ ({x} / {y})"));
    }
    if let (Some(x), Some(y)) = (&a.chi, &b.chi)
        && x != y
    {
        clauses.push(format!("but the CHI numbers differ ({x} / {y})"));
    }
    let mut reason = format!("Same {}", join_and(&same));
    for c in clauses {
        reason.push_str("; ");
        reason.push_str(&c);
    }
    reason
}

/// "a", "a and b", "a, b and c".
fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
