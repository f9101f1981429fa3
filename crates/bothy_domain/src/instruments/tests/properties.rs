//! Property tests run against every shipped instrument: totals stay in range,
//! reverse scoring is a mirror, prorating follows each instrument's rule,
//! incomplete and out-of-range answers are rejected naming the item.

use super::shipped;
use crate::instruments::model::{Instrument, Method, Prorating};
use crate::instruments::{ScoreError, TOLERANCE, meets_caseness, risk_flags, score};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const CASES: u32 = 256;

/// Runs `check` on `CASES` random inputs for every shipped instrument.
fn for_every_instrument<S: Strategy>(
    strategy: impl Fn(&Instrument) -> S,
    check: impl Fn(&Instrument, S::Value) -> Result<(), TestCaseError>,
) {
    for inst in shipped().iter() {
        let mut runner = TestRunner::new(Config {
            cases: CASES,
            failure_persistence: None,
            ..Config::default()
        });
        if let Err(e) = runner.run(&strategy(inst), |v| check(inst, v)) {
            panic!("{}: {e}", inst.id);
        }
    }
}

/// One option index per item, and a few spare random numbers.
fn picks(inst: &Instrument) -> impl Strategy<Value = (Vec<Index>, Vec<Index>)> + use<> {
    let n = inst.items.len();
    (
        proptest::collection::vec(any::<Index>(), n),
        proptest::collection::vec(any::<Index>(), n),
    )
}

/// A complete response: the chosen option's score for every item.
fn complete(inst: &Instrument, choice: &[Index]) -> Vec<Option<i32>> {
    inst.items
        .iter()
        .zip(choice)
        .map(|(item, ix)| Some(ix.get(inst.options_for(item)).score))
        .collect()
}

fn item_range(inst: &Instrument, n: usize) -> (i32, i32) {
    let opts = inst.options_for(&inst.items[n]);
    (
        opts.iter().map(|o| o.score).min().unwrap(),
        opts.iter().map(|o| o.score).max().unwrap(),
    )
}

/// The score an item contributes, computed here independently of the scorer.
fn contribution(inst: &Instrument, n: usize, answer: i32) -> i32 {
    let (lo, hi) = item_range(inst, n);
    if inst.items[n].reverse {
        lo + hi - answer
    } else {
        answer
    }
}

fn required(inst: &Instrument) -> Vec<usize> {
    (0..inst.items.len())
        .filter(|&i| !inst.items[i].optional)
        .collect()
}

#[test]
fn complete_responses_score_within_the_total_range() {
    for_every_instrument(picks, |inst, (choice, spare)| {
        let mut answers = complete(inst, &choice);
        // Optional items are left out at random.
        for (i, item) in inst.items.iter().enumerate() {
            if item.optional && spare[i].index(2) == 0 {
                answers[i] = None;
            }
        }
        let s = score(inst, &answers).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(
            s.total >= inst.total_min - TOLERANCE,
            "{} below range",
            s.total
        );
        prop_assert!(
            s.total <= inst.total_max + TOLERANCE,
            "{} above range",
            s.total
        );
        prop_assert!(!s.prorated);
        let raw: i32 = answers
            .iter()
            .enumerate()
            .filter_map(|(i, a)| a.map(|a| contribution(inst, i, a)))
            .sum();
        prop_assert_eq!(s.raw_total, Some(raw));
        if inst.scoring.conversion.is_none() {
            let expected = match inst.scoring.method {
                Method::Sum => f64::from(raw),
                Method::Mean => f64::from(raw) / answers.iter().flatten().count() as f64,
            };
            prop_assert!((s.total - expected).abs() < TOLERANCE);
        }
        prop_assert_eq!(s.band.is_some(), !inst.bands.is_empty());
        prop_assert_eq!(s.at_caseness, meets_caseness(inst, s.total));
        prop_assert_eq!(&s.risk_items, &risk_flags(inst, &answers));
        for r in &inst.risk_items {
            let ix = usize::from(r.item) - 1;
            let flagged = answers[ix].is_some_and(|a| contribution(inst, ix, a) > r.above);
            prop_assert_eq!(s.risk_items.contains(&r.item), flagged);
        }
        Ok(())
    });
}

#[test]
fn subscales_partition_the_total_where_every_item_has_one() {
    for_every_instrument(picks, |inst, (choice, _)| {
        if inst.subscales.is_empty() || inst.items.iter().any(|i| i.subscale.is_none()) {
            return Ok(());
        }
        let s = score(inst, &complete(inst, &choice)).unwrap();
        prop_assert_eq!(s.subscales.len(), inst.subscales.len());
        let sum: f64 = s.subscales.iter().map(|(_, v)| v).sum();
        prop_assert!((sum - s.total).abs() < TOLERANCE);
        Ok(())
    });
}

