//! How a person agreed to be contacted, and the one rule that decides, for
//! each message, which channel it may go by or why it may not be sent.
//!
//! The person is asked once, at referral ("How may we contact you?"), and
//! can change it on their account page. The answer is two consents (email,
//! text message) and which comes first when both are given. A message goes
//! by the first channel the person agreed to, that the service sends by and
//! for which there is an address (a UK mobile number for text messages);
//! when there is none, [`NotSent`] says why for each channel, so staff can
//! see it ("Not sent: no consent to SMS").

use crate::referral::{Channel, Details};

/// A person's contact consents and preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactChoice {
    /// They agreed to email.
    pub email: bool,
    /// They agreed to text messages.
    pub sms: bool,
    /// Which to try first when both are agreed.
    pub preferred: Channel,
}

impl ContactChoice {
    /// No consent to either channel.
    pub const NONE: ContactChoice = ContactChoice {
        email: false,
        sms: false,
        preferred: Channel::Email,
    };

    /// The answer as a referral holds it: its contact consents and channel.
    pub fn of_referral(d: &Details) -> ContactChoice {
        ContactChoice {
            email: d.consents.contact_email,
            sms: d.consents.contact_sms,
            preferred: d.preferred_channel.unwrap_or(Channel::Email),
        }
    }

    /// The form's single question: `email`, `sms`, `both` (email first) or
    /// `none`.
    pub fn from_form(value: &str) -> Option<ContactChoice> {
        let (email, sms, preferred) = match value {
            "email" => (true, false, Channel::Email),
            "sms" => (false, true, Channel::Sms),
            "both" => (true, true, Channel::Email),
            "both_sms" => (true, true, Channel::Sms),
            "none" => (false, false, Channel::Email),
            _ => return None,
        };
        Some(ContactChoice {
            email,
            sms,
            preferred,
        })
    }

    /// The form value for this choice (see [`ContactChoice::from_form`]).
    pub fn form_value(self) -> &'static str {
        match (self.email, self.sms, self.preferred) {
            (true, false, _) => "email",
            (false, true, _) => "sms",
            (true, true, Channel::Email) => "both",
            (true, true, Channel::Sms) => "both_sms",
            (false, false, _) => "none",
        }
    }

    /// Plain English, for the person and for staff.
    pub fn label(self) -> &'static str {
        match self.form_value() {
            "email" => "By email",
            "sms" => "By text message",
            "both" => "By email or text message (email first)",
            "both_sms" => "By text message or email (text first)",
            _ => "Not by email or text message",
        }
    }

    /// The channel a message goes by, or why it cannot be sent.
    pub fn route(self, reach: Reach) -> Result<Channel, NotSent> {
        let email = if !self.email {
            Err(Blocked::NoConsent)
        } else if !reach.service_email {
            Err(Blocked::ServiceOff)
        } else if !reach.email {
            Err(Blocked::NoAddress)
        } else {
            Ok(Channel::Email)
        };
        let sms = if !self.sms {
            Err(Blocked::NoConsent)
        } else if !reach.service_sms {
            Err(Blocked::ServiceOff)
        } else if !reach.mobile {
            Err(Blocked::NoAddress)
        } else {
            Ok(Channel::Sms)
        };
        let (first, second) = match self.preferred {
            Channel::Email => (email, sms),
            Channel::Sms => (sms, email),
        };
        match (first, second, email, sms) {
            (Ok(c), _, _, _) | (_, Ok(c), _, _) => Ok(c),
            (_, _, Err(email), Err(sms)) => Err(NotSent { email, sms }),
            // Unreachable: both results are errors here.
            (_, _, _, _) => Err(NotSent {
                email: Blocked::NoConsent,
                sms: Blocked::NoConsent,
            }),
        }
    }
}

/// What there is to reach a person with, and what the service sends by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    pub email: bool,
    /// A UK mobile number (text messages need one).
    pub mobile: bool,
    pub service_email: bool,
    pub service_sms: bool,
}

/// Why one channel could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    NoConsent,
    NoAddress,
    /// The service does not send by this channel (its settings).
    ServiceOff,
}

