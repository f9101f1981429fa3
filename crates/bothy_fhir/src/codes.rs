//! The codes of instruments, their items, totals and answers, and Bothy's
//! own code systems as FHIR `CodeSystem`s.
//!
//! LOINC's code is used wherever the instrument file gives one that was
//! confirmed in a source (the file's `[loinc]` and `loinc` keys, each with
//! its source; for example PHQ-9 panel 44249-1 and total 44261-6, GAD-7
//! panel 69737-5 and total 70274-6, PHQ-15 69728-4 and 70273-8, PHQ-2
//! 55757-9 and 55758-7, PCL-5 101697-1 and 101698-9, EPDS panel 71354-5).
//! No code is ever guessed: everything else is coded in Bothy's own code
//! systems, whose canonical URLs start with [`CANONICAL_BASE`] whatever
//! address a deployment is reached at, so that two deployments' data mean the
//! same thing when a data platform pools them:
//!
//! - [`MEASURES`] (`.../CodeSystem/measures`): each instrument (`wsas`), each
//!   of its items (`wsas-1`) and its total (`wsas-total`);
//! - `.../CodeSystem/{instrument}-answers`: an instrument's answers without
//!   a LOINC code, the code being the option's score.
//!
//! Every deployment serves these at `{base}/CodeSystem/{id}` and finds them
//! by `url` at `{base}/CodeSystem?url=`.

use crate::LOINC;
use bothy_domain::instruments::model::Item;
use bothy_domain::instruments::{Catalogue, Instrument};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Where Bothy's own canonical URLs start: fixed, never a deployment's address.
pub const CANONICAL_BASE: &str = "https://bothy.health/fhir";

/// The code system of instruments, their items and totals.
pub const MEASURES: &str = "https://bothy.health/fhir/CodeSystem/measures";

/// The id of [`MEASURES`] as served.
pub const MEASURES_ID: &str = "measures";

/// The code system of `inst`'s answers that have no LOINC code.
pub fn answer_system(inst: &Instrument) -> String {
    format!("{CANONICAL_BASE}/CodeSystem/{}", answer_system_id(inst))
}

/// The id under which [`answer_system`] is served.
pub fn answer_system_id(inst: &Instrument) -> String {
    format!("{}-answers", inst.id)
}

/// The instrument as a whole: LOINC's panel, else Bothy's code.
pub fn instrument_coding(inst: &Instrument) -> (&'static str, String) {
    match &inst.loinc {
        Some(l) => (LOINC, l.panel.clone()),
        None => (MEASURES, inst.id.clone()),
    }
}

/// The total score: LOINC's total, else Bothy's code.
pub fn total_coding(inst: &Instrument) -> (&'static str, String) {
    match inst.loinc.as_ref().and_then(|l| l.total.clone()) {
        Some(code) => (LOINC, code),
        None => (MEASURES, format!("{}-total", inst.id)),
    }
}

/// One item: LOINC's code, else Bothy's.
pub fn item_coding(inst: &Instrument, item: &Item) -> (&'static str, String) {
    match &item.loinc {
        Some(code) => (LOINC, code.clone()),
        None => (MEASURES, format!("{}-{}", inst.id, item.n)),
    }
}

fn code_system(id: &str, url: &str, name: &str, title: String, concepts: Vec<Value>) -> Value {
    json!({
        "resourceType": "CodeSystem",
        "id": id,
        "url": url,
        "name": name,
        "title": title,
        "status": "active",
        "publisher": "Bothy",
        "caseSensitive": true,
        "content": "complete",
        "count": concepts.len(),
        "concept": concepts,
    })
}

fn concept(code: String, display: String) -> Value {
    json!({ "code": code, "display": display })
}

/// [`MEASURES`] for the instruments in effect.
pub fn measures_code_system(catalogue: &Catalogue) -> Value {
    let mut concepts = Vec::new();
    for inst in catalogue.iter() {
        let title = format!("{} ({})", inst.name, inst.short_name);
        if inst.loinc.is_none() {
            concepts.push(concept(inst.id.clone(), title));
        }
        for item in inst.items.iter().filter(|i| i.loinc.is_none()) {
            concepts.push(concept(
                format!("{}-{}", inst.id, item.n),
                format!("{} question {}", inst.short_name, item.n),
            ));
        }
        if total_coding(inst).0 == MEASURES {
            concepts.push(concept(
                format!("{}-total", inst.id),
                format!("{} total score", inst.short_name),
            ));
        }
    }
    code_system(
        MEASURES_ID,
        MEASURES,
        "BothyMeasures",
        "Bothy's codes for measures, their questions and total scores".into(),
        concepts,
    )
}

