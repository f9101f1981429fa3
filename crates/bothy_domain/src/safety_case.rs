//! The hazard log and the safety case drawn from it (`docs/safety/hazard-log.toml`).
//!
//! Each hazard has a cause, an effect, its clinical risk before and after
//! controls (DCB0129/DCB0160 scales and matrix, in [`risk`]), and controls.
//! A control built into Bothy names the tests that verify it; a control that
//! is the deploying organisation's to carry out (DCB0160) may name none.
//!
//! Pure: [`check`] takes the log's text and the tests that exist (found by
//! the `bothy` binary in the source tree) and returns the log or every
//! problem; [`render`] turns a checked log into a report. A missing or
//! ignored test, a hazard with no tested control, a residual risk above the
//! initial one or above what may be released are all problems.

pub mod render;
pub mod risk;
#[cfg(test)]
mod tests;

pub use risk::{Likelihood, Risk, Severity};

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The hazard log file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HazardLog {
    pub title: String,
    /// What the log covers, one paragraph.
    pub scope: String,
    #[serde(rename = "hazard", default)]
    pub hazards: Vec<Hazard>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hazard {
    /// "H01": stable, never reused.
    pub id: String,
    pub title: String,
    pub cause: String,
    pub effect: String,
    pub initial: Risk,
    pub residual: Risk,
    /// Why the residual risk is what it is; required from a rating of 3.
    #[serde(default)]
    pub rationale: String,
    #[serde(rename = "control", default)]
    pub controls: Vec<Control>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub kind: ControlKind,
    pub text: String,
    /// Test references, `PATH::NAME` (see [`TestRef`]).
    #[serde(default)]
    pub tests: Vec<String>,
}

/// Who carries a control out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ControlKind {
    /// Built into Bothy and verified by the tests it names.
    Design,
    /// The deploying organisation's (DCB0160): configuration, training, process.
    Deployment,
}

/// A test reference: `PATH::NAME`, the file from the repository root and the
/// test's name in it. In Rust, NAME is a function marked `#[test]` or
/// `#[tokio::test]`, or one listed in a `both_dbs!`-style macro (which runs it
/// on SQLite and PostgreSQL); in the browser suite it is the exported test
/// (`export const NAME = test(...)` in `tests/browser/tests/*.mjs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRef<'a> {
    pub path: &'a str,
    pub name: &'a str,
}

impl<'a> TestRef<'a> {
    pub fn parse(s: &'a str) -> Option<Self> {
        let (path, name) = s.rsplit_once("::")?;
        let ok_name = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        let ok_path = (path.ends_with(".rs") || path.ends_with(".mjs"))
            && !path.starts_with('/')
            && !path.split('/').any(|part| part.is_empty() || part == "..");
        (ok_name && ok_path).then_some(Self { path, name })
    }
}

/// Whether a test found in the source tree runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestStatus {
    Runs,
    /// Found, but it never runs (`#[ignore]`, or left out of the browser
    /// suite's list): it verifies nothing.
    NotRun(String),
}

/// Every test in the source tree, by its reference (`PATH::NAME`).
pub type KnownTests = BTreeMap<String, TestStatus>;

/// One thing wrong with the log, and the hazard it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub hazard: Option<String>,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.hazard {
            Some(h) => write!(f, "{h}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Parses and checks the log against the tests that exist. Returns the log
/// when nothing is wrong, or every problem found.
pub fn check(toml_text: &str, known: &KnownTests) -> Result<HazardLog, Vec<Problem>> {
    let log: HazardLog = toml::from_str(toml_text).map_err(|e| {
        vec![Problem {
            hazard: None,
            message: format!("the hazard log is not valid: {e}"),
        }]
    })?;
    let mut problems = Vec::new();
    let mut top = |message: &str| {
        problems.push(Problem {
            hazard: None,
            message: message.to_string(),
        })
    };
    if log.title.trim().is_empty() || log.scope.trim().is_empty() {
        top("the log needs a title and a scope");
    }
    if log.hazards.is_empty() {
        top("the log lists no hazards");
    }
    let mut ids = BTreeSet::new();
    for h in &log.hazards {
        if !ids.insert(h.id.as_str()) {
            problems.push(Problem {
                hazard: Some(h.id.clone()),
                message: "this id is used by another hazard".into(),
            });
        }
        check_hazard(h, known, &mut problems);
    }
    if problems.is_empty() {
        Ok(log)
    } else {
        Err(problems)
    }
}

fn check_hazard(h: &Hazard, known: &KnownTests, problems: &mut Vec<Problem>) {
    let mut say = |message: String| {
        problems.push(Problem {
            hazard: Some(if h.id.is_empty() {
                "?".into()
            } else {
                h.id.clone()
            }),
            message,
        })
    };
    let valid_id =
        h.id.len() >= 2 && h.id.starts_with('H') && h.id[1..].chars().all(|c| c.is_ascii_digit());
    if !valid_id {
        say(format!("the id {:?} is not H followed by digits", h.id));
    }
    for (field, value) in [
        ("title", &h.title),
        ("cause", &h.cause),
        ("effect", &h.effect),
    ] {
        if value.trim().is_empty() {
            say(format!("{field} is empty"));
        }
    }
    let (initial, residual) = (h.initial.rating(), h.residual.rating());
    if residual > initial {
        say(format!(
            "the residual risk ({}) is above the initial risk ({}): controls cannot add risk",
            h.residual.describe(),
            h.initial.describe()
        ));
    }
    if h.residual.severity > h.initial.severity {
        say("the residual severity is above the initial severity".into());
    }
    if residual > risk::HIGHEST_ACCEPTABLE {
        say(format!(
            "the residual risk ({}) is not acceptable for release: {}",
            h.residual.describe(),
            risk::acceptability(residual)
        ));
    }
    if residual >= 3 && h.rationale.trim().is_empty() {
        say(format!(
            "a residual risk of {residual} needs a rationale saying why it cannot be reduced further"
        ));
    }
    if h.controls.is_empty() {
        say("no controls".into());
    }
    let tested = h
        .controls
        .iter()
        .any(|c| c.kind == ControlKind::Design && !c.tests.is_empty());
    if !h.controls.is_empty() && !tested {
        say("no control built into Bothy names a test that verifies it".into());
    }
    for (i, c) in h.controls.iter().enumerate() {
        let n = i + 1;
        if c.text.trim().is_empty() {
            say(format!("control {n} has no text"));
        }
        if c.kind == ControlKind::Design && c.tests.is_empty() {
            say(format!(
                "control {n} is built into Bothy but names no test that verifies it"
            ));
        }
        for t in &c.tests {
            if TestRef::parse(t).is_none() {
                say(format!(
                    "control {n} cites {t:?}, which is not PATH::NAME (a .rs or .mjs file from the repository root, then the test's name)"
                ));
                continue;
            }
            match known.get(t) {
                None => say(format!(
                    "control {n} cites {t}, which is not a test in the source tree"
                )),
                Some(TestStatus::NotRun(why)) => {
                    say(format!("control {n} cites {t}, which never runs ({why})"))
                }
                Some(TestStatus::Runs) => {}
            }
        }
    }
}

/// Every test the log cites, once each, in order of first citation.
pub fn cited_tests(log: &HazardLog) -> Vec<&str> {
    let mut seen = BTreeSet::new();
    log.hazards
        .iter()
        .flat_map(|h| &h.controls)
        .flat_map(|c| &c.tests)
        .map(String::as_str)
        .filter(|t| seen.insert(*t))
        .collect()
}
