//! Every one of the 4^9 = 262,144 PHQ-9 answer patterns, scored by the
//! shipped file and by an independent reference written here from the
//! published definition: a plain sum, Kroenke et al.'s band table, NHS Talking
//! Therapies caseness at 10 or more, and a flag for any answer above "Not at
//! all" to item 9. The reference shares no code with the scorer.

use super::inst;
use crate::instruments::score;

fn reference_band(total: i32) -> &'static str {
    match total {
        0..=4 => "minimal",
        5..=9 => "mild",
        10..=14 => "moderate",
        15..=19 => "moderately severe",
        20..=27 => "severe",
        _ => unreachable!("PHQ-9 totals run 0 to 27"),
    }
}

#[test]
fn every_phq9_answer_pattern_matches_the_reference_scorer() {
    let phq9 = inst("phq9");
    let mut answers = [None; 9];
    let mut patterns = 0u32;
    let mut per_band = [0u32; 5];
    for code in 0..4u32.pow(9) {
        let mut rest = code;
        let mut total = 0;
        let mut item9 = 0;
        for (i, slot) in answers.iter_mut().enumerate() {
            let a = (rest % 4) as i32;
            rest /= 4;
            total += a;
            if i == 8 {
                item9 = a;
            }
            *slot = Some(a);
        }
        let scored = score(phq9, &answers).expect("a complete PHQ-9 scores");
        assert_eq!(scored.total, f64::from(total), "{answers:?}");
        assert_eq!(scored.raw_total, Some(total), "{answers:?}");
        assert!(!scored.prorated);
        assert_eq!(
            scored.band.as_deref(),
            Some(reference_band(total)),
            "{answers:?}"
        );
        assert_eq!(scored.at_caseness, Some(total >= 10), "{answers:?}");
        let expected_risk: &[u16] = if item9 > 0 { &[9] } else { &[] };
        assert_eq!(scored.risk_items, expected_risk, "{answers:?}");
        assert!(scored.subscales.is_empty());
        patterns += 1;
        per_band[match total {
            0..=4 => 0,
            5..=9 => 1,
            10..=14 => 2,
            15..=19 => 3,
            _ => 4,
        }] += 1;
    }
    assert_eq!(patterns, 262_144);
    // Every band was reached, so the comparison covered each boundary.
    assert!(per_band.iter().all(|&n| n > 0), "{per_band:?}");
}
