//! Finished treatment, caseness cut-offs and reliable change.

use super::*;
use serde_json::json;

#[test]
fn finished_needs_an_ended_referral_and_two_treatment_appointments() {
    let scores = [
        json!({"phq9": 18, "gad7": 14}),
        json!({"phq9": 5, "gad7": 4}),
    ];
    let mut v = episode("depression", scored(&scores));
    let o = run(&v);
    assert_eq!(o.finished_treatment, Some(true));
    assert_eq!(o.recovered, Some(true));

    v["treatment_appointments_attended"] = json!(2);
    assert_eq!(
        run(&v).finished_treatment,
        Some(true),
        "exactly 2 is enough"
    );

    v["treatment_appointments_attended"] = json!(1);
    let o = run(&v);
    assert_eq!(o.finished_treatment, Some(false));
    assert_eq!(
        o.at_caseness,
        Some(true),
        "caseness at the start is still known"
    );
    assert_eq!(
        (
            o.recovered,
            o.reliable_improvement,
            o.reliable_recovery,
            o.reliable_deterioration
        ),
        (None, None, None, None)
    );
    assert!(
        has_note(&o, "1 attended treatment appointment(s), at least 2"),
        "{o:?}"
    );
    assert!(!o.input_problem);

    v["treatment_appointments_attended"] = json!(6);
    v["referral_ended"] = json!(false);
    let o = run(&v);
    assert_eq!(o.finished_treatment, Some(false));
    assert_eq!(o.recovered, None);
    assert!(has_note(&o, "the referral has not ended"));
}

// --- caseness cut-offs ------------------------------------------------------

#[test]
fn phq9_caseness_is_ten_or_more() {
    let at = |phq9| {
        run_scores(
            "depression",
            &[
                json!({"phq9": phq9, "gad7": 3}),
                json!({"phq9": 2, "gad7": 2}),
            ],
        )
    };
    let o = at(9);
    assert_eq!(o.at_caseness, Some(false));
    assert_eq!(
        o.recovered, None,
        "recovery does not apply when not at caseness"
    );
    assert_eq!(o.reliable_recovery, None);
    assert_eq!(
        o.reliable_improvement,
        Some(true),
        "9 to 2 is still a reliable improvement"
    );
    assert!(has_note(&o, "not at caseness at the start"));
    let o = at(10);
    assert_eq!(o.at_caseness, Some(true));
    assert_eq!(o.recovered, Some(true));
    assert_eq!(o.reliable_recovery, Some(true));
}

#[test]
fn gad7_caseness_is_eight_or_more() {
    let at = |gad7| {
        run_scores(
            "generalised_anxiety",
            &[
                json!({"phq9": 4, "gad7": gad7}),
                json!({"phq9": 4, "gad7": 7}),
            ],
        )
    };
    let o = at(7);
    assert_eq!(o.at_caseness, Some(false));
    assert_eq!(o.reliable_improvement, Some(false));
    assert_eq!(o.reliable_deterioration, Some(false));
    let o = at(8);
    assert_eq!(o.at_caseness, Some(true));
    assert_eq!(o.recovered, Some(true), "7 at the end is below caseness");
    let o = run_scores(
        "generalised_anxiety",
        &[
            json!({"phq9": 4, "gad7": 12}),
            json!({"phq9": 4, "gad7": 8}),
        ],
    );
    assert_eq!(o.recovered, Some(false), "8 at the end is still a case");
    assert_eq!(o.reliable_recovery, Some(false));
}

#[test]
fn mobility_inventory_caseness_is_above_two_point_three() {
    let at = |mi: f64| {
        run_scores(
            "agoraphobia",
            &[json!({"phq9": 4, "mi": mi}), json!({"phq9": 4, "mi": 1.2})],
        )
    };
    let o = at(2.3);
    assert_eq!(o.anxiety_measure.as_deref(), Some("mi"));
    assert_eq!(o.at_caseness, Some(false), "2.3 exactly is not above 2.3");
    assert_eq!(at(2.31).at_caseness, Some(true));
    // From 27 item answers: a mean of 63/27 = 2.33 is a case, 62/27 = 2.30
    // (just under 2.3) is not.
    let items = |sum: i32| {
        let mut answers = vec![2; 27];
        let mut extra = sum - 54;
        for a in answers.iter_mut() {
            if extra > 0 {
                *a += 1;
                extra -= 1;
            }
        }
        answers
    };
    let with_items = |first: Vec<i32>| {
        let m = json!([
            {"date": "2026-01-01", "appointment": "assessment", "scores": {"phq9": 4}, "items": {"mi": first}},
            {"date": "2026-02-01", "appointment": "treatment", "scores": {"phq9": 4, "mi": 1.0}},
        ]);
        run(&episode("agoraphobia", m))
    };
    assert_eq!(with_items(items(63)).at_caseness, Some(true));
    assert_eq!(with_items(items(62)).at_caseness, Some(false));
}

