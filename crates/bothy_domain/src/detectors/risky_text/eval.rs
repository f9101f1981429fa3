//! Measuring a lexicon against a labelled evaluation set
//! (`content/risk-eval/`, whose README explains the format and the labels).
//!
//! [`parse_cases`] reads one file of the set; [`evaluate`] runs the detector
//! on every case with the default settings and counts, per severity, per
//! label and per category, how often it caught what a clinician would want
//! and how often it stayed quiet. The [`Report`] prints as plain text tables.
//! Pure and deterministic: the same lexicon and cases give the same report.

use super::{Lexicon, detect};
use crate::detectors::{ConfigError, RiskyTextConfig, Severity, Text, TextSource};
use std::fmt;

/// One labelled text of the evaluation set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalCase {
    /// The file's name without `.txt` (`hopelessness`, `idioms`).
    pub category: String,
    /// The line in its file, from 1.
    pub line: usize,
    /// The severity a clinician would want; `None` for no signal.
    pub label: Option<Severity>,
    /// A required case fails the evaluation's test when it is missed (or,
    /// for a `none` case, when it raises anything).
    pub required: bool,
    pub text: String,
}

/// Parses one file of the evaluation set: `label | text` lines, where label
/// is `none`, `low`, `moderate`, `high` or `urgent`, optionally followed by
/// `!` (required). Blank lines and `#` comments are skipped. Every bad line
/// is reported, named by category and line.
pub fn parse_cases(category: &str, text: &str) -> Result<Vec<EvalCase>, Vec<ConfigError>> {
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let field = format!("{category}:{}", i + 1);
        let Some((label, body)) = line.split_once('|') else {
            errors.push(ConfigError {
                field,
                message: "expected `label | text`".into(),
            });
            continue;
        };
        let label = label.trim();
        let (label, required) = match label.strip_suffix('!') {
            Some(l) => (l, true),
            None => (label, false),
        };
        let label = match label {
            "none" => None,
            other => match other.parse::<Severity>() {
                Ok(s) => Some(s),
                Err(e) => {
                    errors.push(ConfigError {
                        field,
                        message: e.to_string().replace("(expected", "(expected none,"),
                    });
                    continue;
                }
            },
        };
        let body = body.trim();
        if body.is_empty() {
            errors.push(ConfigError {
                field,
                message: "the text is empty".into(),
            });
            continue;
        }
        cases.push(EvalCase {
            category: category.to_owned(),
            line: i + 1,
            label,
            required,
            text: body.to_owned(),
        });
    }
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(errors)
    }
}

/// A count out of a total; the rate is `None` when the total is zero.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rate {
    pub hits: usize,
    pub of: usize,
}

impl Rate {
    fn add(&mut self, hit: bool) {
        self.of += 1;
        self.hits += usize::from(hit);
    }

    pub fn value(self) -> Option<f64> {
        (self.of > 0).then(|| self.hits as f64 / self.of as f64)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cell = match self.value() {
            Some(v) => format!("{v:.3} ({}/{})", self.hits, self.of),
            None => "-".to_owned(),
        };
        f.pad(&cell)
    }
}

/// Sensitivity and specificity at one severity: a text counts as positive
/// when labelled at or above it, and as detected when its signal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThresholdRow {
    pub severity: Severity,
    pub sensitivity: Rate,
    pub specificity: Rate,
}

/// The texts with one label and what they got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LabelRow {
    pub label: Option<Severity>,
    pub texts: usize,
    /// Any signal at all.
    pub signal: Rate,
    /// A signal at least as severe as the label (for `none`: no signal).
    pub at_least: Rate,
    /// Exactly the label (for `none`: no signal).
    pub exact: Rate,
    /// A signal more severe than the label.
    pub over: usize,
    /// A signal less severe than the label, or none.
    pub under: usize,
}

/// One category's texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryRow {
    pub category: String,
    pub texts: usize,
    /// Risk-labelled texts with any signal.
    pub caught: Rate,
    /// Risk-labelled texts with a signal at least as severe as the label.
    pub at_least: Rate,
    /// All texts whose result is exactly the label.
    pub exact: Rate,
    /// `none`-labelled texts with no signal.
    pub quiet: Rate,
}

