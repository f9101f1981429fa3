//! The GSM 03.38 7-bit alphabet that every phone can show, and how many
//! SMS segments a text needs. Text outside it makes a whole message go as
//! UCS-2 (70 characters a segment, not 160) or shows as boxes on a basic
//! phone, so every SMS Bothy sends is checked against it.

/// The basic character set (the escape character left out).
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The extension table: each takes two septets (escape and the character).
const EXTENSION: &str = "^{}\\[~]|€";

/// Septets in one single-segment message.
pub const SINGLE: usize = 160;
/// Septets per segment of a concatenated message (7 go to its header).
pub const PART: usize = 153;

/// How many septets `c` takes, or None outside the alphabet.
fn septets_of(c: char) -> Option<usize> {
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The septets `text` takes, or None if any character is outside GSM-7
/// (including every invisible or format character).
pub fn septets(text: &str) -> Option<usize> {
    text.chars().map(septets_of).sum()
}

/// Whether `text` is entirely GSM-7.
pub fn is_gsm7(text: &str) -> bool {
    septets(text).is_some()
}

/// The segments a GSM-7 text of `septets` needs.
pub fn segments(septets: usize) -> usize {
    if septets <= SINGLE {
        1
    } else {
        septets.div_ceil(PART)
    }
}

/// `text` made GSM-7: common accented letters and typographic marks folded
/// to plain ones, anything else (emoji, invisible characters) dropped. For
/// names a deployment chose (a service's name), not for message text, which
/// is GSM-7 already.
pub fn fold(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            if septets_of(c) == Some(1) {
                return Some(c);
            }
            Some(match c {
                'á' | 'â' | 'ã' | 'ā' => 'a',
                'Á' | 'Â' | 'À' | 'Ã' | 'Ā' => 'A',
                'ê' | 'ë' | 'ē' => 'e',
                'È' | 'Ê' | 'Ë' | 'Ē' => 'E',
                'í' | 'î' | 'ï' | 'ī' => 'i',
                'Í' | 'Ì' | 'Î' | 'Ï' | 'Ī' => 'I',
                'ó' | 'ô' | 'õ' | 'ō' => 'o',
                'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ō' => 'O',
                'ú' | 'û' | 'ū' => 'u',
                'Ú' | 'Ù' | 'Û' | 'Ū' => 'U',
                'ç' => 'c',
                'ý' | 'ÿ' | 'ŷ' => 'y',
                'ŵ' => 'w',
                '‘' | '’' | '`' => '\'',
                '“' | '”' => '"',
                '–' | '—' => '-',
                '\t' => ' ',
                _ => return None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_septets_and_segments() {
        assert_eq!(septets("Hello"), Some(5));
        assert_eq!(septets("£5 [x]"), Some(8));
        assert_eq!(septets("a\u{200b}b"), None, "zero-width space");
        assert_eq!(septets("caf\u{e9}"), Some(4));
        assert_eq!(septets("emoji 🙂"), None);
        assert_eq!(septets("`"), None);
        assert_eq!(segments(0), 1);
        assert_eq!(segments(160), 1);
        assert_eq!(segments(161), 2);
        assert_eq!(segments(306), 2);
        assert_eq!(segments(307), 3);
    }

    #[test]
    fn folding_leaves_only_gsm7() {
        let folded = fold("Seirbheis Slàinte Inntinn – Ynys Môn\u{200d} 🙂 “quoted”");
        assert!(is_gsm7(&folded), "{folded}");
        assert_eq!(folded, "Seirbheis Slàinte Inntinn - Ynys Mon  \"quoted\"");
    }
}
