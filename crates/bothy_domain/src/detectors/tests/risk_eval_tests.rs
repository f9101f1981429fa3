//! The shipped lexicon against the shipped evaluation set
//! (`content/risk-eval/`). Prints the report with
//! `cargo test -p bothy_domain risk_eval -- --nocapture`.

use super::*;
use crate::detectors::risky_text::{EvalCase, Rate, Report, evaluate, parse_cases};

/// Every `*.txt` file of `content/risk-eval`, in name order.
fn shipped_cases() -> Vec<EvalCase> {
    cases_in("content/risk-eval")
}

/// Every `*.txt` file of a directory of the repository, in name order.
fn cases_in(dir: &str) -> Vec<EvalCase> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("content/risk-eval exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let category = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("readable");
        assert!(text.len() < 30_000, "{category}: keep each file small");
        match parse_cases(&category, &text) {
            Ok(c) => cases.extend(c),
            Err(e) => panic!("{category}: {e:?}"),
        }
    }
    cases
}

fn report() -> Report {
    evaluate(lexicon(), &shipped_cases())
}

/// The phrases the project promises to catch and the idioms it promises to
/// leave alone: each must be in the set as a required case.
const PROMISED: &[(&str, &str)] = &[
    ("moderate!", "what's the point in carrying on"),
    ("moderate!", "life isn't worth living"),
    ("moderate!", "I feel like a burden"),
    ("high!", "I've been cutting again"),
    ("urgent!", "I took too many pills last night"),
    ("urgent!", "I wrote goodbye letters"),
    ("low!", "I can't see the point of anything any more"),
    ("high!", "I'm not ok I want to die"),
    ("none!", "I would never kill myself"),
    ("none!", "This job is killing me"),
    ("none!", "I'm dying to see it"),
    ("none!", "Just killing time before the appointment"),
    ("none!", "Dead tired after work"),
    ("none!", "I could murder a pizza"),
    ("none!", "My feet are killing me"),
    ("none!", "I nearly died laughing"),
    ("none!", "Kill the lights"),
    ("none!", "That exam killed me"),
    ("none!", "I'm so done with this weather"),
];

/// What the shipped lexicon must reach on the shipped set. Each floor is
/// below today's figure (see docs/monitoring.md) by a margin of a few texts.
fn floor_failures(r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let mut floor = |what: &str, rate: Rate, least: f64| {
        if rate.value().unwrap_or(0.0) < least {
            out.push(format!("{what}: {rate} is below {least}"));
        }
    };
    floor("any risk, sensitivity", r.any_risk.sensitivity, 0.93);
    floor("any risk, specificity", r.any_risk.specificity, 0.97);
    for t in &r.thresholds {
        let (sens, spec) = match t.severity {
            Severity::Low | Severity::Moderate | Severity::High => (0.92, 0.94),
            Severity::Urgent => (0.85, 0.98),
        };
        floor(
            &format!("{} and above, sensitivity", t.severity),
            t.sensitivity,
            sens,
        );
        floor(
            &format!("{} and above, specificity", t.severity),
            t.specificity,
            spec,
        );
    }
    for (label, least) in [
        (Some(Severity::Low), 0.85),
        (Some(Severity::Moderate), 0.9),
        (Some(Severity::High), 0.95),
        (Some(Severity::Urgent), 0.85),
    ] {
        let row = r.label(label);
        floor(
            &format!("labelled {label:?}, at least"),
            row.at_least,
            least,
        );
    }
    for (category, least) in [("neutral", 1.0), ("negation", 1.0), ("idioms", 0.95)] {
        match r.category(category) {
            Some(c) => floor(&format!("{category}, quiet"), c.quiet, least),
            None => floor(&format!("{category}, quiet"), Rate::default(), least),
        }
    }
    for m in r.required_failures() {
        out.push(format!("required: {m}"));
    }
    out
}

#[test]
fn risk_eval_report() {
    let r = report();
    println!("{r}");
    assert!(r.texts >= 400, "{} texts", r.texts);
    let failures = floor_failures(&r);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The fresh texts (`content/risk-eval/fresh`), written after the lexicon
/// was tuned on the main set: an estimate of how it does on texts it has
/// not seen. Its floors are lower, and the lexicon is not tuned on it; when
/// its misses are fixed, the texts move to the main set and new fresh ones
/// are written.
#[test]
fn risk_eval_fresh_report() {
    let cases = cases_in("content/risk-eval/fresh");
    let r = evaluate(lexicon(), &cases);
    println!("Fresh texts\n{r}");
    assert!(r.texts >= 100, "{} texts", r.texts);
    assert!(r.any_risk.sensitivity.value().unwrap() >= 0.55, "{r}");
    assert!(r.any_risk.specificity.value().unwrap() >= 0.95, "{r}");
}

#[test]
fn the_promised_phrases_are_required_cases() {
    let cases = shipped_cases();
    for (label, text) in PROMISED {
        let found = cases.iter().find(|c| c.text == *text);
        let Some(c) = found else {
            panic!("{text:?} is not in content/risk-eval");
        };
        let want = label.trim_end_matches('!');
        let got = c.label.map_or("none", Severity::as_str);
        assert!(
            c.required && got == want,
            "{text:?}: want {label}, is {got}"
        );
    }
}

#[test]
fn the_floors_can_fail() {
    // A lexicon of the one phrase "kill myself" misses nearly everything.
    let tiny = Lexicon::parse(
        r#"
version = 2
negation_window = 4
negators = ["never"]
bridges = []
plan_window = 6
plan_words = []
gap_words = 3
large_number = 10
[[phrases]]
phrase = "kill myself"
severity = "high"
"#,
    )
    .unwrap();
    let r = evaluate(&tiny, &shipped_cases());
    let failures = floor_failures(&r);
    assert!(
        failures
            .iter()
            .any(|f| f.starts_with("any risk, sensitivity"))
    );
    assert!(failures.iter().any(|f| f.starts_with("required:")));
    // And one that fires on everything is not specific.
    let loud = Lexicon::parse(
        r#"
version = 2
negation_window = 4
negators = ["never"]
bridges = []
plan_window = 6
plan_words = []
gap_words = 3
large_number = 10
[[phrases]]
phrase = "(i|im|ive|my|me|the|a|to|and|it|is|was|of|in|on|at|for|with|so|no|not|day|work)"
label = "anything"
severity = "urgent"
"#,
    )
    .unwrap();
    let failures = floor_failures(&evaluate(&loud, &shipped_cases()));
    assert!(
        failures
            .iter()
            .any(|f| f.starts_with("any risk, specificity"))
    );
}

#[test]
fn parse_cases_names_bad_lines() {
    let errs = parse_cases(
        "x",
        "high | fine\nsevere | nope\nno separator\nnone |   \n# c\n",
    )
    .unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["x:2", "x:3", "x:4"], "{errs:?}");
    let ok = parse_cases(
        "cat",
        "# c\n\nurgent! | I wrote goodbye letters\nnone | a | b\n",
    )
    .unwrap();
    assert_eq!(ok.len(), 2);
    assert!(ok[0].required && ok[0].label == Some(Severity::Urgent) && ok[0].line == 3);
    assert_eq!(ok[1].text, "a | b");
}

#[test]
fn the_report_is_the_same_every_time() {
    assert_eq!(report().to_string(), report().to_string());
}
