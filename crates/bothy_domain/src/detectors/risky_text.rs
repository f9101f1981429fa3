//! Risky free text: a conservative lexicon with negation handling.
//!
//! The lexicon (`content/risk-lexicon.toml` and
//! `content/risk-lexicon-phrases.toml`, read as one file, written by the
//! project; the first's header explains the format and the reasoning behind
//! each severity) lists phrases with a severity, the negators and "bridge" words that negate a
//! phrase ("I would never hurt myself" is not "hurt myself"), plan words that
//! raise a nearby phrase's severity one step ("kill myself tonight" is
//! `Urgent`), and everyday idioms that must not fire ("this job is killing
//! me", "I'm dying to see it", "killing time", "dead tired": no signal at
//! all, because they say nothing about harming oneself and alerting on them
//! would bury the alerts that matter).
//!
//! Phrases are small patterns (`risky_text/pattern.rs`): alternatives and optional words
//! (`(took|swallowed) (too|2) many`), named sets (`{meds}`), a short gap
//! (`*`), a large number (`#`, "took 30 paracetamol") and the start or end of
//! a clause (`^`, `$`). Still no statistics and no learning: every signal
//! names the entry that matched, and the same text always gives the same
//! signal.
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
//! lexicon's label for the phrase, never the person's words.
//!
//! [`evaluate`] measures a lexicon against labelled texts
//! (`content/risk-eval/`): sensitivity and specificity per severity, per
//! label and per category.

use super::config::{ConfigError, RiskyTextConfig};
use super::{Cause, Severity, Signal, Text};
use pattern::{Alt, Limits, Pattern, View, Word};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write;

mod eval;
mod pattern;

