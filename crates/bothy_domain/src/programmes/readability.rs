//! A reading-age estimate for a page: the Flesch-Kincaid grade level
//! (Kincaid, Fishburne, Rogers and Chissom, 1975: 0.39 x words per sentence
//! plus 11.8 x syllables per word, minus 15.59) plus 5, the usual
//! conversion from a US school grade to a reading age in years. Syllables are counted by
//! vowel groups, which is close enough for a check that flags hard pages;
//! it is an estimate, not a test with readers.

/// Pages shorter than this are not judged: the formula is unstable on them.
pub const MIN_WORDS: usize = 40;

/// The estimated reading age of Markdown text, or None when too short.
pub fn reading_age(markdown: &str) -> Option<f64> {
    let text = plain(markdown);
    let mut words = 0usize;
    let mut syllables = 0usize;
    let mut sentences = 0usize;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut in_sentence = false;
        for token in line.split_whitespace() {
            let word: String = token.chars().filter(|c| c.is_alphabetic()).collect();
            if !word.is_empty() {
                words += 1;
                syllables += syllables_in(&word.to_lowercase());
                in_sentence = true;
            }
            if token.ends_with(['.', '!', '?', ':']) && in_sentence {
                sentences += 1;
                in_sentence = false;
            }
        }
        // A list item or heading without a full stop still ends a sentence.
        if in_sentence {
            sentences += 1;
        }
    }
    if words < MIN_WORDS || sentences == 0 {
        return None;
    }
    let grade =
        0.39 * words as f64 / sentences as f64 + 11.8 * syllables as f64 / words as f64 - 15.59;
    Some(grade + 5.0)
}

/// Markdown reduced to its words: link targets, emphasis and list
/// markers removed.
fn plain(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut rest = markdown;
    // `[text](target)` keeps only the text.
    while let Some(open) = rest.find("](") {
        let close = rest[open..].find(')').map(|c| open + c);
        let Some(close) = close else { break };
        out.push_str(&rest[..open]);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out.replace(['*', '[', '#'], "")
        .lines()
        .map(|l| {
            let t = l.trim_start();
            t.strip_prefix("- ")
                .or_else(|| {
                    let digits = t.chars().take_while(char::is_ascii_digit).count();
                    (digits > 0)
                        .then(|| t[digits..].strip_prefix(". "))
                        .flatten()
                })
                .unwrap_or(t)
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn syllables_in(word: &str) -> usize {
    let is_vowel = |c: char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u' | 'y');
    let mut count = 0;
    let mut previous = false;
    for c in word.chars() {
        let v = is_vowel(c);
        if v && !previous {
            count += 1;
        }
        previous = v;
    }
    // A silent final e ("time"), but not "-le" ("table").
    if word.len() > 2 && word.ends_with('e') && !word.ends_with("le") && count > 1 {
        count -= 1;
    }
    count.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_syllables_by_vowel_groups() {
        assert_eq!(syllables_in("cat"), 1);
        assert_eq!(syllables_in("time"), 1);
        assert_eq!(syllables_in("table"), 2);
        assert_eq!(syllables_in("anxiety"), 3);
        assert_eq!(syllables_in("behavioural"), 4);
    }

    #[test]
    fn plain_short_sentences_read_younger_than_long_technical_ones() {
        let easy = "You can do this. Take a slow breath. Let it out. Notice how you feel. \
                    It is fine to stop. Try again later. Small steps help a lot. \
                    Write down one thing you did today. Say well done to yourself. \
                    Tomorrow, do one more small thing.";
        let hard = "Cognitive behavioural therapy conceptualises psychological difficulties \
                    as maintained by interacting cognitive, physiological, emotional and \
                    behavioural processes, and therapeutic interventions systematically \
                    target dysfunctional appraisals, maladaptive safety behaviours and \
                    attentional biases that perpetuate distress across heterogeneous \
                    presentations of anxiety disorders in adult populations.";
        let e = reading_age(easy).unwrap();
        let h = reading_age(hard).unwrap();
        assert!(e < 9.0, "easy text reads at {e}");
        assert!(h > 18.0, "hard text reads at {h}");
    }

    #[test]
    fn link_targets_and_markup_are_not_read() {
        let text = "See [your plan](module:02-doing-more) for **more**. ".repeat(12);
        let age = reading_age(&text).unwrap();
        assert!(age < 8.0, "{age}");
        assert_eq!(reading_age("Too short to judge."), None);
    }
}
