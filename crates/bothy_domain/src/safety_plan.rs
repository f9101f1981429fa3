//! Safety plans: what a person writes down, in their own words, to get
//! through a crisis (after Stanley and Brown's Safety Planning Intervention):
//! their warning signs, what they can do to cope, people and places that
//! help, professionals to contact, and how to make their surroundings safer.
//! Each section is a list of short items, one per line as typed. Validated on
//! construction; coping suggestions after a low check-in are drawn from it.

use crate::ids::{PatientId, ServiceId};
use crate::text::{self, Lines};
use crate::time::Timestamp;

/// The most items one section may hold: a plan is read in a hard moment, so
/// it must stay short enough to take in at a glance.
pub const ITEMS_MAX: usize = 20;
/// The longest item, in characters.
pub const ITEM_CHARS_MAX: usize = 300;

/// A check-in mood at or below this (on 0 to 10) is low enough to offer the
/// person what has helped them before. Not a clinical cut-off (alerts have
/// their own rules): offering costs the person nothing and missing a bad
/// moment costs more, so the bottom of the scale up to 3 ("low" on most
/// 0-10 mood ratings) is included rather than only 0 to 2.
pub const LOW_MOOD_MAX: u8 = 3;

/// Whether a check-in mood is low enough to offer coping suggestions.
pub fn is_low_mood(mood: u8) -> bool {
    mood <= LOW_MOOD_MAX
}

/// The five sections, in the order the plan is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    WarningSigns,
    CopingStrategies,
    PeopleAndPlaces,
    Professionals,
    SafeEnvironment,
}

impl Section {
    pub const ALL: [Section; 5] = [
        Section::WarningSigns,
        Section::CopingStrategies,
        Section::PeopleAndPlaces,
        Section::Professionals,
        Section::SafeEnvironment,
    ];

    /// The form field's name, and the stored column's.
    pub fn field(self) -> &'static str {
        match self {
            Section::WarningSigns => "warning_signs",
            Section::CopingStrategies => "coping_strategies",
            Section::PeopleAndPlaces => "people_and_places",
            Section::Professionals => "professionals",
            Section::SafeEnvironment => "safe_environment",
        }
    }

    /// The section's heading.
    pub fn label(self) -> &'static str {
        match self {
            Section::WarningSigns => "My warning signs",
            Section::CopingStrategies => "Things I can do to cope",
            Section::PeopleAndPlaces => "People and places that help",
            Section::Professionals => "Professionals and services I can contact",
            Section::SafeEnvironment => "Making my surroundings safer",
        }
    }

    /// The section as named in an error message.
    fn in_words(self) -> &'static str {
        match self {
            Section::WarningSigns => "your warning signs",
            Section::CopingStrategies => "things you can do to cope",
            Section::PeopleAndPlaces => "people and places that help",
            Section::Professionals => "professionals and services",
            Section::SafeEnvironment => "making your surroundings safer",
        }
    }

    /// What to write, in a sentence.
    pub fn question(self) -> &'static str {
        match self {
            Section::WarningSigns => {
                "Thoughts, feelings or situations that tell you a crisis may be coming."
            }
            Section::CopingStrategies => {
                "Things you can do on your own to take your mind off things or feel calmer."
            }
            Section::PeopleAndPlaces => {
                "People you can talk to, and places you can go, that help you feel better. Add a phone number if it helps."
            }
            Section::Professionals => {
                "Your GP, your therapist, a helpline or a service you can contact, with their number."
            }
            Section::SafeEnvironment => {
                "Steps you can take to keep yourself safe where you are, for example what to put out of reach."
            }
        }
    }
}

/// A plan as typed: one text per section, items one per line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SafetyPlanText {
    pub warning_signs: String,
    pub coping_strategies: String,
    pub people_and_places: String,
    pub professionals: String,
    pub safe_environment: String,
}

impl SafetyPlanText {
    pub fn section(&self, s: Section) -> &str {
        match s {
            Section::WarningSigns => &self.warning_signs,
            Section::CopingStrategies => &self.coping_strategies,
            Section::PeopleAndPlaces => &self.people_and_places,
            Section::Professionals => &self.professionals,
            Section::SafeEnvironment => &self.safe_environment,
        }
    }
}

/// A valid safety plan: five lists of trimmed, non-empty items.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SafetyPlan {
    /// In [`Section::ALL`] order.
    sections: [Vec<String>; 5],
}

fn items(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .map(str::trim)
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(|(i, l)| (i + 1, l))
}

