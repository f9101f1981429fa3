//! What a post or a group name may reveal: contact details, links, the
//! writer's own name, someone else's identity, and self-harm methods. Every
//! check reads the folded text (`fold`), so a trick that hides a word from
//! a person's eye hides it from none of these.
//!
//! Choices (docs/peer-support.md):
//! - **Contact details**: an email address (`x@y.z`, also `x at y dot z`),
//!   or a run of 10 or more digits allowing spaces, dashes, dots, brackets
//!   and a leading `+` (UK numbers have 10 or 11 digits; shorter numbers,
//!   "took 30 tablets", "back in 2019", are left alone).
//! - **Links**: `http://`, `https://`, `www.`, or a word ending in a common
//!   top-level domain (`example.com`, `bit.ly`). Refused unless the group
//!   allows links; a link the group allows is still shown as plain text.
//! - **Someone else's identity**: an `@mention` (members have no handles:
//!   an `@` names someone's account elsewhere), a title with a name (`Dr
//!   Patel`, `Mrs Smith`), or two or three capitalised words together that
//!   do not start a sentence (`I saw John Smith at ...`). This catches
//!   place names too ("New York"); a held post costs a moderator a look,
//!   a published name can cost someone their privacy.
//! - **Self-harm methods**: a short fixed list of means and ways
//!   ([`METHOD_WORDS`]), held for a moderator even when the lexicon finds
//!   no risk phrase, because safe-messaging guidance asks that methods are
//!   not described in a group.

use super::fold::{fold, fold_leet};

/// Words and phrases naming a means or way of self-harm or suicide,
/// matched as whole words in the folded text.
pub const METHOD_WORDS: &[&str] = &[
    "overdose",
    "overdosed",
    "od",
    "paracetamol",
    "co-codamol",
    "cocodamol",
    "codeine",
    "tramadol",
    "sertraline",
    "amitriptyline",
    "ligature",
    "noose",
    "hanging",
    "hang myself",
    "razor",
    "razors",
    "blade",
    "blades",
    "cut myself",
    "cutting myself",
    "burn myself",
    "bleach",
    "jump off",
    "jumping off",
    "train tracks",
    "carbon monoxide",
    "exhaust fumes",
    "lethal dose",
    "how many tablets",
    "how many pills",
];

const TLDS: &[&str] = &[
    "com", "org", "net", "uk", "io", "ly", "me", "co", "info", "biz", "app", "xyz", "gg",
];

const TITLES: &[&str] = &["dr", "mr", "mrs", "ms", "miss", "mx", "prof", "nurse"];

/// Capitalised words that are not names and often stand together.
const NOT_NAMES: &[&str] = &[
    "I",
    "I'm",
    "I've",
    "I'll",
    "I'd",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Christmas",
    "Easter",
    "NHS",
    "GP",
    "A",
    "And",
    "The",
    "But",
    "So",
    "OK",
    "Ok",
    "Hi",
    "Hello",
    "Thanks",
    "Thank",
    "You",
    "Happy",
    "New",
    "Year",
    "Mum",
    "Dad",
];

/// Whether `word` is in `text` as a whole word or phrase (both folded).
fn has_phrase(text: &str, phrase: &str) -> bool {
    let mut start = 0;
    while let Some(pos) = text[start..].find(phrase) {
        let at = start + pos;
        let end = at + phrase.len();
        let before = text[..at].chars().next_back();
        let after = text[end..].chars().next();
        if before.is_none_or(|c| !c.is_alphanumeric()) && after.is_none_or(|c| !c.is_alphanumeric())
        {
            return true;
        }
        start = at + phrase.chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// Whether the text holds an email address, also written out (`at`, `dot`).
pub fn has_email(text: &str) -> bool {
    let folded = fold(text);
    let spelled = folded
        .replace(" at ", "@")
        .replace("(at)", "@")
        .replace("[at]", "@")
        .replace(" dot ", ".")
        .replace("(dot)", ".")
        .replace("[dot]", ".");
    [folded, spelled].iter().any(|t| {
        t.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')'))
            .any(|word| {
                let word = word.trim_matches(|c: char| !c.is_alphanumeric());
                word.split_once('@').is_some_and(|(local, domain)| {
                    !local.is_empty()
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                })
            })
    })
}

/// Whether the text holds a phone number: 10 or more digits together,
/// allowing the separators people type in numbers.
pub fn has_phone(text: &str) -> bool {
    let folded = fold(text);
    let mut digits = 0;
    let mut gap = 0;
    for c in folded.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            gap = 0;
            if digits >= 10 {
                return true;
            }
        } else if matches!(c, ' ' | '-' | '.' | '(' | ')' | '+' | '/') && gap < 2 {
            gap += 1;
        } else {
            digits = 0;
            gap = 0;
        }
    }
    false
}

