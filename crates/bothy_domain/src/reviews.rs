//! Supported reviews of a programme enrolment (issue 14): a supporter
//! looks at what the person has done since the last review and writes
//! them feedback. This module holds the review as stored, the feedback's
//! rules, when the next review falls due, and the shipped starting texts
//! (`content/review-templates.toml`).

use crate::ids::{EnrolmentId, ReviewId};
use crate::text::{self, Lines};
use crate::time::Timestamp;
use crate::{PatientId, ServiceId, StaffId};
use serde::Deserialize;

/// The longest feedback, in characters.
pub const FEEDBACK_MAX: usize = 4_000;

/// The shipped starting texts.
pub const DEFAULT_TEMPLATES: &str = include_str!("../../../content/review-templates.toml");

/// One review as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub id: ReviewId,
    pub enrolment_id: EnrolmentId,
    pub patient_id: PatientId,
    pub service_id: ServiceId,
    pub reviewer_id: StaffId,
    pub feedback: String,
    /// The due date this review answered: one review per due date.
    pub due_at: Timestamp,
    pub written_at: Timestamp,
    /// When the person first opened it.
    pub read_at: Option<Timestamp>,
}

/// Feedback as typed: trimmed, required, at most [`FEEDBACK_MAX`]
/// characters, free text that shows as typed. Line endings become `\n`.
/// The error names the form's field, `feedback`.
pub fn parse_feedback(raw: &str) -> Result<String, (&'static str, String)> {
    let feedback = raw.trim();
    let count = feedback.chars().count();
    let problem = if feedback.is_empty() {
        Some("Enter your feedback for the person".to_string())
    } else if count > FEEDBACK_MAX {
        Some(format!(
            "Feedback must be {FEEDBACK_MAX} characters or fewer (it has {count})"
        ))
    } else {
        text::check(feedback, Lines::Many)
            .err()
            .map(|e| e.message("Your feedback", Lines::Many))
    };
    match problem {
        Some(p) => Err(("feedback", p)),
        None => Ok(feedback.replace("\r\n", "\n")),
    }
}

/// When the next review is due: `every_days` after the last review, or
/// after enrolment when there has been none.
pub fn next_due(
    enrolled_at: Timestamp,
    last_review: Option<Timestamp>,
    every_days: u32,
) -> Timestamp {
    let from = last_review.unwrap_or(enrolled_at);
    from.saturating_add(jiff::SignedDuration::from_hours(24 * i64::from(every_days)))
        .unwrap_or(from)
}

/// A starting text for feedback.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub name: String,
    pub title: String,
    pub text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplatesFile {
    template: Vec<Template>,
}

/// The review templates, in the file's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates(pub Vec<Template>);

impl Templates {
    /// Reads and checks a templates file: names of lower-case letters,
    /// digits and hyphens, each once; titles of one line; texts that are
    /// usable feedback.
    pub fn parse(text: &str) -> Result<Templates, String> {
        let file: TemplatesFile = toml::from_str(text).map_err(|e| e.to_string())?;
        for (n, t) in file.template.iter().enumerate() {
            let good_name = !t.name.is_empty()
                && t.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !good_name || file.template[..n].iter().any(|o| o.name == t.name) {
                return Err(format!(
                    "template[{n}].name: {:?} is not a unique short name",
                    t.name
                ));
            }
            if t.title.trim().is_empty() || text::check(&t.title, Lines::One).is_err() {
                return Err(format!("template[{n}].title: one line of text"));
            }
            parse_feedback(&t.text).map_err(|(_, m)| format!("template[{n}].text: {m}"))?;
        }
        Ok(Templates(file.template))
    }

    /// The shipped templates.
    pub fn shipped() -> Templates {
        Templates::parse(DEFAULT_TEMPLATES)
            .unwrap_or_else(|e| panic!("content/review-templates.toml is invalid: {e}"))
    }

    pub fn get(&self, name: &str) -> Option<&Template> {
        self.0.iter().find(|t| t.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_templates_are_valid() {
        let t = Templates::shipped();
        assert!(t.0.len() >= 3);
        assert_eq!(t.get("good-progress").unwrap().title, "Good progress");
    }

    #[test]
    fn feedback_is_required_bounded_and_shows_as_typed() {
        assert_eq!(parse_feedback("  Well done \r\n").unwrap(), "Well done");
        assert_eq!(parse_feedback(" ").unwrap_err().0, "feedback");
        assert!(parse_feedback(&"a".repeat(FEEDBACK_MAX)).is_ok());
        assert!(parse_feedback(&"a".repeat(FEEDBACK_MAX + 1)).is_err());
        assert!(parse_feedback("bad \u{0007} bell").is_err());
    }

    #[test]
    fn the_next_review_follows_the_last_or_enrolment() {
        let t0: Timestamp = "2026-03-01T10:00:00Z".parse().unwrap();
        let t5: Timestamp = "2026-03-06T10:00:00Z".parse().unwrap();
        assert_eq!(next_due(t0, None, 14).to_string(), "2026-03-15T10:00:00Z");
        assert_eq!(
            next_due(t0, Some(t5), 7).to_string(),
            "2026-03-13T10:00:00Z"
        );
    }

    #[test]
    fn bad_templates_are_refused() {
        let dup = "[[template]]\nname=\"a\"\ntitle=\"A\"\ntext=\"x\"\n[[template]]\nname=\"a\"\ntitle=\"B\"\ntext=\"y\"\n";
        assert!(Templates::parse(dup).is_err());
        assert!(Templates::parse("[[template]]\nname=\"A b\"\ntitle=\"A\"\ntext=\"x\"\n").is_err());
    }
}
