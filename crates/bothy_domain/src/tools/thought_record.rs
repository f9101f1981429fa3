//! The thought record of cognitive behavioural therapy: what happened, what
//! the person felt and how strongly, the "hot" thought that came with it and
//! how much they believed it, the evidence for and against it, a more
//! balanced thought, and how strong the feeling is after writing it down
//! (the seven-column record of Greenberger and Padesky, Mind Over Mood).
//!
//! Checked on construction from what was typed: the situation, the feelings
//! and the hot thought are needed, with how strong the feeling was and how
//! much the thought was believed; the rest may be left empty, since a first
//! record often stops at the thought. Every problem is named with its field,
//! so a form can keep what was right and point at what was not.

use crate::text::{self, Lines};

/// The longest any one answer may be, in characters.
pub const TEXT_MAX: usize = 2_000;
/// Ratings run from 0 (not at all) to this (as strong as it gets).
pub const RATING_MAX: u8 = 100;

/// A field and what to fix, in plain words.
pub type Problems = Vec<(&'static str, String)>;

/// A thought record as typed: each answer as text, ratings too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThoughtRecordInput {
    pub situation: String,
    pub feelings: String,
    pub feeling_before: String,
    pub hot_thought: String,
    pub belief_before: String,
    pub evidence_for: String,
    pub evidence_against: String,
    pub balanced_thought: String,
    pub balanced_belief: String,
    pub feeling_after: String,
}

/// A thought record whose every field has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThoughtRecord {
    /// Where the person was, who with, what happened.
    pub situation: String,
    /// What they felt (sad, anxious, angry ...).
    pub feelings: String,
    /// How strong the feeling was, 0 to 100.
    pub feeling_before: u8,
    /// The thought that went with the strongest feeling.
    pub hot_thought: String,
    /// How much they believed it, 0 to 100.
    pub belief_before: u8,
    pub evidence_for: Option<String>,
    pub evidence_against: Option<String>,
    pub balanced_thought: Option<String>,
    /// How much they believe the balanced thought, 0 to 100.
    pub balanced_belief: Option<u8>,
    /// How strong the feeling is now, 0 to 100.
    pub feeling_after: Option<u8>,
}

impl ThoughtRecord {
    /// Checks a record as typed. Text is trimmed and its line endings made
    /// `\n`; a rating may be written with a `%` after it.
    pub fn parse(input: &ThoughtRecordInput) -> Result<Self, Problems> {
        let mut problems = Problems::new();
        let situation = answer(
            &mut problems,
            "situation",
            "The situation",
            &input.situation,
            Some("Write what was happening, even in a few words"),
        );
        let feelings = answer(
            &mut problems,
            "feelings",
            "What you felt",
            &input.feelings,
            Some("Write what you felt, for example sad, anxious or angry"),
        );
        let feeling_before = rating(
            &mut problems,
            "feeling_before",
            "How strong the feeling was",
            &input.feeling_before,
            true,
        );
        let hot_thought = answer(
            &mut problems,
            "hot_thought",
            "The thought",
            &input.hot_thought,
            Some("Write the thought that went through your mind"),
        );
        let belief_before = rating(
            &mut problems,
            "belief_before",
            "How much you believed the thought",
            &input.belief_before,
            true,
        );
        let evidence_for = answer(
            &mut problems,
            "evidence_for",
            "The evidence for the thought",
            &input.evidence_for,
            None,
        );
        let evidence_against = answer(
            &mut problems,
            "evidence_against",
            "The evidence against the thought",
            &input.evidence_against,
            None,
        );
        let balanced_thought = answer(
            &mut problems,
            "balanced_thought",
            "The balanced thought",
            &input.balanced_thought,
            None,
        );
        let balanced_belief = rating(
            &mut problems,
            "balanced_belief",
            "How much you believe the balanced thought",
            &input.balanced_belief,
            false,
        );
        if balanced_belief.flatten().is_some()
            && balanced_thought.as_ref().is_some_and(Option::is_none)
        {
            problems.push((
                "balanced_thought",
                "Write the balanced thought you rated, or leave its rating empty".into(),
            ));
        }
        let feeling_after = rating(
            &mut problems,
            "feeling_after",
            "How strong the feeling is now",
            &input.feeling_after,
            false,
        );
        match (
            situation.flatten(),
            feelings.flatten(),
            feeling_before.flatten(),
            hot_thought.flatten(),
            belief_before.flatten(),
        ) {
            (
                Some(situation),
                Some(feelings),
                Some(feeling_before),
                Some(hot_thought),
                Some(belief_before),
            ) if problems.is_empty() => Ok(Self {
                situation,
                feelings,
                feeling_before,
                hot_thought,
                belief_before,
                evidence_for: evidence_for.flatten(),
                evidence_against: evidence_against.flatten(),
                balanced_thought: balanced_thought.flatten(),
                balanced_belief: balanced_belief.flatten(),
                feeling_after: feeling_after.flatten(),
            }),
            _ => Err(problems),
        }
    }

    /// Every free text of the record, for the risk detectors.
    pub fn texts(&self) -> Vec<&str> {
        let mut t = vec![
            self.situation.as_str(),
            self.feelings.as_str(),
            self.hot_thought.as_str(),
        ];
        t.extend(
            [
                &self.evidence_for,
                &self.evidence_against,
                &self.balanced_thought,
            ]
            .into_iter()
            .flatten()
            .map(String::as_str),
        );
        t
    }
}

