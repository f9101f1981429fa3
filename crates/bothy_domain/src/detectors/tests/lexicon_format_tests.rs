//! The lexicon file format: its phrase syntax and its validation.

use super::*;

/// A small lexicon with `extra` appended (phrases, sets, everyday).
fn small(extra: &str) -> Result<Lexicon, Vec<ConfigError>> {
    Lexicon::parse(&format!(
        r#"
version = 2
negation_window = 4
negators = ["not", "never", "no"]
bridges = ["going", "to"]
plan_window = 6
plan_words = ["tonight"]
gap_words = 2
large_number = 10
[sets]
meds = ["pill*", "tablets", "co codamol"]
{extra}
"#
    ))
}

fn phrase(p: &str) -> Lexicon {
    small(&format!(
        "[[phrases]]\nphrase = {p:?}\nlabel = \"the label\"\nseverity = \"high\"\n"
    ))
    .unwrap_or_else(|e| panic!("{p}: {e:?}"))
}

fn fires(lex: &Lexicon, text: &str) -> bool {
    lex.scan(text).iter().any(|m| !m.negated)
}

#[test]
fn alternatives_optional_words_and_sets() {
    let l = phrase("(took|swallowed) (too|2) many (of my|) {meds}");
    for yes in [
        "I took too many pills",
        "swallowed 2 many tablets",
        "took too many of my pills",
        "took too many co-codamol",
    ] {
        assert!(fires(&l, yes), "{yes}");
    }
    for no in [
        "took many pills",
        "took too many sweets",
        "took too many of pills",
    ] {
        assert!(!fires(&l, no), "{no}");
    }
}

#[test]
fn a_gap_stays_inside_its_clause() {
    let l = phrase("took * {meds}");
    assert!(fires(&l, "took pills"));
    assert!(fires(&l, "took all my pills"));
    assert!(
        !fires(&l, "took all of my pills"),
        "three words, gap of two"
    );
    assert!(!fires(&l, "took it. pills"), "a clause break");
}

#[test]
fn numbers_in_digits_and_words_from_the_least() {
    let l = phrase("took # {meds}");
    for yes in [
        "took 30 pills",
        "took twenty tablets",
        "took twenty five pills",
        "took 10 pills",
    ] {
        assert!(fires(&l, yes), "{yes}");
    }
    for no in [
        "took 2 pills",
        "took two tablets",
        "took nine pills",
        "took pills",
    ] {
        assert!(!fires(&l, no), "{no}");
    }
}

#[test]
fn anchors_mark_where_a_clause_starts_and_ends() {
    let l = phrase("(i|^) cut (again|$)");
    for yes in [
        "Cut again",
        "I cut",
        "Rough day. Cut last night, cut again",
        "i cut, sorry",
    ] {
        assert!(fires(&l, yes), "{yes}");
    }
    for no in ["my friend cut again", "I cut the grass"] {
        assert!(!fires(&l, no), "{no}");
    }
}

#[test]
fn negation_reaches_the_start_of_a_match() {
    let l = phrase("(want to|wanna) die");
    assert!(!fires(&l, "not going to wanna die"));
    assert!(fires(&l, "not ok I wanna die"));
}

#[test]
fn everyday_phrases_may_use_the_same_syntax() {
    let l = small(
        r#"
[[phrases]]
phrase = "(want to|going to) end it"
label = "end it"
severity = "high"
[[everyday]]
phrase = "(want to|going to) end it (with|between)"
"#,
    )
    .unwrap();
    assert!(fires(&l, "I want to end it"));
    assert!(!fires(&l, "I'm going to end it with him"));
}

#[test]
fn every_bad_entry_is_named() {
    let errs = small(
        r#"
[sets]
"#,
    );
    assert!(errs.is_err(), "a second [sets] table is refused by TOML");
    let bad = r#"
[[phrases]]
phrase = "(took|taken too many"
label = "x"
severity = "high"
[[phrases]]
phrase = "took {drugs}"
label = "x"
severity = "high"
[[phrases]]
phrase = "(took|taken) pills"
severity = "high"
[[phrases]]
phrase = "su* cide"
label = "x"
severity = "low"
[[phrases]]
phrase = "* pills"
label = "x"
severity = "low"
[[phrases]]
phrase = "(cut|)"
label = "x"
severity = "low"
[[phrases]]
phrase = "hopeless but"
severity = "low"
[[phrases]]
phrase = "kill myself"
severity = "high"
[[phrases]]
phrase = "Kill  MYSELF"
severity = "high"
[[everyday]]
phrase = "dying"
"#;
    let errs = small(bad).unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    for f in [
        "phrases[0].phrase",
        "phrases[1].phrase",
        "phrases[2].label",
        "phrases[3].phrase",
        "phrases[4].phrase",
        "phrases[5].phrase",
        "phrases[6].phrase",
        "phrases[8].phrase",
        "everyday[0].phrase",
    ] {
        assert!(fields.contains(&f), "{f} in {errs:?}");
    }
    assert!(!fields.contains(&"phrases[7].phrase"), "{errs:?}");
    let named = |f: &str| errs.iter().find(|e| e.field == f).unwrap().message.clone();
    assert!(named("phrases[1].phrase").contains("{drugs}"));
    assert!(named("phrases[2].label").contains("label"));
    assert!(named("phrases[3].phrase").contains("three letters"));
}

#[test]
fn the_header_fields_are_checked() {
    let bad = r#"
version = 1
negation_window = 4
negators = ["never", "do not"]
bridges = ["never"]
plan_window = 6
plan_words = ["tonight"]
gap_words = 9
large_number = 1
[sets]
Meds = ["pills"]
empty = []
[[phrases]]
phrase = "kill myself"
severity = "high"
"#;
    let errs = Lexicon::parse(bad).unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    for f in [
        "version",
        "negators[1]",
        "bridges",
        "gap_words",
        "large_number",
        "sets.Meds",
        "sets.empty",
    ] {
        assert!(fields.contains(&f), "{f} in {errs:?}");
    }
    // An unknown severity or field is refused by the parser.
    assert!(Lexicon::parse(&DEFAULT_LEXICON.replace("\"moderate\"", "\"medium\"")).is_err());
    assert!(Lexicon::parse(&format!("{DEFAULT_LEXICON}\nextra = 1\n")).is_err());
    let unknown_in_phrase = DEFAULT_LEXICON.replacen(
        "severity = \"urgent\"",
        "severity = \"urgent\"\nweight = 2",
        1,
    );
    assert!(Lexicon::parse(&unknown_in_phrase).is_err());
    assert_eq!(lexicon().version(), 2);
}
