//! A service's monitoring settings: its opening hours, its deadline for each
//! alert severity, and its detectors' configuration, read from one TOML file
//! and validated together so that start-up can refuse a file that makes no
//! sense, naming the file and the field.
//!
//! ```toml
//! [opening_hours]
//! time_zone = "Europe/London"
//! weekly = [{ day = "monday", start = "09:00", end = "17:00" }]
//! closed_dates = ["2026-12-25"]
//!
//! [deadlines.high]
//! rule = "working_hours"
//! hours = 2
//!
//! [detectors.disengagement]
//! days = 21
//!
//! [escalation]
//! duty_email = "duty-team@example.org"
//! duty_phone = "07700900123"
//!
//! [screening]
//! instruments = ["core10"]
//!
//! [reviews]
//! every_days = 14
//!
//! [messages]
//! channels = ["email", "sms"]
//! contact = "0131 496 0000"
//! quiet_hours = ["21:00", "08:00"]
//! max_per_hour = 3
//! max_per_day = 10
//!
//! [video]
//! provider = "jitsi"
//! base_url = "https://meet.example.nhs.uk"
//! app_id = "bothy"
//! ```
//!
//! `video` is the service's video provider for appointments: a self-hosted
//! Jitsi Meet or a fixed waiting-area address (`appointments::video`);
//! without it, video appointments cannot be booked.
//!
//! `screening.instruments` are the measures a referral to the service asks
//! (self-referral form, professional referral, FHIR ServiceRequest), in
//! order; PHQ-9 and GAD-7 unless a file says otherwise.
//!
//! `reviews.every_days` is how often a supporter reviews each programme
//! enrolment (1 to 90 days; 14 unless a file says otherwise): the first
//! review is due that long after enrolment, each next one that long after
//! the review before.
//!
//! `messages.channels` are the channels the service sends by (both unless a
//! file says otherwise); a person is reached by the first of their agreed
//! channels that is in this list. `messages.contact` is how to reach the
//! service, printed in every message (a phone number or a short address, at
//! most 60 characters of the SMS alphabet); without it messages give the
//! deployment's address. Reminders (a questionnaire due, new feedback, a new
//! message) are not sent in `messages.quiet_hours` (local time in the opening
//! hours' time zone), nor more than `max_per_hour` and `max_per_day` to one
//! address: they wait (`crate::pacing`).
//!
//! An overdue alert is escalated to every clinical lead of the service by
//! email and, as the second channel, to the duty phone by text message (or,
//! without one, to the duty email address).
//!
//! Every section is optional; what a file leaves out keeps its default
//! ([`OpeningHoursConfig::default`], [`DeadlinePolicy::default`],
//! [`DetectorConfig::default`]).

use crate::alerts::{DeadlinePolicy, OpeningHours, OpeningHoursConfig, Severity, deadline};
use crate::detectors::{DetectorConfig, Lexicon};
use crate::instruments::ContentError;
use crate::person::{Email, PhoneNumber};
use crate::time::Timestamp;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct MonitoringFile {
    opening_hours: OpeningHoursConfig,
    deadlines: DeadlinePolicy,
    detectors: DetectorConfig,
    escalation: EscalationFile,
    screening: ScreeningFile,
    reviews: ReviewsFile,
    messages: MessagesFile,
    video: crate::appointments::video::VideoFile,
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct MessagesFile {
    channels: Vec<String>,
    contact: Option<String>,
    /// `["21:00", "08:00"]`: no reminder from the first until the second;
    /// `[]`: none held back.
    quiet_hours: Vec<String>,
    max_per_hour: u32,
    max_per_day: u32,
}

impl Default for MessagesFile {
    fn default() -> Self {
        Self {
            channels: vec!["email".into(), "sms".into()],
            contact: None,
            quiet_hours: vec!["21:00".into(), "08:00".into()],
            max_per_hour: crate::pacing::Pacing::default().per_hour,
            max_per_day: crate::pacing::Pacing::default().per_day,
        }
    }
}

/// The longest `messages.contact`: it goes into every text message.
pub const MAX_CONTACT_CHARS: usize = 60;

/// How a service sends messages (`[messages]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSettings {
    pub email: bool,
    pub sms: bool,
    /// How to reach the service, printed in every message.
    pub contact: Option<String>,
    /// When reminders may go, and how many to one address.
    pub pacing: crate::pacing::Pacing,
}

