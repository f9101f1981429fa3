//! Clinical risk as the NHS standards DCB0129 (manufacturers) and DCB0160
//! (deploying organisations) estimate it: a severity and a likelihood, each on
//! a five-point scale, combined by the standards' 5x5 matrix into a clinical
//! risk rating from 1 (very low) to 5 (very high). Scales, matrix and
//! acceptability are transcribed from NHS Digital's implementation guidance
//! for DCB0129/DCB0160; an organisation whose own clinical risk management
//! system defines them differently must map ours onto theirs.

use serde::Deserialize;

/// How bad the harm would be (DCB0129/DCB0160 severity).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Minor injury or psychological upset, recovered from in the short
    /// term; inconvenience; one person.
    Minor,
    /// Minor injury not recovered from in the short term, or minor upset to
    /// several people.
    Significant,
    /// Severe injury or incapacity recovered from in the short term, or
    /// severe psychological trauma.
    Considerable,
    /// Death or permanent life-changing incapacity of one person, or severe
    /// injury not recovered from in the short term.
    Major,
    /// Death or permanent life-changing incapacity of several people.
    Catastrophic,
}

/// How often the harm is expected (DCB0129/DCB0160 likelihood).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub enum Likelihood {
    /// Negligible or nearly negligible possibility of occurring.
    #[serde(rename = "very low")]
    VeryLow,
    /// Could occur, but in the great majority of occasions will not.
    #[serde(rename = "low")]
    Low,
    /// Possible.
    #[serde(rename = "medium")]
    Medium,
    /// Not certain, but very possible; reasonably expected in most cases.
    #[serde(rename = "high")]
    High,
    /// Certain or almost certain; highly likely to occur.
    #[serde(rename = "very high")]
    VeryHigh,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Minor,
        Severity::Significant,
        Severity::Considerable,
        Severity::Major,
        Severity::Catastrophic,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Minor => "minor",
            Severity::Significant => "significant",
            Severity::Considerable => "considerable",
            Severity::Major => "major",
            Severity::Catastrophic => "catastrophic",
        }
    }
}

impl Likelihood {
    /// Highest first, as the matrix is printed.
    pub const ALL_DESC: [Likelihood; 5] = [
        Likelihood::VeryHigh,
        Likelihood::High,
        Likelihood::Medium,
        Likelihood::Low,
        Likelihood::VeryLow,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Likelihood::VeryLow => "very low",
            Likelihood::Low => "low",
            Likelihood::Medium => "medium",
            Likelihood::High => "high",
            Likelihood::VeryHigh => "very high",
        }
    }
}

/// The DCB0129/DCB0160 risk matrix: rows by likelihood (very low to very
/// high), columns by severity (minor to catastrophic).
const MATRIX: [[u8; 5]; 5] = [
    [1, 1, 2, 2, 3], // very low
    [1, 2, 2, 3, 4], // low
    [2, 2, 3, 3, 4], // medium
    [2, 3, 3, 4, 5], // high
    [3, 4, 4, 5, 5], // very high
];

/// A severity and a likelihood, as written in the hazard log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Risk {
    pub severity: Severity,
    pub likelihood: Likelihood,
}

impl Risk {
    /// The clinical risk rating, 1 to 5, from the matrix.
    pub fn rating(self) -> u8 {
        MATRIX[self.likelihood as usize][self.severity as usize]
    }

    /// "catastrophic, low: 4 (high)".
    pub fn describe(self) -> String {
        let r = self.rating();
        format!(
            "{}, {}: {r} ({})",
            self.severity.name(),
            self.likelihood.name(),
            rating_name(r)
        )
    }
}

/// The rating's name in the standards.
pub fn rating_name(rating: u8) -> &'static str {
    match rating {
        1 => "very low",
        2 => "low",
        3 => "medium",
        4 => "high",
        _ => "very high",
    }
}

/// What the standards say a rating means for release.
pub fn acceptability(rating: u8) -> &'static str {
    match rating {
        1 => "acceptable; no further action needed",
        2 => "acceptable where further reduction costs more than it gains",
        3 => {
            "undesirable; acceptable only where further reduction is impractical, with a rationale"
        }
        4 => "mandatory elimination or control to reduce it to an acceptable level",
        _ => "unacceptable",
    }
}

/// The highest residual rating this log may claim and still pass: a residual
/// of 4 or 5 needs more controls before release.
pub const HIGHEST_ACCEPTABLE: u8 = 3;
