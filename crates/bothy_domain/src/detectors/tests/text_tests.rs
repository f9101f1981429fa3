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
    ("I've been thinking about suicide", Some(High)),
    ("My uncle's suicide still haunts me", Some(Moderate)),
    ("Feeling suicidal again", Some(High)),
    ("I hurt myself last night", Some(High)),
    // An overdose taken is urgent whenever it was: the words cannot say.
    ("I took an overdose last year", Some(Urgent)),
    ("I DON’T WANT TO LIVE ANYMORE", Some(High)),
    ("urges to self-harm are back", Some(High)),
    ("I used to self-harm", Some(Moderate)),
    ("I feel hopeless", Some(Low)),
    // Hopelessness and passive ideation: low and moderate.
    ("I can't see the point of anything any more", Some(Low)),
    ("What's the point in carrying on", Some(Moderate)),
    ("life isn't worth living", Some(Moderate)),
    ("I feel like a burden", Some(Moderate)),
    // Self-harm now: high; plans, methods and acts: urgent.
    ("I've been cutting again", Some(High)),
    ("Cut again last night", Some(High)),
    ("I took too many pills last night", Some(Urgent)),
    ("took 30 paracetamol", Some(Urgent)),
    ("took twenty five of my sleeping tablets", Some(Urgent)),
    ("I wrote goodbye letters", Some(Urgent)),
    ("I've been saving up my tablets", Some(Urgent)),
    // Text-speak, misspellings and contractions without apostrophes.
    ("kms", Some(High)),
    ("wanna die", Some(High)),
    ("feeling suicidle", Some(High)),
    ("cant go on", Some(Moderate)),
    ("I want to unalive myself", Some(High)),
    ("sewerslide thoughts", Some(High)),
    ("life isnt worth living", Some(Moderate)),
    // Plans raise the severity.
    ("I'm going to kill myself tonight", Some(Urgent)),
    ("I have a plan to end my life", Some(Urgent)),
    ("I've saved up pills and I want to die", Some(Urgent)),
    ("I want to die but I have no plan", Some(High)),
    ("Suicidal thoughts, not tonight though", Some(High)),
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
    ("I'm not suicidal", None),
    ("No thoughts of suicide", None),
    ("I no longer want to die", None),
    // A phrase inside a negated phrase is negated with it.
    ("I've never tried to kill myself", None),
    (
        "I never tried to kill myself, I just want to die",
        Some(High),
    ),
    ("I've no plans to end my life", None),
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
    ("I could murder a pizza", None),
    ("My feet are killing me", None),
    ("I nearly died laughing", None),
    ("Kill the lights", None),
    ("That exam killed me", None),
    ("I'm so done with this weather", None),
    ("I cut myself shaving", None),
    ("I'm going to end it with him", None),
    ("I took two paracetamol for a headache", None),
    ("I took my pills as usual", None),
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
fn a_phrase_is_quoted_once_by_its_label() {
    let t = Text {
        source: TextSource::CheckInNote,
        text: "KMS KMS. I'm going to end it",
    };
    let s = &risky_text::detect(lexicon(), &t, &RiskyTextConfig::default())[0];
    assert_eq!(s.summary.matches("\"kms\"").count(), 1, "{}", s.summary);
    assert_eq!(s.summary.matches("\"end it\"").count(), 1, "{}", s.summary);
    assert!(!s.summary.contains("going"), "{}", s.summary);
}

#[test]
fn scan_names_the_entry_behind_a_label() {
    let m = lexicon().scan("I took 40 tablets");
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].phrase, "took a large number of tablets");
    assert!(m[0].pattern.contains('#'), "{}", m[0].pattern);
}