impl SafetyPlan {
    /// Validates a plan as typed. Every problem is returned, each with its
    /// field, in words the person can act on.
    pub fn parse(text: &SafetyPlanText) -> Result<Self, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let mut plan = SafetyPlan::default();
        for (i, s) in Section::ALL.into_iter().enumerate() {
            let section = s.in_words();
            let lines: Vec<(usize, &str)> = items(text.section(s)).collect();
            if lines.len() > ITEMS_MAX {
                errors.push((
                    s.field(),
                    format!(
                        "Keep {section} to {ITEMS_MAX} lines or fewer (it has {}): choose the ones that matter most",
                        lines.len()
                    ),
                ));
            }
            if let Some((n, l)) = lines
                .iter()
                .find(|(_, l)| l.chars().count() > ITEM_CHARS_MAX)
            {
                errors.push((
                    s.field(),
                    format!(
                        "In {section}, line {n} is too long: keep each line to {ITEM_CHARS_MAX} characters or fewer (it has {})",
                        l.chars().count()
                    ),
                ));
            } else if let Some((n, e)) = lines.iter().find_map(|(n, l)| {
                // One line each, split at line breaks; a tab inside is kept.
                text::check(l, Lines::Many).err().map(|e| (n, e))
            }) {
                errors.push((
                    s.field(),
                    e.message(&format!("In {section}, line {n}"), Lines::Many),
                ));
            }
            plan.sections[i] = lines.into_iter().map(|(_, l)| l.to_string()).collect();
        }
        if errors.is_empty() && plan.is_empty() {
            errors.push((
                Section::WarningSigns.field(),
                "Write at least one thing in any part of your safety plan".into(),
            ));
        }
        if errors.is_empty() {
            Ok(plan)
        } else {
            Err(errors)
        }
    }

    /// A plan read back from storage. Not checked against today's limits, so
    /// that changing a limit never makes a saved plan unreadable.
    pub fn from_stored(text: &SafetyPlanText) -> Self {
        let mut plan = SafetyPlan::default();
        for (i, s) in Section::ALL.into_iter().enumerate() {
            plan.sections[i] = items(text.section(s)).map(|(_, l)| l.to_string()).collect();
        }
        plan
    }

    /// The plan as text, one item per line: how it is stored and edited.
    pub fn to_text(&self) -> SafetyPlanText {
        let j = |s: Section| self.items(s).join("\n");
        SafetyPlanText {
            warning_signs: j(Section::WarningSigns),
            coping_strategies: j(Section::CopingStrategies),
            people_and_places: j(Section::PeopleAndPlaces),
            professionals: j(Section::Professionals),
            safe_environment: j(Section::SafeEnvironment),
        }
    }

    pub fn items(&self, s: Section) -> &[String] {
        let i = Section::ALL.iter().position(|x| *x == s).unwrap_or(0);
        &self.sections[i]
    }

    pub fn is_empty(&self) -> bool {
        self.sections.iter().all(Vec::is_empty)
    }
}

/// A saved version of a patient's plan. Every save is a new version; the
/// newest is the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSafetyPlan {
    pub patient_id: PatientId,
    pub service_id: ServiceId,
    /// 1 for the first save, then one more per save.
    pub version: i64,
    pub plan: SafetyPlan,
    pub saved_at: Timestamp,
    /// Who saved it: an audit actor kind (`patient`, `staff`) and their id.
    pub saved_by_kind: String,
    pub saved_by_id: Option<String>,
}

/// Where a suggestion comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuggestionSource {
    CopingStrategy,
    PersonOrPlace,
    /// A self-help tool the person rated helpful.
    Tool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub source: SuggestionSource,
    pub text: String,
}

