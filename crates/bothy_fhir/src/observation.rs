//! The total score of a stored response as a FHIR R4 `Observation`.
//!
//! The Observation is derived from the stored response whenever it is read,
//! never stored apart from it, so the two cannot disagree. It shares the
//! response's id: `Observation/{id}` is the total of
//! `QuestionnaireResponse/{id}`, and names it in `derivedFrom`.

use crate::codes::total_coding;
use crate::instant;
use crate::versions::FIRST_VERSION;
use bothy_domain::instruments::Instrument;
use bothy_domain::model::MeasureResponse;
use serde_json::{Value, json};

const CATEGORY_SYSTEM: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
const UCUM: &str = "http://unitsofmeasure.org";

/// A JSON number: whole scores as integers (12, not 12.0), others as decimals.
fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        json!(x as i64)
    } else {
        json!(x)
    }
}

/// The Observation of `r`'s total score.
pub fn total_observation(inst: &Instrument, r: &MeasureResponse) -> Value {
    let name = format!("{} total score", inst.short_name);
    let (system, code) = total_coding(inst);
    let code =
        json!({ "coding": [{ "system": system, "code": code, "display": name }], "text": name });
    let mut notes = Vec::new();
    if r.prorated {
        notes.push(format!(
            "Prorated: some questions were unanswered, and {} allows the total to be made up from the answered ones.",
            inst.short_name
        ));
    }
    match (r.at_caseness, &inst.caseness) {
        (Some(true), Some(c)) => notes.push(format!(
            "At or above the clinical cut-off ({} {}).",
            match c.operator {
                bothy_domain::instruments::model::Operator::AtLeast => ">=",
                bothy_domain::instruments::model::Operator::Above => ">",
            },
            c.value
        )),
        (Some(false), Some(_)) => notes.push("Below the clinical cut-off.".to_string()),
        _ => {}
    }
    for n in &r.risk_items {
        notes.push(format!(
            "Question {n} was answered in a way that signals risk: a risk flag was raised for a clinician to review."
        ));
    }
    let mut v = json!({
        "resourceType": "Observation",
        "id": r.id.to_string(),
        "meta": { "versionId": FIRST_VERSION, "lastUpdated": instant(r.submitted_at) },
        "status": "final",
        "category": [{ "coding": [{ "system": CATEGORY_SYSTEM, "code": "survey", "display": "Survey" }] }],
        "code": code,
        "subject": { "reference": format!("Patient/{}", r.patient_id) },
        "effectiveDateTime": instant(r.authored()),
        "issued": instant(r.submitted_at),
        "valueQuantity": {
            "value": number(r.total),
            "unit": "{score}",
            "system": UCUM,
            "code": "{score}",
        },
        "derivedFrom": [{ "reference": format!("QuestionnaireResponse/{}", r.id) }],
    });
    if let Some(band) = &r.band {
        v["interpretation"] = json!([{ "text": band }]);
    }
    if !notes.is_empty() {
        v["note"] = Value::Array(notes.into_iter().map(|t| json!({ "text": t })).collect());
    }
    v
}
