//! QuestionnaireResponse: a stored response written out reads back as the
//! same answers, and any mutation of one is read into answers the
//! instrument can score or refused with issues, never a panic.

use crate::mutate::mutated;
use crate::{BASE, catalogue, config};
use bothy_domain::PatientId;
use bothy_domain::ids::ResponseId;
use bothy_domain::instruments::{Instrument, score};
use bothy_domain::model::{MeasureResponse, ResponseSource};
use bothy_domain::time::Timestamp;
use bothy_fhir::response::{
    MAX_IDENTIFIER_LEN, parse_contained_answers, parse_response, questionnaire_response,
};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

/// A stored response to one shipped instrument: an option of each item.
fn stored() -> impl Strategy<Value = (&'static Instrument, MeasureResponse)> {
    let ids: Vec<&'static Instrument> = catalogue().iter().collect();
    (
        proptest::sample::select(ids),
        proptest::collection::vec(any::<Index>(), 40),
        "[!-~]{1,100}",
    )
        .prop_map(|(inst, picks, key)| {
            let answers = inst
                .items
                .iter()
                .zip(&picks)
                .map(|(item, ix)| Some(ix.get(inst.options_for(item)).score))
                .collect();
            let at: Timestamp = "2026-11-17T10:00:00Z".parse().unwrap();
            let r = MeasureResponse {
                id: ResponseId::random(),
                patient_id: PatientId::random(),
                service_id: bothy_domain::ServiceId::random(),
                instrument_id: inst.id.clone(),
                instrument_version: inst.version.clone(),
                answers,
                total: 0.0,
                raw_total: None,
                band: None,
                at_caseness: None,
                prorated: false,
                risk_items: Vec::new(),
                source: ResponseSource::Fhir,
                idempotency_key: key,
                submitted_at: at,
                authored_at: None,
                submitted_by_kind: "api_client".into(),
                submitted_by_id: None,
            };
            (inst, r)
        })
}

fn written() -> impl Strategy<Value = Value> {
    stored().prop_map(|(inst, r)| questionnaire_response(BASE, inst, &r))
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn a_written_response_reads_back_the_same((inst, r) in stored()) {
        let v = questionnaire_response(BASE, inst, &r);
        let read = parse_response(&v, BASE, catalogue());
        let read = read.map_err(|issues| TestCaseError::fail(format!("{issues:#?}")))?;
        prop_assert_eq!(&read.instrument_id, &r.instrument_id);
        prop_assert_eq!(read.version.as_deref(), Some(r.instrument_version.as_str()));
        prop_assert_eq!(read.patient_id, r.patient_id);
        prop_assert_eq!(&read.identifier, &r.idempotency_key);
        prop_assert_eq!(&read.answers, &r.answers);
    }

    #[test]
    fn a_mutated_response_is_scorable_or_refused_with_issues(v in mutated(written())) {
        let cat = catalogue();
        match parse_response(&v, BASE, cat) {
            Ok(read) => {
                let inst = cat.get(&read.instrument_id).expect("a known instrument");
                prop_assert_eq!(read.answers.len(), inst.items.len());
                for (item, a) in inst.items.iter().zip(&read.answers) {
                    if let Some(a) = a {
                        prop_assert!(inst.options_for(item).iter().any(|o| o.score == *a));
                    }
                }
                prop_assert!(!read.identifier.is_empty());
                prop_assert!(read.identifier.chars().count() <= MAX_IDENTIFIER_LEN);
                // What is accepted is scored, or refused by the scorer's own
                // error (an incomplete response), not a panic.
                let _ = score(inst, &read.answers);
            }
            Err(issues) => {
                prop_assert!(!issues.is_empty());
                for i in &issues {
                    prop_assert!(i.expression.starts_with("QuestionnaireResponse"), "{i:?}");
                    prop_assert!(!i.message.is_empty());
                }
            }
        }
        if let Err(issues) = parse_contained_answers(&v, BASE, cat) {
            prop_assert!(!issues.is_empty());
        }
    }
}
