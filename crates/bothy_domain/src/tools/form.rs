//! Tools that are a form of a few fields: the activity diary and planner,
//! the worry log, the exposure ladder and goals (their fields and rules are
//! in [`super::specs`]). One description of each form's fields serves the
//! checks, the stored shape and the pages, so a new tool of this kind is
//! a list of fields and a rule, not new code in every layer.
//!
//! Checked on construction: each field by its kind, then the tool's own
//! rule across fields (a plan cannot be rated; the highest anxiety cannot be
//! lower than at the start). Every problem is named with its field, so a
//! form keeps what was right and points at what was not. A stored entry is
//! read back through the same field checks ([`Spec::restore`]), without the
//! rules that depend on the day it was written.

use super::ToolKind;
use super::sleep_diary::read_date;
use super::thought_record::{Problems, answer, rating_to};
use crate::ids::ToolEntryId;
use jiff::civil::Date;
use std::collections::BTreeMap;

/// What a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text of up to [`super::thought_record::TEXT_MAX`] characters.
    Text,
    /// A whole number from 0 to the given most.
    Rating(u8),
    /// A number of minutes from 1 to the given most.
    Minutes(u16),
    /// A calendar day.
    Date,
    /// One of a fixed set of (stored value, what people read).
    Choice(&'static [(&'static str, &'static str)]),
    /// One of the person's own entries of the given tool: the step a
    /// practice was of, the goal a rating is for.
    Entry(ToolKind),
}

/// One field of a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// The form field's name, unique across the tools on one page.
    pub name: &'static str,
    /// The question, as the form asks it.
    pub label: &'static str,
    /// How to answer it.
    pub hint: &'static str,
    /// A short name for it in a summary of the entry.
    pub short: &'static str,
    pub kind: FieldKind,
    pub required: bool,
}

/// One checked answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Number(u16),
    Date(Date),
    Choice(&'static str),
    Entry(ToolEntryId),
}

impl Value {
    /// The stored (and typed) spelling, which [`Spec::restore`] reads back.
    pub fn stored(&self) -> String {
        match self {
            Value::Text(t) => t.clone(),
            Value::Number(n) => n.to_string(),
            Value::Date(d) => d.to_string(),
            Value::Choice(c) => (*c).to_string(),
            Value::Entry(id) => id.to_string(),
        }
    }
}

/// An entry of a form tool: the answers given, in the form's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormEntry {
    pub kind: ToolKind,
    pub values: Vec<(&'static str, Value)>,
}

impl FormEntry {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    pub fn number(&self, name: &str) -> Option<u16> {
        match self.get(name) {
            Some(Value::Number(n)) => Some(*n),
            _ => None,
        }
    }

    pub fn date(&self, name: &str) -> Option<Date> {
        match self.get(name) {
            Some(Value::Date(d)) => Some(*d),
            _ => None,
        }
    }

