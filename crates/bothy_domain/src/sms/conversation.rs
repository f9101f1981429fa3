//! A question asked by text message and what the answer does next. One
//! conversation per person at a time: a mood check-in (one question) or a
//! measure asked item by item. An answer that is not understood gets one
//! helpful retry; a second ends the conversation with nothing recorded.

use crate::instruments::Instrument;
use crate::sms::reply::parse_number;
use crate::time::Timestamp;

/// What the person is being asked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "asking", rename_all = "snake_case")]
pub enum Asking {
    /// "How has your mood been today, 0 to 10?"
    Mood,
    /// Item `index` (0-based) of a measure, with the answers so far.
    Item {
        instrument: String,
        index: usize,
        answers: Vec<i32>,
    },
}

/// One open conversation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Conversation {
    /// Random, unique: the answers' idempotency keys are made from it, so
    /// an answer delivered twice is recorded once.
    pub id: String,
    pub asking: Asking,
    /// Whether the current question has been asked again already.
    #[serde(default)]
    pub retried: bool,
    pub expires_at: Timestamp,
}

/// What an answer does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Ask the next question (the conversation as it now stands).
    Next(Conversation),
    /// Not understood: ask the same question again, once.
    Retry(Conversation),
    /// Not understood twice: the conversation ends and nothing is recorded.
    GiveUp,
    /// The check-in's mood.
    CheckIn { mood: u8 },
    /// Every item answered.
    Completed {
        instrument: String,
        answers: Vec<i32>,
    },
}

/// Whether every item of `inst` can be asked by text message: each has
/// answer options scored as whole numbers from 0 to 9 (one digit to type),
/// and none is optional.
pub fn fits_sms(inst: &Instrument) -> bool {
    !inst.items.is_empty()
        && inst.items.iter().all(|item| {
            let options = inst.options_for(item);
            !item.optional
                && item.optional_when.is_none()
                && !options.is_empty()
                && options.iter().all(|o| (0..=9).contains(&o.score))
        })
}

impl Conversation {
    /// Reads `text` as the answer to the current question. `instrument` is
    /// the measure being asked (ignored for a mood check-in); a measure that
    /// no longer fits ends the conversation.
    pub fn answer(&self, text: &str, instrument: Option<&Instrument>) -> Step {
        match &self.asking {
            Asking::Mood => match parse_number(text, 0, 10) {
                Some(mood) => Step::CheckIn { mood: mood as u8 },
                None => self.retry(),
            },
            Asking::Item {
                instrument: id,
                index,
                answers,
            } => {
                let Some(inst) = instrument.filter(|i| &i.id == id && fits_sms(i)) else {
                    return Step::GiveUp;
                };
                let Some(item) = inst.items.get(*index) else {
                    return Step::GiveUp;
                };
                let scores: Vec<i32> = inst.options_for(item).iter().map(|o| o.score).collect();
                let (min, max) = (
                    scores.iter().copied().min().unwrap_or(0),
                    scores.iter().copied().max().unwrap_or(0),
                );
                let Some(value) = parse_number(text, min, max).filter(|v| scores.contains(v))
                else {
                    return self.retry();
                };
                let mut answers = answers.clone();
                answers.push(value);
                if index + 1 == inst.items.len() {
                    return Step::Completed {
                        instrument: id.clone(),
                        answers,
                    };
                }
                Step::Next(Conversation {
                    asking: Asking::Item {
                        instrument: id.clone(),
                        index: index + 1,
                        answers,
                    },
                    retried: false,
                    ..self.clone()
                })
            }
        }
    }

    fn retry(&self) -> Step {
        if self.retried {
            Step::GiveUp
        } else {
            Step::Retry(Conversation {
                retried: true,
                ..self.clone()
            })
        }
    }

    /// Whether the conversation still takes answers at `now`.
    pub fn is_open(&self, now: Timestamp) -> bool {
        now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phq9() -> Instrument {
        crate::instruments::tests::inst("phq9").clone()
    }

    fn asking(asking: Asking) -> Conversation {
        Conversation {
            id: "c1".into(),
            asking,
            retried: false,
            expires_at: "2026-12-06T10:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn a_mood_answer_completes_the_check_in_and_an_unclear_one_is_retried_once() {
        let c = asking(Asking::Mood);
        assert_eq!(c.answer("seven", None), Step::CheckIn { mood: 7 });
        let Step::Retry(again) = c.answer("fine thanks", None) else {
            panic!("an unclear answer is asked again")
        };
        assert!(again.retried);
        assert_eq!(again.answer("7/10", None), Step::CheckIn { mood: 7 });
        assert_eq!(again.answer("not sure", None), Step::GiveUp);
    }

    #[test]
    fn a_measure_is_asked_item_by_item() {
        let inst = phq9();
        assert!(fits_sms(&inst));
        let mut c = asking(Asking::Item {
            instrument: "phq9".into(),
            index: 0,
            answers: vec![],
        });
        for n in 0..8 {
            // An out-of-range answer is retried and the retry flag clears
            // when the next question comes.
            let Step::Retry(r) = c.answer("5", Some(&inst)) else {
                panic!("5 is not a PHQ-9 answer")
            };
            let Step::Next(next) = r.answer(" 1 ", Some(&inst)) else {
                panic!("item {n}")
            };
            assert!(!next.retried);
            c = next;
        }
        assert_eq!(
            c.answer("three", Some(&inst)),
            Step::Completed {
                instrument: "phq9".into(),
                answers: vec![1, 1, 1, 1, 1, 1, 1, 1, 3]
            }
        );
        // Another instrument's definition is never used to read an answer.
        let mut gad7 = inst.clone();
        gad7.id = "gad7".into();
        assert_eq!(c.answer("1", Some(&gad7)), Step::GiveUp);
    }
}
