//! The fixed messages Bothy sends and how each is rendered for a channel.
//!
//! A message never contains clinical content: it says that something is
//! waiting, never what. [`MessageTemplate`] is a closed set of variants
//! without fields, and [`MessageTemplate::render`] takes nothing but the
//! template, an optional link into this deployment and the [`Sender`] (the
//! service's name and how to reach it, from configuration): there is no
//! way to pass a score, a diagnosis, an alert's reason or a message's text.

use bothy_domain::gsm7;

/// The messages Bothy sends. Each is fixed text that says something is
/// waiting and never what; variants carry no data, so no caller can add any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageTemplate {
    /// To the person referred, or the referrer: the referral has arrived.
    ReferralReceived,
    /// A triage decision has been made (accepted, signposted, declined).
    ReferralDecision,
    /// An accepted person's single-use link to set up their account.
    Activation,
    /// A measure is due.
    MeasureDue,
    /// Triage asks for more information about a referral.
    InformationRequested,
    /// To a clinical lead or the duty contact: an alert is past its deadline.
    /// Worded as "a task", like every message: a phone's lock screen is not
    /// the place to say what kind.
    AlertOverdue,
    /// Likewise, for several tasks past their deadline at once: one message
    /// pointing to the queue instead of one each.
    AlertsOverdue,
    /// To a patient: their care team wrote to them. Never the message, its
    /// subject or who wrote it.
    NewMessage,
    /// To a patient: their supporter reviewed their programme. Never the
    /// feedback or who wrote it.
    NewFeedback,
    /// To a patient: an appointment was booked. Sent with its time and
    /// link (typed values read when sent, `notify/appointment.rs`); this
    /// fixed text is what is left without them.
    AppointmentInvitation,
    /// To a patient: an appointment was cancelled, likewise.
    AppointmentCancelled,
    /// To a patient: their appointment is tomorrow. Sent with its time and
    /// link, like the invitation.
    AppointmentReminder,
    /// To a patient: the daily check-in they asked to be prompted for, at
    /// the time they chose (a text-message user is asked by text instead).
    CheckInDue,
}

/// The longest link an SMS is planned for; with the longest service name
/// and text every SMS stays within [`SMS_MAX_SEGMENTS`].
pub const SMS_LINK_BUDGET: usize = 85;

/// The most segments an SMS may take (306 GSM-7 characters): the service's
/// name, the fixed text and a link or the service's contact.
pub const SMS_MAX_SEGMENTS: usize = 2;

/// The longest service name an SMS carries; longer names are cut.
pub const SMS_NAME_CHARS: usize = 30;

/// Added to every email: nobody reads replies, so nobody should rely on them.
pub const EMAIL_FOOTER: &str = "This message was sent automatically. Replies are not read.";

impl MessageTemplate {
    pub const ALL: [MessageTemplate; 13] = [
        MessageTemplate::ReferralReceived,
        MessageTemplate::ReferralDecision,
        MessageTemplate::Activation,
        MessageTemplate::MeasureDue,
        MessageTemplate::InformationRequested,
        MessageTemplate::AlertOverdue,
        MessageTemplate::AlertsOverdue,
        MessageTemplate::NewMessage,
        MessageTemplate::NewFeedback,
        MessageTemplate::AppointmentInvitation,
        MessageTemplate::AppointmentCancelled,
        MessageTemplate::AppointmentReminder,
        MessageTemplate::CheckInDue,
    ];

