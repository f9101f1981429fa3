//! The instrument model: what one file under `content/instruments/` says.
//! Parsed with serde from TOML; `validate` (in `load.rs`) checks that the
//! numbers are coherent before anything is scored with them.
//!
//! Unknown fields are rejected, so that a misspelt rule in a deployment's
//! file (`revers = true`) is an error rather than silently ignored.

use serde::{Deserialize, Serialize};

/// How well a value was checked, as in the sourced reference catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    /// Read in the instrument authors' or an authoritative source.
    Verified,
    /// Read in a secondary source: a default a deployment may override.
    SecondarySource,
    /// No source located: a default that must be checked before clinical use.
    UnverifiedRecall,
}

impl Verification {
    pub fn as_str(self) -> &'static str {
        match self {
            Verification::Verified => "verified",
            Verification::SecondarySource => "secondary_source",
            Verification::UnverifiedRecall => "unverified_recall",
        }
    }
}

/// A rule's source: where it was read and how well it was checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// An `https://` (or `http://`) address, or `bothy:` followed by a path in
    /// this project for a rule the project defines itself (the mood rating).
    pub url: String,
    pub verification: Verification,
    #[serde(default)]
    pub note: Option<String>,
}

/// One answer choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    pub score: i32,
    pub label: String,
    /// LOINC answer code (LA...), where LOINC publishes one.
    #[serde(default)]
    pub loinc: Option<String>,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// 1-based position in the instrument.
    pub n: u16,
    /// The wording shown to people: official where the licence allows it,
    /// otherwise a paraphrase (see `Licence::official_wording`).
    pub text: String,
    /// Instructions shown before this item when it starts a new section
    /// (SHAI items 15-18 ask the person to imagine having a serious illness).
    #[serde(default)]
    pub intro: Option<String>,
    #[serde(default)]
    pub loinc: Option<String>,
    /// Options for this item when they differ from the instrument's.
    #[serde(default)]
    pub options: Option<Vec<AnswerOption>>,
    /// Scored as (min + max) - answer.
    #[serde(default)]
    pub reverse: bool,
    /// The subscale this item counts towards, by subscale id.
    #[serde(default)]
    pub subscale: Option<String>,
    /// May be left out without making the response incomplete (WSAS work
    /// item for someone not working, PHQ-15 item 4 for men). Left out, it
    /// contributes nothing to the total and is not prorated.
    #[serde(default)]
    pub optional: bool,
    /// When an optional item may be left out, in plain English ("Leave this
    /// out if you are retired or not working for reasons unrelated to your
    /// problem"). A left-out optional item contributes nothing to the total
    /// and is not prorated.
    #[serde(default)]
    pub optional_when: Option<String>,
}

/// How the total is made from item scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Sum of item scores.
    Sum,
    /// Mean of item scores (e.g. Mobility Inventory).
    Mean,
}

/// What happens when items are unanswered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Prorating {
    /// Every required item must be answered, or there is no score.
    None,
    /// Up to `max_missing` required items may be missing: a sum becomes the
    /// mean of the answered items times the number of items that apply
    /// (CORE-10: one missing item allowed); a mean is the mean of the answered
    /// items (Mobility Inventory: up to five skipped).
    MeanOfAnswered { max_missing: u16 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scoring {
    pub method: Method,
    pub prorating: Prorating,
    /// Raw total to reported score (SWEMWBS Rasch metric). Every raw total
    /// in range must appear.
    #[serde(default)]
    pub conversion: Option<Vec<Conversion>>,
    pub source: Source,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversion {
    pub raw: i32,
    pub score: f64,
}

/// A severity band, inclusive at both ends. Bands are listed from the lowest
/// score up. A score belongs to the last band whose `min` it reaches, so a
/// prorated score between two integer bands (CORE-10: 10.6) stays in the lower
/// band, consistent with a `>=` cut-off it has not reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    pub min: f64,
    pub max: f64,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operator {
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = ">")]
    Above,
}

/// The clinical cut-off: a score that meets it is "at caseness".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caseness {
    pub operator: Operator,
    pub value: f64,
    pub source: Source,
}

/// The reliable change index: a change of at least `value` is reliable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReliableChange {
    pub value: f64,
    pub source: Source,
}

