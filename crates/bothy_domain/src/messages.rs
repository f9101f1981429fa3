//! Secure messages between a patient and their care team: threads with a
//! subject, each holding messages oldest first. A message's body and a
//! thread's subject are free text, validated on construction; whoever wrote
//! a message, the other side's first reading of it is its read state.

use crate::ids::{MessageId, PatientId, ServiceId, StaffId, ThreadId};
use crate::text::{self, Lines};
use crate::time::Timestamp;

/// The longest message body, in characters.
pub const BODY_MAX: usize = 5_000;
/// The longest thread subject, in characters.
pub const SUBJECT_MAX: usize = 120;

/// Who wrote a message (or started a thread).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    Patient(PatientId),
    Staff(StaffId),
}

impl Author {
    /// The stored kind: `patient` or `staff`.
    pub fn kind(self) -> &'static str {
        match self {
            Author::Patient(_) => "patient",
            Author::Staff(_) => "staff",
        }
    }

    /// The stored id.
    pub fn id(self) -> String {
        match self {
            Author::Patient(p) => p.to_string(),
            Author::Staff(s) => s.to_string(),
        }
    }

    pub fn is_patient(self) -> bool {
        matches!(self, Author::Patient(_))
    }

    /// The author from its stored kind and id.
    pub fn parse(kind: &str, id: &str) -> Option<Self> {
        match kind {
            "patient" => id.parse().ok().map(Author::Patient),
            "staff" => id.parse().ok().map(Author::Staff),
            _ => None,
        }
    }
}

/// A conversation between one patient and their care team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    pub id: ThreadId,
    pub patient_id: PatientId,
    pub service_id: ServiceId,
    pub subject: String,
    pub created_by: Author,
    pub created_at: Timestamp,
    /// When its newest message was sent.
    pub last_message_at: Timestamp,
}

/// That a member of staff marked a message as needing a clinician.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeedsClinician {
    pub by: StaffId,
    pub at: Timestamp,
}

/// One message in a thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: MessageId,
    pub thread_id: ThreadId,
    pub patient_id: PatientId,
    pub service_id: ServiceId,
    pub author: Author,
    pub body: String,
    pub sent_at: Timestamp,
    /// When the other side first opened the thread after it was sent: the
    /// patient for a message from staff, any member of the care team for
    /// one from the patient (`read_by`).
    pub read_at: Option<Timestamp>,
    pub read_by: Option<StaffId>,
    pub needs_clinician: Option<NeedsClinician>,
}

/// A thread as its list shows it: the thread, how many messages it holds,
/// how many the viewer has not read, and how many are marked as needing a
/// clinician.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadSummary {
    pub thread: Thread,
    pub messages: i64,
    pub unread: i64,
    pub needs_clinician: i64,
}

/// The problems with a typed value, each with its field.
pub type FieldProblems = Vec<(&'static str, String)>;

/// A message body as typed: trimmed, required, at most [`BODY_MAX`]
/// characters, and free text that shows as typed (`text::check`). Line
/// endings are kept as `\n`.
pub fn parse_body(raw: &str) -> Result<String, FieldProblems> {
    let body = raw.trim();
    let count = body.chars().count();
    let problem = if body.is_empty() {
        Some("Enter your message".to_string())
    } else if count > BODY_MAX {
        Some(format!(
            "Your message must be {BODY_MAX} characters or fewer (it has {count})"
        ))
    } else {
        text::check(body, Lines::Many)
            .err()
            .map(|e| e.message("Your message", Lines::Many))
    };
    match problem {
        Some(p) => Err(vec![("body", p)]),
        None => Ok(body.replace("\r\n", "\n")),
    }
}

/// A thread's subject as typed: trimmed, required, one line, at most
/// [`SUBJECT_MAX`] characters.
pub fn parse_subject(raw: &str) -> Result<String, FieldProblems> {
    let subject = raw.trim();
    let count = subject.chars().count();
    let problem = if subject.is_empty() {
        Some("Enter a subject: a few words about what you want to talk about".to_string())
    } else if count > SUBJECT_MAX {
        Some(format!(
            "The subject must be {SUBJECT_MAX} characters or fewer (it has {count})"
        ))
    } else {
        text::check(subject, Lines::One)
            .err()
            .map(|e| e.message("The subject", Lines::One))
    };
    match problem {
        Some(p) => Err(vec![("subject", p)]),
        None => Ok(subject.to_string()),
    }
}

/// A new thread's subject and first message, every problem at once.
pub fn parse_new_thread(subject: &str, body: &str) -> Result<(String, String), FieldProblems> {
    match (parse_subject(subject), parse_body(body)) {
        (Ok(s), Ok(b)) => Ok((s, b)),
        (s, b) => Err(s
            .err()
            .unwrap_or_default()
            .into_iter()
            .chain(b.err().unwrap_or_default())
            .collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<T>(r: Result<T, FieldProblems>) -> Vec<&'static str> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|(f, _)| f)
            .collect()
    }

    #[test]
    fn a_body_is_required_and_at_most_5000_characters() {
        assert_eq!(parse_body("  Hello\r\nthere  ").unwrap(), "Hello\nthere");
        assert_eq!(fields(parse_body("   ")), ["body"]);
        assert!(parse_body(&"é".repeat(BODY_MAX)).is_ok());
        let long = parse_body(&"x".repeat(BODY_MAX + 1)).unwrap_err();
        assert!(long[0].1.contains("5000 characters or fewer (it has 5001)"));
        assert_eq!(fields(parse_body("a\u{202E}b")), ["body"]);
    }

    #[test]
    fn a_subject_is_one_short_line() {
        assert_eq!(parse_subject(" Sleep ").unwrap(), "Sleep");
        assert_eq!(fields(parse_subject("")), ["subject"]);
        assert_eq!(fields(parse_subject("a\nb")), ["subject"]);
        assert!(parse_subject(&"s".repeat(SUBJECT_MAX)).is_ok());
        assert_eq!(
            fields(parse_subject(&"s".repeat(SUBJECT_MAX + 1))),
            ["subject"]
        );
        assert_eq!(fields(parse_new_thread("", "")), ["subject", "body"]);
    }

    #[test]
    fn authors_read_back() {
        let p = PatientId::random();
        let s = StaffId::random();
        for a in [Author::Patient(p), Author::Staff(s)] {
            assert_eq!(Author::parse(a.kind(), &a.id()), Some(a));
        }
        assert_eq!(Author::parse("robot", &p.to_string()), None);
        assert_eq!(Author::parse("staff", "nope"), None);
    }
}
