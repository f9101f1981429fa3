//! What free text people type may contain. Text is kept only if it shows as
//! it was typed: no control characters (line breaks and tabs only where text
//! has lines), no invisible format characters (Unicode general category Cf:
//! a right-to-left override can make a name read backwards, a zero-width
//! space makes two names look alike), and no code points that are private
//! use or not assigned (nothing can show them, and their meaning may change).
//!
//! Format characters that are part of writing are kept: a zero-width joiner
//! or non-joiner between two visible characters (Persian, Indic scripts,
//! emoji sequences) and the tag characters of an emoji flag such as
//! Scotland's. Categories come from the Unicode tables of `unicode-properties`.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Whether the text is one line (a name) or may have several (a note).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// Why text cannot be kept as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// A control character, or a line break in one-line text.
    Control,
    /// An invisible format character (category Cf).
    Invisible,
    /// A private-use or unassigned code point.
    Unassigned,
}

impl Unusable {
    /// A message for the person, about `what` ("Name", "Your note"), that
    /// never quotes the text itself.
    pub fn message(self, what: &str, lines: Lines) -> String {
        match (self, lines) {
            (Unusable::Control, Lines::One) => {
                format!("{what} must be on one line, without control characters")
            }
            (Unusable::Control, Lines::Many) => {
                format!("{what} must not contain control characters")
            }
            (Unusable::Invisible, _) => format!(
                "{what} contains an invisible formatting character (such as a zero-width \
                 space or a right-to-left mark): delete it, or type the text again rather \
                 than pasting it"
            ),
            (Unusable::Unassigned, _) => format!(
                "{what} contains a character that is not a letter, number or symbol we can \
                 show (a private-use or unassigned character): delete it, or type the text \
                 again"
            ),
        }
    }
}

const ZWNJ: char = '\u{200C}';
const ZWJ: char = '\u{200D}';
const BLACK_FLAG: char = '\u{1F3F4}';
const TAGS: std::ops::RangeInclusive<char> = '\u{E0020}'..='\u{E007F}';

fn visible(c: Option<char>) -> bool {
    c.is_some_and(|c| {
        !c.is_whitespace()
            && !matches!(
                c.general_category(),
                GeneralCategory::Control | GeneralCategory::Format
            )
    })
}

/// The first reason `s` cannot be kept, if any.
pub fn check(s: &str, lines: Lines) -> Result<(), Unusable> {
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        match c.general_category() {
            GeneralCategory::Control => {
                let break_or_tab = matches!(c, '\n' | '\r' | '\t');
                if !(lines == Lines::Many && break_or_tab) {
                    return Err(Unusable::Control);
                }
            }
            GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator
                if lines == Lines::One =>
            {
                return Err(Unusable::Control);
            }
            GeneralCategory::Format => {
                let joins = (c == ZWJ || c == ZWNJ) && visible(before) && visible(after);
                let flag = TAGS.contains(&c)
                    && before.is_some_and(|b| b == BLACK_FLAG || TAGS.contains(&b));
                if !(joins || flag) {
                    return Err(Unusable::Invisible);
                }
            }
            GeneralCategory::PrivateUse
            | GeneralCategory::Unassigned
            | GeneralCategory::Surrogate => return Err(Unusable::Unassigned),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_breaks_and_tabs_only_where_text_has_lines() {
        assert_eq!(check("a\nb\tc\r\n", Lines::Many), Ok(()));
        for one in ["a\nb", "a\tb", "a\u{2028}b", "a\u{2029}b"] {
            assert_eq!(check(one, Lines::One), Err(Unusable::Control), "{one:?}");
        }
        assert_eq!(check("a\u{0}b", Lines::Many), Err(Unusable::Control));
        assert_eq!(check("a\u{1b}[31m", Lines::Many), Err(Unusable::Control));
        assert_eq!(check("a\u{85}b", Lines::Many), Err(Unusable::Control));
    }

    #[test]
    fn format_characters_only_inside_writing() {
        for bad in [
            "\u{202E}abc",
            "a\u{200B}b",
            "a\u{200E}b",
            "a\u{2060}b",
            "\u{FEFF}",
            "a\u{E0041}",
            "\u{200D}a",
            "a\u{200C}",
            "a \u{200D}b",
            "\u{0600}12",
        ] {
            assert_eq!(check(bad, Lines::Many), Err(Unusable::Invisible), "{bad:?}");
        }
        for good in [
            "می\u{200C}خواهم",
            "👩\u{200D}💻",
            "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}",
            "❤\u{FE0F}",
            "e\u{301}",
        ] {
            assert_eq!(check(good, Lines::One), Ok(()), "{good:?}");
        }
    }

    #[test]
    fn private_use_and_unassigned_are_refused() {
        for bad in ["\u{E000}", "\u{F8FF}", "\u{F0000}", "\u{0378}", "\u{FFFF}"] {
            assert_eq!(
                check(bad, Lines::Many),
                Err(Unusable::Unassigned),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn messages_name_the_field_and_never_quote_the_text() {
        let m = Unusable::Invisible.message("Your note", Lines::Many);
        assert!(m.starts_with("Your note contains an invisible formatting character"));
        assert!(
            Unusable::Control
                .message("Name", Lines::One)
                .contains("one line")
        );
    }
}
