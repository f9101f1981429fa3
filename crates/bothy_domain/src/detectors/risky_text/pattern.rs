//! The lexicon's phrase syntax and its matcher.
//!
//! A phrase is a sequence of:
//!
//! | written | matches |
//! |---|---|
//! | `word` | that word |
//! | `word*` | any word starting with it (at least three letters before `*`) |
//! | `(a|b c|)` | one of the alternatives, each zero or more words; an empty one makes the group optional; `^` or `$` as an alternative: the start or end of a clause |
//! | `{name}` | one of the entries of the lexicon's set `name`, as a group |
//! | `*` | a gap of up to `gap_words` words of the same clause (not first or last) |
//! | `#` | a number, in digits or words ("30", "twenty five"), of at least `large_number` |
//! | `^`, `$` | the start or end of a clause (no word) |
//!
//! Words are read as the text is: lower-cased, apostrophes removed, split at
//! anything else that is not a letter or digit.

use super::{Tok, tokenise};
use std::collections::BTreeMap;

/// One word of a phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Word {
    Exact(String),
    Prefix(String),
}

impl Word {
    pub(super) fn matches(&self, word: &str) -> bool {
        match self {
            Word::Exact(w) => w == word,
            Word::Prefix(p) => word.starts_with(p.as_str()),
        }
    }

    pub(super) fn text(&self) -> &str {
        match self {
            Word::Exact(w) | Word::Prefix(w) => w,
        }
    }
}

/// One alternative of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Alt {
    Words(Vec<Word>),
    Start,
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Elem {
    Word(Word),
    Group(Vec<Alt>),
    Gap,
    Number,
    Start,
    End,
}

/// A parsed phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pattern {
    elems: Vec<Elem>,
}

/// The normalised text being read.
pub(super) struct View<'a> {
    pub norm: &'a str,
    pub toks: &'a [Tok],
}

impl View<'_> {
    pub(super) fn word(&self, i: usize) -> &str {
        &self.norm[self.toks[i].start..self.toks[i].end]
    }

    fn clause_starts_at(&self, t: usize) -> bool {
        t < self.toks.len() && (t == 0 || self.toks[t - 1].clause != self.toks[t].clause)
    }

    fn clause_ends_before(&self, t: usize) -> bool {
        t > 0 && (t == self.toks.len() || self.toks[t - 1].clause != self.toks[t].clause)
    }
}

/// What the matcher needs from the lexicon.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub gap_words: usize,
    pub large_number: u64,
}

/// The value of one number word, if it is one.
fn number_value(word: &str) -> Option<u64> {
    if !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit()) {
        return Some(word.parse().unwrap_or(u64::MAX));
    }
    const WORDS: [(&str, u64); 31] = [
        ("one", 1),
        ("two", 2),
        ("three", 3),
        ("four", 4),
        ("five", 5),
        ("six", 6),
        ("seven", 7),
        ("eight", 8),
        ("nine", 9),
        ("ten", 10),
        ("eleven", 11),
        ("twelve", 12),
        ("thirteen", 13),
        ("fourteen", 14),
        ("fifteen", 15),
        ("sixteen", 16),
        ("seventeen", 17),
        ("eighteen", 18),
        ("nineteen", 19),
        ("twenty", 20),
        ("thirty", 30),
        ("forty", 40),
        ("fifty", 50),
        ("sixty", 60),
        ("seventy", 70),
        ("eighty", 80),
        ("ninety", 90),
        ("hundred", 100),
        ("hundreds", 100),
        ("dozen", 12),
        ("dozens", 24),
    ];
    WORDS.iter().find(|(w, _)| *w == word).map(|(_, v)| *v)
}

impl Pattern {
    /// Every position where a match starting at `start` can end.
    pub(super) fn ends(&self, view: &View<'_>, start: usize, limits: Limits, out: &mut Vec<usize>) {
        out.clear();
        self.walk(0, start, view, limits, out);
    }