#[test]
fn decimal_scores_compare_with_a_tolerance() {
    // 0.1 + 0.2 style error: 2.3 computed as 23 * 0.1 must still be 2.3.
    let computed = 23.0 * 0.1;
    assert_ne!(computed, 2.3, "the test needs an inexact value");
    let o = run_scores(
        "agoraphobia",
        &[
            json!({"phq9": 4, "mi": computed}),
            json!({"phq9": 4, "mi": 1.0}),
        ],
    );
    assert_eq!(o.at_caseness, Some(false));
    // A change of exactly the reliable change index, 0.73, computed inexactly.
    let (first, last) = (4.02, 3.29);
    assert!(first - last < 0.73, "the test needs an inexact difference");
    let o = run_scores(
        "agoraphobia",
        &[
            json!({"phq9": 4, "mi": first}),
            json!({"phq9": 4, "mi": last}),
        ],
    );
    assert_eq!(o.reliable_improvement, Some(true));
    assert_eq!(o.recovered, Some(false), "3.29 is still above 2.3");
    let o = run_scores(
        "agoraphobia",
        &[
            json!({"phq9": 4, "mi": 3.1}),
            json!({"phq9": 4, "mi": 2.38}),
        ],
    );
    assert_eq!(o.reliable_improvement, Some(false), "0.72 is not reliable");
}

// --- reliable change --------------------------------------------------------

#[test]
fn a_change_of_exactly_the_reliable_change_index_is_reliable() {
    let change = |from, to| {
        run_scores(
            "depression",
            &[
                json!({"phq9": from, "gad7": 10}),
                json!({"phq9": to, "gad7": 10}),
            ],
        )
    };
    let o = change(16, 10);
    assert_eq!(
        (o.reliable_improvement, o.reliable_deterioration),
        (Some(true), Some(false))
    );
    assert_eq!(
        o.recovered,
        Some(false),
        "GAD-7 10 and PHQ-9 10 are still cases"
    );
    assert_eq!(o.reliable_recovery, Some(false));
    let o = change(16, 11);
    assert_eq!(
        (o.reliable_improvement, o.reliable_deterioration),
        (Some(false), Some(false))
    );
    let o = change(10, 16);
    assert_eq!(
        (o.reliable_improvement, o.reliable_deterioration),
        (Some(false), Some(true))
    );
    let o = change(10, 15);
    assert_eq!(
        (o.reliable_improvement, o.reliable_deterioration),
        (Some(false), Some(false))
    );

    let gad = |from, to| {
        run_scores(
            "generalised_anxiety",
            &[
                json!({"phq9": 5, "gad7": from}),
                json!({"phq9": 5, "gad7": to}),
            ],
        )
    };
    assert_eq!(gad(12, 8).reliable_improvement, Some(true));
    assert_eq!(gad(12, 9).reliable_improvement, Some(false));
    assert_eq!(gad(8, 12).reliable_deterioration, Some(true));
}

#[test]
fn improvement_on_one_measure_and_none_on_the_other_is_reliable_improvement() {
    let o = run_scores(
        "depression",
        &[
            json!({"phq9": 20, "gad7": 9}),
            json!({"phq9": 8, "gad7": 7}),
        ],
    );
    assert_eq!(o.reliable_improvement, Some(true));
    assert_eq!(o.recovered, Some(true));
    assert_eq!(o.reliable_recovery, Some(true));
    assert_eq!(o.reliable_deterioration, Some(false));
}

#[test]
fn recovered_without_reliable_improvement_is_not_reliable_recovery() {
    let o = run_scores(
        "depression",
        &[
            json!({"phq9": 11, "gad7": 9}),
            json!({"phq9": 9, "gad7": 7}),
        ],
    );
    assert_eq!(o.recovered, Some(true));
    assert_eq!(o.reliable_improvement, Some(false));
    assert_eq!(o.reliable_recovery, Some(false));
}

#[test]
fn opposite_reliable_changes_are_neither_improvement_nor_deterioration() {
    let o = run_scores(
        "depression",
        &[
            json!({"phq9": 18, "gad7": 6}),
            json!({"phq9": 12, "gad7": 10}),
        ],
    );
    assert_eq!(o.reliable_improvement, Some(false));
    assert_eq!(o.reliable_deterioration, Some(false));
    assert!(
        has_note(
            &o,
            "PHQ-9 reliably improved and GAD-7 reliably deteriorated: counted as neither"
        ),
        "{:?}",
        o.notes
    );
    let o = run_scores(
        "depression",
        &[
            json!({"phq9": 4, "gad7": 15}),
            json!({"phq9": 10, "gad7": 5}),
        ],
    );
    assert_eq!(
        (o.reliable_improvement, o.reliable_deterioration),
        (Some(false), Some(false))
    );
    assert!(has_note(
        &o,
        "GAD-7 reliably improved and PHQ-9 reliably deteriorated"
    ));
}

#[test]
fn higher_is_better_measures_improve_upwards() {
    let mut s = catalogue().into_iter().find(|i| i.id == "swemwbs").unwrap();
    s.higher_is_better = true;
    use crate::instruments::score::{Change, reliable_change};
    assert_eq!(reliable_change(&s, 20.0, 23.0), Some(Change::Improved));
    assert_eq!(reliable_change(&s, 23.0, 20.0), Some(Change::Deteriorated));
    assert_eq!(
        reliable_change(&s, 20.0, 22.0),
        Some(Change::NoReliableChange)
    );
}
