//! The calendar file an appointment invitation carries: one VEVENT in a
//! VCALENDAR (RFC 5545) with METHOD:REQUEST (RFC 5546), so a mail client
//! offers to add it. Lines end in CRLF and are folded at 75 octets; text
//! values are escaped. Times are in UTC, so no VTIMEZONE is needed.
//!
//! The summary names the service only ("Appointment with ..."): a calendar
//! is often shared or shown on a lock screen, so it says nothing clinical.
//! There is no ORGANIZER or ATTENDEE: the sending address takes no replies,
//! and the person's address is already the envelope's; clients that want
//! them (to send replies) treat the event as one to add, which is the point.

use crate::time::Timestamp;

/// One event, as the invitation describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    /// Stable per appointment: a later version replaces the event.
    pub uid: &'a str,
    /// Bumped by each later version of the same event.
    pub sequence: u32,
    /// When this version was written.
    pub stamp: Timestamp,
    pub start: Timestamp,
    pub end: Timestamp,
    pub summary: &'a str,
    pub description: &'a str,
    /// Where: the video link, or words ("By phone").
    pub location: Option<&'a str>,
    /// The video link, as a URI.
    pub url: Option<&'a str>,
    /// A cancelled event (METHOD:CANCEL, STATUS:CANCELLED).
    pub cancelled: bool,
}

/// The content type of the attachment, with the method clients look for.
pub fn content_type(cancelled: bool) -> &'static str {
    if cancelled {
        "text/calendar; method=CANCEL; charset=UTF-8"
    } else {
        "text/calendar; method=REQUEST; charset=UTF-8"
    }
}

/// The calendar file for `event`.
pub fn calendar(event: &Event<'_>) -> String {
    let mut out = String::new();
    let method = if event.cancelled { "CANCEL" } else { "REQUEST" };
    let status = if event.cancelled {
        "CANCELLED"
    } else {
        "CONFIRMED"
    };
    let mut line = |l: &str| {
        fold_into(&mut out, l);
    };
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//Bothy//Appointments//EN");
    line("CALSCALE:GREGORIAN");
    line(&format!("METHOD:{method}"));
    line("BEGIN:VEVENT");
    line(&format!("UID:{}", escape(event.uid)));
    line(&format!("SEQUENCE:{}", event.sequence));
    line(&format!("DTSTAMP:{}", utc(event.stamp)));
    line(&format!("DTSTART:{}", utc(event.start)));
    line(&format!("DTEND:{}", utc(event.end)));
    line(&format!("SUMMARY:{}", escape(event.summary)));
    line(&format!("DESCRIPTION:{}", escape(event.description)));
    if let Some(location) = event.location {
        line(&format!("LOCATION:{}", escape(location)));
    }
    if let Some(url) = event.url {
        // A URI value is not TEXT: it is written as it is.
        line(&format!("URL:{url}"));
    }
    line(&format!("STATUS:{status}"));
    line("TRANSP:OPAQUE");
    line("END:VEVENT");
    line("END:VCALENDAR");
    out
}

/// A UTC date-time in the basic form: 20261208T100000Z.
pub fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT escaping (RFC 5545 3.3.11): backslash, semicolon, comma, and line
/// breaks as `\n`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded (RFC 5545 3.1): at most 75 octets a line, each
/// continuation starting with one space, never splitting a character;
/// every line ends in CRLF.
pub fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn event<'a>(summary: &'a str, url: Option<&'a str>) -> Event<'a> {
        Event {
            uid: "appointment-1@bothy.example.org",
            sequence: 0,
            stamp: t("2026-12-01T09:00:00Z"),
            start: t("2026-12-08T10:00:00Z"),
            end: t("2026-12-08T10:50:00Z"),
            summary,
            description: "Join: see the link",
            location: url,
            url,
            cancelled: false,
        }
    }

    fn unfold(text: &str) -> String {
        text.replace("\r\n ", "")
    }

    #[test]
    fn a_calendar_has_its_parts_in_utc_with_crlf_lines() {
        let link = "https://meet.example.org/bothy-abc?jwt=x.y.z";
        let ics = calendar(&event("Appointment with Demo Service", Some(link)));
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        // No bare line feed anywhere.
        assert_eq!(ics.matches('\n').count(), ics.matches("\r\n").count());
        let text = unfold(&ics);
        for line in [
            "METHOD:REQUEST",
            "UID:appointment-1@bothy.example.org",
            "SEQUENCE:0",
            "DTSTAMP:20261201T090000Z",
            "DTSTART:20261208T100000Z",
            "DTEND:20261208T105000Z",
            "SUMMARY:Appointment with Demo Service",
            &format!("URL:{link}"),
            &format!("LOCATION:{link}"),
            "STATUS:CONFIRMED",
        ] {
            assert!(text.contains(&format!("\r\n{line}\r\n")), "{line}\n{ics}");
        }
        let cancelled = calendar(&Event {
            cancelled: true,
            sequence: 1,
            ..event("Appointment with Demo Service", None)
        });
        assert!(cancelled.contains("\r\nMETHOD:CANCEL\r\n"));
        assert!(cancelled.contains("\r\nSTATUS:CANCELLED\r\n"));
        assert!(!cancelled.contains("LOCATION"));
    }

    #[test]
    fn long_lines_are_folded_at_75_octets_without_splitting_a_character() {
        let link = format!("https://meet.example.org/bothy-abc?jwt={}", "a".repeat(300));
        let summary = format!("Appointment with {}", "Gwasanaeth Môn ".repeat(10));
        let ics = calendar(&event(&summary, Some(&link)));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        let text = unfold(&ics);
        assert!(text.contains(&format!("\r\nURL:{link}\r\n")));
        assert!(text.contains(&format!("\r\nSUMMARY:{summary}\r\n")));
        // Exactly 75 octets stays one line; 76 folds once.
        let mut out = String::new();
        fold_into(&mut out, &"x".repeat(75));
        assert_eq!(out, format!("{}\r\n", "x".repeat(75)));
        out.clear();
        fold_into(&mut out, &"x".repeat(76));
        assert_eq!(out, format!("{}\r\n x\r\n", "x".repeat(75)));
        // A two-octet character that would cross the limit moves whole.
        out.clear();
        fold_into(&mut out, &format!("{}ô", "x".repeat(74)));
        assert_eq!(out, format!("{}\r\n ô\r\n", "x".repeat(74)));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape("a, b; c\\d"), "a\\, b\\; c\\\\d");
        assert_eq!(escape("one\r\ntwo\nthree"), "one\\ntwo\\nthree");
        assert_eq!(escape("bell\u{7}"), "bell");
        let ics = calendar(&event("Appointment with A, B; and C", None));
        assert!(ics.contains("SUMMARY:Appointment with A\\, B\\; and C\r\n"));
    }
}
