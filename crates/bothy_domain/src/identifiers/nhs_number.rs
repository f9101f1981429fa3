//! The NHS number of England, Wales and the Isle of Man.
//!
//! Rule: NHS Data Dictionary, attribute NHS NUMBER,
//! <https://www.datadictionary.nhs.uk/attributes/nhs_number.html> (same text
//! in the archived release,
//! <https://archive.datadictionary.nhs.uk/DD%20Release%20August%202021/attributes/nhs_number.html>):
//! 10 numeric digits, the tenth a modulus 11 check digit over the first nine
//! with weights 10 down to 2; a computed value of 11 is written 0, and a
//! computed value of 10 means the number is invalid and never issued.
//!
//! Because 11 is prime and every weight (including the check digit's
//! implicit weight of 1) is below 11 and distinct from its neighbour's, the
//! check digit catches every single mistyped digit and every swap of two
//! adjacent different digits.

use super::{digits_of, first_nine, is_repeated, modulus11_check_digit, to_string};
use crate::person::Invalid;
use std::fmt;

/// A valid NHS number: 10 digits whose last is the modulus 11 check digit
/// of the first nine, not the same digit repeated. Stored as the 10 digits
/// (`as_str`, serde, FHIR `identifier.value`); displayed in the 3-3-4 form
/// people read, "943 476 5919".
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct NhsNumber(String);

impl NhsNumber {
    /// The FHIR identifier system for NHS numbers.
    pub const FHIR_SYSTEM: &'static str = "https://fhir.nhs.uk/Id/nhs-number";

    /// From an NHS number as typed: spaces and dashes anywhere are ignored.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        if input.trim().is_empty() {
            return Err(Invalid("Enter an NHS number"));
        }
        let digits = digits_of(input).map_err(|()| {
            Invalid("An NHS number must contain only numbers, for example 999 123 4578")
        })?;
        let digits: [u8; 10] = match digits.len() {
            10 => digits
                .try_into()
                .map_err(|_| Invalid("Enter an NHS number"))?,
            n if n < 10 => {
                return Err(Invalid(
                    "An NHS number is 10 numbers long, and this has too few: check you have typed all of it",
                ));
            }
            _ => {
                return Err(Invalid(
                    "An NHS number is 10 numbers long, and this has too many: check you have typed it correctly",
                ));
            }
        };
        if is_repeated(&digits) {
            return Err(Invalid(
                "An NHS number is never the same number repeated: enter the NHS number from a letter or the NHS App",
            ));
        }
        match modulus11_check_digit(first_nine(&digits)) {
            None => Err(Invalid(
                "This is not a real NHS number: check you have typed it correctly",
            )),
            Some(check) if check != digits[9] => Err(Invalid(
                "This is not a valid NHS number: the last number does not match the others. Check you have typed it correctly",
            )),
            Some(_) => Ok(Self(to_string(&digits))),
        }
    }

    /// The valid NHS number starting with these nine digits, if there is one
    /// (none when the check digit would be 10, or all ten digits would be the
    /// same). For building test and demonstration numbers; each digit must be
    /// in `0..=9`.
    pub fn from_first_nine(first_nine: [u8; 9]) -> Option<Self> {
        if first_nine.iter().any(|&d| d > 9) {
            return None;
        }
        let check = modulus11_check_digit(first_nine)?;
        let mut digits = [0u8; 10];
        digits[..9].copy_from_slice(&first_nine);
        digits[9] = check;
        (!is_repeated(&digits)).then(|| Self(to_string(&digits)))
    }

    /// The 10 digits, without spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this number is in the range 999 000 0000 to 999 999 9999,
    /// which is used for test and demonstration data and never issued to a
    /// patient. Demonstration and test patients should only ever have
    /// numbers from this range.
    pub fn is_test_number(&self) -> bool {
        self.0.starts_with("999")
    }
}

impl TryFrom<String> for NhsNumber {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}
impl From<NhsNumber> for String {
    fn from(n: NhsNumber) -> String {
        n.0
    }
}
impl std::str::FromStr for NhsNumber {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::parse(s)
    }
}

/// The 3-3-4 form: "943 476 5919".
impl fmt::Display for NhsNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.0;
        write!(f, "{} {} {}", &s[..3], &s[3..6], &s[6..])
    }
}