/// An item whose answer signals risk, whatever the total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskItem {
    pub item: u16,
    /// An answer scoring above this (after any reverse scoring) raises a
    /// risk flag. It must be reachable: at least the item's lowest score and
    /// below its highest.
    pub above: i32,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subscale {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Licence {
    pub status: String,
    /// Whether `Item::text` is the official wording (true) or our paraphrase.
    pub official_wording: bool,
    pub source: Source,
}

/// LOINC codes for the panel and its total, where LOINC has them. A panel
/// whose total code could not be confirmed leaves `total` out: the total is
/// then coded in Bothy's own code system rather than by a guessed code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoincCodes {
    pub panel: String,
    #[serde(default)]
    pub total: Option<String>,
    /// Where the codes were read.
    #[serde(default)]
    pub source: Option<Source>,
}

/// One instrument, as loaded from its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    /// Lower case without punctuation: `phq9`, `gad7`, `mi`, ...
    pub id: String,
    /// As people write it: "PHQ-9".
    pub short_name: String,
    pub name: String,
    /// Bumped whenever items, options or rules change; stored with each response.
    pub version: String,
    #[serde(default)]
    pub recall_period: Option<String>,
    /// Shown before the items, e.g. "Over the last 2 weeks, how often ...".
    #[serde(default)]
    pub preamble: Option<String>,
    /// Higher scores mean better wellbeing (SWEMWBS), so improvement is an increase.
    #[serde(default)]
    pub higher_is_better: bool,
    /// Options shared by every item that does not list its own.
    #[serde(default)]
    pub options: Vec<AnswerOption>,
    pub items: Vec<Item>,
    #[serde(default)]
    pub subscales: Vec<Subscale>,
    pub scoring: Scoring,
    /// Lowest and highest possible reported score.
    pub total_min: f64,
    pub total_max: f64,
    #[serde(default)]
    pub bands: Vec<Band>,
    #[serde(default)]
    pub bands_source: Option<Source>,
    #[serde(default)]
    pub caseness: Option<Caseness>,
    #[serde(default)]
    pub reliable_change: Option<ReliableChange>,
    #[serde(default)]
    pub risk_items: Vec<RiskItem>,
    #[serde(default)]
    pub loinc: Option<LoincCodes>,
    pub licence: Licence,
}

impl Instrument {
    /// The options that apply to item `n` (1-based).
    pub fn options_for<'a>(&'a self, item: &'a Item) -> &'a [AnswerOption] {
        item.options.as_deref().unwrap_or(&self.options)
    }

    /// Whether every complete response has a whole-number total (a plain sum
    /// with no conversion). Prorated totals may still be fractional.
    pub fn is_integer_scored(&self) -> bool {
        self.scoring.method == Method::Sum && self.scoring.conversion.is_none()
    }

    /// Every sourced rule, named as in the file: `scoring`, `bands`,
    /// `caseness`, `reliable_change`, `risk_items[0]`, `licence`, `loinc`.
    pub fn sources(&self) -> Vec<(String, &Source)> {
        let mut out = vec![("scoring".to_string(), &self.scoring.source)];
        if let Some(s) = &self.bands_source {
            out.push(("bands".to_string(), s));
        }
        if let Some(c) = &self.caseness {
            out.push(("caseness".to_string(), &c.source));
        }
        if let Some(r) = &self.reliable_change {
            out.push(("reliable_change".to_string(), &r.source));
        }
        for (i, r) in self.risk_items.iter().enumerate() {
            out.push((format!("risk_items[{i}]"), &r.source));
        }
        out.push(("licence".to_string(), &self.licence.source));
        if let Some(s) = self.loinc.as_ref().and_then(|l| l.source.as_ref()) {
            out.push(("loinc".to_string(), s));
        }
        out
    }

    /// The rules shipped as defaults that a deployment should check: those
    /// read only in a secondary source, or not found in any source.
    pub fn unverified_rules(&self) -> Vec<(String, Verification)> {
        self.sources()
            .into_iter()
            .filter(|(_, s)| s.verification != Verification::Verified)
            .map(|(rule, s)| (rule, s.verification))
            .collect()
    }
}