#[cfg(test)]
mod fuzz_tests;

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
    gap_words: usize,
    large_number: u64,
    #[serde(default)]
    sets: BTreeMap<String, Vec<String>>,
    phrases: Vec<PhraseFile>,
    #[serde(default)]
    everyday: Vec<EverydayFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PhraseFile {
    phrase: String,
    severity: Severity,
    #[serde(default)]
    label: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EverydayFile {
    phrase: String,
}

/// The lexicon file version this code reads.
pub const LEXICON_VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Phrase {
    /// The phrase as written, whitespace collapsed.
    text: String,
    /// What alerts quote: the entry's label, or its text when plain.
    label: String,
    pattern: Pattern,
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
    plan_words: Vec<Word>,
    limits_gap: usize,
    limits_number: u64,
    phrases: Vec<Phrase>,
    /// Phrases by the exact word every match of theirs begins with.
    by_first_word: BTreeMap<String, Vec<usize>>,
    /// Phrases that may begin with a prefix or a number: tried everywhere.
    anywhere: Vec<usize>,
    everyday: Vec<Pattern>,
    /// The longest an everyday phrase can be, in words.
    everyday_max: usize,
}

/// One phrase found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexiconMatch<'l> {
    /// The lexicon's label for the phrase (not the person's words): what
    /// alerts quote.
    pub phrase: &'l str,
    /// The lexicon entry's phrase as written, for explanation.
    pub pattern: &'l str,
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

impl Lexicon {
    /// Parses and checks a lexicon file. Every problem names its field (and
    /// the entry: `phrases[12].phrase`).
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
        if file.version != LEXICON_VERSION {
            err(
                "version".into(),
                format!(
                    "unsupported version {} (this Bothy reads version {LEXICON_VERSION})",
                    file.version
                ),
            );
        }
        if !(1..=8).contains(&file.negation_window) {
            err("negation_window".into(), "must be between 1 and 8".into());
        }
        if !(1..=12).contains(&file.plan_window) {
            err("plan_window".into(), "must be between 1 and 12".into());
        }
        if !(1..=6).contains(&file.gap_words) {
            err("gap_words".into(), "must be between 1 and 6".into());
        }
        if !(2..=1000).contains(&file.large_number) {
            err("large_number".into(), "must be between 2 and 1000".into());
        }
        let mut single = |list: &[String], name: &str, allow_star: bool| -> Vec<Word> {
            let mut out: Vec<Word> = Vec::new();
            for (i, w) in list.iter().enumerate() {
                let words = match pattern::chunk_words(w.trim()) {
                    Ok(words) => words,
                    Err(m) => {
                        err(format!("{name}[{i}]"), m);
                        continue;
                    }
                };
                if words.len() != 1
                    || w.split_whitespace().count() != 1
                    || (!allow_star && matches!(words[0], Word::Prefix(_)))
                {
                    err(format!("{name}[{i}]"), format!("{w:?} must be one word"));
                } else if out.contains(&words[0]) {
                    err(format!("{name}[{i}]"), format!("{w:?} is listed twice"));
                } else {
                    out.push(words[0].clone());
                }
            }
            out
        };
        let text_of = |ws: Vec<Word>| -> Vec<String> {
            ws.into_iter().map(|w| w.text().to_owned()).collect()
        };
        let negators = text_of(single(&file.negators, "negators", false));
        let bridges = text_of(single(&file.bridges, "bridges", false));
        let plan_words = single(&file.plan_words, "plan_words", true);
        if negators.is_empty() {
            err("negators".into(), "must not be empty".into());
        }
        for b in &bridges {
            if negators.contains(b) {
                err("bridges".into(), format!("{b:?} is also a negator"));
            }
        }
        let mut sets: BTreeMap<String, Vec<Alt>> = BTreeMap::new();
        for (name, entries) in &file.sets {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                err(
                    format!("sets.{name}"),
                    "a set's name is lower-case letters and _".into(),
                );
                continue;
            }
            match pattern::parse_set(entries) {
                Ok(alts) => {
                    sets.insert(name.clone(), alts);
                }
                Err(m) => err(format!("sets.{name}"), m),
            }
        }
        let mut phrases: Vec<Phrase> = Vec::new();
        for (i, p) in file.phrases.iter().enumerate() {
            let field = format!("phrases[{i}].phrase");
            let text = p.phrase.split_whitespace().collect::<Vec<_>>().join(" ");
            let pattern = match pattern::parse(&text, &sets) {
                Ok(pattern) => pattern,
                Err(m) => {
                    err(field, format!("{text:?}: {m}"));
                    continue;
                }
            };
            // The same entry twice, whatever its capitals or apostrophes.
            let key = |t: &str| -> String {
                t.chars()
                    .filter(|c| !is_apostrophe(*c))
                    .flat_map(char::to_lowercase)
                    .collect()
            };
            if phrases.iter().any(|q| key(&q.text) == key(&text)) {
                err(field, format!("{text:?} is listed twice"));
                continue;
            }
            let label = match &p.label {
                Some(l) if l.trim().is_empty() || l.chars().count() > 60 => {
                    err(
                        format!("phrases[{i}].label"),
                        "must be 1 to 60 characters".into(),
                    );
                    continue;
                }
                Some(l) => l.trim().to_owned(),
                None if pattern.is_plain() => pattern::chunk_words(&text)
                    .map(|ws| text_of(ws).join(" "))
                    .unwrap_or_else(|_| text.clone()),
                None => {
                    err(
                        format!("phrases[{i}].label"),
                        format!(
                            "{text:?} uses groups, sets, gaps, numbers or anchors: give it a plain label for alerts"
                        ),
                    );
                    continue;
                }
            };
            phrases.push(Phrase {
                text,
                label,
                pattern,
                severity: p.severity,
            });
        }
        if phrases.is_empty() {
            err("phrases".into(), "must not be empty".into());
        }
        let mut everyday = Vec::new();
        for (i, p) in file.everyday.iter().enumerate() {
            match pattern::parse(&p.phrase, &sets) {
                Ok(pattern) if pattern.max_len(file.gap_words) >= 2 => everyday.push(pattern),
                Ok(_) => err(
                    format!("everyday[{i}].phrase"),
                    "must be two or more words".into(),
                ),
                Err(m) => err(
                    format!("everyday[{i}].phrase"),
                    format!("{:?}: {m}", p.phrase),
                ),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut by_first_word: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut anywhere = Vec::new();
        for (k, p) in phrases.iter().enumerate() {
            match p.pattern.first_words() {
                Some(words) => {
                    for w in words {
                        by_first_word.entry(w).or_default().push(k);
                    }
                }
                None => anywhere.push(k),
            }
        }
        let everyday_max = everyday
            .iter()
            .map(|e| e.max_len(file.gap_words))
            .max()
            .unwrap_or(0);
        Ok(Lexicon {
            version: file.version,
            negation_window: file.negation_window,
            negators,
            bridges,
            plan_window: file.plan_window,
            plan_words,
            limits_gap: file.gap_words,
            limits_number: file.large_number,
            phrases,
            by_first_word,
            anywhere,
            everyday,
            everyday_max,
        })
    }

    /// The file's `version`.
    pub fn version(&self) -> u32 {
        self.version
    }

    fn limits(&self) -> Limits {
        Limits {
            gap_words: self.limits_gap,
            large_number: self.limits_number,
        }
    }

    /// Every lexicon phrase found in `text`, negated or not, in order of
    /// where it starts. A phrase is reported once for overlapping matches.
    pub fn scan(&self, text: &str) -> Vec<LexiconMatch<'_>> {
        let (mut norm, mut toks) = (String::new(), Vec::new());
        tokenise(text, &mut norm, &mut toks);
        let view = View {
            norm: &norm,
            toks: &toks,
        };
        let limits = self.limits();
        let mut out = Vec::new();
        let mut ends = Vec::new();
        let mut idiom_ends = Vec::new();
        let mut candidates: Vec<usize> = Vec::new();
        // Where each phrase's last match ended: overlapping matches of the
        // same phrase ("going to end it", "to end it") count once.
        let mut last_end = vec![0usize; self.phrases.len()];
        // Each match's words, for negation of phrases inside negated ones.
        let mut spans: Vec<(usize, usize, usize)> = Vec::new();
        for i in 0..toks.len() {
            candidates.clear();
            if let Some(ks) = self.by_first_word.get(view.word(i)) {
                candidates.extend(ks);
            }
            candidates.extend(&self.anywhere);
            candidates.sort_unstable();
            candidates.dedup();
            for &k in &candidates {
                let p = &self.phrases[k];
                if i < last_end[k] {
                    continue;
                }
                p.pattern.ends(&view, i, limits, &mut ends);
                let Some(&end) = ends.iter().min() else {
                    continue;
                };
                last_end[k] = end;
                // Inside an everyday idiom entirely: not a risk phrase.
                let idiom = (i.saturating_sub(self.everyday_max)..=i).any(|s| {
                    self.everyday.iter().any(|e| {
                        e.ends(&view, s, limits, &mut idiom_ends);
                        idiom_ends.iter().any(|&e_end| e_end >= end)
                    })
                });
                if idiom {
                    continue;
                }
                let negated = self.negated(&view, i);
                let mut severity = p.severity;
                let mut plan_word = None;
                if !negated {
                    let lo = i.saturating_sub(self.plan_window);
                    let hi = (end + self.plan_window).min(toks.len());
                    'plans: for j in (lo..i).chain(end..hi) {
                        for pw in &self.plan_words {
                            if pw.matches(view.word(j)) && !self.negated(&view, j) {
                                severity = severity.raised();
                                plan_word = Some(pw.text());
                                break 'plans;
                            }
                        }
                    }
                }
                spans.push((i, end, k));
                out.push(LexiconMatch {
                    phrase: &p.label,
                    pattern: &p.text,
                    severity,
                    negated,
                    plan_word,
                });
            }
        }
        // A phrase inside a negated phrase is negated too: in "I've never
        // tried to kill myself", "kill myself" is part of "tried to kill
        // myself", which "never" negates.
        let negated_spans: Vec<(usize, usize)> = spans
            .iter()
            .zip(&out)
            .filter(|(_, m)| m.negated)
            .map(|(&(s, e, _), _)| (s, e))
            .collect();
        for (&(i, end, k), m) in spans.iter().zip(out.iter_mut()) {
            if !m.negated && negated_spans.iter().any(|&(s, e)| s <= i && e >= end) {
                m.negated = true;
                m.severity = self.phrases[k].severity;
                m.plan_word = None;
            }
        }
        out
    }

    /// Whether a negator precedes word `i` in its clause, within the window,
    /// with only bridge words between.
    fn negated(&self, view: &View<'_>, i: usize) -> bool {
        let clause = view.toks[i].clause;
        for j in (i.saturating_sub(self.negation_window)..i).rev() {
            if view.toks[j].clause != clause {
                return false;
            }
            let w = view.word(j);
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
    let mut quoted: Vec<&str> = Vec::new();
    for m in found.iter().filter(|m| !m.negated) {
        if quoted.contains(&m.phrase) {
            continue;
        }
        quoted.push(m.phrase);
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
