//! UK postcodes.
//!
//! Format (Royal Mail; the rules are those of BS 7666 as summarised in the
//! Market Research Society's "Postcode format" note,
//! <https://www.mrs.org.uk/pdf/postcodeformat.pdf>): an outward code of 2 to
//! 4 characters in one of the shapes A9, A99, AA9, AA99, A9A, AA9A (A a
//! letter, 9 a digit), a space, and an inward code of a digit and two
//! letters. Letters Q, V and X are never first; I, J and Z are never second;
//! the inward letters are never C, I, K, M, O or V. The one exception to the
//! shapes, GIR 0AA, is accepted too.
//!
//! Deliberately not checked: the lists of letters allowed in the third
//! (A9A) and fourth (AA9A) positions, because Royal Mail has added codes
//! over time (for example N1C) and a rule stricter than the current
//! allocation would refuse a real address; and whether the postcode is
//! actually in use, which only an address file can tell. Not accepted: BFPO
//! numbers ("BFPO 123", which are not postcodes) and the non-standard codes
//! of the overseas territories (for example ASCN 1ZZ).

use crate::person::Invalid;
use std::fmt;

/// A UK postcode, normalised to capitals with one space before the inward
/// code: "EH1 1AA".
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct UkPostcode(String);

impl UkPostcode {
    /// From a postcode as typed: any case, with or without spaces.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if compact.is_empty() {
            return Err(Invalid("Enter a postcode"));
        }
        if compact.starts_with("BFPO") {
            return Err(Invalid(
                "Enter a UK postcode, like EH1 1AA: BFPO numbers cannot be used here",
            ));
        }
        if !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Invalid(
                "A postcode must contain only letters and numbers, like EH1 1AA",
            ));
        }
        if compact == "GIR0AA" {
            return Ok(Self("GIR 0AA".to_string()));
        }
        if is_outward(compact.as_bytes()) {
            return Err(Invalid(
                "Enter the full postcode, including the last 3 characters, like EH1 1AA",
            ));
        }
        let n = compact.len();
        if !(5..=7).contains(&n) {
            return Err(Invalid("Enter a full UK postcode, like EH1 1AA"));
        }
        let (outward, inward) = compact.split_at(n - 3);
        if !is_outward(outward.as_bytes()) || !is_inward(inward.as_bytes()) {
            return Err(Invalid("Enter a full UK postcode, like EH1 1AA"));
        }
        Ok(Self(format!("{outward} {inward}")))
    }

    /// The normalised postcode, "EH1 1AA".
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The outward code (the postcode district), "EH1": the part before the
    /// space, which says which delivery office serves the address.
    pub fn outward(&self) -> &str {
        self.0.split_once(' ').map_or(self.0.as_str(), |(o, _)| o)
    }

    /// The inward code, "1AA": the part after the space.
    pub fn inward(&self) -> &str {
        self.0.split_once(' ').map_or("", |(_, i)| i)
    }

    /// The postcode area, "EH": the letters the outward code starts with.
    pub fn area(&self) -> &str {
        let outward = self.outward();
        let letters = outward.bytes().take_while(u8::is_ascii_alphabetic).count();
        &outward[..letters]
    }
}

fn is_outward(s: &[u8]) -> bool {
    let letter = |c: &u8| c.is_ascii_uppercase();
    let digit = |c: &u8| c.is_ascii_digit();
    let first = |c: &u8| letter(c) && !b"QVX".contains(c);
    let second = |c: &u8| letter(c) && !b"IJZ".contains(c);
    match s {
        // A9, A99, A9A
        [a, n] => first(a) && digit(n),
        [a, n, x] if digit(n) => first(a) && (digit(x) || letter(x)),
        // AA9
        [a, b, n] => first(a) && second(b) && digit(n),
        // AA99, AA9A
        [a, b, n, x] => first(a) && second(b) && digit(n) && (digit(x) || letter(x)),
        _ => false,
    }
}

fn is_inward(s: &[u8]) -> bool {
    let letter = |c: &u8| c.is_ascii_uppercase() && !b"CIKMOV".contains(c);
    matches!(s, [n, a, b] if n.is_ascii_digit() && letter(a) && letter(b))
}

impl TryFrom<String> for UkPostcode {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}
impl From<UkPostcode> for String {
    fn from(p: UkPostcode) -> String {
        p.0
    }
}
impl std::str::FromStr for UkPostcode {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        Self::parse(s)
    }
}
impl fmt::Display for UkPostcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
