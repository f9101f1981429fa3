//! Specific scoring rules, each at its boundaries.

use super::inst;
use crate::instruments::model::{Prorating, ReliableChange, Source, Verification};
use crate::instruments::{
    Change, ScoreError, band_of, meets_caseness, reliable_change, risk_flags, score,
};

fn all(n: usize, value: i32) -> Vec<Option<i32>> {
    vec![Some(value); n]
}

fn some(values: &[i32]) -> Vec<Option<i32>> {
    values.iter().copied().map(Some).collect()
}

#[test]
fn core10_with_one_missing_item_is_prorated_as_mean_times_ten() {
    let core10 = inst("core10");
    // Items 2 and 3 are reversed: 0 scores 4 and 4 scores 0.
    let answers = [
        Some(1),
        Some(0),
        Some(4),
        Some(2),
        Some(2),
        Some(0),
        Some(3),
        Some(1),
        Some(1),
        None,
    ];
    let s = score(core10, &answers).unwrap();
    // Scored items: 1 + 4 + 0 + 2 + 2 + 0 + 3 + 1 + 1 = 14 over nine answered.
    assert!((s.total - 14.0 / 9.0 * 10.0).abs() < 1e-12, "{}", s.total);
    assert!(s.prorated);
    assert_eq!(s.raw_total, None);
    assert_eq!(s.band.as_deref(), Some("moderate"));
    assert_eq!(s.at_caseness, Some(true));

    let mut complete = answers;
    complete[9] = Some(0);
    let s = score(core10, &complete).unwrap();
    assert_eq!((s.total, s.raw_total, s.prorated), (14.0, Some(14), false));
}

#[test]
fn core10_with_two_missing_items_is_rejected_naming_them() {
    let core10 = inst("core10");
    let mut answers = all(10, 1);
    answers[3] = None;
    answers[9] = None;
    let err = score(core10, &answers).unwrap_err();
    assert_eq!(
        err,
        ScoreError::Incomplete {
            missing: vec![4, 10],
            max_missing: 1
        }
    );
    let text = err.to_string();
    assert!(
        text.contains("items 4, 10") && text.contains("at most 1"),
        "{text}"
    );
}

#[test]
fn core10_prorated_score_between_bands_stays_below_the_cut_off() {
    let core10 = inst("core10");
    // Nine answered items scoring 6 in all (items 2 and 3 reversed to 0):
    // 6 / 9 x 10 = 6.67, in the lowest band.
    let mut answers = some(&[1, 4, 4, 1, 1, 0, 1, 1, 1, 1]);
    answers[9] = None;
    let s = score(core10, &answers).unwrap();
    assert!(s.total > 6.6 && s.total < 6.7);
    assert_eq!(s.band.as_deref(), Some("healthy or low-level problems"));
    assert_eq!(band_of(core10, 10.9), Some("healthy or low-level problems"));
    assert_eq!(meets_caseness(core10, 10.9), Some(false));
    assert_eq!(meets_caseness(core10, 11.0), Some(true));
    assert_eq!(band_of(core10, 11.0), Some("mild"));
}

#[test]
fn core10_item_6_is_a_risk_item() {
    let core10 = inst("core10");
    let mut answers = all(10, 0);
    answers[1] = Some(4);
    answers[2] = Some(4);
    assert!(score(core10, &answers).unwrap().risk_items.is_empty());
    answers[5] = Some(1);
    assert_eq!(score(core10, &answers).unwrap().risk_items, vec![6]);
}

#[test]
fn wsas_without_the_work_item_sums_the_other_four() {
    let wsas = inst("wsas");
    let s = score(wsas, &[None, Some(4), Some(6), Some(2), Some(8)]).unwrap();
    assert_eq!((s.total, s.raw_total, s.prorated), (20.0, Some(20), false));
    assert_eq!(s.band.as_deref(), Some("significant functional impairment"));
    assert_eq!(score(wsas, &all(5, 8)).unwrap().total, 40.0);
    let without_work = score(wsas, &[None, Some(8), Some(8), Some(8), Some(8)]).unwrap();
    assert_eq!(without_work.total, 32.0);
    assert!(!without_work.prorated);
    // Any whole number 0-8 is an answer; the other items are required.
    assert_eq!(score(wsas, &some(&[1, 3, 5, 7, 0])).unwrap().total, 16.0);
    assert_eq!(
        score(wsas, &[Some(1), None, Some(1), Some(1), Some(1)]),
        Err(ScoreError::Incomplete {
            missing: vec![2],
            max_missing: 0
        })
    );
    assert!(matches!(
        score(wsas, &some(&[9, 0, 0, 0, 0])),
        Err(ScoreError::NotAnOption {
            item: 1,
            value: 9,
            ..
        })
    ));
}

