//! What another system sent with a referral that Bothy keeps exactly as
//! sent and gives back unchanged (issue 16): the sender's identifier, when
//! the referral was written, its priority, its reasons (coded and in
//! words), who sent it and the person's gender. Nothing here is
//! normalised: a string comes back byte for byte as it came in. What the
//! service acts on (the problem descriptors, the triage order) is derived
//! from it when it is read, by [`problems_for`] and [`Priority::is_urgent`].

use super::Problem;
use serde::{Deserialize, Serialize};

/// SNOMED CT.
pub const SNOMED: &str = "http://snomed.info/sct";
/// ICD-10 (WHO), as FHIR names it.
pub const ICD10: &str = "http://hl7.org/fhir/sid/icd-10";
/// The UK edition of ICD-10 (5th edition, used by NHS hospital coding).
pub const ICD10_UK: &str = "http://hl7.org/fhir/sid/icd-10-uk";
/// An organisation's ODS code.
pub const ODS: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
/// A practitioner's Spine Directory Service user id.
pub const SDS_USER: &str = "https://fhir.nhs.uk/Id/sds-user-id";
/// A doctor's General Medical Council number.
pub const GMC: &str = "https://fhir.hl7.org.uk/Id/gmc-number";

/// The code systems a reason may be coded in (besides Bothy's own
/// picklist, whose codes are the problem descriptors themselves).
pub const REASON_SYSTEMS: [&str; 3] = [SNOMED, ICD10, ICD10_UK];

/// What the sender sent, kept as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AsSent {
    /// The sender's identifier for the referral (its value is also the
    /// submission key, unique per sending client).
    pub identifier: Identifier,
    /// `authoredOn`, as written (a date or a date-time with its zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authored_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// `reasonCode`, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Concept>,
    /// The codes of the Conditions `reasonReference` names, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Concept>,
    /// `note` texts, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The requesting organisation's identifiers (its ODS code).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub organisation: Vec<Identifier>,
    /// The requesting practitioner's identifiers (SDS user id, GMC number).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub practitioner: Vec<Identifier>,
    /// The person's administrative gender as sent (`male`, `female`,
    /// `other`, `unknown`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identifier {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    pub value: String,
}

/// A code as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coding {
    pub system: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

/// A reason as sent: its codes and its words.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Concept {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// FHIR's request priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Routine,
    Urgent,
    Asap,
    Stat,
}

impl Priority {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "routine" => Some(Self::Routine),
            "urgent" => Some(Self::Urgent),
            "asap" => Some(Self::Asap),
            "stat" => Some(Self::Stat),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Routine => "routine",
            Self::Urgent => "urgent",
            Self::Asap => "asap",
            Self::Stat => "stat",
        }
    }

    /// Anything above routine is flagged urgent for triage: the sender's
    /// word is taken, never second-guessed (nothing automated lowers it).
    pub fn is_urgent(self) -> bool {
        self != Self::Routine
    }
}

impl AsSent {
    pub fn is_urgent(&self) -> bool {
        self.priority.is_some_and(Priority::is_urgent)
    }

    /// Every coding sent, in reasons then conditions.
    pub fn codings(&self) -> impl Iterator<Item = &Coding> {
        self.reasons
            .iter()
            .chain(&self.conditions)
            .flat_map(|c| &c.coding)
    }
}

/// Whether `code` can be a SNOMED CT concept id: 6 to 18 digits, no leading
/// zero, a concept's partition (`00` or `10`) and a valid Verhoeff check
/// digit (SNOMED CT Technical Implementation Guide, 6.1 and 6.4).
pub fn is_snomed_concept_id(code: &str) -> bool {
    let b = code.as_bytes();
    if !(6..=18).contains(&b.len()) || !b.iter().all(u8::is_ascii_digit) || b[0] == b'0' {
        return false;
    }
    let partition = &code[code.len() - 3..code.len() - 1];
    (partition == "00" || partition == "10") && verhoeff_valid(code)
}

