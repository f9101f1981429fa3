//! Text folded before anything reads it for risk or identifying details, so
//! that a word cannot hide from the lexicon behind Unicode tricks.
//!
//! [`fold`] applies NFKC (full-width `ｋｉｌｌ`, ligatures, mathematical
//! letters such as `𝐤𝐢𝐥𝐥` and circled letters become plain ones), drops
//! every invisible format character (zero-width spaces and joiners, soft
//! hyphens, direction marks: `text::check` already refuses most of these in
//! a post, but keeps a joiner between two letters, which would split a word),
//! strips combining marks (`k̶i̶l̶l̶`, `kílł`), lower-cases, and maps the
//! Cyrillic and Greek letters that look like Latin ones (`кill`) to those.
//! [`fold_leet`] further reads digits and symbols written for letters
//! (`k1ll mys3lf`, `$elf h@rm`); it is checked beside [`fold`], never
//! instead, because the lexicon also reads numbers ("took 30 tablets").
//! Letters spaced out one by one (`k i l l`) are joined back.
//!
//! The folded text is only ever read; what is stored and shown is the text
//! as typed (checked by `text::check`).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Latin letters that other scripts' letters are commonly mistaken for.
fn confusable(c: char) -> char {
    match c {
        'а' => 'a',
        'в' => 'b',
        'с' => 'c',
        'е' | 'ё' => 'e',
        'һ' => 'h',
        'і' | 'ї' | 'ι' => 'i',
        'ј' => 'j',
        'к' | 'κ' => 'k',
        'м' => 'm',
        'н' | 'η' => 'n',
        'о' | 'ο' | 'σ' => 'o',
        'р' | 'ρ' => 'p',
        'ѕ' => 's',
        'т' | 'τ' => 't',
        'у' | 'γ' => 'y',
        'х' | 'χ' => 'x',
        'α' => 'a',
        'ε' => 'e',
        'ν' => 'v',
        'ł' => 'l',
        'ø' => 'o',
        'đ' => 'd',
        'ß' => 's',
        _ => c,
    }
}

/// The text as the lexicon should read it (see the module notes).
pub fn fold(text: &str) -> String {
    let plain: String = text
        .nfkc()
        .filter(|c| c.general_category() != GeneralCategory::Format)
        .collect::<String>()
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(confusable)
        .collect();
    join_spaced_letters(&plain)
}

/// [`fold`], then digits and symbols that stand for letters read as those
/// letters.
pub fn fold_leet(text: &str) -> String {
    fold(text)
        .chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '!' | '|' => 'i',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' | '+' => 't',
            '8' => 'b',
            _ => c,
        })
        .collect()
}

/// Runs of three or more single letters separated by single spaces, dots,
/// dashes or underscores (`k i l l`, `k.i.l.l`) joined into one word.
fn join_spaced_letters(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let starts_word = i == 0 || !chars[i - 1].is_alphanumeric();
        if starts_word && chars[i].is_alphabetic() {
            // Count letters alternating with one separator.
            let mut j = i;
            let mut letters = vec![chars[i]];
            while j + 2 < chars.len()
                && matches!(chars[j + 1], ' ' | '.' | '-' | '_')
                && chars[j + 2].is_alphabetic()
                && chars.get(j + 3).is_none_or(|c| !c.is_alphanumeric())
            {
                letters.push(chars[j + 2]);
                j += 2;
            }
            let single = chars.get(i + 1).is_none_or(|c| !c.is_alphanumeric());
            if single && letters.len() >= 3 {
                out.extend(letters);
                i = j + 1;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tricks_fold_to_plain_words() {
        assert_eq!(fold("ｋｉｌｌ ｍｙｓｅｌｆ"), "kill myself");
        assert_eq!(fold("ki\u{200D}ll my\u{200B}self"), "kill myself");
        assert_eq!(fold("KILL Myself"), "kill myself");
        assert_eq!(fold("кill mуself"), "kill myself");
        assert_eq!(fold("k̶i̶l̶l̶ myself"), "kill myself");
        assert_eq!(fold("𝐤𝐢𝐥𝐥 myself"), "kill myself");
        assert_eq!(fold("k i l l myself"), "kill myself");
        assert_eq!(fold("k.i.l.l myself"), "kill myself");
        assert_eq!(fold_leet("k1ll mys3lf"), "kill myself");
        assert_eq!(fold_leet("$elf h@rm"), "self harm");
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        assert_eq!(
            fold("I had a good day, a walk and tea"),
            "i had a good day, a walk and tea"
        );
        assert_eq!(fold("took 30 tablets"), "took 30 tablets");
        assert_eq!(fold("café"), "cafe");
    }
}