/// Reverse scoring is a mirror: answering a reversed item with `a` scores
/// exactly as answering the same item, not reversed, with (lowest + highest - a).
#[test]
fn reverse_scoring_mirrors_the_answer() {
    for_every_instrument(picks, |inst, (choice, _)| {
        let answers = complete(inst, &choice);
        let mut plain = inst.clone();
        let mut mirrored = answers.clone();
        for (i, item) in plain.items.iter_mut().enumerate() {
            if item.reverse {
                item.reverse = false;
                let (lo, hi) = item_range(inst, i);
                mirrored[i] = answers[i].map(|a| lo + hi - a);
            }
        }
        let a = score(inst, &answers).unwrap();
        let b = score(&plain, &mirrored).unwrap();
        prop_assert_eq!(a.total, b.total);
        prop_assert_eq!(a.raw_total, b.raw_total);
        Ok(())
    });
}

/// Up to the allowed number of missing required items is prorated (as the
/// mean of the answered items, times the item count for a sum); one more is
/// rejected, naming exactly the missing items. Without a prorating rule, any
/// missing required item is rejected.
#[test]
fn prorating_follows_each_instruments_rule() {
    for_every_instrument(picks, |inst, (choice, spare)| {
        let required = required(inst);
        let allowed = match inst.scoring.prorating {
            Prorating::None => 0,
            Prorating::MeanOfAnswered { max_missing } => usize::from(max_missing),
        };
        // Choose distinct required items to leave out, in a random order.
        let mut order = required.clone();
        for i in (1..order.len()).rev() {
            order.swap(i, spare[i].index(i + 1));
        }
        let mut answers = complete(inst, &choice);
        if allowed > 0 {
            let k = 1 + spare[0].index(allowed);
            let mut prorated = answers.clone();
            for &i in &order[..k] {
                prorated[i] = None;
            }
            let s = score(inst, &prorated).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(s.prorated);
            prop_assert_eq!(s.raw_total, None);
            prop_assert!(
                s.total >= inst.total_min - TOLERANCE && s.total <= inst.total_max + TOLERANCE
            );
            let answered: Vec<i32> = prorated
                .iter()
                .enumerate()
                .filter_map(|(i, a)| a.map(|a| contribution(inst, i, a)))
                .collect();
            let mean = f64::from(answered.iter().sum::<i32>()) / answered.len() as f64;
            let applicable = answered.len() + k;
            let expected = match inst.scoring.method {
                Method::Sum => mean * applicable as f64,
                Method::Mean => mean,
            };
            prop_assert!(
                (s.total - expected).abs() < 1e-9,
                "{} vs {}",
                s.total,
                expected
            );
        }
        // One more missing than allowed is rejected, naming every missing item.
        let mut removed: Vec<u16> = Vec::new();
        for &i in &order[..allowed + 1] {
            answers[i] = None;
            removed.push(inst.items[i].n);
        }
        removed.sort_unstable();
        match score(inst, &answers) {
            Err(ScoreError::Incomplete {
                missing,
                max_missing,
            }) => {
                prop_assert_eq!(missing, removed);
                prop_assert_eq!(usize::from(max_missing), allowed);
            }
            other => prop_assert!(false, "expected Incomplete, got {:?}", other),
        }
        Ok(())
    });
}

#[test]
fn an_answer_that_is_not_an_option_is_rejected_naming_the_item() {
    for_every_instrument(
        |inst| (picks(inst), any::<Index>(), 1..50i32, any::<bool>()),
        |inst, ((choice, _), which, offset, above)| {
            let mut answers = complete(inst, &choice);
            let i = which.index(inst.items.len());
            let (lo, hi) = item_range(inst, i);
            let bad = if above { hi + offset } else { lo - offset };
            answers[i] = Some(bad);
            match score(inst, &answers) {
                Err(ScoreError::NotAnOption { item, value, .. }) => {
                    prop_assert_eq!(usize::from(item), i + 1);
                    prop_assert_eq!(value, bad);
                }
                other => prop_assert!(false, "expected NotAnOption, got {:?}", other),
            }
            // No risk flag is ever raised from an answer that is not an option.
            prop_assert!(
                risk_flags(inst, &answers)
                    .iter()
                    .all(|&r| usize::from(r) != i + 1)
            );
            Ok(())
        },
    );
}

#[test]
fn the_wrong_number_of_answers_is_rejected() {
    for_every_instrument(
        |inst| (picks(inst), any::<bool>()),
        |inst, ((choice, _), longer)| {
            let mut answers = complete(inst, &choice);
            if longer {
                answers.push(Some(0));
            } else {
                answers.pop();
            }
            let got = answers.len();
            prop_assert_eq!(
                score(inst, &answers),
                Err(ScoreError::WrongNumberOfAnswers {
                    expected: inst.items.len(),
                    got
                })
            );
            Ok(())
        },
    );
}