    fn walk(&self, e: usize, t: usize, view: &View<'_>, limits: Limits, out: &mut Vec<usize>) {
        let n = view.toks.len();
        let Some(elem) = self.elems.get(e) else {
            if !out.contains(&t) {
                out.push(t);
            }
            return;
        };
        match elem {
            Elem::Word(w) => {
                if t < n && w.matches(view.word(t)) {
                    self.walk(e + 1, t + 1, view, limits, out);
                }
            }
            Elem::Group(alts) => {
                for alt in alts {
                    match alt {
                        Alt::Words(words) => {
                            let fits = t + words.len() <= n
                                && words
                                    .iter()
                                    .enumerate()
                                    .all(|(k, w)| w.matches(view.word(t + k)));
                            if fits {
                                self.walk(e + 1, t + words.len(), view, limits, out);
                            }
                        }
                        Alt::Start if view.clause_starts_at(t) => {
                            self.walk(e + 1, t, view, limits, out)
                        }
                        Alt::End if view.clause_ends_before(t) => {
                            self.walk(e + 1, t, view, limits, out)
                        }
                        Alt::Start | Alt::End => {}
                    }
                }
            }
            Elem::Gap => {
                // The words skipped and the next one stay in the clause of
                // the word before the gap.
                if t == 0 {
                    return;
                }
                let clause = view.toks[t - 1].clause;
                for g in 0..=limits.gap_words {
                    if t + g >= n || view.toks[t + g].clause != clause {
                        break;
                    }
                    self.walk(e + 1, t + g, view, limits, out);
                }
            }
            Elem::Number => {
                let mut total = 0u64;
                let mut k = t;
                while k < n {
                    let Some(v) = number_value(view.word(k)) else {
                        break;
                    };
                    total = total.saturating_add(v);
                    k += 1;
                }
                if k > t && total >= limits.large_number {
                    self.walk(e + 1, k, view, limits, out);
                }
            }
            Elem::Start => {
                if view.clause_starts_at(t) {
                    self.walk(e + 1, t, view, limits, out);
                }
            }
            Elem::End => {
                if view.clause_ends_before(t) {
                    self.walk(e + 1, t, view, limits, out);
                }
            }
        }
    }

    /// The exact words every match begins with, or `None` when a match may
    /// begin with a prefix or a number (then the phrase is tried at every
    /// word).
    pub(super) fn first_words(&self) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for elem in &self.elems {
            let mut may_skip = false;
            match elem {
                Elem::Word(Word::Exact(w)) => out.push(w.clone()),
                Elem::Word(Word::Prefix(_)) | Elem::Number | Elem::Gap => return None,
                Elem::Start | Elem::End => may_skip = true,
                Elem::Group(alts) => {
                    for alt in alts {
                        match alt {
                            Alt::Words(ws) => match ws.first() {
                                Some(Word::Exact(w)) => out.push(w.clone()),
                                Some(Word::Prefix(_)) => return None,
                                None => may_skip = true,
                            },
                            Alt::Start | Alt::End => may_skip = true,
                        }
                    }
                }
            }
            if !may_skip {
                out.sort();
                out.dedup();
                return Some(out);
            }
        }
        None
    }

    /// The most words a match can span, counting a number as four words.
    pub(super) fn max_len(&self, gap_words: usize) -> usize {
        self.elems
            .iter()
            .map(|e| match e {
                Elem::Word(_) => 1,
                Elem::Number => 4,
                Elem::Gap => gap_words,
                Elem::Start | Elem::End => 0,
                Elem::Group(alts) => alts
                    .iter()
                    .map(|a| match a {
                        Alt::Words(ws) => ws.len(),
                        Alt::Start | Alt::End => 0,
                    })
                    .max()
                    .unwrap_or(0),
            })
            .sum()
    }

    /// The fewest words a match can span.
    fn min_len(&self) -> usize {
        self.elems
            .iter()
            .map(|e| match e {
                Elem::Word(_) | Elem::Number => 1,
                Elem::Gap | Elem::Start | Elem::End => 0,
                Elem::Group(alts) => alts
                    .iter()
                    .map(|a| match a {
                        Alt::Words(ws) => ws.len(),
                        Alt::Start | Alt::End => 0,
                    })
                    .min()
                    .unwrap_or(0),
            })
            .sum()
    }

    /// Whether the phrase is plain words (no groups, sets, gaps, numbers or
    /// anchors): its text then says exactly what it matches.
    pub(super) fn is_plain(&self) -> bool {
        self.elems.iter().all(|e| matches!(e, Elem::Word(_)))
    }
}

