//! Measure responses: item answers that add up to a chosen total, scored by
//! the instrument's own rules, exactly as a submitted form would be.

use crate::rng::Rng;
use bothy_domain::PatientId;
use bothy_domain::ServiceId;
use bothy_domain::ids::ResponseId;
use bothy_domain::instruments::{Instrument, score};
use bothy_domain::model::{MeasureResponse, ResponseSource};
use bothy_domain::time::Timestamp;

/// The chance that a response answers its risk item (PHQ-9 item 9) above
/// zero, rising with the total: about 1% at 5, 4% at 15, 8% at 27, so a
/// few percent of all responses, most of them at referral and early on.
pub fn risk_chance(total: i64) -> f64 {
    if total < 5 {
        0.002
    } else {
        0.005 + 0.0035 * (total - 5) as f64
    }
}

/// Answers to `inst` whose plain sum is `total` (clamped to what the items
/// allow). A risk item gets a non-zero answer with [`risk_chance`], and only
/// then. Assumes each item's options are the scores 0..=max, as for PHQ-9 and GAD-7.
pub fn answers(r: &mut Rng, inst: &Instrument, total: i64) -> Vec<Option<i32>> {
    let max: Vec<i32> = inst
        .items
        .iter()
        .map(|item| {
            inst.options_for(item)
                .iter()
                .map(|o| o.score)
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut a = vec![0i32; max.len()];
    let mut fixed = vec![false; max.len()];
    let mut left = total.clamp(0, i64::from(max.iter().sum::<i32>()));
    let risky: Vec<usize> = inst
        .risk_items
        .iter()
        .map(|risk| usize::from(risk.item) - 1)
        .filter(|ix| *ix < a.len())
        .collect();
    for ix in &risky {
        fixed[*ix] = true;
    }
    let room: i64 = (0..a.len())
        .filter(|i| !fixed[*i])
        .map(|i| i64::from(max[i]))
        .sum();
    for ix in risky {
        // A total above what the other items can hold needs the risk item.
        let needed = (left - room).max(0) as i32;
        let drawn = if left > 0 && r.chance(risk_chance(total)) {
            [1, 1, 1, 1, 1, 1, 1, 2, 2, 3][r.below(10) as usize]
        } else {
            0
        };
        a[ix] = drawn.max(needed).min(max[ix]).min(left as i32);
        left -= i64::from(a[ix]);
    }
    left = left.min(room);
    while left > 0 {
        let i = r.below(a.len() as u64) as usize;
        if !fixed[i] && a[i] < max[i] {
            a[i] += 1;
            left -= 1;
        }
    }
    a.into_iter().map(Some).collect()
}

/// A scored response as the patient's own form would store it.
pub fn response(
    r: &mut Rng,
    inst: &Instrument,
    patient: PatientId,
    service: ServiceId,
    total: i64,
    at: Timestamp,
) -> MeasureResponse {
    let answers = answers(r, inst, total);
    let id = ResponseId::from_uuid(r.uuid());
    // Generated answers are always complete and valid; an instrument they do
    // not fit is a bug in the generator, caught by the tests.
    let scored = score(inst, &answers).expect("generated answers are valid");
    MeasureResponse {
        id,
        patient_id: patient,
        service_id: service,
        instrument_id: inst.id.clone(),
        instrument_version: inst.version.clone(),
        answers,
        total: scored.total,
        raw_total: scored.raw_total,
        band: scored.band,
        at_caseness: scored.at_caseness,
        prorated: scored.prorated,
        risk_items: scored.risk_items,
        source: ResponseSource::Web,
        idempotency_key: format!("synth-{id}"),
        submitted_at: at,
        authored_at: None,
        submitted_by_kind: "patient".into(),
        submitted_by_id: Some(patient.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_add_up_and_score_to_the_total() {
        let catalogue = bothy_app::content::default_catalogue();
        let mut r = Rng::stream(3, 3);
        for id in ["phq9", "gad7"] {
            let inst = catalogue.get(id).unwrap();
            let max = inst.total_max as i64;
            for total in 0..=max {
                for _ in 0..50 {
                    let a = answers(&mut r, inst, total);
                    let s = score(inst, &a).unwrap();
                    assert_eq!(s.total as i64, total, "{id} {a:?}");
                }
            }
        }
    }
}
