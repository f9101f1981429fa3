//! The risk lexicon: its parser, fed mutations of the shipped file, and its
//! scanner (the normaliser and the pattern matcher), fed arbitrary text,
//! word soup from the lexicon's own vocabulary and the labelled texts of
//! the evaluation set with characters spliced in. The scanner must be
//! deterministic, and blind to what the normaliser promises to ignore: ASCII
//! case, apostrophes and runs of spaces. A mutated lexicon that is accepted
//! must scan anything without panicking, since a deployment may ship its
//! own.

use super::{NASTY, config, mutated, text};
use crate::detectors::DEFAULT_LEXICON;
use crate::detectors::risky_text::{Lexicon, parse_cases};
use crate::monitoring::default_lexicon;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use std::sync::OnceLock;

const EVAL: &[(&str, &str)] = &[
    (
        "plans",
        include_str!("../../../../content/risk-eval/plans.txt"),
    ),
    (
        "negation",
        include_str!("../../../../content/risk-eval/negation.txt"),
    ),
    (
        "idioms",
        include_str!("../../../../content/risk-eval/idioms.txt"),
    ),
    (
        "self-harm",
        include_str!("../../../../content/risk-eval/self-harm.txt"),
    ),
    (
        "text-speak",
        include_str!("../../../../content/risk-eval/text-speak.txt"),
    ),
];

fn lexicon() -> &'static Lexicon {
    static L: OnceLock<Lexicon> = OnceLock::new();
    L.get_or_init(default_lexicon)
}

/// Every word of the lexicon file (phrases, sets, negators, plan words,
/// idioms and the comments' examples) and some clause breaks.
fn vocabulary() -> &'static [String] {
    static V: OnceLock<Vec<String>> = OnceLock::new();
    V.get_or_init(|| {
        let mut words: Vec<String> = DEFAULT_LEXICON
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        words.sort();
        words.dedup();
        words.extend(
            [
                ".",
                ",",
                "but",
                "!",
                "\n",
                "30",
                "twenty five",
                "don't",
                "I'm",
            ]
            .map(String::from),
        );
        words
    })
}

/// The labelled texts, one per line.
fn eval_texts() -> &'static [String] {
    static T: OnceLock<Vec<String>> = OnceLock::new();
    T.get_or_init(|| {
        EVAL.iter()
            .flat_map(|(_, f)| f.lines())
            .filter_map(|l| l.split_once('|').map(|(_, t)| t.trim().to_owned()))
            .collect()
    })
}

/// Text that reaches the matcher: word soup, labelled texts with
/// characters spliced in, or anything at all.
fn scanned() -> impl Strategy<Value = String> {
    let soup = proptest::collection::vec(any::<Index>(), 0..40).prop_map(|ix| {
        let v = vocabulary();
        ix.iter()
            .map(|i| i.get(v).as_str())
            .collect::<Vec<_>>()
            .join(" ")
    });
    let spliced = (
        any::<Index>(),
        proptest::collection::vec((any::<Index>(), select(NASTY)), 0..4),
    )
        .prop_map(|(t, splices)| {
            let mut s: Vec<char> = t.get(eval_texts()).chars().collect();
            for (at, c) in splices {
                s.insert(at.index(s.len() + 1), c);
            }
            s.into_iter().collect::<String>()
        });
    prop_oneof![3 => soup, 3 => spliced, 1 => text()]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn the_scanner_is_deterministic_and_ignores_what_the_normaliser_drops(
        t in scanned(),
        at in any::<Index>(),
        apostrophe in select(&['\'', '’', '‘', 'ʼ', '`', '´'][..]),
    ) {
        let lex = lexicon();
        let found = lex.scan(&t);
        prop_assert_eq!(&lex.scan(&t), &found);
        prop_assert_eq!(&lex.scan(&t.to_ascii_uppercase()), &found, "ASCII case");
        let mut with = t.clone();
        let cuts: Vec<usize> = t.char_indices().map(|(b, _)| b).chain([t.len()]).collect();
        with.insert(cuts[at.index(cuts.len())], apostrophe);
        prop_assert_eq!(&lex.scan(&with), &found, "apostrophe at {}", at.index(cuts.len()));
        prop_assert_eq!(&lex.scan(&t.replace(' ', " \t  ")), &found, "spaces");
        for m in &found {
            prop_assert!(!(m.negated && m.plan_word.is_some()), "{m:?}");
        }
        if !t.chars().any(char::is_alphanumeric) {
            prop_assert!(found.is_empty(), "{found:?}");
        }
    }

    #[test]
    fn evaluation_files_are_refused_by_line_or_read(
        (category, file) in select(EVAL).prop_flat_map(|(c, f)| (Just(c), mutated(f))),
    ) {
        match parse_cases(category, &file) {
            Ok(cases) => prop_assert!(cases.len() <= file.lines().count()),
            Err(errors) => prop_assert!(errors.iter().all(|e| e.field.starts_with(category))),
        }
    }
}

proptest! {
    // Parsing the whole lexicon is the slowest target: fewer cases.
    #![proptest_config(config(12))]

    #[test]
    fn a_mutated_lexicon_is_refused_by_field_or_scans_anything(
        file in mutated(DEFAULT_LEXICON),
        texts in proptest::collection::vec(scanned(), 1..4),
    ) {
        match Lexicon::parse(&file) {
            Ok(lex) => {
                for t in &texts {
                    prop_assert_eq!(lex.scan(t), lex.scan(t));
                }
            }
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
    }
}
