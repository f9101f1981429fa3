//! The texts sent back in a text-message conversation. Each is fixed text,
//! the service's name and contact, the crisis contacts or a measure's own
//! question, and nothing about the person: never an answer, a score or
//! anything they wrote. All GSM-7 (folded), so a basic phone shows them.

use crate::crisis::CrisisContacts;
use crate::gsm7;
use crate::instruments::Instrument;

/// A text sent in a conversation. Variants carry only which question.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "text", rename_all = "snake_case")]
pub enum CareText {
    /// "How has your mood been today, 0 to 10?" (`retry`: asked again).
    MoodQuestion {
        retry: bool,
    },
    /// Item `index` (0-based) of a measure.
    ItemQuestion {
        instrument: String,
        index: usize,
        retry: bool,
    },
    CheckInThanks,
    MeasureThanks,
    /// An answer not understood twice: nothing was saved.
    NotUnderstood,
    /// The crisis contacts, at once, after words or an answer that signal risk.
    Crisis,
    /// A message that is not an answer went to the care team.
    PassedOn,
    StopConfirmed,
    StartConfirmed,
    Help,
    /// To a number that is nobody's here: nothing about the service or anyone.
    Unknown,
}

/// What a text is made from besides its fixed words.
pub struct CareContext<'a> {
    pub service: &'a str,
    pub contact: &'a str,
    pub crisis: &'a CrisisContacts,
    /// The measure an [`CareText::ItemQuestion`] asks.
    pub instrument: Option<&'a Instrument>,
}

impl CareText {
    /// For staff, in the list of messages sent.
    pub fn label(&self) -> &'static str {
        match self {
            CareText::MoodQuestion { .. } => "Mood check-in question (text)",
            CareText::ItemQuestion { .. } => "Questionnaire question (text)",
            CareText::CheckInThanks | CareText::MeasureThanks => "Thank you (text)",
            CareText::NotUnderstood => "Reply not understood (text)",
            CareText::Crisis => "Crisis contacts (text)",
            CareText::PassedOn => "Message passed on (text)",
            CareText::StopConfirmed => "Texts stopped (text)",
            CareText::StartConfirmed => "Texts started (text)",
            CareText::Help => "Help (text)",
            CareText::Unknown => "Number not known (text)",
        }
    }

    /// Whether it answers what the person just asked of us (help, the
    /// crisis contacts, STOP or START), so it goes whatever they agreed to
    /// for other texts; questions and thank-yous need their agreement.
    pub fn answers_the_person(&self) -> bool {
        matches!(
            self,
            CareText::Crisis
                | CareText::Help
                | CareText::StopConfirmed
                | CareText::StartConfirmed
                | CareText::Unknown
        )
    }

    /// The text, or None when the measure it asks is not given.
    pub fn render(&self, c: &CareContext<'_>) -> Option<String> {
        let name: String = gsm7::fold(c.service).trim().chars().take(30).collect();
        let contact = gsm7::fold(c.contact);
        let crisis = crisis_line(c.crisis);
        let body = match self {
            CareText::MoodQuestion { retry: false } => "How has your mood been today, 0 to 10? \
                 0 is the lowest, 10 the best. Reply with a number. Reply STOP to stop texts."
                .to_string(),
            CareText::MoodQuestion { retry: true } => "Sorry, we did not understand. Please reply \
                 with one number from 0 to 10 for your mood today, for example 6."
                .to_string(),
            CareText::ItemQuestion {
                instrument,
                index,
                retry,
            } => {
                let inst = c.instrument.filter(|i| &i.id == instrument)?;
                let item = inst.items.get(*index)?;
                let options: Vec<String> = inst
                    .options_for(item)
                    .iter()
                    .map(|o| format!("{} {}", o.score, o.label))
                    .collect();
                let intro = item.intro.as_deref().or(inst.preamble.as_deref());
                let sorry = if *retry {
                    "Sorry, please reply with one number. "
                } else {
                    ""
                };
                format!(
                    "{sorry}{} question {} of {}. {}{}? Reply {}",
                    inst.short_name,
                    index + 1,
                    inst.items.len(),
                    intro
                        .map(|i| format!("{} ", i.trim_end_matches('?')))
                        .unwrap_or_default(),
                    item.text.trim_end_matches(['?', '.']),
                    options.join(", ")
                )
            }
            CareText::CheckInThanks => "Thank you. Your check-in has been saved.".to_string(),
            CareText::MeasureThanks => {
                "Thank you. Your answers have been saved for your care team.".to_string()
            }
            CareText::NotUnderstood => format!(
                "Sorry, we could not understand your reply, so nothing was saved. \
                 To contact us: {contact}"
            ),
            CareText::Crisis => crisis,
            CareText::PassedOn => "Thank you. Your message has been passed to your care team. \
                 If you need help now, reply HELP."
                .to_string(),
            CareText::StopConfirmed => {
                "You will get no more texts from us. Reply START to get them again.".to_string()
            }
            CareText::StartConfirmed => {
                "Texts from us will start again. Reply STOP to stop them.".to_string()
            }
            CareText::Help => {
                format!("To contact us: {contact}. {crisis} Reply STOP to stop texts.")
            }
            CareText::Unknown => return Some(gsm7::fold(&crisis)),
        };
        Some(gsm7::fold(&format!("{}: {body}", name.trim_end())))
    }
}

