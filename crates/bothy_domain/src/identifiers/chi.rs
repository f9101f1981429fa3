//! Scotland's Community Health Index (CHI) number.
//!
//! Ten digits: the date of birth as DDMMYY, two further digits, a ninth digit
//! that is even for females and odd for males, and a check digit. Source:
//! NHS Scotland's data dictionary, "Community Health Index Number",
//! <https://www.ndc.scot.nhs.uk/Data-Dictionary/SMR-Datasets//Patient-Identification-and-Demographic-Information/Community-Health-Index-Number/>.
//!
//! The check digit takes one of two forms ([`ChiCheckForm`]). Originally it
//! was always modulus 11, computed exactly as for the NHS number. Where the
//! modulus 11 numbers for a date of birth have all been issued, NHS Scotland
//! now issues numbers whose check digit is modulus 10 (Luhn) instead; the CHI
//! management board approved this in 2025, and Public Health Scotland's own
//! `phsmethods` package accepts a number that passes either check
//! (<https://github.com/Public-Health-Scotland/phsmethods/issues/147>,
//! <https://github.com/Public-Health-Scotland/phsmethods/pull/149>, function
//! `chi_check` in `R/chi_check.R`). That package defines the Luhn form over
//! the first nine digits, doubling the ninth, seventh, fifth, third and first
//! (the standard Luhn formula with the tenth digit as its check digit), which
//! [`super::luhn_check_digit`] implements. We have not found NHS Scotland's
//! own published specification of the Luhn form; if it ever differs from
//! Public Health Scotland's implementation, only `luhn_check_digit` changes.
//!
//! Accepting either form weakens error detection: a mistyped digit in a
//! modulus 11 number is always caught by modulus 11, but the mistyped number
//! then passes the Luhn check about one time in ten (and the other way
//! round). Mistakes in the first six digits are also caught, often, by the
//! date check. Where a date of birth is known as well, compare it with
//! [`Chi::matches_date_of_birth`].

use super::{
    digits_of, first_nine, is_repeated, luhn_check_digit, modulus11_check_digit, to_string,
};
use crate::person::Invalid;
use crate::time::Date;
use std::fmt;
use std::hash::{Hash, Hasher};

/// Which check digit a CHI number carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChiCheckForm {
    /// The original form: modulus 11 with weights 10 down to 2, as for the
    /// NHS number.
    Modulus11,
    /// The newer form for dates of birth whose modulus 11 numbers ran out:
    /// modulus 10, the Luhn formula.
    Luhn,
}

impl ChiCheckForm {
    /// Whether ten digits carry a correct check digit of this form.
    pub fn is_satisfied_by(self, digits: &[u8; 10]) -> bool {
        let nine = first_nine(digits);
        match self {
            Self::Modulus11 => modulus11_check_digit(nine) == Some(digits[9]),
            Self::Luhn => luhn_check_digit(nine) == digits[9],
        }
    }
}

/// A valid CHI number: 10 digits whose first six are a real, plausible date
/// of birth and whose last is a correct check digit of either form, not the
/// same digit repeated.
///
/// A CHI number holds only a two-digit year, so the century is inferred: the
/// date of birth is the latest date with this day, month and two-digit year
/// that is not after `today` (on 21 November 2026, "01 12 26" is 1 December
/// 1926 and "01 11 26" is 1 November 2026). The inferred age is therefore
/// under 100 (100 only for a birthday on 29 February of a century year), so
/// the date of birth is never in the future nor implausibly old; but someone
/// aged 100 or more has a CHI number that reads as a child's. Where the real date of birth is known, use
/// [`Chi::matches_date_of_birth`], which compares only what the number holds.
///
/// Two `Chi` values are equal when their digits are.
#[derive(Debug, Clone)]
pub struct Chi {
    digits: String,
    date_of_birth: Date,
    female: bool,
    form: ChiCheckForm,
}

/// The oldest plausible age, in years. Century inference already keeps
/// every inferred age at or under 100; this guards the rule if inference changes.
const OLDEST: i64 = 120;