/// One piece of a phrase as written.
#[derive(Debug, PartialEq)]
enum Item {
    Open,
    Close,
    Bar,
    Set(String),
    Chunk(String),
}

fn lex(src: &str) -> Result<Vec<Item>, String> {
    let mut items = Vec::new();
    let mut chunk = String::new();
    let mut chars = src.chars();
    let flush = |chunk: &mut String, items: &mut Vec<Item>| {
        if !chunk.is_empty() {
            items.push(Item::Chunk(std::mem::take(chunk)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '(' | ')' | '|' => {
                flush(&mut chunk, &mut items);
                items.push(match c {
                    '(' => Item::Open,
                    ')' => Item::Close,
                    _ => Item::Bar,
                });
            }
            '{' => {
                flush(&mut chunk, &mut items);
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => return Err("a { without its }".into()),
                    }
                }
                items.push(Item::Set(name.trim().to_owned()));
            }
            '}' => return Err("a } without its {".into()),
            c if c.is_whitespace() => flush(&mut chunk, &mut items),
            c => chunk.push(c),
        }
    }
    flush(&mut chunk, &mut items);
    Ok(items)
}

/// The words of one chunk of text (a trailing `*` makes the last a prefix).
pub(super) fn chunk_words(chunk: &str) -> Result<Vec<Word>, String> {
    if chunk.eq_ignore_ascii_case("but") {
        return Err("the word \"but\" ends a clause and can never match".into());
    }
    let star = chunk.ends_with('*');
    let body = chunk.trim_end_matches('*');
    if body.contains('*') || body.contains('#') || body.contains('^') || body.contains('$') {
        return Err(format!(
            "{chunk:?}: *, #, ^ and $ stand alone or end a word"
        ));
    }
    let (mut norm, mut toks) = (String::new(), Vec::new());
    tokenise(body, &mut norm, &mut toks);
    if toks.is_empty() {
        return Err(format!("{chunk:?} has no letters or digits"));
    }
    let mut words: Vec<Word> = toks
        .iter()
        .map(|t| Word::Exact(norm[t.start..t.end].to_owned()))
        .collect();
    if words.iter().any(|w| w.text() == "but") {
        return Err("the word \"but\" ends a clause and can never match".into());
    }
    if star {
        let last = words.pop().expect("not empty");
        if last.text().chars().count() < 3 {
            return Err(format!(
                "{chunk:?}: a prefix needs at least three letters before *"
            ));
        }
        words.push(Word::Prefix(last.text().to_owned()));
    }
    Ok(words)
}

/// A piece of one alternative of a group: words, or a set's name.
enum Piece {
    Chunk(String),
    Set(String),
}

/// The most alternatives a group may expand to once its sets are spelt out.
const MAX_ALTERNATIVES: usize = 2000;

/// One alternative of a group, from its pieces: `^`, `$`, or words and sets,
/// each set spelt out (so `throw {myself}` is `throw myself`, `throw my
/// self`, and so on).
fn alternatives(pieces: &[Piece], sets: &BTreeMap<String, Vec<Alt>>) -> Result<Vec<Alt>, String> {
    match pieces {
        [Piece::Chunk(c)] if c == "^" => return Ok(vec![Alt::Start]),
        [Piece::Chunk(c)] if c == "$" => return Ok(vec![Alt::End]),
        _ => {}
    }
    let mut seqs: Vec<Vec<Word>> = vec![Vec::new()];
    for piece in pieces {
        match piece {
            Piece::Chunk(c) => {
                if matches!(c.as_str(), "*" | "#" | "^" | "$") {
                    return Err(format!("{c} cannot stand inside a group with other words"));
                }
                let words = chunk_words(c)?;
                for seq in &mut seqs {
                    seq.extend(words.iter().cloned());
                }
            }
            Piece::Set(name) => {
                let Some(alts) = sets.get(name) else {
                    return Err(format!("no set named {{{name}}}"));
                };
                let mut next = Vec::new();
                for seq in &seqs {
                    for alt in alts {
                        if let Alt::Words(ws) = alt {
                            let mut s = seq.clone();
                            s.extend(ws.iter().cloned());
                            next.push(s);
                        }
                    }
                }
                if next.len() > MAX_ALTERNATIVES {
                    return Err(format!(
                        "a group spells out to more than {MAX_ALTERNATIVES} alternatives"
                    ));
                }
                seqs = next;
            }
        }
    }
    Ok(seqs.into_iter().map(Alt::Words).collect())
}

