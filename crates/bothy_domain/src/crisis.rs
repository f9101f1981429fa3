//! Crisis contacts: versioned, reviewed content shown on every page.

use crate::time::Date;

/// Crisis contacts are reviewed at least this often: numbers and services
/// change, and a number that no longer answers fails someone at the worst
/// moment (hazard H12 in `docs/safety/hazard-log.toml`).
pub const REVIEW_EVERY_MONTHS: i64 = 12;

/// One way to get urgent help.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct CrisisContact {
    /// Who they are, e.g. "Samaritans".
    pub name: String,
    /// What to do, e.g. "Call 116 123".
    pub how: String,
    /// A `tel:` or `sms:` link target, e.g. "tel:116123".
    pub link: String,
    /// When to use it, in plain English.
    pub when: String,
}

/// The crisis contacts file: a version and review date so that a clinical
/// safety officer can see which reviewed text is live.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct CrisisContacts {
    pub version: String,
    pub reviewed: String,
    pub reviewed_by: String,
    pub heading: String,
    pub contacts: Vec<CrisisContact>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrisisContactsError {
    #[error("crisis contacts file is not valid TOML: {0}")]
    Syntax(String),
    #[error("crisis contacts file: {0}")]
    Content(String),
}

impl CrisisContacts {
    /// Parses and checks the file. A crisis panel with no contacts, or a link
    /// a phone cannot dial, would fail someone at the worst moment, so both
    /// are refused rather than shown.
    pub fn parse(toml_text: &str) -> Result<Self, CrisisContactsError> {
        let c: CrisisContacts =
            toml::from_str(toml_text).map_err(|e| CrisisContactsError::Syntax(e.to_string()))?;
        if c.contacts.is_empty() {
            return Err(CrisisContactsError::Content(
                "at least one contact is required".into(),
            ));
        }
        for (i, k) in c.contacts.iter().enumerate() {
            let n = i + 1;
            if k.name.trim().is_empty() || k.how.trim().is_empty() {
                return Err(CrisisContactsError::Content(format!(
                    "contact {n} needs a name and how to reach them"
                )));
            }
            let Some(number) = k
                .link
                .strip_prefix("tel:")
                .or_else(|| k.link.strip_prefix("sms:"))
            else {
                return Err(CrisisContactsError::Content(format!(
                    "contact {n}: link must start with tel: or sms:"
                )));
            };
            if number.is_empty() || !number.chars().all(|ch| ch.is_ascii_digit() || ch == '+') {
                return Err(CrisisContactsError::Content(format!(
                    "contact {n}: link must be digits only after tel: or sms:"
                )));
            }
        }
        Ok(c)
    }

    /// Why the contacts are due for review on `today`, if they are: the
    /// review date is not a date (YYYY-MM-DD), is after today, or is more
    /// than [`REVIEW_EVERY_MONTHS`] months before it.
    pub fn review_due(&self, today: Date) -> Option<String> {
        let Ok(on) = self.reviewed.trim().parse::<Date>() else {
            return Some(format!(
                "the review date {:?} is not a date like 2026-11-21",
                self.reviewed
            ));
        };
        if on > today {
            return Some(format!("the review date {on} is after today, {today}"));
        }
        let due = on
            .checked_add(jiff::Span::new().months(REVIEW_EVERY_MONTHS))
            .unwrap_or(Date::MAX);
        (today > due).then(|| {
            format!(
                "last reviewed on {on}, more than {REVIEW_EVERY_MONTHS} months ago: check every \
                 contact, then update version, reviewed and reviewed_by"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_empty_and_undiallable() {
        assert!(
            CrisisContacts::parse(
                "version='1'\nreviewed='x'\nreviewed_by='y'\nheading='h'\ncontacts=[]"
            )
            .is_err()
        );
        let bad = "version='1'\nreviewed='x'\nreviewed_by='y'\nheading='h'\n[[contacts]]\nname='A'\nhow='Call'\nlink='http://x'\nwhen='w'";
        assert!(CrisisContacts::parse(bad).is_err());
        assert!(CrisisContacts::parse("not toml [").is_err());
    }

    #[test]
    fn contacts_are_due_for_review_twelve_months_after_the_last() {
        let with = |reviewed: &str| {
            CrisisContacts::parse(&format!(
                "version='1'\nreviewed='{reviewed}'\nreviewed_by='y'\nheading='h'\n\
                 [[contacts]]\nname='A'\nhow='Call 999'\nlink='tel:999'\nwhen='w'"
            ))
            .unwrap()
        };
        let day = |s: &str| s.parse::<Date>().unwrap();
        let c = with("2026-11-21");
        assert_eq!(c.review_due(day("2026-11-21")), None);
        assert_eq!(
            c.review_due(day("2027-11-21")),
            None,
            "exactly a year is in time"
        );
        let late = c.review_due(day("2027-11-22")).unwrap();
        assert!(late.contains("last reviewed on 2026-11-21"), "{late}");
        let early = c.review_due(day("2026-11-20")).unwrap();
        assert!(early.contains("after today"), "{early}");
        let bad = with("last spring").review_due(day("2026-11-21")).unwrap();
        assert!(bad.contains("not a date"), "{bad}");
        let shipped = CrisisContacts::parse(include_str!("../../../content/crisis-contacts.toml"));
        assert!(
            shipped.unwrap().reviewed.parse::<Date>().is_ok(),
            "the shipped file's date"
        );
    }
}