fn verhoeff_valid(digits: &str) -> bool {
    const D: [[u8; 10]; 10] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
        [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
        [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
        [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
        [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
        [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
        [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
        [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
        [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
    ];
    const P: [[u8; 10]; 8] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
        [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
        [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
        [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
        [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
        [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
        [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
        [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
    ];
    let mut c = 0u8;
    for (i, b) in digits.bytes().rev().enumerate() {
        c = D[usize::from(c)][usize::from(P[i % 8][usize::from(b - b'0')])];
    }
    c == 0
}

/// Whether `code` has the shape of an ICD-10 code: a letter, two digits,
/// then up to four more characters after an optional dot (`F41.2`, `F412`,
/// `F32.A`; UK 5th edition codes may add a dagger/asterisk, which is not
/// part of the code).
pub fn is_icd10_code(code: &str) -> bool {
    let b = code.as_bytes();
    if b.len() < 3 || !b[0].is_ascii_uppercase() || !b[1].is_ascii_digit() {
        return false;
    }
    let rest = code[3..].strip_prefix('.').unwrap_or(&code[3..]);
    (b[2].is_ascii_digit() || b[2] == b'X')
        && rest.len() <= 4
        && rest
            .bytes()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

/// SNOMED CT concepts read as problem descriptors: only concepts whose
/// meaning maps onto picklist entries without guessing. Others are kept
/// as sent and shown to triage, with no descriptor.
pub const SNOMED_PROBLEMS: [(&str, &str, &[Problem]); 11] = [
    ("35489007", "Depressive disorder", &[Problem::LowMood]),
    (
        "370143000",
        "Major depressive disorder",
        &[Problem::LowMood],
    ),
    (
        "21897009",
        "Generalized anxiety disorder",
        &[Problem::Worry],
    ),
    ("197480006", "Anxiety disorder", &[Problem::Worry]),
    (
        "231504006",
        "Mixed anxiety and depressive disorder",
        &[Problem::LowMood, Problem::Worry],
    ),
    ("371631005", "Panic disorder", &[Problem::Panic]),
    ("25501002", "Social phobia", &[Problem::SocialAnxiety]),
    (
        "47505003",
        "Posttraumatic stress disorder",
        &[Problem::Trauma],
    ),
    (
        "191736004",
        "Obsessive-compulsive disorder",
        &[Problem::Obsessions],
    ),
    ("193462001", "Insomnia", &[Problem::Sleep]),
    ("73595000", "Stress", &[Problem::Stress]),
];

/// ICD-10 categories read as problem descriptors, by prefix of the code
/// without its dot (ICD-10 chapter V, F00-F99; G47.0 for insomnia).
pub const ICD10_PROBLEMS: [(&str, &[Problem]); 12] = [
    ("F32", &[Problem::LowMood]),
    ("F33", &[Problem::LowMood]),
    ("F341", &[Problem::LowMood]),
    ("F400", &[Problem::Panic]),
    ("F401", &[Problem::SocialAnxiety]),
    ("F410", &[Problem::Panic]),
    ("F411", &[Problem::Worry]),
    ("F412", &[Problem::LowMood, Problem::Worry]),
    ("F42", &[Problem::Obsessions]),
    ("F431", &[Problem::Trauma]),
    ("F452", &[Problem::HealthWorries]),
    ("F510", &[Problem::Sleep]),
];

/// The problem descriptors a code maps to, if any.
pub fn problems_for(c: &Coding) -> &'static [Problem] {
    if c.system == SNOMED {
        return SNOMED_PROBLEMS
            .iter()
            .find(|(code, _, _)| *code == c.code)
            .map_or(&[], |(_, _, p)| p);
    }
    if c.system == ICD10 || c.system == ICD10_UK {
        let code: String = c.code.chars().filter(|ch| *ch != '.').collect();
        if code.starts_with("G470") {
            return &[Problem::Sleep];
        }
        return ICD10_PROBLEMS
            .iter()
            .filter(|(prefix, _)| code.starts_with(prefix))
            .max_by_key(|(prefix, _)| prefix.len())
            .map_or(&[], |(_, p)| p);
    }
    &[]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snomed_ids_are_checked_by_partition_and_check_digit() {
        for (code, _, _) in SNOMED_PROBLEMS {
            assert!(is_snomed_concept_id(code), "{code}");
        }
        for bad in ["1234567", "231504007", "0231504006", "12345", "23150400a"] {
            assert!(!is_snomed_concept_id(bad), "{bad}");
        }
    }

    #[test]
    fn icd10_codes_map_by_their_most_specific_prefix() {
        let c = |system: &str, code: &str| Coding {
            system: system.into(),
            code: code.into(),
            display: None,
        };
        assert_eq!(
            problems_for(&c(ICD10, "F41.2")),
            [Problem::LowMood, Problem::Worry]
        );
        assert_eq!(problems_for(&c(ICD10_UK, "F411")), [Problem::Worry]);
        assert_eq!(problems_for(&c(ICD10, "F32.1")), [Problem::LowMood]);
        assert_eq!(problems_for(&c(ICD10, "G47.0")), [Problem::Sleep]);
        assert!(problems_for(&c(ICD10, "F20.0")).is_empty());
        assert_eq!(
            problems_for(&c(SNOMED, "231504006")),
            [Problem::LowMood, Problem::Worry]
        );
        assert!(problems_for(&c(SNOMED, "58214004")).is_empty());
        for ok in ["F41.2", "F412", "F32", "G47.0", "F32.A"] {
            assert!(is_icd10_code(ok), "{ok}");
        }
        for bad in ["f41", "41.2", "F4", "F41.23456", "F41 2"] {
            assert!(!is_icd10_code(bad), "{bad}");
        }
    }

    #[test]
    fn as_sent_survives_its_storage_form() {
        let s = AsSent {
            identifier: Identifier {
                system: Some("https://gp.example/ref".into()),
                value: "r-1".into(),
            },
            authored_on: Some("2026-11-30T09:15:00+00:00".into()),
            priority: Some(Priority::Urgent),
            reasons: vec![Concept {
                coding: vec![Coding {
                    system: SNOMED.into(),
                    code: "231504006".into(),
                    display: Some("Mixed anxiety and depressive disorder".into()),
                }],
                text: Some("Anxious and low".into()),
            }],
            gender: Some("female".into()),
            ..AsSent::default()
        };
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<AsSent>(&json).unwrap(), s);
        assert!(s.is_urgent());
    }
}
