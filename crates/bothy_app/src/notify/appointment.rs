//! An appointment's invitation, reminder or cancellation as sent. The template stays
//! fieldless; what this adds is typed and not clinical: when (UK time), how
//! (in person, phone, video), the join link and the calendar file. Nothing
//! about why the person is seen: the calendar's summary is "Appointment
//! with" the service.
//!
//! They are read from the appointment when the message is sent, not when it
//! is queued, so a cancelled appointment's waiting invitation is not sent
//! and a Jitsi token never waits in the job queue.

use super::templates::{SMS_NAME_CHARS, escape};
use super::{Attachment, Channel, EMAIL_FOOTER, OutgoingMessage, SMS_LINK_BUDGET, Sender};
use bothy_domain::appointments::{Kind, Slot, ical, uk_when, uk_when_short};
use bothy_domain::gsm7;

/// What an appointment message says beyond its fixed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub kind: Kind,
    pub slot: Slot,
    /// The link to join the call (video only).
    pub join: Option<String>,
    /// The calendar UID, stable per appointment.
    pub uid: String,
    /// The calendar SEQUENCE: higher replaces lower in the person's calendar.
    pub sequence: u32,
    pub notice: Notice,
}

/// Which message about the appointment this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// Booked or moved: with the calendar file.
    Invited,
    /// The day before: the time and link again, no calendar file (the
    /// person has the event already).
    Reminder,
    /// Cancelled: with the calendar file that cancels the event.
    Cancelled,
}

impl Invitation {
    /// Rewrites `message` (rendered from its fixed template) with the
    /// appointment's time and link; an email also gets the calendar file.
    /// `sign_in` is this deployment's sign-in page, where a text message
    /// points when the join link is too long for it.
    pub fn apply(&self, message: &mut OutgoingMessage, sender: &Sender, sign_in: &str) {
        match message.channel {
            Channel::Sms => {
                message.body = self.sms(sender, sign_in);
            }
            Channel::Email => {
                let line = self.sentence(&sender.name);
                let contact = format!("To contact {}: {}", sender.name, sender.contact);
                message.subject = Some(self.subject().to_string());
                message.body = format!("{line}\n\n{contact}\n\n{EMAIL_FOOTER}\n");
                let e = escape;
                let join = self
                    .join
                    .as_deref()
                    .filter(|_| self.notice != Notice::Cancelled)
                    .map(|l| format!("<p><a href=\"{0}\">Join the video call</a></p>\n", e(l)))
                    .unwrap_or_default();
                message.html = Some(format!(
                    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
                     <title>{subject}</title></head>\n<body>\n<p>{line}</p>\n{join}\
                     <p>{contact}</p>\n<p><small>{footer}</small></p>\n</body></html>\n",
                    subject = e(self.subject()),
                    line = e(&line),
                    contact = e(&contact),
                    footer = e(EMAIL_FOOTER),
                ));
                if self.notice != Notice::Reminder {
                    message.attachment = Some(self.calendar(sender, &line, message));
                }
            }
        }
    }