    /// The stored name, as in jobs' payloads (`referral_received`).
    pub fn as_str(self) -> &'static str {
        match self {
            MessageTemplate::ReferralReceived => "referral_received",
            MessageTemplate::ReferralDecision => "referral_decision",
            MessageTemplate::Activation => "activation",
            MessageTemplate::MeasureDue => "measure_due",
            MessageTemplate::InformationRequested => "information_requested",
            MessageTemplate::AlertOverdue => "alert_overdue",
            MessageTemplate::AlertsOverdue => "alerts_overdue",
            MessageTemplate::NewMessage => "new_message",
            MessageTemplate::NewFeedback => "new_feedback",
            MessageTemplate::AppointmentInvitation => "appointment_invitation",
            MessageTemplate::AppointmentCancelled => "appointment_cancelled",
            MessageTemplate::AppointmentReminder => "appointment_reminder",
            MessageTemplate::CheckInDue => "check_in_due",
        }
    }

    /// The template with this stored name.
    pub fn parse(s: &str) -> Option<MessageTemplate> {
        MessageTemplate::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Plain English, for staff ("Account set-up link").
    pub fn label(self) -> &'static str {
        match self {
            MessageTemplate::ReferralReceived => "Referral received",
            MessageTemplate::ReferralDecision => "Referral update",
            MessageTemplate::Activation => "Account set-up link",
            MessageTemplate::MeasureDue => "Questionnaire due",
            MessageTemplate::InformationRequested => "More information needed",
            MessageTemplate::AlertOverdue => "Task past its deadline",
            MessageTemplate::AlertsOverdue => "Tasks past their deadline",
            MessageTemplate::NewMessage => "New message",
            MessageTemplate::NewFeedback => "New feedback",
            MessageTemplate::AppointmentInvitation => "Appointment invitation",
            MessageTemplate::AppointmentCancelled => "Appointment cancelled",
            MessageTemplate::AppointmentReminder => "Appointment reminder",
            MessageTemplate::CheckInDue => "Daily check-in prompt",
        }
    }

    /// Whether the message is useless without its link.
    pub fn needs_link(self) -> bool {
        match self {
            MessageTemplate::Activation
            | MessageTemplate::AlertOverdue
            | MessageTemplate::AlertsOverdue => true,
            MessageTemplate::ReferralReceived
            | MessageTemplate::ReferralDecision
            | MessageTemplate::MeasureDue
            | MessageTemplate::InformationRequested
            | MessageTemplate::NewMessage
            | MessageTemplate::NewFeedback
            | MessageTemplate::AppointmentInvitation
            | MessageTemplate::AppointmentCancelled
            | MessageTemplate::AppointmentReminder
            | MessageTemplate::CheckInDue => false,
        }
    }

    /// Whether it is a reminder that can wait: kept out of the service's
    /// quiet hours and within its limits per address (`bothy_domain::pacing`).
    /// What answers the person's own step (a referral received, an account
    /// link, a decision) or calls the duty team is never held.
    pub fn paced(self) -> bool {
        matches!(
            self,
            MessageTemplate::MeasureDue
                | MessageTemplate::NewMessage
                | MessageTemplate::NewFeedback
                | MessageTemplate::AppointmentReminder
                | MessageTemplate::CheckInDue
        )
    }

    /// An email's subject line.
    pub fn subject(self) -> &'static str {
        match self {
            MessageTemplate::ReferralReceived => "We have received your referral",
            MessageTemplate::ReferralDecision => "An update about your referral",
            MessageTemplate::Activation => "Set up your account",
            MessageTemplate::MeasureDue => "A questionnaire is waiting for you",
            MessageTemplate::InformationRequested => "We need more information",
            MessageTemplate::AlertOverdue => "A task is past its deadline",
            MessageTemplate::AlertsOverdue => "Tasks are past their deadline",
            MessageTemplate::NewMessage => "You have a new message",
            MessageTemplate::NewFeedback => "There is new feedback for you",
            MessageTemplate::AppointmentInvitation => "Your appointment",
            MessageTemplate::AppointmentCancelled => "Your appointment is cancelled",
            MessageTemplate::AppointmentReminder => "Reminder: your appointment",
            MessageTemplate::CheckInDue => "Time for your check-in",
        }
    }

    /// The fixed text, worded for a message with or without a link. Short
    /// enough for one SMS with a link (see [`SMS_LINK_BUDGET`]).
    pub fn text(self, linked: bool) -> &'static str {
        match (self, linked) {
            (MessageTemplate::ReferralReceived, _) => {
                "We have received your referral and will be in touch about next steps."
            }
            (MessageTemplate::ReferralDecision, true) => {
                "There is an update about your referral. Follow the link to read it:"
            }
            (MessageTemplate::ReferralDecision, false) => {
                "There is an update about your referral. Sign in to read it."
            }
            (MessageTemplate::Activation, _) => {
                "Set up your account with this link. It works once, for a limited time:"
            }
            (MessageTemplate::MeasureDue, true) => {
                "You have a questionnaire waiting. Follow the link to fill it in:"
            }
            (MessageTemplate::MeasureDue, false) => {
                "You have a questionnaire waiting. Sign in to fill it in."
            }
            (MessageTemplate::InformationRequested, true) => {
                "We need a little more information about your referral. Follow the link:"
            }
            (MessageTemplate::InformationRequested, false) => {
                "We need a little more information about your referral. Please sign in."
            }
            (MessageTemplate::AlertOverdue, _) => {
                "A task in your service is past its deadline. See it here:"
            }
            (MessageTemplate::AlertsOverdue, _) => {
                "Several tasks in your service are past their deadline. See them here:"
            }
            (MessageTemplate::NewMessage, _) => {
                "You have a new message from your care team. Sign in to read it."
            }
            (MessageTemplate::NewFeedback, _) => {
                "There is new feedback from your supporter. Sign in to read it."
            }
            (MessageTemplate::AppointmentInvitation, _) => {
                "You have an appointment with us. Sign in to see when it is."
            }
            (MessageTemplate::AppointmentCancelled, _) => {
                "An appointment with us has been cancelled. Sign in to see which."
            }
            (MessageTemplate::AppointmentReminder, _) => {
                "A reminder of your appointment with us. Sign in to see when it is."
            }
            (MessageTemplate::CheckInDue, true) => {
                "It is time for your daily check-in. Follow the link to do it:"
            }
            (MessageTemplate::CheckInDue, false) => {
                "It is time for your daily check-in. Sign in to do it."
            }
        }
    }

    /// The message as sent on `channel`: the fixed text, the link if any,
    /// the service's name and how to reach it, and for email a subject, an
    /// HTML part and the fixed footer. Nothing else.
    pub fn render(self, channel: super::Channel, link: Option<&str>, sender: &Sender) -> Rendered {
        let text = self.text(link.is_some());
        match channel {
            super::Channel::Sms => {
                let name: String = gsm7::fold(&sender.name)
                    .trim()
                    .chars()
                    .take(SMS_NAME_CHARS)
                    .collect();
                let reach = match link {
                    Some(link) => link.to_string(),
                    None => format!("Contact: {}", gsm7::fold(&sender.contact)),
                };
                Rendered {
                    subject: None,
                    body: format!("{}: {text} {reach}", name.trim_end()),
                    html: None,
                }
            }
            super::Channel::Email => {
                let contact = format!("To contact {}: {}", sender.name, sender.contact);
                let body = match link {
                    Some(link) => format!("{text}\n\n{link}\n\n{contact}\n\n{EMAIL_FOOTER}\n"),
                    None => format!("{text}\n\n{contact}\n\n{EMAIL_FOOTER}\n"),
                };
                let e = escape;
                let link_html = link
                    .map(|l| format!("<p><a href=\"{0}\">{0}</a></p>\n", e(l)))
                    .unwrap_or_default();
                let html = format!(
                    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
                     <title>{subject}</title></head>\n<body>\n<p>{text}</p>\n{link_html}\
                     <p>{contact}</p>\n<p><small>{footer}</small></p>\n</body></html>\n",
                    subject = e(self.subject()),
                    text = e(text),
                    contact = e(&contact),
                    footer = e(EMAIL_FOOTER),
                );
                Rendered {
                    subject: Some(self.subject().to_string()),
                    body,
                    html: Some(html),
                }
            }
        }
    }
}

