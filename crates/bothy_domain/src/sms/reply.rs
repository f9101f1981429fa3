//! What a text message reply says: a keyword (STOP, START, HELP, MOOD) or a
//! number, read forgivingly (" 7", "7/10", "7 out of 10", "seven") but never
//! guessed: a reply with two numbers, a fraction or a number out of range is
//! not understood, so it can change nothing.

use crate::person::PhoneNumber;

/// A reply that is a command rather than an answer: the whole message is
/// the word, whatever its case or punctuation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// Stop all text messages to this number (and the words UK networks
    /// treat the same: STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT).
    Stop,
    /// Texts may start again.
    Start,
    /// How to reach the service and get urgent help.
    Help,
    /// The person asks for a mood check-in now.
    Mood,
}

/// The keyword `text` is, if the whole message is one. "Stop." is STOP;
/// "I can't stop crying" is not a keyword.
pub fn keyword(text: &str) -> Option<Keyword> {
    let word: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation())
        .flat_map(char::to_uppercase)
        .collect();
    match word.as_str() {
        "STOP" | "STOPALL" | "UNSUBSCRIBE" | "CANCEL" | "END" | "QUIT" => Some(Keyword::Stop),
        "START" | "UNSTOP" => Some(Keyword::Start),
        "HELP" | "INFO" => Some(Keyword::Help),
        "MOOD" | "CHECKIN" => Some(Keyword::Mood),
        _ => None,
    }
}

const WORDS: [&str; 11] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
];

/// The one whole number from `min` to `max` that `text` gives, if it gives
/// exactly one. A denominator equal to `max` ("7/10", "7 out of 10") is
/// not a second number.
pub fn parse_number(text: &str, min: i32, max: i32) -> Option<i32> {
    let mut lower = text.to_lowercase();
    while lower.contains(" /") || lower.contains("/ ") {
        lower = lower.replace(" /", "/").replace("/ ", "/");
    }
    // "7/10": the part after the slash must be the scale's top.
    let spaced: String = lower
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "/.,-".contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    let mut numbers = Vec::new();
    let mut tokens = spaced.split_whitespace().peekable();
    let mut previous: [&str; 2] = ["", ""];
    while let Some(raw) = tokens.next() {
        let token = raw.trim_end_matches(['.', ',']);
        let value = if let Some((n, d)) = token.split_once('/') {
            if value_of(d)? != max {
                return None;
            }
            value_of(n)?
        } else if token.contains(['.', ',']) {
            // 7.5 or 7,5: not a whole number.
            return None;
        } else if let Some(v) = value_of(token) {
            v
        } else {
            if token.chars().any(|c| c.is_ascii_digit()) {
                // "7am", "2nd": a number in a word is not an answer.
                return None;
            }
            previous = [previous[1], token];
            continue;
        };
        // "out of 10" names the scale.
        if previous == ["out", "of"] && value == max {
            previous = ["", ""];
            continue;
        }
        numbers.push(value);
        previous = ["", ""];
    }
    match numbers.as_slice() {
        [n] if (min..=max).contains(n) => Some(*n),
        _ => None,
    }
}

fn value_of(token: &str) -> Option<i32> {
    if !token.is_empty() && token.len() <= 3 && token.chars().all(|c| c.is_ascii_digit()) {
        return token.parse().ok();
    }
    WORDS.iter().position(|w| *w == token).map(|n| n as i32)
}

/// The sender's number as a gateway gives it: `+447700900123`,
/// `447700900123` or `07700900123`. None when it is not a phone number
/// (a short code, a name).
pub fn sender_number(raw: &str) -> Option<PhoneNumber> {
    let raw = raw.trim();
    if raw.len() > 20 {
        return None;
    }
    if raw.chars().all(|c| c.is_ascii_digit()) && raw.len() >= 11 && !raw.starts_with('0') {
        return PhoneNumber::parse(&format!("+{raw}")).ok();
    }
    PhoneNumber::parse(raw).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read_forgivingly() {
        for (text, n) in [
            ("7", 7),
            (" 7 ", 7),
            ("7/10", 7),
            ("7 / 10", 7),
            ("7 out of 10", 7),
            ("seven", 7),
            ("Seven.", 7),
            ("I'd say 7", 7),
            ("0", 0),
            ("10", 10),
            ("ten!", 10),
            ("about a 3 today", 3),
        ] {
            assert_eq!(parse_number(text, 0, 10), Some(n), "{text:?}");
        }
    }

    #[test]
    fn unclear_replies_are_not_guessed() {
        for text in [
            "", "ok", "7 or 8", "7.5", "11", "-1", "7/9", "7am", "2nd", "3 4", "seventy", "1000",
        ] {
            assert_eq!(parse_number(text, 0, 10), None, "{text:?}");
        }
        // PHQ-9 items are 0 to 3.
        assert_eq!(parse_number("2", 0, 3), Some(2));
        assert_eq!(parse_number("2/3", 0, 3), Some(2));
        assert_eq!(parse_number("4", 0, 3), None);
    }

    #[test]
    fn keywords_are_the_whole_message() {
        assert_eq!(keyword("STOP"), Some(Keyword::Stop));
        assert_eq!(keyword(" stop. "), Some(Keyword::Stop));
        assert_eq!(keyword("Unsubscribe"), Some(Keyword::Stop));
        assert_eq!(keyword("start"), Some(Keyword::Start));
        assert_eq!(keyword("Help?"), Some(Keyword::Help));
        assert_eq!(keyword("check in"), Some(Keyword::Mood));
        assert_eq!(keyword("I can't stop crying"), None);
        assert_eq!(keyword("7"), None);
    }

    #[test]
    fn gateway_numbers_are_normalised() {
        for raw in [
            "+447700900123",
            "447700900123",
            "07700900123",
            " 07700 900123",
        ] {
            assert_eq!(
                sender_number(raw).unwrap().as_str(),
                "+447700900123",
                "{raw}"
            );
        }
        assert_eq!(sender_number("60001"), None);
        assert_eq!(sender_number("Bank"), None);
    }
}
