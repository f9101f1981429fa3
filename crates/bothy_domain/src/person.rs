//! Values about people, each validated on construction ("parse, don't
//! validate"): once a `PhoneNumber` exists it is a valid UK or international
//! number, so no later code checks again. Error messages are plain English,
//! written to be shown next to the form field, and never echo the input.

use crate::text::{self, Lines, Unusable};
use crate::time::Date;
use std::fmt;

/// Why a value was refused: a message written for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub &'static str);

/// A name as the person writes it. Names are not split into "first" and
/// "last" rules: people have one name, several, hyphens, apostrophes and
/// letters from any script, so we only bound the length and refuse what
/// would not show as typed (see [`crate::text`]) and markup-only input.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Invalid("Enter a name"));
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(Invalid("Name must be 100 characters or fewer"));
        }
        match text::check(s, Lines::One) {
            Ok(()) => {}
            Err(Unusable::Control) => {
                return Err(Invalid(
                    "Name must not contain line breaks or control characters",
                ));
            }
            Err(Unusable::Invisible) => {
                return Err(Invalid(
                    "Name contains an invisible formatting character (such as a zero-width \
                     space or a right-to-left mark): delete it, or type the name again rather \
                     than pasting it",
                ));
            }
            Err(Unusable::Unassigned) => {
                return Err(Invalid(
                    "Name contains a character that is not a letter or symbol we can show (a \
                     private-use or unassigned character): delete it, or type the name again",
                ));
            }
        }
        if !s.chars().any(char::is_alphabetic) {
            return Err(Invalid("Name must contain at least one letter"));
        }
        Ok(Self(s.split_whitespace().collect::<Vec<_>>().join(" ")))
    }

    /// A name read back from storage: trusted as it was checked when
    /// stored (a name stored before a rule was added stays readable).
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PersonName {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}
impl From<PersonName> for String {
    fn from(n: PersonName) -> String {
        n.0
    }
}
impl fmt::Display for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A date of birth: a real calendar date, not in the future, and not more
/// than 120 years ago. Needs today's date because the domain never reads the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateOfBirth(Date);

impl DateOfBirth {
    pub fn parse(input: &str, today: Date) -> Result<Self, Invalid> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Invalid("Enter a date of birth"));
        }
        let date: Date = s.parse().map_err(|_| {
            Invalid("Enter a date of birth as year-month-day, for example 1990-03-27")
        })?;
        Self::new(date, today)
    }

    /// From day, month and year as typed into three boxes.
    pub fn from_parts(day: &str, month: &str, year: &str, today: Date) -> Result<Self, Invalid> {
        let num = |s: &str| s.trim().parse::<i16>().ok();
        let (Some(d), Some(m), Some(y)) = (num(day), num(month), num(year)) else {
            return Err(Invalid(
                "Enter a date of birth with a day, month and year in numbers",
            ));
        };
        if !(1000..=9999).contains(&y) {
            return Err(Invalid("Year must have 4 numbers, for example 1990"));
        }
        let (Ok(m), Ok(d)) = (i8::try_from(m), i8::try_from(d)) else {
            return Err(Invalid("Date of birth must be a real date"));
        };
        let date = Date::new(y, m, d).map_err(|_| Invalid("Date of birth must be a real date"))?;
        Self::new(date, today)
    }

    pub fn new(date: Date, today: Date) -> Result<Self, Invalid> {
        if date > today {
            return Err(Invalid("Date of birth must be in the past"));
        }
        let oldest = today.saturating_sub(jiff::Span::new().years(120));
        if date < oldest {
            return Err(Invalid("Date of birth must be within the last 120 years"));
        }
        Ok(Self(date))
    }

    /// For values already validated and stored; the store's own data is trusted.
    pub fn from_stored(date: Date) -> Self {
        Self(date)
    }

    pub fn date(&self) -> Date {
        self.0
    }

    /// Age in whole years on `today`.
    pub fn age_on(&self, today: Date) -> i16 {
        let mut age = today.year() - self.0.year();
        if (today.month(), today.day()) < (self.0.month(), self.0.day()) {
            age -= 1;
        }
        age
    }
}