/// Who a message is from: the service's name, and how to reach it (its
/// `[messages] contact`, or this deployment's address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub name: String,
    pub contact: String,
}

/// A rendered message: a subject and an HTML part (email only) and plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: Option<String>,
    pub body: String,
    pub html: Option<String>,
}

/// Text for HTML, every special character escaped.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::Channel;
    use super::*;

    /// The longest of everything a message can carry besides its fixed text.
    fn longest() -> (String, Sender) {
        let link = format!("https://{}", "x".repeat(SMS_LINK_BUDGET - 8));
        let sender = Sender {
            name: "N".repeat(SMS_NAME_CHARS + 20),
            contact: "C".repeat(bothy_domain::monitoring::MAX_CONTACT_CHARS),
        };
        (link, sender)
    }

    fn demo() -> Sender {
        Sender {
            name: "Demo Service".into(),
            contact: "0131 496 0000".into(),
        }
    }

    #[test]
    fn no_template_can_carry_anything() {
        // A variant with a field would make the enum bigger than its tag:
        // this fails to hold the moment anyone adds one.
        assert_eq!(std::mem::size_of::<MessageTemplate>(), 1);
        for template in MessageTemplate::ALL {
            let json = serde_json::to_value(template).unwrap();
            assert_eq!(json, serde_json::json!(template.as_str()));
            assert_eq!(MessageTemplate::parse(template.as_str()), Some(template));
            assert_eq!(
                serde_json::from_value::<MessageTemplate>(json).unwrap(),
                template
            );
        }
    }

    #[test]
    fn every_message_is_the_fixed_text_the_link_and_the_sender_and_nothing_else() {
        let sender = demo();
        let link = "https://bothy.example.org/sign-in";
        for template in MessageTemplate::ALL {
            for link in [None, Some(link)] {
                let text = template.text(link.is_some());
                let sms = template.render(Channel::Sms, link, &sender);
                assert_eq!((&sms.subject, &sms.html), (&None, &None));
                let expected = match link {
                    Some(l) => format!("Demo Service: {text} {l}"),
                    None => format!("Demo Service: {text} Contact: 0131 496 0000"),
                };
                assert_eq!(sms.body, expected);
                let mail = template.render(Channel::Email, link, &sender);
                assert_eq!(mail.subject.as_deref(), Some(template.subject()));
                let rest = mail.body.strip_prefix(text).unwrap();
                let rest = match link {
                    Some(l) => rest.strip_prefix(&format!("\n\n{l}")).unwrap(),
                    None => rest,
                };
                assert_eq!(
                    rest,
                    format!("\n\nTo contact Demo Service: 0131 496 0000\n\n{EMAIL_FOOTER}\n")
                );
                let html = mail.html.unwrap();
                assert!(html.contains(&format!("<p>{text}</p>")), "{html}");
                assert!(html.contains("To contact Demo Service: 0131 496 0000"));
                if let Some(l) = link {
                    assert!(html.contains(&format!("<a href=\"{l}\">{l}</a>")));
                }
            }
        }
    }

    #[test]
    fn the_sender_is_escaped_in_html() {
        let sender = Sender {
            name: "A & B <Team>".into(),
            contact: "\"x\"".into(),
        };
        let html = MessageTemplate::MeasureDue
            .render(Channel::Email, None, &sender)
            .html
            .unwrap();
        assert!(
            html.contains("A &amp; B &lt;Team&gt;: &quot;x&quot;"),
            "{html}"
        );
        assert!(!html.contains("<Team>"));
    }

    #[test]
    fn every_sms_is_gsm7_and_within_its_segment_budget() {
        let (link, sender) = longest();
        for template in MessageTemplate::ALL {
            for link in [None, Some(link.as_str())] {
                let sms = template.render(Channel::Sms, link, &sender);
                let septets = gsm7::septets(&sms.body)
                    .unwrap_or_else(|| panic!("{template:?} is not GSM-7: {}", sms.body));
                assert!(
                    gsm7::segments(septets) <= SMS_MAX_SEGMENTS,
                    "{template:?}: {septets} septets"
                );
            }
            for linked in [false, true] {
                // The fixed text alone fits one segment with room to spare.
                let text = template.text(linked);
                assert!(gsm7::septets(text).is_some_and(|n| n < gsm7::SINGLE - SMS_LINK_BUDGET));
                assert!(text.is_ascii() && template.subject().is_ascii());
            }
        }
        // A name the SMS alphabet lacks is folded, never sent as UCS-2.
        let sender = Sender {
            name: "Gwasanaeth Môn \u{200b}🙂".into(),
            contact: "0131 496 0000".into(),
        };
        let sms = MessageTemplate::NewMessage.render(Channel::Sms, None, &sender);
        assert!(gsm7::is_gsm7(&sms.body), "{}", sms.body);
        assert!(sms.body.starts_with("Gwasanaeth Mon: "));
    }

    #[test]
    fn no_message_names_anything_clinical() {
        // Words that would say what is waiting rather than that something is.
        let clinical = [
            "depress",
            "anxi",
            "suicid",
            "harm",
            "risk",
            "score",
            "phq",
            "gad",
            "therap",
            "mental",
            "mood",
            "diagnos",
            "declin",
            "accept",
            "crisis",
            "alert",
            "treatment",
        ];
        for template in MessageTemplate::ALL {
            for linked in [false, true] {
                let all =
                    format!("{} {}", template.subject(), template.text(linked)).to_lowercase();
                for word in clinical {
                    assert!(!all.contains(word), "{template:?} mentions {word:?}");
                }
            }
        }
    }
}