/// Whether the text holds a link.
pub fn has_link(text: &str) -> bool {
    let folded = fold(text);
    if folded.contains("http://") || folded.contains("https://") || folded.contains("www.") {
        return true;
    }
    folded.split_whitespace().any(|word| {
        let word = word.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '/');
        let host = word.split('/').next().unwrap_or("");
        let mut parts = host.rsplit('.');
        let tld = parts.next().unwrap_or("");
        let name = parts.next().unwrap_or("");
        !name.is_empty()
            && name.chars().all(|c| c.is_alphanumeric() || c == '-')
            && TLDS.contains(&tld)
    })
}

/// Whether the text names a self-harm method (see [`METHOD_WORDS`]).
pub fn has_method(text: &str) -> bool {
    let (plain, leet) = (fold(text), fold_leet(text));
    METHOD_WORDS
        .iter()
        .any(|w| has_phrase(&plain, w) || has_phrase(&leet, w))
}

/// Whether the text seems to name another person (see the module notes).
/// Read from the text as typed after NFKC only, because capitals matter.
pub fn names_someone(text: &str) -> bool {
    use unicode_normalization::UnicodeNormalization;
    let text: String = text.nfkc().collect();
    if text.split_whitespace().any(|w| {
        w.strip_prefix('@')
            .is_some_and(|rest| rest.chars().next().is_some_and(char::is_alphanumeric))
    }) {
        return true;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    for pair in words.windows(2) {
        let title = pair[0].trim_end_matches('.').to_lowercase();
        if TITLES.contains(&title.as_str()) && capitalised(pair[1]) {
            return true;
        }
    }
    // Two capitalised words together, the first not starting a sentence.
    for i in 1..words.len().saturating_sub(1) {
        let prev = words[i - 1];
        let sentence_start = prev.ends_with(['.', '!', '?', ':', '"']);
        if !sentence_start
            && capitalised(words[i])
            && capitalised(words[i + 1])
            && !prev.ends_with(',')
            && !words[i].ends_with([',', '.', '!', '?'])
        {
            return true;
        }
    }
    false
}

/// A word that starts with a capital followed by a small letter, and is
/// not a common capitalised word.
fn capitalised(word: &str) -> bool {
    let word = word.trim_matches(|c: char| !c.is_alphanumeric());
    let mut chars = word.chars();
    chars.next().is_some_and(char::is_uppercase)
        && chars.next().is_some_and(char::is_lowercase)
        && !NOT_NAMES.contains(&word)
}

/// Whether the folded text holds any of the person's own names (a given
/// or family name of at least 3 letters, or both together), as a word.
pub fn has_own_name(text: &str, names: &[&str]) -> bool {
    let (plain, leet) = (fold(text), fold_leet(text));
    let squashed: String = plain.chars().filter(|c| c.is_alphanumeric()).collect();
    names.iter().any(|name| {
        let name = fold(name);
        let name = name.trim();
        if name.chars().count() < 3 {
            return false;
        }
        let name_squashed: String = name.chars().filter(|c| c.is_alphanumeric()).collect();
        has_phrase(&plain, name)
            || has_phrase(&leet, name)
            || (name_squashed.chars().count() >= 6 && squashed.contains(&name_squashed))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_details() {
        assert!(has_email("mail me: jo.bloggs@example.com"));
        assert!(has_email("jo at example dot com"));
        assert!(has_email("ｊｏ＠ｅｘａｍｐｌｅ．ｃｏｍ"));
        assert!(!has_email("meet @ the cafe"));
        assert!(has_phone("call 07700 900123"));
        assert!(has_phone("+44 (0)7700-900-123"));
        assert!(has_phone("０７７００９００１２３"));
        assert!(!has_phone("I took 30 tablets back in 2019"));
    }

    #[test]
    fn links() {
        assert!(has_link("see https://example.org/x"));
        assert!(has_link("www.example.org"));
        assert!(has_link("try bit.ly/abc"));
        assert!(has_link("go to example.com."));
        assert!(!has_link("I felt fine. Then not."));
        assert!(!has_link("e.g. walking"));
    }

    #[test]
    fn methods() {
        assert!(has_method("I have been thinking about paracetamol"));
        assert!(has_method("how many pills would it take"));
        assert!(has_method("r4zor"));
        assert!(!has_method("an overdue library book"));
        assert!(!has_method("the bladed fan"));
    }

    #[test]
    fn other_people() {
        assert!(names_someone("thanks @sarah for this"));
        assert!(names_someone("my nurse Dr Patel said so"));
        assert!(names_someone("I saw John Smith at the shop"));
        assert!(!names_someone("I had a good day. Then it rained."));
        assert!(!names_someone("Thank you all. I feel better"));
        assert!(!names_someone("email me @ home"));
    }

    #[test]
    fn own_names() {
        let names = ["Jo", "Bloggs", "Jo Bloggs"];
        assert!(has_own_name("BloggsFan", &names));
        assert!(has_own_name("jo bloggs", &names));
        assert!(has_own_name("Bl0ggs", &names));
        assert!(!has_own_name("Hopeful", &names));
        // Two-letter names alone are too common to refuse ("jo" in "joy").
        assert!(!has_own_name("joy", &names));
        assert!(has_own_name("joBLOGGS99", &names));
    }
}