/// One free-text answer: `None` if it was refused (the problem is pushed),
/// `Some(None)` if empty and optional, `Some(Some(text))` otherwise.
/// `required` holds the message for an empty answer that is needed.
pub(super) fn answer(
    problems: &mut Problems,
    field: &'static str,
    what: &str,
    typed: &str,
    required: Option<&str>,
) -> Option<Option<String>> {
    let t = typed.trim();
    if t.is_empty() {
        return match required {
            Some(message) => {
                problems.push((field, message.to_string()));
                None
            }
            None => Some(None),
        };
    }
    let n = t.chars().count();
    if n > TEXT_MAX {
        problems.push((
            field,
            format!("{what} must be {TEXT_MAX} characters or fewer (it has {n})"),
        ));
        return None;
    }
    if let Err(e) = text::check(t, Lines::Many) {
        problems.push((field, e.message(what, Lines::Many)));
        return None;
    }
    Some(Some(t.replace("\r\n", "\n").replace('\r', "\n")))
}

/// One rating from 0 to 100, as [`answer`] answers.
fn rating(
    problems: &mut Problems,
    field: &'static str,
    what: &str,
    typed: &str,
    required: bool,
) -> Option<Option<u8>> {
    rating_to(problems, field, what, typed, required, RATING_MAX)
}

/// One rating from 0 to `max`, as [`answer`] answers; `50%` reads as 50.
pub(super) fn rating_to(
    problems: &mut Problems,
    field: &'static str,
    what: &str,
    typed: &str,
    required: bool,
    max: u8,
) -> Option<Option<u8>> {
    let t = typed.trim();
    let t = t.strip_suffix('%').unwrap_or(t).trim_end();
    if t.is_empty() {
        if required {
            problems.push((field, format!("{what}: give a number from 0 to {max}")));
            return None;
        }
        return Some(None);
    }
    match t.parse::<u8>() {
        Ok(r) if r <= max => Some(Some(r)),
        _ => {
            problems.push((
                field,
                format!("{what} must be a whole number from 0 to {max}"),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> ThoughtRecordInput {
        ThoughtRecordInput {
            situation: "At work, my manager walked past without saying hello".into(),
            feelings: "Anxious".into(),
            feeling_before: "80".into(),
            hot_thought: "She is annoyed with me".into(),
            belief_before: "70%".into(),
            evidence_for: "She looked serious".into(),
            evidence_against: "She was on the phone\r\nShe thanked me yesterday".into(),
            balanced_thought: "She was busy; it was not about me".into(),
            balanced_belief: "60".into(),
            feeling_after: "40".into(),
        }
    }

    fn fields(r: Result<ThoughtRecord, Problems>) -> Vec<&'static str> {
        r.unwrap_err().into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn a_full_record_is_kept_as_typed() {
        let r = ThoughtRecord::parse(&filled()).unwrap();
        assert_eq!(r.feeling_before, 80);
        assert_eq!(r.belief_before, 70);
        assert_eq!(
            r.evidence_against.as_deref(),
            Some("She was on the phone\nShe thanked me yesterday")
        );
        assert_eq!((r.balanced_belief, r.feeling_after), (Some(60), Some(40)));
        assert_eq!(r.texts().len(), 6);
    }

    #[test]
    fn the_later_columns_may_be_left_empty() {
        let input = ThoughtRecordInput {
            evidence_for: " ".into(),
            evidence_against: String::new(),
            balanced_thought: String::new(),
            balanced_belief: String::new(),
            feeling_after: String::new(),
            ..filled()
        };
        let r = ThoughtRecord::parse(&input).unwrap();
        assert_eq!(r.evidence_for, None);
        assert_eq!((r.balanced_belief, r.feeling_after), (None, None));
        assert_eq!(r.texts().len(), 3);
    }

    #[test]
    fn impossible_values_are_refused_by_field() {
        let input = ThoughtRecordInput {
            feeling_before: "150".into(),
            belief_before: "abc".into(),
            feeling_after: "-1".into(),
            balanced_belief: "50.5".into(),
            ..filled()
        };
        assert_eq!(
            fields(ThoughtRecord::parse(&input)),
            [
                "feeling_before",
                "belief_before",
                "balanced_belief",
                "feeling_after"
            ]
        );
        let empty = ThoughtRecordInput::default();
        assert_eq!(
            fields(ThoughtRecord::parse(&empty)),
            [
                "situation",
                "feelings",
                "feeling_before",
                "hot_thought",
                "belief_before"
            ]
        );
        for ok in ["0", "100", " 55 ", "55 %"] {
            let input = ThoughtRecordInput {
                feeling_before: ok.into(),
                ..filled()
            };
            assert!(ThoughtRecord::parse(&input).is_ok(), "{ok}");
        }
    }

    #[test]
    fn text_is_bounded_and_must_show_as_typed() {
        let input = ThoughtRecordInput {
            situation: "a".repeat(TEXT_MAX + 1),
            hot_thought: "I am\u{200B}useless".into(),
            ..filled()
        };
        let problems = ThoughtRecord::parse(&input).unwrap_err();
        assert_eq!(problems[0].0, "situation");
        assert!(
            problems[0]
                .1
                .contains("2000 characters or fewer (it has 2001)")
        );
        assert_eq!(problems[1].0, "hot_thought");
        let input = ThoughtRecordInput {
            situation: "é".repeat(TEXT_MAX),
            ..filled()
        };
        assert!(ThoughtRecord::parse(&input).is_ok());
    }

    #[test]
    fn a_rated_balanced_thought_must_be_written() {
        let input = ThoughtRecordInput {
            balanced_thought: String::new(),
            ..filled()
        };
        assert_eq!(fields(ThoughtRecord::parse(&input)), ["balanced_thought"]);
    }
}