/// A case whose result is not exactly its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    pub category: String,
    pub line: usize,
    pub label: Option<Severity>,
    pub got: Option<Severity>,
    pub required: bool,
    pub text: String,
    /// The lexicon phrases that matched and were not negated.
    pub phrases: Vec<String>,
}

impl Miss {
    /// A required case fails when it is quieter than its label, or raises
    /// anything when labelled `none`.
    pub fn fails_requirement(&self) -> bool {
        self.required && (self.got < self.label || (self.label.is_none() && self.got.is_some()))
    }
}

/// The results of [`evaluate`]. Its `Display` is the printed report.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub lexicon_version: u32,
    pub texts: usize,
    /// Any signal for a risk-labelled text, no signal for a `none` one.
    pub any_risk: ThresholdRow,
    /// Low, moderate, high, urgent.
    pub thresholds: Vec<ThresholdRow>,
    /// None, low, moderate, high, urgent.
    pub labels: Vec<LabelRow>,
    /// In order of first appearance.
    pub categories: Vec<CategoryRow>,
    /// Every case whose result is not exactly its label, in input order.
    pub misses: Vec<Miss>,
}

impl Report {
    /// Required cases that fail (see [`Miss::fails_requirement`]).
    pub fn required_failures(&self) -> impl Iterator<Item = &Miss> {
        self.misses.iter().filter(|m| m.fails_requirement())
    }

    /// The row for one label.
    pub fn label(&self, label: Option<Severity>) -> &LabelRow {
        self.labels
            .iter()
            .find(|r| r.label == label)
            .expect("every label has a row")
    }

    /// The row for one category, if it has any texts.
    pub fn category(&self, name: &str) -> Option<&CategoryRow> {
        self.categories.iter().find(|c| c.category == name)
    }
}

fn name(s: Option<Severity>) -> &'static str {
    s.map_or("none", Severity::as_str)
}

