//! Each definition and its boundaries, on a small catalogue built here. The
//! cut-offs and reliable change indices below are the NHS Talking Therapies
//! values the real catalogue carries (PHQ-9 >= 10 and 6, GAD-7 >= 8 and 4,
//! Mobility Inventory > 2.3 and 0.73, ...), some of which a deployment may
//! override; item-level answers go through the real scorer.

use super::*;
use crate::instruments::Instrument;
use crate::instruments::model::{Method, Operator, Prorating};
use serde_json::{Value, json};

mod definitions;
mod input;
mod pairs;

struct Spec {
    id: &'static str,
    name: &'static str,
    items: u16,
    options: std::ops::RangeInclusive<i32>,
    method: Method,
    caseness: Option<(Operator, f64)>,
    rci: Option<f64>,
}

/// Built through serde, as the catalogue reads its files, so that fields the
/// model gains later take their defaults here too.
fn instrument(s: Spec) -> Instrument {
    let (lo, hi) = (*s.options.start(), *s.options.end());
    let n = f64::from(s.items);
    let (total_min, total_max) = match s.method {
        Method::Sum => (f64::from(lo) * n, f64::from(hi) * n),
        Method::Mean => (f64::from(lo), f64::from(hi)),
    };
    let source = json!({"url": "https://example.test/", "verification": "verified"});
    let mut v = json!({
        "id": s.id,
        "short_name": s.name,
        "name": s.name,
        "version": "test",
        "options": s.options.map(|score| json!({"score": score, "label": score.to_string()})).collect::<Vec<_>>(),
        "items": (1..=s.items).map(|n| json!({"n": n, "text": format!("item {n}")})).collect::<Vec<_>>(),
        "scoring": {"method": s.method, "prorating": {"rule": "none"}, "source": source},
        "total_min": total_min,
        "total_max": total_max,
        "licence": {"status": "test", "official_wording": false, "source": source},
    });
    if let Some((operator, value)) = s.caseness {
        v["caseness"] = json!({"operator": operator, "value": value, "source": source});
    }
    if let Some(value) = s.rci {
        v["reliable_change"] = json!({"value": value, "source": source});
    }
    serde_json::from_value(v).expect("a valid test instrument")
}

pub(super) fn catalogue() -> Vec<Instrument> {
    use Method::{Mean, Sum};
    use Operator::{Above, AtLeast};
    let spec = |id, name, items, options, method, caseness, rci| Spec {
        id,
        name,
        items,
        options,
        method,
        caseness,
        rci,
    };
    [
        spec(
            "phq9",
            "PHQ-9",
            9,
            0..=3,
            Sum,
            Some((AtLeast, 10.0)),
            Some(6.0),
        ),
        spec(
            "gad7",
            "GAD-7",
            7,
            0..=3,
            Sum,
            Some((AtLeast, 8.0)),
            Some(4.0),
        ),
        spec(
            "spin",
            "SPIN",
            17,
            0..=4,
            Sum,
            Some((AtLeast, 19.0)),
            Some(10.0),
        ),
        spec(
            "iesr",
            "IES-R",
            22,
            0..=4,
            Sum,
            Some((AtLeast, 33.0)),
            Some(9.0),
        ),
        spec(
            "pcl5",
            "PCL-5",
            20,
            0..=4,
            Sum,
            Some((AtLeast, 33.0)),
            Some(10.0),
        ),
        spec("mi", "MI", 27, 1..=5, Mean, Some((Above, 2.3)), Some(0.73)),
        spec("ocir", "OCI-R", 18, 0..=4, Sum, Some((AtLeast, 21.0)), None),
        spec(
            "pdss",
            "PDSS",
            7,
            0..=4,
            Sum,
            Some((AtLeast, 8.0)),
            Some(5.0),
        ),
        spec(
            "shai",
            "SHAI",
            14,
            0..=3,
            Sum,
            Some((AtLeast, 18.0)),
            Some(4.0),
        ),
        spec("swemwbs", "SWEMWBS", 7, 1..=5, Sum, None, Some(3.0)),
    ]
    .into_iter()
    .map(instrument)
    .collect()
}

/// An ended episode with 6 treatment sessions and these measurements.
pub(super) fn episode(descriptor: &str, measurements: Value) -> Value {
    json!({
        "id": "e1",
        "problem_descriptor": descriptor,
        "referral_ended": true,
        "treatment_appointments_attended": 6,
        "measurements": measurements,
    })
}

/// Measurements on successive weeks from scores alone.
pub(super) fn scored(scores: &[Value]) -> Value {
    Value::Array(
        scores
            .iter()
            .enumerate()
            .map(|(i, s)| {
                json!({
                    "date": format!("2026-01-{:02}", 1 + 7 * i),
                    "appointment": if i == 0 { "assessment" } else { "treatment" },
                    "scores": s,
                })
            })
            .collect(),
    )
}

pub(super) fn run(v: &Value) -> Outcome {
    classify_json(v, catalogue().as_slice(), &Options::default())
}

pub(super) fn run_scores(descriptor: &str, scores: &[Value]) -> Outcome {
    run(&episode(descriptor, scored(scores)))
}

pub(super) fn has_note(o: &Outcome, text: &str) -> bool {
    o.notes.iter().any(|n| n.contains(text))
}
