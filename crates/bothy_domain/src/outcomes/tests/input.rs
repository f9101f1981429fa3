//! Input errors and conflicts.

use super::*;
use serde_json::{Value, json};

fn input_error(v: &Value, text: &str) {
    let o = run(v);
    assert!(o.input_problem, "{o:?}");
    assert!(has_note(&o, text), "{:?}", o.notes);
    assert_eq!(o.id.as_deref(), Some("e1"));
    assert_eq!(
        (
            o.finished_treatment,
            o.at_caseness,
            o.recovered,
            o.reliable_improvement
        ),
        (None, None, None, None),
        "an episode with input errors is not classified"
    );
    assert!(has_note(
        &o,
        "not classified because of the input errors above"
    ));
}

#[test]
fn bad_input_is_reported_in_notes_and_not_classified() {
    let good = [
        json!({"phq9": 18, "gad7": 14}),
        json!({"phq9": 5, "gad7": 4}),
    ];
    input_error(
        &episode("sadness", scored(&good)),
        "unknown problem_descriptor \"sadness\"",
    );
    input_error(
        &episode(
            "depression",
            scored(&[json!({"phq9": 18, "gad9": 14}), json!({"phq9": 5})]),
        ),
        "measurement 1 (2026-01-01): unknown instrument \"gad9\"",
    );
    input_error(
        &episode(
            "depression",
            scored(&[json!({"phq9": 28}), json!({"phq9": 5})]),
        ),
        "phq9 total: 28 is outside the range 0 to 27",
    );
    input_error(
        &episode(
            "depression",
            scored(&[json!({"phq9": 10.5}), json!({"phq9": 5})]),
        ),
        "phq9 total: 10.5 is not a whole number, as every PHQ-9 total is",
    );
    input_error(
        &episode(
            "depression",
            scored(&[json!({"phq9": "high"}), json!({"phq9": 5})]),
        ),
        "phq9 total: \"high\" is not a number",
    );
    let mut v = episode("depression", scored(&good));
    v["measurements"][1]["date"] = json!("2026-02-30");
    input_error(
        &v,
        "measurement 2: date \"2026-02-30\" is not a calendar date",
    );
    let mut v = episode("depression", scored(&good));
    v["measurements"][0]["appointment"] = json!("review");
    input_error(&v, "appointment \"review\" is neither");
    let mut v = episode("depression", scored(&good));
    v["measurements"][0]["items"] = json!({"gad7": [1, 1, 1, 1, 1, 1]});
    input_error(
        &v,
        "gad7 items: expected 7 answers, one per item, but got 6",
    );
    let mut v = episode("depression", scored(&good));
    v["measurements"][0]["items"] = json!({"gad7": [1, 1, 1, 4, 1, 1, 1]});
    input_error(
        &v,
        "gad7 items: item 4: 4 is not one of this item's answer scores (0, 1, 2, 3)",
    );
    let mut v = episode("depression", scored(&good));
    v["measurements"][0]["items"] = json!({"gad7": [1, 1, 1, 1.5, 1, 1, 1]});
    input_error(&v, "gad7 item 4: answer 1.5 is not a whole number or null");
    let mut v = episode("depression", scored(&good));
    v["referral_ended"] = json!("yes");
    input_error(&v, "not of the documented shape");
    let mut v = episode("depression", scored(&good));
    v["measurements"][0]["score"] = json!({});
    input_error(&v, "unknown field `score`");
}

#[test]
fn an_episode_without_a_readable_id_still_gets_a_result() {
    let o = run(&json!({"problem_descriptor": "depression"}));
    assert_eq!(o.id, None);
    assert!(o.input_problem);
    assert!(has_note(&o, "missing field `id`"), "{:?}", o.notes);
}

#[test]
fn items_win_over_a_disagreeing_total() {
    let m = json!([
        {"date": "2026-01-01", "appointment": "assessment",
         "scores": {"phq9": 9, "gad7": 12}, "items": {"phq9": [2, 2, 1, 1, 1, 1, 1, 1, 0]}},
        {"date": "2026-02-01", "appointment": "treatment", "scores": {"phq9": 3, "gad7": 3}},
    ]);
    let o = run(&episode("depression", m));
    assert!(o.input_problem);
    assert!(
        has_note(
            &o,
            "phq9 total 9 disagrees with the score from its items, 10; the items' score is used"
        ),
        "{:?}",
        o.notes
    );
    assert!(has_note(&o, "PHQ-9: first 10 on 2026-01-01"));
    assert_eq!(o.recovered, Some(true), "the episode is still classified");

    let agree = json!([
        {"date": "2026-01-01", "appointment": "assessment",
         "scores": {"phq9": 10, "gad7": 12}, "items": {"phq9": [2, 2, 1, 1, 1, 1, 1, 1, 0]}},
        {"date": "2026-02-01", "appointment": "treatment", "scores": {"phq9": 3, "gad7": 3}},
    ]);
    assert!(!run(&episode("depression", agree)).input_problem);

    let incomplete = json!([
        {"date": "2026-01-01", "appointment": "assessment",
         "scores": {"phq9": 10, "gad7": 12}, "items": {"phq9": [2, 2, 1, 1, 1, 1, 1, 2, null]}},
        {"date": "2026-02-01", "appointment": "treatment", "scores": {"phq9": 3, "gad7": 3}},
        {"date": "2026-03-01", "appointment": "treatment", "scores": {"phq9": 2, "gad7": 3}},
    ]);
    let o = run(&episode("depression", incomplete));
    assert!(o.input_problem);
    assert!(has_note(
        &o,
        "phq9 total 10 was given but its items are incomplete"
    ));
    assert!(
        has_note(&o, "PHQ-9: first 3 on 2026-02-01, last 2 on 2026-03-01"),
        "{:?}",
        o.notes
    );
}

#[test]
fn outcome_serialises_with_nulls() {
    let o = run_scores("depression", &[json!({"phq9": 18})]);
    let v = serde_json::to_value(&o).unwrap();
    assert_eq!(v["id"], json!("e1"));
    assert_eq!(v["recovered"], Value::Null);
    assert_eq!(v["anxiety_measure"], json!("gad7"));
    assert!(v.get("input_problem").is_none());
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 9, "{keys:?}");
}
