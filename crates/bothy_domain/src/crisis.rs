//! Crisis contacts: versioned, reviewed content shown on every page.

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
}
