//! Risky free text: a conservative lexicon with negation handling.
//!
//! The lexicon (`content/risk-lexicon.toml`, written by the project; its
//! header explains the format) lists first-person phrases with a severity,
//! the negators and "bridge" words that negate a phrase ("I would never hurt
//! myself" is not "hurt myself"), plan words that raise a nearby phrase's
//! severity one step ("kill myself tonight" is `Urgent`), and everyday
//! idioms that must not fire ("this job is killing me", "I'm dying to see
//! it", "killing time", "dead tired": no signal at all, because they say
//! nothing about harming oneself and alerting on them would bury the alerts
//! that matter).
//!
//! Text is read simply: lower-cased, apostrophes removed, split into words
//! at anything else, with clause punctuation and "but" as boundaries that
//! negation does not cross. When unsure (a negator too far away, or words
//! in between that are not bridges) the phrase counts: a missed risk costs
//! more than a look at nothing.
//!
//! This detector never decides anything. It raises a signal for a person to
//! read the text and judge; a match is not an assessment of risk, and no
//! match is not an assurance of safety. The summary quotes only the
//! lexicon's phrase, never the person's words.

use super::config::{ConfigError, RiskyTextConfig};
use super::{Cause, Severity, Signal, Text};
use serde::Deserialize;
use std::fmt::Write;

mod eval;

