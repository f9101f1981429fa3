//! The instrument model: what one file under `content/instruments/` says.
//! Parsed with serde from TOML; `validate` (in `load.rs`) checks that the
//! numbers are coherent before anything is scored with them.

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

/// A rule's source: where it was read and how well it was checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub url: String,
    pub verification: Verification,
    #[serde(default)]
    pub note: Option<String>,
}

/// One answer choice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerOption {
    pub score: i32,
    pub label: String,
    /// LOINC answer code (LA...), where LOINC publishes one.
    #[serde(default)]
    pub loinc: Option<String>,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// 1-based position in the instrument.
    pub n: u16,
    /// The wording shown to people: official where the licence allows it,
    /// otherwise a paraphrase (see `Licence::official_wording`).
    pub text: String,
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
    /// May be left out without making the response incomplete (e.g. WSAS work
    /// item for someone not working); the scoring rule says how it counts.
    #[serde(default)]
    pub optional: bool,
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
    /// Up to `max_missing` required items may be missing: the total is the
    /// mean of the answered items times the number of items (CORE-10:
    /// one missing item allowed).
    MeanOfAnswered { max_missing: u16 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
pub struct Conversion {
    pub raw: i32,
    pub score: f64,
}

/// A severity band, inclusive at both ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
pub struct Caseness {
    pub operator: Operator,
    pub value: f64,
    pub source: Source,
}

/// The reliable change index: a change of at least `value` is reliable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliableChange {
    pub value: f64,
    pub source: Source,
}

/// An item whose answer signals risk, whatever the total.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RiskItem {
    pub item: u16,
    /// An item score above this raises a risk flag.
    pub above: i32,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscale {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Licence {
    pub status: String,
    /// Whether `Item::text` is the official wording (true) or our paraphrase.
    pub official_wording: bool,
    pub source: Source,
}

/// LOINC codes for the panel and its total, where LOINC has them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoincCodes {
    pub panel: String,
    pub total: String,
}

/// One instrument, as loaded from its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}