/// The answer code system of `inst`, if any of its answers lacks a LOINC
/// code. An option's code is its score; its display is the option's label
/// when every item labels that score alike, else "Score n".
pub fn answers_code_system(inst: &Instrument) -> Option<Value> {
    let mut labels: BTreeMap<i32, Vec<&str>> = BTreeMap::new();
    for item in &inst.items {
        for opt in inst.options_for(item).iter().filter(|o| o.loinc.is_none()) {
            let l = labels.entry(opt.score).or_default();
            if !l.contains(&opt.label.as_str()) {
                l.push(&opt.label);
            }
        }
    }
    if labels.is_empty() {
        return None;
    }
    let concepts = labels
        .into_iter()
        .map(|(score, l)| match l.as_slice() {
            [one] => concept(score.to_string(), (*one).to_string()),
            _ => concept(score.to_string(), format!("Score {score}")),
        })
        .collect();
    Some(code_system(
        &answer_system_id(inst),
        &answer_system(inst),
        "BothyAnswers",
        format!("{} answers, coded by score", inst.short_name),
        concepts,
    ))
}

/// Every code system Bothy defines for the instruments in effect.
pub fn code_systems(catalogue: &Catalogue) -> Vec<Value> {
    let mut all = vec![measures_code_system(catalogue)];
    all.extend(catalogue.iter().filter_map(answers_code_system));
    all
}

/// The code system served as `id`.
pub fn code_system_by_id(catalogue: &Catalogue, id: &str) -> Option<Value> {
    if id == MEASURES_ID {
        return Some(measures_code_system(catalogue));
    }
    let inst = catalogue.get(id.strip_suffix("-answers")?)?;
    answers_code_system(inst)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::catalogue;

    #[test]
    fn every_instrument_total_and_item_has_a_code_in_a_served_system() {
        let cat = catalogue();
        let systems = code_systems(&cat);
        let has = |system: &str, code: &str| {
            system == LOINC
                || systems.iter().any(|cs| {
                    cs["url"] == system
                        && cs["concept"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|c| c["code"] == code)
                })
        };
        for inst in cat.iter() {
            let (s, c) = instrument_coding(inst);
            assert!(has(s, &c), "{}", inst.id);
            let (s, c) = total_coding(inst);
            assert!(has(s, &c), "{} total", inst.id);
            for item in &inst.items {
                let (s, c) = item_coding(inst, item);
                assert!(has(s, &c), "{} item {}", inst.id, item.n);
                for opt in inst.options_for(item).iter().filter(|o| o.loinc.is_none()) {
                    assert!(has(&answer_system(inst), &opt.score.to_string()));
                }
            }
        }
        for cs in &systems {
            let id = cs["id"].as_str().unwrap();
            assert!(cs["url"].as_str().unwrap().starts_with(CANONICAL_BASE));
            assert_eq!(code_system_by_id(&cat, id).as_ref(), Some(cs));
        }
        assert_eq!(code_system_by_id(&cat, "phq9-answers"), None);
        assert_eq!(code_system_by_id(&cat, "nothing-answers"), None);
    }

    #[test]
    fn loinc_codes_as_confirmed_and_bothy_codes_elsewhere() {
        let cat = catalogue();
        let get = |id: &str| cat.get(id).unwrap();
        assert_eq!(total_coding(get("phq9")), (LOINC, "44261-6".into()));
        assert_eq!(total_coding(get("gad7")), (LOINC, "70274-6".into()));
        assert_eq!(instrument_coding(get("pcl5")), (LOINC, "101697-1".into()));
        assert_eq!(total_coding(get("pcl5")), (LOINC, "101698-9".into()));
        assert_eq!(instrument_coding(get("epds")), (LOINC, "71354-5".into()));
        assert_eq!(total_coding(get("epds")), (MEASURES, "epds-total".into()));
        assert_eq!(instrument_coding(get("wsas")), (MEASURES, "wsas".into()));
        assert_eq!(
            answer_system(get("wsas")),
            "https://bothy.health/fhir/CodeSystem/wsas-answers"
        );
    }
}