pub use eval::{
    CategoryRow, EvalCase, LabelRow, Miss, Rate, Report, ThresholdRow, evaluate, parse_cases,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LexiconFile {
    version: u32,
    negation_window: usize,
    negators: Vec<String>,
    bridges: Vec<String>,
    plan_window: usize,
    plan_words: Vec<String>,
    phrases: Vec<PhraseFile>,
    #[serde(default)]
    everyday: Vec<EverydayFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PhraseFile {
    phrase: String,
    severity: Severity,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EverydayFile {
    phrase: String,
}

/// One word of a phrase: exact, or a prefix (`suicid*`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pat {
    Exact(String),
    Prefix(String),
}

impl Pat {
    fn matches(&self, word: &str) -> bool {
        match self {
            Pat::Exact(w) => w == word,
            Pat::Prefix(p) => word.starts_with(p.as_str()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Phrase {
    text: String,
    words: Vec<Pat>,
    severity: Severity,
}

/// A validated lexicon, ready to scan texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lexicon {
    version: u32,
    negation_window: usize,
    negators: Vec<String>,
    bridges: Vec<String>,
    plan_window: usize,
    plan_words: Vec<Pat>,
    phrases: Vec<Phrase>,
    everyday: Vec<Vec<Pat>>,
}

/// One phrase found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexiconMatch<'l> {
    /// The lexicon's phrase (not the person's words).
    pub phrase: &'l str,
    /// After any plan word's raise.
    pub severity: Severity,
    /// Negated phrases raise nothing; they are reported for explanation.
    pub negated: bool,
    /// The plan word (as listed in the lexicon) that raised the severity.
    pub plan_word: Option<&'l str>,
}

/// A word of the normalised text: its byte range and clause number.
#[derive(Debug, Clone, Copy)]
struct Tok {
    start: usize,
    end: usize,
    clause: u32,
}

fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}' | '\u{2018}' | '\u{02BC}' | '`' | '\u{00B4}'
    )
}

fn is_clause_break(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | ';' | ':' | '!' | '?' | '(' | ')' | '[' | ']' | '\n' | '\r' | '\u{2026}'
    )
}

/// Lower-cases, removes apostrophes and splits into words, numbering
/// clauses. "but" ends a clause and is not kept as a word.
fn tokenise(text: &str, norm: &mut String, toks: &mut Vec<Tok>) {
    norm.clear();
    toks.clear();
    let mut clause = 0u32;
    let mut start: Option<usize> = None;
    let mut close = |norm: &mut String, start: &mut Option<usize>, clause: &mut u32| {
        if let Some(s) = start.take() {
            if &norm[s..] == "but" {
                norm.truncate(s);
                *clause += 1;
            } else {
                toks.push(Tok {
                    start: s,
                    end: norm.len(),
                    clause: *clause,
                });
            }
        }
    };
    for c in text.chars() {
        if is_apostrophe(c) {
            continue;
        }
        if c.is_alphanumeric() {
            if start.is_none() {
                start = Some(norm.len());
            }
            norm.extend(c.to_lowercase());
        } else {
            close(norm, &mut start, &mut clause);
            if is_clause_break(c) {
                clause += 1;
            }
        }
    }
    close(norm, &mut start, &mut clause);
}

/// The words of a lexicon entry, or why it has none.
fn words_of(entry: &str) -> Vec<String> {
    let (mut norm, mut toks) = (String::new(), Vec::new());
    // Keep a trailing `*` on a word: tokenise each space-separated part.
    let mut out = Vec::new();
    for part in entry.split_whitespace() {
        let star = part.ends_with('*');
        tokenise(part.trim_end_matches('*'), &mut norm, &mut toks);
        for (i, t) in toks.iter().enumerate() {
            let mut w = norm[t.start..t.end].to_owned();
            if star && i + 1 == toks.len() {
                w.push('*');
            }
            out.push(w);
        }
    }
    out
}

fn pat(word: String) -> Pat {
    match word.strip_suffix('*') {
        Some(p) => Pat::Prefix(p.to_owned()),
        None => Pat::Exact(word),
    }
}

impl Lexicon {
    /// Parses and checks a lexicon file. Every problem names its field.
    pub fn parse(text: &str) -> Result<Lexicon, Vec<ConfigError>> {
        let file: LexiconFile = toml::from_str(text).map_err(|e| {
            vec![ConfigError {
                field: e
                    .span()
                    .map(|s| format!("at byte {}", s.start))
                    .unwrap_or_else(|| "(file)".to_owned()),
                message: e.message().to_owned(),
            }]
        })?;
        let mut errors = Vec::new();
        let mut err = |field: String, message: String| errors.push(ConfigError { field, message });
        if file.version != 1 {
            err(
                "version".into(),
                format!("unsupported version {}", file.version),
            );
        }
        if !(1..=8).contains(&file.negation_window) {
            err("negation_window".into(), "must be between 1 and 8".into());
        }
        if !(1..=12).contains(&file.plan_window) {
            err("plan_window".into(), "must be between 1 and 12".into());
        }
        let mut single = |list: &[String], name: &str, allow_star: bool| -> Vec<String> {
            let mut out = Vec::new();
            for (i, w) in list.iter().enumerate() {
                let words = words_of(w);
                if words.len() != 1 || (!allow_star && words[0].ends_with('*')) {
                    err(format!("{name}[{i}]"), format!("{w:?} must be one word"));
                } else if out.contains(&words[0]) {
                    err(format!("{name}[{i}]"), format!("{w:?} is listed twice"));
                } else {
                    out.push(words[0].clone());
                }
            }
            out
        };
        let negators = single(&file.negators, "negators", false);
        let bridges = single(&file.bridges, "bridges", false);
        let plan_words: Vec<Pat> = single(&file.plan_words, "plan_words", true)
            .into_iter()
            .map(pat)
            .collect();
        if negators.is_empty() {
            err("negators".into(), "must not be empty".into());
        }
        for b in &bridges {
            if negators.contains(b) {
                err("bridges".into(), format!("{b:?} is also a negator"));
            }
        }
        let mut phrases: Vec<Phrase> = Vec::new();
        for (i, p) in file.phrases.iter().enumerate() {
            let words = words_of(&p.phrase);
            if words.is_empty() {
                err(format!("phrases[{i}].phrase"), "has no words".into());
                continue;
            }
            if words[..words.len() - 1].iter().any(|w| w.ends_with('*')) {
                err(
                    format!("phrases[{i}].phrase"),
                    "only the last word may end in *".into(),
                );
                continue;
            }
            if words.iter().any(|w| w == "*" || w == "but") {
                err(
                    format!("phrases[{i}].phrase"),
                    "a bare * or the word \"but\" can never match".into(),
                );
                continue;
            }
            let text = words.join(" ");
            if phrases.iter().any(|q| q.text == text) {
                err(
                    format!("phrases[{i}].phrase"),
                    format!("{text:?} is listed twice"),
                );
                continue;
            }
            phrases.push(Phrase {
                text,
                words: words.into_iter().map(pat).collect(),
                severity: p.severity,
            });
        }
        if phrases.is_empty() {
            err("phrases".into(), "must not be empty".into());
        }
        let mut everyday = Vec::new();
        for (i, p) in file.everyday.iter().enumerate() {
            let words = words_of(&p.phrase);
            if words.len() < 2 || words.iter().any(|w| w.ends_with('*')) {
                err(
                    format!("everyday[{i}].phrase"),
                    "must be two or more plain words".into(),
                );
                continue;
            }
            everyday.push(words.into_iter().map(Pat::Exact).collect());
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Lexicon {
            version: file.version,
            negation_window: file.negation_window,
            negators,
            bridges,
            plan_window: file.plan_window,
            plan_words,
            phrases,
            everyday,
        })
    }

    /// The file's `version`.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Every lexicon phrase found in `text`, negated or not, in order.
    pub fn scan(&self, text: &str) -> Vec<LexiconMatch<'_>> {
        let (mut norm, mut toks) = (String::new(), Vec::new());
        tokenise(text, &mut norm, &mut toks);
        let word = |i: usize| &norm[toks[i].start..toks[i].end];
        let matches_at = |words: &[Pat], i: usize| {
            i + words.len() <= toks.len()
                && words
                    .iter()
                    .enumerate()
                    .all(|(k, p)| p.matches(word(i + k)))
        };
        let mut out = Vec::new();
        for i in 0..toks.len() {
            for p in &self.phrases {
                if !matches_at(&p.words, i) {
                    continue;
                }
                let end = i + p.words.len();
                // Inside an everyday idiom entirely: not a risk phrase.
                let idiom = self.everyday.iter().any(|e| {
                    (end.saturating_sub(e.len())..=i)
                        .any(|s| s + e.len() >= end && matches_at(e, s))
                });
                if idiom {
                    continue;
                }
                let negated = self.negated(&norm, &toks, i);
                let mut severity = p.severity;
                let mut plan_word = None;
                if !negated {
                    let lo = i.saturating_sub(self.plan_window);
                    let hi = (end + self.plan_window).min(toks.len());
                    'plans: for j in (lo..i).chain(end..hi) {
                        for pw in &self.plan_words {
                            if pw.matches(word(j)) && !self.negated(&norm, &toks, j) {
                                severity = severity.raised();
                                plan_word = Some(match pw {
                                    Pat::Exact(w) | Pat::Prefix(w) => w.as_str(),
                                });
                                break 'plans;
                            }
                        }
                    }
                }
                out.push(LexiconMatch {
                    phrase: &p.text,
                    severity,
                    negated,
                    plan_word,
                });
            }
        }
        out
    }

    /// Whether a negator precedes word `i` in its clause, within the window,
    /// with only bridge words between.
    fn negated(&self, norm: &str, toks: &[Tok], i: usize) -> bool {
        let clause = toks[i].clause;
        for j in (i.saturating_sub(self.negation_window)..i).rev() {
            if toks[j].clause != clause {
                return false;
            }
            let w = &norm[toks[j].start..toks[j].end];
            if self.negators.iter().any(|n| n == w) {
                return true;
            }
            if !self.bridges.iter().any(|b| b == w) {
                return false;
            }
        }
        false
    }
}

/// The signal for one text: the highest severity among its un-negated
/// matches, if that reaches `config.min_severity`.
pub fn detect(lexicon: &Lexicon, text: &Text<'_>, config: &RiskyTextConfig) -> Vec<Signal> {
    if !config.enabled {
        return Vec::new();
    }
    let found = lexicon.scan(text.text);
    let Some(top) = found
        .iter()
        .filter(|m| !m.negated)
        .map(|m| m.severity)
        .max()
    else {
        return Vec::new();
    };
    if top < config.min_severity {
        return Vec::new();
    }
    let mut summary = format!("Possible risk language in {}: ", text.source.label());
    let mut first = true;
    for m in found.iter().filter(|m| !m.negated) {
        if !first {
            summary.push_str(", ");
        }
        first = false;
        let _ = write!(summary, "\"{}\"", m.phrase);
        if let Some(w) = m.plan_word {
            let _ = write!(summary, " (near \"{w}\")");
        }
    }
    summary.push_str(
        ". Matched by a word list, for a person to read and judge; nothing has been decided.",
    );
    vec![Signal {
        cause: Cause::RiskyText,
        severity: top,
        dedupe_key: Cause::RiskyText.key().to_owned(),
        summary,
    }]
}