    pub fn choice(&self, name: &str) -> Option<&'static str> {
        match self.get(name) {
            Some(Value::Choice(c)) => Some(c),
            _ => None,
        }
    }

    /// The other entries this one belongs to (a practice's step).
    pub fn entries(&self) -> impl Iterator<Item = (&'static str, ToolEntryId)> + '_ {
        self.values.iter().filter_map(|(n, v)| match v {
            Value::Entry(id) => Some((*n, *id)),
            _ => None,
        })
    }

    /// Every free text, for the risk detectors.
    pub fn texts(&self) -> Vec<&str> {
        self.values
            .iter()
            .filter_map(|(_, v)| match v {
                Value::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The answers by field name, as stored.
    pub fn stored(&self) -> BTreeMap<String, String> {
        self.values
            .iter()
            .map(|(n, v)| ((*n).to_string(), v.stored()))
            .collect()
    }
}

/// A form tool: its fields and the rule across them.
pub struct Spec {
    pub kind: ToolKind,
    pub fields: &'static [Field],
    /// Problems across fields, given the day it is where the person is.
    /// Sees only the fields that are fine on their own.
    pub rule: fn(&FormEntry, Date) -> Problems,
}

impl Spec {
    /// Checks a form as typed (`typed` gives each field's text, empty if
    /// absent) on day `today` where the person is.
    pub fn parse<'t>(
        &self,
        typed: impl Fn(&str) -> &'t str,
        today: Date,
    ) -> Result<FormEntry, Problems> {
        let mut problems = Problems::new();
        let mut values = Vec::new();
        for f in self.fields {
            if let Some(Some(v)) = read(&mut problems, f, typed(f.name)) {
                values.push((f.name, v));
            }
        }
        let entry = FormEntry {
            kind: self.kind,
            values,
        };
        // The rule sees what could be read, and speaks only of fields
        // that are fine on their own, so each field has one problem.
        let across = (self.rule)(&entry, today);
        for (field, problem) in across {
            if !problems.iter().any(|(f, _)| *f == field) {
                problems.push((field, problem));
            }
        }
        if problems.is_empty() {
            Ok(entry)
        } else {
            // In the form's order, as the page lists them.
            problems.sort_by_key(|(f, _)| self.fields.iter().position(|x| x.name == *f));
            Err(problems)
        }
    }

    /// Reads a stored entry back through the field checks; `None` if any
    /// answer no longer passes or a field is unknown.
    pub fn restore(&self, stored: &BTreeMap<String, String>) -> Option<FormEntry> {
        if stored
            .keys()
            .any(|k| !self.fields.iter().any(|f| f.name == k))
        {
            return None;
        }
        let mut problems = Problems::new();
        let mut values = Vec::new();
        for f in self.fields {
            let typed = stored.get(f.name).map_or("", String::as_str);
            if let Some(Some(v)) = read(&mut problems, f, typed) {
                values.push((f.name, v));
            }
        }
        problems.is_empty().then_some(FormEntry {
            kind: self.kind,
            values,
        })
    }

    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// One field as typed, as [`answer`] answers: `None` if refused (the
/// problem is pushed), `Some(None)` if empty and optional.
fn read(problems: &mut Problems, f: &Field, typed: &str) -> Option<Option<Value>> {
    let t = typed.trim();
    if t.is_empty() {
        if f.required {
            problems.push((f.name, format!("{}: {}", f.label, missing(f.kind))));
            return None;
        }
        return Some(None);
    }
    let refused = |problems: &mut Problems, what: String| {
        problems.push((f.name, what));
        None
    };
    match f.kind {
        FieldKind::Text => Some(answer(problems, f.name, f.label, t, None)?.map(Value::Text)),
        FieldKind::Rating(max) => Some(
            rating_to(problems, f.name, f.label, t, false, max)?
                .map(|r| Value::Number(u16::from(r))),
        ),
        FieldKind::Minutes(max) => match t.parse::<u16>() {
            Ok(n) if (1..=max).contains(&n) => Some(Some(Value::Number(n))),
            _ => refused(
                problems,
                format!(
                    "{} must be a whole number of minutes from 1 to {max}",
                    f.label
                ),
            ),
        },
        FieldKind::Date => match read_date(t) {
            Some(d) => Some(Some(Value::Date(d))),
            None => refused(
                problems,
                format!(
                    "{}: enter a date, for example 2026-03-01 or 1/3/2026",
                    f.label
                ),
            ),
        },
        FieldKind::Choice(options) => match options.iter().find(|(v, _)| *v == t) {
            Some((v, _)) => Some(Some(Value::Choice(v))),
            None => refused(problems, format!("{}: choose one of the options", f.label)),
        },
        FieldKind::Entry(_) => match t.parse::<ToolEntryId>() {
            Ok(id) => Some(Some(Value::Entry(id))),
            Err(_) => refused(problems, format!("{}: choose one from the list", f.label)),
        },
    }
}

fn missing(kind: FieldKind) -> String {
    match kind {
        FieldKind::Text => "write something, even a few words".into(),
        FieldKind::Rating(max) => format!("give a number from 0 to {max}"),
        FieldKind::Minutes(_) => "give the number of minutes".into(),
        FieldKind::Date => "enter a date, for example 2026-03-01 or 1/3/2026".into(),
        FieldKind::Choice(_) => "choose one of the options".into(),
        FieldKind::Entry(_) => "choose one from the list".into(),
    }
}