impl Chi {
    /// From a CHI number as typed (spaces and dashes anywhere are ignored).
    /// `today` is the UK date, used to infer the century of the date of
    /// birth.
    pub fn parse(input: &str, today: Date) -> Result<Self, Invalid> {
        if input.trim().is_empty() {
            return Err(Invalid("Enter a CHI number"));
        }
        let digits =
            digits_of(input).map_err(|()| Invalid("A CHI number must contain only numbers"))?;
        let digits: [u8; 10] = match digits.len() {
            10 => digits
                .try_into()
                .map_err(|_| Invalid("Enter a CHI number"))?,
            n if n < 10 => {
                return Err(Invalid(
                    "A CHI number is 10 numbers long, and this has too few: check you have typed all of it, including any 0 at the start",
                ));
            }
            _ => {
                return Err(Invalid(
                    "A CHI number is 10 numbers long, and this has too many: check you have typed it correctly",
                ));
            }
        };
        if is_repeated(&digits) {
            return Err(Invalid(
                "A CHI number is never the same number repeated: enter the CHI number from a letter from your GP or hospital",
            ));
        }
        let two = |i: usize| digits[i] * 10 + digits[i + 1];
        let date_of_birth = infer_date_of_birth(two(0), two(2), two(4), today).ok_or(Invalid(
            "The first 6 numbers of a CHI number are the date of birth (DDMMYY), and these are not a real date: check you have typed it correctly",
        ))?;
        if date_of_birth < today.saturating_sub(jiff::Span::new().years(OLDEST)) {
            return Err(Invalid(
                "The first 6 numbers of a CHI number are the date of birth (DDMMYY), and this date is too long ago: check you have typed it correctly",
            ));
        }
        let form = if ChiCheckForm::Modulus11.is_satisfied_by(&digits) {
            ChiCheckForm::Modulus11
        } else if ChiCheckForm::Luhn.is_satisfied_by(&digits) {
            ChiCheckForm::Luhn
        } else {
            return Err(Invalid(
                "This is not a valid CHI number: the last number does not match the others. Check you have typed it correctly",
            ));
        };
        Ok(Self {
            digits: to_string(&digits),
            date_of_birth,
            female: digits[8].is_multiple_of(2),
            form,
        })
    }

    /// The 10 digits, without spaces.
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    /// The date of birth the number holds, with the century inferred (see
    /// the type's documentation).
    pub fn date_of_birth(&self) -> Date {
        self.date_of_birth
    }

    /// Whether the ninth digit is even, which the CHI uses for females (odd
    /// for males). This is the sex recorded when the number was issued.
    pub fn sex_digit_is_female(&self) -> bool {
        self.female
    }

    /// Which check digit the number carries. A number that satisfies both
    /// forms (about one in ten do) is reported as `Modulus11`, the original.
    pub fn check_form(&self) -> ChiCheckForm {
        self.form
    }

    /// Whether `dob` has the day, month and two-digit year this number
    /// begins with. Unlike comparing with [`Chi::date_of_birth`], this does
    /// not depend on the inferred century, so it is right for people aged
    /// 100 or more.
    pub fn matches_date_of_birth(&self, dob: Date) -> bool {
        let d = self.digits.as_bytes();
        let two = |i: usize| i16::from(d[i] - b'0') * 10 + i16::from(d[i + 1] - b'0');
        i16::from(dob.day()) == two(0)
            && i16::from(dob.month()) == two(2)
            && dob.year().rem_euclid(100) == two(4)
    }
}

/// The latest real date with this day, month and two-digit year that is
/// not after `today`. The previous century is tried when the date is after
/// `today` in this one, or does not exist in it (29 February in a century
/// year that is not a leap year, such as 2100).
fn infer_date_of_birth(day: u8, month: u8, yy: u8, today: Date) -> Option<Date> {
    let (Ok(day), Ok(month)) = (i8::try_from(day), i8::try_from(month)) else {
        return None;
    };
    let century = today.year() - today.year().rem_euclid(100);
    (0..2)
        .filter_map(|back| Date::new(century - 100 * back + i16::from(yy), month, day).ok())
        .find(|d| *d <= today)
}

impl PartialEq for Chi {
    fn eq(&self, other: &Self) -> bool {
        self.digits == other.digits
    }
}
impl Eq for Chi {}
impl Hash for Chi {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.digits.hash(state);
    }
}

impl serde::Serialize for Chi {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.digits)
    }
}

/// The 10 digits, as CHI numbers are usually written.
impl fmt::Display for Chi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.digits)
    }
}