impl Blocked {
    fn code(self) -> &'static str {
        match self {
            Blocked::NoConsent => "no_consent",
            Blocked::NoAddress => "no_address",
            Blocked::ServiceOff => "service_off",
        }
    }

    fn parse(s: &str) -> Option<Blocked> {
        [Blocked::NoConsent, Blocked::NoAddress, Blocked::ServiceOff]
            .into_iter()
            .find(|b| b.code() == s)
    }
}

/// Why a message was not sent: the reason for each channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotSent {
    pub email: Blocked,
    pub sms: Blocked,
}

impl NotSent {
    /// The stored form, e.g. `email=no_consent;sms=no_address`.
    pub fn code(self) -> String {
        format!("email={};sms={}", self.email.code(), self.sms.code())
    }

    pub fn parse(code: &str) -> Option<NotSent> {
        let (e, s) = code.split_once(';')?;
        Some(NotSent {
            email: Blocked::parse(e.strip_prefix("email=")?)?,
            sms: Blocked::parse(s.strip_prefix("sms=")?)?,
        })
    }

    /// For staff: "Not sent: no consent to email or SMS".
    pub fn label(self) -> String {
        if self.email == Blocked::NoConsent && self.sms == Blocked::NoConsent {
            return "Not sent: no consent to email or SMS".into();
        }
        let one = |b: Blocked, name: &str, address: &str| match b {
            Blocked::NoConsent => format!("no consent to {name}"),
            Blocked::NoAddress => format!("no {address}"),
            Blocked::ServiceOff => format!("the service does not send {name}"),
        };
        format!(
            "Not sent: {}; {}",
            one(self.email, "email", "email address"),
            one(self.sms, "SMS", "UK mobile number")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Reach = Reach {
        email: true,
        mobile: true,
        service_email: true,
        service_sms: true,
    };

    #[test]
    fn nothing_goes_by_a_channel_the_person_did_not_agree_to() {
        for value in ["email", "sms", "both", "both_sms", "none"] {
            let c = ContactChoice::from_form(value).unwrap();
            assert_eq!(c.form_value(), value);
            for bits in 0..16u8 {
                let reach = Reach {
                    email: bits & 1 != 0,
                    mobile: bits & 2 != 0,
                    service_email: bits & 4 != 0,
                    service_sms: bits & 8 != 0,
                };
                match c.route(reach) {
                    Ok(Channel::Email) => assert!(c.email && reach.email && reach.service_email),
                    Ok(Channel::Sms) => assert!(c.sms && reach.mobile && reach.service_sms),
                    Err(n) => {
                        assert_eq!(NotSent::parse(&n.code()), Some(n));
                        assert!(n.label().starts_with("Not sent: "));
                    }
                }
            }
        }
        assert_eq!(ContactChoice::from_form("fax"), None);
    }

    #[test]
    fn the_preferred_channel_comes_first_and_the_other_is_the_fallback() {
        let both = ContactChoice::from_form("both").unwrap();
        assert_eq!(both.route(ALL), Ok(Channel::Email));
        let no_email = Reach {
            email: false,
            ..ALL
        };
        assert_eq!(both.route(no_email), Ok(Channel::Sms));
        let sms_first = ContactChoice::from_form("both_sms").unwrap();
        assert_eq!(sms_first.route(ALL), Ok(Channel::Sms));
        let sms_off = Reach {
            service_sms: false,
            ..ALL
        };
        assert_eq!(sms_first.route(sms_off), Ok(Channel::Email));
    }

    #[test]
    fn staff_are_told_why() {
        let none = ContactChoice::NONE.route(ALL).unwrap_err();
        assert_eq!(none.label(), "Not sent: no consent to email or SMS");
        let email_only = ContactChoice::from_form("email").unwrap();
        let n = email_only
            .route(Reach {
                email: false,
                ..ALL
            })
            .unwrap_err();
        assert_eq!(n.label(), "Not sent: no email address; no consent to SMS");
        let sms_only = ContactChoice::from_form("sms").unwrap();
        let n = sms_only
            .route(Reach {
                service_sms: false,
                ..ALL
            })
            .unwrap_err();
        assert_eq!(
            n.label(),
            "Not sent: no consent to email; the service does not send SMS"
        );
    }
}
