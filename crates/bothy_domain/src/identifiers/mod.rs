//! National identifiers for people, and the UK postcode, each validated on
//! construction ("parse, don't validate"):
//!
//! - [`NhsNumber`]: England, Wales and the Isle of Man, modulus 11.
//! - [`Chi`]: Scotland's Community Health Index number, a date of birth plus a
//!   check digit in either of the two forms NHS Scotland issues
//!   ([`ChiCheckForm`]).
//! - [`UkPostcode`]: a postcode in the standard format, normalised.
//!
//! Error messages are plain English, written to be shown next to the form
//! field; they say what is wrong and how to fix it, and never echo the input.
//! The check-digit rules are public ([`modulus11_check_digit`],
//! [`luhn_check_digit`]) so that tests and demonstration data can build valid
//! numbers instead of copying real people's.

mod chi;
mod nhs_number;
mod postcode;

#[cfg(test)]
mod tests;

pub use chi::{Chi, ChiCheckForm};
pub use nhs_number::NhsNumber;
pub use postcode::UkPostcode;

/// The modulus 11 check digit of the first nine digits of an NHS number (or
/// a CHI number of the original form), or `None` when no check digit exists
/// (the computed value is 10), in which case no valid number begins with
/// these nine digits.
///
/// Each digit is multiplied by a weight from 10 (first) down to 2 (ninth);
/// the check digit is 11 minus the remainder of the sum divided by 11, with
/// 11 written as 0. Source: NHS Data Dictionary, NHS NUMBER,
/// <https://www.datadictionary.nhs.uk/attributes/nhs_number.html>.
///
/// Every digit is in `0..=9`; larger values are a programming error and
/// give a meaningless (but never panicking) result.
pub fn modulus11_check_digit(first_nine: [u8; 9]) -> Option<u8> {
    let sum: u32 = first_nine
        .iter()
        .zip((2..=10u32).rev())
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        c => u8::try_from(c).ok(),
    }
}

/// The modulus 10 (Luhn) check digit of nine digits, as NHS Scotland uses for
/// CHI numbers issued once a date of birth's modulus 11 numbers ran out.
///
/// Starting from the ninth digit and moving left, every other digit (the
/// ninth, seventh, fifth, third and first) is doubled, and 9 is subtracted
/// from any doubled value above 9; the check digit is the amount that brings
/// the sum of all nine up to a multiple of 10. This is the standard Luhn
/// formula (ISO/IEC 7812-1, Annex B) applied to the first nine digits with
/// the check digit appended as the tenth. Sources: Public Health Scotland's
/// `phsmethods` R package, which implements NHS Scotland's announced
/// change (`chi_check`, file `R/chi_check.R`, and the discussion quoting the
/// CHI management board's decision in
/// <https://github.com/Public-Health-Scotland/phsmethods/issues/147> and
/// <https://github.com/Public-Health-Scotland/phsmethods/pull/149>).
pub fn luhn_check_digit(first_nine: [u8; 9]) -> u8 {
    let sum: u32 = first_nine
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i.is_multiple_of(2) {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    u8::try_from((10 - sum % 10) % 10).unwrap_or(0)
}

/// The digits of an identifier as typed, if it contains only digits and the
/// separators people use (spaces of any kind and dashes). `Err(())` when any
/// other character is present.
fn digits_of(input: &str) -> Result<Vec<u8>, ()> {
    let mut digits = Vec::with_capacity(10);
    for c in input.chars() {
        if let Some(d) = c.to_digit(10) {
            digits.push(d as u8);
        } else if !(c.is_whitespace() || c == '-') {
            return Err(());
        }
    }
    Ok(digits)
}

/// All ten digits the same (0000000000, 2222222222): never issued, but often
/// typed as a placeholder. Every such number passes modulus 11 (each weight
/// sum is 54 times the digit, and 54 = -1 modulo 11, so the check digit
/// equals the digit), so the check digit cannot catch them.
fn is_repeated(digits: &[u8; 10]) -> bool {
    digits.iter().all(|&d| d == digits[0])
}

fn first_nine(digits: &[u8; 10]) -> [u8; 9] {
    let mut nine = [0u8; 9];
    nine.copy_from_slice(&digits[..9]);
    nine
}

fn to_string(digits: &[u8; 10]) -> String {
    digits.iter().map(|&d| char::from(b'0' + d)).collect()
}
