//! The normaliser under the scanner, fuzzed (see `crate::fuzz` for the
//! rest): every word it finds lies within the normalised text, on character
//! boundaries, in order, without overlap, and holds no space, apostrophe or clause break;
//! clauses only move forward. The scanner's matches are made of these
//! words, so they lie within what the person wrote.

use super::{Tok, is_apostrophe, is_clause_break, tokenise};
use crate::fuzz::{config, text};
use proptest::prelude::*;

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn words_lie_within_the_text_in_order(t in text()) {
        let (mut norm, mut toks) = (String::new(), Vec::<Tok>::new());
        tokenise(&t, &mut norm, &mut toks);
        let mut last = (0usize, 0u32);
        for tok in &toks {
            prop_assert!(tok.start < tok.end && tok.end <= norm.len(), "{tok:?} in {norm:?}");
            prop_assert!(norm.is_char_boundary(tok.start) && norm.is_char_boundary(tok.end));
            prop_assert!(tok.start >= last.0 && tok.clause >= last.1, "{tok:?} after {last:?}");
            let word = &norm[tok.start..tok.end];
            // Lower case may add combining marks ('İ' is "i\u{307}"), so
            // the check is on what must never be in a word.
            prop_assert!(
                !word.chars().any(|c| c.is_whitespace() || is_clause_break(c) || is_apostrophe(c)),
                "{word:?}"
            );
            prop_assert_ne!(word, "but");
            last = (tok.end, tok.clause);
        }
        // Never more words than runs of letters and digits in the input.
        let runs = t
            .split(|c: char| !c.is_alphanumeric() && !is_apostrophe(c))
            .filter(|w| w.chars().any(char::is_alphanumeric))
            .count();
        prop_assert!(toks.len() <= runs, "{} words from {runs} runs", toks.len());
    }
}
