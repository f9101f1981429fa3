//! Fuzzing on stable Rust with proptest: every parser of this crate is fed
//! arbitrary text and mutations of the real files under `content/` and
//! `docs/safety/`, and must answer with its typed error, never a panic;
//! accepted values must round-trip where a serializer or canonical form
//! exists. Mutating the shipped files line by line keeps most inputs past
//! the TOML syntax check, into the validation behind it.
//!
//! `BOTHY_FUZZ_CASES` sets the number of inputs per target (each target's
//! default keeps the whole set to a few seconds in a debug build, for CI);
//! RELIABILITY.md ("Fuzzing") records the long run. Failures found are
//! saved under `proptest-regressions/` and replayed first on every run.

mod content;
mod lexicon;
mod programmes;
mod values;

use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::Config;

/// The proptest configuration of one target: `default` cases unless
/// `BOTHY_FUZZ_CASES` says otherwise.
pub(crate) fn config(default: u32) -> Config {
    let cases = std::env::var("BOTHY_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    Config {
        cases,
        // Shrinking a long mutated file can take minutes; the seed and the
        // first failing input are what a fix needs.
        max_shrink_iters: 256,
        ..Config::with_cases(cases)
    }
}

/// Characters that break naive text handling: controls, invisible format
/// characters, joiners, combining marks, case-changing letters whose
/// lower case is longer than themselves, apostrophes and clause breaks,
/// digits of other scripts, private use, emoji tags, and the replacement
/// character.
const NASTY: &[char] = &[
    '\0',
    '\t',
    '\n',
    '\r',
    '\u{7f}',
    '\u{85}',
    '\u{a0}',
    '\u{ad}',
    '\u{200b}',
    '\u{200c}',
    '\u{200d}',
    '\u{200e}',
    '\u{202e}',
    '\u{2028}',
    '\u{2066}',
    '\u{feff}',
    '\u{301}',
    '\u{308}',
    'İ',
    'ẞ',
    'ß',
    'Σ',
    'ς',
    'ǅ',
    'ﬃ',
    '\'',
    '’',
    '‘',
    'ʼ',
    '`',
    '´',
    '.',
    ',',
    ';',
    '!',
    '?',
    '…',
    '(',
    ')',
    '-',
    '#',
    '*',
    '|',
    '^',
    '$',
    '{',
    '}',
    '=',
    '"',
    '\\',
    '٣',
    '߁',
    '²',
    '½',
    '\u{e000}',
    '\u{10ffff}',
    '\u{e0067}',
    '\u{e007f}',
    '🏴',
    '👩',
    '\u{fffd}',
    '@',
    '+',
    ' ',
];

/// Arbitrary text, weighted towards the characters that matter.
pub(crate) fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(
            prop_oneof![
                select(NASTY),
                any::<char>(),
                proptest::char::range('a', 'z')
            ],
            0..64
        )
        .prop_map(|cs| cs.into_iter().collect()),
    ]
}

/// Pieces of TOML and values that validators have to think about.
const TOML_BITS: &[&str] = &[
    "",
    "\"\"",
    "\"x\"",
    "0",
    "-1",
    "1",
    "2",
    "10",
    "100",
    "-0",
    "0.5",
    "nan",
    "inf",
    "-inf",
    "1e400",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "true",
    "false",
    "[]",
    "{}",
    "[1, 2]",
    "[\"a\", \"a\"]",
    "\"2026-02-30\"",
    "\"2026-12-25\"",
    "\"24:00\"",
    "\"00:00\"",
    "\"17:00\"",
    "\"monday\"",
    "\"urgent\"",
    "\"low\"",
    "\"Europe/London\"",
    "\"tel:\"",
    "\"tel:999\"",
    "\"sms:+447700900123\"",
    "\"\u{202e}x\"",
    "\"a\\nb\"",
    "'''\nx\n'''",
    "=",
    "[",
    "]",
    "\"",
    "[[items]]",
    "[[options]]",
    "[[phrases]]",
    "[[everyday]]",
    "[[hazard]]",
    "[[contacts]]",
    "[sets]",
    "phrase = \"#\"",
    "phrase = \"* *\"",
    "phrase = \"(|)\"",
    "phrase = \"{nope}\"",
    "phrase = \"a*\"",
    "phrase = \"^ $\"",
    "phrase = \"((a|b)|c)\"",
    "severity = \"high\"",
    "id = \"x\"",
    "score = 99",
    "n = 0",
];

/// One edit of a file, line by line.
#[derive(Debug, Clone)]
pub(crate) enum Edit {
    Delete(Index),
    Duplicate(Index, Index),
    Swap(Index, Index),
    /// Replace what follows `=` on a line.
    Value(Index, String),
    Insert(Index, String),
    /// Splice text into a line at a character position.
    Splice(Index, Index, String),
    Truncate(Index),
}

fn bit() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(TOML_BITS).prop_map(str::to_owned),
        1 => text(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        1 => any::<Index>().prop_map(Edit::Delete),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::Duplicate(a, b)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        3 => (any::<Index>(), bit()).prop_map(|(a, s)| Edit::Value(a, s)),
        1 => (any::<Index>(), bit()).prop_map(|(a, s)| Edit::Insert(a, s)),
        1 => (any::<Index>(), any::<Index>(), bit()).prop_map(|(a, b, s)| Edit::Splice(a, b, s)),
        1 => any::<Index>().prop_map(Edit::Truncate),
    ]
}

/// Applies the edits to `seed`, line by line.
pub(crate) fn apply(seed: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = seed.lines().map(str::to_owned).collect();
    for e in edits {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let n = lines.len();
        match e {
            Edit::Delete(i) => {
                lines.remove(i.index(n));
            }
            Edit::Duplicate(i, j) => {
                let l = lines[i.index(n)].clone();
                lines.insert(j.index(n + 1), l);
            }
            Edit::Swap(i, j) => lines.swap(i.index(n), j.index(n)),
            Edit::Value(i, v) => {
                let l = &mut lines[i.index(n)];
                if let Some(eq) = l.find('=') {
                    l.truncate(eq + 1);
                    l.push(' ');
                    l.push_str(v);
                }
            }
            Edit::Insert(i, s) => lines.insert(i.index(n + 1), s.clone()),
            Edit::Splice(i, at, s) => {
                let l = &mut lines[i.index(n)];
                let cuts: Vec<usize> = l.char_indices().map(|(b, _)| b).chain([l.len()]).collect();
                l.insert_str(cuts[at.index(cuts.len())], s);
            }
            Edit::Truncate(i) => lines.truncate(i.index(n + 1)),
        }
    }
    lines.join("\n")
}

/// Mostly-valid versions of `seed`: the file itself, with one to seven
/// edits; now and then arbitrary text instead.
pub(crate) fn mutated(seed: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        8 => proptest::collection::vec(edit(), 1..8).prop_map(move |es| apply(seed, &es)),
        1 => Just(seed.to_owned()),
        1 => text(),
    ]
}
