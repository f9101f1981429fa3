//! The risky text lexicon: a table of sentences with expected results.

use super::*;

use Severity::{High, Low, Moderate, Urgent};

/// (sentence, expected severity of the signal; `None` for no signal).
const TABLE: &[(&str, Option<Severity>)] = &[
    // Plain risk statements.
    ("I want to kill myself", Some(High)),
    ("I want to die", Some(High)),
    ("I just want to end my life", Some(High)),
    (
        "Everyone would be better off dead, me most of all",
        Some(High),
    ),
    ("I feel like I have no reason to live", Some(High)),
    ("I've been thinking about suicide", Some(Moderate)),
    ("Feeling suicidal again", Some(Moderate)),
    ("I hurt myself last night", Some(Moderate)),
    ("I took an overdose last year", Some(High)),
    ("I DON’T WANT TO LIVE ANYMORE", Some(High)),
    ("urges to self-harm are back", Some(Moderate)),
    ("I feel hopeless", Some(Low)),
    // Plans raise the severity.
    ("I'm going to kill myself tonight", Some(Urgent)),
    ("I have a plan to end my life", Some(Urgent)),
    ("I've saved up pills and I want to die", Some(Urgent)),
    ("I want to die but I have no plan", Some(High)),
    ("Suicidal thoughts, not tonight though", Some(Moderate)),
    // Negation.
    ("I would never hurt myself", None),
    ("I don't want to die", None),
    ("I'm not going to kill myself", None),
    ("I have never wanted to kill myself", None),
    ("No suicidal thoughts this week", None),
    (
        "I do not really want to die, I just want the pain to stop",
        None,
    ),
    ("I won't hurt myself, I promise", None),
    // Negation does not reach past other words or clause ends.
    ("I'm not ok, I want to die", Some(High)),
    ("I'm not ok I want to die", Some(High)),
    ("No. I want to kill myself", Some(High)),
    ("I can't stop thinking about killing myself", Some(High)),
    ("I'm not sure why but I want to end my life", Some(High)),
    // Everyday phrases: no signal (a documented choice).
    ("This job is killing me", None),
    ("I'm dying to see it", None),
    ("Just killing time before the appointment", None),
    ("Dead tired after work", None),
    ("I was bored to death at the meeting", None),
    ("She totally killed it at the concert", None),
    ("Had a lovely walk with the dog", None),
    ("", None),
];

#[test]
fn sentence_table() {
    let cfg = RiskyTextConfig::default();
    let mut failures = Vec::new();
    for (sentence, want) in TABLE {
        let t = Text {
            source: TextSource::CheckInNote,
            text: sentence,
        };
        let got = risky_text::detect(lexicon(), &t, &cfg);
        assert!(got.len() <= 1);
        let got = got.first().map(|s| s.severity);
        if got != *want {
            failures.push(format!(
                "{sentence:?}: want {want:?}, got {got:?} ({:?})",
                lexicon().scan(sentence)
            ));
        }
    }
    assert!(TABLE.len() >= 30);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn summary_quotes_only_the_lexicon_phrase() {
    let t = Text {
        source: TextSource::SelfReferral,
        text: "My private words here: I want to KILL MYSELF tonight, said plainly",
    };
    let s = &risky_text::detect(lexicon(), &t, &RiskyTextConfig::default())[0];
    assert_eq!(s.cause, Cause::RiskyText);
    assert_eq!(s.dedupe_key, "risky_text");
    assert_eq!(s.severity, Urgent);
    assert!(s.summary.contains("self-referral text"), "{}", s.summary);
    assert!(
        s.summary.contains("\"kill myself\" (near \"tonight\")"),
        "{}",
        s.summary
    );
    assert!(!s.summary.contains("private"), "{}", s.summary);
    assert!(s.summary.contains("for a person to read and judge"));
}

#[test]
fn min_severity_and_disabled() {
    let t = Text {
        source: TextSource::SecureMessage,
        text: "I feel hopeless",
    };
    let cfg = RiskyTextConfig {
        min_severity: Moderate,
        ..Default::default()
    };
    assert!(risky_text::detect(lexicon(), &t, &cfg).is_empty());
    let off = RiskyTextConfig {
        enabled: false,
        ..Default::default()
    };
    let t = Text {
        source: TextSource::ToolEntry,
        text: "I want to die",
    };
    assert!(risky_text::detect(lexicon(), &t, &off).is_empty());
}

#[test]
fn scan_reports_negated_matches_for_explanation() {
    let m = lexicon().scan("I would never hurt myself");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].phrase, "hurt myself");
    assert!(m[0].negated);
}

#[test]
fn lexicon_errors_name_the_field() {
    let bad = r#"
version = 1
negation_window = 4
negators = ["never", "do not"]
bridges = ["never"]
plan_window = 6
plan_words = ["tonight"]
[[phrases]]
phrase = "kill myself"
severity = "high"
[[phrases]]
phrase = "Kill  MYSELF"
severity = "high"
[[phrases]]
phrase = "su* cide"
severity = "low"
[[everyday]]
phrase = "dying"
"#;
    let errs = Lexicon::parse(bad).unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert!(fields.contains(&"negators[1]"), "{errs:?}");
    assert!(fields.contains(&"bridges"), "{errs:?}");
    assert!(fields.contains(&"phrases[1].phrase"), "{errs:?}");
    assert!(fields.contains(&"phrases[2].phrase"), "{errs:?}");
    assert!(fields.contains(&"everyday[0].phrase"), "{errs:?}");
    // An unknown severity or field is refused by the parser.
    assert!(Lexicon::parse(&DEFAULT_LEXICON.replace("\"moderate\"", "\"medium\"")).is_err());
    assert!(Lexicon::parse(&format!("{DEFAULT_LEXICON}\nextra = 1\n")).is_err());
}