impl fmt::Display for DateOfBirth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An email address, stored lower-cased so that one mailbox is one account.
/// Deliberately permissive (RFC 5322 allows far more than forms can check);
/// the real test is that a message arrives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Invalid("Enter an email address"));
        }
        if s.len() > 254 {
            return Err(Invalid("Email address must be 254 characters or fewer"));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(Invalid(
                "Enter an email address in the correct format, like name@example.com",
            ));
        };
        let bad_char = |c: char| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c);
        if text::check(s, Lines::One).is_err() {
            return Err(Invalid(
                "Email address contains a character that cannot be used: type it again rather \
                 than pasting it",
            ));
        }
        if local.is_empty()
            || local.len() > 64
            || local.chars().any(bad_char)
            || local.contains('@')
            || domain.len() < 3
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || domain
                .chars()
                .any(|c| !(c.is_alphanumeric() || c == '-' || c == '.'))
        {
            return Err(Invalid(
                "Enter an email address in the correct format, like name@example.com",
            ));
        }
        Ok(Self(s.to_lowercase()))
    }

    /// An address read back from storage, trusted as checked when stored.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}
impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}
impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number normalised to E.164 (`+447700900123`). UK numbers may be
/// typed in national form (`07700 900123`); others need their `+` country code.
/// Rules: ITU-T E.164 (at most 15 digits); UK numbers are 10 digits after the
/// trunk 0 (Ofcom National Telephone Numbering Plan).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let s = input.trim();
        if s.is_empty() {
            return Err(Invalid("Enter a phone number"));
        }
        if s.chars()
            .any(|c| !(c.is_ascii_digit() || " +-()".contains(c)))
        {
            return Err(Invalid(
                "Phone number must contain only numbers, spaces, brackets, dashes and a leading +",
            ));
        }
        if s.chars().skip(1).any(|c| c == '+') {
            return Err(Invalid("Phone number can only have a + at the start"));
        }
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        let e164 = if s.starts_with('+') {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_string()
        } else if let Some(national) = digits.strip_prefix('0') {
            if national.len() != 10 {
                return Err(Invalid(
                    "UK phone numbers have 11 numbers, like 07700 900123",
                ));
            }
            format!("44{national}")
        } else {
            return Err(Invalid(
                "Enter a UK number starting with 0, or an international number starting with +",
            ));
        };
        if let Some(national) = e164.strip_prefix("44")
            && (national.len() != 10 || national.starts_with('0'))
        {
            return Err(Invalid(
                "UK phone numbers have 11 numbers, like 07700 900123",
            ));
        }
        if !(8..=15).contains(&e164.len()) || e164.starts_with('0') {
            return Err(Invalid(
                "Enter a phone number with its country code, like +44 7700 900123",
            ));
        }
        Ok(Self(format!("+{e164}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A UK mobile (07...), the only numbers that can receive SMS here.
    pub fn is_uk_mobile(&self) -> bool {
        self.0.starts_with("+447")
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = Invalid;
    fn try_from(s: String) -> Result<Self, Invalid> {
        Self::parse(&s)
    }
}
impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> String {
        p.0
    }
}
impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password as chosen by a person. Follows NCSC guidance: length over
/// complexity rules, at least 10 characters, at most 128 (so hashing cost is
/// bounded), and not one of the most common passwords.
pub struct NewPassword(String);

impl NewPassword {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let n = input.chars().count();
        if n < Self::MIN_CHARS {
            return Err(Invalid("Password must be at least 10 characters long"));
        }
        if n > Self::MAX_CHARS {
            return Err(Invalid("Password must be 128 characters or fewer"));
        }
        const COMMON: [&str; 8] = [
            "password123",
            "password1234",
            "1234567890",
            "qwertyuiop",
            "iloveyou12",
            "passw0rd12",
            "letmein123",
            "welcome123",
        ];
        if COMMON.contains(&input.to_lowercase().as_str())
            || input.chars().all(|c| input.starts_with(c))
        {
            return Err(Invalid("Choose a password that is harder to guess"));
        }
        Ok(Self(input.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

#[cfg(test)]
mod tests;
