//! The anxiety measure, pairs, and first and last scores.

use super::*;
use serde_json::{Value, json};

#[test]
fn one_measure_only_leaves_outcomes_undefined() {
    let o = run_scores("depression", &[json!({"phq9": 18}), json!({"phq9": 5})]);
    assert_eq!(o.finished_treatment, Some(true));
    assert_eq!(o.anxiety_measure.as_deref(), Some("gad7"));
    assert_eq!(o.at_caseness, Some(true), "PHQ-9 18 alone makes it a case");
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
        has_note(&o, "no pair of valid GAD-7 scores"),
        "{:?}",
        o.notes
    );

    let o = run_scores("depression", &[json!({"phq9": 6}), json!({"phq9": 5})]);
    assert_eq!(
        o.at_caseness, None,
        "PHQ-9 6 alone cannot say the episode is not a case"
    );
    assert!(
        has_note(&o, "caseness at the start is unknown: no first GAD-7 score"),
        "{:?}",
        o.notes
    );

    let o = run_scores(
        "depression",
        &[json!({"phq9": 6, "gad7": 9}), json!({"phq9": 5})],
    );
    assert_eq!(
        o.at_caseness,
        Some(true),
        "a first score without a pair still counts for caseness"
    );
    assert_eq!(o.recovered, None);
}

#[test]
fn the_disorder_specific_measure_is_used_when_paired() {
    let o = run_scores(
        "social_anxiety",
        &[
            json!({"phq9": 5, "gad7": 5, "spin": 40}),
            json!({"phq9": 5, "gad7": 5, "spin": 15}),
        ],
    );
    assert_eq!(o.anxiety_measure.as_deref(), Some("spin"));
    assert_eq!(
        o.at_caseness,
        Some(true),
        "SPIN 40 is a case though GAD-7 5 is not"
    );
    assert_eq!(o.recovered, Some(true));
    assert_eq!(o.reliable_improvement, Some(true));

    for (descriptor, measure) in [
        ("ptsd", "iesr"),
        ("ocd", "ocir"),
        ("panic", "pdss"),
        ("health_anxiety", "shai"),
        ("agoraphobia", "mi"),
    ] {
        let o = run_scores(
            descriptor,
            &[
                json!({"phq9": 5, measure: 3}),
                json!({"phq9": 5, measure: 2}),
            ],
        );
        assert_eq!(o.anxiety_measure.as_deref(), Some(measure), "{descriptor}");
    }
    for descriptor in [
        "depression",
        "generalised_anxiety",
        "mixed_anxiety_depression",
        "specific_phobia",
        "insomnia",
        "perinatal_depression",
        "other",
    ] {
        let o = run_scores(
            descriptor,
            &[json!({"phq9": 5, "gad7": 3}), json!({"phq9": 5, "gad7": 2})],
        );
        assert_eq!(o.anxiety_measure.as_deref(), Some("gad7"), "{descriptor}");
    }
}

#[test]
fn falls_back_to_gad7_when_the_specific_measure_has_no_pair() {
    let o = run_scores(
        "social_anxiety",
        &[
            json!({"phq9": 5, "gad7": 12, "spin": 40}),
            json!({"phq9": 5, "gad7": 4}),
        ],
    );
    assert_eq!(o.anxiety_measure.as_deref(), Some("gad7"));
    assert_eq!(o.recovered, Some(true));
    assert_eq!(o.reliable_improvement, Some(true));
    assert!(
        has_note(&o, "no pair of valid SPIN scores: GAD-7 is used"),
        "{:?}",
        o.notes
    );

    // Neither paired: the specific measure is reported, outcomes undefined.
    let o = run_scores(
        "social_anxiety",
        &[json!({"phq9": 5, "spin": 40}), json!({"phq9": 5})],
    );
    assert_eq!(o.anxiety_measure.as_deref(), Some("spin"));
    assert_eq!(o.at_caseness, Some(true));
    assert_eq!(o.recovered, None);
    assert!(has_note(
        &o,
        "no pair of valid SPIN scores (a first and a last"
    ));
}

#[test]
fn pcl5_is_used_for_ptsd_when_configured() {
    let v = episode(
        "ptsd",
        scored(&[
            json!({"phq9": 5, "iesr": 50, "pcl5": 50}),
            json!({"phq9": 5, "iesr": 20, "pcl5": 45}),
        ]),
    );
    let o = run(&v);
    assert_eq!(o.anxiety_measure.as_deref(), Some("iesr"));
    assert_eq!(o.recovered, Some(true));
    let pcl5 = Options {
        ptsd_measure: PtsdMeasure::Pcl5,
    };
    let o = classify_json(&v, catalogue().as_slice(), &pcl5);
    assert_eq!(o.anxiety_measure.as_deref(), Some("pcl5"));
    assert_eq!(o.recovered, Some(false));
}

