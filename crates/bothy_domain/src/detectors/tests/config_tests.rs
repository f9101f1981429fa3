//! Configuration defaults, parsing and validation.

use super::*;

const KNOWN: &[&str] = &["phq9", "gad7", "core10", "epds"];

#[test]
fn defaults_are_valid_and_a_partial_file_keeps_them() {
    assert_eq!(DetectorConfig::default().validate(KNOWN), Ok(()));
    let c = DetectorConfig::from_toml("[disengagement]\ndays = 21\n").unwrap();
    assert_eq!(c.disengagement.days, 21);
    assert_eq!(c.mood_drop, MoodDropConfig::default());
    assert_eq!(c.risk_item, RiskItemConfig::default());
    assert_eq!(
        DetectorConfig::from_toml("").unwrap(),
        DetectorConfig::default()
    );
}

#[test]
fn unknown_fields_and_negative_values_are_refused_by_the_parser() {
    assert!(DetectorConfig::from_toml("[mood_drop]\nlamda = 0.3\n").is_err());
    assert!(DetectorConfig::from_toml("[disengagement]\ndays = -3\n").is_err());
    assert!(DetectorConfig::from_toml("[risky_text]\nmin_severity = \"severe\"\n").is_err());
}

fn fields(c: &DetectorConfig) -> Vec<String> {
    c.validate(KNOWN)
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect()
}

#[test]
fn nonsense_is_refused_naming_the_field() {
    let c = DetectorConfig::from_toml(
        r#"
[risk_item]
enabled = false
rules = [
  { instrument = "phq10", item = 9, urgent_from = 2 },
  { instrument = "phq9", item = 0, urgent_from = -1 },
]
[deterioration]
instruments = ["gad7", "madeup"]
[not_on_track]
min_episodes = 0
percentile = 100.0
default_from_session = 1
default_min_improvement_of_rci = -0.5
[disengagement]
days = 0
[mood_drop]
lambda = 0.0
k = -1.0
min_drop = inf
min_sd = nan
sd_window = 1
min_history = 0
moderate_at_or_below = 11
"#,
    )
    .unwrap();
    let f = fields(&c);
    for want in [
        "risk_item.enabled",
        "risk_item.rules[0].instrument",
        "risk_item.rules[1].item",
        "risk_item.rules[1].urgent_from",
        "deterioration.instruments[1]",
        "not_on_track.min_episodes",
        "not_on_track.percentile",
        "not_on_track.default_from_session",
        "not_on_track.default_min_improvement_of_rci",
        "disengagement.days",
        "mood_drop.lambda",
        "mood_drop.k",
        "mood_drop.min_drop",
        "mood_drop.min_sd",
        "mood_drop.sd_window",
        "mood_drop.min_history",
        "mood_drop.moderate_at_or_below",
    ] {
        assert!(f.iter().any(|x| x == want), "{want} missing from {f:?}");
    }
    let e = c.validate(KNOWN).unwrap_err();
    assert!(e[1].to_string().contains("phq10"), "{}", e[1]);
}

#[test]
fn duplicate_rules_and_alert_storms_are_refused() {
    let mut c = DetectorConfig::default();
    c.risk_item.rules.push(RiskSeverityRule {
        instrument: "phq9".into(),
        item: 9,
        urgent_from: 1,
    });
    assert_eq!(fields(&c), vec!["risk_item.rules[3]".to_owned()]);
    let mut c = DetectorConfig::default();
    c.mood_drop.k = 0.0;
    c.mood_drop.min_drop = 0.0;
    assert_eq!(fields(&c), vec!["mood_drop.min_drop".to_owned()]);
}

#[test]
fn shipped_lexicon_loads() {
    assert!(Lexicon::parse(DEFAULT_LEXICON).is_ok());
}