/// What to offer after a low check-in, at most `max` items: the person's own
/// coping strategies first (things they can do alone, straight away, which is
/// the order a safety plan is worked through), then people and places to
/// reach, then tools they rated helpful. Their own words come before any
/// tool's. Warning signs are left out (they are not actions) and so are
/// professionals (the crisis contacts are on every page already).
/// Duplicates, compared ignoring case and spacing, are shown once, where
/// they first appear.
pub fn coping_suggestions(
    plan: &SafetyPlan,
    helpful_tools: &[&str],
    max: usize,
) -> Vec<Suggestion> {
    let own = |s: Section, source| plan.items(s).iter().map(move |t| (source, t.as_str()));
    let candidates = own(Section::CopingStrategies, SuggestionSource::CopingStrategy)
        .chain(own(
            Section::PeopleAndPlaces,
            SuggestionSource::PersonOrPlace,
        ))
        .chain(
            helpful_tools
                .iter()
                .map(|t| (SuggestionSource::Tool, t.trim())),
        );
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (source, text) in candidates {
        if out.len() >= max {
            break;
        }
        let key = text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        if key.is_empty() || seen.contains(&key) {
            continue;
        }
        seen.push(key);
        out.push(Suggestion {
            source,
            text: text.to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(coping: &str, people: &str) -> SafetyPlanText {
        SafetyPlanText {
            coping_strategies: coping.into(),
            people_and_places: people.into(),
            ..Default::default()
        }
    }

    fn fields(r: Result<SafetyPlan, Vec<(&'static str, String)>>) -> Vec<&'static str> {
        r.err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.0)
            .collect()
    }

    #[test]
    fn lines_are_trimmed_and_blank_lines_dropped() {
        let plan = SafetyPlan::parse(&text("  walk the dog \r\n\r\n\n music\n", "")).unwrap();
        assert_eq!(
            plan.items(Section::CopingStrategies),
            ["walk the dog", "music"]
        );
        assert!(plan.items(Section::WarningSigns).is_empty());
        assert_eq!(plan.to_text().coping_strategies, "walk the dog\nmusic");
        assert_eq!(SafetyPlan::from_stored(&plan.to_text()), plan);
    }

    #[test]
    fn an_empty_plan_is_refused() {
        let r = SafetyPlan::parse(&text(" \n \r\n", ""));
        assert_eq!(fields(r.clone()), ["warning_signs"]);
        assert_eq!(
            r.unwrap_err()[0].1,
            "Write at least one thing in any part of your safety plan"
        );
    }

    #[test]
    fn limits_per_section_and_per_line_name_the_section_and_line() {
        let many = vec!["x"; ITEMS_MAX + 1].join("\n");
        let r = SafetyPlan::parse(&text(&many, "ok"));
        assert_eq!(fields(r.clone()), ["coping_strategies"]);
        assert_eq!(
            r.unwrap_err()[0].1,
            "Keep things you can do to cope to 20 lines or fewer (it has 21): choose the ones that matter most"
        );
        assert!(SafetyPlan::parse(&text(&vec!["x"; ITEMS_MAX].join("\n"), "")).is_ok());

        let long = format!("ok\n\n{}", "é".repeat(ITEM_CHARS_MAX + 1));
        let r = SafetyPlan::parse(&text("", &long));
        assert_eq!(fields(r.clone()), ["people_and_places"]);
        assert_eq!(
            r.unwrap_err()[0].1,
            "In people and places that help, line 3 is too long: keep each line to 300 characters or fewer (it has 301)"
        );
        assert!(SafetyPlan::parse(&text("", &"é".repeat(ITEM_CHARS_MAX))).is_ok());

        // Every section's problem at once.
        let r = SafetyPlan::parse(&SafetyPlanText {
            warning_signs: many.clone(),
            safe_environment: "a\u{7}b".into(),
            ..Default::default()
        });
        assert_eq!(fields(r), ["warning_signs", "safe_environment"]);
    }

    #[test]
    fn suggestions_put_own_coping_first_then_people_then_tools() {
        let plan = SafetyPlan::parse(&SafetyPlanText {
            warning_signs: "not sleeping".into(),
            coping_strategies: "Walk the dog\nmusic".into(),
            people_and_places: "Call Ana\nthe park".into(),
            professionals: "GP 0131 000 0000".into(),
            safe_environment: "give tablets to Ana".into(),
        })
        .unwrap();
        let s = coping_suggestions(&plan, &["Breathing space"], 10);
        let texts: Vec<&str> = s.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Walk the dog",
                "music",
                "Call Ana",
                "the park",
                "Breathing space"
            ]
        );
        assert_eq!(s[0].source, SuggestionSource::CopingStrategy);
        assert_eq!(s[2].source, SuggestionSource::PersonOrPlace);
        assert_eq!(s[4].source, SuggestionSource::Tool);
        assert_eq!(coping_suggestions(&plan, &[], 3).len(), 3);
        assert!(coping_suggestions(&plan, &[], 0).is_empty());
    }

    #[test]
    fn suggestions_are_deduplicated_ignoring_case_and_spacing() {
        let plan = SafetyPlan::parse(&text("Music\nmusic", "  MUSIC  \nthe  park")).unwrap();
        let s = coping_suggestions(&plan, &["the park", "music", " ", "Breathing"], 10);
        let texts: Vec<&str> = s.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["Music", "the  park", "Breathing"]);
    }

    #[test]
    fn low_mood_is_3_or_below() {
        assert!(is_low_mood(0) && is_low_mood(3));
        assert!(!is_low_mood(4) && !is_low_mood(10));
    }
}