#[test]
fn first_and_last_valid_scores_are_used_whatever_lies_between() {
    let phq = |answers: &[Option<i32>]| json!(answers);
    let full = |x: i32| -> Vec<Option<i32>> {
        (0..9)
            .map(|i| Some(if i < x % 9 { x / 9 + 1 } else { x / 9 }))
            .collect()
    };
    let mut incomplete = full(20);
    incomplete[4] = None;
    let m = json!([
        // Given out of date order on purpose.
        {"date": "2026-02-01", "appointment": "treatment", "scores": {"gad7": 3}, "items": {"phq9": phq(&full(25))}},
        {"date": "2026-01-08", "appointment": "assessment", "scores": {"gad7": 15}, "items": {"phq9": phq(&incomplete)}},
        {"date": "2026-01-15", "appointment": "treatment", "scores": {"gad7": 14, "phq9": 18}},
        {"date": "2026-03-01", "appointment": "treatment", "scores": {"gad7": 4}, "items": {"phq9": phq(&full(7))}},
        {"date": "2026-03-08", "appointment": "treatment", "scores": {"gad7": 5}, "items": {"phq9": phq(&incomplete)}},
    ]);
    let o = run(&episode("depression", m));
    // PHQ-9: first valid 18 (2026-01-15), last valid 7 (2026-03-01).
    assert!(
        has_note(&o, "PHQ-9: first 18 on 2026-01-15, last 7 on 2026-03-01"),
        "{:?}",
        o.notes
    );
    assert!(
        has_note(&o, "GAD-7: first 15 on 2026-01-08, last 5 on 2026-03-08"),
        "{:?}",
        o.notes
    );
    assert!(has_note(
        &o,
        "measurement 2 (2026-01-08): phq9 is not a valid score (incomplete: item 5 unanswered"
    ));
    assert_eq!(o.reliable_improvement, Some(true));
    assert_eq!(o.recovered, Some(true));
    assert!(!o.input_problem, "unanswered items are not an input error");
}

#[test]
fn incomplete_responses_count_only_where_the_instrument_prorates() {
    let m = |answers: Value| {
        json!([
            {"date": "2026-01-01", "appointment": "assessment", "scores": {"phq9": 5}, "items": {"ocir": answers}},
            {"date": "2026-02-01", "appointment": "treatment", "scores": {"phq9": 5, "ocir": 10}},
        ])
    };
    let mut answers = vec![json!(2); 18];
    answers[0] = Value::Null;
    let o = run(&episode("ocd", m(json!(answers))));
    assert!(has_note(
        &o,
        "ocir is not a valid score (incomplete: item 1 unanswered"
    ));
    assert!(
        has_note(&o, "no pair of valid OCI-R scores"),
        "{:?}",
        o.notes
    );
    assert_eq!(o.recovered, None);

    let mut cat = catalogue();
    let ocir = cat.iter_mut().find(|i| i.id == "ocir").unwrap();
    ocir.scoring.prorating = Prorating::MeanOfAnswered { max_missing: 1 };
    let o = classify_json(
        &episode("ocd", m(json!(answers))),
        cat.as_slice(),
        &Options::default(),
    );
    assert_eq!(o.anxiety_measure.as_deref(), Some("ocir"));
    assert!(
        has_note(&o, "OCI-R: first 36 on 2026-01-01, last 10 on 2026-02-01"),
        "{:?}",
        o.notes
    );
    assert_eq!(o.at_caseness, Some(true));
    assert_eq!(o.recovered, Some(true));
    assert_eq!(
        o.reliable_improvement, None,
        "no reliable change index for OCI-R here"
    );
    assert!(has_note(&o, "no reliable change index for OCI-R"));

    answers[1] = Value::Null;
    let o = classify_json(
        &episode("ocd", m(json!(answers))),
        cat.as_slice(),
        &Options::default(),
    );
    assert!(
        has_note(&o, "no pair of valid OCI-R scores"),
        "two missing is one too many"
    );
}

#[test]
fn two_scores_on_one_measurement_are_not_a_pair() {
    let o = run_scores("depression", &[json!({"phq9": 18, "gad7": 12})]);
    assert_eq!(o.at_caseness, Some(true));
    assert_eq!(o.recovered, None);
    assert!(has_note(&o, "no pair of valid PHQ-9 scores"));
}