impl Default for MessageSettings {
    fn default() -> Self {
        Self {
            email: true,
            sms: true,
            contact: None,
            pacing: crate::pacing::Pacing::default(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ReviewsFile {
    every_days: i64,
}

impl Default for ReviewsFile {
    fn default() -> Self {
        Self {
            every_days: i64::from(DEFAULT_REVIEW_DAYS),
        }
    }
}

/// How often an enrolment is reviewed unless a service says otherwise.
pub const DEFAULT_REVIEW_DAYS: u32 = 14;
/// The longest a service may leave between reviews.
pub const MAX_REVIEW_DAYS: u32 = 90;

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ScreeningFile {
    instruments: Vec<String>,
}

impl Default for ScreeningFile {
    fn default() -> Self {
        Self {
            instruments: DEFAULT_SCREENING.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// What NHS Talking Therapies asks at referral (its Manual: PHQ-9 and GAD-7
/// at assessment and every contact).
pub const DEFAULT_SCREENING: [&str; 2] = ["phq9", "gad7"];
/// More than this would turn a referral form into an assessment.
pub const MAX_SCREENING: usize = 4;

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct EscalationFile {
    duty_email: Option<String>,
    duty_phone: Option<String>,
}

/// Where overdue alerts go besides the clinical leads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Escalation {
    /// A team mailbox watched in hours.
    pub duty_email: Option<Email>,
    /// A duty mobile, the second channel.
    pub duty_phone: Option<PhoneNumber>,
}

/// One service's validated monitoring settings.
#[derive(Debug, Clone)]
pub struct Monitoring {
    pub hours: OpeningHours,
    pub deadlines: DeadlinePolicy,
    pub detectors: DetectorConfig,
    pub escalation: Escalation,
    /// The instruments a referral asks, in order (catalogue ids).
    pub screening: Vec<String>,
    /// Days between reviews of a programme enrolment (1 to 90).
    pub review_every_days: u32,
    /// The channels the service sends by, and how to reach it.
    pub messages: MessageSettings,
    /// The video provider for appointments, if the service has one.
    pub video: Option<crate::appointments::video::Provider>,
}

impl Monitoring {
    /// The project's defaults: Europe/London, Monday to Friday 09:00-17:00,
    /// the default deadlines and detectors.
    pub fn defaults() -> Monitoring {
        let hours = OpeningHoursConfig::default()
            .validate()
            .expect("the default opening hours are valid");
        Monitoring {
            hours,
            deadlines: DeadlinePolicy::default(),
            detectors: DetectorConfig::default(),
            escalation: Escalation::default(),
            screening: ScreeningFile::default().instruments,
            review_every_days: DEFAULT_REVIEW_DAYS,
            messages: MessageSettings::default(),
            video: None,
        }
    }

    /// Parses and validates one file's text. `file` names it in errors;
    /// `known_instruments` are the catalogue's ids. Every problem is listed.
    pub fn parse(
        file: &str,
        text: &str,
        known_instruments: &[&str],
    ) -> Result<Monitoring, Vec<ContentError>> {
        let error = |field: String, message: String| ContentError {
            file: file.to_owned(),
            field,
            message,
        };
        let parsed: MonitoringFile = toml::from_str(text).map_err(|e| {
            vec![error(
                e.span()
                    .map(|s| format!("at byte {}", s.start))
                    .unwrap_or_else(|| "(file)".to_owned()),
                e.message().to_owned(),
            )]
        })?;
        let mut errors = Vec::new();
        let hours = parsed
            .opening_hours
            .validate()
            .map_err(|e| errors.push(error(format!("opening_hours.{}", e.field), e.message)))
            .ok();
        if let Some(hours) = &hours
            && let Err(e) = parsed.deadlines.validate(hours)
        {
            errors.push(error(format!("deadlines.{}", e.field), e.message));
        }
        if let Err(list) = parsed.detectors.validate(known_instruments) {
            errors.extend(
                list.into_iter()
                    .map(|e| error(format!("detectors.{}", e.field), e.message)),
            );
        }
        let duty_email = parsed
            .escalation
            .duty_email
            .as_deref()
            .map(Email::parse)
            .transpose()
            .map_err(|e| errors.push(error("escalation.duty_email".into(), e.to_string())))
            .ok()
            .flatten();
        let duty_phone = parsed
            .escalation
            .duty_phone
            .as_deref()
            .map(PhoneNumber::parse)
            .transpose()
            .map_err(|e| errors.push(error("escalation.duty_phone".into(), e.to_string())))
            .ok()
            .flatten();
        let screening = parsed.screening.instruments;
        if screening.is_empty() || screening.len() > MAX_SCREENING {
            errors.push(error(
                "screening.instruments".into(),
                format!("list between 1 and {MAX_SCREENING} instruments"),
            ));
        }
        for (n, id) in screening.iter().enumerate() {
            if !known_instruments.contains(&id.as_str()) {
                errors.push(error(
                    format!("screening.instruments[{n}]"),
                    format!("{id:?} is not an instrument in the catalogue"),
                ));
            } else if screening[..n].contains(id) {
                errors.push(error(
                    format!("screening.instruments[{n}]"),
                    format!("{id:?} is listed twice"),
                ));
            }
        }
        let review_every_days = u32::try_from(parsed.reviews.every_days)
            .ok()
            .filter(|d| (1..=MAX_REVIEW_DAYS).contains(d))
            .unwrap_or_else(|| {
                errors.push(error(
                    "reviews.every_days".into(),
                    format!("a number of days from 1 to {MAX_REVIEW_DAYS}"),
                ));
                DEFAULT_REVIEW_DAYS
            });
        let mut messages = MessageSettings {
            email: false,
            sms: false,
            contact: None,
            pacing: crate::pacing::Pacing::default(),
        };
        let quiet = &parsed.messages.quiet_hours;
        let times: Vec<Option<jiff::civil::Time>> = quiet
            .iter()
            .map(|t| t.parse::<jiff::civil::Time>().ok())
            .collect();
        messages.pacing.quiet = match times.as_slice() {
            [] => None,
            [Some(from), Some(until)] if from != until => Some((*from, *until)),
            _ => {
                errors.push(error(
                    "messages.quiet_hours".into(),
                    "two different times, from and until, like [\"21:00\", \"08:00\"], or [] for none"
                        .into(),
                ));
                None
            }
        };
        let (per_hour, per_day) = (parsed.messages.max_per_hour, parsed.messages.max_per_day);
        if !(1..=60).contains(&per_hour) || per_day < per_hour || per_day > 500 {
            errors.push(error(
                "messages.max_per_hour".into(),
                "from 1 to 60, and max_per_day from that to 500".into(),
            ));
        }
        messages.pacing.per_hour = per_hour;
        messages.pacing.per_day = per_day;
        for (n, c) in parsed.messages.channels.iter().enumerate() {
            let seen = match c.as_str() {
                "email" => std::mem::replace(&mut messages.email, true),
                "sms" => std::mem::replace(&mut messages.sms, true),
                _ => {
                    errors.push(error(
                        format!("messages.channels[{n}]"),
                        format!("{c:?} is not a channel: \"email\" or \"sms\""),
                    ));
                    false
                }
            };
            if seen {
                errors.push(error(
                    format!("messages.channels[{n}]"),
                    format!("{c:?} is listed twice"),
                ));
            }
        }
        if let Some(contact) = parsed.messages.contact {
            let contact = contact.trim().to_owned();
            if contact.is_empty()
                || contact.chars().count() > MAX_CONTACT_CHARS
                || contact.contains(['\n', '\r'])
                || !crate::gsm7::is_gsm7(&contact)
            {
                errors.push(error(
                    "messages.contact".into(),
                    format!(
                        "one line of at most {MAX_CONTACT_CHARS} characters that every phone can \
                         show (plain letters, digits and punctuation)"
                    ),
                ));
            } else {
                messages.contact = Some(contact);
            }
        }
        let video = parsed
            .video
            .validate()
            .map_err(|list| {
                errors.extend(list.into_iter().map(|(f, m)| error(f, m)));
            })
            .ok()
            .flatten();
        match hours {
            Some(hours) if errors.is_empty() => Ok(Monitoring {
                hours,
                deadlines: parsed.deadlines,
                detectors: parsed.detectors,
                escalation: Escalation {
                    duty_email,
                    duty_phone,
                },
                screening,
                review_every_days,
                messages,
                video,
            }),
            _ => Err(errors),
        }
    }

    /// When an alert of `severity` raised at `raised_at` is due.
    pub fn deadline(&self, severity: Severity, raised_at: Timestamp) -> Timestamp {
        deadline(severity, raised_at, &self.hours, &self.deadlines)
    }

    /// Whether the service is open (someone is watching the alert queue).
    pub fn is_open(&self, at: Timestamp) -> bool {
        self.hours.is_open(at)
    }
}

/// The shipped lexicon, parsed. Panics only if the shipped file is invalid,
/// which the tests forbid.
pub fn default_lexicon() -> Lexicon {
    Lexicon::parse(crate::detectors::DEFAULT_LEXICON)
        .unwrap_or_else(|e| panic!("the built-in risk lexicon is invalid: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["phq9", "gad7", "core10", "epds"];

    #[test]
    fn an_empty_file_is_the_defaults() {
        let m = Monitoring::parse("x.toml", "", KNOWN).unwrap();
        assert_eq!(m.deadlines, DeadlinePolicy::default());
        assert_eq!(m.detectors, DetectorConfig::default());
        assert_eq!(m.hours.config(), &OpeningHoursConfig::default());
    }

    #[test]
    fn every_bad_field_is_named_with_its_section() {
        let text = r#"
[opening_hours]
time_zone = "Mars/Olympus"
[detectors.disengagement]
days = 0
[detectors.deterioration]
instruments = ["nope"]
"#;
        let errors = Monitoring::parse("lothian.toml", text, KNOWN).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"opening_hours.time_zone"), "{fields:?}");
        assert!(
            fields.contains(&"detectors.disengagement.days"),
            "{fields:?}"
        );
        assert!(
            fields.contains(&"detectors.deterioration.instruments[0]"),
            "{fields:?}"
        );
        assert!(errors.iter().all(|e| e.file == "lothian.toml"));
    }

    #[test]
    fn a_deadline_policy_that_inverts_severities_is_refused() {
        let text = "[deadlines.urgent]\nrule = \"working_days\"\ndays = 10\n";
        let errors = Monitoring::parse("s.toml", text, KNOWN).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].field.starts_with("deadlines."), "{errors:?}");
    }

    #[test]
    fn escalation_contacts_are_checked() {
        let good =
            "[escalation]\nduty_email = \"duty@example.org\"\nduty_phone = \"07700900123\"\n";
        let m = Monitoring::parse("s.toml", good, KNOWN).unwrap();
        assert!(m.escalation.duty_email.is_some() && m.escalation.duty_phone.is_some());
        let bad = "[escalation]\nduty_email = \"nobody\"\nduty_phone = \"12\"\n";
        let errors = Monitoring::parse("s.toml", bad, KNOWN).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["escalation.duty_email", "escalation.duty_phone"]);
    }

    #[test]
    fn screening_defaults_to_phq9_and_gad7_and_names_each_bad_entry() {
        let m = Monitoring::parse("s.toml", "", KNOWN).unwrap();
        assert_eq!(m.screening, ["phq9", "gad7"]);
        let m = Monitoring::parse("s.toml", "[screening]\ninstruments = [\"core10\"]\n", KNOWN)
            .unwrap();
        assert_eq!(m.screening, ["core10"]);
        let bad = "[screening]\ninstruments = [\"epds\", \"nope\", \"epds\"]\n";
        let fields: Vec<String> = Monitoring::parse("s.toml", bad, KNOWN)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            ["screening.instruments[1]", "screening.instruments[2]"]
        );
        for bad in [
            "instruments = []",
            "instruments = [\"phq9\", \"gad7\", \"core10\", \"epds\", \"wsas\"]",
        ] {
            let errors =
                Monitoring::parse("s.toml", &format!("[screening]\n{bad}\n"), KNOWN).unwrap_err();
            assert_eq!(errors[0].field, "screening.instruments", "{bad}");
        }
    }

    #[test]
    fn messages_default_to_both_channels_and_are_checked() {
        let m = Monitoring::parse("s.toml", "", KNOWN).unwrap();
        assert_eq!(m.messages, MessageSettings::default());
        let m = Monitoring::parse(
            "s.toml",
            "[messages]\nchannels = [\"email\"]\ncontact = \"0131 496 0000\"\n",
            KNOWN,
        )
        .unwrap();
        assert!(m.messages.email && !m.messages.sms);
        assert_eq!(m.messages.contact.as_deref(), Some("0131 496 0000"));
        for (bad, field) in [
            ("channels = [\"fax\"]", "messages.channels[0]"),
            ("channels = [\"sms\", \"sms\"]", "messages.channels[1]"),
            ("contact = \"call \u{1F642}\"", "messages.contact"),
            ("contact = \"\"", "messages.contact"),
        ] {
            let errors =
                Monitoring::parse("s.toml", &format!("[messages]\n{bad}\n"), KNOWN).unwrap_err();
            assert_eq!(errors[0].field, field, "{bad}");
        }
    }

    #[test]
    fn reviews_default_to_every_14_days_and_are_checked() {
        let m = Monitoring::parse("s.toml", "", KNOWN).unwrap();
        assert_eq!(m.review_every_days, 14);
        let m = Monitoring::parse("s.toml", "[reviews]\nevery_days = 7\n", KNOWN).unwrap();
        assert_eq!(m.review_every_days, 7);
        for bad in ["0", "91", "-3"] {
            let errors =
                Monitoring::parse("s.toml", &format!("[reviews]\nevery_days = {bad}\n"), KNOWN)
                    .unwrap_err();
            assert_eq!(errors[0].field, "reviews.every_days", "{bad}");
        }
    }

    #[test]
    fn unknown_sections_and_syntax_errors_are_refused() {
        assert!(Monitoring::parse("s.toml", "[detector]\n", KNOWN).is_err());
        assert!(Monitoring::parse("s.toml", "opening_hours = ", KNOWN).is_err());
    }

    #[test]
    fn the_shipped_lexicon_reads_everyday_phrases_and_negations_as_nothing() {
        let lexicon = default_lexicon();
        for text in [
            "This job is killing me",
            "I would never hurt myself",
            "Dead tired after work",
            "Killing time before the bus",
        ] {
            let found: Vec<_> = lexicon
                .scan(text)
                .into_iter()
                .filter(|m| !m.negated)
                .collect();
            assert!(found.is_empty(), "{text}: {found:?}");
        }
        assert!(!lexicon.scan("I want to kill myself tonight").is_empty());
    }
}