/// "If you need help now: Emergency services: Call 999. Samaritans: ..."
fn crisis_line(crisis: &CrisisContacts) -> String {
    let contacts: Vec<String> = crisis
        .contacts
        .iter()
        .map(|k| format!("{}: {}.", k.name.trim(), k.how.trim().trim_end_matches('.')))
        .collect();
    format!("{}: {}", crisis.heading.trim(), contacts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crisis() -> CrisisContacts {
        CrisisContacts::parse(include_str!("../../../../content/crisis-contacts.toml")).unwrap()
    }

    #[test]
    fn every_text_is_gsm7_and_names_nothing_about_the_person() {
        let crisis = crisis();
        let phq9 = crate::instruments::tests::inst("phq9");
        let c = CareContext {
            service: "Gwasanaeth Môn",
            contact: "0131 496 0000",
            crisis: &crisis,
            instrument: Some(phq9),
        };
        let mut all = vec![
            CareText::MoodQuestion { retry: false },
            CareText::MoodQuestion { retry: true },
            CareText::CheckInThanks,
            CareText::MeasureThanks,
            CareText::NotUnderstood,
            CareText::Crisis,
            CareText::PassedOn,
            CareText::StopConfirmed,
            CareText::StartConfirmed,
            CareText::Help,
            CareText::Unknown,
        ];
        for index in 0..9 {
            for retry in [false, true] {
                all.push(CareText::ItemQuestion {
                    instrument: "phq9".into(),
                    index,
                    retry,
                });
            }
        }
        for text in &all {
            let body = text.render(&c).unwrap();
            let septets = gsm7::septets(&body).unwrap_or_else(|| panic!("not GSM-7: {body}"));
            assert!(gsm7::segments(septets) <= 4, "{text:?}: {septets} septets");
        }
        let q9 = CareText::ItemQuestion {
            instrument: "phq9".into(),
            index: 8,
            retry: false,
        }
        .render(&c)
        .unwrap();
        assert!(
            q9.starts_with("Gwasanaeth Mon: PHQ-9 question 9 of 9. Over the last 2 weeks"),
            "{q9}"
        );
        assert!(
            q9.ends_with(
                "Reply 0 Not at all, 1 Several days, 2 More than half the days, 3 Nearly every day"
            ),
            "{q9}"
        );
        // A number nobody here has learns nothing, not even the service.
        let unknown = CareText::Unknown.render(&c).unwrap();
        assert!(
            !unknown.contains("Mon") && unknown.contains("Call 116 123"),
            "{unknown}"
        );
        // A question for a measure not given is not sent.
        let gad7 = CareText::ItemQuestion {
            instrument: "gad7".into(),
            index: 0,
            retry: false,
        };
        assert_eq!(gad7.render(&c), None);
    }
}