/// Runs the detector (default settings: every severity raises a signal) on
/// every case and counts the results.
pub fn evaluate(lexicon: &Lexicon, cases: &[EvalCase]) -> Report {
    let config = RiskyTextConfig::default();
    let results: Vec<Option<Severity>> = cases
        .iter()
        .map(|c| {
            let text = Text {
                source: TextSource::CheckInNote,
                text: &c.text,
            };
            detect(lexicon, &text, &config).first().map(|s| s.severity)
        })
        .collect();
    let threshold = |severity: Severity| {
        let mut row = ThresholdRow {
            severity,
            sensitivity: Rate::default(),
            specificity: Rate::default(),
        };
        for (c, got) in cases.iter().zip(&results) {
            let fired = *got >= Some(severity);
            if c.label >= Some(severity) {
                row.sensitivity.add(fired);
            } else {
                row.specificity.add(!fired);
            }
        }
        row
    };
    let any_risk = threshold(Severity::Low);
    let thresholds = Severity::ALL.into_iter().map(threshold).collect();
    let labels = std::iter::once(None)
        .chain(Severity::ALL.into_iter().map(Some))
        .map(|label| {
            let mut row = LabelRow {
                label,
                texts: 0,
                signal: Rate::default(),
                at_least: Rate::default(),
                exact: Rate::default(),
                over: 0,
                under: 0,
            };
            for (c, got) in cases.iter().zip(&results) {
                if c.label != label {
                    continue;
                }
                row.texts += 1;
                row.signal.add(got.is_some());
                row.at_least.add(if label.is_none() {
                    got.is_none()
                } else {
                    *got >= label
                });
                row.exact.add(*got == label);
                row.over += usize::from(*got > label);
                row.under += usize::from(*got < label);
            }
            row
        })
        .collect();
    let mut categories: Vec<CategoryRow> = Vec::new();
    for (c, got) in cases.iter().zip(&results) {
        let i = match categories.iter().position(|r| r.category == c.category) {
            Some(i) => i,
            None => {
                categories.push(CategoryRow {
                    category: c.category.clone(),
                    texts: 0,
                    caught: Rate::default(),
                    at_least: Rate::default(),
                    exact: Rate::default(),
                    quiet: Rate::default(),
                });
                categories.len() - 1
            }
        };
        let row = &mut categories[i];
        row.texts += 1;
        row.exact.add(*got == c.label);
        if c.label.is_some() {
            row.caught.add(got.is_some());
            row.at_least.add(*got >= c.label);
        } else {
            row.quiet.add(got.is_none());
        }
    }
    let misses = cases
        .iter()
        .zip(&results)
        .filter(|(c, got)| **got != c.label)
        .map(|(c, got)| Miss {
            category: c.category.clone(),
            line: c.line,
            label: c.label,
            got: *got,
            required: c.required,
            text: c.text.clone(),
            phrases: lexicon
                .scan(&c.text)
                .iter()
                .filter(|m| !m.negated)
                .map(|m| m.phrase.to_owned())
                .collect(),
        })
        .collect();
    Report {
        lexicon_version: lexicon.version(),
        texts: cases.len(),
        any_risk,
        thresholds,
        labels,
        categories,
        misses,
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let risk = self.labels.iter().filter(|r| r.label.is_some());
        let risk_texts: usize = risk.map(|r| r.texts).sum();
        writeln!(
            f,
            "Risk-text evaluation: lexicon version {}, {} texts ({} labelled with a risk, {} none), {} categories",
            self.lexicon_version,
            self.texts,
            risk_texts,
            self.texts - risk_texts,
            self.categories.len()
        )?;
        writeln!(
            f,
            "Any risk: sensitivity {}, specificity {}",
            self.any_risk.sensitivity, self.any_risk.specificity
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "By severity (positive: labelled at or above it; detected: a signal at or above it)"
        )?;
        writeln!(f, "{:<10} {:<20} specificity", "severity", "sensitivity")?;
        for r in &self.thresholds {
            writeln!(
                f,
                "{:<10} {:<20} {}",
                r.severity.as_str(),
                r.sensitivity,
                r.specificity
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "By label (at least: a signal at least as severe as labelled, or none for none)"
        )?;
        writeln!(
            f,
            "{:<10} {:>5}  {:<20} {:<20} {:<20} {:>5} {:>6}",
            "label", "texts", "any signal", "at least", "exact", "over", "under"
        )?;
        for r in &self.labels {
            writeln!(
                f,
                "{:<10} {:>5}  {:<20} {:<20} {:<20} {:>5} {:>6}",
                name(r.label),
                r.texts,
                r.signal,
                r.at_least,
                r.exact,
                r.over,
                r.under
            )?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "By category (caught and at least: of the risk-labelled texts; quiet: of the none-labelled)"
        )?;
        writeln!(
            f,
            "{:<14} {:>5}  {:<20} {:<20} {:<20} quiet",
            "category", "texts", "caught", "at least", "exact"
        )?;
        for r in &self.categories {
            writeln!(
                f,
                "{:<14} {:>5}  {:<20} {:<20} {:<20} {}",
                r.category, r.texts, r.caught, r.at_least, r.exact, r.quiet
            )?;
        }
        writeln!(f)?;
        let failing: Vec<&Miss> = self.required_failures().collect();
        writeln!(f, "Required cases failing: {}", failing.len())?;
        for m in failing {
            writeln!(f, "  {m}")?;
        }
        writeln!(f)?;
        writeln!(
            f,
            "Not exactly as labelled: {} (label -> detected, matched phrases)",
            self.misses.len()
        )?;
        for m in &self.misses {
            writeln!(f, "  {m}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Miss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{} {}{} -> {}: {:?}",
            self.category,
            self.line,
            name(self.label),
            if self.required { "!" } else { "" },
            name(self.got),
            self.text
        )?;
        if !self.phrases.is_empty() {
            write!(f, " [{}]", self.phrases.join(", "))?;
        }
        Ok(())
    }
}