#[test]
fn phq15_item_4_may_be_left_out_but_no_other() {
    let phq15 = inst("phq15");
    let mut answers = all(15, 1);
    answers[3] = None;
    let s = score(phq15, &answers).unwrap();
    assert_eq!((s.total, s.prorated), (14.0, false));
    answers[4] = None;
    assert_eq!(
        score(phq15, &answers),
        Err(ScoreError::Incomplete {
            missing: vec![5],
            max_missing: 0
        })
    );
}

#[test]
fn swemwbs_converts_raw_totals_to_the_metric_score() {
    let swemwbs = inst("swemwbs");
    let s = score(swemwbs, &all(7, 1)).unwrap();
    assert_eq!((s.total, s.raw_total), (7.0, Some(7)));
    let s = score(swemwbs, &some(&[3, 3, 3, 3, 3, 3, 2])).unwrap();
    assert_eq!((s.total, s.raw_total), (18.59, Some(20)));
    let s = score(swemwbs, &some(&[5, 5, 5, 5, 5, 5, 4])).unwrap();
    assert_eq!((s.total, s.raw_total), (32.55, Some(34)));
    let s = score(swemwbs, &all(7, 5)).unwrap();
    assert_eq!((s.total, s.raw_total), (35.0, Some(35)));
    assert_eq!((s.band, s.at_caseness), (None, None));
    // The table has no prorating: a missing item means no score.
    let mut answers = all(7, 3);
    answers[0] = None;
    assert!(matches!(
        score(swemwbs, &answers),
        Err(ScoreError::Incomplete { .. })
    ));
}

#[test]
fn higher_is_better_turns_reliable_change_around() {
    let mut swemwbs = inst("swemwbs").clone();
    assert!(swemwbs.higher_is_better);
    assert_eq!(reliable_change(&swemwbs, 20.0, 30.0), None);
    swemwbs.reliable_change = Some(ReliableChange {
        value: 3.0,
        source: Source {
            url: "https://example.org".into(),
            verification: Verification::Verified,
            note: None,
        },
    });
    assert_eq!(
        reliable_change(&swemwbs, 20.0, 23.0),
        Some(Change::Improved)
    );
    assert_eq!(
        reliable_change(&swemwbs, 23.0, 20.0),
        Some(Change::Deteriorated)
    );
    assert_eq!(
        reliable_change(&swemwbs, 20.0, 22.9),
        Some(Change::NoReliableChange)
    );
}

#[test]
fn mobility_inventory_scores_the_mean_and_needs_more_than_2_3() {
    let mi = inst("mi");
    assert_eq!(meets_caseness(mi, 2.3), Some(false));
    // 2.3 reached through floating-point arithmetic is still not above 2.3.
    assert_eq!(meets_caseness(mi, 0.1 * 23.0), Some(false));
    assert_eq!(meets_caseness(mi, 6.9 / 3.0), Some(false));
    assert_eq!(meets_caseness(mi, 2.3 + 1e-7), Some(true));
    assert_eq!(meets_caseness(mi, 2.31), Some(true));

    // 27 answers adding up to 62 give a mean of 2.296: not a case; 63 give 2.333.
    let mut answers = all(27, 2);
    for a in answers.iter_mut().take(8) {
        *a = Some(3);
    }
    let s = score(mi, &answers).unwrap();
    assert_eq!(s.raw_total, Some(62));
    assert!((s.total - 62.0 / 27.0).abs() < 1e-12);
    assert_eq!(s.at_caseness, Some(false));
    answers[8] = Some(3);
    let s = score(mi, &answers).unwrap();
    assert!((s.total - 63.0 / 27.0).abs() < 1e-12);
    assert_eq!(s.at_caseness, Some(true));
}

#[test]
fn a_mean_of_exactly_2_3_computed_from_answers_is_not_a_case() {
    // A ten-situation version of the inventory makes a mean of exactly 2.3
    // reachable from whole-number answers: 23 / 10.
    let mut mi = inst("mi").clone();
    mi.items.truncate(10);
    mi.scoring.prorating = Prorating::MeanOfAnswered { max_missing: 5 };
    let mut answers = some(&[3, 3, 3, 2, 2, 2, 2, 2, 2, 2]);
    let s = score(&mi, &answers).unwrap();
    assert_eq!(s.raw_total, Some(23));
    assert_eq!(s.at_caseness, Some(false), "mean {}", s.total);
    answers[9] = Some(3);
    assert_eq!(score(&mi, &answers).unwrap().at_caseness, Some(true));
}