    fn subject(&self) -> &'static str {
        match self.notice {
            Notice::Invited => "Your appointment",
            Notice::Reminder => "Reminder: your appointment",
            Notice::Cancelled => "Your appointment is cancelled",
        }
    }

    /// How the sentence about the appointment starts.
    fn opening(&self) -> &'static str {
        match self.notice {
            Notice::Reminder => "Reminder: you have an appointment",
            Notice::Invited | Notice::Cancelled => "You have an appointment",
        }
    }

    fn how(&self) -> &'static str {
        match self.kind {
            Kind::InPerson => "in person",
            Kind::Phone => "by phone",
            Kind::Video => "by video",
        }
    }

    /// The one sentence an email says.
    fn sentence(&self, service: &str) -> String {
        let when = uk_when(self.slot.starts_at());
        if self.notice == Notice::Cancelled {
            return format!("Your appointment with {service} on {when} (UK time) is cancelled.");
        }
        let rest = match (self.kind, &self.join) {
            (Kind::Video, Some(link)) => format!(" Join: {link}"),
            (Kind::Phone, _) => " We will call you.".to_string(),
            _ => String::new(),
        };
        format!(
            "{} with {service} on {when} (UK time), {}, for {} minutes.{rest}",
            self.opening(),
            self.how(),
            self.slot.minutes()
        )
    }

    /// A text message: the date, the time and the link, GSM-7 within two
    /// segments. A join link longer than [`SMS_LINK_BUDGET`] (a Jitsi link
    /// with its token) is replaced by the sign-in page, whose home page
    /// shows it.
    fn sms(&self, sender: &Sender, sign_in: &str) -> String {
        let name: String = gsm7::fold(&sender.name)
            .trim()
            .chars()
            .take(SMS_NAME_CHARS)
            .collect();
        let name = name.trim_end();
        let when = uk_when_short(self.slot.starts_at());
        if self.notice == Notice::Cancelled {
            return format!(
                "{name}: Your appointment on {when} is cancelled. Contact: {}",
                gsm7::fold(&sender.contact)
            );
        }
        let reach = match (self.kind, &self.join) {
            (Kind::Video, Some(link)) if link.chars().count() <= SMS_LINK_BUDGET => {
                format!(" Join: {link}")
            }
            (Kind::Video, _) => format!(" Sign in to join: {sign_in}"),
            _ => format!(" Contact: {}", gsm7::fold(&sender.contact)),
        };
        format!(
            "{name}: {} on {when}, {}.{reach}",
            self.opening(),
            self.how()
        )
    }

    fn calendar(&self, sender: &Sender, line: &str, message: &OutgoingMessage) -> Attachment {
        let summary = format!("Appointment with {}", sender.name);
        let location = match (self.kind, &self.join) {
            (Kind::Video, Some(link)) => Some(link.as_str()),
            (Kind::Phone, _) => Some("By phone"),
            _ => None,
        };
        let event = ical::Event {
            uid: &self.uid,
            sequence: self.sequence,
            stamp: message.created_at,
            start: self.slot.starts_at(),
            end: self.slot.ends_at(),
            summary: &summary,
            description: line,
            location,
            url: self.join.as_deref().filter(|_| self.kind == Kind::Video),
            cancelled: self.notice == Notice::Cancelled,
        };
        Attachment {
            file_name: "appointment.ics".into(),
            content_type: ical::content_type(self.notice == Notice::Cancelled).into(),
            content: ical::calendar(&event),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::IdempotencyKey;
    use crate::notify::{MessageTemplate, SMS_MAX_SEGMENTS};

    fn message(channel: Channel) -> OutgoingMessage {
        OutgoingMessage {
            idempotency_key: IdempotencyKey::new("appointment.1.invitation").unwrap(),
            channel,
            to: "x".into(),
            subject: None,
            body: MessageTemplate::AppointmentInvitation.text(false).into(),
            html: None,
            sender_name: "Demo Service".into(),
            created_at: "2026-12-01T09:00:00Z".parse().unwrap(),
            service: None,
            attachment: None,
        }
    }

    fn invitation(kind: Kind, join: Option<&str>) -> Invitation {
        Invitation {
            kind,
            slot: Slot::stored("2026-12-08T10:00:00Z".parse().unwrap(), 50),
            join: join.map(String::from),
            uid: "appointment-1@bothy.example.org".into(),
            sequence: 0,
            notice: Notice::Invited,
        }
    }

    fn sender(name: &str) -> Sender {
        Sender {
            name: name.into(),
            contact: "0131 496 0000".into(),
        }
    }

    const JITSI: &str = "https://meet.example.org/bothy-0123456789abcdef0123456789abcdef?jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJhdWQiOiJqaXRzaSIsImV4cCI6MTc2NTE5ODIwMCwiaXNzIjoiYm90aHkiLCJyb29tIjoiYm90aHktMDEyMyIsInN1YiI6Im1lZXQuZXhhbXBsZS5vcmcifQ.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    #[test]
    fn an_email_invitation_says_when_and_how_to_join_and_carries_the_calendar() {
        let mut m = message(Channel::Email);
        invitation(Kind::Video, Some(JITSI)).apply(
            &mut m,
            &sender("Demo Service"),
            "https://b.example/sign-in",
        );
        assert_eq!(m.subject.as_deref(), Some("Your appointment"));
        assert!(
            m.body.starts_with(&format!(
                "You have an appointment with Demo Service on Tuesday 8 December 2026 at 10:00 (UK time), by video, for 50 minutes. Join: {JITSI}\n"
            )),
            "{}",
            m.body
        );
        assert!(
            m.html
                .as_deref()
                .unwrap()
                .contains(&format!("<a href=\"{JITSI}\">"))
        );
        let a = m.attachment.unwrap();
        assert_eq!(a.file_name, "appointment.ics");
        assert_eq!(
            a.content_type,
            "text/calendar; method=REQUEST; charset=UTF-8"
        );
        let ics = a.content.replace("\r\n ", "");
        assert!(ics.contains(&format!("\r\nURL:{JITSI}\r\n")));
        assert!(ics.contains("\r\nSUMMARY:Appointment with Demo Service\r\n"));
        assert!(ics.contains("\r\nDTSTART:20261208T100000Z\r\nDTEND:20261208T105000Z\r\n"));
    }

    #[test]
    fn a_text_message_has_the_time_and_a_link_within_its_budget() {
        let near_me = "https://nhs.example/wait/demo";
        for (kind, join, expect) in [
            (Kind::Video, Some(near_me), format!("Join: {near_me}")),
            (
                Kind::Video,
                Some(JITSI),
                "Sign in to join: https://b.example/sign-in".to_string(),
            ),
            (Kind::Phone, None, "Contact: 0131 496 0000".to_string()),
        ] {
            let mut m = message(Channel::Sms);
            let long_name = "Gwasanaeth Môn a'r Ardal Ehangach 🙂 Iechyd";
            invitation(kind, join).apply(&mut m, &sender(long_name), "https://b.example/sign-in");
            assert!(
                m.body
                    .contains("You have an appointment on Tue 8 Dec at 10:00"),
                "{}",
                m.body
            );
            assert!(m.body.ends_with(&expect), "{}", m.body);
            let septets = gsm7::septets(&m.body).expect("GSM-7");
            assert!(gsm7::segments(septets) <= SMS_MAX_SEGMENTS, "{}", m.body);
            assert!(m.attachment.is_none());
        }
    }

    #[test]
    fn a_reminder_repeats_the_time_and_link_without_a_second_calendar_event() {
        let mut i = invitation(Kind::Video, Some(JITSI));
        i.notice = Notice::Reminder;
        let mut m = message(Channel::Email);
        i.apply(&mut m, &sender("Demo Service"), "https://b.example/sign-in");
        assert_eq!(m.subject.as_deref(), Some("Reminder: your appointment"));
        assert!(
            m.body.starts_with(
                "Reminder: you have an appointment with Demo Service on Tuesday 8 December 2026 at 10:00 (UK time), by video"
            ),
            "{}",
            m.body
        );
        assert!(m.body.contains(JITSI));
        assert!(m.attachment.is_none());
        let mut m = message(Channel::Sms);
        let long_name = "Gwasanaeth Môn a'r Ardal Ehangach 🙂 Iechyd";
        i.apply(&mut m, &sender(long_name), "https://b.example/sign-in");
        assert!(
            m.body
                .contains("Reminder: you have an appointment on Tue 8 Dec at 10:00, by video. Sign in to join: https://b.example/sign-in"),
            "{}",
            m.body
        );
        let septets = gsm7::septets(&m.body).expect("GSM-7");
        assert!(gsm7::segments(septets) <= SMS_MAX_SEGMENTS, "{}", m.body);
    }

    #[test]
    fn a_cancellation_cancels_the_same_event() {
        let mut m = message(Channel::Email);
        let mut i = invitation(Kind::Video, Some(JITSI));
        i.notice = Notice::Cancelled;
        i.sequence = 1;
        i.apply(&mut m, &sender("Demo Service"), "https://b.example/sign-in");
        assert!(m.body.contains("is cancelled"), "{}", m.body);
        assert!(!m.body.contains("Join"));
        let a = m.attachment.unwrap();
        assert_eq!(
            a.content_type,
            "text/calendar; method=CANCEL; charset=UTF-8"
        );
        assert!(
            a.content
                .contains("\r\nUID:appointment-1@bothy.example.org\r\n")
        );
        assert!(a.content.contains("\r\nSEQUENCE:1\r\n"));
    }
}