/// Parses a set's entry list into its alternatives: plain words only.
pub(super) fn parse_set(entries: &[String]) -> Result<Vec<Alt>, String> {
    if entries.is_empty() {
        return Err("must not be empty".into());
    }
    let mut alts = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let pieces: Vec<Piece> = e
            .split_whitespace()
            .map(|c| Piece::Chunk(c.to_owned()))
            .collect();
        let plain = !pieces.is_empty()
            && !e.contains(['(', ')', '|', '{', '}'])
            && e.split_whitespace()
                .all(|c| !matches!(c, "*" | "#" | "^" | "$"));
        if !plain {
            return Err(format!("entry {i} ({e:?}) must be one or more plain words"));
        }
        alts.extend(
            alternatives(&pieces, &BTreeMap::new()).map_err(|m| format!("entry {i}: {m}"))?,
        );
    }
    Ok(alts)
}

/// Parses one phrase. `sets` are the lexicon's sets, already parsed.
pub(super) fn parse(src: &str, sets: &BTreeMap<String, Vec<Alt>>) -> Result<Pattern, String> {
    let items = lex(src)?;
    let mut elems = Vec::new();
    let mut it = items.into_iter();
    while let Some(item) = it.next() {
        match item {
            Item::Chunk(c) => match c.as_str() {
                "*" => elems.push(Elem::Gap),
                "#" => elems.push(Elem::Number),
                "^" => elems.push(Elem::Start),
                "$" => elems.push(Elem::End),
                _ => elems.extend(chunk_words(&c)?.into_iter().map(Elem::Word)),
            },
            Item::Set(name) => match sets.get(&name) {
                Some(alts) => elems.push(Elem::Group(alts.clone())),
                None => return Err(format!("no set named {{{name}}}")),
            },
            Item::Open => {
                let mut alts = Vec::new();
                let mut pieces = Vec::new();
                let mut count = 0;
                loop {
                    match it.next() {
                        Some(Item::Chunk(c)) => pieces.push(Piece::Chunk(c)),
                        Some(Item::Set(name)) => pieces.push(Piece::Set(name)),
                        Some(Item::Bar) => {
                            alts.extend(alternatives(&std::mem::take(&mut pieces), sets)?);
                            count += 1;
                        }
                        Some(Item::Close) => {
                            alts.extend(alternatives(&pieces, sets)?);
                            count += 1;
                            break;
                        }
                        Some(Item::Open) => return Err("groups do not nest".into()),
                        None => return Err("a ( without its )".into()),
                    }
                }
                if count < 2 {
                    return Err("a group needs two or more alternatives, split by |".into());
                }
                elems.push(Elem::Group(alts));
            }
            Item::Close => return Err("a ) without its (".into()),
            Item::Bar => return Err("a | outside a group".into()),
        }
    }
    let pattern = Pattern { elems };
    if pattern.min_len() == 0 {
        return Err("must match at least one word whatever the options".into());
    }
    let edge_gap = |e: Option<&Elem>| matches!(e, Some(Elem::Gap));
    if edge_gap(pattern.elems.first()) || edge_gap(pattern.elems.last()) {
        return Err("a gap (*) cannot start or end a phrase".into());
    }
    if pattern
        .elems
        .windows(2)
        .any(|w| matches!(w, [Elem::Gap, Elem::Gap]))
    {
        return Err("two gaps (* *) in a row".into());
    }
    Ok(pattern)
}