#[test]
fn mobility_inventory_allows_five_skipped_situations_not_six() {
    let mi = inst("mi");
    let mut answers = all(27, 4);
    for a in answers.iter_mut().take(5) {
        *a = None;
    }
    let s = score(mi, &answers).unwrap();
    assert_eq!((s.total, s.prorated, s.raw_total), (4.0, true, None));
    answers[26] = None;
    assert_eq!(
        score(mi, &answers),
        Err(ScoreError::Incomplete {
            missing: vec![1, 2, 3, 4, 5, 27],
            max_missing: 5
        })
    );
}

#[test]
fn caseness_at_exactly_the_cut_off() {
    for (id, cut) in [
        ("phq9", 10.0),
        ("gad7", 8.0),
        ("phq2", 3.0),
        ("gad2", 3.0),
        ("spin", 19.0),
        ("minispin", 6.0),
        ("iesr", 33.0),
        ("pdss", 8.0),
        ("ocir", 17.0),
        ("shai", 18.0),
        ("pcl5", 33.0),
        ("epds", 13.0),
        ("isi", 15.0),
        ("core10", 11.0),
    ] {
        let i = inst(id);
        assert_eq!(meets_caseness(i, cut), Some(true), "{id} at {cut}");
        assert_eq!(
            meets_caseness(i, cut - 1.0),
            Some(false),
            "{id} below {cut}"
        );
    }
    for id in ["wsas", "phq15", "swemwbs", "mood"] {
        assert_eq!(meets_caseness(inst(id), 5.0), None, "{id} has no cut-off");
    }
}

#[test]
fn phq9_and_gad7_bands_at_their_boundaries() {
    let phq9 = inst("phq9");
    for (score, band) in [
        (0.0, "minimal"),
        (4.0, "minimal"),
        (5.0, "mild"),
        (9.0, "mild"),
        (10.0, "moderate"),
        (14.0, "moderate"),
        (15.0, "moderately severe"),
        (19.0, "moderately severe"),
        (20.0, "severe"),
        (27.0, "severe"),
    ] {
        assert_eq!(band_of(phq9, score), Some(band), "PHQ-9 {score}");
    }
    assert_eq!(band_of(phq9, -1.0), None);
    assert_eq!(band_of(phq9, 28.0), None);
    assert_eq!(band_of(phq9, f64::NAN), None);
    let gad7 = inst("gad7");
    for (score, band) in [
        (4.0, "minimal"),
        (5.0, "mild"),
        (9.0, "mild"),
        (10.0, "moderate"),
        (14.0, "moderate"),
        (15.0, "severe"),
        (21.0, "severe"),
    ] {
        assert_eq!(band_of(gad7, score), Some(band), "GAD-7 {score}");
    }
    assert_eq!(band_of(inst("mood"), 5.0), None);
}

#[test]
fn reliable_change_exactly_at_the_index_counts() {
    let phq9 = inst("phq9");
    assert_eq!(reliable_change(phq9, 18.0, 12.0), Some(Change::Improved));
    assert_eq!(
        reliable_change(phq9, 18.0, 13.0),
        Some(Change::NoReliableChange)
    );
    assert_eq!(
        reliable_change(phq9, 12.0, 18.0),
        Some(Change::Deteriorated)
    );
    assert_eq!(
        reliable_change(phq9, 13.0, 18.0),
        Some(Change::NoReliableChange)
    );
    let gad7 = inst("gad7");
    assert_eq!(reliable_change(gad7, 12.0, 8.0), Some(Change::Improved));
    assert_eq!(
        reliable_change(gad7, 12.0, 9.0),
        Some(Change::NoReliableChange)
    );
    let mi = inst("mi");
    assert_eq!(reliable_change(mi, 3.0, 3.0 - 0.73), Some(Change::Improved));
    assert_eq!(reliable_change(mi, 3.0, 2.27), Some(Change::Improved));
    assert_eq!(
        reliable_change(mi, 3.0, 2.28),
        Some(Change::NoReliableChange)
    );
    assert_eq!(reliable_change(inst("wsas"), 30.0, 0.0), None);
}

#[test]
fn gad7_item_2_uses_its_own_loinc_answer_codes_but_the_same_scores() {
    let gad7 = inst("gad7");
    let codes: Vec<_> = gad7
        .options_for(&gad7.items[1])
        .iter()
        .map(|o| o.loinc.as_deref().unwrap())
        .collect();
    assert_eq!(codes, ["LA6568-5", "LA6569-3", "LA18938-3", "LA6571-9"]);
    let s = score(gad7, &some(&[2, 2, 2, 2, 0, 0, 0])).unwrap();
    assert_eq!(s.total, 8.0);
    assert_eq!(s.at_caseness, Some(true));
}

#[test]
fn epds_items_are_scored_by_their_own_options() {
    let epds = inst("epds");
    // Choosing the first answer every time: items 1, 2 and 4 score 0, the rest 3.
    let top: Vec<Option<i32>> = epds
        .items
        .iter()
        .map(|i| Some(epds.options_for(i)[0].score))
        .collect();
    let s = score(epds, &top).unwrap();
    assert_eq!(s.total, 21.0);
    assert_eq!(s.risk_items, vec![10]);
    let bottom: Vec<Option<i32>> = epds
        .items
        .iter()
        .map(|i| Some(epds.options_for(i)[3].score))
        .collect();
    let s = score(epds, &bottom).unwrap();
    assert_eq!(s.total, 9.0);
    assert!(s.risk_items.is_empty());
    assert_eq!(s.band.as_deref(), Some("below the screening threshold"));
}

#[test]
fn a_risk_answer_is_flagged_even_when_the_response_cannot_be_scored() {
    let phq9 = inst("phq9");
    let mut answers = vec![None; 9];
    answers[8] = Some(2);
    assert!(matches!(
        score(phq9, &answers),
        Err(ScoreError::Incomplete { .. })
    ));
    assert_eq!(risk_flags(phq9, &answers), vec![9]);
    answers[8] = Some(0);
    assert!(risk_flags(phq9, &answers).is_empty());
    // An answer that is not an option cannot be read and raises nothing.
    answers[8] = Some(7);
    assert!(risk_flags(phq9, &answers).is_empty());
    assert!(risk_flags(phq9, &[]).is_empty());
}

#[test]
fn errors_name_the_item_in_plain_english() {
    let phq9 = inst("phq9");
    let mut answers = all(9, 0);
    answers[6] = Some(4);
    let err = score(phq9, &answers).unwrap_err();
    assert_eq!(
        err.to_string(),
        "item 7: 4 is not one of this item's answer scores (0, 1, 2, 3)"
    );
    answers[6] = None;
    assert_eq!(
        score(phq9, &answers).unwrap_err().to_string(),
        "incomplete: item 7 unanswered, and this instrument's scoring allows no missing items"
    );
    assert_eq!(
        score(phq9, &all(8, 0)).unwrap_err().to_string(),
        "expected 9 answers, one per item, but got 8"
    );
}

#[test]
fn subscales_are_scored_with_the_total() {
    let ocir = inst("ocir");
    let mut answers = all(18, 0);
    for i in [0, 6, 12] {
        answers[i] = Some(4); // hoarding items 1, 7, 13
    }
    answers[1] = Some(2); // checking item 2
    let s = score(ocir, &answers).unwrap();
    assert_eq!(s.total, 14.0);
    assert_eq!(s.subscales[0], ("hoarding".to_string(), 12.0));
    assert_eq!(s.subscales[1], ("checking".to_string(), 2.0));
    assert_eq!(s.subscales.len(), 6);
    let pcl5 = inst("pcl5");
    let s = score(pcl5, &all(20, 1)).unwrap();
    let clusters: Vec<(&str, f64)> = s.subscales.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        clusters,
        [
            ("intrusion", 5.0),
            ("avoidance", 2.0),
            ("cognition_mood", 7.0),
            ("arousal", 6.0)
        ]
    );
}

#[test]
fn mood_is_the_number_chosen_and_higher_is_better() {
    let mood = inst("mood");
    assert!(mood.higher_is_better);
    for v in 0..=10 {
        let s = score(mood, &[Some(v)]).unwrap();
        assert_eq!(s.total, f64::from(v));
        assert_eq!((s.band, s.at_caseness), (None, None));
    }
    assert!(score(mood, &[Some(11)]).is_err());
    assert!(score(mood, &[None]).is_err());
}
